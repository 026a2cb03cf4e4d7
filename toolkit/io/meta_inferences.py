"""The researcher's meta-inferences for the joint display (``inputs.meta_inferences``).

A small CSV (or TSV/XLSX) the researcher writes, one row per theme: ``code_id``,
``meta_inference`` (confirms, expands or discordant: how the numbers and the words of the
theme relate; Fetters, Curry and Creswell 2013) and an optional ``note``. Every problem is
reported with its file and line.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit.choices import META_INFERENCES
from toolkit.errors import InputError, Problem
from toolkit.io.tables import read_table

#: Columns of the validated frame.
COLUMNS = ("code_id", "meta_inference", "note")


def read_meta_inferences(path: Path, codebook: pl.DataFrame, *, display: str) -> pl.DataFrame:
    """Read and check the meta-inferences file against the codebook.

    Args:
        path: the file ``inputs.meta_inferences`` names.
        codebook: the study's validated codebook (``code_id``).
        display: the file's name in messages.

    Returns:
        Frame ``code_id, meta_inference, note`` (values lower case, note null when empty).

    Raises:
        InputError: a missing column, an empty or unknown code, a value that is not one of
            :data:`toolkit.choices.META_INFERENCES`, a code listed twice; each located.
    """
    raw = read_table(path, display=display)
    missing = [c for c in ("code_id", "meta_inference") if c not in raw.columns]
    if missing:
        raise InputError(
            Problem(
                display,
                f"missing column(s) {', '.join(missing)}; the meta-inferences file has "
                "code_id, meta_inference and an optional note",
                line=1,
            )
        )
    known = set(codebook["code_id"].to_list())
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    rows: list[dict[str, str | None]] = []
    for row in raw.iter_rows(named=True):
        line = row.get("_row")
        code = (row["code_id"] or "").strip()
        value = (row["meta_inference"] or "").strip().lower()
        note = (row.get("note") or "").strip() or None
        if not code:
            problems.append(Problem(display, "empty code_id", line=line, column="code_id"))
        elif code not in known:
            problems.append(
                Problem(
                    display,
                    f"code '{code}' is not in the codebook; use a theme's code_id",
                    line=line,
                    column="code_id",
                )
            )
        elif code in seen:
            problems.append(
                Problem(
                    display,
                    f"code '{code}' is listed twice (first on line {seen[code]}); give one "
                    "meta-inference per theme",
                    line=line,
                    column="code_id",
                )
            )
        if value not in META_INFERENCES:
            problems.append(
                Problem(
                    display,
                    f"'{row['meta_inference'] or ''}' is not a meta-inference; use one of "
                    f"{', '.join(META_INFERENCES)}",
                    line=line,
                    column="meta_inference",
                )
            )
        if code and code not in seen:
            seen[code] = int(line) if line is not None else 0
        rows.append({"code_id": code, "meta_inference": value, "note": note})
    if problems:
        raise InputError(problems)
    return pl.DataFrame(rows, schema=dict.fromkeys(COLUMNS, pl.String))
