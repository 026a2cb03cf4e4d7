"""The report shows a bounded part of a very deep or very wide codebook (issue 17).

A 10,000-level codebook wrote a 300 MB report.qmd; the report now shows the tree to
``report.table_depth`` and at most ``report.table_rows`` rows, says so, and points to the
CSV beside it. Every study written here is SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path

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


def test_the_report_of_a_deep_chain_shows_a_bounded_tree(tmp_path: Path) -> None:
    from toolkit.analysis import analyse_study, load
    from toolkit.report.document import build_study_report
    from toolkit.report.spec import Note, Table

    levels = 2_000  # the old report wrote every level, each nested one deeper
    root = tmp_path / "chain"
    root.mkdir()
    (root / "codebook.csv").write_text(
        "code_id,label,parent_id\n"
        + "".join(f"c{i},Level {i},{'' if i == 0 else f'c{i - 1}'}\n" for i in range(levels))
    )
    (root / "participants.csv").write_text(
        "participant_id\n" + "".join(f"P{p}\n" for p in range(6))
    )
    (root / "codings.csv").write_text(
        "participant_id,code_id,quote\n" + "".join(f"P{p},c{300 * p + 7},q{p}\n" for p in range(6))
    )
    (root / "study.yml").write_text(
        "study: {id: chain-synthetic, title: Chain (synthetic), condition: {name: Testing}, "
        "synthetic: true}\n"
        "inputs: {participants: participants.csv, codebook: codebook.csv, codings: codings.csv}\n"
        "report: {table_depth: 3, table_rows: 250}\n"
    )
    study, settings = load(root)
    report = build_study_report(analyse_study(study, settings))
    section = next(s for s in report.sections if s.anchor == "prevalence")
    table = next(b for b in section.blocks if isinstance(b, Table) and b.name == "prevalence")
    assert len(table.rows) == 4 and max(table.indent) == 3
    notes = [b.text for b in section.blocks if isinstance(b, Note)]
    assert any("first 4 of the 2,000 nodes" in n and "prevalence.csv" in n for n in notes)
    assert report.results["prevalence"].height >= levels  # the CSV beside it has every node
