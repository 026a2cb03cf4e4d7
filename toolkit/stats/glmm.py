"""The binomial-normal model of proportions, fitted by maximum likelihood, many groups at once.

Cohort i of a group has x_i of n_i participants voicing a theme. The model (a random-intercept
logistic regression; Stijnen, Hamza & Özdemir 2010, model 1) is

    x_i ~ Binomial(n_i, expit(μ + b_i)),    b_i ~ Normal(0, τ²),

and (μ, τ²) maximise the marginal likelihood Π_i ∫ Bin(x_i | n_i, expit(μ + τu)) φ(u) du.
Each integral is computed by adaptive Gauss–Hermite quadrature (Liu & Pierce 1994): the
nodes are centred at the mode of the integrand and scaled by its curvature, which is exact for
τ = 0 and accurate with few nodes otherwise (31 nodes here; R's
``metafor::rma.glmm`` uses 7). No continuity correction is needed: a cohort
at 0/n or n/n contributes its exact binomial likelihood.

The outer maximisation is a damped Newton iteration on (μ, τ); the gradient and Hessian are
the posterior moments of the score (Louis 1982), computed on the same nodes. Every array has
one row per group (theme) and one column per cohort, so 400 themes × 50 cohorts are fitted
together in a handful of vectorised steps. A cohort that does not take part in a group has
n = 0 there: its integral is exactly 1.

There is no finite maximum when every cohort of a group lies at 0% or at 100% (μ or τ runs
off to infinity), and in effect none when cohorts at 0% and at 100% drive τ beyond 5 on the
logit scale (τ² 25: the likelihood is then so flat that its maximum, even where it exists,
says nothing); such groups are reported as not converged, never as a number.

References:
    Stijnen T, Hamza TH, Özdemir P (2010). Random effects meta-analysis of event outcome in
    the framework of the generalized linear mixed model with applications in sparse data.
    Statistics in Medicine 29:3046–3067.
    Liu Q, Pierce DA (1994). A note on Gauss–Hermite quadrature. Biometrika 81:624–629.
    Louis TA (1982). Finding the observed information matrix when using the EM algorithm.
    JRSS B 44:226–233.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from toolkit.stats.intervals import FloatArray

NODES = 31
"""Gauss–Hermite nodes per integral (metafor uses 7; 31 agree with brute-force integration
to 1e-4 on the logit even with τ² near 9 and a cohort at n/n, where 7 are 0.06 off)."""

_MAX_OUTER = 100
_COARSE_NODES = 7
_MAX_INNER = 50
_MAX_HALVINGS = 20
_TOLERANCE = 1e-9
_TAU_LIMIT = 5.0
"""τ beyond this (τ² 25: a between-cohort SD of 5 logits, cohorts spread over practically all
of 0% to 100%) is running off to infinity: cohorts at both extremes, no usable estimate."""


@dataclass(frozen=True)
class GlmmFit:
    """Maximum-likelihood fits of the binomial-normal model, one entry per group.

    Attributes:
        mu: the pooled logit μ̂ (NaN where not converged).
        se: its standard error from the observed information of (μ, τ).
        tau2: τ̂².
        loglik: the maximised log-likelihood (with binomial coefficients).
        converged: a finite maximum was found.
    """

    mu: FloatArray
    se: FloatArray
    tau2: FloatArray
    loglik: FloatArray
    converged: npt.NDArray[np.bool_]


def _log1pexp(eta: FloatArray) -> FloatArray:
    return np.logaddexp(0.0, eta)


def _expit(eta: FloatArray) -> FloatArray:
    return np.exp(-_log1pexp(-eta))


@functools.lru_cache(maxsize=8)
def _nodes(count: int) -> tuple[FloatArray, FloatArray]:
    """Gauss–Hermite nodes and log-weights (with e^(t²) folded in, for adaptive use)."""
    t, w = np.polynomial.hermite.hermgauss(count)
    return t, np.log(w) + t**2


class _Quadrature:
    """The data of many groups and the adaptive quadrature of their marginal likelihoods."""

    def __init__(self, x: FloatArray, n: FloatArray, nodes: int, modes: FloatArray) -> None:
        self.x = x
        self.n = n
        self.t, self.log_w = _nodes(nodes)
        self.mode = modes.copy()

    def _modes(self, mu: FloatArray, tau: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Mode û of each integrand and σ̂ = (−g''(û))^(−1/2), by damped Newton steps."""
        x, n = self.x, self.n
        m, s = mu[:, None], tau[:, None]
        u = self.mode.copy()
        for _ in range(_MAX_INNER):
            p = _expit(m + s * u)
            grad = s * (x - n * p) - u
            curv = s * s * n * p * (1.0 - p) + 1.0
            step = np.clip(grad / curv, -2.0, 2.0)
            u = u + step
            if np.max(np.abs(step), initial=0.0) < 1e-12:
                break
        p = _expit(m + s * u)
        curv = s * s * n * p * (1.0 - p) + 1.0
        return u, 1.0 / np.sqrt(curv)

    def loglik(
        self, mu: FloatArray, tau: FloatArray, *, moments: bool = False
    ) -> tuple[FloatArray, FloatArray | None, FloatArray | None]:
        """Log-likelihood per group (without binomial coefficients); with ``moments``, also
        its gradient (groups × 2) and Hessian (groups × 2 × 2) in (μ, τ)."""
        u_hat, sigma = self._modes(mu, tau)
        self.mode = u_hat
        scale = np.sqrt(2.0) * sigma
        u = u_hat[..., None] + scale[..., None] * self.t  # groups × cohorts × nodes
        eta = mu[:, None, None] + tau[:, None, None] * u
        x, n = self.x[..., None], self.n[..., None]
        softplus = _log1pexp(eta)
        log_f = x * eta - n * softplus - 0.5 * u * u + self.log_w
        top = np.max(log_f, axis=-1, keepdims=True)
        weights = np.exp(log_f - top)
        total = np.sum(weights, axis=-1)
        log_i = np.log(scale) - 0.5 * np.log(2.0 * np.pi) + top[..., 0] + np.log(total)
        value = np.sum(log_i, axis=1)
        if not moments:
            return value, None, None
        post = weights / total[..., None]
        p = np.exp(eta - softplus)
        r = x - n * p
        s = n * p * (1.0 - p)

        def mean(a: FloatArray) -> FloatArray:
            return np.sum(post * a, axis=-1)

        e_r, e_ru = mean(r), mean(r * u)
        grad = np.stack([e_r.sum(axis=1), e_ru.sum(axis=1)], axis=-1)
        h_mm = mean(-s) + mean(r * r) - e_r**2
        h_mt = mean(-s * u) + mean(r * r * u) - e_r * e_ru
        h_tt = mean(-s * u * u) + mean(r * r * u * u) - e_ru**2
        hess = np.empty((mu.size, 2, 2))
        hess[:, 0, 0] = h_mm.sum(axis=1)
        hess[:, 0, 1] = hess[:, 1, 0] = h_mt.sum(axis=1)
        hess[:, 1, 1] = h_tt.sum(axis=1)
        return value, grad, hess


def _newton_step(grad: FloatArray, hess: FloatArray) -> FloatArray:
    """Ascent direction −H⁻¹g, with H shifted until negative definite where it is not."""
    a, b, d = hess[:, 0, 0], hess[:, 0, 1], hess[:, 1, 1]
    # Largest eigenvalue of the symmetric 2×2 H; shift so that it is below −1e-8.
    largest = 0.5 * (a + d) + np.sqrt(0.25 * (a - d) ** 2 + b * b)
    shift = np.where(largest > -1e-8, largest + 1e-3 * (1.0 + np.abs(a) + np.abs(d)), 0.0)
    a, d = a - shift, d - shift
    det = a * d - b * b
    g0, g1 = grad[:, 0], grad[:, 1]
    return np.stack([-(d * g0 - b * g1) / det, -(-b * g0 + a * g1) / det], axis=-1)


def _start(x: FloatArray, n: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Starting values: the DerSimonian–Laird estimates of the half-corrected logits, with τ
    at least 0.1 (τ = 0 is a stationary point of the likelihood, not always its maximum)."""
    present = n > 0
    c = np.where(present & ((x == 0) | (x == n)), 0.5, 0.0)
    a, b = x + c, n - x + c
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(present, np.log(a / b), 0.0)
        w = np.where(present, 1.0 / (1.0 / a + 1.0 / b), 0.0)
    total = w.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        fixed = (w * y).sum(axis=1) / total
        q = (w * (y - fixed[:, None]) ** 2).sum(axis=1)
        spread = total - (w * w).sum(axis=1) / total
        tau2 = np.maximum(0.0, (q - (present.sum(axis=1) - 1)) / spread)
        weights = np.where(present, 1.0 / (1.0 / np.where(present, w, 1.0) + tau2[:, None]), 0.0)
        mu = (weights * y).sum(axis=1) / weights.sum(axis=1)
    mu = np.where(np.isfinite(mu), mu, 0.0)
    tau = np.where(np.isfinite(tau2), np.sqrt(tau2), 0.5)
    return mu, np.clip(tau, 0.1, 5.0)


def _maximise(
    x: FloatArray,
    n: FloatArray,
    nodes: int,
    mu: FloatArray,
    tau: FloatArray,
    modes: FloatArray,
    active: npt.NDArray[np.intp],
    enough: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Damped Newton ascent of the groups in ``active`` from (μ, τ) until a step promises
    less than ``enough`` log-likelihood; returns the new values."""
    mu, tau, modes = mu.copy(), tau.copy(), modes.copy()
    for _ in range(_MAX_OUTER):
        if active.size == 0:
            break
        quad = _Quadrature(x[active], n[active], nodes, modes[active])
        m, t = mu[active], tau[active]
        value, grad, hess = quad.loglik(m, t, moments=True)
        assert grad is not None and hess is not None
        step = _newton_step(grad, hess)
        # Long steps are shortened as a whole, keeping the ascent direction (clipping each
        # coordinate on its own can turn it into a descent).
        longest = np.max(np.abs(step), axis=1, keepdims=True)
        step = step * np.minimum(1.0, 5.0 / np.maximum(longest, 1e-300))
        # Converged when the step is tiny or the increase it promises (the Newton
        # decrement g·δ / 2) is below what the quadrature can resolve.
        promised = 0.5 * np.sum(grad * step, axis=1)
        done = (np.max(np.abs(step), axis=1) < _TOLERANCE) | (promised < enough)
        start_modes = quad.mode
        factor = np.ones(active.size)
        accepted = done.copy()
        for _h in range(_MAX_HALVINGS):
            todo = np.flatnonzero(~accepted)
            if todo.size == 0:
                break
            trial_m = m[todo] + factor[todo] * step[todo, 0]
            trial_t = t[todo] + factor[todo] * step[todo, 1]
            sub = _Quadrature(quad.x[todo], quad.n[todo], nodes, start_modes[todo])
            trial, _, _ = sub.loglik(trial_m, trial_t)
            better = trial >= value[todo] - 1e-12 * np.abs(value[todo])
            m[todo[better]], t[todo[better]] = trial_m[better], trial_t[better]
            start_modes[todo[better]] = sub.mode[better]
            accepted[todo[better]] = True
            factor[todo[~better]] /= 2.0
        # No ascent along the Newton direction: the maximum is as close as the quadrature sees.
        done |= ~accepted
        mu[active], tau[active] = m, t
        modes[active] = start_modes
        active = active[~done & (np.abs(t) < _TAU_LIMIT)]
    return mu, tau, modes


def fit(x: FloatArray, n: FloatArray, *, nodes: int = NODES) -> GlmmFit:
    """Fit the binomial-normal model to every row of ``x`` / ``n`` (groups × cohorts).

    Args:
        x: successes, one row per group, one column per cohort (0 where absent).
        n: totals, the same shape; n = 0 marks a cohort absent from that group.
        nodes: Gauss–Hermite nodes per integral.

    Returns:
        One :class:`GlmmFit` with an entry per group. Groups whose cohorts all lie at 0% or
        all at 100% or all at one of the two, or whose τ runs off, are not converged.
    """
    x = np.asarray(x, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    groups = x.shape[0]
    edge = (n == 0) | (x == 0) | (x == n)
    degenerate = np.all(edge, axis=1)
    mu, tau = _start(x, n)
    modes = np.zeros_like(x)
    # A coarse fit first (few nodes, cheap), then the full number of nodes from there: the
    # second stage starts at the maximum and needs a step or two.
    stages = [(nodes, 1e-13)]
    if nodes > _COARSE_NODES:
        stages.insert(0, (_COARSE_NODES, 1e-4))
    for stage_nodes, enough in stages:
        active = np.flatnonzero(~degenerate & (np.abs(tau) < _TAU_LIMIT))
        mu, tau, modes = _maximise(x, n, stage_nodes, mu, tau, modes, active, enough)
    quad = _Quadrature(x, n, nodes, modes)
    value, grad, hess = quad.loglik(mu, tau, moments=True)
    assert grad is not None and hess is not None
    # A safety net: at a maximum the score is nil. Measured in standard errors (the score
    # over the square root of its information), anything left is a search that stopped
    # short, reported as no estimate rather than as a wrong one.
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.sqrt(np.maximum(np.abs(np.diagonal(hess, axis1=1, axis2=2)), 1e-12))
        stopped_short = np.any(np.abs(grad) / scale > 1e-2, axis=1)
    tau = np.abs(tau)
    tau[tau < 1e-6] = 0.0  # the maximum is on the boundary: τ̂² = 0, not 1e-20
    converged = ~degenerate & (tau < _TAU_LIMIT) & np.isfinite(value) & ~stopped_short
    info = -hess
    det = info[:, 0, 0] * info[:, 1, 1] - info[:, 0, 1] ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        full = info[:, 1, 1] / det
        only_mu = 1.0 / info[:, 0, 0]
    # At τ̂ = 0 the τ-direction carries no information about μ (H_μτ = 0 by symmetry).
    var = np.where((tau > 1e-4) & (det > 0), full, only_mu)
    from scipy.special import gammaln

    log_binom = gammaln(n + 1) - gammaln(x + 1) - gammaln(n - x + 1)
    nan = np.full(groups, np.nan)
    return GlmmFit(
        mu=np.where(converged, mu, nan),
        # a negative or undefined variance only where the fit did not converge: no SE there
        se=np.where(converged & (var >= 0), np.sqrt(np.abs(np.nan_to_num(var))), nan),
        tau2=np.where(converged, tau * tau, nan),
        loglik=np.where(converged, value + log_binom.sum(axis=1), nan),
        converged=converged,
    )
