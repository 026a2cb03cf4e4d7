"""Identifiers compared as people read them.

Two decisions, made once for every input (canonical files and vendor projects alike):

- Ids are Unicode-normalised to NFC before anything compares them: "José" typed on a Mac
  (NFD: "e" + combining accent) and on Windows (NFC: "é") is one participant, as a reader
  sees it. Two rows of participants.csv that differ only so become a duplicate id, reported.
- An id holding an invisible character (Unicode "format" or "control" characters such as
  the zero-width space U+200B, a byte-order mark, a right-to-left mark, a tab) is an error
  that shows the character by name: "P01" with a zero-width space and "P01" look alike but
  would count as two people, and silently dropping the character could merge two ids that
  are meant to differ.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from typing import Any

import polars as pl

from toolkit.model.problems import Collector
from toolkit.model.schemas import Tables

ID_COLUMNS: dict[str, tuple[str, ...]] = {
    "participants": ("participant_id",),
    "codebook": ("code_id", "parent_id"),
    "codings": ("participant_id", "code_id"),
}
_INVISIBLE = r"[\p{Cf}\p{Cc}\p{Zl}\p{Zp}]"


def visible(text: str) -> str:
    """``text`` with every invisible character written out: ``P<U+200B ZERO WIDTH SPACE>01``."""
    out = []
    for char in text:
        if unicodedata.category(char) in ("Cf", "Cc", "Zl", "Zp"):
            name = unicodedata.name(char, "")
            out.append(f"<U+{ord(char):04X}{' ' + name if name else ''}>")
        else:
            out.append(char)
    return "".join(out)


def normalise_ids(tables: Tables, files: dict[str, str], out: Collector) -> Tables:
    """Ids in NFC, and a located problem for every id that holds an invisible character.

    Args:
        tables: the raw tables (all-String id columns, ``_row`` where the file has lines).
        files: role -> file name for messages.
        out: where the problems go.

    Returns:
        The tables with their id columns normalised.
    """
    frames: dict[str, pl.DataFrame] = {}
    for role, columns in ID_COLUMNS.items():
        frame: pl.DataFrame = getattr(tables, role)
        present = [
            c
            for c in columns
            if c in frame.columns
            and frame.schema[c] == pl.String
            # Plain printable ASCII (nearly every id) needs neither check nor normalising;
            # looking at each distinct id once keeps millions of codings cheap.
            and bool(frame.get_column(c).unique().str.contains(r"[^\x20-\x7E]").any())
        ]
        for column in present:

            def message(row: dict[str, Any], column: str = column) -> str:
                return (
                    f"'{visible(row[column])}' holds an invisible character; ids are compared "
                    "character by character, so it would not match the same id without it: "
                    "delete the character in the file"
                )

            out.rows(
                frame.filter(pl.col(column).str.contains(_INVISIBLE)),
                file=files.get(role, role),
                column=column,
                message=message,
                kind="invisible characters in ids",
            )
        if present:
            frames[role] = frame.with_columns(pl.col(c).str.normalize("NFC") for c in present)
    if not frames:
        return tables
    return replace(
        tables,
        participants=frames.get("participants", tables.participants),
        codebook=frames.get("codebook", tables.codebook),
        codings=frames.get("codings", tables.codings),
    )
