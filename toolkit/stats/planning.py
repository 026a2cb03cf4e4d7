"""Planning an interview study by the precision it will give (``raremix plan``).

"How many people must I interview so that a theme voiced by about p of them has an interval
no wider than w?", and the reverse, "what width do 15 people give?". Precision-based sample
size (Bland 2009, BMJ 339:b3985): the planned width is the full width of the interval the
study would report if the observed proportion were exactly p, that is at x = n·p. Wilson,
Agresti–Coull, Jeffreys and Clopper–Pearson are evaluated at that (possibly fractional) x,
as R's ``presize::prec_prop`` does (Haynes et al. 2021, JOSS 6:3118); the hypergeometric
interval of a finite population N needs whole counts and uses x = round(n·p).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from toolkit.errors import UsageError
from toolkit.frames.study import PLAN
from toolkit.stats.intervals import METHODS, FloatArray, check_level, proportion_limits

PLAN_COLUMNS = PLAN.names

MAX_N = 100_000
"""The largest sample :func:`sample_size` looks at."""


def _check(p: float, method: str, level: float, population: int | None) -> None:
    if method not in METHODS:
        raise UsageError(f"unknown CI method '{method}'; choose one of {', '.join(METHODS)}")
    check_level(level)
    if not 0.0 <= p <= 1.0:
        raise UsageError(f"p must be a proportion between 0 and 1, got {p}")
    if method == "hypergeometric" and population is None:
        raise UsageError("the hypergeometric interval needs --population N")
    if population is not None and population < 1:
        raise UsageError(f"population must be a whole number ≥ 1, got {population}")


def limits(
    n: Sequence[int] | FloatArray,
    p: float,
    *,
    method: str = "wilson",
    level: float = 0.95,
    population: int | None = None,
) -> tuple[FloatArray, FloatArray]:
    """The interval each sample size in ``n`` would give if the observed proportion were p."""
    _check(p, method, level, population)
    sizes = np.asarray(n, dtype=np.float64)
    if (sizes < 1).any():
        raise UsageError("sample sizes must be at least 1")
    x = sizes * p
    big = None
    if method == "hypergeometric":
        x = np.round(x)
        big = np.full(sizes.shape, float(population))  # type: ignore[arg-type]
    elif method in ("clopper_pearson", "jeffreys", "wilson_cc"):
        x = np.clip(x, 0.0, sizes)
    return proportion_limits(x, sizes, method=method, level=level, population=big)


def widths(
    n: Sequence[int] | FloatArray,
    p: float,
    *,
    method: str = "wilson",
    level: float = 0.95,
    population: int | None = None,
) -> FloatArray:
    """The full interval width for each sample size in ``n`` at proportion p."""
    lower, upper = limits(n, p, method=method, level=level, population=population)
    return upper - lower


def sample_size(
    p: float,
    width: float,
    *,
    method: str = "wilson",
    level: float = 0.95,
    population: int | None = None,
) -> int | None:
    """The smallest sample whose interval at proportion p is no wider than ``width``.

    Returns:
        n, or None when no sample up to the population (or :data:`MAX_N`) is narrow enough.

    Raises:
        UsageError: p or width outside (0, 1], an unknown method or level, a hypergeometric
            interval without a population.
    """
    _check(p, method, level, population)
    if not 0.0 < width <= 1.0:
        raise UsageError(f"width must be between 0 and 1, got {width}")
    top = MAX_N if population is None else population
    # Widths shrink with n overall but not monotonically at whole counts: scan in blocks.
    start = 1
    while start <= top:
        stop = min(top, start * 4 + 64)
        sizes = np.arange(start, stop + 1, dtype=np.float64)
        ok = np.flatnonzero(
            widths(sizes, p, method=method, level=level, population=population) <= width + 1e-12
        )
        if ok.size:
            return int(sizes[ok[0]])
        start = stop + 1
    return None


def plan(
    proportions: Sequence[float],
    *,
    widths_wanted: Sequence[float] = (),
    sizes: Sequence[int] = (),
    method: str = "wilson",
    level: float = 0.95,
    population: int | None = None,
) -> pl.DataFrame:
    """The planning table: for each p, the sample each wanted width needs, and the interval
    each given sample size gives (:data:`PLAN_COLUMNS`, one row per p and n)."""
    if not proportions:
        raise UsageError("give at least one proportion p")
    if not widths_wanted and not sizes:
        raise UsageError("give a width to plan for, or a sample size to see its width")
    rows = []
    for p in proportions:
        wanted = [
            sample_size(p, w, method=method, level=level, population=population)
            for w in widths_wanted
        ]
        for n in dict.fromkeys([*(m for m in wanted if m is not None), *sizes]):
            if population is not None and n > population:
                raise UsageError(f"a sample of {n} is larger than the population of {population}")
            lower, upper = limits([n], p, method=method, level=level, population=population)
            rows.append((p, n, float(lower[0]), float(upper[0])))
    frame = pl.DataFrame(
        rows,
        schema={"p": pl.Float64, "n": pl.Int64, "ci_lower": pl.Float64, "ci_upper": pl.Float64},
        orient="row",
    )
    return frame.with_columns(
        (pl.col("ci_upper") - pl.col("ci_lower")).alias("width"),
        pl.lit(method).alias("ci_method"),
        pl.lit(float(level)).alias("ci_level"),
        pl.lit(population, pl.Int64).alias("population"),
    ).select(PLAN_COLUMNS)
