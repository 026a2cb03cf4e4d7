"""Coder agreement: kappa and alpha against published examples and brute-force definitions."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.stats.agreement import cohen_kappa, krippendorff_alpha_nominal

NAN = math.nan

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C (nominal data,
# any number of observers, missing data): 4 observers × 12 units; published alpha = 0.743
# (n = 40 pairable values).
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]


def test_alpha_reproduces_krippendorffs_published_example() -> None:
    alpha, n = krippendorff_alpha_nominal(KRIPPENDORFF_2011)
    assert round(alpha, 3) == 0.743
    assert n == 40


def _alpha_by_pairs(matrix: list[list[float]]) -> float:
    """Alpha from its definition over ordered pairs of values, without a coincidence matrix."""
    units = [[v for v in col if not math.isnan(v)] for col in zip(*matrix, strict=True)]
    units = [u for u in units if len(u) >= 2]
    observed = 0.0
    for values in units:
        m = len(values)
        observed += sum(a != b for a, b in itertools.permutations(values, 2)) / (m - 1)
    pooled = [v for u in units for v in u]
    n = len(pooled)
    expected = sum(a != b for a, b in itertools.permutations(pooled, 2))
    return 1 - (n - 1) * observed / expected


def test_alpha_equals_its_pairwise_definition_on_the_published_example() -> None:
    assert krippendorff_alpha_nominal(KRIPPENDORFF_2011)[0] == pytest.approx(
        _alpha_by_pairs(KRIPPENDORFF_2011)
    )


def test_kappa_from_a_two_by_two_table() -> None:
    # The worked example of Cohen's kappa on Wikipedia: 50 proposals, both yes 20, A yes /
    # B no 5, A no / B yes 10, both no 15: p_o = 0.7, p_e = 0.5, kappa = 0.4.
    a = ["yes"] * 20 + ["yes"] * 5 + ["no"] * 10 + ["no"] * 15
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    # And from the 2 × 2 formula directly on another table.
    x, y, w, z = 7, 2, 3, 8  # yes/yes, yes/no, no/yes, no/no
    total = x + y + w + z
    po = (x + z) / total
    pe = ((x + y) * (x + w) + (w + z) * (y + z)) / total**2
    first = [1] * (x + y) + [0] * (w + z)
    second = [1] * x + [0] * y + [1] * w + [0] * z
    assert cohen_kappa(first, second) == pytest.approx((po - pe) / (1 - pe))


def test_kappa_undefined_without_variation() -> None:
    assert math.isnan(cohen_kappa([0, 0, 0], [0, 0, 0]))
    assert math.isnan(krippendorff_alpha_nominal([[0, 0, 0], [0, 0, 0]])[0])


binary_codings = st.lists(st.integers(0, 1), min_size=2, max_size=30)


@given(binary_codings)
def test_identical_coders_have_kappa_one(values: list[int]) -> None:
    kappa = cohen_kappa(values, values)
    if len(set(values)) > 1:
        assert kappa == pytest.approx(1.0)
        assert krippendorff_alpha_nominal([values, values])[0] == pytest.approx(1.0)
    else:
        assert math.isnan(kappa)


@st.composite
def reliability_data(draw: st.DrawFn) -> list[list[float]]:
    coders = draw(st.integers(2, 5))
    units = draw(st.integers(2, 15))
    cell = st.one_of(st.integers(0, 3).map(float), st.just(NAN))
    return [[draw(cell) for _ in range(units)] for _ in range(coders)]


@given(reliability_data(), st.randoms(use_true_random=False))
def test_alpha_is_invariant_to_relabelling_and_reordering_coders(
    data: list[list[float]], rnd: object
) -> None:
    alpha, n = krippendorff_alpha_nominal(data)
    shuffled = list(data)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    relabel = {0.0: 7.0, 1.0: 5.0, 2.0: 1.0, 3.0: 9.0}
    renamed = [[relabel.get(v, v) for v in row] for row in shuffled]
    alpha2, n2 = krippendorff_alpha_nominal(renamed)
    assert n == n2
    if math.isnan(alpha):
        assert math.isnan(alpha2)
    else:
        assert alpha2 == pytest.approx(alpha, abs=1e-12)
        assert alpha == pytest.approx(_alpha_by_pairs(data), abs=1e-12)


@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=2, max_size=40))
def test_kappa_is_symmetric_in_the_coders(pairs: list[tuple[int, int]]) -> None:
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    k1, k2 = cohen_kappa(a, b), cohen_kappa(b, a)
    assert (math.isnan(k1) and math.isnan(k2)) or k1 == pytest.approx(k2)
