"""Coder agreement: kappa and alpha against published examples and brute-force definitions."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.errors import UsageError
from toolkit.io.study import load_study
from toolkit.model import Study
from toolkit.stats.agreement import (
    AGREEMENT_COLUMNS,
    agreement,
    cohen_kappa,
    krippendorff_alpha_nominal,
)

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


# --------------------------------------------------------------------------- study level
# Every study written below is SYNTHETIC (invented participants and codes).

CODEBOOK = """code_id,label,parent_id
body,Body,
pain,Pain,body
fatigue,Fatigue,body
fear,Fear,
"""


def write_study(
    root: Path, codings: str, participants: str = "participant_id\nP1\nP2\nP3\nP4\nP5\n"
) -> Study:
    root.mkdir(parents=True, exist_ok=True)
    (root / "participants.csv").write_text(participants)
    (root / "codebook.csv").write_text(CODEBOOK)
    (root / "codings.csv").write_text(codings)
    (root / "study.yml").write_text(
        "study:\n  id: synthetic-test\n  title: Synthetic test study\n"
        "  condition: {name: Testing}\n  synthetic: true\n"
        "inputs: {participants: participants.csv, codebook: codebook.csv, codings: codings.csv}\n"
    )
    return load_study(root)


TWO_CODERS = """participant_id,code_id,coder
P1,pain,a
P1,pain,b
P2,pain,a
P2,fatigue,b
P3,fear,a
P3,fear,b
P4,pain,a
P4,fear,b
P5,fear,a
"""


def test_study_agreement_by_hand(tmp_path: Path) -> None:
    frame = agreement(write_study(tmp_path / "s", TWO_CODERS))
    assert frame.columns == list(AGREEMENT_COLUMNS)
    rows = {r["code_id"]: r for r in frame.iter_rows(named=True)}
    # Units: P1–P4 (both coders); P5 was coded by a only and is not compared.
    # pain: a = [1, 1, 0, 1], b = [1, 0, 0, 0]
    pain = rows["pain"]
    assert (pain["coders"], pain["units"], pain["units_present"]) == (2, 4, 3)
    assert pain["percent_agreement"] == pytest.approx(0.5)
    assert pain["kappa"] == pytest.approx(cohen_kappa([1, 1, 0, 1], [1, 0, 0, 0]))
    assert pain["alpha"] == pytest.approx(
        krippendorff_alpha_nominal([[1, 1, 0, 1], [1, 0, 0, 0]])[0]
    )
    assert pain["pairable_values"] == 8
    # body rolls up pain and fatigue: a = [1, 1, 0, 1], b = [1, 1, 0, 0]
    assert rows["body"]["percent_agreement"] == pytest.approx(0.75)
    assert rows["body"]["kappa"] == pytest.approx(cohen_kappa([1, 1, 0, 1], [1, 1, 0, 0]))
    # fatigue: a = [0, 0, 0, 0], b = [0, 1, 0, 0] → kappa 0 (p_e = 0.75, p_o = 0.75)
    assert rows["fatigue"]["kappa"] == pytest.approx(0.0)


def test_identical_coders_agree_perfectly(tmp_path: Path) -> None:
    codings = "participant_id,code_id,coder\n" + "".join(
        f"{p},{c},{coder}\n"
        for p, c in [("P1", "pain"), ("P2", "fear"), ("P3", "fatigue"), ("P4", "pain")]
        for coder in ("a", "b")
    )
    frame = agreement(write_study(tmp_path / "s", codings))
    assert (frame["percent_agreement"] == 1.0).all()
    defined = frame.filter(pl.col("kappa").is_not_null())
    assert defined.height > 0
    assert defined["kappa"].to_list() == pytest.approx([1.0] * defined.height)
    # where kappa and alpha are undefined, the note says why
    assert frame.filter(pl.col("alpha").is_null())["note"].null_count() == 0


def test_three_coders_give_alpha_but_no_kappa(tmp_path: Path) -> None:
    codings = TWO_CODERS + "P1,pain,c\nP2,pain,c\nP3,fatigue,c\n"
    frame = agreement(write_study(tmp_path / "s", codings))
    assert frame["coders"].unique().to_list() == [3]
    assert frame["kappa"].null_count() == frame.height
    assert frame["alpha"].null_count() < frame.height


def test_without_two_coders_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(
        UsageError, match=r"found no coder \(the 'coder' column is missing or empty\)"
    ):
        agreement(write_study(tmp_path / "none", "participant_id,code_id\nP1,pain\n"))
    with pytest.raises(UsageError, match="found only one coder"):
        agreement(
            write_study(tmp_path / "one", "participant_id,code_id,coder\nP1,pain,a\nP2,fear,\n")
        )


def test_calciphylaxis_example(calciphylaxis: Path) -> None:
    frame = agreement(load_study(calciphylaxis))
    assert frame["coders"].unique().to_list() == [2]
    assert (frame["units"] > 0).all()
    assert frame.filter(pl.col("kappa").is_not_null())["kappa"].is_between(-1, 1).all()


# --------------------------------------------------------------------- few units, bootstrap


def test_a_single_double_coded_participant_gives_no_kappa_or_alpha(tmp_path: Path) -> None:
    """Issue 13: from one double-coded participant kappa and alpha printed as 0.00 (one
    disagreement) without a caution. They are null, and the note says why."""
    codings = "participant_id,code_id,coder\nP1,pain,a\nP1,fear,b\nP2,fear,a\nP3,pain,a\n"
    frame = agreement(write_study(tmp_path / "s", codings))
    assert (frame["units"] == 1).all()
    assert frame["kappa"].null_count() == frame.height
    assert frame["alpha"].null_count() == frame.height
    assert frame["kappa_lower"].null_count() == frame.height
    pain = frame.filter(pl.col("code_id") == "pain").row(0, named=True)
    assert pain["percent_agreement"] == 0.0  # still shown: a and b disagree on P1
    assert pain["note"].startswith("only 1 participant was coded by two coders")


def test_few_double_coded_participants_carry_a_caution(tmp_path: Path) -> None:
    frame = agreement(write_study(tmp_path / "s", TWO_CODERS))
    pain = frame.filter(pl.col("code_id") == "pain").row(0, named=True)
    assert pain["kappa"] is not None
    assert "caution: only 4 participants were coded by two coders" in pain["note"]


def test_bootstrap_kernels_equal_the_statistics_on_the_original_sample() -> None:
    from toolkit.stats.agreement import _binary_alpha, _binary_kappa

    rng = np.random.default_rng(3)
    matrix = rng.integers(0, 2, size=(3, 30)).astype(float)
    matrix[rng.random(matrix.shape) < 0.2] = NAN
    matrix = matrix[:, (~np.isnan(matrix)).sum(axis=0) >= 2]
    once = np.ones((1, matrix.shape[1]))
    assert _binary_alpha(matrix, once)[0] == pytest.approx(krippendorff_alpha_nominal(matrix)[0])
    two = rng.integers(0, 2, size=(2, 25)).astype(float)
    assert _binary_kappa(two[0], two[1], np.ones((1, 25)))[0] == pytest.approx(
        cohen_kappa(two[0], two[1])
    )
    # A resample is the statistic of the units drawn, repeated as often as drawn.
    counts = rng.multinomial(25, np.full(25, 1 / 25), size=1)
    drawn = np.repeat(np.arange(25), counts[0])
    assert _binary_kappa(two[0], two[1], counts.astype(float))[0] == pytest.approx(
        cohen_kappa(two[0][drawn], two[1][drawn])
    )
    assert _binary_alpha(two, counts.astype(float))[0] == pytest.approx(
        krippendorff_alpha_nominal(two[:, drawn])[0]
    )


def test_bootstrap_intervals_are_seeded_and_hold_the_estimate(calciphylaxis: Path) -> None:
    study = load_study(calciphylaxis)
    first, again = agreement(study), agreement(study)
    assert first.equals(again)  # seeded: the same study gives the same intervals
    other = agreement(study, seed=1)
    kept = first.filter(pl.col("kappa").is_not_null() & pl.col("kappa_lower").is_not_null())
    assert kept.height > 0
    assert (kept["kappa_lower"] <= kept["kappa_upper"]).all()
    assert (first["kappa_lower"].is_null() | first["kappa"].is_not_null()).all()
    # A different seed moves the limits a little, not the estimates.
    assert other["kappa"].equals(first["kappa"])
    wide = agreement(study, level=0.99).filter(pl.col("alpha_lower").is_not_null())
    narrow = agreement(study, level=0.8).filter(pl.col("alpha_lower").is_not_null())
    assert (wide["alpha_lower"] <= narrow["alpha_lower"] + 1e-12).all()
    assert (wide["alpha_upper"] >= narrow["alpha_upper"] - 1e-12).all()
    none = agreement(study, resamples=0)
    assert none["kappa_lower"].null_count() == none.height


def test_the_analysis_layer_passes_its_bootstrap_settings(calciphylaxis: Path) -> None:
    from toolkit.analysis import analyse_agreement, resolve_settings

    study = load_study(calciphylaxis)
    settings = resolve_settings(study.manifest).with_overrides(ci_level=0.9, bootstrap_seed=7)
    shown = analyse_agreement(study, settings).agreement
    assert shown is not None
    raw = agreement(study, seed=7, level=0.9)
    kept = shown.filter(pl.col("kappa_lower").is_not_null()).join(raw, on="code_id")
    assert kept.height > 0
    assert (kept["kappa_lower"] == kept["kappa_lower_right"]).all()
    meta = settings.meta()
    assert meta["bootstrap_resamples"] == 2000 and meta["bootstrap_seed"] == 7
