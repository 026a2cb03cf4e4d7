"""`raremix matrix` (codes by cases) opened in R: CSV with readr, XLSX with readxl, SPSS .sav
and Stata .dta with haven, labelled values included (issue 16).

The reference is the same matrix written as Parquet. R must get the same values: pseudonyms
and attribute levels as text (in .sav/.dta as labelled numbers whose value labels are the
levels), numeric attributes and node columns as numbers, missing as NA; node columns of the
0/1 matrix carry the value labels No/Yes and the node's label as variable label. The study is
the calciphylaxis example with one categorical and one numeric attribute left empty.
"""

from __future__ import annotations

import csv
import math
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from tests.tools.conftest import EXAMPLES, run_r
from toolkit.cli import COMMANDS, main

pytestmark = [pytest.mark.tools, pytest.mark.slow]

SCRIPT = Path(__file__).with_name("r") / "read_matrix.R"
FORMATS = ("csv", "xlsx", "sav", "dta")

if "matrix" not in COMMANDS:  # pragma: no cover - until issue 13's command lands
    pytest.skip("raremix matrix (issue 13) is not there yet", allow_module_level=True)


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("matrix") / "calciphylaxis"
    shutil.copytree(EXAMPLES / "calciphylaxis", folder, ignore=shutil.ignore_patterns(".*"))
    path = folder / "participants.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    rows[2][header.index("dialysis")] = ""  # a categorical attribute missing
    rows[3][header.index("interview_order")] = ""  # a numeric attribute missing
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return folder


def _write(study: Path, target: Path, *extra: str) -> None:
    result = CliRunner().invoke(main, ["matrix", str(study), *extra, "-o", str(target)])
    assert result.exit_code == 0, (result.output, result.exception)


def _same(expected: Any, got: Any) -> bool:
    if expected is None or got is None:
        return expected is None and got is None
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        return isinstance(got, int | float) and math.isclose(expected, got, rel_tol=1e-12)
    return bool(expected == got)


@pytest.mark.parametrize("counts", [False, True], ids=["0-1", "counts"])
def test_r_reads_the_matrix_in_every_format(
    counts: bool, study: Path, rscript: str, tmp_path: Path
) -> None:
    extra = ["--counts"] if counts else []
    _write(study, tmp_path / "reference.parquet", *extra)
    reference = pl.read_parquet(tmp_path / "reference.parquet")
    files = [tmp_path / f"matrix.{fmt}" for fmt in FORMATS]
    for path in files:
        _write(study, path, *extra)
    read = run_r(rscript, SCRIPT.read_text(encoding="utf-8"), *files)
    labels = dict(
        pl.read_csv(study / "codebook.csv", infer_schema_length=0)
        .select("code_id", "label")
        .iter_rows()
    )
    node_labels = set(labels.values())
    assert (
        reference["dialysis"].to_list().count(None)
        + reference["dialysis"].to_list().count("missing")
        == 1
    )
    assert reference["interview_order"].null_count() == 1
    failures: list[str] = []
    for path in files:
        got = read[str(path)]
        fmt = path.suffix[1:]
        if got["problems"]:
            failures.append(f"{fmt}: readr reported {got['problems']} problems")
        if len(got["names"]) != reference.width:
            failures.append(f"{fmt}: {len(got['names'])} columns, expected {reference.width}")
            continue
        for name, column in zip(got["names"], reference.columns, strict=True):
            dtype = reference.schema[column]
            values = reference[column].to_list()
            r_values = got["values"][name]
            is_text = dtype == pl.String
            labelled = got["labelled"][name]
            if fmt in ("sav", "dta") and is_text and column != "pseudonym":
                if not labelled:
                    failures.append(f"{fmt}: {column} has no value labels")
            elif is_text and got["classes"][name] != "character":
                failures.append(f"{fmt}: {column} reads as {got['classes'][name]}, not text")
            elif not is_text and got["classes"][name] not in ("numeric", "haven_labelled"):
                failures.append(f"{fmt}: {column} reads as {got['classes'][name]}, not numbers")
            # node columns are headed by the node's label (or, in older versions, its code id)
            node_label = labels.get(column, column if column in node_labels else None)
            if node_label is not None and fmt in ("sav", "dta"):
                if got["variable_labels"][name] != node_label:
                    failures.append(
                        f"{fmt}: {column} is labelled {got['variable_labels'][name]!r}, "
                        f"not {node_label!r}"
                    )
                if not counts and got["value_labels"][name] != {"No": 0, "Yes": 1}:
                    failures.append(f"{fmt}: {column} value labels {got['value_labels'][name]}")
                if not counts and labelled:  # compare the codes, not the labels
                    r_values = [{"No": 0, "Yes": 1}.get(v, v) for v in r_values]
            if fmt in ("sav", "dta") and is_text:
                # SPSS and Stata hold "missing" as a missing value: NA in R
                values = [None if v == "missing" else v for v in values]
            wrong = [
                (i, e, g)
                for i, (e, g) in enumerate(zip(values, r_values, strict=True))
                if not _same(e, g)
            ]
            if wrong:
                failures.append(f"{fmt}: {column}: rows differ (row, raremix, R): {wrong[:3]}")
    assert not failures, "\n".join(failures)
