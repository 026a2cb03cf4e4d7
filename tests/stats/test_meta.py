"""Random-effects meta-analysis of proportions: published values, hand computations, properties."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar
from scipy.stats import chi2, norm

from toolkit.errors import UsageError
from toolkit.stats.meta import logit_proportions, pool_proportions, random_effects
from toolkit.stats.pooled import pool_frame

# Kacker (2004), Metrologia 41:132–136, as analysed with R metafor 'rma(y, v, method="DL")'
# (values recorded in statsmodels' test suite, results_meta.exk1_dl).
KACKER_Y = [61.0, 61.4, 62.21, 62.3, 62.34, 62.6, 62.7, 62.84, 65.9]
KACKER_V = [0.2025, 1.2100, 0.0900, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225]


def test_dersimonian_laird_matches_metafor_on_kacker_2004() -> None:
    result = random_effects(KACKER_Y, KACKER_V, method="dl")
    assert result.estimate == pytest.approx(62.3901386044504, abs=1e-9)
    assert result.se == pytest.approx(0.245749668040304, abs=1e-9)
    assert result.lower == pytest.approx(61.9084781058787, abs=1e-9)
    assert result.upper == pytest.approx(62.8717991030221, abs=1e-9)
    assert result.tau2 == pytest.approx(0.288049246973751, abs=1e-9)
    assert result.q == pytest.approx(24.801897741835, abs=1e-8)
    assert result.q_pvalue == pytest.approx(0.00167935146372742, abs=1e-10)
    assert result.i2 * 100 == pytest.approx(67.744403741711, abs=1e-7)
    assert result.k == 9 and result.q_df == 8 and result.method == "dl"


def _restricted_loglik(tau2: float, y: np.ndarray, v: np.ndarray) -> float:
    w = 1.0 / (v + tau2)
    mu = np.sum(w * y) / np.sum(w)
    return float(-0.5 * (np.sum(np.log(v + tau2)) + np.log(np.sum(w)) + np.sum(w * (y - mu) ** 2)))


@pytest.mark.parametrize(
    ("y", "v"),
    [
        (KACKER_Y, KACKER_V),
        # logits of 3/15, 9/15, 20/24, 1/20 (heterogeneous proportions)
        (
            [math.log(3 / 12), math.log(9 / 6), math.log(20 / 4), math.log(1 / 19)],
            [1 / 3 + 1 / 12, 1 / 9 + 1 / 6, 1 / 20 + 1 / 4, 1 / 1 + 1 / 19],
        ),
    ],
)
def test_reml_maximises_the_restricted_likelihood(y: list[float], v: list[float]) -> None:
    ya, va = np.asarray(y), np.asarray(v)
    best = minimize_scalar(
        lambda t: -_restricted_loglik(t, ya, va),
        bounds=(0.0, 50.0),
        method="bounded",
        options={"xatol": 1e-10},
    )
    result = random_effects(y, v, method="reml")
    assert result.tau2 == pytest.approx(best.x, abs=1e-5)
    assert result.method == "reml"
    w = 1 / (va + result.tau2)
    assert result.estimate == pytest.approx(np.sum(w * ya) / np.sum(w), abs=1e-12)


def test_reml_takes_the_boundary_when_it_beats_the_stationary_point() -> None:
    # 0/9, 17/21, 8/12, 27/36: the fixed-point iteration stops at a local maximum near 0.82,
    # but the restricted likelihood is higher at tau² = 0, where metafor 3.8-1 puts it
    # (found by P16's live metafor oracle, tests/tools/test_metafor.py).
    y, v, _ = logit_proportions([0, 17, 8, 27], [9, 21, 12, 36])
    result = random_effects(y, v, method="reml")
    assert result.tau2 == 0.0
    assert result.estimate == pytest.approx(0.955895352443726, abs=1e-9)


def test_reml_is_zero_for_homogeneous_cohorts() -> None:
    result = random_effects([0.1, 0.12, 0.11], [0.5, 0.4, 0.6], method="reml")
    assert result.tau2 == 0.0 and result.i2 == 0.0


def _hand_pooled(x: list[int], n: list[int], level: float = 0.95) -> dict[str, float]:
    """DerSimonian–Laird on the logit scale, written out from the formulas with plain floats."""
    ys, vs = [], []
    for xi, ni in zip(x, n, strict=True):
        c = 0.5 if xi in (0, ni) else 0.0
        ys.append(math.log((xi + c) / (ni - xi + c)))
        vs.append(1 / (xi + c) + 1 / (ni - xi + c))
    w = [1 / vi for vi in vs]
    sw = sum(w)
    y_fixed = sum(wi * yi for wi, yi in zip(w, ys, strict=True)) / sw
    q = sum(wi * (yi - y_fixed) ** 2 for wi, yi in zip(w, ys, strict=True))
    k = len(x)
    tau2 = max(0.0, (q - (k - 1)) / (sw - sum(wi * wi for wi in w) / sw))
    ws = [1 / (vi + tau2) for vi in vs]
    mu = sum(wi * yi for wi, yi in zip(ws, ys, strict=True)) / sum(ws)
    se = math.sqrt(1 / sum(ws))
    z = norm.ppf(0.5 + level / 2)
    i2 = max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0
    expit = lambda t: 1 / (1 + math.exp(-t))  # noqa: E731
    return {
        "p": expit(mu),
        "lo": expit(mu - z * se),
        "hi": expit(mu + z * se),
        "tau2": tau2,
        "i2": i2,
        "q": q,
        "qp": chi2.sf(q, k - 1),
    }


@pytest.mark.parametrize(
    ("x", "n"),
    [
        ([4, 10, 2], [15, 24, 20]),  # heterogeneous-ish, no edge cells
        ([0, 10, 7], [15, 24, 20]),  # one zero cell: corrected alone
        ([15, 20, 3], [15, 24, 20]),  # one full cell
        ([5, 6], [10, 12]),  # identical proportions: Q = 0, tau² = 0, I² = 0
        ([9, 14], [15, 24]),
    ],
)
def test_pooled_proportion_matches_hand_computation(x: list[int], n: list[int]) -> None:
    expected = _hand_pooled(x, n)
    pooled = pool_proportions(x, n, method="dl")
    assert pooled.proportion == pytest.approx(expected["p"], abs=1e-12)
    assert pooled.ci_lower == pytest.approx(expected["lo"], abs=1e-12)
    assert pooled.ci_upper == pytest.approx(expected["hi"], abs=1e-12)
    assert pooled.logit.tau2 == pytest.approx(expected["tau2"], abs=1e-12)
    assert pooled.logit.i2 == pytest.approx(expected["i2"], abs=1e-12)
    assert pooled.logit.q == pytest.approx(expected["q"], abs=1e-12)
    assert pooled.logit.q_pvalue == pytest.approx(expected["qp"], abs=1e-12)
    assert pooled.corrected == sum(1 for xi, ni in zip(x, n, strict=True) if xi in (0, ni))


def test_heterogeneous_example_has_positive_tau2() -> None:
    # 2/20 against 18/20: clearly different cohorts.
    pooled = pool_proportions([2, 18], [20, 20], method="dl")
    assert pooled.logit.tau2 > 1.0
    assert pooled.logit.i2 > 0.8
    assert pooled.logit.q_pvalue < 0.001
    assert pooled.proportion == pytest.approx(0.5, abs=1e-12)  # symmetric on the logit scale


def test_matches_statsmodels_combine_effects() -> None:
    from statsmodels.stats.meta_analysis import combine_effects

    x, n = [3, 11, 7, 19], [15, 24, 18, 30]
    y, v, _ = logit_proportions(x, n)
    reference = combine_effects(y, v, method_re="dl")
    ours = random_effects(y, v, method="dl")
    assert ours.estimate == pytest.approx(reference.mean_effect_re, abs=1e-12)
    assert ours.tau2 == pytest.approx(reference.tau2, abs=1e-12)
    assert ours.i2 == pytest.approx(reference.i2, abs=1e-12)
    assert ours.q == pytest.approx(reference.q, abs=1e-12)


def test_continuity_correction_only_on_edge_cells() -> None:
    y, v, corrected = logit_proportions([0, 3, 12], [12, 12, 12])
    assert corrected.tolist() == [1.0, 0.0, 1.0]
    assert y[0] == pytest.approx(math.log(0.5 / 12.5))
    assert y[1] == pytest.approx(math.log(3 / 9))
    assert v[1] == pytest.approx(1 / 3 + 1 / 9)
    assert y[2] == pytest.approx(math.log(12.5 / 0.5))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: pool_proportions([3], [10]), "at least two"),
        (lambda: pool_proportions([3, 4], [10, 0]), "totals must be positive"),
        (lambda: pool_proportions([11, 4], [10, 10]), "must not exceed"),
        (lambda: pool_proportions([3, -1], [10, 10]), "negative"),
        (
            lambda: pool_proportions([3, 4], [10, 10], method="pm"),
            "unknown meta-analysis method 'pm'",
        ),
        (lambda: pool_proportions([3, 4], [10, 10], level=95), "level"),
        (lambda: pool_proportions([3, 4], [10, 10, 10]), "same length"),
        (lambda: random_effects([1.0, 2.0], [0.1, 0.0]), "positive"),
    ],
)
def test_bad_arguments_raise_usage_errors(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match=message):
        call()


def test_pool_frame_groups_and_gives_no_estimate_below_three_cohorts() -> None:
    frame = pl.DataFrame(
        {
            "theme_id": ["b", "b", "b", "a", "a", "c", "c", "c", "c"],
            "participants": [3, 5, 2, 1, 2, 0, 4, 6, None],
            "denominator": [10, 12, 9, 5, 6, 10, 8, 9, 9],
        }
    )
    pooled = pool_frame(frame, by="theme_id", method="dl")
    assert pooled["theme_id"].to_list() == ["b", "a", "c"]
    assert pooled["k"].to_list() == [3, 2, 3]
    row_b = pooled.row(0, named=True)
    expected = pool_proportions([3, 5, 2], [10, 12, 9], method="dl")
    assert row_b["prevalence"] == pytest.approx(expected.proportion)
    assert row_b["pi_lower"] == pytest.approx(expected.pi_lower)
    assert row_b["method"] == "DerSimonian-Laird" and row_b["note"] is None
    # Two cohorts: no pooled estimate, no number at all, and a note saying why.
    row_a = pooled.row(1, named=True)
    assert all(row_a[c] is None for c in ("prevalence", "ci_lower", "tau2", "i2", "pi_upper"))
    assert row_a["note"] == "fewer than 3 cohorts: no pooled estimate"
    assert pooled.row(2, named=True)["corrected"] == 1
    reml = pool_frame(frame, by="theme_id", method="reml")
    assert reml["method"].drop_nulls().unique().to_list() == ["REML"]
    glmm = pool_frame(frame, by="theme_id")
    assert glmm["method"].drop_nulls().unique().to_list() == ["GLMM (ML)"]
    assert glmm.row(0, named=True)["prevalence"] == pytest.approx(
        pool_proportions([3, 5, 2], [10, 12, 9]).proportion, abs=1e-12
    )


cohorts = st.lists(
    st.integers(min_value=1, max_value=40).flatmap(
        lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
    ),
    min_size=2,
    max_size=6,
)


@given(cohorts, st.sampled_from(["dl", "reml"]))
def test_pooled_lies_between_corrected_cohort_proportions(
    data: list[tuple[int, int]], method: str
) -> None:
    x = [d[0] for d in data]
    n = [d[1] for d in data]
    pooled = pool_proportions(x, n, method=method)
    adjusted = [(xi + 0.5) / (ni + 1) if xi in (0, ni) else xi / ni for xi, ni in data]
    assert min(adjusted) - 1e-9 <= pooled.proportion <= max(adjusted) + 1e-9
    assert pooled.ci_lower <= pooled.proportion <= pooled.ci_upper
    assert 0.0 <= pooled.logit.i2 < 1.0 and pooled.logit.tau2 >= 0.0
    raw = [xi / ni for xi, ni in data]
    if pooled.corrected == 0:
        assert min(raw) - 1e-9 <= pooled.proportion <= max(raw) + 1e-9


@given(cohorts, st.randoms(use_true_random=False))
def test_cohort_order_does_not_matter(data: list[tuple[int, int]], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(data)
    rnd.shuffle(shuffled)
    a = pool_proportions([d[0] for d in data], [d[1] for d in data], method="dl")
    b = pool_proportions([d[0] for d in shuffled], [d[1] for d in shuffled], method="dl")
    assert a.proportion == pytest.approx(b.proportion, abs=1e-12)
    assert a.logit.tau2 == pytest.approx(b.logit.tau2, abs=1e-12)
    assert a.logit.i2 == pytest.approx(b.logit.i2, abs=1e-12)


@given(
    st.integers(min_value=1, max_value=40).flatmap(
        lambda n: st.tuples(st.integers(0, n), st.just(n))
    ),
    st.integers(min_value=2, max_value=5),
)
def test_identical_cohorts_have_no_heterogeneity(cohort: tuple[int, int], k: int) -> None:
    x, n = cohort
    pooled = pool_proportions([x] * k, [n] * k, method="dl")
    assert pooled.logit.tau2 == 0.0
    assert pooled.logit.i2 == 0.0
    assert pooled.logit.q == pytest.approx(0.0, abs=1e-12)
    expected = (x + 0.5) / (n + 1) if x in (0, n) else x / n
    assert pooled.proportion == pytest.approx(expected, abs=1e-12)
