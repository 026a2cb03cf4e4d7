"""The prevalence engine: a worked example by hand, and properties of the aggregation."""

from __future__ import annotations

import random
from typing import Any

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.stats import proportion_ci
from toolkit.stats.prevalence import COLUMNS, prevalence
from toolkit.testing import make_study

CODEBOOK = {
    "code_id": ["body", "pain", "severe", "wound", "mind", "fear"],
    "label": ["Body", "Pain", "Severe pain", "Wounds", "Mind", "Fear"],
    "parent_id": [None, "body", "pain", "body", None, "mind"],
}


def small_study(**analysis: Any) -> Any:
    return make_study(
        {
            "participant_id": ["A", "B", "C", "D", "E"],
            "sex": ["F", "F", "M", "M", None],
        },
        CODEBOOK,
        {
            "participant_id": ["A", "A", "B", "C", "C", "D"],
            "code_id": ["severe", "severe", "pain", "wound", "fear", "fear"],
        },
        attributes={"sex": {"type": "categorical", "levels": ["F", "M"]}},
        analysis=analysis,
    )


def row(
    frame: pl.DataFrame, code: str, variable: str | None = None, value: str | None = None
) -> dict:
    part = frame.filter(
        (pl.col("code_id") == code)
        & pl.col("stratum_variable").eq_missing(variable)
        & pl.col("stratum_value").eq_missing(value)
    )
    assert part.height == 1, part
    return part.row(0, named=True)


def test_worked_example_by_hand() -> None:
    frame = prevalence(small_study())
    assert frame.columns == list(COLUMNS)
    # severe: A (twice) -> 1 participant, 2 segments; pain adds B; body adds C via wound.
    assert (row(frame, "severe")["participants"], row(frame, "severe")["segments"]) == (1, 2)
    assert (row(frame, "pain")["participants"], row(frame, "pain")["segments"]) == (2, 3)
    assert (row(frame, "body")["participants"], row(frame, "body")["segments"]) == (3, 4)
    assert (row(frame, "mind")["participants"], row(frame, "fear")["participants"]) == (2, 2)
    # E has no coding and still counts in the denominator.
    assert set(frame["denominator"]) == {5}
    body = row(frame, "body")
    assert body["prevalence"] == pytest.approx(3 / 5)
    assert (body["ci_lower"], body["ci_upper"]) == pytest.approx(proportion_ci(3, 5))
    assert body["depth"] == 0 and row(frame, "severe")["depth"] == 2
    assert (
        frame.filter(pl.col("stratum_variable").is_null())["code_id"].to_list()
        == CODEBOOK["code_id"]
    )


def test_strata_have_their_own_denominators_and_a_visible_missing_group() -> None:
    frame = prevalence(small_study(), by=["sex"])
    assert frame.filter(pl.col("stratum_variable") == "sex")["stratum_value"].unique(
        maintain_order=True
    ).to_list() == ["F", "M", "missing"]
    assert row(frame, "body", "sex", "F")["participants"] == 2
    assert row(frame, "body", "sex", "F")["denominator"] == 2
    assert row(frame, "fear", "sex", "M")["participants"] == 2
    assert row(frame, "fear", "sex", "missing")["denominator"] == 1
    assert row(frame, "fear", "sex", "missing")["participants"] == 0


def test_declared_level_with_nobody_is_reported_with_n_zero() -> None:
    study = make_study(
        {"participant_id": ["A", "B"], "status": ["Active", "Active"]},
        {"code_id": ["x"]},
        {"participant_id": ["A"], "code_id": ["x"]},
        attributes={"status": {"levels": ["Active", "Remission"]}},
    )
    frame = prevalence(study, by=["status"])
    empty = row(frame, "x", "status", "Remission")
    assert empty["denominator"] == 0
    assert empty["prevalence"] is None and empty["ci_lower"] is None


def test_numeric_bins_make_strata() -> None:
    study = make_study(
        {"participant_id": ["A", "B", "C"], "age": ["20", "50", "120"]},
        {"code_id": ["x"]},
        {"participant_id": ["A", "C"], "code_id": ["x", "x"]},
        attributes={"age": {"type": "numeric", "bins": [18, 50, 65, 120]}},
    )
    frame = prevalence(study, by=["age"])
    values = frame.filter(pl.col("stratum_variable") == "age")
    assert values["stratum_value"].to_list() == ["18–49", "50–64", "65–120"]
    assert values["denominator"].to_list() == [1, 1, 1]
    assert values["participants"].to_list() == [1, 0, 1]


def test_coder_option_restricts_codings() -> None:
    study = make_study(
        {"participant_id": ["A", "B"]},
        {"code_id": ["x"]},
        {"participant_id": ["A", "B"], "code_id": ["x", "x"], "coder": ["ann", "bob"]},
    )
    assert row(prevalence(study), "x")["participants"] == 2
    assert row(prevalence(study, coder="ann"), "x")["participants"] == 1


# --- properties -------------------------------------------------------------------------


@st.composite
def studies(draw: st.DrawFn) -> dict[str, Any]:
    n_codes = draw(st.integers(1, 8))
    parents: list[str | None] = [None]
    for i in range(1, n_codes):
        parents.append(draw(st.sampled_from([None, *[f"c{j}" for j in range(i)]])))
    n_people = draw(st.integers(1, 12))
    people = [f"p{i}" for i in range(n_people)]
    group = draw(st.lists(st.sampled_from(["a", "b", None]), min_size=n_people, max_size=n_people))
    codings = draw(
        st.lists(st.tuples(st.sampled_from(people), st.integers(0, n_codes - 1)), max_size=30)
    )
    return {
        "participants": {"participant_id": people, "group": group},
        "codebook": {"code_id": [f"c{i}" for i in range(n_codes)], "parent_id": parents},
        "codings": {
            "participant_id": [p for p, _ in codings],
            "code_id": [f"c{c}" for _, c in codings],
        },
    }


def build(data: dict[str, Any]) -> Any:
    return make_study(
        data["participants"],
        data["codebook"],
        data["codings"],
        attributes={"group": {"type": "categorical", "levels": ["a", "b"]}},
    )


def shuffled(columns: dict[str, list[Any]], seed: int) -> dict[str, list[Any]]:
    order = list(range(len(next(iter(columns.values())))))
    random.Random(seed).shuffle(order)
    return {k: [v[i] for i in order] for k, v in columns.items()}


def canonical(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort("code_id", "stratum_variable", "stratum_value", nulls_last=True)


@given(studies(), st.integers(0, 1000))
def test_row_order_of_inputs_does_not_change_results(data: dict[str, Any], seed: int) -> None:
    first = prevalence(build(data), by=["group"])
    reordered = {k: shuffled(v, seed + i) for i, (k, v) in enumerate(data.items())}
    second = prevalence(build(reordered), by=["group"])
    assert canonical(first).equals(canonical(second))


@given(studies())
def test_duplicating_a_coding_changes_segments_not_participants(data: dict[str, Any]) -> None:
    if not data["codings"]["code_id"]:
        return
    before = prevalence(build(data))
    doubled = {k: [*v, v[0]] for k, v in data["codings"].items()}
    after = prevalence(build({**data, "codings": doubled}))
    assert before["participants"].to_list() == after["participants"].to_list()
    assert after["segments"].sum() > before["segments"].sum()


@given(studies())
def test_counts_are_bounded_and_parents_cover_children(data: dict[str, Any]) -> None:
    frame = prevalence(build(data), by=["group"])
    assert (frame["participants"] <= frame["denominator"]).all()
    with_parent = frame.join(
        frame.select(
            pl.col("code_id").alias("parent_id"),
            "stratum_variable",
            "stratum_value",
            pl.col("participants").alias("parent_x"),
            pl.col("segments").alias("parent_segments"),
        ),
        on=["parent_id", "stratum_variable", "stratum_value"],
        nulls_equal=True,
    )
    assert (with_parent["parent_x"] >= with_parent["participants"]).all()
    assert (with_parent["parent_segments"] >= with_parent["segments"]).all()
    shown = frame.filter(pl.col("denominator") > 0)
    assert (shown["ci_lower"] <= shown["prevalence"] + 1e-12).all()
    assert (shown["prevalence"] <= shown["ci_upper"] + 1e-12).all()


@given(studies())
def test_strata_add_up_to_the_overall_count(data: dict[str, Any]) -> None:
    frame = prevalence(build(data), by=["group"])
    overall = frame.filter(pl.col("stratum_variable").is_null()).select(
        "code_id", "participants", "denominator", "segments"
    )
    summed = (
        frame.filter(pl.col("stratum_variable") == "group")
        .group_by("code_id")
        .agg(pl.col("participants").sum(), pl.col("denominator").sum(), pl.col("segments").sum())
    )
    joined = overall.join(summed, on="code_id", suffix="_strata")
    assert joined.height == overall.height
    for column in ("participants", "denominator", "segments"):
        assert (joined[column] == joined[f"{column}_strata"]).all()


@given(studies())
def test_adding_an_uncoded_participant_raises_n_only(data: dict[str, Any]) -> None:
    before = prevalence(build(data))
    people = data["participants"]
    more = {"participant_id": [*people["participant_id"], "new"], "group": [*people["group"], "a"]}
    after = prevalence(build({**data, "participants": more}))
    assert (after["denominator"] == before["denominator"] + 1).all()
    assert after["participants"].to_list() == before["participants"].to_list()


@given(studies())
def test_a_stratum_equals_the_study_restricted_to_it(data: dict[str, Any]) -> None:
    full = prevalence(build(data), by=["group"])
    people = data["participants"]
    keep = [p for p, g in zip(people["participant_id"], people["group"], strict=True) if g == "a"]
    if not keep:
        return
    codings = data["codings"]
    kept = [i for i, p in enumerate(codings["participant_id"]) if p in keep]
    sub = {
        "participants": {"participant_id": keep, "group": ["a"] * len(keep)},
        "codebook": data["codebook"],
        "codings": {k: [v[i] for i in kept] for k, v in codings.items()},
    }
    alone = prevalence(build(sub)).drop("stratum_variable", "stratum_value")
    stratum = full.filter(pl.col("stratum_value") == "a").drop("stratum_variable", "stratum_value")
    assert alone.equals(stratum)
