"""Participants' characteristics: raw numbers from stats, hidden once by the gate."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from toolkit.analysis.gate import protect_cohort
from toolkit.model import AttributeSpec
from toolkit.stats.cohort import COLUMNS, OVERALL, cohort, describe

CALCI = Path(__file__).resolve().parents[2] / "examples" / "calciphylaxis"

PEOPLE = pl.DataFrame(
    {
        "participant_id": [f"P{i:02d}" for i in range(8)],
        "sex": ["F", "F", "F", "M", "M", None, "F", "M"],
        "age": [30.0, 40.0, None, 50.0, 60.0, 70.0, 20.0, 80.0],
        "status": ["A", "A", "A", "A", "B", "B", "B", "B"],
    }
)
SPECS = {
    "sex": AttributeSpec(name="sex", type="categorical", levels=("F", "M")),
    "age": AttributeSpec(name="age", type="numeric", label="Age (years)"),
}


def _groups() -> list[tuple[str, pl.DataFrame]]:
    return [(OVERALL, PEOPLE)] + [(s, PEOPLE.filter(pl.col("status") == s)) for s in ("A", "B")]


def test_describe_gives_raw_counts_shares_and_summaries() -> None:
    frame = describe(PEOPLE, SPECS, _groups(), by="status")
    assert frame.columns == list(COLUMNS)
    assert not frame["suppressed"].any()
    sex = frame.filter(pl.col("attribute") == "sex")
    counts = {(r["level"], r["group"]): r["count"] for r in sex.iter_rows(named=True)}
    assert counts == {
        ("F", "Overall"): 4,
        ("F", "A"): 3,
        ("F", "B"): 1,
        ("M", "Overall"): 3,
        ("M", "A"): 1,
        ("M", "B"): 2,
        ("missing", "Overall"): 1,
        ("missing", "A"): 0,
        ("missing", "B"): 1,
    }
    overall_f = sex.filter((pl.col("level") == "F") & (pl.col("group") == OVERALL)).row(
        0, named=True
    )
    assert overall_f["share"] == pytest.approx(0.5) and overall_f["group_size"] == 8
    age = frame.filter(pl.col("attribute") == "age").row(0, named=True)
    assert age["display"] == "Age (years)" and age["level"] is None
    assert (age["recorded"], age["missing"], age["has_missing"]) == (7, 1, True)
    assert age["mean"] == pytest.approx(50.0) and age["median"] == pytest.approx(50.0)
    assert age["sd"] == pytest.approx(pl.Series([30.0, 40, 50, 60, 70, 20, 80]).std())
    assert (age["min"], age["max"]) == (20.0, 80.0)


def test_a_single_value_has_no_sd_and_no_value_has_no_summary() -> None:
    people = pl.DataFrame({"participant_id": ["P1", "P2"], "age": [41.0, None]})
    spec = {"age": AttributeSpec(name="age", type="numeric")}
    groups = [(OVERALL, people), ("one", people.head(1)), ("none", people.tail(1))]
    rows = describe(people, spec, groups).to_dicts()
    assert rows[1]["mean"] == 41.0 and rows[1]["sd"] is None
    assert rows[2]["recorded"] == 0 and rows[2]["mean"] is None and rows[2]["missing"] == 1


def test_cohort_groups_are_the_strata_of_the_prevalence_table() -> None:
    from toolkit.analysis import load
    from toolkit.stats.strata import stratum_frame

    study, _ = load(CALCI)
    frame = cohort(study, dict(study.attributes), by="disease_status")
    groups = frame.select("group", "group_size").unique(subset="group", maintain_order=True)
    _, levels = stratum_frame(study, "disease_status")
    assert groups["group"].to_list() == [OVERALL, *levels]
    sizes = groups["group_size"].to_list()
    assert sizes[0] == study.n_participants == sum(sizes[1:])
    assert cohort(study, dict(study.attributes))["by"].null_count() > 0


def test_the_gate_hides_small_counts_small_groups_and_every_range() -> None:
    raw = describe(PEOPLE, SPECS, _groups(), by="status")
    assert protect_cohort(raw, 0).equals(raw)
    shown = protect_cohort(raw, 3)
    assert shown.columns == raw.columns
    assert shown["min"].null_count() == shown["max"].null_count() == shown.height
    for row in shown.filter(pl.col("count").is_not_null()).iter_rows(named=True):
        assert not 1 <= row["count"] < 3
    hidden = shown.filter(pl.col("attribute") == "sex")["count"].null_count()
    assert hidden >= 2  # never a single hidden count in a group that its total gives away
    assert shown.filter(pl.col("suppressed"))["mean"].null_count() == shown["suppressed"].sum()


def test_analyse_study_carries_the_protected_cohort_and_the_reidentification_check() -> None:
    from toolkit.analysis import analyse_study, load

    study, settings = load(CALCI, min_cell=5)
    results = analyse_study(study, settings)
    frame = results.need("cohort")
    assert set(frame["by"].unique().to_list()) == set(settings.strata)
    assert frame["min"].null_count() == frame.height  # min_cell 5: no range
    assert results.need("reidentification").columns[:3] == [
        "attributes",
        "values",
        "participants",
    ]


def _ages(values: list[float | None]) -> pl.DataFrame:
    people = pl.DataFrame(
        {"participant_id": [f"P{i:02d}" for i in range(len(values))], "age": values}
    )
    spec = {"age": AttributeSpec(name="age", type="numeric")}
    groups = [(OVERALL, people)] + [(f"first {n}", people.head(n)) for n in (1, 2, 3, 4)]
    return describe(people, spec, groups)


def test_without_min_cell_one_or_two_values_get_no_spread_median_or_range() -> None:
    """Issue 12: with min_cell 0, groups of 1 or 2 still get no SD, median or range."""
    shown = protect_cohort(_ages([41.0, 57.0, 63.0, 70.0, 75.0, 80.0]), 0)
    by_group = {r["group"]: r for r in shown.iter_rows(named=True)}
    for group in ("first 1", "first 2"):
        row = by_group[group]
        assert row["mean"] is not None
        assert row["sd"] is row["median"] is row["min"] is row["max"] is None
    assert by_group["first 3"]["median"] == 57.0 and by_group["first 3"]["min"] == 41.0


def test_with_min_cell_no_summary_of_a_small_group_and_no_spread_of_three() -> None:
    """Issue 12: with min_cell 3 the 3 men's mean 71.0 (SD 9.5) and median 72.0 gave their
    ages away; below min_cell nothing is shown, and three values get a mean only."""
    shown = protect_cohort(_ages([61.0, 72.0, 80.0, 70.0, 75.0, 66.0]), 3)
    by_group = {r["group"]: r for r in shown.iter_rows(named=True)}
    for group in ("first 1", "first 2"):
        row = by_group[group]
        assert row["mean"] is row["sd"] is row["median"] is None and row["suppressed"]
    three = by_group["first 3"]
    assert three["mean"] is not None
    assert three["sd"] is three["median"] is three["min"] is three["max"] is None
    four = by_group["first 4"]
    assert four["sd"] is not None and four["median"] is not None
    assert shown["min"].null_count() == shown["max"].null_count() == shown.height
