"""`raremix matrix`: every format, read back by an independent reader; bad input, nothing written."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.resources import examples_dir

EXAMPLE = examples_dir() / "calciphylaxis"


def _run(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def _independent(counts: bool) -> dict[str, dict[str, int]]:
    """Participant id -> node -> codings of the node or below, from the raw CSVs."""
    with (EXAMPLE / "codebook.csv").open(encoding="utf-8") as handle:
        parent = {r["code_id"]: r["parent_id"] for r in csv.DictReader(handle)}
    table: dict[str, dict[str, int]] = {}
    with (EXAMPLE / "codings.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            node = row["code_id"]
            mine = table.setdefault(row["participant_id"], {})
            while node:
                mine[node] = mine.get(node, 0) + 1
                node = parent.get(node) or ""
    if not counts:
        return {p: dict.fromkeys(nodes, 1) for p, nodes in table.items()}
    return table


def _labels() -> dict[str, str]:
    """Code id -> label: the matrix heads node columns with labels (unique in this example)."""
    with (EXAMPLE / "codebook.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    labels = {r["code_id"]: r["label"] for r in rows}
    assert len(set(labels.values())) == len(labels)
    return labels


def _sums(frame: pl.DataFrame, nodes: list[str]) -> dict[str, int]:
    labels = _labels()
    return {n: int(frame[labels[n]].sum()) for n in nodes}


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "sav", "dta"])
@pytest.mark.parametrize("counts", [False, True])
def test_every_format_holds_the_counts(tmp_path: Path, fmt: str, counts: bool) -> None:
    out = tmp_path / f"matrix.{fmt}"
    code, stdout, stderr = _run("matrix", EXAMPLE, *(["--counts"] if counts else []), "-o", out)
    assert code == 0, stderr
    assert "15 participants" in stdout
    if fmt == "csv":
        frame = pl.read_csv(out)
    elif fmt == "parquet":
        frame = pl.read_parquet(out)
    elif fmt == "xlsx":
        import openpyxl

        rows = list(openpyxl.load_workbook(out, read_only=True).active.iter_rows(values_only=True))
        frame = pl.DataFrame([list(r) for r in rows[1:]], schema=list(rows[0]), orient="row")
    else:
        import pyreadstat

        reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
        frame, meta = reader(str(out), output_format="polars")
        assert meta.variable_value_labels["sex"] == {1: "Female", 2: "Male"} or set(
            meta.variable_value_labels["sex"].values()
        ) == {"Female", "Male"}
        if not counts:
            assert meta.variable_value_labels["Pain"] in (
                {0: "No", 1: "Yes"},
                {0.0: "No", 1.0: "Yes"},
            )
        assert meta.column_names_to_labels["Pain"] == "Pain"
        # Labels with spaces become names SPSS and Stata accept; the label is kept.
        assert meta.column_names_to_labels["Severe_pain"] == "Severe pain"
        # Back to the node labels, through the variable labels the file carries.
        node_labels = set(_labels().values())
        frame = frame.rename(
            {n: lab for n, lab in meta.column_names_to_labels.items() if lab in node_labels}
        )
    expected = _independent(counts)
    nodes = sorted({n for row in expected.values() for n in row})
    want = {n: sum(row.get(n, 0) for row in expected.values()) for n in nodes}
    assert _sums(frame, nodes) == want
    assert frame.height == 15 and frame["pseudonym"].to_list() == sorted(frame["pseudonym"])


def test_unknown_extension_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "matrix.rds"
    code, _, stderr = _run("matrix", EXAMPLE, "-o", out)
    assert code == 1 and stderr.startswith("Error:") and "--format" in stderr
    assert not out.exists()
