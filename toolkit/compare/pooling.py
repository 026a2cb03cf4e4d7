"""Pooled rows (random-effects meta-analysis per theme) and pairwise cohort differences."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import polars as pl

from toolkit.privacy import suppress_counts
from toolkit.stats.differences import difference_ci
from toolkit.stats.meta import METHOD_NAMES
from toolkit.stats.pooled import MIN_COHORTS, pool_frame

POOLED = "pooled"

DIFFERENCE_COLUMNS = (
    "theme_id",
    "label",
    "cohort",
    "reference",
    "participants_cohort",
    "denominator_cohort",
    "prevalence_cohort",
    "participants_reference",
    "denominator_reference",
    "prevalence_reference",
    "difference",
    "ci_lower",
    "ci_upper",
    "ci_method",
    "ci_level",
    "suppressed",
)


def pooled_rows(
    cohort_rows: pl.DataFrame, *, pooling: str, level: float, hksj: bool = False
) -> pl.DataFrame:
    """One pooled row per theme over the cohorts that map it (:func:`toolkit.stats.pooled.pool_frame`).

    ``participants``, ``denominator`` and ``segments`` are totals over the pooled cohorts.
    Below :data:`toolkit.stats.pooled.MIN_COHORTS` cohorts there is no pooled estimate:
    ``mapped`` is false, every number is null and ``note`` says why.
    """
    mapped = cohort_rows.filter(pl.col("mapped"))
    pooled = pool_frame(
        mapped.select("theme_id", "participants", "denominator"),
        by="theme_id",
        method=pooling,
        level=level,
        hksj=hksj,
    )
    themes = cohort_rows.select(
        "theme_id", "label", "parent_id", "depth", "_order", "comparable"
    ).unique("theme_id", keep="first", maintain_order=True)
    totals = mapped.group_by("theme_id").agg(
        pl.col("participants").sum().alias("participants"),
        pl.col("denominator").sum().alias("denominator"),
        pl.col("segments").sum().alias("segments"),
        pl.col("suppressed").any().alias("suppressed"),
    )
    interval = "HKSJ" if hksj else "Wald"
    name = f"random effects, logit ({METHOD_NAMES[pooling]}, {interval})"
    out = (
        themes.join(pooled, on="theme_id", how="left", maintain_order="left")
        .join(totals, on="theme_id", how="left", maintain_order="left")
        .with_columns(
            pl.lit(POOLED).alias("cohort"),
            pl.lit(name).alias("ci_method"),
            pl.lit(level).alias("ci_level"),
            pl.lit(None, pl.String).alias("codes"),
            (pl.col("k").fill_null(0) >= MIN_COHORTS).alias("mapped"),
            pl.col("suppressed").fill_null(False),
        )
    )
    # Below MIN_COHORTS cohorts there is no pooled row's numbers, not even totals.
    return out.with_columns(
        [
            pl.when(pl.col("mapped")).then(pl.col(c)).otherwise(None).alias(c)
            for c in ("participants", "denominator", "segments")
        ]
    )


def _pairs(cohort_rows: pl.DataFrame, ids: Sequence[str]) -> pl.DataFrame:
    """Theme x pair of cohorts (later minus earlier) where both map the theme, in order."""
    pairs = [(b, a) for a, b in itertools.combinations(ids, 2)]
    pair_frame = pl.DataFrame(
        {
            "cohort": [b for b, _ in pairs],
            "reference": [a for _, a in pairs],
            "_pair": list(range(len(pairs))),
        },
        schema={"cohort": pl.String, "reference": pl.String, "_pair": pl.Int64},
    )
    themes = (
        cohort_rows.select("theme_id", "label")
        .unique("theme_id", maintain_order=True)
        .with_row_index("_theme")
    )
    mapped = cohort_rows.filter(pl.col("mapped")).select(
        "theme_id", "cohort", "participants", "denominator", "suppressed"
    )
    side = {"participants": "x", "denominator": "n", "suppressed": "hidden"}
    return (
        themes.join(pair_frame, how="cross")
        .join(
            mapped.rename({k: f"{v}1" for k, v in side.items()}),
            on=["theme_id", "cohort"],
            how="inner",
        )
        .join(
            mapped.rename({"cohort": "reference", **{k: f"{v}2" for k, v in side.items()}}),
            on=["theme_id", "reference"],
            how="inner",
        )
        .sort("_theme", "_pair")
    )


def _suppress(frame: pl.DataFrame, *, min_cell: int) -> pl.DataFrame:
    """Blank what would reveal a hidden cohort count (:func:`toolkit.privacy.suppress_counts`).

    A difference, its interval or a prevalence beside a hidden count would let a reader solve
    for that count (the other side's count and both denominators are shown); a small cohort
    size is blanked on its own.
    """
    derived = ["difference", "ci_lower", "ci_upper"]
    for side, hidden in (("cohort", "hidden1"), ("reference", "hidden2")):
        frame = suppress_counts(
            frame,
            min_cell=min_cell,
            counts={f"participants_{side}": [f"prevalence_{side}", *derived]},
            also=frame[hidden],
            flag=f"_{hidden}",
        )
        frame = suppress_counts(
            frame, min_cell=min_cell, counts={f"denominator_{side}": []}, flag="_small"
        ).drop("_small")
    hidden_any = pl.col("_hidden1") | pl.col("_hidden2")
    return frame.with_columns(hidden_any.alias("suppressed"))


def differences(
    cohort_rows: pl.DataFrame, ids: Sequence[str], *, method: str, level: float, min_cell: int
) -> pl.DataFrame:
    """Pairwise differences of prevalence per theme (:data:`DIFFERENCE_COLUMNS`).

    One vectorised :func:`toolkit.stats.difference_ci` call: 50 cohorts make 1225 pairs per
    theme. ``cohort_rows`` carries each cohort row's ``suppressed`` flag from the comparison's
    suppression; those counts and everything derived from them are blanked.
    """
    joined = _pairs(cohort_rows, ids)
    lower: Any = []
    upper: Any = []
    if joined.height:
        lower, upper = difference_ci(
            joined["x1"].to_numpy(),
            joined["n1"].to_numpy(),
            joined["x2"].to_numpy(),
            joined["n2"].to_numpy(),
            method=method,
            level=level,
        )
    x1, n1, x2, n2 = (pl.col(c).cast(pl.Float64) for c in ("x1", "n1", "x2", "n2"))
    frame = joined.select(
        "theme_id",
        "label",
        "cohort",
        "reference",
        pl.col("x1").alias("participants_cohort"),
        pl.col("n1").alias("denominator_cohort"),
        (x1 / n1).alias("prevalence_cohort"),
        pl.col("x2").alias("participants_reference"),
        pl.col("n2").alias("denominator_reference"),
        (x2 / n2).alias("prevalence_reference"),
        (x1 / n1 - x2 / n2).alias("difference"),
        pl.Series("ci_lower", lower, dtype=pl.Float64),
        pl.Series("ci_upper", upper, dtype=pl.Float64),
        pl.lit(method, pl.String).alias("ci_method"),
        pl.lit(level, pl.Float64).alias("ci_level"),
        "hidden1",
        "hidden2",
    )
    frame = _suppress(frame, min_cell=min_cell)
    return frame.cast(_difference_schema()).select(DIFFERENCE_COLUMNS)  # type: ignore[arg-type]


def _difference_schema() -> dict[str, type[pl.DataType]]:
    def dtype(column: str) -> type[pl.DataType]:
        if column.startswith(("participants", "denominator")):
            return pl.Int64
        if column.startswith(("prevalence", "difference", "ci_l", "ci_u")) or column == "ci_level":
            return pl.Float64
        return pl.Boolean if column == "suppressed" else pl.String

    return {c: dtype(c) for c in DIFFERENCE_COLUMNS}
