"""Finite-population (hypergeometric) intervals: brute-force inversion with scipy, the limits
n = N and N → ∞, and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import hypergeom

from toolkit.errors import UsageError
from toolkit.stats.intervals import proportion_ci


def _brute_force(x: int, n: int, big: int, level: float) -> tuple[float, float]:
    """Every population count M the sample does not reject at either tail (α/2 each),
    computed independently: scipy's hypergeometric pmf summed by hand for every M."""
    alpha = 1 - level
    kept = []
    for m in range(x, big - (n - x) + 1):
        pmf = [hypergeom.pmf(k, big, m, n) for k in range(n + 1)]
        upper_tail = sum(pmf[x:])  # P(X ≥ x | M)
        lower_tail = sum(pmf[: x + 1])  # P(X ≤ x | M)
        if upper_tail >= alpha / 2 - 1e-12 and lower_tail >= alpha / 2 - 1e-12:
            kept.append(m)
    return min(kept) / big, max(kept) / big


@pytest.mark.parametrize(
    ("x", "n", "big", "level"),
    [
        (5, 15, 60, 0.95),  # 15 interviewed of about 60 known patients
        (0, 15, 60, 0.95),
        (15, 15, 60, 0.95),
        (3, 10, 12, 0.9),
        (7, 20, 200, 0.99),
        (1, 4, 9, 0.8),
    ],
)
def test_matches_brute_force_inversion(x: int, n: int, big: int, level: float) -> None:
    got = proportion_ci(x, n, method="hypergeometric", level=level, population=big)
    assert got == pytest.approx(_brute_force(x, n, big, level), abs=1e-12)


@pytest.mark.parametrize(("x", "n"), [(0, 12), (5, 12), (12, 12)])
def test_the_whole_population_interviewed_collapses_to_the_observed_proportion(
    x: int, n: int
) -> None:
    assert proportion_ci(x, n, method="hypergeometric", population=n) == pytest.approx(
        (x / n, x / n)
    )


@pytest.mark.parametrize(("x", "n"), [(0, 15), (3, 15), (8, 20), (20, 20)])
def test_an_infinite_population_gives_clopper_pearson(x: int, n: int) -> None:
    exact = proportion_ci(x, n, method="clopper_pearson")
    finite = proportion_ci(x, n, method="hypergeometric", population=10**8)
    assert finite == pytest.approx(exact, abs=1e-6)


def test_the_interval_narrows_as_the_sample_approaches_the_population() -> None:
    widths = []
    for n in (10, 20, 40, 55, 60):
        lower, upper = proportion_ci(n // 3, n, method="hypergeometric", population=60)
        widths.append(upper - lower)
    assert widths == sorted(widths, reverse=True) and widths[-1] == 0.0


@settings(max_examples=50, deadline=None)
@given(
    st.integers(1, 30).flatmap(
        lambda n: st.tuples(st.integers(0, n), st.just(n), st.integers(n, n + 80))
    )
)
def test_contains_the_observed_proportion_and_nests_in_clopper_pearson(case) -> None:  # type: ignore[no-untyped-def]
    x, n, big = case
    lower, upper = proportion_ci(x, n, method="hypergeometric", population=big)
    assert lower - 1e-12 <= x / n <= upper + 1e-12
    cp_lower, cp_upper = proportion_ci(x, n, method="clopper_pearson")
    # The population holds whole people: the limits are counts over N, and never wider than
    # the infinite-population interval by more than one person.
    assert round(lower * big, 9) == int(round(lower * big, 9))
    assert lower >= cp_lower - 1 / big and upper <= cp_upper + 1 / big


def test_arrays_and_per_row_populations() -> None:
    lower, upper = proportion_ci(
        [0, 15, 3], [15, 15, 15], method="hypergeometric", population=[60, 60, 16]
    )
    for i, (x, big) in enumerate([(0, 60), (15, 60), (3, 16)]):
        assert (lower[i], upper[i]) == pytest.approx(_brute_force(x, 15, big, 0.95))


def test_usage_errors() -> None:
    with pytest.raises(UsageError, match="population is needed"):
        proportion_ci(3, 10, method="hypergeometric")
    with pytest.raises(UsageError, match="N ≥ n"):
        proportion_ci(3, 10, method="hypergeometric", population=8)
