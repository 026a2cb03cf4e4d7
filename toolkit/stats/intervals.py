"""Confidence intervals for a single binomial proportion.

Methods (``method=``), after Newcombe (1998), Stat Med 17:857–872, and Brown, Cai and
DasGupta (2001), Stat Sci 16:101–133:

- ``wilson``: Wilson score interval (Newcombe's method 3). The default: good coverage at
  small n without being as conservative as the exact interval.
- ``wilson_cc``: Wilson score interval with continuity correction (method 4).
- ``clopper_pearson``: the "exact" interval from beta quantiles (method 5); conservative.
- ``jeffreys``: equal-tailed Bayesian interval with the Jeffreys Beta(1/2, 1/2) prior, with
  Brown, Cai and DasGupta's convention: lower = 0 when x = 0 and upper = 1 when x = n.
- ``agresti_coull``: Wald interval around the shrunken estimate (x + z²/2) / (n + z²).
- ``wald``: the textbook normal approximation (method 1); poor at small n, provided for
  comparison with other software.
- ``hypergeometric``: for a sample of n from a known, finite population of N (a registry of a
  rare disease): the exact interval for the population proportion M/N, inverting the tails of
  the hypergeometric distribution at the integer counts M, the finite-population analogue of
  Clopper–Pearson (Wright 1991, Lecture Notes in Statistics 66; Wang 2015, JASA 110:1491). The
  interval holds every M with P(X ≥ x | M) ≥ α/2 and P(X ≤ x | M) ≥ α/2; it narrows as n
  approaches N (n = N: the observed proportion itself) and tends to Clopper–Pearson as N
  grows. Needs ``population``.

All limits are clipped to [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from toolkit.choices import CI_METHODS as METHODS
from toolkit.errors import UsageError

FloatArray = npt.NDArray[np.float64]
ArrayLike = Sequence[int] | Sequence[float] | npt.NDArray[Any] | Any


def z_value(level: float) -> float:
    """The two-sided standard-normal quantile for confidence ``level``."""
    # The standard library's quantile (Wichura's AS 241) agrees with scipy.stats.norm.ppf to
    # 1e-15 and avoids importing scipy.stats (over a second) for Wilson, Wald and
    # Agresti-Coull intervals.
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + level / 2.0)


def check_level(level: float) -> None:
    """Raise UsageError unless 0 < level < 1."""
    if not isinstance(level, int | float) or not 0.0 < float(level) < 1.0:
        raise UsageError(
            f"level must be between 0 and 1 (exclusive), got {level!r}; for 95% use 0.95"
        )


def as_counts(name: str, values: Any) -> FloatArray:
    """``values`` as a float array of whole, non-negative counts; UsageError naming ``name``."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise UsageError(f"{name} must be whole numbers, got {values!r}") from None
    if np.isnan(array).any():
        raise UsageError(f"{name} contains a missing value (NaN)")
    if (array < 0).any():
        raise UsageError(f"{name} must not be negative, got {array[array < 0][0]:g}")
    if (array != np.floor(array)).any():
        raise UsageError(
            f"{name} must be whole numbers, got {array[array != np.floor(array)][0]:g}"
        )
    return array


def _check_counts(x: FloatArray, n: FloatArray, x_name: str, n_name: str) -> None:
    if (n == 0).any():
        raise UsageError(f"{n_name} must be at least 1 (a proportion of nobody has no interval)")
    if (x > n).any():
        bad = np.argmax(x > n)
        raise UsageError(
            f"{x_name} ({np.broadcast_to(x, n.shape).flat[bad]:g}) is larger than "
            f"{n_name} ({np.broadcast_to(n, x.shape).flat[bad]:g})"
        )


def _wilson(x: FloatArray, n: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    z2 = z * z
    denominator = n + z2
    centre = (x + z2 / 2.0) / denominator
    half = z * np.sqrt(x * (n - x) / n + z2 / 4.0) / denominator
    return centre - half, centre + half


def _wilson_cc(x: FloatArray, n: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    z2 = z * z
    p = x / n
    q = 1.0 - p
    denominator = 2.0 * (n + z2)
    with np.errstate(invalid="ignore"):
        lower = (2 * x + z2 - 1 - z * np.sqrt(z2 - 2 - 1 / n + 4 * p * (n * q + 1))) / denominator
        upper = (2 * x + z2 + 1 + z * np.sqrt(z2 + 2 - 1 / n + 4 * p * (n * q - 1))) / denominator
    lower = np.where(x == 0, 0.0, lower)
    upper = np.where(x == n, 1.0, upper)
    return lower, upper


def _beta_limits(
    x: FloatArray, n: FloatArray, alpha: float, prior: float, exact: bool
) -> tuple[FloatArray, FloatArray]:
    from scipy.stats import beta

    with np.errstate(invalid="ignore", divide="ignore"):
        if exact:
            lower = beta.ppf(alpha / 2, np.maximum(x, 1e-300), n - x + 1)
            upper = beta.ppf(1 - alpha / 2, x + 1, np.maximum(n - x, 1e-300))
        else:
            lower = beta.ppf(alpha / 2, x + prior, n - x + prior)
            upper = beta.ppf(1 - alpha / 2, x + prior, n - x + prior)
    lower = np.where(x == 0, 0.0, lower)
    upper = np.where(x == n, 1.0, upper)
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


def _agresti_coull(x: FloatArray, n: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    n_tilde = n + z * z
    p_tilde = (x + z * z / 2.0) / n_tilde
    half = z * np.sqrt(p_tilde * (1 - p_tilde) / n_tilde)
    return p_tilde - half, p_tilde + half


def _wald(x: FloatArray, n: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    p = x / n
    half = z * np.sqrt(p * (1 - p) / n)
    return p - half, p + half


def _hypergeometric(
    x: FloatArray, n: FloatArray, population: FloatArray, alpha: float
) -> tuple[FloatArray, FloatArray]:
    """Exact limits M_L / N and M_U / N by integer bisection on M (tails monotone in M)."""
    from scipy.stats import hypergeom

    big = np.broadcast_to(population, x.shape).astype(np.float64)
    top = big - (n - x)  # the most successes the population can hold

    def search(low: FloatArray, high: FloatArray, inside: Any) -> FloatArray:
        # ``inside(M)`` is monotone: false below the limit, true from it (lower limit).
        low, high = low.copy(), high.copy()
        while True:
            todo = high - low > 0
            if not todo.any():
                return low
            mid = np.floor((low + high) / 2.0)
            ok = inside(mid)
            high = np.where(todo & ok, mid, high)
            low = np.where(todo & ~ok, mid + 1.0, low)

    with np.errstate(invalid="ignore", divide="ignore"):
        # Lower: the smallest M with P(X ≥ x | M) ≥ α/2 (it grows with M).
        m_low = search(x, top, lambda m: hypergeom.sf(x - 1, big, m, n) >= alpha / 2)
        # Upper: the largest M with P(X ≤ x | M) ≥ α/2 (it falls with M): the smallest M
        # whose successor fails, found on −M.
        m_high = -search(-top, -x, lambda m: hypergeom.cdf(x, big, -m, n) >= alpha / 2)
    return m_low / big, m_high / big


def proportion_limits(
    x: FloatArray,
    n: FloatArray,
    *,
    method: str,
    level: float,
    population: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Unchecked, vectorised core of :func:`proportion_ci` (arrays in, arrays out)."""
    z = z_value(level)
    if method == "hypergeometric":
        if population is None:
            raise UsageError(
                "the hypergeometric interval needs the population size N (study.population)"
            )
        lower, upper = _hypergeometric(x, n, np.asarray(population, dtype=np.float64), 1 - level)
    elif method == "wilson":
        lower, upper = _wilson(x, n, z)
    elif method == "wilson_cc":
        lower, upper = _wilson_cc(x, n, z)
    elif method == "clopper_pearson":
        lower, upper = _beta_limits(x, n, 1 - level, 0.0, exact=True)
    elif method == "jeffreys":
        lower, upper = _beta_limits(x, n, 1 - level, 0.5, exact=False)
    elif method == "agresti_coull":
        lower, upper = _agresti_coull(x, n, z)
    elif method == "wald":
        lower, upper = _wald(x, n, z)
    else:
        raise UsageError(
            f"unknown method '{method}' for a proportion's interval; choose one of {', '.join(METHODS)}"
        )
    return np.clip(lower, 0.0, 1.0), np.clip(upper, 0.0, 1.0)


@overload
def proportion_ci(
    successes: int | float,
    totals: int | float,
    *,
    method: str = ...,
    level: float = ...,
    population: Any = ...,
) -> tuple[float, float]: ...
@overload
def proportion_ci(
    successes: ArrayLike,
    totals: ArrayLike,
    *,
    method: str = ...,
    level: float = ...,
    population: Any = ...,
) -> tuple[FloatArray, FloatArray] | tuple[float, float]: ...
def proportion_ci(
    successes: Any,
    totals: Any,
    *,
    method: str = "wilson",
    level: float = 0.95,
    population: Any = None,
) -> tuple[Any, Any]:
    """Confidence interval for the proportion ``successes / totals``.

    Args:
        successes: number of participants with the property (x); scalar or array-like
            (sequence, numpy array or polars Series).
        totals: number of participants (n), same shape as ``successes`` or broadcastable.
        method: one of ``wilson`` (default), ``wilson_cc``, ``clopper_pearson``,
            ``jeffreys``, ``agresti_coull``, ``wald``, ``hypergeometric``.
        level: confidence level, strictly between 0 and 1.
        population: N, the size of the finite population sampled (scalar or one per
            proportion); needed by ``hypergeometric``, ignored by the other methods.

    Returns:
        ``(lower, upper)``: floats for scalar input, numpy arrays otherwise; clipped to [0, 1].

    Raises:
        UsageError: x > n, negative or fractional counts, n = 0, a level outside (0, 1), an
            unknown method, or (hypergeometric) no population or one smaller than n; the
            message names the argument.

    Example:
        >>> lower, upper = proportion_ci(81, 263)
        >>> round(lower, 4), round(upper, 4)
        (0.2553, 0.3662)
    """
    if method not in METHODS:
        raise UsageError(
            f"unknown method '{method}' for a proportion's interval; choose one of {', '.join(METHODS)}"
        )
    check_level(level)
    scalar = np.ndim(successes) == 0 and np.ndim(totals) == 0
    x = as_counts("successes", successes)
    n = as_counts("totals", totals)
    try:
        x, n = np.broadcast_arrays(x, n)
    except ValueError:
        raise UsageError(
            f"successes and totals have different lengths ({np.shape(successes)} and {np.shape(totals)})"
        ) from None
    _check_counts(x, n, "successes", "totals")
    big = None
    if method == "hypergeometric":
        if population is None:
            raise UsageError(
                "population is needed for the hypergeometric interval: the size N of the "
                "finite population the participants were drawn from"
            )
        big = as_counts("population", population)
        if (np.broadcast_to(big, n.shape) < n).any():
            raise UsageError("population must be at least the sample size (N ≥ n)")
    lower, upper = proportion_limits(x, n, method=method, level=float(level), population=big)
    if scalar:
        return float(lower), float(upper)
    return lower, upper
