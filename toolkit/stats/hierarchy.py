"""The codebook as a tree: depth, preorder, and the ancestor closure used for roll-up."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import polars as pl


def closure(codebook: pl.DataFrame, codes: Iterable[str] | None = None) -> pl.DataFrame:
    """Every (code, ancestor) pair, the code itself included (distance 0).

    A coding on a code counts for the code and each of its ancestors: joining codings to this
    frame on ``code_id`` and grouping by ``ancestor_id`` rolls the codebook up.

    Built with integer positions, one step up the tree at a time over the codes that still
    have a parent, so the work is the size of the result (the last closure is kept: a report
    asks for it several times). A codebook that is one deep chain has n(n+1)/2 pairs; callers
    that need only the nodes of one depth should walk the tree instead.

    Args:
        codebook: canonical codebook (``code_id``, ``parent_id``), validated (no cycles).
        codes: only the pairs of these codes (for instance the coded ones: a roll-up needs
            no others); None: every code of the codebook.

    Returns:
        Frame ``code_id``, ``ancestor_id`` (String), ``distance`` (Int32).
    """
    cached = _last_closure.get("codebook")
    tree = codebook.select(pl.col("code_id", "parent_id").cast(pl.String))
    if codes is None and cached is not None and cached.equals(tree):
        return _last_closure["closure"]
    ids = codebook["code_id"].cast(pl.String).to_list()
    parents = codebook["parent_id"].cast(pl.String).to_list()
    index = {code: i for i, code in enumerate(ids)}
    names = list(ids)
    parent = np.full(len(ids), -1, dtype=np.int64)
    for i, name in enumerate(parents):
        if name is None:
            continue
        if name not in index:  # not in the codebook (validation refuses it): a bare ancestor
            index[name] = len(names)
            names.append(name)
        parent[i] = index[name]
    parent = np.concatenate([parent, np.full(len(names) - len(ids), -1, dtype=np.int64)])
    code = (
        np.arange(len(ids), dtype=np.int64)
        if codes is None
        else np.array(
            sorted({index[c] for c in codes if c in index and index[c] < len(ids)}), dtype=np.int64
        )
    )
    ancestor = code.copy()
    found, ancestors, distances = [code], [ancestor], [np.zeros(code.size, dtype=np.int32)]
    distance = 0
    while code.size:
        ancestor = parent[ancestor]
        keep = ancestor >= 0
        code, ancestor = code[keep], ancestor[keep]
        distance += 1
        found.append(code)
        ancestors.append(ancestor)
        distances.append(np.full(code.size, distance, dtype=np.int32))
    every = pl.Series(names, dtype=pl.String)
    result = pl.DataFrame(
        {
            "code_id": every.gather(np.concatenate(found)),
            "ancestor_id": every.gather(np.concatenate(ancestors)),
            "distance": pl.Series(np.concatenate(distances), dtype=pl.Int32),
        }
    )
    if codes is None:
        _last_closure.clear()
        _last_closure.update(codebook=tree, closure=result)
    return result


_last_closure: dict[str, pl.DataFrame] = {}


def tree_order(codebook: pl.DataFrame) -> pl.DataFrame:
    """Codebook nodes in preorder (parents before children, siblings in file order).

    Returns:
        Frame ``code_id``, ``label``, ``parent_id``, ``depth`` (Int32, 0 at a root),
        ``order`` (Int32, preorder position), ``root_id`` (the node's top-level ancestor).
    """
    ids = codebook["code_id"].to_list()
    parent_of = dict(zip(ids, codebook["parent_id"].to_list(), strict=True))
    children: dict[str | None, list[str]] = {}
    for code in ids:
        children.setdefault(parent_of[code], []).append(code)
    order: list[tuple[str, int, str]] = []
    stack: list[tuple[str, int, str]] = [(c, 0, c) for c in reversed(children.get(None, []))]
    while stack:
        code, depth, root = stack.pop()
        order.append((code, depth, root))
        stack.extend((child, depth + 1, root) for child in reversed(children.get(code, [])))
    positions = (
        pl.DataFrame(
            {
                "code_id": [c for c, _, _ in order],
                "depth": [d for _, d, _ in order],
                "root_id": [r for _, _, r in order],
            },
            schema={"code_id": pl.String, "depth": pl.Int32, "root_id": pl.String},
        )
        .with_row_index("order")
        .with_columns(pl.col("order").cast(pl.Int32))
    )
    return (
        codebook.select("code_id", "label", "parent_id")
        .join(positions, on="code_id", how="inner")
        .sort("order")
        .select("code_id", "label", "parent_id", "depth", "order", "root_id")
    )
