"""difference_ci against Newcombe (1998) Table II and an independent score-test inversion.

Published values: Newcombe RG (1998), "Interval estimation for the difference between
independent proportions: comparison of eleven methods", Statistics in Medicine 17:873–890,
Table II, examples (a)–(h), 95% limits to 4 decimals, methods 1 (Wald), 6 (Miettinen–
Nurminen score), 10 (hybrid score) and 11 (hybrid score, continuity corrected). The values
were taken from the table as reproduced in the test suites of DescTools (R, BinomDiffCI,
examples a, b, g), mqr (Python, confint_2sample_newcomb / _cc, all eight examples) and
mergeron_extra (Python, "M-N", all eight examples); they agree with each other wherever they
overlap. Agresti–Caffo is not in Newcombe's table and is checked against its definition.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar
from scipy.stats import norm

from toolkit.errors import UsageError
from toolkit.stats.differences import DIFFERENCE_METHODS, difference_ci

TABLE_II_COUNTS = [
    (56, 70, 48, 80),  # (a)
    (9, 10, 3, 10),  # (b)
    (6, 7, 2, 7),  # (c)
    (5, 56, 0, 29),  # (d)
    (0, 10, 0, 20),  # (e)
    (0, 10, 0, 10),  # (f)
    (10, 10, 0, 20),  # (g)
    (10, 10, 0, 10),  # (h)
]
TABLE_II = {
    "wald": [  # method 1; (e)–(h) are the degenerate zero-width intervals the paper reports
        (0.0575, 0.3425),
        (0.2605, 0.9395),
        (0.1481, 0.9947),
        (0.0146, 0.1640),
        (0.0, 0.0),
        (0.0, 0.0),
        (1.0, 1.0),
        (1.0, 1.0),
    ],
    "miettinen_nurminen": [  # method 6
        (0.0528, 0.3382),
        (0.1700, 0.8406),
        (0.0342, 0.8534),
        (-0.0326, 0.1933),
        (-0.1658, 0.2844),
        (-0.2879, 0.2879),
        (0.7156, 1.0),
        (0.6636, 1.0),
    ],
    "newcombe": [  # method 10
        (0.0524, 0.3339),
        (0.1705, 0.8090),
        (0.0582, 0.8062),
        (-0.0381, 0.1926),
        (-0.1611, 0.2775),
        (-0.2775, 0.2775),
        (0.6791, 1.0),
        (0.6075, 1.0),
    ],
    "newcombe_cc": [  # method 11
        (0.0428, 0.3422),
        (0.1013, 0.8387),
        (-0.0290, 0.8423),
        (-0.0667, 0.2037),
        (-0.2005, 0.3445),
        (-0.3445, 0.3445),
        (0.6014, 1.0),
        (0.5128, 1.0),
    ],
}
CASES = [
    pytest.param(method, counts, expected, id=f"{method}-{'abcdefgh'[i]}")
    for method, values in TABLE_II.items()
    for i, (counts, expected) in enumerate(zip(TABLE_II_COUNTS, values, strict=True))
]


@pytest.mark.parametrize(("method", "counts", "expected"), CASES)
def test_newcombe_1998_table_ii(
    method: str, counts: tuple[int, int, int, int], expected: tuple[float, float]
) -> None:
    lower, upper = difference_ci(*counts, method=method)
    assert isinstance(lower, float) and isinstance(upper, float)
    assert (round(lower, 4), round(upper, 4)) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("method", DIFFERENCE_METHODS)
def test_vectorised_equals_elementwise(method: str) -> None:
    x1, n1, x2, n2 = (np.array(col) for col in zip(*TABLE_II_COUNTS, strict=True))
    lower, upper = difference_ci(x1, n1, x2, n2, method=method)
    assert isinstance(lower, np.ndarray) and lower.shape == (8,)
    for i, counts in enumerate(TABLE_II_COUNTS):
        assert (lower[i], upper[i]) == pytest.approx(
            difference_ci(*counts, method=method), abs=1e-12
        )
    # polars Series and plain lists give the same arrays
    lo_pl, hi_pl = difference_ci(
        pl.Series(x1), pl.Series(n1), pl.Series(x2), pl.Series(n2), method=method
    )
    lo_list, _ = difference_ci(list(x1), list(n1), list(x2), list(n2), method=method)
    np.testing.assert_allclose(lo_pl, lower)
    np.testing.assert_allclose(hi_pl, upper)
    np.testing.assert_allclose(lo_list, lower)


def test_agresti_caffo_is_wald_with_one_success_and_one_failure_added() -> None:
    z = norm.ppf(0.975)
    for x1, n1, x2, n2 in TABLE_II_COUNTS:
        p1, p2 = (x1 + 1) / (n1 + 2), (x2 + 1) / (n2 + 2)
        se = math.sqrt(p1 * (1 - p1) / (n1 + 2) + p2 * (1 - p2) / (n2 + 2))
        expected = (max(-1.0, p1 - p2 - z * se), min(1.0, p1 - p2 + z * se))
        assert difference_ci(x1, n1, x2, n2, method="agresti_caffo") == pytest.approx(
            expected, abs=1e-12
        )
    # Agresti and Caffo (2000) as implemented independently in DescTools: 56/70 vs 48/80.
    lower, upper = difference_ci(56, 70, 48, 80, method="agresti_caffo")
    assert (round(lower, 4), round(upper, 4)) == (0.0525, 0.3358)


def _mn_score_brute(delta: float, x1: int, n1: int, x2: int, n2: int) -> float:
    """MN statistic with the restricted MLE found by numerical optimisation, not the cubic."""
    lo, hi = max(0.0, -delta), min(1.0, 1.0 - delta)

    def negloglik(p2: float) -> float:
        p1 = p2 + delta
        eps = 1e-300
        return -(
            x1 * math.log(max(p1, eps))
            + (n1 - x1) * math.log(max(1 - p1, eps))
            + x2 * math.log(max(p2, eps))
            + (n2 - x2) * math.log(max(1 - p2, eps))
        )

    if hi - lo < 1e-12:
        p2 = lo
    else:
        p2 = float(
            minimize_scalar(
                negloglik, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12}
            ).x
        )
    p1 = p2 + delta
    variance = (p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2) * (n1 + n2) / (n1 + n2 - 1)
    diff = x1 / n1 - x2 / n2 - delta
    if variance <= 0:
        return 0.0 if diff == 0 else math.copysign(math.inf, diff)
    return diff / math.sqrt(variance)


@pytest.mark.parametrize(
    "counts", [(3, 29, 6, 36), (1, 12, 7, 9), (0, 6, 4, 9), (8, 15, 8, 15), (2, 3, 0, 17)]
)
def test_miettinen_nurminen_equals_brute_force_inversion_of_the_score_test(
    counts: tuple[int, int, int, int],
) -> None:
    z = norm.ppf(0.975)
    grid = np.round(np.arange(-1.0, 1.0 + 1e-9, 0.0005), 10)
    accepted = [d for d in grid if abs(_mn_score_brute(float(d), *counts)) <= z]
    lower, upper = difference_ci(*counts, method="miettinen_nurminen")
    assert lower == pytest.approx(min(accepted), abs=6e-4)
    assert upper == pytest.approx(max(accepted), abs=6e-4)


@pytest.mark.parametrize("method", DIFFERENCE_METHODS)
@pytest.mark.parametrize(
    "counts", [(0, 10, 0, 20), (10, 10, 0, 20), (5, 56, 0, 29), (1, 1, 0, 1), (0, 1, 1, 1)]
)
def test_edges_are_finite(method: str, counts: tuple[int, int, int, int]) -> None:
    lower, upper = difference_ci(*counts, method=method)
    assert math.isfinite(lower) and math.isfinite(upper)
    assert -1.0 <= lower <= upper <= 1.0


def test_level_widens_the_interval() -> None:
    for method in DIFFERENCE_METHODS:
        narrow = difference_ci(9, 10, 3, 10, method=method, level=0.80)
        wide = difference_ci(9, 10, 3, 10, method=method, level=0.99)
        assert wide[0] <= narrow[0] and narrow[1] <= wide[1]


@pytest.mark.parametrize(
    ("args", "kwargs", "needle"),
    [
        ((11, 10, 0, 10), {}, "x1 must not exceed n1"),
        ((1, 10, 5, 4), {}, "x2 must not exceed n2"),
        ((-1, 10, 0, 10), {}, "x1 must not be negative"),
        ((0, 0, 0, 10), {}, "n1 must be at least 1"),
        ((0, 10, 0, 0), {}, "n2 must be at least 1"),
        ((1.5, 10, 0, 10), {}, "x1 must be whole numbers"),
        ((1, 10, 0, 10), {"level": 1.0}, "level must be between 0 and 1"),
        ((1, 10, 0, 10), {"level": 0}, "level must be between 0 and 1"),
        ((1, 10, 0, 10), {"method": "score"}, "unknown method 'score'"),
        (([1, 2], [10, 10, 10], 0, 10), {}, "different lengths"),
    ],
)
def test_bad_arguments_name_the_argument(
    args: tuple[object, ...], kwargs: dict[str, object], needle: str
) -> None:
    with pytest.raises(UsageError, match=needle.replace("(", r"\(")):
        difference_ci(*args, **kwargs)  # type: ignore[arg-type]


@st.composite
def two_groups(draw: st.DrawFn) -> tuple[int, int, int, int]:
    n1 = draw(st.integers(1, 60))
    n2 = draw(st.integers(1, 60))
    return draw(st.integers(0, n1)), n1, draw(st.integers(0, n2)), n2


@given(two_groups(), st.sampled_from(DIFFERENCE_METHODS), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_interval_contains_the_estimate_and_stays_in_range(
    counts: tuple[int, int, int, int], method: str, level: float
) -> None:
    x1, n1, x2, n2 = counts
    lower, upper = difference_ci(x1, n1, x2, n2, method=method, level=level)
    d = x1 / n1 - x2 / n2
    assert -1.0 <= lower <= upper <= 1.0
    if method != "agresti_caffo":  # AC is centred on the shifted estimate, not on d
        assert lower - 1e-9 <= d <= upper + 1e-9


@given(two_groups(), st.sampled_from(DIFFERENCE_METHODS))
def test_swapping_the_groups_negates_the_interval(
    counts: tuple[int, int, int, int], method: str
) -> None:
    x1, n1, x2, n2 = counts
    lower, upper = difference_ci(x1, n1, x2, n2, method=method)
    swapped = difference_ci(x2, n2, x1, n1, method=method)
    assert swapped == pytest.approx((-upper, -lower), abs=1e-9)
