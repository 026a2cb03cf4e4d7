"""The codebook as a tree: depth, preorder, and the ancestor closure used for roll-up."""

from __future__ import annotations

import polars as pl


def closure(codebook: pl.DataFrame) -> pl.DataFrame:
    """Every (code, ancestor) pair, the code itself included (distance 0).

    A coding on a code counts for the code and each of its ancestors: joining codings to this
    frame on ``code_id`` and grouping by ``ancestor_id`` rolls the codebook up.

    Args:
        codebook: canonical codebook (``code_id``, ``parent_id``), validated (no cycles).

    Returns:
        Frame ``code_id``, ``ancestor_id`` (String), ``distance`` (Int32).
    """
    parents = codebook.select(pl.col("code_id"), pl.col("parent_id").alias("ancestor_id"))
    level = codebook.select(
        pl.col("code_id"),
        pl.col("code_id").alias("ancestor_id"),
        pl.lit(0, pl.Int32).alias("distance"),
    )
    pieces = [level]
    for _ in range(codebook.height):
        level = (
            level.join(
                parents.rename({"code_id": "ancestor_id", "ancestor_id": "next"}), on="ancestor_id"
            )
            .filter(pl.col("next").is_not_null())
            .select(
                "code_id",
                pl.col("next").alias("ancestor_id"),
                (pl.col("distance") + 1).alias("distance"),
            )
        )
        if level.height == 0:
            break
        pieces.append(level)
    return pl.concat(pieces)


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
