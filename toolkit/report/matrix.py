"""Writing the codes-by-cases matrix: CSV, XLSX, Parquet, SPSS ``.sav`` and Stata ``.dta``.

The matrix comes protected from :func:`toolkit.analysis.analyse_matrix`; this module lays it
out. Node columns are headed by the node's label (with its parent's where two share one)
and hold 1 when the participant voiced the node or a node below it, else 0 (or
the segment counts, ``counts=True``). SPSS and Stata files get variable names those programs
accept, the node's label and the attribute's label as variable labels, and value labels for
every categorical attribute (its levels, coded 1, 2, …, in their order) and for 0/1 nodes
(No, Yes); pyreadstat writes them.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import polars as pl

from toolkit.analysis.results import Results
from toolkit.choices import MATRIX_FORMATS
from toolkit.errors import EnvironmentProblem, UsageError
from toolkit.model import CODE_ID, MISSING, AttributeSpec
from toolkit.output import atomic_path, frame_to_csv, neutralise_formulas, write_bytes_atomic
from toolkit.stats.strata import stratum_values

#: Variable names stay under Stata's 32 characters: pyreadstat refuses a 32-character name
#: that carries value labels (SPSS allows 64 bytes).
NAME_LIMIT = 30


def node_headers(codebook: pl.DataFrame, nodes: list[str], taken: set[str]) -> dict[str, str]:
    """A readable, unique column header per node: its label; where two nodes share a label
    (or a label is an attribute's name), the parent's label before it; else its code id."""
    label = {c: str(lab or c) for c, lab in zip(codebook[CODE_ID], codebook["label"], strict=True)}
    parent = dict(zip(codebook[CODE_ID], codebook["parent_id"], strict=True))
    first = {n: label[n] for n in nodes}
    counts = Counter(first.values())
    headers: dict[str, str] = {}
    for node in nodes:
        header = first[node]
        if counts[header] > 1 or header in taken:
            up = parent.get(node)
            header = f"{label[up]} / {header}" if up in label else header
        if header in taken or header in headers.values():
            header = f"{first[node]} [{node}]"
        headers[node] = header
    return headers


def matrix_frame(results: Results, *, counts: bool) -> tuple[pl.DataFrame, list[str]]:
    """The matrix to write and its node columns (headed by labels; 0/1 unless ``counts``)."""
    matrix = results.need("matrix")
    nodes = [n for n in results.study.codebook[CODE_ID].to_list() if n in matrix.columns]
    if not counts:
        matrix = matrix.with_columns((pl.col(n) > 0).cast(pl.Int64) for n in nodes)
    taken = {c for c in matrix.columns if c not in nodes}
    headers = node_headers(results.study.codebook, nodes, taken)
    return matrix.rename(headers), [headers[n] for n in nodes]


def matrix_format(fmt: str | None, output: Path) -> str:
    """The format from ``--format``, else from the extension of ``output`` (default csv).

    Raises:
        UsageError: an extension raremix cannot write.
    """
    if fmt is not None:
        return fmt
    suffix = output.suffix.lower().lstrip(".")
    if suffix in MATRIX_FORMATS:
        return suffix
    if suffix in ("", "txt"):
        return "csv"
    raise UsageError(
        f"cannot tell the format from '{output.name}'; give --format "
        f"({', '.join(MATRIX_FORMATS)}) or an output ending in one of them"
    )


def variable_names(columns: list[str]) -> dict[str, str]:
    """Column -> a name SPSS and Stata accept (letters, digits, _; a letter first; unique)."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for column in columns:
        base = re.sub(r"[^A-Za-z0-9_]+", "_", column).strip("_") or "v"
        if not base[0].isalpha():
            base = f"v_{base}"
        base = base[:NAME_LIMIT]
        name, n = base, 1
        while name.lower() in used:
            n += 1
            name = f"{base[: NAME_LIMIT - len(str(n)) - 1]}_{n}"
        used.add(name.lower())
        names[column] = name
    return names


def _labelled(
    matrix: pl.DataFrame, results: Results, nodes: list[str], counts: bool
) -> tuple[pl.DataFrame, dict[str, str], dict[str, dict[int, str]]]:
    """The matrix with coded categories, its variable labels and value labels."""
    study = results.study
    names = variable_names(matrix.columns)
    labels: dict[str, str] = {}
    values: dict[str, dict[int, str]] = {}
    exprs: list[pl.Expr] = []
    for column in matrix.columns:
        name = names[column]
        if column in nodes:
            labels[name] = column
            if not counts:
                values[name] = {0: "No", 1: "Yes"}
            exprs.append(pl.col(column).alias(name))
        elif matrix[column].dtype == pl.String and column != "pseudonym":
            spec = study.attributes.get(column.removesuffix(" (attribute)"))
            labels[name] = spec.display if spec is not None else column
            codes = _level_codes(matrix[column], spec)
            values[name] = {i: level for level, i in codes.items()}
            # "missing" is a missing value (NA in R, system-missing in SPSS and Stata).
            exprs.append(pl.col(column).replace_strict(codes, default=None).alias(name))
        else:
            spec = study.attributes.get(column)
            labels[name] = spec.display if spec is not None else column
            exprs.append(pl.col(column).alias(name))
    return matrix.select(exprs), labels, values


def _level_codes(column: pl.Series, spec: AttributeSpec | None) -> dict[str, int]:
    """Value codes 1, 2, … in the attribute's own order (declared levels, or bins from low to
    high), whatever order participants come in; then any other shown value ("suppressed")."""
    declared: list[str] = []
    if spec is not None and (spec.type == "categorical" or spec.bins is not None):
        declared = stratum_values(column.head(0).to_frame(spec.name), spec)[1]
    seen = [v for v in column.unique(maintain_order=True).to_list() if v and v != MISSING]
    order = [v for v in dict.fromkeys([*declared, *seen]) if v != MISSING]
    return {level: i for i, level in enumerate(order, start=1)}


def _cell(text: str) -> str:
    return neutralise_formulas(pl.DataFrame({"c": [text]}))["c"][0]


def _xlsx(matrix: pl.DataFrame, target: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("codes by cases")
    sheet.append([_cell(c) for c in matrix.columns])
    # openpyxl stores a text starting with "=" as a formula: neutralise as in CSV outputs.
    for row in neutralise_formulas(matrix).iter_rows():
        sheet.append(list(row))
    book.save(target)


def write_matrix(
    results: Results, output: Path, *, fmt: str | None = None, counts: bool = False
) -> tuple[str, int, int]:
    """Write the matrix of ``results`` to ``output`` atomically.

    Returns:
        ``(format, rows, node columns)``.

    Raises:
        UsageError: an unknown format.
        EnvironmentProblem: ``.sav``/``.dta`` without pyreadstat installed.
    """
    chosen = matrix_format(fmt, output)
    matrix, nodes = matrix_frame(results, counts=counts)
    if chosen == "csv":
        write_bytes_atomic(output, frame_to_csv(matrix))
    elif chosen == "parquet":
        with atomic_path(output) as tmp:
            matrix.write_parquet(tmp)
    elif chosen == "xlsx":
        with atomic_path(output) as tmp:
            _xlsx(matrix, tmp)
    elif chosen in ("sav", "dta"):
        try:
            import pyreadstat
        except ImportError:
            raise EnvironmentProblem(
                "writing SPSS and Stata files needs pyreadstat: "
                "pip install 'raremix[spss-stata]' (or pip install pyreadstat)"
            ) from None
        coded, labels, values = _labelled(matrix, results, nodes, counts)
        if chosen == "dta":  # Stata's variable labels hold 80 characters
            labels = {k: v if len(v) <= 80 else v[:79] + "…" for k, v in labels.items()}
        writer: Any = pyreadstat.write_sav if chosen == "sav" else pyreadstat.write_dta
        with atomic_path(output) as tmp:
            writer(coded, str(tmp), column_labels=labels, variable_value_labels=values)
    else:
        raise UsageError(
            f"unknown matrix format '{chosen}'; use one of {', '.join(MATRIX_FORMATS)}"
        )
    return chosen, matrix.height, len(nodes)
