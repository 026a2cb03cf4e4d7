"""Pooled proportions for every group of a frame (every theme across cohorts), at once.

The models are those of :mod:`toolkit.stats.meta`. The binomial-normal GLMM is fitted to all
groups together (:func:`toolkit.stats.glmm.fit` is vectorised over groups); the two-step
models loop over groups. Below :data:`MIN_COHORTS` cohorts there is no pooled estimate: with
two cohorts τ² cannot be told from noise, and a random-effects interval is meaningless
(IntHout et al. 2014); the row then says so in ``note``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from toolkit.stats import glmm
from toolkit.stats.intervals import FloatArray, check_level, z_value
from toolkit.stats.meta import (
    CORRECTION,
    METHOD_NAMES,
    MIN_PREDICTION,
    check_method,
    pool_proportions,
    t_value,
)

MIN_COHORTS = 3
"""Cohorts needed for a pooled estimate."""

FEW_COHORTS = f"fewer than {MIN_COHORTS} cohorts: no pooled estimate"
NO_MAXIMUM = (
    "no usable maximum-likelihood estimate: cohorts at 0% or 100% leave the binomial-normal "
    "model unbounded or its tau² above 25 (see the cohort rows)"
)

POOLED_SCHEMA: dict[str, type[pl.DataType]] = {
    "k": pl.Int64,
    "prevalence": pl.Float64,
    "ci_lower": pl.Float64,
    "ci_upper": pl.Float64,
    "logit": pl.Float64,
    "logit_se": pl.Float64,
    "tau2": pl.Float64,
    "i2": pl.Float64,
    "q": pl.Float64,
    "q_pvalue": pl.Float64,
    "pi_lower": pl.Float64,
    "pi_upper": pl.Float64,
    "corrected": pl.Int64,
    "method": pl.String,
    "note": pl.String,
}
"""The columns :func:`pool_frame` adds after the grouping columns."""

_NUMBERS = [c for c, t in POOLED_SCHEMA.items() if t == pl.Float64]


def _expit(values: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore"):
        return np.exp(-np.logaddexp(0.0, -values))


def _heterogeneity(x: FloatArray, n: FloatArray, tau2: FloatArray) -> dict[str, FloatArray]:
    """Q, its p-value, I² and the corrected-cohort count per row (n = 0: cohort absent)."""
    from scipy.special import chdtrc

    present = n > 0
    edge = present & ((x == 0) | (x == n))
    c = np.where(edge, CORRECTION, 0.0)
    a, b = x + c, n - x + c
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(present, np.log(a / b), 0.0)
        w = np.where(present, 1.0 / (1.0 / a + 1.0 / b), 0.0)
    k = present.sum(axis=1)
    total = w.sum(axis=1)
    mean = (w * y).sum(axis=1) / total
    q = (w * (y - mean[:, None]) ** 2).sum(axis=1)
    df = k - 1
    typical = df * total / (total**2 - (w * w).sum(axis=1))
    i2 = np.where(tau2 > 0, tau2 / (tau2 + typical), 0.0)
    return {
        "q": q,
        "q_pvalue": chdtrc(df, q),
        "i2": i2,
        "corrected": edge.sum(axis=1).astype(np.float64),
    }


def _glmm_rows(x: FloatArray, n: FloatArray, level: float) -> dict[str, FloatArray]:
    """Every GLMM column for groups × cohorts matrices (NaN where there is no estimate)."""
    fit = glmm.fit(x, n)
    k = (n > 0).sum(axis=1)
    z = z_value(level)
    half = z * fit.se
    t = np.array([t_value(level, int(d)) if d >= 1 else np.nan for d in k - 2])
    pi_half = np.where(k >= MIN_PREDICTION, t * np.sqrt(fit.tau2 + fit.se**2), np.nan)
    out = {
        "prevalence": _expit(fit.mu),
        "ci_lower": _expit(fit.mu - half),
        "ci_upper": _expit(fit.mu + half),
        "logit": fit.mu,
        "logit_se": fit.se,
        "tau2": fit.tau2,
        "pi_lower": _expit(fit.mu - pi_half),
        "pi_upper": _expit(fit.mu + pi_half),
    }
    out |= _heterogeneity(x, n, np.where(fit.converged, fit.tau2, 0.0))
    for name in ("i2", "q", "q_pvalue"):
        out[name] = np.where(fit.converged, out[name], np.nan)
    return out


def _two_step_row(
    xs: FloatArray, ns: FloatArray, method: str, level: float, hksj: bool
) -> dict[str, Any]:
    pooled = pool_proportions(xs, ns, method=method, level=level, hksj=hksj)
    return {
        "prevalence": pooled.proportion,
        "ci_lower": pooled.ci_lower,
        "ci_upper": pooled.ci_upper,
        "logit": pooled.logit.estimate,
        "logit_se": pooled.logit.se,
        "tau2": pooled.logit.tau2,
        "i2": pooled.logit.i2,
        "q": pooled.logit.q,
        "q_pvalue": pooled.logit.q_pvalue,
        "pi_lower": pooled.pi_lower,
        "pi_upper": pooled.pi_upper,
        "corrected": pooled.corrected,
    }


def pool_frame(
    frame: pl.DataFrame,
    *,
    by: str | Sequence[str],
    successes: str = "participants",
    totals: str = "denominator",
    method: str = "glmm",
    level: float = 0.95,
    hksj: bool = False,
) -> pl.DataFrame:
    """Pool every group of ``frame`` (for example every theme) across its rows (cohorts).

    Args:
        frame: one row per group and cohort, with count columns ``successes`` and ``totals``.
            Rows with a null count, or a total of 0, are left out of the pooling (cohorts that
            cannot be compared on that group).
        by: the grouping column(s).
        successes, totals: names of the count columns.
        method: "glmm" (default), "dl" or "reml".
        level: confidence level of the interval and of the prediction interval.
        hksj: Hartung–Knapp–Sidik–Jonkman interval (two-step models only).

    Returns:
        One row per group, in order of first appearance: the ``by`` columns, then
        :data:`POOLED_SCHEMA`: ``k`` (cohorts pooled), ``prevalence`` and its interval,
        ``logit`` (μ̂) and ``logit_se``, ``tau2``, ``i2``, ``q``, ``q_pvalue``, ``pi_lower``
        and ``pi_upper`` (prediction interval), ``corrected``, ``method`` (the model's short
        name) and ``note``. A group with fewer than :data:`MIN_COHORTS` cohorts, or (GLMM)
        with every cohort at 0% or 100%, has null numbers and a ``note`` saying why.

    Raises:
        UsageError: an unknown method, HKSJ with the GLMM, a level outside (0, 1).
    """
    chosen = check_method(method, hksj=hksj)
    check_level(level)
    keys = [by] if isinstance(by, str) else list(by)
    groups = frame.select(keys).unique(maintain_order=True).with_row_index("_g")
    usable = (
        frame.filter(
            pl.col(successes).is_not_null() & pl.col(totals).is_not_null() & (pl.col(totals) > 0)
        )
        .join(groups, on=keys, how="inner", nulls_equal=True)
        .with_columns(pl.int_range(pl.len()).over("_g").alias("_c"))
    )
    size = groups.height
    width = int(usable["_c"].to_numpy().max()) + 1 if usable.height else 1
    x = np.zeros((size, width))
    n = np.zeros((size, width))
    g, c = usable["_g"].to_numpy(), usable["_c"].to_numpy()
    x[g, c] = usable[successes].to_numpy().astype(np.float64)
    n[g, c] = usable[totals].to_numpy().astype(np.float64)
    k = (n > 0).sum(axis=1)
    enough = np.flatnonzero(k >= MIN_COHORTS)
    columns: dict[str, Any] = {name: np.full(size, np.nan) for name in _NUMBERS}
    columns["corrected"] = np.full(size, np.nan)
    if enough.size and chosen == "glmm":
        for name, values in _glmm_rows(x[enough], n[enough], level).items():
            columns[name][enough] = values
    else:
        for i in enough:
            present = n[i] > 0
            row = _two_step_row(x[i, present], n[i, present], chosen, level, hksj)
            for name, value in row.items():
                columns[name][i] = np.nan if value is None else value
    estimated = ~np.isnan(columns["prevalence"])
    columns["corrected"][~estimated] = np.nan
    note = np.where(k < MIN_COHORTS, FEW_COHORTS, np.where(estimated, "", NO_MAXIMUM))
    out = groups.drop("_g").with_columns(
        pl.Series("k", k, dtype=pl.Int64),
        *[pl.Series(name, columns[name], dtype=pl.Float64).fill_nan(None) for name in _NUMBERS],
        pl.Series("corrected", columns["corrected"]).fill_nan(None).cast(pl.Int64),
        pl.Series("method", np.where(estimated, METHOD_NAMES[chosen], ""), dtype=pl.String),
        pl.Series("note", note, dtype=pl.String),
    )
    return out.with_columns(
        pl.when(pl.col("method") == "").then(None).otherwise(pl.col("method")).alias("method"),
        pl.when(pl.col("note") == "").then(None).otherwise(pl.col("note")).alias("note"),
    ).select([*keys, *POOLED_SCHEMA])
