"""MAXQDA exchange files (``.mex``): an SQLite database, read whole and read-only.

Tables read (the maxqdar R package's ``extract_codings`` reads the same ones):

- ``Texts(ID, GroupID, Name, Author, …)``: the documents; each is one participant (MAXQDA has
  no cases). Columns a project adds to ``Texts`` (declared in ``sys_Fields``) are its document
  variables: numbers (field types 1 and 4) become numeric attributes, the others categorical.
- ``Textgroups(ID, Name)``: document groups, kept as the attribute ``document_group``.
- ``Codewords(ID, WordID, Idx, Name)``: the code system; ``WordID`` is the parent code (0 at
  the top). A code's id is its path joined with a backslash, as MAXQDA's "Coded segments"
  export writes it, so a ``.mex`` and that export of the same project give the same codes.
- ``Codings(ID, TextID, WordID, SegPos1X, SegPos2X, Preview, Author)``: one coded segment
  each. The segment's full text is stored encrypted (``*ENC*``); the quote is ``Preview``,
  which MAXQDA cuts at 63 characters: a cut quote ends with "…" and the import says how many.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Literal

import polars as pl

from toolkit.errors import InputError, Problem
from toolkit.io.safety import connect_sqlite, query, sqlite_tables
from toolkit.model import CODEBOOK_SCHEMA, CODINGS_SCHEMA, Tables

#: MAXQDA's ``Preview`` holds at most this many characters of a coded segment.
PREVIEW_LIMIT = 63
NEEDED = ("Texts", "Codewords", "Codings")
#: ``Texts`` columns MAXQDA itself uses: every other column is a document variable.
SYSTEM_TEXT_COLUMNS = frozenset(
    [
        "ID",
        "Idx",
        "GroupID",
        "State",
        "Type",
        "Text",
        "Name",
        "Date",
        "Codes",
        "Memos",
        "MemoID",
        "Author",
        "Size",
        "DocType",
        "MediaFileX",
        "ScaleFactor",
        "CodesWndWidth",
        "ScrollPosPage",
        "ScrollPosX",
        "ScrollPosY",
        "SelPage",
        "SelX1",
        "SelY1",
        "SelX2",
        "SelY2",
        "ExtLink1",
        "ExtLink2",
        "ExtLink3",
        "RIS-TY",
        "RIS-AU",
        "RIS-TI",
        "RIS-ID",
        "RIS-PY",
        "Data",
        "CodTemp",
        "Data2",
        "PlainTextWin",
        "PlainTextMac",
        "GeoLinkID",
        "Color",
        "LastChgUser",
        "LastChgDate",
    ]
)
NUMERIC_FIELD_TYPES = (1, 4)
BINARY_FIELD_TYPES = (6, 9)


def is_mex(path: Path) -> bool:
    """A file named ``.mex`` (MAXQDA's exchange format)."""
    return path.is_file() and path.suffix.lower() == ".mex"


def _code_paths(
    codewords: list[tuple[Any, ...]], file: str, warnings: list[str]
) -> tuple[pl.DataFrame, dict[Any, str]]:
    name = {cid: str(n or f"code {cid}").strip() for cid, _, _, n in codewords}
    parent = {cid: (p if p in name else None) for cid, p, _, _ in codewords}
    path: dict[Any, str] = {}

    def path_of(cid: Any, seen: tuple[Any, ...] = ()) -> str:
        if cid in path:
            return path[cid]
        up = parent[cid]
        if up is None or up in seen:
            if up in seen:
                warnings.append(f"{file}: code '{name[cid]}' is its own ancestor; read at the top")
            path[cid] = name[cid]
        else:
            path[cid] = f"{path_of(up, (*seen, cid))}\\{name[cid]}"
        return path[cid]

    order = sorted(codewords, key=lambda r: (r[2] if r[2] is not None else 0, r[0]))
    rows = [(path_of(cid), name[cid], parent[cid]) for cid, _, _, _ in order]
    frame = pl.DataFrame(
        {
            "code_id": [p for p, _, _ in rows],
            "label": [n for _, n, _ in rows],
            "parent_id": [path_of(up) if up is not None else None for _, _, up in rows],
            "description": [None] * len(rows),
        },
        schema=CODEBOOK_SCHEMA,
    )
    return frame, path


def _variables(
    connection: Any, columns: list[str], file: str
) -> tuple[list[str], dict[str, Literal["numeric", "categorical"]]]:
    user = [c for c in columns if c not in SYSTEM_TEXT_COLUMNS]
    types: dict[str, int] = {}
    if user and "sys_Fields" in sqlite_tables(connection):
        for source, kind in query(
            connection, "SELECT Source, Type FROM sys_Fields WHERE TopicID = 5", file=file
        ):
            types[str(source)] = int(kind or 0)
    kept = [c for c in user if types.get(c) not in BINARY_FIELD_TYPES]
    return kept, {
        c: "numeric" if types.get(c) in NUMERIC_FIELD_TYPES else "categorical" for c in kept
    }


def read_mex(path: Path, *, file: str | None = None) -> Tables:
    """Read a MAXQDA exchange file: documents, document variables, code tree, codings.

    Raises:
        InputError: not an SQLite database, or not a MAXQDA one (tables missing).
    """
    name = file or path.name
    connection = connect_sqlite(path, file=name)
    try:
        tables = sqlite_tables(connection)
        lacking = [t for t in NEEDED if t not in tables]
        if lacking:
            raise InputError(
                Problem(
                    name,
                    f"not a MAXQDA exchange file: no table {', '.join(lacking)}; export the "
                    "project from MAXQDA again (Project > Export > Exchange file), or give its "
                    "coded segments export (.xlsx) with --format maxqda",
                )
            )
        variables, types = _variables(connection, tables["Texts"], name)
        selected = ", ".join(f'"{c}"' for c in ("ID", "GroupID", "Name", *variables))
        texts = query(connection, f"SELECT {selected} FROM Texts ORDER BY Idx, ID", file=name)
        groups: dict[Any, Any] = {}
        if "Textgroups" in tables:
            groups = dict(query(connection, "SELECT ID, Name FROM Textgroups", file=name))
        codewords = query(connection, "SELECT ID, WordID, Idx, Name FROM Codewords", file=name)
        codings = query(
            connection,
            "SELECT ID, TextID, WordID, SegPos1X, SegPos2X, Preview, Author FROM Codings ORDER BY ID",
            file=name,
        )
    finally:
        connection.close()
    warnings: list[str] = []
    codebook, code_of = _code_paths(codewords, name, warnings)
    documents = {row[0]: str(row[2] or f"document {row[0]}") for row in texts}
    out: dict[str, list[Any]] = {k: [] for k in CODINGS_SCHEMA}
    cut = 0
    lost: Counter[str] = Counter()
    for _, text_id, word_id, start, end, preview, author in codings:
        if text_id not in documents or word_id not in code_of:
            lost["a deleted document" if text_id not in documents else "a deleted code"] += 1
            continue
        quote = str(preview) if preview else None
        if quote is not None and len(quote) >= PREVIEW_LIMIT:
            quote, cut = quote.rstrip() + " …", cut + 1
        out["participant_id"].append(documents[text_id])
        out["code_id"].append(code_of[word_id])
        out["quote"].append(quote)
        out["source"].append(documents[text_id])
        out["start"].append(int(start) if start is not None else None)
        out["end"].append(int(end) if end is not None else None)
        out["coder"].append(str(author) if author else None)
    participants = pl.DataFrame(
        {"participant_id": list(documents.values())}, schema={"participant_id": pl.String}
    )
    if groups:
        participants = participants.with_columns(
            pl.Series("document_group", [groups.get(row[1]) for row in texts], dtype=pl.String)
        )
        types = {"document_group": "categorical", **types}
    for index, column in enumerate(variables, start=3):
        values = [row[index] for row in texts]
        dtype = pl.Float64 if types[column] == "numeric" else pl.String
        cast = [
            (float(v) if dtype == pl.Float64 else str(v)) if v not in (None, "") else None
            for v in values
        ]
        participants = participants.with_columns(pl.Series(column, cast, dtype=dtype))
    warnings.append(
        f"{name}: MAXQDA has no cases: each of the {len(documents)} document(s) is one "
        "participant; remove documents that are not interviews from participants.csv"
    )
    if cut:
        warnings.append(
            f"{name}: {cut} quote(s) are MAXQDA's preview, cut at {PREVIEW_LIMIT} characters "
            "(the full text is stored encrypted); they end with '…'"
        )
    for why, n in lost.items():
        warnings.append(f"{name}: {n} coding(s) refer to {why}; left out")
    return Tables(
        participants=participants,
        codebook=codebook,
        codings=pl.DataFrame(out, schema=CODINGS_SCHEMA),
        files={"participants": name, "codebook": name, "codings": name},
        attribute_types=types,
        warnings=tuple(warnings),
        unit="source",
    )
