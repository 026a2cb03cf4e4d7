"""Theme prevalence: how many participants voiced each codebook node, with intervals.

Definitions (SPEC §2):

- denominator n: the participants of the study (or stratum), including those with no coding;
- numerator x: distinct participants with at least one coding on the node or any descendant;
- segments: coded segments on the node and its descendants;
- prevalence = x / n, with a confidence interval from :func:`toolkit.stats.proportion_ci`;
  with ``method="hypergeometric"`` the interval is for the population proportion M/N of a
  known, finite population (``study.population``), per stratum where its size is declared
  (Clopper–Pearson, the N → ∞ limit, where it is not; ``ci_method`` says which per row).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from toolkit.frames.study import PREVALENCE
from toolkit.model import CODE_ID, PARTICIPANT_ID, Study
from toolkit.stats.hierarchy import tree_order
from toolkit.stats.intervals import METHODS, FloatArray, check_level, proportion_limits
from toolkit.stats.rollup import NodeCounts, narrow_positions, positions, rolled_up_counts
from toolkit.stats.strata import stratum_frame

COLUMNS = PREVALENCE.names  # SPEC §3 order, declared once with the dtypes and rules


def _populations(
    frame: pl.DataFrame, population: int | None, strata: Mapping[str, Mapping[str, int]]
) -> FloatArray:
    """N per row: the study's for overall rows, the stratum's where declared; NaN where no
    size is known (those rows fall back to Clopper–Pearson, the N → ∞ limit)."""
    sizes = []
    for variable, value in frame.select("stratum_variable", "stratum_value").iter_rows():
        if variable is None:
            sizes.append(np.nan if population is None else float(population))
        else:
            size = strata.get(variable, {}).get(value) if value is not None else None
            sizes.append(np.nan if size is None else float(size))
    return np.asarray(sizes, dtype=np.float64)


def _with_intervals(
    frame: pl.DataFrame,
    *,
    method: str,
    level: float,
    population: int | None = None,
    population_strata: Mapping[str, Mapping[str, int]] | None = None,
) -> pl.DataFrame:
    x = frame["participants"].to_numpy().astype(np.float64)
    n = frame["denominator"].to_numpy().astype(np.float64)
    has_n = n > 0
    lower = np.full(x.shape, np.nan)
    upper = np.full(x.shape, np.nan)
    methods = np.full(x.shape, method, dtype=object)
    if method == "hypergeometric":
        sizes = _populations(frame, population, population_strata or {})
        known = has_n & ~np.isnan(sizes)
        if (sizes[known] < n[known]).any():
            from toolkit.errors import UsageError

            raise UsageError(
                "study.population is smaller than the participants interviewed: the "
                "population size N must be at least n (overall and in every stratum given)"
            )
        if known.any():
            lower[known], upper[known] = proportion_limits(
                x[known], n[known], method=method, level=level, population=sizes[known]
            )
        has_n = has_n & ~known
        methods[has_n] = "clopper_pearson"
    if has_n.any():
        lower[has_n], upper[has_n] = proportion_limits(
            x[has_n], n[has_n], method=methods[has_n][0], level=level
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        prevalence = np.where(n > 0, x / np.where(n > 0, n, 1), np.nan)
    frame = frame.with_columns(
        pl.Series("prevalence", prevalence).fill_nan(None),
        pl.Series("ci_lower", lower).fill_nan(None),
        pl.Series("ci_upper", upper).fill_nan(None),
        pl.Series("ci_method", methods.tolist(), dtype=pl.String),
        pl.lit(level).alias("ci_level"),
        pl.lit(False).alias("suppressed"),
    )
    return frame


def _node_counts(
    study: Study, *, coder: str | None, groupings: Sequence[tuple[np.ndarray, int]]
) -> list[NodeCounts]:
    """Participants and segments per codebook node (rolled up) for each grouping."""
    codings = study.codings
    # Strings become positions once (a hash lookup per coding; validation usually did it
    # already); the counting works on integers.
    found_participant, found_code = study.coding_positions()
    if coder is not None:
        keep = codings["coder"] == coder
        codings = codings.filter(keep)
        found_participant = None if found_participant is None else found_participant.filter(keep)
        found_code = None if found_code is None else found_code.filter(keep)
    code_ids = study.codebook[CODE_ID].to_list()
    participant = (
        narrow_positions(codings[PARTICIPANT_ID], study.participants[PARTICIPANT_ID].to_list())
        if found_participant is None
        else found_participant.cast(pl.Int32).to_numpy()
    )
    node = (
        narrow_positions(codings[CODE_ID], code_ids)
        if found_code is None
        else found_code.cast(pl.Int32).to_numpy()
    )
    parent = (
        study.codebook["parent_id"]
        .cast(pl.Enum(code_ids))
        .to_physical()
        .cast(pl.Int64)
        .fill_null(-1)
        .to_numpy()
    )
    return rolled_up_counts(
        participant,
        node,
        parent=parent,
        n_participants=study.n_participants,
        groupings=groupings,
    )


def prevalence(
    study: Study,
    *,
    by: Sequence[str] = (),
    method: str = "wilson",
    level: float = 0.95,
    coder: str | None = None,
    population: int | None = None,
    population_strata: Mapping[str, Mapping[str, int]] | None = None,
) -> pl.DataFrame:
    """Prevalence of every codebook node, overall and within strata: raw counts.

    Nothing is suppressed here (``suppressed`` is false on every row): small-cell
    suppression is the disclosure gate's work (:mod:`toolkit.privacy`), applied once by the
    analysis layer (:mod:`toolkit.analysis`), which also resolves the study's settings.

    Args:
        study: a validated study.
        by: attributes to stratify by (categorical, or numeric with bins).
        method: CI method (one of :data:`toolkit.choices.CI_METHODS`).
        level: CI level, between 0 and 1.
        coder: use only this coder's codings (None: every coding).
        population: N, the finite population the participants were drawn from (used by the
            ``hypergeometric`` method).
        population_strata: per attribute and level, that stratum's population size.

    Returns:
        One row per node overall (empty ``stratum_variable``/``stratum_value``), then one per
        node and level of each ``by`` attribute, nodes in codebook preorder, levels in their
        declared order with ``missing`` last. Columns: :data:`COLUMNS`.

    Raises:
        UsageError: unknown attribute or method, level outside (0, 1), a hypergeometric
            interval without a population, or a population smaller than its sample.
    """
    if method == "hypergeometric" and population is None:
        from toolkit.errors import UsageError

        raise UsageError(
            "the hypergeometric interval needs study.population: the size N of the known "
            "population the participants were drawn from"
        )
    if method not in METHODS:
        from toolkit.errors import UsageError

        raise UsageError(f"unknown CI method '{method}'; choose one of {', '.join(METHODS)}")
    check_level(level)

    nodes = tree_order(study.codebook).select("code_id", "label", "parent_id", "depth")
    groupings: list[tuple[np.ndarray, int]] = [(np.zeros(study.n_participants, dtype=np.int64), 1)]
    level_lists: list[list[str]] = [[]]
    for attribute in by:
        strata, levels = stratum_frame(study, attribute)
        groupings.append((positions(strata["stratum_value"], levels), len(levels)))
        level_lists.append(levels)
    for attribute, levels in zip(by, level_lists[1:], strict=True):
        unknown = sorted(set((population_strata or {}).get(attribute, {})) - set(levels))
        if unknown:
            from toolkit.errors import UsageError

            raise UsageError(
                f"study.population.strata.{attribute} names {', '.join(unknown)}, not a level "
                f"of '{attribute}' (its levels: {', '.join(levels)})"
            )
    counts = _node_counts(study, coder=coder, groupings=groupings)

    # Rows: nodes in codebook preorder overall, then per attribute level by level.
    node_position = positions(nodes[CODE_ID], study.codebook[CODE_ID].to_list())
    n_nodes = nodes.height
    parts = []
    for position, (levels, count) in enumerate(zip(level_lists, counts, strict=True)):
        variable = by[position - 1] if position else None
        values = pl.Series("stratum_value", levels or [None], dtype=pl.String)
        parts.append(
            pl.concat([nodes] * values.len()).with_columns(
                pl.lit(variable, pl.String).alias("stratum_variable"),
                values.gather(np.repeat(np.arange(values.len()), n_nodes)),
                pl.Series("participants", count.participants[node_position].T.ravel()),
                pl.Series("denominator", np.repeat(count.denominators, n_nodes)),
                pl.Series("segments", count.segments[node_position].T.ravel()),
            )
        )
    frame = pl.concat(parts).with_columns(
        pl.col("depth").cast(pl.Int64),
        pl.col("participants", "denominator", "segments").cast(pl.Int64),
    )
    frame = _with_intervals(
        frame,
        method=method,
        level=float(level),
        population=population,
        population_strata=population_strata,
    )
    return frame.select(COLUMNS)
