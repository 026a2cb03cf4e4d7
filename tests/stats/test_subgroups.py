"""Subgroup differences: counts agree with prevalence, Fisher and BH checked independently.

Every study written here is SYNTHETIC (invented participants and codes).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import false_discovery_control, hypergeom

from toolkit.analysis import Settings, analyse_differences
from toolkit.errors import UsageError
from toolkit.io.study import load_study
from toolkit.model import Study
from toolkit.stats.differences import difference_ci
from toolkit.stats.prevalence import prevalence
from toolkit.stats.subgroups import COLUMNS, benjamini_hochberg, differences, fisher_two_sided

CODEBOOK = """code_id,label,parent_id
body,Body,
pain,Pain,body
fatigue,Fatigue,body
mind,Mind,
fear,Fear,mind
"""


def write_study(
    root: Path,
    *,
    participants: str,
    codings: str,
    codebook: str = CODEBOOK,
    attributes: str = "",
    analysis: str = "",
) -> Study:
    """A SYNTHETIC study folder in ``root``, loaded."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "participants.csv").write_text(participants)
    (root / "codebook.csv").write_text(codebook)
    (root / "codings.csv").write_text(codings)
    (root / "study.yml").write_text(
        "study:\n  id: synthetic-test\n  title: Synthetic test study\n"
        "  condition: {name: Testing}\n  synthetic: true\n"
        "inputs: {participants: participants.csv, codebook: codebook.csv, codings: codings.csv}\n"
        + (f"attributes:\n{attributes}" if attributes else "")
        + (f"analysis:\n{analysis}" if analysis else "")
    )
    return load_study(root)


def three_group_study(root: Path) -> Study:
    # group A: P1-P4, group B: P5-P7, group C: P8-P9, missing: P10
    participants = "participant_id,group\n" + "\n".join(
        f"P{i},{g}"
        for i, g in [
            (1, "A"),
            (2, "A"),
            (3, "A"),
            (4, "A"),
            (5, "B"),
            (6, "B"),
            (7, "B"),
            (8, "C"),
            (9, "C"),
            (10, ""),
        ]
    )
    codings = "participant_id,code_id\n" + "\n".join(
        [
            "P1,pain",
            "P1,pain",
            "P2,pain",
            "P3,fatigue",
            "P5,fear",
            "P6,fear",
            "P6,pain",
            "P8,pain",
            "P9,pain",
            "P9,fear",
            "P10,fear",
        ]
    )
    return write_study(
        root,
        participants=participants,
        codings=codings,
        attributes="  group: {type: categorical, levels: [A, B, C]}\n",
    )


def test_columns_counts_and_intervals(tmp_path: Path) -> None:
    study = three_group_study(tmp_path / "s")
    frame = differences(study, by="group")
    assert frame.columns == list(COLUMNS)
    # one comparison per non-reference level, each covering every node
    assert frame.get_column("comparison").unique(maintain_order=True).to_list() == [
        "B vs A",
        "C vs A",
    ]
    assert frame.height == 2 * 5
    pain_b = frame.filter((pl.col("code_id") == "pain") & (pl.col("level") == "B")).row(
        0, named=True
    )
    assert (pain_b["participants_level"], pain_b["denominator_level"]) == (1, 3)
    assert (pain_b["participants_reference"], pain_b["denominator_reference"]) == (2, 4)
    assert pain_b["difference"] == pytest.approx(1 / 3 - 2 / 4)
    assert (pain_b["ci_lower"], pain_b["ci_upper"]) == pytest.approx(difference_ci(1, 3, 2, 4))
    # body rolls up pain and fatigue: in A, P1, P2, P3
    body_c = frame.filter((pl.col("code_id") == "body") & (pl.col("level") == "C")).row(
        0, named=True
    )
    assert (body_c["participants_level"], body_c["participants_reference"]) == (2, 3)
    # the missing participant P10 is reported, not compared
    assert frame.get_column("note").unique().to_list() == [
        "1 participant(s) without a value for 'group' are not compared"
    ]
    assert frame.get_column("small_sample").all()
    assert "only 3 participant(s) in B" in pain_b["caution"]


def test_counts_equal_the_prevalence_table(tmp_path: Path) -> None:
    study = three_group_study(tmp_path / "s")
    frame = differences(study, by="group", method="miettinen_nurminen", level=0.9)
    table = prevalence(study, by=["group"]).filter(pl.col("stratum_variable") == "group")
    for row in frame.iter_rows(named=True):
        for side, value in (("level", row["level"]), ("reference", row["reference"])):
            match = table.filter(
                (pl.col("code_id") == row["code_id"]) & (pl.col("stratum_value") == value)
            )
            assert row[f"participants_{side}"] == match["participants"][0]
            assert row[f"denominator_{side}"] == match["denominator"][0]
        assert row["ci_method"] == "miettinen_nurminen" and row["ci_level"] == 0.9


def _fisher_by_hand(a: int, n1: int, c: int, n2: int) -> float:
    """Two-sided Fisher: sum of hypergeometric tables no more likely than the observed one."""
    total, col = n1 + n2, a + c
    dist = hypergeom(total, col, n1)
    observed = dist.pmf(a)
    support = range(max(0, col - n2), min(col, n1) + 1)
    return float(sum(dist.pmf(k) for k in support if dist.pmf(k) <= observed * (1 + 1e-7)))


@pytest.mark.parametrize(
    "table", [(1, 3, 2, 4), (0, 6, 5, 9), (7, 8, 1, 9), (3, 10, 3, 10), (0, 5, 0, 7)]
)
def test_fisher_two_sided_equals_the_hypergeometric_sum(table: tuple[int, int, int, int]) -> None:
    assert fisher_two_sided(*[[v] for v in table])[0] == pytest.approx(
        _fisher_by_hand(*table), rel=1e-9
    )


@given(st.lists(st.one_of(st.floats(0, 1), st.just(math.nan)), min_size=1, max_size=40))
def test_benjamini_hochberg_matches_scipy(p_values: list[float]) -> None:
    ours = benjamini_hochberg(p_values)
    p = np.asarray(p_values)
    valid = ~np.isnan(p)
    assert np.isnan(ours[~valid]).all()
    if valid.any():
        np.testing.assert_allclose(
            ours[valid], false_discovery_control(p[valid], method="bh"), rtol=1e-12
        )
        assert (ours[valid] >= p[valid] - 1e-15).all()


def test_one_level_and_unknown_attribute_are_usage_errors(tmp_path: Path) -> None:
    study = write_study(
        tmp_path / "one",
        participants="participant_id,sex,age\nP1,Female,40\nP2,Female,50\nP3,,60\n",
        codings="participant_id,code_id\nP1,pain\n",
        attributes="  sex: {type: categorical, levels: [Female, Male]}\n  age: {type: numeric}\n",
    )
    with pytest.raises(
        UsageError,
        match=r"attribute 'sex' has fewer than two levels with participants \(Female \(2\), Male \(0\)\)",
    ):
        differences(study, by="sex")
    with pytest.raises(UsageError, match="unknown attribute 'colour'"):
        differences(study, by="colour")
    with pytest.raises(UsageError, match="no bins"):
        differences(study, by="age")


def test_empty_reference_level_and_empty_compared_level(tmp_path: Path) -> None:
    participants = "participant_id,g\nP1,B\nP2,B\nP3,C\n"
    study = write_study(
        tmp_path / "ref",
        participants=participants,
        codings="participant_id,code_id\nP1,pain\n",
        attributes="  g: {type: categorical, levels: [A, B, C]}\n",
    )
    with pytest.raises(UsageError, match="reference level 'A'"):
        differences(study, by="g")
    study = write_study(
        tmp_path / "mid",
        participants=participants,
        codings="participant_id,code_id\nP1,pain\n",
        attributes="  g: {type: categorical, levels: [B, A, C]}\n",
    )
    frame = differences(study, by="g")
    empty = frame.filter(pl.col("level") == "A")
    assert empty.get_column("difference").null_count() == empty.height
    assert empty.get_column("note")[0].startswith("no participants in 'A'")
    full = frame.filter(pl.col("level") == "C")
    assert full.get_column("difference").null_count() == 0


def test_calciphylaxis_example(calciphylaxis: Path) -> None:
    frame = differences(load_study(calciphylaxis), by="disease_status")
    assert frame.get_column("comparison").unique().to_list() == ["Remission vs Active"]
    assert (frame["ci_lower"] <= frame["difference"]).all() and (
        frame["difference"] <= frame["ci_upper"]
    ).all()
    assert (frame["p_adjusted"] >= frame["p_value"]).all()


def test_min_cell_blanks_small_cells_consistently_with_prevalence(tmp_path: Path) -> None:
    study = three_group_study(tmp_path / "s")
    assert not differences(study, by="group")["suppressed"].any()
    # suppression is the disclosure gate's, applied by the analysis layer
    frame = analyse_differences(study, Settings(min_cell=3), by="group").differences
    assert frame is not None
    counts = [
        "participants_level",
        "denominator_level",
        "participants_reference",
        "denominator_reference",
    ]
    shown = frame.filter(~pl.col("suppressed"))
    for column in counts:
        assert not shown[column].is_between(1, 2).any()
    hidden = frame.filter(pl.col("suppressed"))
    assert hidden.height > 0
    for column in [*counts, "difference", "ci_lower", "ci_upper", "p_value", "p_adjusted"]:
        assert hidden[column].null_count() == hidden.height
    # Group C has n = 2: every one of its comparisons is hidden.
    assert frame.filter(pl.col("level") == "C")["suppressed"].all()


def test_a_study_with_no_codes_gives_an_empty_comparison(tmp_path: Path) -> None:
    # No codebook named and no codings: the flat codebook is empty; nothing to compare, no crash.
    (tmp_path / "participants.csv").write_text("participant_id,sex\nP1,F\nP2,M\nP3,F\n")
    (tmp_path / "codings.csv").write_text("participant_id,code_id\n")
    (tmp_path / "study.yml").write_text(
        "study: {id: synthetic-empty, title: Synthetic empty, condition: {name: Test}, synthetic: true}\n"
        "inputs: {participants: participants.csv, codings: codings.csv}\n"
    )
    study = load_study(tmp_path)
    assert study.codebook.height == 0
    frame = differences(study, by="sex")
    assert frame.height == 0 and frame.columns == list(COLUMNS)


@given(
    st.integers(1, 40).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.integers(1, 40).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
)
def test_fisher_matches_scipy(first: tuple[int, int], second: tuple[int, int]) -> None:
    from scipy.stats import fisher_exact

    (x1, n1), (x2, n2) = first, second
    expected = fisher_exact([[x1, n1 - x1], [x2, n2 - x2]])[1]
    assert fisher_two_sided([x1], [n1], [x2], [n2])[0] == pytest.approx(
        expected, rel=1e-9, abs=1e-12
    )
