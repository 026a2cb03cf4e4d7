"""proportion_ci against published values, its conventions and its argument errors."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.errors import UsageError
from toolkit.stats import proportion_ci
from toolkit.stats.intervals import METHODS

# Newcombe RG (1998). Two-sided confidence intervals for the single proportion: comparison of
# seven methods. Stat Med 17:857-872, Table I (95% limits). Method numbers as in the paper:
# 1 Wald, 3 Wilson score, 4 score with continuity correction, 5 Clopper-Pearson "exact".
NEWCOMBE_TABLE_I = {
    (81, 263): {
        "wald": (0.2522, 0.3638),
        "wilson": (0.2553, 0.3662),
        "wilson_cc": (0.2535, 0.3682),
        "clopper_pearson": (0.2527, 0.3676),
    },
    (15, 148): {
        "wald": (0.0527, 0.1500),
        "wilson": (0.0624, 0.1605),
        "wilson_cc": (0.0598, 0.1644),
        "clopper_pearson": (0.0578, 0.1617),
    },
    (0, 20): {
        "wald": (0.0, 0.0),
        "wilson": (0.0, 0.1611),
        "wilson_cc": (0.0, 0.2005),
        "clopper_pearson": (0.0, 0.1684),
    },
    (1, 29): {
        # Wald's lower limit is negative (-0.0317) in the paper; raremix clips it to 0.
        "wald": (0.0, 0.1009),
        "wilson": (0.0061, 0.1718),
        "wilson_cc": (0.0018, 0.1963),
        "clopper_pearson": (0.0009, 0.1776),
    },
}

CASES = [
    (x, n, m, lim) for (x, n), methods in NEWCOMBE_TABLE_I.items() for m, lim in methods.items()
]


@pytest.mark.parametrize(("x", "n", "method", "expected"), CASES)
def test_newcombe_table_i(x: int, n: int, method: str, expected: tuple[float, float]) -> None:
    lower, upper = proportion_ci(x, n, method=method)
    assert round(lower, 4) == pytest.approx(expected[0], abs=1e-4)
    assert round(upper, 4) == pytest.approx(expected[1], abs=1e-4)


def test_jeffreys_follows_brown_cai_dasgupta_at_the_edges() -> None:
    from scipy.stats import beta

    lower, upper = proportion_ci(0, 20, method="jeffreys")
    assert lower == 0.0
    assert upper == pytest.approx(beta.ppf(0.975, 0.5, 20.5))
    lower, upper = proportion_ci(20, 20, method="jeffreys")
    assert upper == 1.0
    assert lower == pytest.approx(beta.ppf(0.025, 20.5, 0.5))


def test_agresti_coull_formula() -> None:
    z = 1.959963984540054
    n_t = 29 + z * z
    p_t = (1 + z * z / 2) / n_t
    half = z * np.sqrt(p_t * (1 - p_t) / n_t)
    lower, upper = proportion_ci(1, 29, method="agresti_coull")
    assert lower == pytest.approx(max(0.0, p_t - half))
    assert upper == pytest.approx(p_t + half)


def test_vectorised_inputs_give_arrays_matching_scalars() -> None:
    xs, ns = [81, 15, 0, 1], [263, 148, 20, 29]
    for values in ((xs, ns), (np.array(xs), np.array(ns)), (pl.Series(xs), pl.Series(ns))):
        lower, upper = proportion_ci(*values, method="wilson")
        assert isinstance(lower, np.ndarray)
        for i, (x, n) in enumerate(zip(xs, ns, strict=True)):
            assert (lower[i], upper[i]) == pytest.approx(proportion_ci(x, n))


def test_level_changes_width() -> None:
    narrow = proportion_ci(5, 15, level=0.8)
    wide = proportion_ci(5, 15, level=0.99)
    assert wide[0] < narrow[0] and wide[1] > narrow[1]


@pytest.mark.parametrize(
    ("args", "kwargs", "fragment"),
    [
        ((5, 3), {}, "successes (5) is larger than totals (3)"),
        ((-1, 3), {}, "successes must not be negative"),
        ((1, 0), {}, "totals must be at least 1"),
        ((1.5, 3), {}, "successes must be whole numbers"),
        ((1, 3), {"level": 1.5}, "level must be between 0 and 1"),
        ((1, 3), {"level": 0}, "level must be between 0 and 1"),
        ((1, 3), {"method": "bogus"}, "unknown method 'bogus'"),
        (([1, 2], [3, 4, 5]), {}, "different lengths"),
    ],
)
def test_bad_arguments_name_the_argument(args: tuple, kwargs: dict, fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        proportion_ci(*args, **kwargs)


@given(
    st.integers(min_value=1, max_value=500).flatmap(
        lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
    ),
    st.sampled_from(METHODS),
    st.floats(min_value=0.5, max_value=0.999),
)
def test_interval_contains_estimate_and_stays_in_unit_interval(
    xn: tuple[int, int], method: str, level: float
) -> None:
    x, n = xn
    # population: the hypergeometric interval's N (every other method ignores it)
    lower, upper = proportion_ci(x, n, method=method, level=level, population=3 * n)
    assert 0.0 <= lower <= x / n + 1e-12
    assert x / n - 1e-12 <= upper <= 1.0


@given(
    st.integers(min_value=1, max_value=200).flatmap(
        lambda n: st.tuples(st.integers(0, n), st.just(n))
    )
)
def test_symmetry_x_and_n_minus_x(xn: tuple[int, int]) -> None:
    x, n = xn
    for method in METHODS:
        lower, upper = proportion_ci(x, n, method=method, population=3 * n)
        mirror_lower, mirror_upper = proportion_ci(n - x, n, method=method, population=3 * n)
        assert lower == pytest.approx(1 - mirror_upper, abs=1e-9)
        assert upper == pytest.approx(1 - mirror_lower, abs=1e-9)
