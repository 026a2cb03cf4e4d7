"""QualCoder's own project: a folder ``NAME.qda/`` holding the SQLite database ``data.qda``.

Tables read (QualCoder 3.x, database versions v1 to v8 and later):

- ``code_cat(catid, name, supercatid, memo)``: categories, the non-codable parent nodes;
  their ids become ``cat:<catid>``.
- ``code_name(cid, name, catid, memo, color[, supercid])``: codes, ``code:<cid>``; a code sits
  under its category (``catid``), or under another code where the database has ``supercid``.
- ``code_text(ctid, cid, fid, seltext, pos0, pos1, owner)``: coded text, ``pos1`` exclusive,
  ``owner`` the coder. Positions are checked against the source's ``fulltext``.
- ``source(id, name, fulltext, mediapath)``: documents.
- ``cases(caseid, name)``, ``case_text(caseid, fid, pos0, pos1)``: when there are cases they are
  the participants and a coded segment belongs to the case whose text range covers it;
  otherwise each text source is one participant (with a warning).
- ``attribute_type(name, caseOrFile, valuetype)`` and ``attribute(name, attr_type, value, id)``:
  case attributes become participant attributes, numeric where QualCoder says so.

The database is opened read-only; nothing is written beside it.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import polars as pl

from toolkit.errors import InputError, Problem
from toolkit.io.refi import attribute_column
from toolkit.io.safety import connect_sqlite, query, sql_position, sql_text, sqlite_tables
from toolkit.model import CODEBOOK_SCHEMA, CODINGS_SCHEMA, Tables

REQUIRED = {
    "code_name": ("cid", "name"),
    "code_text": ("cid", "fid", "pos0", "pos1"),
    "source": ("id", "name"),
}


def database_path(path: Path) -> Path:
    """``NAME.qda/`` (or the ``data.qda`` inside it) -> the database file."""
    if path.is_dir():
        return path / "data.qda"
    return path


def is_qualcoder(path: Path) -> bool:
    """True for a QualCoder project folder or its ``data.qda``."""
    return (path.is_dir() and (path / "data.qda").is_file()) or path.name == "data.qda"


@contextmanager
def _connect(path: Path, file: str) -> Iterator[sqlite3.Connection]:
    connection = connect_sqlite(path, file=file)
    try:
        yield connection
    finally:
        connection.close()


def _select(
    connection: sqlite3.Connection, table: str, columns: list[str], have: list[str], *, file: str
) -> list[dict[str, Any]]:
    """Rows of ``table`` as dicts; a column the database lacks reads as None."""
    present = [c for c in columns if c in have]
    listed = ", ".join(f'"{c}"' for c in present) or "1"
    rows = query(connection, f'SELECT {listed} FROM "{table}"', file=file)
    return [{**dict.fromkeys(columns), **dict(zip(present, row, strict=True))} for row in rows]


def read_qualcoder(path: Path, *, file: str | None = None) -> Tables:
    """Read a QualCoder project into canonical tables.

    Args:
        path: the ``NAME.qda`` folder or its ``data.qda``.
        file: the name for messages (default: ``NAME.qda/data.qda``).

    Raises:
        InputError: the database is missing, unreadable, or lacks QualCoder's tables.
    """
    db = database_path(path)
    name = file or (f"{db.parent.name}/{db.name}" if db.name == "data.qda" else db.name)
    warnings: list[str] = []
    with _connect(db, name) as connection:
        tables = sqlite_tables(connection, file=name)
        missing = [
            f"{t}({', '.join(c for c in cols if c not in tables.get(t, []))})"
            for t, cols in REQUIRED.items()
            if t not in tables or any(c not in tables[t] for c in cols)
        ]
        if missing:
            raise InputError(
                Problem(name, f"not a QualCoder database: missing {', '.join(missing)}")
            )

        def rows(table: str, columns: list[str]) -> list[dict[str, Any]]:
            if table not in tables:
                return []
            return _select(connection, table, columns, tables[table], file=name)

        categories = rows("code_cat", ["catid", "name", "supercatid", "memo"])
        codes = rows("code_name", ["cid", "name", "catid", "supercid", "memo", "color"])
        coded = rows("code_text", ["ctid", "cid", "fid", "seltext", "pos0", "pos1", "owner"])
        sources = rows("source", ["id", "name", "fulltext", "mediapath"])
        cases = rows("cases", ["caseid", "name"])
        case_text = rows("case_text", ["caseid", "fid", "pos0", "pos1"])
        attribute_types = rows("attribute_type", ["name", "caseOrFile", "valuetype"])
        attributes = rows("attribute", ["name", "attr_type", "value", "id"])
    codebook = _codebook(categories, codes, file=name, warnings=warnings)
    code_id = {c["cid"]: f"code:{c['cid']}" for c in codes}
    source_name = {s["id"]: _name(s["name"], f"source {s['id']}", warnings, name) for s in sources}
    fulltext = {s["id"]: sql_text(s["fulltext"]) for s in sources}
    if cases:
        participants, owner_of = _by_cases(
            cases, case_text, attribute_types, attributes, file=name, warnings=warnings
        )
    else:
        text_sources = [s for s in sources if s["fulltext"] is not None]
        participants = pl.DataFrame(
            {"participant_id": [source_name[s["id"]] for s in text_sources]},
            schema={"participant_id": pl.String},
        )
        warnings.append(
            f"{name}: no cases: each of the {len(text_sources)} text source(s) is one participant "
            "(one interview each); check that this is so, or define cases in QualCoder"
        )

        def owner_of(fid: Any, pos0: int, pos1: int) -> str | None:
            return source_name.get(fid) if fulltext.get(fid) is not None else None

    out: dict[str, list[Any]] = {k: [] for k in CODINGS_SCHEMA}
    bad_positions: list[str] = []
    unknown_code = 0
    unowned: Counter[str] = Counter()
    for row in sorted(coded, key=_ctid_order):
        if row["cid"] not in code_id:
            unknown_code += 1
            continue
        where = f"code_text ctid {row['ctid']}"
        pos0 = sql_position(row["pos0"], file=name, what=f"{where}: pos0")
        pos1 = sql_position(row["pos1"], file=name, what=f"{where}: pos1")
        text = fulltext.get(row["fid"])
        quote = sql_text(row["seltext"])
        if text is not None and pos0 is not None and pos1 is not None:
            if not 0 <= pos0 <= pos1 <= len(text) or (
                quote is not None and text[pos0:pos1] != quote
            ):
                bad_positions.append(f"ctid {row['ctid']}")
            if quote is None:
                quote = text[pos0:pos1]
        participant = owner_of(row["fid"], pos0 or 0, pos1 or 0)
        if participant is None:
            unowned[source_name.get(row["fid"], str(row["fid"]))] += 1
            continue
        out["participant_id"].append(participant)
        out["code_id"].append(code_id[row["cid"]])
        out["quote"].append(quote)
        out["source"].append(source_name.get(row["fid"]))
        out["start"].append(pos0)
        out["end"].append(pos1)
        out["coder"].append(sql_text(row["owner"]))
    if bad_positions:
        warnings.append(
            f"{name}: {len(bad_positions)} coded segment(s) do not match their source text at their "
            f"positions ({', '.join(bad_positions[:5])}); the stored text is kept"
        )
    if unknown_code:
        warnings.append(f"{name}: {unknown_code} coded segment(s) refer to deleted codes; left out")
    if unowned:
        listed = ", ".join(f"'{k}' ({n})" for k, n in unowned.most_common(5))
        warnings.append(
            f"{name}: {sum(unowned.values())} coded segment(s) belong to no case and are left out: {listed}"
        )
    participant_types = {
        c: ("numeric" if dtype == pl.Float64 else "categorical")
        for c, dtype in participants.schema.items()
        if c != "participant_id"
    }
    return Tables(
        participants=participants,
        codebook=codebook,
        codings=pl.DataFrame(out, schema=CODINGS_SCHEMA),
        files={"participants": name, "codebook": name, "codings": name},
        attribute_types=participant_types,  # type: ignore[arg-type]
        warnings=tuple(warnings),
        unit="case" if cases else "source",
        texts={source_name[k]: t for k, t in fulltext.items() if t is not None},
    )


def _ctid_order(row: dict[str, Any]) -> tuple[bool, bool, Any]:
    """Coded segments in ctid order; a ctid stored as text (SQLite allows it) sorts last."""
    ctid = row["ctid"]
    numeric = isinstance(ctid, int | float) and not isinstance(ctid, bool)
    return (ctid is None, not numeric, ctid if numeric else str(ctid))


def _name(value: Any, fallback: str, warnings: list[str], file: str) -> str:
    """A name from the database; NULL or blank becomes ``fallback``, with a warning."""
    text = sql_text(value)
    if text is None or not text.strip():
        warnings.append(f"{file}: {fallback} has no name; called '{fallback}'")
        return fallback
    return text


def _codebook(
    categories: list[dict[str, Any]],
    codes: list[dict[str, Any]],
    *,
    file: str,
    warnings: list[str],
) -> pl.DataFrame:
    """Categories (``cat:<catid>``) and codes (``code:<cid>``) as one tree, depth first by name."""
    cat_ids = {c["catid"] for c in categories}
    code_ids = {c["cid"] for c in codes}
    children: dict[str | None, list[tuple[str, str, str | None, str | None]]] = defaultdict(list)
    orphans = 0
    for cat in categories:
        parent = cat["supercatid"]
        if parent is not None and parent not in cat_ids:
            orphans += 1
            parent = None
        children[f"cat:{parent}" if parent is not None else None].append(
            (
                f"cat:{cat['catid']}",
                _name(cat["name"], f"category {cat['catid']}", warnings, file),
                sql_text(cat["memo"]) or None,
                None,
            )
        )
    for code in codes:
        parent_key: str | None = None
        if code["supercid"] is not None and code["supercid"] in code_ids:
            parent_key = f"code:{code['supercid']}"
        elif code["catid"] is not None:
            if code["catid"] in cat_ids:
                parent_key = f"cat:{code['catid']}"
            else:
                orphans += 1
        children[parent_key].append(
            (
                f"code:{code['cid']}",
                _name(code["name"], f"code {code['cid']}", warnings, file),
                sql_text(code["memo"]) or None,
                sql_text(code["color"]) or None,
            )
        )
    if orphans:
        warnings.append(
            f"{file}: {orphans} code(s) or categories name a parent category that does not exist; "
            "they are placed at the top of the codebook"
        )
    rows: list[tuple[str, str, str | None, str | None, str | None]] = []
    seen: set[str] = set()

    def ordered(key: str | None) -> Iterator[tuple[str, str, str | None, str | None]]:
        # Categories first, then codes, each alphabetically, as QualCoder shows them.
        return iter(
            sorted(
                children.get(key, []),
                key=lambda n: (not n[0].startswith("cat:"), n[1].casefold()),
            )
        )

    # Depth first with a stack: a category tree thousands of levels deep is no RecursionError.
    stack: list[tuple[str | None, Iterator[tuple[str, str, str | None, str | None]]]] = [
        (None, ordered(None))
    ]
    while stack:
        key, pending = stack[-1]
        node = next(pending, None)
        if node is None:
            stack.pop()
            continue
        node_id, label, memo, color = node
        if node_id in seen:
            raise InputError(Problem(file, f"the category tree has a cycle through '{label}'"))
        seen.add(node_id)
        rows.append((node_id, label, key, memo, color))
        stack.append((node_id, ordered(node_id)))

    unreached = len(categories) + len(codes) - len(rows)
    if unreached:
        raise InputError(
            Problem(
                file,
                f"{unreached} categories or codes are unreachable from the top: the category tree has a cycle",
            )
        )
    return pl.DataFrame(
        {
            "code_id": [r[0] for r in rows],
            "label": [r[1] for r in rows],
            "parent_id": [r[2] for r in rows],
            "description": [r[3] for r in rows],
            "color": [r[4] for r in rows],
        },
        schema={**CODEBOOK_SCHEMA, "color": pl.String},
    )


def _by_cases(
    cases: list[dict[str, Any]],
    case_text: list[dict[str, Any]],
    attribute_types: list[dict[str, Any]],
    attributes: list[dict[str, Any]],
    *,
    file: str,
    warnings: list[str],
) -> tuple[pl.DataFrame, Any]:
    names = {c["caseid"]: _name(c["name"], f"case {c['caseid']}", warnings, file) for c in cases}
    order = sorted(names.values(), key=str.casefold)
    spans: dict[Any, list[tuple[int, int, str]]] = defaultdict(list)
    for row in case_text:
        if row["caseid"] in names:
            spans[row["fid"]].append(
                (
                    sql_position(row["pos0"], file=file, what=f"case_text of case {row['caseid']}")
                    or 0,
                    sql_position(row["pos1"], file=file, what=f"case_text of case {row['caseid']}")
                    or 0,
                    names[row["caseid"]],
                )
            )

    def owner_of(fid: Any, pos0: int, pos1: int) -> str | None:
        candidates = spans.get(fid, [])
        whole = {cid for _, _, cid in candidates}
        if len(whole) == 1:
            return next(iter(whole))
        overlaps = sorted(
            (
                (min(pos1, b) - max(pos0, a), cid)
                for a, b, cid in candidates
                if min(pos1, b) > max(pos0, a)
            ),
            reverse=True,
        )
        if overlaps and (len(overlaps) == 1 or overlaps[0][0] > overlaps[1][0]):
            return overlaps[0][1]
        return None

    case_attr = [a for a in attribute_types if (a["caseOrFile"] or "").lower() == "case"]
    frame = pl.DataFrame({"participant_id": order}, schema={"participant_id": pl.String})
    by_case = dict(names)
    for attr in case_attr:
        column = attribute_column(str(attr["name"]))
        values: dict[str, str | None] = dict.fromkeys(order)
        for row in attributes:
            if (
                row["name"] == attr["name"]
                and (row["attr_type"] or "").lower() == "case"
                and row["id"] in by_case
            ):
                value = sql_text(row["value"])
                values[by_case[row["id"]]] = (
                    None if value is None or value.strip() == "" else value.strip()
                )
        kind: Literal["numeric", "categorical"] = (
            "numeric" if (attr["valuetype"] or "").lower() == "numeric" else "categorical"
        )
        if kind == "numeric":
            try:
                numbers = [float(values[p]) if values[p] is not None else None for p in order]  # type: ignore[arg-type]
            except ValueError:
                warnings.append(
                    f"{file}: attribute '{attr['name']}' is numeric but holds text; read as categorical"
                )
                frame = frame.with_columns(
                    pl.Series(column, [values[p] for p in order], dtype=pl.String)
                )
                continue
            frame = frame.with_columns(pl.Series(column, numbers, dtype=pl.Float64))
        else:
            frame = frame.with_columns(
                pl.Series(column, [values[p] for p in order], dtype=pl.String)
            )
    return frame, owner_of
