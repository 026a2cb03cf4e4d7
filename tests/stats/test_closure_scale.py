"""The ancestor closure is built in work proportional to its size (issue 17).

The old closure joined the codebook to itself once per level: a 10,000-level chain took
10,000 joins (about 20 s). Every codebook here is SYNTHETIC.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from toolkit.stats.hierarchy import closure


def brute(ids: list[str], parents: list[str | None]) -> set[tuple[str, str, int]]:
    parent_of = dict(zip(ids, parents, strict=True))
    pairs = set()
    for code in ids:
        node, distance = code, 0
        while node is not None:
            pairs.add((code, node, distance))
            node, distance = parent_of.get(node), distance + 1
    return pairs


@pytest.mark.parametrize("seed", range(4))
def test_closure_matches_walking_up_each_code(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 80
    ids = [f"c{i}" for i in range(n)]
    parents = [
        None if i == 0 or rng.random() < 0.15 else f"c{rng.integers(0, i)}" for i in range(n)
    ]
    frame = closure(
        pl.DataFrame(
            {"code_id": ids, "parent_id": parents},
            schema={"code_id": pl.String, "parent_id": pl.String},
        )
    )
    assert frame.schema == pl.Schema(
        {"code_id": pl.String, "ancestor_id": pl.String, "distance": pl.Int32}
    )
    assert set(frame.iter_rows()) == brute(ids, parents)
    assert frame.height == len(brute(ids, parents))


def test_a_deep_chain() -> None:
    n = 4_000
    ids = [f"c{i}" for i in range(n)]
    book = pl.DataFrame({"code_id": ids, "parent_id": [None, *ids[:-1]]})
    frame = closure(book)
    assert frame.height == n * (n + 1) // 2
    assert frame.filter(pl.col("code_id") == "c3999")["distance"].max() == n - 1
    assert closure(book.clone()) is frame  # asked again for the same tree: kept


def test_the_closure_of_some_codes_is_their_part_of_the_whole() -> None:
    ids = [f"c{i}" for i in range(50)]
    parents = [None, *(f"c{i // 2}" for i in range(1, 50))]
    book = pl.DataFrame({"code_id": ids, "parent_id": parents})
    whole = closure(book)
    some = closure(book, codes=["c49", "c7", "absent"])
    assert set(some.iter_rows()) == set(
        whole.filter(pl.col("code_id").is_in(["c49", "c7"])).iter_rows()
    )
    assert closure(book) is whole  # asking for a part does not replace the kept whole
