"""Theme prevalence: how many participants voiced each codebook node, with intervals.

Definitions (SPEC §2):

- denominator n: the participants of the study (or stratum), including those with no coding;
- numerator x: distinct participants with at least one coding on the node or any descendant;
- segments: coded segments on the node and its descendants;
- prevalence = x / n, with a confidence interval from :func:`toolkit.stats.proportion_ci`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from toolkit.model import CODE_ID, PARTICIPANT_ID, Study
from toolkit.stats.hierarchy import closure, tree_order
from toolkit.stats.intervals import METHODS, check_level, proportion_limits
from toolkit.stats.strata import stratum_frame

COLUMNS = (
    "code_id",
    "label",
    "parent_id",
    "depth",
    "stratum_variable",
    "stratum_value",
    "participants",
    "denominator",
    "prevalence",
    "ci_lower",
    "ci_upper",
    "ci_method",
    "ci_level",
    "segments",
    "suppressed",
)


def coded_hits(study: Study, *, coder: str | None = None) -> pl.LazyFrame:
    """(participant_id, node) for every coding, rolled up to every ancestor node.

    One row per coding and ancestor, so ``len`` per node counts segments and ``n_unique``
    of participant_id counts participants.
    """
    codings = study.codings.lazy().select(PARTICIPANT_ID, CODE_ID, "coder")
    if coder is not None:
        codings = codings.filter(pl.col("coder") == coder)
    pairs = closure(study.codebook).lazy().select(CODE_ID, pl.col("ancestor_id").alias("node"))
    return codings.join(pairs, on=CODE_ID).select(PARTICIPANT_ID, "node")


def _with_intervals(
    frame: pl.DataFrame, *, method: str, level: float, min_cell: int
) -> pl.DataFrame:
    x = frame["participants"].to_numpy().astype(np.float64)
    n = frame["denominator"].to_numpy().astype(np.float64)
    has_n = n > 0
    lower = np.full(x.shape, np.nan)
    upper = np.full(x.shape, np.nan)
    if has_n.any():
        lower[has_n], upper[has_n] = proportion_limits(
            x[has_n], n[has_n], method=method, level=level
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        prevalence = np.where(has_n, x / np.where(has_n, n, 1), np.nan)
    frame = frame.with_columns(
        pl.Series("prevalence", prevalence).fill_nan(None),
        pl.Series("ci_lower", lower).fill_nan(None),
        pl.Series("ci_upper", upper).fill_nan(None),
        pl.lit(method).alias("ci_method"),
        pl.lit(level).alias("ci_level"),
    )
    if min_cell > 0:
        from toolkit.privacy import suppress

        return suppress(frame, min_cell=min_cell)
    return frame.with_columns(pl.lit(False).alias("suppressed"))


def prevalence(
    study: Study,
    *,
    by: Sequence[str] = (),
    method: str | None = None,
    level: float | None = None,
    coder: str | None = None,
    min_cell: int | None = None,
) -> pl.DataFrame:
    """Prevalence of every codebook node, overall and within strata.

    Args:
        study: a validated study.
        by: attributes to stratify by (categorical, or numeric with bins).
        method: CI method (default: the study's ``analysis.ci.method``).
        level: CI level (default: the study's ``analysis.ci.level``).
        coder: use only this coder's codings (default: ``analysis.coder``, else all codings).
        min_cell: small-cell suppression threshold (default: ``analysis.min_cell``).

    Returns:
        One row per node overall (empty ``stratum_variable``/``stratum_value``), then one per
        node and level of each ``by`` attribute, nodes in codebook preorder, levels in their
        declared order with ``missing`` last. Columns: :data:`COLUMNS`.

    Raises:
        UsageError: unknown attribute or method, level outside (0, 1).
    """
    settings = study.manifest.analysis
    method = method or settings.ci.method
    level = settings.ci.level if level is None else level
    coder = coder if coder is not None else settings.coder
    min_cell = settings.min_cell if min_cell is None else min_cell
    if method not in METHODS:
        from toolkit.errors import UsageError

        raise UsageError(f"unknown CI method '{method}'; choose one of {', '.join(METHODS)}")
    check_level(level)

    nodes = (
        tree_order(study.codebook).select("code_id", "label", "parent_id", "depth", "order").lazy()
    )
    hits = coded_hits(study, coder=coder)
    n_total = study.n_participants

    overall = nodes.join(
        hits.group_by("node").agg(
            pl.col(PARTICIPANT_ID).n_unique().alias("participants"), pl.len().alias("segments")
        ),
        left_on="code_id",
        right_on="node",
        how="left",
    ).with_columns(
        pl.lit(None, pl.String).alias("stratum_variable"),
        pl.lit(None, pl.String).alias("stratum_value"),
        pl.lit(0, pl.Int32).alias("_variable"),
        pl.lit(0, pl.Int32).alias("_level"),
        pl.lit(n_total, pl.Int64).alias("denominator"),
    )
    parts = [overall]
    for position, attribute in enumerate(by, start=1):
        strata, levels = stratum_frame(study, attribute)
        level_order = pl.DataFrame(
            {"stratum_value": levels, "_level": list(range(len(levels)))},
            schema={"stratum_value": pl.String, "_level": pl.Int32},
        ).lazy()
        denominators = level_order.join(
            strata.lazy()
            .group_by("stratum_value")
            .agg(pl.len().cast(pl.Int64).alias("denominator")),
            on="stratum_value",
            how="left",
        ).with_columns(pl.col("denominator").fill_null(0))
        counts = (
            hits.join(strata.lazy(), on=PARTICIPANT_ID)
            .group_by("node", "stratum_value")
            .agg(
                pl.col(PARTICIPANT_ID).n_unique().alias("participants"), pl.len().alias("segments")
            )
        )
        part = (
            nodes.join(denominators, how="cross")
            .join(
                counts,
                left_on=["code_id", "stratum_value"],
                right_on=["node", "stratum_value"],
                how="left",
            )
            .with_columns(
                pl.lit(attribute).alias("stratum_variable"),
                pl.lit(position, pl.Int32).alias("_variable"),
            )
        )
        parts.append(part)
    frame = (
        pl.concat(parts, how="diagonal_relaxed")
        .with_columns(
            pl.col("participants").fill_null(0).cast(pl.Int64),
            pl.col("segments").fill_null(0).cast(pl.Int64),
            pl.col("depth").cast(pl.Int64),
        )
        .sort("_variable", "_level", "order")
        .collect()
    )
    frame = _with_intervals(frame, method=method, level=float(level), min_cell=min_cell)
    return frame.select(COLUMNS)
