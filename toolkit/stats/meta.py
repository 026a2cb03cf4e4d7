"""Random-effects meta-analysis of proportions on the logit scale, for pooling cohorts.

Three models (``method=``, :data:`toolkit.choices.POOLING_METHODS`; the first is the default):

- ``glmm``: the binomial-normal model (a random-intercept logistic GLMM) by maximum
  likelihood, its integrals by adaptive Gauss–Hermite quadrature (:mod:`toolkit.stats.glmm`).
  It uses each cohort's exact binomial likelihood, so a cohort at 0/n or n/n needs no
  correction; Stijnen, Hamza & Özdemir (2010) and Lin & Chu (2020) show it is less biased and
  covers better than the two-step models when proportions are small or cohorts few. This is
  ``metafor::rma.glmm(measure="PLO")`` and ``meta::metaprop``'s default.
- ``dl`` and ``reml``: the two-step inverse-variance model. Each cohort i contributes

      y_i = log((x_i + c) / (n_i − x_i + c)),    v_i = 1 / (x_i + c) + 1 / (n_i − x_i + c),

  with c = 0.5 **only** for a cohort whose x_i is 0 or n_i (as ``metafor::escalc`` and
  ``meta::metaprop`` do), and τ² is estimated by DerSimonian and Laird's method of moments or
  by restricted maximum likelihood. The pooled logit is the mean weighted by 1 / (v_i + τ²).

The interval is Wald's, back-transformed. For the two-step models ``hksj=True`` gives the
Hartung–Knapp–Sidik–Jonkman interval (t with k − 1 degrees of freedom) with Röver et al.'s
modification: the variance factor is max(1, q), so the interval is never narrower than Wald's.
From 3 cohorts on, the prediction interval for a new cohort (Higgins, Thompson &
Spiegelhalter 2009) is μ̂ ± t(k − 2) · sqrt(τ̂² + SE²). Heterogeneity is also reported as
Cochran's Q of the two-step logits (k − 1 degrees of freedom, with its χ² p-value) and
I² = τ² / (τ² + s²), s² being Higgins and Thompson's (2002) "typical" within-cohort variance.

References:
    DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Controlled Clinical
    Trials 7:177–188.
    Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis.
    Statistics in Medicine 21:1539–1558.
    Higgins JPT, Thompson SG, Spiegelhalter DJ (2009). A re-evaluation of random-effects
    meta-analysis. JRSS A 172:137–159.
    IntHout J, Ioannidis JPA, Borm GF (2014). The Hartung-Knapp-Sidik-Jonkman method for
    random effects meta-analysis is straightforward and considerably outperforms the standard
    DerSimonian-Laird method. BMC Medical Research Methodology 14:25.
    Lin L, Chu H (2020). Meta-analysis of proportions using generalized linear mixed models.
    Epidemiology 31:713–717.
    Röver C, Knapp G, Friede T (2015). Hartung-Knapp-Sidik-Jonkman approach and its
    modification for random-effects meta-analysis with few studies. BMC Medical Research
    Methodology 15:99.
    Stijnen T, Hamza TH, Özdemir P (2010). Random effects meta-analysis of event outcome in
    the framework of the generalized linear mixed model with applications in sparse data.
    Statistics in Medicine 29:3046–3067.
    Viechtbauer W (2005). Bias and efficiency of meta-analytic variance estimators in the
    random-effects model. Journal of Educational and Behavioral Statistics 30:261–293.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from toolkit.choices import POOLING_METHODS as META_METHODS
from toolkit.errors import UsageError
from toolkit.stats import glmm
from toolkit.stats.glmm import NODES
from toolkit.stats.intervals import FloatArray, as_counts, check_level, z_value

MetaMethod = Literal["glmm", "dl", "reml"]  # choices.POOLING_METHODS (tests/test_house.py checks)
METHOD_NAMES = {"glmm": "GLMM (ML)", "dl": "DerSimonian-Laird", "reml": "REML"}
"""Short names of the pooling models, for output columns and tables."""
METHOD_DESCRIPTIONS = {
    "glmm": "binomial-normal random-effects model (logistic GLMM) fitted by maximum "
    f"likelihood, adaptive Gauss-Hermite quadrature with {NODES} nodes; no continuity "
    "correction",
    "dl": "inverse-variance random-effects model on the logit scale, tau² by "
    "DerSimonian-Laird, 0.5 added to both cells of a cohort at 0% or 100%",
    "reml": "inverse-variance random-effects model on the logit scale, tau² by restricted "
    "maximum likelihood, 0.5 added to both cells of a cohort at 0% or 100%",
}
"""What each pooling model is, in words, for methods text and metadata."""
CORRECTION = 0.5
MIN_PREDICTION = 3
"""Cohorts needed for a prediction interval (t with k − 2 degrees of freedom)."""

_REML_TOLERANCE = 1e-10
_REML_MAX_ITERATIONS = 10_000


@dataclass(frozen=True)
class MetaResult:
    """A random-effects pooled estimate and its heterogeneity statistics.

    Attributes:
        k: number of cohorts pooled.
        estimate: pooled value on the analysis scale (the logit for proportions).
        se: its standard error (the HKSJ-adjusted one when ``hksj``).
        lower, upper: the confidence interval on the analysis scale.
        tau2: between-cohort variance τ² (analysis scale).
        i2: I² as a fraction in [0, 1] (0.68 means 68% of the variability is between cohorts).
        q: Cochran's Q.
        q_df: its degrees of freedom, k − 1.
        q_pvalue: P(χ²(k − 1) ≥ Q).
        method: "glmm", "dl" or "reml".
        level: the confidence level.
        pi_lower, pi_upper: the prediction interval for a new cohort (None below 3 cohorts).
        hksj: the interval is Hartung–Knapp–Sidik–Jonkman's (Röver's modification).
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
    pi_lower: float | None = None
    pi_upper: float | None = None
    hksj: bool = False


@dataclass(frozen=True)
class PooledProportion:
    """A pooled proportion: the logit-scale result and its back-transformation.

    Attributes:
        proportion: the pooled proportion, expit(estimate).
        ci_lower, ci_upper: the confidence interval, back-transformed.
        corrected: cohorts whose logit got the 0.5 continuity correction (x = 0 or x = n):
            in the estimate itself for "dl" and "reml", only in Q and I² for "glmm".
        logit: the logit-scale :class:`MetaResult` (τ² is on the logit scale).
        pi_lower, pi_upper: the prediction interval, back-transformed (None below 3 cohorts).
    """

    proportion: float
    ci_lower: float
    ci_upper: float
    corrected: int
    logit: MetaResult
    pi_lower: float | None = None
    pi_upper: float | None = None

    @property
    def method_name(self) -> str:
        """Short name of the model, for output ("GLMM (ML)", "DerSimonian-Laird", "REML")."""
        return METHOD_NAMES[self.logit.method]


def check_method(method: str, *, hksj: bool = False) -> MetaMethod:
    """``method`` if it is a pooling model; UsageError otherwise, or for HKSJ with the GLMM."""
    if method not in META_METHODS:
        raise UsageError(
            f"unknown meta-analysis method '{method}'; use one of: {', '.join(META_METHODS)}"
        )
    if hksj and method == "glmm":
        raise UsageError(
            "the Hartung-Knapp-Sidik-Jonkman interval (--hksj) adjusts the two-step models: "
            "use it with pooling 'dl' or 'reml'"
        )
    return method  # type: ignore[return-value]


def expit(value: float) -> float:
    """The logistic function 1 / (1 + e^(−value)), without overflow."""
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    e = math.exp(value)
    return e / (1.0 + e)


def t_value(level: float, df: int) -> float:
    """The two-sided Student t quantile for confidence ``level`` on ``df`` degrees of freedom."""
    from scipy.special import stdtrit

    return float(stdtrit(df, 0.5 + level / 2.0))


def _tau2_dl(y: FloatArray, v: FloatArray) -> tuple[float, float]:
    """DerSimonian–Laird τ² and Cochran's Q."""
    w = 1.0 / v
    mu_fixed = float(np.sum(w * y) / np.sum(w))
    q = float(np.sum(w * (y - mu_fixed) ** 2))
    c = float(np.sum(w) - np.sum(w**2) / np.sum(w))
    df = y.size - 1
    tau2 = max(0.0, (q - df) / c) if c > 0 else 0.0
    return tau2, q


def _restricted_loglik(y: FloatArray, v: FloatArray, tau2: float) -> float:
    """The restricted log-likelihood of τ² (up to a constant)."""
    w = 1.0 / (v + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    return float(
        -0.5 * (np.sum(np.log(v + tau2)) + math.log(np.sum(w)) + np.sum(w * (y - mu) ** 2))
    )


def _tau2_reml(y: FloatArray, v: FloatArray, start: float) -> float:
    """REML τ² by the fixed-point iteration of Viechtbauer (2005, eq. 12), truncated at 0.

    The iteration finds a stationary point; the restricted likelihood can be higher on the
    boundary τ² = 0 (a 0/n cohort's corrected logit among similar ones does that), so the
    better of the two is returned, as metafor's REML does.
    """
    tau2 = max(start, 0.0)
    for _ in range(_REML_MAX_ITERATIONS):
        w = 1.0 / (v + tau2)
        mu = float(np.sum(w * y) / np.sum(w))
        new = float(np.sum(w**2 * ((y - mu) ** 2 - v)) / np.sum(w**2) + 1.0 / np.sum(w))
        new = max(new, 0.0)
        if abs(new - tau2) < _REML_TOLERANCE * max(1.0, tau2):
            if new > 0 and _restricted_loglik(y, v, 0.0) > _restricted_loglik(y, v, new):
                return 0.0
            return new
        tau2 = new
    raise UsageError(  # pragma: no cover - the iteration converges for k >= 2
        "the REML estimate of tau² did not converge; use method 'dl'"
    )


def _check_pair(estimates: Any, variances: Any) -> tuple[FloatArray, FloatArray]:
    y = np.asarray(estimates, dtype=np.float64)
    v = np.asarray(variances, dtype=np.float64)
    if y.ndim != 1 or y.shape != v.shape:
        raise UsageError("estimates and variances must be two lists of the same length")
    if y.size < 2:
        raise UsageError(f"pooling needs at least two studies, got {y.size}")
    if not (np.isfinite(y).all() and np.isfinite(v).all()) or (v <= 0).any():
        raise UsageError("estimates must be finite and variances finite and positive")
    return y, v


def heterogeneity(y: FloatArray, v: FloatArray, tau2: float) -> tuple[float, float, float]:
    """Cochran's Q, its χ²(k − 1) p-value, and I² for a given τ² (Higgins & Thompson 2002)."""
    # chdtrc is the chi-squared survival function scipy.stats.chi2.sf calls; importing it
    # from scipy.special takes 0.3 s against 1.3 s for scipy.stats.
    from scipy.special import chdtrc

    _, q = _tau2_dl(y, v)
    df = y.size - 1
    w_fixed = 1.0 / v
    total = float(np.sum(w_fixed))
    # Higgins and Thompson's typical within-study variance.
    typical = df * total / (total**2 - float(np.sum(w_fixed**2)))
    i2 = tau2 / (tau2 + typical) if tau2 > 0 else 0.0
    return q, float(chdtrc(df, q)), i2


def prediction_interval(
    estimate: float, se: float, tau2: float, k: int, level: float
) -> tuple[float | None, float | None]:
    """Higgins, Thompson & Spiegelhalter's (2009) prediction interval, t with k − 2 df.

    Returns:
        (lower, upper) on the analysis scale; (None, None) below :data:`MIN_PREDICTION` cohorts.
    """
    if k < MIN_PREDICTION:
        return None, None
    half = t_value(level, k - 2) * math.sqrt(tau2 + se * se)
    return estimate - half, estimate + half


def random_effects(
    estimates: Sequence[float] | FloatArray,
    variances: Sequence[float] | FloatArray,
    *,
    method: str = "dl",
    level: float = 0.95,
    hksj: bool = False,
) -> MetaResult:
    """Pool ``estimates`` with within-study ``variances`` in a two-step random-effects model.

    Args:
        estimates: one estimate per study (any scale on which a normal model is reasonable).
        variances: their within-study variances, all positive.
        method: "dl" (DerSimonian–Laird) or "reml" ("glmm" needs the counts:
            :func:`pool_proportions`).
        level: confidence level of the interval.
        hksj: the Hartung–Knapp–Sidik–Jonkman interval with Röver et al.'s (2015)
            modification (never narrower than Wald's) instead of Wald's.

    Returns:
        The pooled estimate, its standard error and interval, τ², I², Q and its p-value, and
        from 3 studies on the prediction interval.

    Raises:
        UsageError: fewer than two studies, mismatched lengths, non-positive variances, an
            unknown method or a level outside (0, 1).
    """
    chosen = check_method(method, hksj=hksj)
    if chosen == "glmm":
        raise UsageError("the GLMM pools counts, not estimates: use pool_proportions")
    check_level(level)
    y, v = _check_pair(estimates, variances)
    tau2, _ = _tau2_dl(y, v)
    if chosen == "reml":
        tau2 = _tau2_reml(y, v, tau2)
    w = 1.0 / (v + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    se = float(math.sqrt(1.0 / np.sum(w)))
    df = y.size - 1
    crit = z_value(level)
    if hksj:
        factor = float(np.sum(w * (y - mu) ** 2)) / df
        se *= math.sqrt(max(1.0, factor))
        crit = t_value(level, df)
    q, q_pvalue, i2 = heterogeneity(y, v, tau2)
    pi_lower, pi_upper = prediction_interval(mu, se, tau2, int(y.size), level)
    return MetaResult(
        k=int(y.size),
        estimate=mu,
        se=se,
        lower=mu - crit * se,
        upper=mu + crit * se,
        tau2=tau2,
        i2=i2,
        q=q,
        q_df=df,
        q_pvalue=q_pvalue,
        method=chosen,
        level=float(level),
        pi_lower=pi_lower,
        pi_upper=pi_upper,
        hksj=hksj,
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


def glmm_result(
    y: FloatArray, v: FloatArray, fit: tuple[float, float, float], level: float
) -> MetaResult:
    """The :class:`MetaResult` of one GLMM fit (μ̂, SE, τ̂²), with Q and I² from the logits."""
    mu, se, tau2 = fit
    q, q_pvalue, i2 = heterogeneity(y, v, tau2)
    z = z_value(level)
    pi_lower, pi_upper = prediction_interval(mu, se, tau2, int(y.size), level)
    return MetaResult(
        k=int(y.size),
        estimate=mu,
        se=se,
        lower=mu - z * se,
        upper=mu + z * se,
        tau2=tau2,
        i2=i2,
        q=q,
        q_df=int(y.size) - 1,
        q_pvalue=q_pvalue,
        method="glmm",
        level=float(level),
        pi_lower=pi_lower,
        pi_upper=pi_upper,
    )


def back_transform(result: MetaResult, corrected: int) -> PooledProportion:
    """The proportion-scale :class:`PooledProportion` of a logit-scale result."""
    return PooledProportion(
        proportion=expit(result.estimate),
        ci_lower=expit(result.lower),
        ci_upper=expit(result.upper),
        corrected=corrected,
        logit=result,
        pi_lower=None if result.pi_lower is None else expit(result.pi_lower),
        pi_upper=None if result.pi_upper is None else expit(result.pi_upper),
    )


def pool_proportions(
    successes: Any,
    totals: Any,
    *,
    method: str = "glmm",
    level: float = 0.95,
    hksj: bool = False,
) -> PooledProportion:
    """Random-effects pooled proportion of several cohorts, on the logit scale.

    Args:
        successes: x per cohort (participants who voiced the theme).
        totals: n per cohort (the cohort's participants).
        method: "glmm" (binomial-normal model by maximum likelihood, the default), "dl"
            (DerSimonian–Laird) or "reml".
        level: confidence level.
        hksj: Hartung–Knapp–Sidik–Jonkman interval (two-step models only).

    Returns:
        The pooled proportion with its back-transformed interval and prediction interval,
        and the logit-scale result (τ², I², Q, p-value).

    Raises:
        UsageError: bad counts or arguments, or (GLMM) no finite maximum: every cohort at 0%
            or 100%, or cohorts at both driving τ beyond 5 (:mod:`toolkit.stats.glmm`).

    Example:
        >>> pooled = pool_proportions([3, 5], [10, 12], method="dl")
        >>> round(pooled.proportion, 4), pooled.logit.method
        (0.3658, 'dl')
    """
    chosen = check_method(method, hksj=hksj)
    check_level(level)
    y, v, corrected = logit_proportions(successes, totals)
    if chosen != "glmm":
        return back_transform(
            random_effects(y, v, method=chosen, level=level, hksj=hksj), int(corrected.sum())
        )
    _check_pair(y, v)
    x = np.atleast_1d(as_counts("successes", successes))
    n = np.atleast_1d(as_counts("totals", totals))
    fitted = glmm.fit(x[None, :], n[None, :])
    if not fitted.converged[0]:
        raise UsageError(
            "the binomial-normal model has no finite (or no usable) maximum-likelihood "
            "estimate here: cohorts at 0% or 100% leave it unbounded or its tau² above 25; "
            "use pooling 'dl' or 'reml'"
        )
    fit = (float(fitted.mu[0]), float(fitted.se[0]), float(fitted.tau2[0]))
    return back_transform(glmm_result(y, v, fit, level), int(corrected.sum()))
