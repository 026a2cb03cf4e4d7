"""Dedoose excerpt exports: one spreadsheet row per excerpt (and coder), one column per code.

Dedoose (Analyze > Export > Excerpts) writes, per excerpt: the transcript's columns
(``Media Title``, ``Resource Creator``, ``Resource Date``), the excerpt's (``Excerpt
Creator``, ``Excerpt Date``, ``Excerpt Range`` "start-end", ``Excerpt Copy`` the text), the
descriptor fields of the transcript's descriptor (one column each), then one ``Code: NAME
Applied`` column per code (True/False, or 1/0) with an optional ``Code: NAME Weight``.
A child code's name is its path (``Parent\\Child``), which becomes the codebook tree.

Each transcript (``Media Title``) is one participant; its descriptor fields are the
attributes (a field that differs between the rows of one transcript is an error, located);
each applied code of an excerpt is one coded segment. Weights are not read (raremix counts
presence), and the import says so.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import polars as pl

from toolkit.errors import InputError, Problem
from toolkit.io.exports import codebook_from_codes
from toolkit.io.tables import read_table
from toolkit.model import CODINGS_SCHEMA, ROW, Tables

MEDIA = "Media Title"
COPY = "Excerpt Copy"
RANGE = "Excerpt Range"
CREATOR = "Excerpt Creator"
#: Columns that describe the transcript or the excerpt, not a descriptor field.
BOOKKEEPING = frozenset(
    name.casefold()
    for name in (
        MEDIA,
        COPY,
        RANGE,
        CREATOR,
        "Excerpt Date",
        "Resource Creator",
        "Resource Date",
        "Excerpt Memo",
        "Memo",
        "Excerpt Length",
        "Codes Applied Combined",
    )
)
APPLIED = re.compile(r"^Code:\s*(.+?)\s+Applied$", re.IGNORECASE)
WEIGHT = re.compile(r"^Code:\s*(.+?)\s+Weight$", re.IGNORECASE)
_RANGE = re.compile(r"^\s*(\d+)\s*[-–]\s*(\d+)\s*$")
_TRUE = {"true", "1", "yes", "x"}
_FALSE = {"false", "0", "no", ""}


def is_dedoose(header: list[str]) -> bool:
    """A header with the excerpt text and at least one ``Code: … Applied`` column."""
    folded = {h.strip().casefold() for h in header}
    return COPY.casefold() in folded and any(APPLIED.match(h.strip()) for h in header)


def _column(header: list[str], name: str) -> str | None:
    return next((h for h in header if h.strip().casefold() == name.casefold()), None)


def read_dedoose(path: Path, *, file: str | None = None) -> Tables:
    """Read a Dedoose excerpts export (.csv, .xlsx, .xls).

    Raises:
        InputError: no ``Media Title`` column, an ``Applied`` cell that is not true/false,
            an unreadable ``Excerpt Range``, or a descriptor field that differs within one
            transcript; each located (file, line, column).
    """
    name = file or path.name
    frame = read_table(path, display=name)
    header = [c for c in frame.columns if c != ROW]
    media = _column(header, MEDIA)
    if media is None:
        raise InputError(
            Problem(
                name,
                f"a Dedoose excerpts export needs the '{MEDIA}' column (the transcript); "
                f"columns found: {', '.join(repr(h) for h in header[:12])}",
                line=1,
            )
        )
    codes = {h: m.group(1).strip() for h in header if (m := APPLIED.match(h.strip()))}
    weights = [h for h in header if WEIGHT.match(h.strip())]
    copy, span, creator = _column(header, COPY), _column(header, RANGE), _column(header, CREATOR)
    descriptors = [
        h
        for h in header
        if h not in codes and h not in weights and h.strip().casefold() not in BOOKKEEPING
    ]
    problems: list[Problem] = []
    out: dict[str, list[Any]] = {k: [] for k in CODINGS_SCHEMA}
    rows_of: list[int] = []
    people: dict[str, dict[str, Any]] = {}
    for record in frame.iter_rows(named=True):
        line = record[ROW]
        who = (record[media] or "").strip()
        if not who:
            problems.append(Problem(name, "empty transcript name", line=line, column=media))
            continue
        start = end = None
        if span is not None and (record[span] or "").strip():
            match = _RANGE.match(record[span])
            if match is None:
                problems.append(
                    Problem(
                        name,
                        f"'{record[span]}' is not a range like 120-245",
                        line=line,
                        column=span,
                    )
                )
            else:
                start, end = int(match.group(1)), int(match.group(2))
        mine = people.setdefault(who, {})
        for field in descriptors:
            value = (record[field] or "").strip() or None
            if value is None:
                continue
            if mine.setdefault(field, value) != value:
                problems.append(
                    Problem(
                        name,
                        f"'{value}' differs from '{mine[field]}' given for '{who}' on an earlier "
                        "row; a descriptor field holds one value per transcript",
                        line=line,
                        column=field,
                    )
                )
        for column, code in codes.items():
            cell = (record[column] or "").strip().casefold()
            if cell in _FALSE:
                continue
            if cell not in _TRUE:
                problems.append(
                    Problem(
                        name,
                        f"'{record[column]}' is not True or False",
                        line=line,
                        column=column,
                    )
                )
                continue
            for key, value in (
                ("participant_id", who),
                ("code_id", code),
                ("quote", record[copy] if copy else None),
                ("source", who),
                ("start", start),
                ("end", end),
                ("coder", (record[creator] or "").strip() or None if creator else None),
            ):
                out[key].append(value)
            rows_of.append(line)
    if problems:
        raise InputError(problems[:50])
    codings = pl.DataFrame(out, schema=CODINGS_SCHEMA).with_columns(
        pl.Series(ROW, rows_of, dtype=pl.Int64)
    )
    participants = pl.DataFrame(
        {"participant_id": list(people)}, schema={"participant_id": pl.String}
    )
    types: dict[str, Literal["numeric", "categorical"]] = {}
    for field in descriptors:
        given = pl.Series(field, [people[p].get(field) for p in people], dtype=pl.String)
        numbers = given.cast(pl.Float64, strict=False)
        # A descriptor field whose every value is a number (an age) is numeric.
        numeric = given.null_count() < given.len() and numbers.null_count() == given.null_count()
        types[field] = "numeric" if numeric else "categorical"
        participants = participants.with_columns(numbers if numeric else given)
    codebook = codebook_from_codes(list(codes.values()), separator="\\")
    warnings = [
        f"{name}: Dedoose has no cases: each of the {len(people)} transcript(s) ('{media}') is one "
        f"participant, with {len(descriptors)} descriptor field(s) as attributes"
    ]
    if weights:
        warnings.append(
            f"{name}: {len(weights)} code weight column(s) not read: raremix counts whether a "
            "participant voiced a code, not how strongly"
        )
    return Tables(
        participants=participants,
        codebook=codebook,
        codings=codings,
        files={"participants": name, "codebook": name, "codings": name},
        attribute_types=types,
        warnings=tuple(warnings),
        unit="source",
    )
