"""Confidence intervals for the difference of two independent proportions, p1 − p2.

Methods (names as in SPEC §4 and ``analysis.difference_ci``):

``newcombe``
    Newcombe's hybrid score interval (Newcombe 1998, method 10): the Wilson score limits of
    each proportion combined by "square and add". The default: good coverage, never outside
    [−1, 1], defined for every table including zero cells.
``newcombe_cc``
    The same with continuity-corrected Wilson limits (Newcombe 1998, method 11); more
    conservative.
``miettinen_nurminen``
    The score interval of Miettinen and Nurminen (1985, Stat Med 4:213–226): every Δ whose
    score statistic, with the restricted maximum-likelihood variance multiplied by
    N/(N − 1), lies within ±z (Newcombe 1998, method 6). Found by bisection, so it is finite
    at the edges (0/10 vs 0/20, 10/10 vs 0/20) where closed forms and some libraries fail.
``wald``
    p1 − p2 ± z·SE (Newcombe 1998, method 1). Shown for comparison only: it collapses to a
    single point when both proportions are 0 or 1, and undercovers in small samples.
``agresti_caffo``
    Wald after adding one success and one failure to each group (Agresti and Caffo 2000,
    Am Stat 54:280–288).

References:
    Newcombe RG (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Statistics in Medicine 17:873–890.
"""

from __future__ import annotations

from typing import Any, overload

import numpy as np
import numpy.typing as npt

from toolkit.choices import DIFFERENCE_METHODS
from toolkit.errors import UsageError
from toolkit.stats.intervals import as_counts, check_level, proportion_limits, z_value

FloatArray = npt.NDArray[np.float64]

_BISECTION_STEPS = 60  # halves an interval of width 2 to below 1e-17


def check_counts(
    x: Any, n: Any, *, x_name: str = "x", n_name: str = "n"
) -> tuple[FloatArray, FloatArray]:
    """Validate successes ``x`` out of totals ``n`` and return them as float arrays.

    Raises:
        UsageError: negative or fractional counts, ``n = 0``, or ``x > n``; the message
            names the argument.
    """
    xa = as_counts(x_name, x)
    na = as_counts(n_name, n)
    try:
        xa, na = np.broadcast_arrays(xa, na)
    except ValueError:
        raise UsageError(
            f"{x_name} and {n_name} have different lengths ({xa.shape} and {na.shape})"
        ) from None
    if np.any(na == 0):
        raise UsageError(
            f"{n_name} must be at least 1 (a group with no participants has no proportion)"
        )
    if np.any(xa > na):
        raise UsageError(f"{x_name} must not exceed {n_name} (more successes than participants)")
    return xa, na


def _newcombe(
    x1: FloatArray,
    n1: FloatArray,
    x2: FloatArray,
    n2: FloatArray,
    *,
    corrected: bool,
    level: float,
) -> tuple[FloatArray, FloatArray]:
    p1, p2 = x1 / n1, x2 / n2
    single = "wilson_cc" if corrected else "wilson"
    l1, u1 = proportion_limits(x1, n1, method=single, level=level)
    l2, u2 = proportion_limits(x2, n2, method=single, level=level)
    d = p1 - p2
    lower = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return lower, upper


def _wald(
    x1: FloatArray, n1: FloatArray, x2: FloatArray, n2: FloatArray, z: float
) -> tuple[FloatArray, FloatArray]:
    p1, p2 = x1 / n1, x2 / n2
    se = np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    d = p1 - p2
    return d - z * se, d + z * se


def restricted_mle(
    delta: FloatArray, x1: FloatArray, n1: FloatArray, x2: FloatArray, n2: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Maximum-likelihood (p1, p2) under the constraint p1 − p2 = ``delta``.

    The closed-form root of the likelihood cubic (Miettinen and Nurminen 1985, appendix;
    Farrington and Manning 1990), with the cosine argument clipped to [−1, 1] so that
    rounding never yields NaN.
    """
    p1h, p2h = x1 / n1, x2 / n2
    theta = n2 / n1
    a = 1 + theta
    b = -(1 + theta + p1h + theta * p2h + delta * (theta + 2))
    c = delta * delta + delta * (2 * p1h + theta + 1) + p1h + theta * p2h
    d = -p1h * delta * (1 + delta)
    v = b**3 / (27 * a**3) - b * c / (6 * a * a) + d / (2 * a)
    u_sq = np.maximum(b * b / (9 * a * a) - c / (3 * a), 0.0)
    u = np.where(v >= 0, 1.0, -1.0) * np.sqrt(u_sq)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(u == 0, 0.0, v / u**3)
    w = (np.pi + np.arccos(np.clip(ratio, -1.0, 1.0))) / 3
    p1 = np.clip(2 * u * np.cos(w) - b / (3 * a), 0.0, 1.0)
    # Keep the pair on the constraint line and inside the unit square.
    p1 = np.clip(p1, np.maximum(delta, 0.0), np.minimum(1.0 + delta, 1.0))
    return p1, p1 - delta


def mn_score(
    delta: FloatArray, x1: FloatArray, n1: FloatArray, x2: FloatArray, n2: FloatArray
) -> FloatArray:
    """Miettinen–Nurminen score statistic for H0: p1 − p2 = ``delta``.

    ``(p̂1 − p̂2 − Δ) / sqrt(V)``, V the restricted-MLE variance times N/(N − 1). Where V is 0
    (Δ = ±1, or both proportions pinned at 0 or 1) the statistic is ±infinity, or 0 when the
    observed difference equals Δ.
    """
    p1t, p2t = restricted_mle(delta, x1, n1, x2, n2)
    total = n1 + n2
    variance = (p1t * (1 - p1t) / n1 + p2t * (1 - p2t) / n2) * total / np.maximum(total - 1, 1)
    diff = x1 / n1 - x2 / n2 - delta
    with np.errstate(divide="ignore", invalid="ignore"):
        score = diff / np.sqrt(variance)
    degenerate = np.where(diff > 0, np.inf, np.where(diff < 0, -np.inf, 0.0))
    return np.where(variance > 0, score, degenerate)


def _miettinen_nurminen(
    x1: FloatArray, n1: FloatArray, x2: FloatArray, n2: FloatArray, z: float
) -> tuple[FloatArray, FloatArray]:
    """Invert the MN score test by vectorised bisection on each side of the estimate.

    The score statistic decreases in Δ; the lower limit is where it falls to +z (on
    [−1, d̂]), the upper where it reaches −z (on [d̂, 1]). A limit at ±1 stays there when the
    test does not reject Δ = ±1.
    """
    d = x1 / n1 - x2 / n2

    def solve(lo: FloatArray, hi: FloatArray, target: float) -> FloatArray:
        # Invariant: score(lo) >= target >= score(hi), so the crossing lies in [lo, hi].
        for _ in range(_BISECTION_STEPS):
            mid = (lo + hi) / 2
            above = mn_score(mid, x1, n1, x2, n2) >= target
            lo = np.where(above, mid, lo)
            hi = np.where(above, hi, mid)
        return (lo + hi) / 2

    minus_one = np.full_like(d, -1.0)
    plus_one = np.full_like(d, 1.0)
    # Where the test does not reject Δ = −1 (or +1), which happens only when the estimate
    # itself is −1 (or +1), that edge is the limit.
    lower_edge = mn_score(minus_one, x1, n1, x2, n2) <= z
    upper_edge = mn_score(plus_one, x1, n1, x2, n2) >= -z
    lower = np.where(lower_edge, -1.0, solve(minus_one, d.copy(), z))
    upper = np.where(upper_edge, 1.0, solve(d.copy(), plus_one, -z))
    return lower, upper


@overload
def difference_ci(
    x1: int | float,
    n1: int | float,
    x2: int | float,
    n2: int | float,
    *,
    method: str = ...,
    level: float = ...,
) -> tuple[float, float]: ...
@overload
def difference_ci(
    x1: Any, n1: Any, x2: Any, n2: Any, *, method: str = ..., level: float = ...
) -> tuple[Any, Any]: ...
def difference_ci(
    x1: Any, n1: Any, x2: Any, n2: Any, *, method: str = "newcombe", level: float = 0.95
) -> tuple[Any, Any]:
    """Confidence interval for the difference of two independent proportions x1/n1 − x2/n2.

    Args:
        x1: successes in group 1 (a count, or a sequence / numpy array / polars Series).
        n1: size of group 1 (at least 1).
        x2: successes in group 2.
        n2: size of group 2 (at least 1).
        method: ``newcombe`` (default), ``newcombe_cc``, ``miettinen_nurminen``, ``wald`` or
            ``agresti_caffo``; see the module docstring.
        level: confidence level, strictly between 0 and 1.

    Returns:
        ``(lower, upper)``, clipped to [−1, 1]: floats when all four arguments are scalars,
        otherwise numpy arrays broadcast from the arguments.

    Raises:
        UsageError: a negative or fractional count, a total of 0, successes above the
            total, a level outside (0, 1) or an unknown method; the message names the
            argument.

    Example:
        >>> lower, upper = difference_ci(56, 70, 48, 80)   # Newcombe (1998) Table II (a)
        >>> round(lower, 4), round(upper, 4)
        (0.0524, 0.3339)
    """
    if method not in DIFFERENCE_METHODS:
        raise UsageError(
            f"unknown method '{method}' for difference_ci; choose one of {', '.join(DIFFERENCE_METHODS)}"
        )
    check_level(level)
    z = z_value(level)
    scalar = all(np.ndim(v) == 0 and not hasattr(v, "to_numpy") for v in (x1, n1, x2, n2))
    a1, b1 = check_counts(x1, n1, x_name="x1", n_name="n1")
    a2, b2 = check_counts(x2, n2, x_name="x2", n_name="n2")
    try:
        a1, b1, a2, b2 = np.broadcast_arrays(a1, b1, a2, b2)
    except ValueError:
        raise UsageError(
            f"group 1 and group 2 have different lengths ({a1.shape} and {a2.shape})"
        ) from None
    if method == "newcombe":
        lower, upper = _newcombe(a1, b1, a2, b2, corrected=False, level=level)
    elif method == "newcombe_cc":
        lower, upper = _newcombe(a1, b1, a2, b2, corrected=True, level=level)
    elif method == "miettinen_nurminen":
        lower, upper = _miettinen_nurminen(a1, b1, a2, b2, z)
    elif method == "wald":
        lower, upper = _wald(a1, b1, a2, b2, z)
    else:
        lower, upper = _wald(a1 + 1, b1 + 2, a2 + 1, b2 + 2, z)
    lower = np.clip(lower, -1.0, 1.0)
    upper = np.clip(upper, -1.0, 1.0)
    if scalar:
        return float(lower), float(upper)
    return lower, upper
