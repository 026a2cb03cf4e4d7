"""Every output frame against its declared schema (toolkit.frames): each command's output in
CSV and Parquet, a rendered report's result CSVs, and prevalence on generated studies."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import assume, given
from hypothesis import strategies as st

from toolkit import frames
from toolkit.choices import CI_METHODS, DIFFERENCE_METHODS
from toolkit.cli import main
from toolkit.errors import ImplementationError
from toolkit.frames import FrameSchema, check, validate

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CALCIPHYLAXIS = EXAMPLES / "calciphylaxis"
ERYTHROMELALGIA = EXAMPLES / "erythromelalgia"
CROSSWALK = EXAMPLES / "crosswalk.csv"


def read_back(path: Path, schema: FrameSchema) -> pl.DataFrame:
    """A written output as a frame: Parquet as stored, CSV parsed with the schema's dtypes
    (a value that does not parse as its column's dtype fails here)."""
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    return pl.read_csv(path, schema_overrides=schema.dtypes(), infer_schema_length=0)


def assert_conforms(frame: pl.DataFrame, schema: FrameSchema, where: str) -> None:
    problems = check(frame, schema)
    assert not problems, f"{where}:\n" + "\n".join(problems)


# --- the checker itself -------------------------------------------------------------------


def prevalence_rows(**changes: Any) -> pl.DataFrame:
    row: dict[str, Any] = {
        "code_id": "pain",
        "label": "Pain",
        "parent_id": None,
        "depth": 0,
        "stratum_variable": None,
        "stratum_value": None,
        "participants": 13,
        "denominator": 15,
        "prevalence": 13 / 15,
        "ci_lower": 0.62,
        "ci_upper": 0.96,
        "ci_method": "wilson",
        "ci_level": 0.95,
        "segments": 39,
        "suppressed": False,
    }
    row.update(changes)
    return pl.DataFrame([row], schema=frames.PREVALENCE.dtypes())


def test_a_conforming_frame_has_no_problems() -> None:
    frame = prevalence_rows()
    assert check(frame, frames.PREVALENCE) == []
    assert validate(frame, frames.PREVALENCE) is frame


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"participants": 16, "prevalence": 16 / 15}, "participants ≤ denominator"),
        ({"ci_lower": 0.9}, "ci_lower ≤ prevalence ≤ ci_upper"),
        ({"prevalence": 0.5}, "prevalence = participants / denominator"),
        ({"ci_method": "bayes"}, "ci_method is one of"),
        ({"ci_level": 95.0}, "0 < ci_level < 1"),
        ({"suppressed": True}, "suppressed rows show no participants"),
        ({"stratum_value": "F"}, "overall rows"),
    ],
)
def test_a_broken_rule_is_named_with_its_row(changes: dict[str, Any], problem: str) -> None:
    frame = pl.concat([prevalence_rows(), prevalence_rows(**changes)])
    problems = check(frame, frames.PREVALENCE)
    assert any(problem in p and "(rows 2)" in p for p in problems), problems
    with pytest.raises(ImplementationError, match="prevalence"):
        validate(frame, frames.PREVALENCE)


def test_columns_order_and_dtypes_are_checked() -> None:
    frame = prevalence_rows()
    swapped = frame.select("label", "code_id", *frame.columns[2:])
    assert any("out of order" in p for p in check(swapped, frames.PREVALENCE))
    missing = frame.drop("segments").with_columns(pl.lit(1).alias("extra"))
    problems = check(missing, frames.PREVALENCE)
    assert any("missing columns: segments" in p for p in problems)
    assert any("unexpected columns: extra" in p for p in problems)
    as_float = frame.with_columns(pl.col("participants").cast(pl.Float64))
    assert any("participants is Float64" in p for p in check(as_float, frames.PREVALENCE))


def test_the_stats_columns_are_the_declared_ones() -> None:
    from toolkit.stats import agreement, cooccurrence, prevalence, saturation, subgroups

    assert frames.PREVALENCE.names == prevalence.COLUMNS
    assert frames.DIFFERENCES.names == subgroups.COLUMNS
    assert frames.COOCCURRENCE_PARTICIPANTS.names == cooccurrence.PARTICIPANT_COLUMNS
    assert frames.COOCCURRENCE_SEGMENTS.names == cooccurrence.SEGMENT_COLUMNS
    assert frames.AGREEMENT.names == agreement.AGREEMENT_COLUMNS
    assert frames.SATURATION_CURVE.names == saturation.CURVE_COLUMNS


def test_the_comparison_columns_are_the_declared_ones() -> None:
    import toolkit.compare as compare

    assert frames.COMPARISON.names == compare.PREVALENCE_COLUMNS
    assert frames.COMPARISON_DIFFERENCES.names == compare.DIFFERENCE_COLUMNS
    # The crosswalk lists the codes; suppression adds its flag.
    assert frames.COMPARISON_NOT_COMPARED.names == (*compare.NOT_COMPARED_COLUMNS, "suppressed")
    assert frames.COMPARISON_MAPPINGS.names == compare.MAPPING_COLUMNS


# --- every command's output ---------------------------------------------------------------


@pytest.fixture(scope="module")
def small_cells(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The calciphylaxis example with min_cell 5, so that outputs carry suppressed rows."""
    if not (CALCIPHYLAXIS / "study.yml").is_file():
        pytest.skip("examples/calciphylaxis is not there yet")
    folder = tmp_path_factory.mktemp("min-cell") / "calciphylaxis"
    shutil.copytree(CALCIPHYLAXIS, folder)
    manifest = folder / "study.yml"
    text = manifest.read_text(encoding="utf-8")
    assert "min_cell: 0" in text
    manifest.write_text(text.replace("min_cell: 0", "min_cell: 5", 1), encoding="utf-8")
    return folder


COMPARE = ["compare", str(CALCIPHYLAXIS), str(ERYTHROMELALGIA), "--crosswalk", str(CROSSWALK)]

# (arguments after the study, schema); "{study}" is replaced by each study folder.
STUDY_COMMANDS: list[tuple[list[str], FrameSchema]] = [
    (["prevalence", "{study}"], frames.PREVALENCE),
    (
        ["prevalence", "{study}", "--by", "sex", "--ci-method", "jeffreys", "--ci-level", "0.9"],
        frames.PREVALENCE,
    ),
    (["differences", "{study}", "--by", "sex"], frames.DIFFERENCES),
    (
        ["differences", "{study}", "--by", "disease_status", "--method", "miettinen_nurminen"],
        frames.DIFFERENCES,
    ),
    (["cooccurrence", "{study}"], frames.COOCCURRENCE_PARTICIPANTS),
    (["cooccurrence", "{study}", "--level", "segment"], frames.COOCCURRENCE_SEGMENTS),
    (["agreement", "{study}"], frames.AGREEMENT),
    (["saturation", "{study}"], frames.SATURATION_OUTPUT),
]
COMPARE_COMMANDS: list[tuple[list[str], FrameSchema]] = [
    (COMPARE, frames.COMPARISON_TABLE),
    ([*COMPARE, "--show", "differences"], frames.COMPARISON_DIFFERENCES),
    ([*COMPARE, "--show", "not-compared"], frames.COMPARISON_NOT_COMPARED),
    ([*COMPARE, "--show", "mappings"], frames.COMPARISON_MAPPINGS),
    ([*COMPARE, "--show", "notes"], frames.COMPARISON_NOTES),
    ([*COMPARE, "--min-cell", "0", "--pooling", "reml"], frames.COMPARISON_TABLE),
]


def run_and_check(args: list[str], schema: FrameSchema, fmt: str, tmp_path: Path) -> None:
    target = tmp_path / f"out.{fmt}"
    result = CliRunner().invoke(main, [*args, "--format", fmt, "-o", str(target)])
    assert result.exit_code == 0, (args, result.output, result.exception)
    frame = read_back(target, schema)
    assert frame.height > 0, args
    assert_conforms(frame, schema, " ".join(args))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("suppression", [False, True], ids=["open", "min-cell-5"])
@pytest.mark.parametrize(
    ("args", "schema"), STUDY_COMMANDS, ids=[" ".join(a[:1] + a[2:]) for a, _ in STUDY_COMMANDS]
)
def test_study_command_output_conforms(
    args: list[str],
    schema: FrameSchema,
    suppression: bool,
    fmt: str,
    calciphylaxis: Path,
    small_cells: Path,
    tmp_path: Path,
) -> None:
    study = small_cells if suppression else calciphylaxis
    run_and_check([a.replace("{study}", str(study)) for a in args], schema, fmt, tmp_path)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize(
    ("args", "schema"),
    COMPARE_COMMANDS,
    ids=[" ".join(a[5:]) or "prevalence" for a, _ in COMPARE_COMMANDS],
)
def test_compare_output_conforms(
    args: list[str], schema: FrameSchema, fmt: str, calciphylaxis: Path, tmp_path: Path
) -> None:
    run_and_check(args, schema, fmt, tmp_path)


def test_suppressed_rows_are_there_to_check(small_cells: Path, tmp_path: Path) -> None:
    # The min_cell copy must exercise the suppression rules, not pass them vacuously.
    for command, schema in [
        ("prevalence", frames.PREVALENCE),
        ("cooccurrence", frames.COOCCURRENCE_PARTICIPANTS),
    ]:
        target = tmp_path / f"{command}.parquet"
        result = CliRunner().invoke(main, [command, str(small_cells), "-o", str(target)])
        assert result.exit_code == 0, result.output
        assert read_back(target, schema)["suppressed"].any(), command


# --- a rendered report's result CSVs ------------------------------------------------------

REPORT_SCHEMAS = {
    "prevalence.csv": frames.PREVALENCE,
    "differences.csv": frames.DIFFERENCES,
    "cooccurrence.csv": frames.COOCCURRENCE_PARTICIPANTS,
    "agreement.csv": frames.AGREEMENT,
    "saturation.csv": frames.SATURATION_OUTPUT,
}
COMPARISON_REPORT_SCHEMAS = {
    "comparison.csv": frames.COMPARISON_TABLE,
    "prevalence.csv": frames.COMPARISON,
    "differences.csv": frames.COMPARISON_DIFFERENCES,
    "not_compared.csv": frames.COMPARISON_NOT_COMPARED,
    "not-compared.csv": frames.COMPARISON_NOT_COMPARED,
    "mappings.csv": frames.COMPARISON_MAPPINGS,
    "notes.csv": frames.COMPARISON_NOTES,
}


@pytest.mark.parametrize("suppression", [False, True], ids=["open", "min-cell-5"])
def test_report_result_csvs_conform(
    suppression: bool, calciphylaxis: Path, small_cells: Path, tmp_path: Path
) -> None:
    from toolkit.report.build import render_study

    rendered = render_study(
        small_cells if suppression else calciphylaxis, out_dir=tmp_path, formats="html"
    )
    written = sorted(rendered.folder.rglob("*.csv"))
    assert {p.name for p in written} >= {"prevalence.csv", "differences.csv"}, written
    for path in written:
        assert path.name in REPORT_SCHEMAS, f"{path.name}: declare its schema in toolkit.frames"
        schema = REPORT_SCHEMAS[path.name]
        assert_conforms(read_back(path, schema), schema, str(path))


def test_comparison_report_result_csvs_conform(calciphylaxis: Path, tmp_path: Path) -> None:
    from toolkit.report.build import render_comparison

    rendered = render_comparison(
        [CALCIPHYLAXIS, ERYTHROMELALGIA], crosswalk=CROSSWALK, out_dir=tmp_path, formats="html"
    )
    written = sorted(rendered.folder.rglob("*.csv"))
    assert written, "the comparison report writes its result CSVs"
    for path in written:
        assert path.name in COMPARISON_REPORT_SCHEMAS, (
            f"{path.name}: declare its schema in toolkit.frames"
        )
        schema = COMPARISON_REPORT_SCHEMAS[path.name]
        assert_conforms(read_back(path, schema), schema, str(path))


# --- properties on generated studies ------------------------------------------------------


def _prevalence_generators() -> ModuleType:
    """tests/stats/test_prevalence.py, for its study generator (tests are not a package)."""
    path = Path(__file__).resolve().parent / "stats" / "test_prevalence.py"
    spec = importlib.util.spec_from_file_location("_prevalence_generators", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATORS = _prevalence_generators()
LEVELS = st.sampled_from([0.8, 0.9, 0.95, 0.99])


@given(GENERATORS.studies(), st.sampled_from(CI_METHODS), LEVELS, st.sampled_from([0, 2, 3, 5]))
def test_prevalence_on_generated_studies_conforms(
    data: dict[str, Any], method: str, level: float, min_cell: int
) -> None:
    from toolkit.privacy import suppress
    from toolkit.stats.prevalence import prevalence

    study = GENERATORS.build(data)
    # hypergeometric: a finite population twice the sample (the other methods ignore it)
    population = 2 * study.n_participants
    raw = prevalence(study, by=["group"], method=method, level=level, population=population)
    assert_conforms(raw, frames.PREVALENCE, "raw prevalence")
    assert_conforms(suppress(raw, min_cell=min_cell), frames.PREVALENCE, "suppressed prevalence")


@given(GENERATORS.studies(), st.sampled_from(DIFFERENCE_METHODS), LEVELS)
def test_differences_on_generated_studies_conform(
    data: dict[str, Any], method: str, level: float
) -> None:
    from toolkit.stats.subgroups import differences

    groups = data["participants"]["group"]
    assume("a" in groups and "b" in groups)  # a difference needs two groups with people
    frame = differences(GENERATORS.build(data), by="group", method=method, level=level)
    assert_conforms(frame, frames.DIFFERENCES, "differences")
