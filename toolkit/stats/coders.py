"""Coder uncertainty in prevalence: per coder, the union and the intersection of coders.

raremix's prevalence counts a participant for a node when any coder coded them with it (the
union): with several coders that is an upper bound. This module gives the band around it:

- per coder: participants that coder coded with the node, out of the participants that coder
  coded at all (a second coder who double-coded 5 transcripts speaks for those 5);
- ``union``: participants any coder coded with the node (raremix's prevalence), out of all
  participants;
- ``intersection``: participants every coder who coded them coded with the node (both coders
  agree where both coded; a participant coded by one coder counts as that coder coded them),
  out of all participants: the lower bound.

Participants no coder coded count in the union's and intersection's denominators (they
voiced nothing that was coded), as in SPEC §2.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from toolkit.model import Study
from toolkit.stats.intervals import METHODS, check_level, proportion_limits

UNION = "union"
INTERSECTION = "intersection"

CODER_PREVALENCE_COLUMNS = (
    "code_id",
    "label",
    "depth",
    "coder",
    "participants",
    "denominator",
    "prevalence",
    "ci_lower",
    "ci_upper",
    "ci_method",
    "ci_level",
)


def coder_prevalence(study: Study, *, method: str = "wilson", level: float = 0.95) -> pl.DataFrame:
    """Prevalence of every codebook node per coder, for the union and for the intersection.

    Args:
        study: a study whose codings carry a ``coder`` column with at least two coders.
        method: interval method (not ``hypergeometric``: a coder's sample is not a draw
            from the population).
        level: interval level.

    Returns:
        One row per node (codebook preorder) and ``coder`` (each coder in name order, then
        ``union``, then ``intersection``): :data:`CODER_PREVALENCE_COLUMNS`. For every node,
        intersection ≤ union in participants.

    Raises:
        UsageError: fewer than two coders, an unknown method or a level outside (0, 1).
    """
    from toolkit.errors import UsageError
    from toolkit.stats.agreement import presence_matrix
    from toolkit.stats.hierarchy import closure, tree_order

    if method not in METHODS or method == "hypergeometric":
        raise UsageError(f"unknown CI method '{method}' for coder prevalence")
    check_level(level)
    wide, coders = presence_matrix(study, closure=closure(study.codebook))
    total = study.n_participants
    order = tree_order(study.codebook).select("code_id", "label", "depth")
    values = wide.select(coders).to_numpy().astype(np.float64)  # rows: node × participant
    nodes = wide["code_id"].to_numpy()
    covered = (~np.isnan(values)).astype(np.float64)
    union = np.nanmax(values, axis=1)
    # Every coder who coded the participant coded the node: the minimum over those coders.
    intersection = np.nanmin(values, axis=1)
    records = []
    position = {code: i for i, code in enumerate(order["code_id"].to_list())}
    codes = np.array([position[c] for c in nodes])
    size = order.height
    for name, hits, base in [
        *((coder, np.nan_to_num(values[:, j]), covered[:, j]) for j, coder in enumerate(coders)),
        (UNION, union, None),
        (INTERSECTION, intersection, None),
    ]:
        x = np.asarray(np.bincount(codes, weights=hits, minlength=size), dtype=np.float64)
        if base is None:
            n = np.full(size, float(total))
        else:
            n = np.asarray(np.bincount(codes, weights=base, minlength=size), dtype=np.float64)
        records.append((name, x, n))
    parts = []
    for name, x, n in records:
        lower = np.full(size, np.nan)
        upper = np.full(size, np.nan)
        has = n > 0
        if has.any():
            lower[has], upper[has] = proportion_limits(x[has], n[has], method=method, level=level)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(has, x / np.where(has, n, 1.0), np.nan)
        parts.append(
            order.with_columns(
                pl.lit(name).alias("coder"),
                pl.Series("participants", x.round().astype(np.int64)),
                pl.Series("denominator", n.round().astype(np.int64)),
                pl.Series("prevalence", share).fill_nan(None),
                pl.Series("ci_lower", lower).fill_nan(None),
                pl.Series("ci_upper", upper).fill_nan(None),
                pl.lit(method).alias("ci_method"),
                pl.lit(float(level)).alias("ci_level"),
            )
        )
    frame = pl.concat(parts).with_columns(pl.col("depth").cast(pl.Int64))
    ranks = {name: i for i, (name, _, _) in enumerate(records)}
    return (
        frame.with_columns(
            pl.col("code_id").replace_strict(position, return_dtype=pl.Int64).alias("_node"),
            pl.col("coder").replace_strict(ranks, return_dtype=pl.Int64).alias("_coder"),
        )
        .sort("_node", "_coder")
        .select(CODER_PREVALENCE_COLUMNS)
    )
