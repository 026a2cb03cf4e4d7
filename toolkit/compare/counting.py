"""Per-cohort counts for each shared theme, with intervals, on the prevalence kernels.

The counting is the one of :mod:`toolkit.stats.prevalence` (SPEC §2): codings become integer
positions (:func:`toolkit.stats.rollup.positions`) and are counted by
:func:`toolkit.stats.rollup.reach_counts` (a coding reaches every theme its code, or one of
the code's ancestors, is mapped to) and :func:`toolkit.stats.rollup.rolled_up_counts` (the
study's own codebook, for codes that reach no theme); intervals come from
:func:`toolkit.stats.intervals.proportion_limits`, the same function as a study's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from toolkit.model import CODE_ID, PARTICIPANT_ID, Study
from toolkit.stats.hierarchy import closure
from toolkit.stats.intervals import proportion_limits
from toolkit.stats.rollup import positions, reach_counts, rolled_up_counts

COHORT_SCHEMA: dict[str, type[pl.DataType]] = {
    "theme_id": pl.String,
    "label": pl.String,
    "cohort": pl.String,
    "participants": pl.Int64,
    "denominator": pl.Int64,
    "ci_method": pl.String,
    "ci_level": pl.Float64,
    "codes": pl.String,
    "mapped": pl.Boolean,
    "parent_id": pl.String,
    "depth": pl.Int64,
    "segments": pl.Int64,
    "suppressed": pl.Boolean,
    "_order": pl.Int32,
}


@dataclass(frozen=True)
class Coded:
    """One study's codings (those of its coder, if one is set) as integer positions."""

    participant: np.ndarray
    code: np.ndarray
    code_ids: list[str]


def coded(study: Study, coder: str | None) -> Coded:
    """The codings counted for ``study``: all, or only ``coder``'s."""
    codings = study.codings
    if coder is not None:
        codings = codings.filter(pl.col("coder") == coder)
    code_ids = study.codebook[CODE_ID].to_list()
    participant_ids = study.participants[PARTICIPANT_ID].to_list()
    return Coded(
        positions(codings[PARTICIPANT_ID], participant_ids),
        positions(codings[CODE_ID], code_ids),
        code_ids,
    )


def theme_counts(
    study: Study, codings: Coded, mapping: pl.DataFrame, theme_closure: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per theme reached: ``participants`` and ``segments``; and the study's ``codes`` for it.

    Returns:
        ``(counts, codes)``: ``theme_id, participants, segments`` for themes with a coding,
        and ``theme_id, codes`` (comma-separated code ids) for every theme the study maps.
    """
    code_pairs = closure(study.codebook).select(CODE_ID, "ancestor_id")
    reach = (
        mapping.select(pl.col(CODE_ID).alias("ancestor_id"), "theme_id")
        .join(theme_closure, on="theme_id")
        .select("ancestor_id", "theme")
        .unique()
    )
    # A coding reaches a theme when its code, or one of the code's ancestors, is mapped to it.
    code_theme = code_pairs.join(reach, on="ancestor_id").select(CODE_ID, "theme").unique()
    themes = code_theme["theme"].unique(maintain_order=True).to_list()
    people, segments = reach_counts(
        codings.participant,
        codings.code,
        reach_node=positions(code_theme[CODE_ID], codings.code_ids),
        reach_target=positions(code_theme["theme"], themes),
        n_nodes=len(codings.code_ids),
        n_targets=len(themes),
        n_participants=study.n_participants,
    )
    counts = pl.DataFrame(
        {"theme_id": themes, "participants": people, "segments": segments},
        schema={"theme_id": pl.String, "participants": pl.Int64, "segments": pl.Int64},
    ).filter(pl.col("segments") > 0)
    codes = reach.group_by("theme").agg(
        pl.col("ancestor_id").unique().sort().str.join(", ").alias("codes")
    )
    return counts, codes.rename({"theme": "theme_id"})


def code_counts(study: Study, codings: Coded) -> dict[str, tuple[int, int]]:
    """Code id -> (participants, segments), each code counting its descendants."""
    parent = (
        study.codebook["parent_id"]
        .cast(pl.Enum(codings.code_ids))
        .to_physical()
        .cast(pl.Int64)
        .fill_null(-1)
        .to_numpy()
    )
    (counts,) = rolled_up_counts(
        codings.participant,
        codings.code,
        parent=parent,
        n_participants=study.n_participants,
        groupings=[(np.zeros(study.n_participants, dtype=np.int64), 1)],
    )
    return {
        code_id: (int(x), int(s))
        for code_id, x, s in zip(
            codings.code_ids, counts.participants[:, 0], counts.segments[:, 0], strict=True
        )
    }


def cohort_frame(
    study: Study,
    used: pl.DataFrame,
    counts: pl.DataFrame,
    codes: pl.DataFrame,
    *,
    ci: tuple[str, float],
    population: int | None = None,
) -> pl.DataFrame:
    """One row per used theme for ``study``: counts where the study maps the theme, else null.

    Args:
        study: the cohort.
        used: ``theme_id, label, parent_id, depth, order`` of the themes some study reaches.
        counts: :func:`theme_counts`'s counts.
        codes: :func:`theme_counts`'s codes.
        ci: the cohort's interval method and level.
        population: the cohort's finite population N (hypergeometric intervals), or None.
    """
    mapped = pl.col("codes").is_not_null()
    frame = used.join(codes, on="theme_id", how="left", maintain_order="left").join(
        counts, on="theme_id", how="left", maintain_order="left"
    )
    return frame.select(
        "theme_id",
        "label",
        pl.lit(study.id).alias("cohort"),
        pl.when(mapped).then(pl.col("participants").fill_null(0)).alias("participants"),
        pl.lit(study.n_participants).alias("denominator"),
        pl.lit(ci[0]).alias("ci_method"),
        pl.lit(float(ci[1])).alias("ci_level"),
        "codes",
        mapped.alias("mapped"),
        "parent_id",
        "depth",
        pl.when(mapped).then(pl.col("segments").fill_null(0)).alias("segments"),
        pl.lit(False).alias("suppressed"),
        pl.col("order").alias("_order"),
        pl.lit(population, pl.Float64).alias("_population"),
    ).cast(COHORT_SCHEMA)  # type: ignore[arg-type]


def with_intervals(frame: pl.DataFrame) -> pl.DataFrame:
    """Prevalence and CI per cohort row, each row with its own method and level."""
    prevalence = np.full(frame.height, np.nan)
    lower = np.full(frame.height, np.nan)
    upper = np.full(frame.height, np.nan)
    keyed = frame.with_row_index("_i").filter(pl.col("participants").is_not_null())
    for (method, level), group in keyed.group_by(["ci_method", "ci_level"], maintain_order=True):
        rows = group["_i"].to_numpy()
        x = group["participants"].to_numpy().astype(np.float64)
        n = group["denominator"].to_numpy().astype(np.float64)
        big = group["_population"].to_numpy() if method == "hypergeometric" else None
        lower[rows], upper[rows] = proportion_limits(
            x, n, method=str(method), level=float(level), population=big
        )
        prevalence[rows] = x / n
    return frame.with_columns(
        pl.Series("prevalence", prevalence, dtype=pl.Float64).fill_nan(None),
        pl.Series("ci_lower", lower, dtype=pl.Float64).fill_nan(None),
        pl.Series("ci_upper", upper, dtype=pl.Float64).fill_nan(None),
    ).drop("_population")


def cohort_rows(
    studies: Sequence[Study],
    used: pl.DataFrame,
    per_study: dict[str, tuple[pl.DataFrame, pl.DataFrame]],
    ci: dict[str, tuple[str, float]],
    populations: dict[str, int | None] | None = None,
) -> pl.DataFrame:
    """Every cohort's rows for the used themes, with intervals and ``comparable``."""
    sizes = populations or {}
    rows = pl.concat(
        [
            cohort_frame(s, used, *per_study[s.id], ci=ci[s.id], population=sizes.get(s.id))
            for s in studies
        ],
        how="vertical",
    )
    rows = with_intervals(rows)
    comparable = rows.group_by("theme_id").agg(pl.col("mapped").all().alias("comparable"))
    return rows.join(comparable, on="theme_id", how="left", maintain_order="left")
