"""Random-effects meta-analysis of proportions on the logit scale, for pooling cohorts.

Each cohort i contributes x_i participants out of n_i. On the logit scale its estimate and
within-cohort variance are

    y_i = log((x_i + c) / (n_i − x_i + c)),    v_i = 1 / (x_i + c) + 1 / (n_i − x_i + c),

with the continuity correction c = 0.5 **only** for a cohort whose x_i is 0 or n_i (c = 0
otherwise), as R's ``metafor::escalc(measure="PLO")`` and ``meta::metaprop`` do by default.

The between-cohort variance τ² is estimated by DerSimonian and Laird's method of moments
(``method="dl"``, the default) or by restricted maximum likelihood (``method="reml"``); the
pooled logit is the inverse-variance weighted mean with weights 1 / (v_i + τ²), its Wald
interval is back-transformed to a proportion. Heterogeneity is reported as Cochran's Q (on
k − 1 degrees of freedom, with its χ² p-value), τ², and I² = τ² / (τ² + s²), s² being the
"typical" within-cohort variance of Higgins and Thompson (2002); for DerSimonian–Laird this
equals max(0, (Q − (k − 1)) / Q).

References:
    DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Controlled Clinical
    Trials 7:177–188.
    Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis.
    Statistics in Medicine 21:1539–1558.
    Viechtbauer W (2005). Bias and efficiency of meta-analytic variance estimators in the
    random-effects model. Journal of Educational and Behavioral Statistics 30:261–293.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl

from toolkit.choices import POOLING_METHODS as META_METHODS
from toolkit.errors import UsageError
from toolkit.stats.intervals import FloatArray, as_counts, check_level, z_value

MetaMethod = Literal["dl", "reml"]  # choices.POOLING_METHODS (tests/test_house.py checks)
METHOD_NAMES = {"dl": "DerSimonian-Laird", "reml": "REML"}
CORRECTION = 0.5

_REML_TOLERANCE = 1e-10
_REML_MAX_ITERATIONS = 10_000


@dataclass(frozen=True)
class MetaResult:
    """A random-effects pooled estimate and its heterogeneity statistics.

    Attributes:
        k: number of cohorts pooled.
        estimate: pooled value on the analysis scale (the logit for proportions).
        se: its standard error.
        lower, upper: the confidence interval on the analysis scale.
        tau2: between-cohort variance τ² (analysis scale).
        i2: I² as a fraction in [0, 1] (0.68 means 68% of the variability is between cohorts).
        q: Cochran's Q.
        q_df: its degrees of freedom, k − 1.
        q_pvalue: P(χ²(k − 1) ≥ Q).
        method: "dl" or "reml".
        level: the confidence level.
    """

    k: int
    estimate: float
    se: float
    lower: float
    upper: float
    tau2: float
    i2: float
    q: float
    q_df: int
    q_pvalue: float
    method: str
    level: float


@dataclass(frozen=True)
class PooledProportion:
    """A pooled proportion: the logit-scale result and its back-transformation.

    Attributes:
        proportion: the pooled proportion, expit(estimate).
        ci_lower, ci_upper: the confidence interval, back-transformed.
        corrected: how many cohorts received the 0.5 continuity correction (x = 0 or x = n).
        logit: the logit-scale :class:`MetaResult` (τ² is on the logit scale).
    """

    proportion: float
    ci_lower: float
    ci_upper: float
    corrected: int
    logit: MetaResult

    @property
    def method_name(self) -> str:
        """Human name of the τ² estimator, for output ("DerSimonian-Laird" or "REML")."""
        return METHOD_NAMES[self.logit.method]


def _check_method(method: str) -> MetaMethod:
    if method not in META_METHODS:
        raise UsageError(
            f"unknown meta-analysis method '{method}'; use one of: {', '.join(META_METHODS)}"
        )
    return method  # type: ignore[return-value]


def _expit(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    e = math.exp(value)
    return e / (1.0 + e)


def _tau2_dl(y: FloatArray, v: FloatArray) -> tuple[float, float]:
    """DerSimonian–Laird τ² and Cochran's Q."""
    w = 1.0 / v
    mu_fixed = float(np.sum(w * y) / np.sum(w))
    q = float(np.sum(w * (y - mu_fixed) ** 2))
    c = float(np.sum(w) - np.sum(w**2) / np.sum(w))
    df = y.size - 1
    tau2 = max(0.0, (q - df) / c) if c > 0 else 0.0
    return tau2, q


def _tau2_reml(y: FloatArray, v: FloatArray, start: float) -> float:
    """REML τ² by the fixed-point iteration of Viechtbauer (2005, eq. 12), truncated at 0."""
    tau2 = max(start, 0.0)
    for _ in range(_REML_MAX_ITERATIONS):
        w = 1.0 / (v + tau2)
        mu = float(np.sum(w * y) / np.sum(w))
        new = float(np.sum(w**2 * ((y - mu) ** 2 - v)) / np.sum(w**2) + 1.0 / np.sum(w))
        new = max(new, 0.0)
        if abs(new - tau2) < _REML_TOLERANCE * max(1.0, tau2):
            return new
        tau2 = new
    raise UsageError(  # pragma: no cover - the iteration converges for k >= 2
        "the REML estimate of tau² did not converge; use method 'dl'"
    )


def random_effects(
    estimates: Sequence[float] | FloatArray,
    variances: Sequence[float] | FloatArray,
    *,
    method: str = "dl",
    level: float = 0.95,
) -> MetaResult:
    """Pool ``estimates`` with within-study ``variances`` in a random-effects model.

    Args:
        estimates: one estimate per study (any scale on which a normal model is reasonable).
        variances: their within-study variances, all positive.
        method: "dl" (DerSimonian–Laird) or "reml".
        level: confidence level of the interval.

    Returns:
        The pooled estimate, its standard error and Wald interval, τ², I², Q and its p-value.

    Raises:
        UsageError: fewer than two studies, mismatched lengths, non-positive variances, an
            unknown method or a level outside (0, 1).
    """
    # chdtrc is the chi-squared survival function scipy.stats.chi2.sf calls; importing it
    # from scipy.special takes 0.3 s against 1.3 s for scipy.stats.
    from scipy.special import chdtrc

    chosen = _check_method(method)
    check_level(level)
    y = np.asarray(estimates, dtype=np.float64)
    v = np.asarray(variances, dtype=np.float64)
    if y.ndim != 1 or y.shape != v.shape:
        raise UsageError("estimates and variances must be two lists of the same length")
    if y.size < 2:
        raise UsageError(f"pooling needs at least two studies, got {y.size}")
    if not (np.isfinite(y).all() and np.isfinite(v).all()) or (v <= 0).any():
        raise UsageError("estimates must be finite and variances finite and positive")

    tau2, q = _tau2_dl(y, v)
    if chosen == "reml":
        tau2 = _tau2_reml(y, v, tau2)
    w = 1.0 / (v + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    se = float(math.sqrt(1.0 / np.sum(w)))
    z = z_value(level)
    df = y.size - 1
    w_fixed = 1.0 / v
    # Higgins and Thompson's typical within-study variance.
    typical = (
        df * float(np.sum(w_fixed)) / (float(np.sum(w_fixed)) ** 2 - float(np.sum(w_fixed**2)))
    )
    i2 = tau2 / (tau2 + typical) if tau2 > 0 else 0.0
    return MetaResult(
        k=int(y.size),
        estimate=mu,
        se=se,
        lower=mu - z * se,
        upper=mu + z * se,
        tau2=tau2,
        i2=i2,
        q=q,
        q_df=df,
        q_pvalue=float(chdtrc(df, q)),
        method=chosen,
        level=float(level),
    )


def logit_proportions(
    successes: Any, totals: Any, *, correction: float = CORRECTION
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Logit estimates and variances of x / n, continuity-corrected only where x is 0 or n.

    Returns:
        (y, v, corrected): logits, their variances, and 1.0 where the correction was applied.

    Raises:
        UsageError: counts that are negative, not whole, x > n or n = 0.
    """
    x = np.atleast_1d(as_counts("successes", successes))
    n = np.atleast_1d(as_counts("totals", totals))
    if x.shape != n.shape:
        raise UsageError("successes and totals must have the same length")
    if (n == 0).any():
        raise UsageError("totals must be positive: a cohort with no participants cannot be pooled")
    if (x > n).any():
        raise UsageError("successes must not exceed totals")
    edge = (x == 0) | (x == n)
    c = np.where(edge, correction, 0.0)
    a = x + c
    b = n - x + c
    return np.log(a / b), 1.0 / a + 1.0 / b, edge.astype(np.float64)


def pool_proportions(
    successes: Any,
    totals: Any,
    *,
    method: str = "dl",
    level: float = 0.95,
) -> PooledProportion:
    """Random-effects pooled proportion of several cohorts, on the logit scale.

    Args:
        successes: x per cohort (participants who voiced the theme).
        totals: n per cohort (the cohort's participants).
        method: "dl" (DerSimonian–Laird, default) or "reml".
        level: confidence level.

    Returns:
        The pooled proportion with its back-transformed interval, and the logit-scale result
        (τ², I², Q, p-value).

    Example:
        >>> pooled = pool_proportions([3, 5], [10, 12])
        >>> round(pooled.proportion, 4), pooled.logit.method
        (0.3658, 'dl')
    """
    y, v, corrected = logit_proportions(successes, totals)
    result = random_effects(y, v, method=method, level=level)
    return PooledProportion(
        proportion=_expit(result.estimate),
        ci_lower=_expit(result.lower),
        ci_upper=_expit(result.upper),
        corrected=int(corrected.sum()),
        logit=result,
    )


POOLED_SCHEMA: dict[str, type[pl.DataType]] = {
    "k": pl.Int64,
    "prevalence": pl.Float64,
    "ci_lower": pl.Float64,
    "ci_upper": pl.Float64,
    "tau2": pl.Float64,
    "i2": pl.Float64,
    "q": pl.Float64,
    "q_pvalue": pl.Float64,
    "corrected": pl.Int64,
    "method": pl.String,
}


def pool_frame(
    frame: pl.DataFrame,
    *,
    by: str | Sequence[str],
    successes: str = "participants",
    totals: str = "denominator",
    method: str = "dl",
    level: float = 0.95,
) -> pl.DataFrame:
    """Pool every group of ``frame`` (for example every theme) across its rows (cohorts).

    Args:
        frame: one row per group and cohort, with count columns ``successes`` and ``totals``.
            Rows with a null count are left out of the pooling (cohorts that cannot be
            compared on that group).
        by: the grouping column(s).
        successes, totals: names of the count columns.
        method: "dl" or "reml".
        level: confidence level.

    Returns:
        One row per group, in order of first appearance: the ``by`` columns, then ``k``,
        ``prevalence``, ``ci_lower``, ``ci_upper``, ``tau2``, ``i2``, ``q``, ``q_pvalue``,
        ``corrected`` and ``method`` (the estimator's name). Groups with fewer than two
        cohorts get nulls: one cohort is not a meta-analysis.
    """
    chosen = _check_method(method)
    check_level(level)
    keys = [by] if isinstance(by, str) else list(by)
    usable = frame.filter(pl.col(successes).is_not_null() & pl.col(totals).is_not_null())
    groups = frame.select(keys).unique(maintain_order=True)
    counts: dict[tuple[Any, ...], tuple[list[float], list[float]]] = {}
    for row in usable.select([*keys, successes, totals]).iter_rows():
        key = tuple(row[: len(keys)])
        xs, ns = counts.setdefault(key, ([], []))
        xs.append(float(row[-2]))
        ns.append(float(row[-1]))
    records: list[dict[str, Any]] = []
    for key in groups.iter_rows():
        xs, ns = counts.get(tuple(key), ([], []))
        record: dict[str, Any] = dict(zip(keys, key, strict=True))
        record["k"] = len(xs)
        if len(xs) >= 2:
            pooled = pool_proportions(xs, ns, method=chosen, level=level)
            record |= {
                "prevalence": pooled.proportion,
                "ci_lower": pooled.ci_lower,
                "ci_upper": pooled.ci_upper,
                "tau2": pooled.logit.tau2,
                "i2": pooled.logit.i2,
                "q": pooled.logit.q,
                "q_pvalue": pooled.logit.q_pvalue,
                "corrected": pooled.corrected,
                "method": pooled.method_name,
            }
        else:
            record |= {name: None for name in POOLED_SCHEMA if name != "k"}
        records.append(record)
    schema: dict[str, pl.DataType | type[pl.DataType]] = {k: frame.schema[k] for k in keys}
    schema.update(POOLED_SCHEMA)
    return pl.DataFrame(records, schema=schema)
