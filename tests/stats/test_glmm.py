"""Binomial-normal GLMM pooling, HKSJ and prediction intervals: published values, independent
computations (brute-force integration), hard cases and properties."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize
from scipy.stats import norm
from scipy.stats import t as student_t

from toolkit.errors import UsageError
from toolkit.stats import glmm
from toolkit.stats.meta import logit_proportions, pool_proportions, random_effects
from toolkit.stats.pooled import NO_MAXIMUM, pool_frame

# dat.nielweise2007 (Niel-Weise, Stijnen & van den Broek 2007, Intensive Care Med 33:2058),
# control arm: CRBSIs (ci) of patients with a standard catheter (n2i), as printed in the
# documentation of R's metadat/metafor ("dat.nielweise2007").
NIELWEISE_X = [3, 3, 9, 7, 6, 4, 3, 2, 19, 2, 7, 1, 5, 11, 0, 1, 3, 1]
NIELWEISE_N = [117, 35, 195, 136, 157, 139, 177, 39, 103, 122, 64, 58, 175, 180, 105, 262, 362, 69]


def test_glmm_reproduces_stijnen_2010_table_ii_control_arm() -> None:
    """Stijnen, Hamza & Özdemir (2010), Stat Med 29:3046, Table II, control group, model 1:
    logit −3.50 (SE 0.26), τ² 0.81, proportion 0.029 [0.018, 0.048]; metafor's
    ``rma.glmm(measure="PLO", xi=ci, ni=n2i, data=dat.nielweise2007)`` reproduces it."""
    pooled = pool_proportions(NIELWEISE_X, NIELWEISE_N)
    assert round(pooled.logit.estimate, 2) == -3.50
    assert round(pooled.logit.se, 2) == 0.26
    assert round(pooled.logit.tau2, 2) == 0.81
    assert round(pooled.proportion, 3) == 0.029
    assert round(pooled.ci_lower, 3) == 0.018
    assert round(pooled.ci_upper, 3) == 0.048
    # metafor 3.8-1 (7 quadrature nodes) prints -3.4964 (SE 0.2570), tau² 0.8124, I² 77.73%;
    # 15 nodes move the fourth decimal only.
    assert pooled.logit.estimate == pytest.approx(-3.4964, abs=5e-4)
    assert pooled.logit.se == pytest.approx(0.2570, abs=5e-4)
    assert pooled.logit.tau2 == pytest.approx(0.8124, abs=2e-3)
    assert 100 * pooled.logit.i2 == pytest.approx(77.73, abs=0.02)
    assert pooled.logit.method == "glmm" and pooled.method_name == "GLMM (ML)"


_GRID = np.linspace(-12.0, 12.0, 24_001)
_NORMAL = norm.pdf(_GRID)


def _brute_force(x: list[int], n: list[int]) -> tuple[float, float, float]:
    """ML of the binomial-normal model with every integral on a fine grid (24,001 points,
    Simpson's rule, no Gauss–Hermite) and Nelder–Mead on (μ, log τ); the SE from a
    finite-difference Hessian of that log-likelihood."""

    def loglik(mu: float, tau: float) -> float:
        eta = mu + tau * _GRID
        total = 0.0
        for xi, ni in zip(x, n, strict=True):
            log_c = math.lgamma(ni + 1) - math.lgamma(xi + 1) - math.lgamma(ni - xi + 1)
            pmf = np.exp(log_c + xi * eta - ni * np.logaddexp(0.0, eta))
            total += math.log(integrate.simpson(pmf * _NORMAL, x=_GRID))
        return total

    best = optimize.minimize(
        lambda p: -loglik(p[0], math.exp(p[1])),
        x0=[0.0, math.log(0.7)],
        method="Nelder-Mead",
        options={"xatol": 1e-9, "fatol": 1e-13, "maxiter": 4000},
    )
    mu, tau = best.x[0], math.exp(best.x[1])
    h = 1e-4

    def f(a: float, b: float) -> float:
        return -loglik(mu + a, tau + b)

    hmm = (f(h, 0) - 2 * f(0, 0) + f(-h, 0)) / h**2
    htt = (f(0, h) - 2 * f(0, 0) + f(0, -h)) / h**2
    hmt = (f(h, h) - f(h, -h) - f(-h, h) + f(-h, -h)) / (4 * h * h)
    se = math.sqrt(htt / (hmm * htt - hmt * hmt))
    return mu, tau * tau, se


@pytest.mark.parametrize(
    ("x", "n"),
    [
        ([2, 5, 9], [15, 15, 15]),  # k = 3
        ([3, 10, 4, 2], [12, 10, 15, 9]),  # one cohort n/n
        ([0, 1, 0], [3, 2, 4]),  # tiny cohorts, two at 0/n
        ([15, 3, 4], [15, 20, 18]),  # k = 3, one n/n, large τ²
        # The likelihood is convex in τ at the DerSimonian-Laird start (found by P16's live
        # metafor oracle: metafor -1.8067, τ² 0.3374; the search once stopped at the start).
        ([0, 2, 6, 8], [24, 11, 30, 35]),
    ],
)
def test_glmm_matches_brute_force_integration(x: list[int], n: list[int]) -> None:
    mu, tau2, se = _brute_force(x, n)
    pooled = pool_proportions(x, n)
    assert pooled.logit.estimate == pytest.approx(mu, abs=2e-4)
    assert pooled.logit.tau2 == pytest.approx(tau2, rel=2e-3, abs=2e-4)
    assert pooled.logit.se == pytest.approx(se, rel=5e-3)
    assert pooled.corrected == sum(1 for a, b in zip(x, n, strict=True) if a in (0, b))


def test_homogeneous_cohorts_give_tau2_zero_and_the_pooled_binomial() -> None:
    pooled = pool_proportions([5, 5, 5], [10, 10, 10])
    assert pooled.logit.tau2 == pytest.approx(0.0, abs=1e-8)
    assert pooled.proportion == pytest.approx(0.5, abs=1e-9)
    # τ = 0: the model is one binomial of 15/30, SE of the logit sqrt(1/(N p (1-p))).
    assert pooled.logit.se == pytest.approx(math.sqrt(1 / (30 * 0.25)), rel=1e-6)


@pytest.mark.parametrize(
    ("x", "n"),
    [
        ([0, 0, 0], [5, 6, 7]),
        ([5, 6, 7], [5, 6, 7]),
        ([0, 5, 0], [5, 5, 5]),
        # Three cohorts at 0%, one at 95%: the maximum is at tau² ≈ 71 (metafor/lme4 stops
        # at 108): "anything goes", not an estimate.
        ([0, 0, 0, 21], [6, 6, 8, 22]),
    ],
)
def test_no_finite_maximum_is_said_not_invented(x: list[int], n: list[int]) -> None:
    with pytest.raises(UsageError, match="no finite"):
        pool_proportions(x, n)
    frame = pl.DataFrame({"t": ["a"] * len(x), "participants": x, "denominator": n})
    row = pool_frame(frame, by="t").row(0, named=True)
    assert row["prevalence"] is None and row["tau2"] is None and row["method"] is None
    assert row["note"] == NO_MAXIMUM and row["k"] == len(x)
    # The two-step models, with their continuity correction, still give a number.
    assert pool_frame(frame, by="t", method="dl").row(0, named=True)["prevalence"] is not None


def test_the_vectorised_fit_equals_one_fit_per_group() -> None:
    rng = np.random.default_rng(7)
    n = rng.integers(3, 30, size=(40, 6)).astype(float)
    n[rng.random(n.shape) < 0.2] = 0  # cohorts absent from some groups
    p = 1 / (1 + np.exp(-(rng.normal(-1, 1, (40, 1)) + rng.normal(0, 0.8, (40, 6)))))
    x = rng.binomial(n.astype(int), p).astype(float)
    together = glmm.fit(x, n)
    for i in range(40):
        keep = n[i] > 0
        alone = glmm.fit(x[i : i + 1, keep], n[i : i + 1, keep])
        assert together.converged[i] == alone.converged[0]
        if alone.converged[0]:
            assert together.mu[i] == pytest.approx(alone.mu[0], abs=1e-6)
            assert together.tau2[i] == pytest.approx(alone.tau2[0], abs=1e-6)


# ---- HKSJ and prediction intervals ----------------------------------------------------


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        # metafor 3.8-1: rma(yi, vi, method=..., test="adhoc") on
        # escalc(measure="PLO", xi=ci, ni=n2i, data=dat.nielweise2007); est, se, ci.lb, ci.ub
        ("dl", (-3.3167725, 0.2491847, -3.8425063, -2.7910387)),
        ("reml", (-3.3017759, 0.2378336, -3.8035610, -2.7999907)),
    ],
)
def test_hksj_with_rover_modification_matches_metafor_adhoc(
    method: str, expected: tuple[float, ...]
) -> None:
    y, v, _ = logit_proportions(NIELWEISE_X, NIELWEISE_N)
    result = random_effects(y, v, method=method, hksj=True)
    got = (result.estimate, result.se, result.lower, result.upper)
    assert got == pytest.approx(expected, abs=2e-7)
    assert result.hksj


def test_hksj_is_never_narrower_than_wald_and_uses_t() -> None:
    # Homogeneous cohorts: q < 1, so Röver's max(1, q) keeps the Wald SE; t(k-1) widens it.
    y, v, _ = logit_proportions([5, 6, 5, 6], [20, 21, 19, 20])
    wald = random_effects(y, v, method="dl")
    hk = random_effects(y, v, method="dl", hksj=True)
    assert hk.se == pytest.approx(wald.se)
    ratio = (hk.upper - hk.lower) / (wald.upper - wald.lower)
    assert ratio == pytest.approx(student_t.ppf(0.975, 3) / norm.ppf(0.975))
    with pytest.raises(UsageError, match="two-step"):
        pool_proportions([5, 6, 5], [20, 21, 19], hksj=True)


def test_prediction_interval_is_higgins_2009_with_t_on_k_minus_2() -> None:
    pooled = pool_proportions(NIELWEISE_X, NIELWEISE_N)
    r = pooled.logit
    half = student_t.ppf(0.975, 16) * math.sqrt(r.tau2 + r.se**2)
    assert r.pi_lower == pytest.approx(r.estimate - half, abs=1e-12)
    assert r.pi_upper == pytest.approx(r.estimate + half, abs=1e-12)
    assert pooled.pi_lower == pytest.approx(1 / (1 + math.exp(-(r.estimate - half))))
    assert pooled.pi_lower is not None and pooled.pi_upper is not None
    assert pooled.pi_lower < pooled.ci_lower < pooled.ci_upper < pooled.pi_upper
    # Two cohorts: no prediction interval (t with 0 df).
    assert pool_proportions([3, 5], [10, 12], method="dl").pi_lower is None


# ---- properties -----------------------------------------------------------------------

three_or_more = st.lists(
    st.integers(min_value=2, max_value=40).flatmap(
        lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
    ),
    min_size=3,
    max_size=7,
).filter(lambda d: not all(x in (0, n) for x, n in d))


def _pool(data: list[tuple[int, int]], **kwargs):  # type: ignore[no-untyped-def]
    try:
        return pool_proportions([d[0] for d in data], [d[1] for d in data], **kwargs)
    except UsageError as error:  # no finite GLMM estimate: said, tested above
        assert "no finite" in str(error)
        assume(False)


@settings(max_examples=60, deadline=None)
@given(three_or_more, st.sampled_from(["glmm", "dl", "reml"]))
def test_pooled_estimate_lies_within_the_cohorts_range(data, method) -> None:  # type: ignore[no-untyped-def]
    pooled = _pool(data, method=method)
    if method == "glmm":
        raw = [x / n for x, n in data]
    else:  # the two-step models pool the corrected proportions
        raw = [(x + 0.5) / (n + 1) if x in (0, n) else x / n for x, n in data]
    assert min(raw) - 1e-7 <= pooled.proportion <= max(raw) + 1e-7
    assert pooled.ci_lower <= pooled.proportion <= pooled.ci_upper
    assert pooled.pi_lower <= pooled.ci_lower and pooled.ci_upper <= pooled.pi_upper


@settings(max_examples=60, deadline=None)
@given(three_or_more, st.sampled_from(["glmm", "dl", "reml"]))
def test_relabelling_successes_and_failures_mirrors_the_result(data, method) -> None:  # type: ignore[no-untyped-def]
    a = _pool(data, method=method)
    b = _pool([(n - x, n) for x, n in data], method=method)
    assert b.logit.estimate == pytest.approx(-a.logit.estimate, abs=1e-6)
    assert b.logit.tau2 == pytest.approx(a.logit.tau2, rel=1e-6, abs=1e-6)
    assert b.proportion == pytest.approx(1 - a.proportion, abs=1e-7)
    assert b.ci_lower == pytest.approx(1 - a.ci_upper, abs=1e-7)


@settings(max_examples=60, deadline=None)
@given(three_or_more, st.randoms(use_true_random=False), st.sampled_from(["glmm", "dl", "reml"]))
def test_cohort_order_does_not_change_the_pooled_result(data, rnd, method) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(data)
    rnd.shuffle(shuffled)
    a, b = _pool(data, method=method), _pool(shuffled, method=method)
    assert b.logit.estimate == pytest.approx(a.logit.estimate, abs=1e-6)
    assert b.logit.tau2 == pytest.approx(a.logit.tau2, rel=1e-6, abs=1e-6)
    assert b.logit.i2 == pytest.approx(a.logit.i2, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(three_or_more, st.sampled_from(["glmm", "dl", "reml"]), st.booleans())
def test_intervals_nest_as_the_level_grows(data, method, hksj) -> None:  # type: ignore[no-untyped-def]
    hksj = hksj and method != "glmm"
    previous = None
    for level in (0.5, 0.8, 0.9, 0.95, 0.99):
        pooled = _pool(data, method=method, level=level, hksj=hksj)
        if previous is not None:
            assert pooled.ci_lower <= previous.ci_lower + 1e-12
            assert pooled.ci_upper >= previous.ci_upper - 1e-12
            assert pooled.pi_lower <= previous.pi_lower + 1e-12
            assert pooled.pi_upper >= previous.pi_upper - 1e-12
        previous = pooled
