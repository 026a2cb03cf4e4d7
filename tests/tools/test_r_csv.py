"""Every CSV raremix writes, read in R with readr::read_csv and its defaults (issue 16).

R must get the same columns, types and numbers as raremix's declared schema (toolkit.frames):
counts and estimates as numbers, ids and labels as text, flags as logical, an empty cell as
NA, and readr must report no parsing problem. The outputs: every table command (on the
example study, and on a copy with min_cell 5 so that suppressed rows have empty cells), every
`compare --show` table, and the result CSVs a study and a comparison report write.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from tests.tools.conftest import EXAMPLES, run_r
from toolkit import frames
from toolkit.cli import main
from toolkit.frames import FrameSchema

pytestmark = [pytest.mark.tools, pytest.mark.slow]

SCRIPT = Path(__file__).with_name("r") / "read_csv.R"
CALCIPHYLAXIS = EXAMPLES / "calciphylaxis"
COMPARE = [
    "compare",
    str(CALCIPHYLAXIS),
    str(EXAMPLES / "erythromelalgia"),
    "--crosswalk",
    str(EXAMPLES / "crosswalk.csv"),
]
STUDY_COMMANDS: list[tuple[list[str], FrameSchema]] = [
    (["prevalence", "{study}", "--by", "disease_status", "--by", "sex"], frames.PREVALENCE),
    (["differences", "{study}", "--by", "disease_status"], frames.DIFFERENCES),
    (["cooccurrence", "{study}"], frames.COOCCURRENCE_PARTICIPANTS),
    (["cooccurrence", "{study}", "--level", "segment"], frames.COOCCURRENCE_SEGMENTS),
    (["agreement", "{study}"], frames.AGREEMENT),
    (["saturation", "{study}"], frames.SATURATION_OUTPUT),
]
COMPARE_COMMANDS: list[tuple[list[str], FrameSchema]] = [
    (COMPARE, frames.COMPARISON_TABLE),
    ([*COMPARE, "--min-cell", "0", "--pooling", "reml"], frames.COMPARISON_TABLE),
    ([*COMPARE, "--show", "differences"], frames.COMPARISON_DIFFERENCES),
    ([*COMPARE, "--show", "not-compared"], frames.COMPARISON_NOT_COMPARED),
    ([*COMPARE, "--show", "mappings"], frames.COMPARISON_MAPPINGS),
    ([*COMPARE, "--show", "notes"], frames.COMPARISON_NOTES),
]
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


# Text columns that hold another column's own values: readr guesses numbers when those values
# are numbers (saturation's order_value is the order_by attribute, e.g. interview_order).
# R then has the numbers themselves, which is what an analyst wants; checked as numbers.
VALUES_OF_AN_ATTRIBUTE = {"order_value"}


def r_class(dtype: pl.DataType) -> str:
    """The class readr gives a column of this dtype (it reads integers as doubles)."""
    if dtype.is_numeric():
        return "numeric"
    if dtype == pl.Boolean:
        return "logical"
    return "character"


def _write(args: list[str], target: Path) -> None:
    result = CliRunner().invoke(main, [*args, "--format", "csv", "-o", str(target)])
    assert result.exit_code == 0, (args, result.output, result.exception)


@pytest.fixture(scope="module")
def outputs(
    tmp_path_factory: pytest.TempPathFactory, rendered_reports: Path
) -> dict[Path, FrameSchema]:
    """Every CSV to read in R, with the schema raremix declares for it."""
    root = tmp_path_factory.mktemp("csv")
    small = root / "min-cell" / "calciphylaxis"
    shutil.copytree(CALCIPHYLAXIS, small, ignore=shutil.ignore_patterns(".*"))
    manifest = small / "study.yml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("min_cell: 0", "min_cell: 5", 1),
        encoding="utf-8",
    )
    written: dict[Path, FrameSchema] = {}
    for label, study in (("open", CALCIPHYLAXIS), ("min-cell-5", small)):
        for i, (args, schema) in enumerate(STUDY_COMMANDS):
            target = root / f"{label}-{i}-{args[0]}.csv"
            _write([a.replace("{study}", str(study)) for a in args], target)
            written[target] = schema
    for i, (args, schema) in enumerate(COMPARE_COMMANDS):
        target = root / f"compare-{i}.csv"
        _write(args, target)
        written[target] = schema
    for path in sorted(rendered_reports.rglob("*.csv")):
        table = COMPARISON_REPORT_SCHEMAS if "compare" in path.parent.name else REPORT_SCHEMAS
        assert path.name in table, f"{path}: no schema declared for this result CSV"
        written[path] = table[path.name]
    return written


def _same(expected: Any, got: Any) -> bool:
    if expected is None or got is None:
        return expected is None and got is None
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected == got
    if isinstance(expected, int | float):
        return math.isclose(float(expected), float(got), rel_tol=1e-12, abs_tol=1e-300)
    return bool(expected == got)


def test_r_reads_every_csv_with_raremix_types_and_numbers(
    rscript: str, outputs: dict[Path, FrameSchema]
) -> None:
    read = run_r(rscript, SCRIPT.read_text(encoding="utf-8"), *outputs)
    failures: list[str] = []
    for path, schema in outputs.items():
        got = read[str(path)]
        name = f"{path.parent.name}/{path.name}"
        if got["problems"]:
            failures.append(f"{name}: readr reported {got['problems']} parsing problems")
        frame = pl.read_csv(path, schema_overrides=schema.dtypes(), infer_schema_length=0)
        if list(got["classes"]) != frame.columns:
            failures.append(f"{name}: R columns {list(got['classes'])} != {frame.columns}")
            continue
        for column, dtype in frame.schema.items():
            values = frame[column].to_list()
            expected_class = r_class(dtype)
            if column in VALUES_OF_AN_ATTRIBUTE and got["classes"][column] == "numeric":
                expected_class = "numeric"
                values = [None if v is None else float(v) for v in values]
            all_missing = all(v is None for v in values)
            # readr reads a column with no value at all as logical NA: still all missing
            if got["classes"][column] != expected_class and not all_missing:
                failures.append(
                    f"{name}: column {column}: R reads {got['classes'][column]}, "
                    f"raremix writes {dtype} ({expected_class} expected)"
                )
                continue
            r_values = got["columns"][column]
            wrong = [
                (i, e, g)
                for i, (e, g) in enumerate(zip(values, r_values, strict=True))
                if not _same(e, g)
            ]
            if wrong:
                failures.append(
                    f"{name}: column {column}: rows differ (row, raremix, R): {wrong[:3]}"
                )
    assert not failures, "\n".join(failures)


def test_the_outputs_include_missing_values(outputs: dict[Path, FrameSchema]) -> None:
    # The check above must meet empty cells (suppressed counts, root parents) and flags.
    text = "".join(p.read_text(encoding="utf-8") for p in outputs)
    assert ",," in text
    assert "true" in text and "false" in text
