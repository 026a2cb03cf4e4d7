"""Cohort comparison: counts checked independently, crosswalk errors, pooling, properties, CLI."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.cli import main
from toolkit.compare import PREVALENCE_COLUMNS, compare
from toolkit.errors import InputError, UsageError
from toolkit.io.crosswalk import parse_crosswalk, parse_themes, read_crosswalk, read_themes
from toolkit.io.study import load_study
from toolkit.model import Study
from toolkit.report.compare_notes import NOTE_COLUMNS, notes_frame
from toolkit.stats import difference_ci
from toolkit.stats.meta import pool_proportions
from toolkit.stats.prevalence import prevalence
from toolkit.testing import make_study

REPO = Path(__file__).resolve().parents[2]
CALCI = REPO / "examples" / "calciphylaxis"
ERY = REPO / "examples" / "erythromelalgia"
CROSSWALK = REPO / "examples" / "crosswalk.csv"


@pytest.fixture(scope="module")
def examples() -> tuple[Study, Study]:
    return load_study(CALCI), load_study(ERY)


@pytest.fixture(scope="module")
def example_comparison(examples: tuple[Study, Study]):  # type: ignore[no-untyped-def]
    # The statistics are checked on every count: suppression off (tested separately below).
    return compare(list(examples), crosswalk=read_crosswalk(CROSSWALK), min_cell=0)


def _row(frame: pl.DataFrame, theme: str, cohort: str) -> dict:  # type: ignore[type-arg]
    rows = frame.filter((pl.col("theme_id") == theme) & (pl.col("cohort") == cohort)).to_dicts()
    assert len(rows) == 1, (theme, cohort)
    return rows[0]


def _independent_count(folder: Path, study_id: str, themes: set[str]) -> tuple[int, int]:
    """x for a set of framework themes, from the raw CSV files with plain Python sets."""
    with (folder / "codebook.csv").open(encoding="utf-8") as f:
        parent = {r["code_id"]: r["parent_id"] for r in csv.DictReader(f)}
    with CROSSWALK.open(encoding="utf-8") as f:
        mapped = {
            r["code_id"]
            for r in csv.DictReader(f)
            if r["study_id"] == study_id and r["theme_id"] in themes
        }

    def reaches(code: str) -> bool:
        while code:
            if code in mapped:
                return True
            code = parent[code]
        return False

    with (folder / "codings.csv").open(encoding="utf-8") as f:
        who = {r["participant_id"] for r in csv.DictReader(f) if reaches(r["code_id"])}
    with (folder / "participants.csv").open(encoding="utf-8") as f:
        n = sum(1 for _ in csv.DictReader(f))
    return len(who), n


FRAMEWORK = read_themes()
HEALTH_CARE = set(FRAMEWORK.filter(pl.col("parent_id") == "health_care")["theme_id"].to_list()) | {
    "health_care"
}


@pytest.mark.parametrize(
    ("theme", "themes"),
    [
        ("isolation", {"isolation"}),
        ("symptom_burden", {"symptom_burden"}),
        ("pain", {"pain"}),
        ("health_care", HEALTH_CARE),  # a domain counts its themes' codes
    ],
)
def test_example_counts_match_an_independent_count(
    example_comparison, theme: str, themes: set[str]
) -> None:  # type: ignore[no-untyped-def]
    for folder, study_id in (
        (CALCI, "calciphylaxis-synthetic"),
        (ERY, "erythromelalgia-synthetic"),
    ):
        x, n = _independent_count(folder, study_id, themes)
        row = _row(example_comparison.prevalence, theme, study_id)
        if x == 0 and not row["mapped"]:
            continue
        assert (row["participants"], row["denominator"]) == (x, n)
        assert row["prevalence"] == pytest.approx(x / n)


def test_prevalence_columns_and_order(example_comparison) -> None:  # type: ignore[no-untyped-def]
    frame = example_comparison.prevalence
    assert tuple(frame.columns) == PREVALENCE_COLUMNS
    assert frame.columns[:8] == [
        "theme_id",
        "label",
        "cohort",
        "participants",
        "denominator",
        "prevalence",
        "ci_lower",
        "ci_upper",
    ]
    first = frame.filter(pl.col("theme_id") == "pain")["cohort"].to_list()
    assert first == ["calciphylaxis-synthetic", "erythromelalgia-synthetic", "pooled"]
    # framework preorder: a domain, then its themes
    themes = frame["theme_id"].unique(maintain_order=True).to_list()
    assert themes[:5] == [
        "physical",
        "pain",
        "symptom_burden",
        "physical_function",
        "treatment_burden",
    ]


def test_single_code_theme_equals_study_prevalence(examples, example_comparison) -> None:  # type: ignore[no-untyped-def]
    for study in examples:
        own = prevalence(study).filter(pl.col("code_id") == "provider_knowledge").row(0, named=True)
        row = _row(example_comparison.prevalence, "provider_knowledge", study.id)
        assert row["participants"] == own["participants"]
        assert row["ci_lower"] == pytest.approx(own["ci_lower"])
        assert row["ci_upper"] == pytest.approx(own["ci_upper"])


@pytest.fixture(scope="module")
def three_comparison(examples, third_cohort):  # type: ignore[no-untyped-def]
    folder, crosswalk = third_cohort
    studies = [*examples, load_study(folder)]
    return compare(studies, crosswalk=read_crosswalk(crosswalk), min_cell=0)


def test_two_cohorts_give_no_pooled_estimate(example_comparison) -> None:  # type: ignore[no-untyped-def]
    """Issue 12: k = 2 pooled "Peer support 24.2% (0.6–94.7%)" from 0/15 and 16/24. Below 3
    cohorts the pooled row is there (SPEC §5) with no number, and says why."""
    pooled = example_comparison.prevalence.filter(pl.col("cohort") == "pooled")
    assert pooled.height > 20
    numbers = ["participants", "denominator", "prevalence", "ci_lower", "ci_upper", "tau2"]
    numbers += ["i2", "q", "q_pvalue", "pi_lower", "pi_upper", "logit", "logit_se", "segments"]
    for column in numbers:
        assert pooled[column].null_count() == pooled.height, column
    assert not pooled["mapped"].any()
    assert set(pooled["note"].to_list()) == {"fewer than 3 cohorts: no pooled estimate"}
    assert set(pooled["k"].to_list()) <= {0, 1, 2}


def test_pooled_row_is_the_meta_analysis_of_the_cohort_rows(three_comparison) -> None:  # type: ignore[no-untyped-def]
    frame = three_comparison.prevalence
    for theme in ("pain", "coping", "peer_support", "communication"):
        rows = [_row(frame, theme, c) for c in three_comparison.cohorts]
        pooled = _row(frame, theme, "pooled")
        expected = pool_proportions(
            [r["participants"] for r in rows], [r["denominator"] for r in rows]
        )
        assert pooled["prevalence"] == pytest.approx(expected.proportion)
        assert pooled["ci_lower"] == pytest.approx(expected.ci_lower)
        assert pooled["i2"] == pytest.approx(expected.logit.i2)
        assert pooled["tau2"] == pytest.approx(expected.logit.tau2)
        assert pooled["q"] == pytest.approx(expected.logit.q)
        assert pooled["q_pvalue"] == pytest.approx(expected.logit.q_pvalue)
        assert pooled["pi_lower"] == pytest.approx(expected.pi_lower)
        assert pooled["pi_upper"] == pytest.approx(expected.pi_upper)
        assert pooled["logit"] == pytest.approx(expected.logit.estimate)
        assert pooled["logit_se"] == pytest.approx(expected.logit.se)
        assert pooled["k"] == 3 and pooled["method"] == "GLMM (ML)" and pooled["note"] is None
        assert pooled["participants"] == sum(r["participants"] for r in rows)
    assert three_comparison.settings.pooling == "glmm"
    assert "maximum likelihood" in three_comparison.settings.pooling_description


def test_pooling_options_reach_the_pooled_rows(examples, third_cohort) -> None:  # type: ignore[no-untyped-def]
    folder, crosswalk = third_cohort
    studies = [*examples, load_study(folder)]
    hk = compare(studies, crosswalk=read_crosswalk(crosswalk), min_cell=0, pooling="dl", hksj=True)
    row = _row(hk.prevalence, "coping", "pooled")
    rows = [_row(hk.prevalence, "coping", c) for c in hk.cohorts]
    expected = pool_proportions(
        [r["participants"] for r in rows], [r["denominator"] for r in rows], method="dl", hksj=True
    )
    assert row["ci_lower"] == pytest.approx(expected.ci_lower)
    assert row["ci_method"] == "random effects, logit (DerSimonian-Laird, HKSJ)"
    assert hk.settings.metadata()["hksj"] is True
    assert "Hartung-Knapp" in hk.settings.metadata()["pooling_method"]
    with pytest.raises(UsageError, match="two-step"):
        compare(studies, crosswalk=read_crosswalk(crosswalk), hksj=True)


def test_differences_use_difference_ci(example_comparison) -> None:  # type: ignore[no-untyped-def]
    diff = example_comparison.differences.filter(pl.col("theme_id") == "coping").row(0, named=True)
    assert diff["cohort"] == "erythromelalgia-synthetic"
    assert diff["reference"] == "calciphylaxis-synthetic"
    lo, hi = difference_ci(
        diff["participants_cohort"],
        diff["denominator_cohort"],
        diff["participants_reference"],
        diff["denominator_reference"],
    )
    assert (diff["ci_lower"], diff["ci_upper"]) == pytest.approx((lo, hi))
    assert diff["difference"] == pytest.approx(
        diff["prevalence_cohort"] - diff["prevalence_reference"]
    )


def test_themes_in_one_codebook_are_flagged_not_counted(example_comparison) -> None:  # type: ignore[no-untyped-def]
    frame = example_comparison.prevalence
    row = _row(frame, "identity", "erythromelalgia-synthetic")
    assert row["mapped"] is False and row["participants"] is None and row["comparable"] is False
    assert _row(frame, "identity", "pooled")["prevalence"] is None
    assert _row(frame, "identity", "pooled")["k"] == 1
    assert "identity" not in example_comparison.differences["theme_id"].to_list()
    kinds = notes_frame(example_comparison)["kind"].to_list()
    assert {"not_comparable", "double_mapping", "strata", "synthetic", "unused_theme"} <= set(kinds)
    assert tuple(notes_frame(example_comparison).columns) == NOTE_COLUMNS


def test_unmapped_codes_are_listed_never_dropped(example_comparison) -> None:  # type: ignore[no-untyped-def]
    listed = set(
        zip(
            *example_comparison.not_compared.select("study_id", "code_id")
            .to_dict(as_series=False)
            .values(),
            strict=True,
        )
    )
    assert ("calciphylaxis-synthetic", "faith") in listed
    assert ("erythromelalgia-synthetic", "clothing_footwear") in listed
    faith = example_comparison.not_compared.filter(pl.col("code_id") == "faith").row(0, named=True)
    assert faith["participants"] == 2
    table = example_comparison.table()
    assert (
        table.filter(pl.col("status") == "not compared")["codes"]
        .to_list()
        .count("clothing_footwear")
        == 1
    )


def test_double_mapping_is_shown_and_counts_in_both(example_comparison) -> None:  # type: ignore[no-untyped-def]
    mappings = example_comparison.mappings.filter(
        (pl.col("study_id") == "calciphylaxis-synthetic") & (pl.col("code_id") == "wound_care")
    )
    assert sorted(mappings["theme_id"].to_list()) == ["symptom_burden", "treatment_burden"]
    for theme in ("symptom_burden", "treatment_burden"):
        assert (
            "wound_care"
            in _row(example_comparison.prevalence, theme, "calciphylaxis-synthetic")["codes"]
        )


def test_without_crosswalk_identical_code_ids_are_matched(examples) -> None:  # type: ignore[no-untyped-def]
    result = compare(list(examples))
    frame = result.prevalence
    assert result.matching == "code_id"
    shared = _row(frame, "severe_pain", "erythromelalgia-synthetic")
    own = prevalence(examples[1]).filter(pl.col("code_id") == "severe_pain").row(0, named=True)
    assert shared["participants"] == own["participants"] and shared["comparable"] is True
    only = _row(frame, "burning_flares", "calciphylaxis-synthetic")
    assert only["mapped"] is False and only["comparable"] is False
    # labels from the first study that has the code
    assert _row(frame, "providers", "pooled")["label"] == "Relationships with providers"
    assert result.not_compared.height == 0


def test_different_ci_settings_are_noted(examples) -> None:  # type: ignore[no-untyped-def]
    a, b = examples
    manifest = b.manifest.model_copy(
        update={
            "analysis": b.manifest.analysis.model_copy(
                update={"ci": b.manifest.analysis.ci.model_copy(update={"method": "jeffreys"})}
            )
        }
    )
    b2 = dataclasses.replace(b, manifest=manifest)
    result = compare([a, b2], crosswalk=read_crosswalk(CROSSWALK))
    assert "ci_settings" in notes_frame(result)["kind"].to_list()
    assert _row(result.prevalence, "pain", b.id)["ci_method"] == "jeffreys"
    forced = compare([a, b2], crosswalk=read_crosswalk(CROSSWALK), method="wilson", level=0.9)
    assert "ci_settings" not in notes_frame(forced)["kind"].to_list()
    assert set(forced.prevalence.filter(pl.col("cohort") != "pooled")["ci_level"].to_list()) == {
        0.9
    }


def _renamed(study: Study, new_id: str) -> Study:
    info = study.manifest.study.model_copy(update={"id": new_id})
    return dataclasses.replace(study, manifest=study.manifest.model_copy(update={"study": info}))


# ---- crosswalk and themes validation --------------------------------------------------


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_crosswalk_reports_every_problem_with_its_line(examples, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _write(
        tmp_path,
        "map.csv",
        "study_id,code_id,theme_id\n"
        "calciphylaxis-synthetic,severe_pain,pain\n"
        "calciphylaxis-synthetic,severe_pian,pain\n"
        "calciphylaxis-synthtic,fear,emotional_impact\n"
        "erythromelalgia-synthetic,mood,emotion_impact\n",
    )
    with pytest.raises(InputError) as caught:
        compare(list(examples), crosswalk=read_crosswalk(path), crosswalk_file="map.csv")
    lines = caught.value.lines()
    assert lines[0] == (
        "map.csv:3: column 'code_id': code 'severe_pian' is not in the codebook of "
        "'calciphylaxis-synthetic' (did you mean 'severe_pain'?); fix the code id or remove the row"
    )
    assert lines[1].startswith(
        "map.csv:4: column 'study_id': study 'calciphylaxis-synthtic' is not one of"
    )
    assert "did you mean 'calciphylaxis-synthetic'" in lines[1]
    assert lines[2].startswith("map.csv:5: column 'theme_id': theme 'emotion_impact'")
    assert len(lines) == 3


def test_crosswalk_without_rows_for_a_study(examples, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _write(
        tmp_path,
        "map.csv",
        "study_id,code_id,theme_id\ncalciphylaxis-synthetic,fear,emotional_impact\n",
    )
    with pytest.raises(InputError, match="no rows for study 'erythromelalgia-synthetic'"):
        compare(list(examples), crosswalk=read_crosswalk(path))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("study,code_id,theme_id\na,b,c\n", "map.csv:1: missing column 'study_id'"),
        ("study_id,code_id,theme_id\na,,c\n", "map.csv:2: column 'code_id': empty value"),
        ("study_id,code_id,theme_id\na,b,c\na,b,c\n", "map.csv:3: repeats line 2"),
    ],
)
def test_crosswalk_file_shape_errors(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(InputError) as caught:
        read_crosswalk(_write(tmp_path, "map.csv", text))
    assert caught.value.lines()[0].startswith(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "theme_id,label,parent_id\na,A,\na,B,\n",
            "themes.csv:3: column 'theme_id': theme 'a' is already defined on line 2",
        ),
        ("theme_id,label,parent_id\na,A,zz\n", "themes.csv:2: column 'parent_id': parent 'zz'"),
        (
            "theme_id,label,parent_id\na,A,b\nb,B,a\n",
            "themes.csv:2: column 'parent_id': the themes form a cycle",
        ),
        ("theme_id,parent_id\na,\n", "themes.csv:1: missing column 'label'"),
    ],
)
def test_themes_file_errors(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(InputError) as caught:
        read_themes(_write(tmp_path, "themes.csv", text))
    assert caught.value.lines()[0].startswith(expected)


def test_bundled_framework_is_valid_and_versioned() -> None:
    assert FRAMEWORK.height == 23
    assert FRAMEWORK.filter(pl.col("parent_id").is_null()).height == 4
    assert FRAMEWORK["definition"].null_count() == 0
    assert (REPO / "templates" / "frameworks" / "rare-experience-v1" / "README.md").is_file()


def test_compare_usage_errors(examples) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match="at least two"):
        compare([examples[0]])
    with pytest.raises(UsageError, match="more than once"):
        compare([examples[0], examples[0]])
    with pytest.raises(UsageError, match="unknown CI method"):
        compare(list(examples), method="exact")


# ---- properties ---------------------------------------------------------------------

CODEBOOK = {
    "code_id": ["d1", "t1", "c1", "c2", "t2", "c3", "d2", "c4"],
    "label": ["D1", "T1", "C1", "C2", "T2", "C3", "D2", "C4"],
    "parent_id": ["", "d1", "t1", "t1", "d1", "t2", "", "d2"],
}
LEAVES = ["c1", "c2", "c3", "c4", "t1"]


@st.composite
def studies(draw: st.DrawFn) -> tuple[int, list[tuple[int, str]]]:
    n = draw(st.integers(min_value=2, max_value=12))
    codings = draw(
        st.lists(
            st.tuples(st.integers(min_value=0, max_value=n - 1), st.sampled_from(LEAVES)),
            max_size=30,
        )
    )
    return n, codings


def _build(
    n: int, codings: list[tuple[int, str]], study_id: str, members: list[int] | None = None
) -> Study:
    people = members if members is not None else list(range(n))
    keep = [(p, c) for p, c in codings if p in set(people)]
    study = make_study(
        {"participant_id": [f"P{i}" for i in people]},
        CODEBOOK,
        {"participant_id": [f"P{p}" for p, _ in keep], "code_id": [c for _, c in keep]},
    )
    return _renamed(study, study_id)


@given(studies())
def test_a_study_compared_with_itself_shows_no_difference(data) -> None:  # type: ignore[no-untyped-def]
    n, codings = data
    copies = [_build(n, codings, name) for name in ("a", "b", "c")]
    result = compare(copies, min_cell=0, pooling="dl")
    assert result.differences.height > 0
    assert all(d == 0 for d in result.differences["difference"].to_list())
    pooled = result.prevalence.filter(pl.col("cohort") == "pooled")
    assert all(v == 0 for v in pooled["i2"].to_list())
    assert all(v == 0 for v in pooled["tau2"].to_list())
    glmm = compare(copies, min_cell=0).prevalence.filter(pl.col("cohort") == "pooled")
    estimated = glmm.filter(pl.col("prevalence").is_not_null())
    assert all(v == pytest.approx(0, abs=1e-8) for v in estimated["tau2"].to_list())
    # No estimate only where the model has no finite maximum (nobody, or everybody, voiced it).
    same = result.prevalence.filter(pl.col("cohort") == "a")
    for row in glmm.filter(pl.col("prevalence").is_null()).iter_rows(named=True):
        own = same.filter(pl.col("theme_id") == row["theme_id"]).row(0, named=True)
        assert own["participants"] in (0, own["denominator"]) and row["note"]


@given(studies(), studies())
def test_cohort_order_does_not_change_any_number(one, two) -> None:  # type: ignore[no-untyped-def]
    a, b = _build(*one, "a"), _build(*two, "b")
    forward, backward = compare([a, b], min_cell=0), compare([b, a], min_cell=0)
    key = ["theme_id", "cohort"]
    numbers = [
        "participants",
        "denominator",
        "prevalence",
        "ci_lower",
        "ci_upper",
        "tau2",
        "i2",
        "q_pvalue",
    ]
    f = forward.prevalence.sort(key).select(key + numbers)
    g = backward.prevalence.sort(key).select(key + numbers)
    assert f.equals(g)
    fd = forward.differences.select("theme_id", "difference", "ci_lower", "ci_upper").sort(
        "theme_id"
    )
    bd = backward.differences.select(
        "theme_id",
        -pl.col("difference"),
        -pl.col("ci_upper").alias("ci_lower"),
        -pl.col("ci_lower").alias("ci_upper"),
    ).sort("theme_id")
    for col in ("difference", "ci_lower", "ci_upper"):
        assert fd[col].to_list() == pytest.approx(bd[col].to_list(), abs=1e-12)


@settings(deadline=None, max_examples=40)
@given(studies(), studies(), studies())
def test_pooled_estimate_lies_between_the_cohorts(one, two, three) -> None:  # type: ignore[no-untyped-def]
    result = compare(
        [_build(*one, "a"), _build(*two, "b"), _build(*three, "c")], min_cell=0, pooling="dl"
    )
    frame = result.prevalence
    for theme in frame["theme_id"].unique().to_list():
        rows = frame.filter(pl.col("theme_id") == theme)
        cohorts = rows.filter(pl.col("cohort") != "pooled")
        pooled = rows.filter(pl.col("cohort") == "pooled").row(0, named=True)
        assert pooled["k"] == 3
        x, n = cohorts["participants"].to_list(), cohorts["denominator"].to_list()
        adjusted = [
            (xi + 0.5) / (ni + 1) if xi in (0, ni) else xi / ni for xi, ni in zip(x, n, strict=True)
        ]
        assert min(adjusted) - 1e-12 <= pooled["prevalence"] <= max(adjusted) + 1e-12
        if all(0 < xi < ni for xi, ni in zip(x, n, strict=True)):
            assert (
                min(cohorts["prevalence"]) - 1e-12
                <= pooled["prevalence"]
                <= max(cohorts["prevalence"]) + 1e-12
            )


@given(studies(), st.data())
def test_splitting_a_study_into_two_cohorts_adds_up(data, draw) -> None:  # type: ignore[no-untyped-def]
    n, codings = data
    first = draw.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n - 1, unique=True))
    second = [i for i in range(n) if i not in set(first)]
    whole = prevalence(_build(n, codings, "whole"))
    result = compare([_build(n, codings, "a", first), _build(n, codings, "b", second)], min_cell=0)
    frame = result.prevalence.filter(pl.col("cohort") != "pooled")
    summed = frame.group_by("theme_id").agg(
        pl.col("participants").sum(), pl.col("denominator").sum()
    )
    joined = whole.select("code_id", "participants", "denominator").join(
        summed, left_on="code_id", right_on="theme_id", suffix="_split"
    )
    assert joined.height == len(CODEBOOK["code_id"])
    assert joined["participants"].to_list() == joined["participants_split"].to_list()
    assert joined["denominator"].to_list() == joined["denominator_split"].to_list()


# ---- command line -------------------------------------------------------------------


def run(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_cli_csv_starts_with_the_spec_columns(tmp_path: Path) -> None:
    out = tmp_path / "comparison.csv"
    code, _, err = run("compare", CALCI, ERY, "--crosswalk", CROSSWALK, "-o", out)
    assert code == 0, err
    frame = pl.read_csv(out)
    assert frame.columns[:8] == [
        "theme_id",
        "label",
        "cohort",
        "participants",
        "denominator",
        "prevalence",
        "ci_lower",
        "ci_upper",
    ]
    assert "pooled" in frame["cohort"].to_list()
    assert (
        "clothing_footwear" in frame.filter(pl.col("status") == "not compared")["codes"].to_list()
    )
    assert "Note: SYNTHETIC DATA" in err and f"Wrote {out}" in err


def test_cli_json_and_table_and_other_frames(tmp_path: Path, third_cohort) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("compare", CALCI, ERY, "--crosswalk", CROSSWALK, "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["synthetic"] is True and document["matching"] == "crosswalk"
    assert any(item["code_id"] == "faith" for item in document["not_compared"])
    code, out, _ = run("compare", CALCI, ERY, "--crosswalk", CROSSWALK, "--format", "table")
    assert code == 0 and "pooled" in out and "SYNTHETIC" in out and "Not compared" in out
    code, out, _ = run("compare", CALCI, ERY, "--show", "differences", "--format", "csv")
    assert code == 0 and out.startswith("theme_id,label,cohort,reference,")
    parquet = tmp_path / "c.parquet"
    third, crosswalk = third_cohort
    code, _, _ = run(
        "compare", CALCI, ERY, third, "--crosswalk", crosswalk, "--pooling", "reml", "-o", parquet
    )
    assert code == 0
    assert set(pl.read_parquet(parquet)["method"].drop_nulls().to_list()) == {"REML"}
    code, out, _ = run("compare", CALCI, ERY, third, "--crosswalk", crosswalk, "--format", "table")
    assert code == 0 and "PI " in out and "k 3, τ²" in out
    code, out, err = run("compare", CALCI, ERY, third, "--crosswalk", crosswalk, "--hksj")
    assert code == 1 and "two-step" in err


def test_cli_bad_crosswalk_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    bad = _write(
        tmp_path,
        "bad.csv",
        "study_id,code_id,theme_id\nnope,x,pain\ncalciphylaxis-synthetic,fear,feelings\n",
    )
    out = tmp_path / "out.csv"
    code, stdout, err = run("compare", CALCI, ERY, "--crosswalk", bad, "-o", out)
    assert code == 1 and not out.exists() and stdout == ""
    lines = err.strip().splitlines()
    assert lines[0].startswith(
        "Error: bad.csv:2: column 'study_id': study 'nope' is not one of the compared studies"
    )
    assert lines[1].startswith(
        "Error: bad.csv:3: column 'theme_id': theme 'feelings' is not in the themes table"
    )
    assert "Traceback" not in err


def test_cli_usage_errors() -> None:
    code, _, err = run("compare", CALCI)
    assert code == 1 and "Error: give at least two study folders" in err
    code, _, err = run("compare", CALCI, CALCI)
    assert code == 1 and "is given more than once" in err
    code, _, err = run("compare", CALCI, ERY, "--themes", CROSSWALK)
    assert code == 1 and "--themes needs --crosswalk" in err
    code, _, err = run("compare", CALCI, ERY, "--crosswalk", REPO / "missing.csv")
    assert code == 1 and "missing.csv: file not found" in err


def test_parse_helpers_accept_frames_without_row_numbers() -> None:
    frame = parse_crosswalk(
        pl.DataFrame({"study_id": [" a "], "code_id": ["b"], "theme_id": ["c"]})
    )
    assert frame.row(0) == ("a", "b", "c", 2)
    themes = parse_themes(pl.DataFrame({"theme_id": ["x"], "label": ["X"]}))
    assert themes["parent_id"].to_list() == [None]


# --------------------------------------------------------------------------------------
# Small-cell suppression (issue 6): the comparison defaults to min_cell 5, whatever the
# studies' own analysis.min_cell (0 in both examples).

COHORT_COUNTS = {
    "prevalence": ("participants", "denominator", "segments"),
    "differences": (
        "participants_cohort",
        "denominator_cohort",
        "participants_reference",
        "denominator_reference",
    ),
    "not_compared": ("participants", "denominator"),
}


@pytest.fixture(scope="module")
def suppressed_comparison(examples: tuple[Study, Study]):  # type: ignore[no-untyped-def]
    return compare(list(examples), crosswalk=read_crosswalk(CROSSWALK))


def _small(frame: pl.DataFrame, columns: tuple[str, ...], k: int) -> pl.DataFrame:
    return frame.filter(pl.any_horizontal(pl.col(c).is_between(1, k - 1) for c in columns))


def test_the_examples_have_small_counts_for_the_comparison_to_hide(
    example_comparison,  # type: ignore[no-untyped-def]
) -> None:
    """Without small counts in the unsuppressed comparison the tests below prove nothing."""
    cohorts = example_comparison.prevalence.filter(pl.col("cohort") != "pooled")
    assert _small(cohorts, ("participants",), 5).height >= 1
    assert _small(example_comparison.not_compared, ("participants",), 5).height >= 1
    assert example_comparison.min_cell == 0


def test_comparison_defaults_to_min_cell_5_not_the_studies_setting(
    examples,  # type: ignore[no-untyped-def]
    suppressed_comparison,  # type: ignore[no-untyped-def]
) -> None:
    from toolkit.privacy import DEFAULT_COMPARE_MIN_CELL

    assert {s.manifest.analysis.min_cell for s in examples} == {0}
    assert suppressed_comparison.min_cell == DEFAULT_COMPARE_MIN_CELL == 5
    for name, columns in COHORT_COUNTS.items():
        frame = getattr(suppressed_comparison, name)
        assert _small(frame, columns, 5).height == 0, name
    note = notes_frame(suppressed_comparison).filter(pl.col("kind") == "suppression")["message"]
    assert note.len() == 1 and "min_cell = 5" in note[0] and "--min-cell" in note[0]
    off = compare(list(examples), crosswalk=read_crosswalk(CROSSWALK), min_cell=0)
    assert "min_cell = 0" in notes_frame(off).filter(pl.col("kind") == "suppression")["message"][0]
    with pytest.raises(UsageError, match="min_cell"):
        compare(list(examples), min_cell=-1)


def test_a_hidden_cohort_count_hides_its_pooled_row_and_differences(
    examples,  # type: ignore[no-untyped-def]
    third_cohort,  # type: ignore[no-untyped-def]
    three_comparison,  # type: ignore[no-untyped-def]
) -> None:
    folder, crosswalk = third_cohort
    studies = [*examples, load_study(folder)]
    suppressed_comparison = compare(studies, crosswalk=read_crosswalk(crosswalk))
    full, shut = three_comparison.prevalence, suppressed_comparison.prevalence
    small = _small(full.filter(pl.col("cohort") != "pooled"), ("participants",), 5)
    alone = 0
    for theme, cohort, x in small.select("theme_id", "cohort", "participants").iter_rows():
        row = _row(shut, theme, cohort)
        assert row["suppressed"] is True
        assert [row[c] for c in ("participants", "prevalence", "ci_lower", "ci_upper")] == [
            None
        ] * 4
        assert (
            row["segments"] is None
            and row["denominator"] == _row(full, theme, cohort)["denominator"]
        )
        # Where one cohort of the theme is hidden, the pooled estimate gives its count away:
        # only the true count reproduces it (so it must be blanked) ...
        pooled = _row(full, theme, "pooled")
        others = full.filter(
            (pl.col("theme_id") == theme)
            & (pl.col("cohort") != cohort)
            & (pl.col("cohort") != "pooled")
        )
        n = _row(full, theme, cohort)["denominator"]
        if _small(others, ("participants",), 5).height == 0 and pooled["prevalence"] is not None:
            alone += 1
            matches = [
                guess
                for guess in range(0, 5)
                if pool_proportions(
                    [guess, *others["participants"]], [n, *others["denominator"]]
                ).proportion
                == pytest.approx(pooled["prevalence"], rel=1e-9)
            ]
            assert matches == [x]
        # ... and it is.
        hidden = _row(shut, theme, "pooled")
        assert hidden["suppressed"] is True
        for column in (
            "participants",
            "prevalence",
            "ci_lower",
            "ci_upper",
            "tau2",
            "i2",
            "q",
            "q_pvalue",
            "pi_lower",
            "pi_upper",
            "logit",
            "logit_se",
            "segments",
            "note",
        ):
            assert hidden[column] is None, column
        pairs = suppressed_comparison.differences.filter(
            (pl.col("theme_id") == theme)
            & ((pl.col("cohort") == cohort) | (pl.col("reference") == cohort))
        )
        assert pairs.height >= 1
        assert pairs["suppressed"].all()
        for column in ("difference", "ci_lower", "ci_upper"):
            assert pairs[column].null_count() == pairs.height
    assert alone >= 1  # the demonstration above ran
    # Rows that hide nothing keep every number.
    kept = shut.filter(~pl.col("suppressed") & pl.col("participants").is_not_null())
    assert kept.height > 20
    check = kept.join(full, on=["theme_id", "cohort"], suffix="_full")
    assert (check["participants"] == check["participants_full"]).all()
    assert (check["prevalence"] == check["prevalence_full"]).all()


def test_segments_of_a_hidden_theme_cannot_be_computed_from_the_tree(
    suppressed_comparison,  # type: ignore[no-untyped-def]
) -> None:
    """Within a cohort, a parent's segments minus its other children's would give a hidden
    child's segments: at least one more segment count of that family is blank."""
    frame = suppressed_comparison.prevalence.filter(pl.col("cohort") != "pooled")
    hidden = frame.filter(pl.col("suppressed"))
    assert hidden.height >= 1
    for theme, cohort, parent in hidden.select("theme_id", "cohort", "parent_id").iter_rows():
        family = frame.filter(
            (pl.col("cohort") == cohort)
            & pl.col("mapped")
            & ((pl.col("parent_id") == parent) | (pl.col("theme_id") == parent))
            & (pl.col("theme_id") != theme)
        )
        assert family["segments"].null_count() >= 1, (theme, cohort)


def _as_text(frame: pl.DataFrame) -> str:
    """Each count as a reader would see it: ``x/n (p%)``."""
    lines = []
    pairs = [
        ("participants", "denominator", "prevalence"),
        ("participants_cohort", "denominator_cohort", "prevalence_cohort"),
        ("participants_reference", "denominator_reference", "prevalence_reference"),
    ]
    for row in frame.iter_rows(named=True):
        for x, n, p in pairs:
            if row.get(x) is not None and row.get(n) is not None:
                share = "" if row.get(p) is None else f" ({100 * row[p]:.1f}%)"
                lines.append(f"{row[x]}/{row[n]}{share}")
    return "\n".join(lines)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_cli_outputs_hold_no_small_count(fmt: str, tmp_path: Path) -> None:
    from toolkit.privacy import find_small_cells

    denominators = [15, 24, 39]

    def outputs(*extra: object) -> tuple[str, dict]:  # type: ignore[type-arg]
        text = ""
        meta: dict = {}  # type: ignore[type-arg]
        for show in ("prevalence", "differences", "not-compared"):
            out = tmp_path / f"{show}{len(extra)}.{fmt}"
            code, _, err = run(
                "compare", CALCI, ERY, "--crosswalk", CROSSWALK, "--show", show, "-o", out, *extra
            )
            assert code == 0, err
            if fmt == "csv":
                frame = pl.read_csv(out)
            else:
                document = json.loads(out.read_text(encoding="utf-8"))
                meta = document
                frame = pl.DataFrame(document["rows"], infer_schema_length=None)
                frame = pl.concat(
                    [frame, pl.DataFrame(document["not_compared"])], how="diagonal_relaxed"
                )
            text += _as_text(frame) + "\n"
        return text, meta

    shown, meta = outputs()
    assert find_small_cells(shown, min_cell=5, denominators=denominators) == []
    if fmt == "json":
        assert meta["min_cell"] == 5
        assert any("min_cell = 5" in note for note in meta["notes"])
    # The same check finds the small counts when suppression is switched off.
    everything, meta = outputs("--min-cell", "0")
    assert find_small_cells(everything, min_cell=5, denominators=denominators) != []
    if fmt == "json":
        assert meta["min_cell"] == 0
