"""The report shows a bounded part of a very deep or very wide codebook (issue 17).

A 10,000-level codebook wrote a 300 MB report.qmd; the report now shows the tree to
``report.table_depth`` and at most ``report.table_rows`` rows, says so, and points to the
CSV beside it. Every study written here is SYNTHETIC.
"""

from __future__ import annotations

import polars as pl

from toolkit.report.findings import limited_tree


def chain(n: int) -> pl.DataFrame:
    return pl.DataFrame({"code_id": [f"c{i}" for i in range(n)], "depth": list(range(n))})


def test_a_deep_chain_is_cut_at_the_depth() -> None:
    shown, note = limited_tree(chain(10_000), depth=4, rows=250)
    assert shown["depth"].to_list() == [0, 1, 2, 3, 4]
    assert "first 5 of the 10,000 nodes" in note and "to depth 4" in note
    assert "prevalence.csv" in note


def test_a_wide_tree_is_cut_at_the_rows() -> None:
    wide = pl.DataFrame({"code_id": [f"t{i}" for i in range(6_400)], "depth": [1] * 6_400})
    shown, note = limited_tree(wide, depth=4, rows=250)
    assert shown.height == 250 and shown["code_id"][0] == "t0"
    assert "to depth" not in note and "report.table_rows = 250" in note


def test_a_small_tree_is_whole_and_says_nothing() -> None:
    shown, note = limited_tree(chain(4), depth=4, rows=250)
    assert shown.height == 4 and note == ""
