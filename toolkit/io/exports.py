"""Coded-segment exports: one spreadsheet row per coded segment, from any program.

Known layouts (``format:`` in ``study.yml``; detected from the header when not given):

``taguette``
    Taguette's highlights export: ``id, document, tag, content`` (one row per highlight and tag).
``qualcoder``
    QualCoder's coded-text export: ``File, Coder, Coded, Id, Codename, Coded_Memo, Category``;
    ``Category`` becomes the code's parent node (``cat:<name>``).
``maxqda``
    MAXQDA's "Coded segments" export (.xlsx, or old .xls), in English or Polish (German and
    Spanish headers are recognised too): document name, code, segment, created by. Codes are
    paths joined with a backslash (``Parent\\Child``), which become a codebook tree. MAXQDA's
    Begin/End are paragraph numbers, not character positions, so they are not read.
``canonical``
    The canonical column names (``participant_id, code_id, quote, source, start, end, coder``).

Any layout is overridden, column by column, by ``inputs.columns`` (canonical key → column
name in the file), so an unknown program's export is read by naming its columns. Also here:
the Taguette project database (``.sqlite3``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from toolkit.errors import InputError, Problem
from toolkit.io.safety import connect_sqlite, query, sql_position, sql_text, sqlite_tables
from toolkit.io.tables import read_table
from toolkit.model import CODEBOOK_SCHEMA, CODINGS_SCHEMA, ROW, Tables

KEYS = ("participant_id", "code_id", "quote", "source", "start", "end", "coder")
REQUIRED_KEYS = ("participant_id", "code_id")


@dataclass(frozen=True)
class Layout:
    """A program's export: candidate header names per canonical key (matched ignoring case)."""

    name: str
    columns: Mapping[str, tuple[str, ...]]
    category: tuple[str, ...] = ()  # a column naming the code's parent
    path_separator: str | None = None  # codes are paths joined with this


LAYOUTS: dict[str, Layout] = {
    "taguette": Layout(
        "taguette",
        {
            "participant_id": ("document",),
            "code_id": ("tag",),
            "quote": ("content",),
            "source": ("document",),
        },
    ),
    "qualcoder": Layout(
        "qualcoder",
        {
            "participant_id": ("File",),
            "code_id": ("Codename",),
            "quote": ("Coded",),
            "coder": ("Coder",),
            "source": ("File",),
        },
        category=("Category",),
    ),
    "maxqda": Layout(
        "maxqda",
        {
            "participant_id": (
                "Document name",
                "Nazwa dokumentu",
                "Dokumentname",
                "Nombre del documento",
                "Document",
            ),
            "code_id": ("Code", "Kod", "Código", "Codigo"),
            "quote": ("Segment", "Fragment", "Segmento"),
            "coder": ("Created by", "Author", "Autor", "Erstellt von", "Creado por"),
            "source": (
                "Document name",
                "Nazwa dokumentu",
                "Dokumentname",
                "Nombre del documento",
                "Document",
            ),
        },
        path_separator="\\",
    ),
    "canonical": Layout("canonical", {key: (key,) for key in KEYS}),
}
FORMAT_ALIASES = {
    "generic": "canonical",
    "csv": "canonical",
    "taguette-csv": "taguette",
    "maxqda-xls": "maxqda",
}


def known_formats() -> list[str]:
    """The ``format:`` values understood for coded-segment spreadsheets."""
    return sorted(LAYOUTS)


def _find(header: list[str], candidates: tuple[str, ...]) -> str | None:
    folded = {h.strip().casefold(): h for h in header}
    for name in candidates:
        if name.casefold() in folded:
            return folded[name.casefold()]
    return None


def _detect(header: list[str]) -> Layout | None:
    for layout in LAYOUTS.values():
        if all(_find(header, layout.columns[key]) for key in REQUIRED_KEYS):
            # Taguette and canonical both fit a file with 'document'... only if all their names are there.
            return layout
    return None


def resolve_columns(
    header: list[str],
    *,
    file: str,
    fmt: str | None,
    columns: Mapping[str, str] | None,
) -> tuple[Layout | None, dict[str, str]]:
    """Canonical key -> column of the file, from the layout and the explicit ``columns``.

    Raises:
        InputError: an unknown format or mapping key, a named column the file lacks, or no way
            to find the participant and code columns (the message lists the columns found).
    """
    data_columns = [h for h in header if h != ROW]
    found = ", ".join(f"'{h}'" for h in data_columns) or "none"
    layout: Layout | None = None
    if fmt is not None:
        key = FORMAT_ALIASES.get(fmt.strip().lower(), fmt.strip().lower())
        if key not in LAYOUTS:
            raise InputError(
                Problem(
                    "study.yml",
                    f"inputs.format '{fmt}' is not a known coded-segment layout; use one of "
                    f"{', '.join(known_formats())}, or name the columns under inputs.columns",
                )
            )
        layout = LAYOUTS[key]
    elif not columns:
        layout = _detect(data_columns)
    mapping: dict[str, str] = {}
    if layout is not None:
        for key, candidates in layout.columns.items():
            column = _find(data_columns, candidates)
            if column is not None:
                mapping[key] = column
    problems = []
    for key, column in (columns or {}).items():
        if key not in KEYS:
            problems.append(
                Problem(
                    "study.yml",
                    f"inputs.columns has the unknown key '{key}'; keys are {', '.join(KEYS)}",
                )
            )
        elif column not in data_columns:
            problems.append(
                Problem(
                    file,
                    f"inputs.columns.{key} names the column '{column}', which is not in the file; columns found: {found}",
                )
            )
        else:
            mapping[key] = column
    if problems:
        raise InputError(problems)
    lacking = [key for key in REQUIRED_KEYS if key not in mapping]
    if lacking:
        what = f"the '{layout.name}' layout" if layout is not None else "a known program's export"
        raise InputError(
            Problem(
                file,
                f"cannot read coded segments: the columns do not match {what}. Columns found: {found}. "
                f"Set 'format:' under inputs in study.yml ({', '.join(known_formats())}), or name the "
                f"columns under inputs.columns: {', '.join(lacking)} (required), and optionally "
                "quote, source, start, end, coder",
            )
        )
    return layout, mapping


def _clean(expr: pl.Expr) -> pl.Expr:
    text = expr.cast(pl.String).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def codings_from_frame(frame: pl.DataFrame, mapping: Mapping[str, str]) -> pl.DataFrame:
    """The canonical codings frame (plus ``_row``) from a mapped spreadsheet frame."""
    exprs = []
    for key, dtype in CODINGS_SCHEMA.items():
        column = mapping.get(key)
        if column is None:
            exprs.append(pl.lit(None, dtype).alias(key))
        elif key in ("start", "end"):
            # Non-numbers stay visible to validation, which names the line; here keep integers.
            exprs.append(
                _clean(pl.col(column))
                .cast(pl.Float64, strict=False)
                .cast(pl.Int64, strict=False)
                .alias(key)
            )
        elif key == "quote":
            exprs.append(pl.col(column).cast(pl.String).alias(key))
        else:
            exprs.append(_clean(pl.col(column)).alias(key))
    if ROW in frame.columns:
        exprs.append(pl.col(ROW))
    return frame.select(exprs)


def _check_offsets(frame: pl.DataFrame, mapping: Mapping[str, str], file: str) -> None:
    problems = []
    for key in ("start", "end"):
        column = mapping.get(key)
        if column is None:
            continue
        rows = frame[ROW] if ROW in frame.columns else pl.int_range(2, frame.height + 2, eager=True)
        values = frame.select(_clean(pl.col(column)).alias("v"))["v"]
        bad = pl.DataFrame({ROW: rows, "v": values}).filter(
            pl.col("v").is_not_null() & pl.col("v").cast(pl.Int64, strict=False).is_null()
        )
        for row, value in bad.head(10).iter_rows():
            problems.append(
                Problem(
                    file,
                    f"'{value}' is not a whole number (a character offset)",
                    line=row,
                    column=column,
                )
            )
    if problems:
        raise InputError(problems)


def codebook_from_codes(
    codes: list[str],
    *,
    separator: str | None = None,
    parents: Mapping[str, str | None] | None = None,
) -> pl.DataFrame:
    """A codebook from the codes used, in order of first use.

    Args:
        codes: code ids as the export writes them.
        separator: codes are paths joined with it; every prefix becomes a node.
        parents: code -> the category it sits in (a node ``cat:<name>`` is made).
    """
    rows: dict[str, tuple[str, str | None]] = {}
    for code in codes:
        if separator and separator in code:
            parts = [p.strip() for p in code.split(separator)]
            for depth in range(1, len(parts) + 1):
                node = separator.join(parts[:depth])
                parent = separator.join(parts[: depth - 1]) if depth > 1 else None
                rows.setdefault(node, (parts[depth - 1], parent))
            continue
        category = (parents or {}).get(code)
        if category:
            rows.setdefault(f"cat:{category}", (category, None))
        rows.setdefault(code, (code, f"cat:{category}" if category else None))
    return pl.DataFrame(
        {
            "code_id": list(rows),
            "label": [label for label, _ in rows.values()],
            "parent_id": [parent for _, parent in rows.values()],
            "description": [None] * len(rows),
        },
        schema=CODEBOOK_SCHEMA,
    )


def read_export(
    path: Path,
    *,
    fmt: str | None = None,
    columns: Mapping[str, str] | None = None,
    file: str | None = None,
) -> Tables:
    """Read a coded-segment spreadsheet (CSV, TSV, XLSX, XLS) into canonical tables.

    Participants are the documents named in the participant column (attributes come from a
    separate participants file); the codebook is made from the codes used.
    """
    name = file or path.name
    frame = read_table(path, display=name)
    layout, mapping = resolve_columns(frame.columns, file=name, fmt=fmt, columns=columns)
    _check_offsets(frame, mapping, name)
    if layout is not None and layout.path_separator:
        # MAXQDA writes a path; keep each part trimmed so 'A \ B' and 'A\B' are one code.
        sep = layout.path_separator
        frame = frame.with_columns(
            pl.col(mapping["code_id"])
            .cast(pl.String)
            .str.split(sep)
            .list.eval(pl.element().str.strip_chars())
            .list.join(sep)
        )
    codings = codings_from_frame(frame, mapping)
    warnings = []
    codes = codings["code_id"].drop_nulls().unique(maintain_order=True).to_list()
    parents: dict[str, str | None] = {}
    if layout is not None and layout.category:
        category = _find([c for c in frame.columns if c != ROW], layout.category)
        if category is not None:
            pairs = frame.select(
                _clean(pl.col(mapping["code_id"])).alias("c"), _clean(pl.col(category)).alias("p")
            ).unique(maintain_order=True)
            for code, parent in pairs.iter_rows():
                if code is not None and parent is not None:
                    parents.setdefault(code, parent)
    codebook = codebook_from_codes(
        codes, separator=layout.path_separator if layout else None, parents=parents
    )
    people = codings["participant_id"].drop_nulls().unique(maintain_order=True).to_list()
    participants = pl.DataFrame({"participant_id": people}, schema={"participant_id": pl.String})
    warnings.append(
        f"{name}: participants are the {len(people)} value(s) of column '{mapping['participant_id']}'"
        " (one document = one participant); attributes come from a participants file"
    )
    return Tables(
        participants=participants,
        codebook=codebook,
        codings=codings,
        files={"participants": name, "codebook": name, "codings": name},
        warnings=tuple(warnings),
        unit="source",
    )


# --- Taguette's project database -------------------------------------------------------------

_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|h[1-6]|li|div)>", re.IGNORECASE)


def html_to_text(fragment: str) -> str:
    """Taguette stores documents and snippets as HTML; keep the words and line breaks."""
    text = _BLOCK_END.sub("\n", fragment)
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.IGNORECASE)
    return html.unescape(_TAG.sub("", text)).strip()


def is_taguette(path: Path) -> bool:
    """True for a Taguette SQLite project (``.sqlite3``, ``.sqlite``, ``.db``)."""
    return path.is_file() and path.suffix.lower() in (".sqlite3", ".sqlite", ".db")


def read_taguette(path: Path, *, file: str | None = None, project: int | None = None) -> Tables:
    """Read a Taguette project database: documents, tags, highlights.

    Each document is one participant (Taguette has no cases); tags are a flat codebook; each
    highlight-tag pair is one coded segment whose quote is the highlight's text.

    Args:
        path: the ``.sqlite3`` file.
        file: the name for messages.
        project: the project id when the database holds several (default: the only one).
    """
    name = file or path.name
    connection = connect_sqlite(path, file=name)
    try:
        tables = sqlite_tables(connection, file=name)
        needed = {"documents", "tags", "highlights", "highlight_tags", "projects"}
        if not needed <= set(tables):
            raise InputError(
                Problem(
                    name,
                    f"not a Taguette database: missing tables {', '.join(sorted(needed - set(tables)))}",
                )
            )
        projects = query(connection, "SELECT id, name FROM projects ORDER BY id", file=name)
        if project is None:
            if len(projects) != 1:
                raise InputError(
                    Problem(
                        name,
                        f"the database holds {len(projects)} projects "
                        f"({', '.join(f'{i}: {n}' for i, n in projects)}); export the one you want as highlights CSV",
                    )
                )
            project = sql_position(projects[0][0], file=name, what="projects: id") or 0
        documents = query(
            connection,
            f"SELECT id, name FROM documents WHERE project_id = {int(project)} ORDER BY id",
            file=name,
        )
        tags = query(
            connection,
            f"SELECT id, path, description FROM tags WHERE project_id = {int(project)} ORDER BY id",
            file=name,
        )
        highlights = query(
            connection,
            "SELECT h.id, h.document_id, h.start_offset, h.end_offset, h.snippet, ht.tag_id "
            "FROM highlights h JOIN highlight_tags ht ON ht.highlight_id = h.id "
            f"JOIN documents d ON d.id = h.document_id WHERE d.project_id = {int(project)} "
            "ORDER BY h.id, ht.tag_id",
            file=name,
        )
    finally:
        connection.close()
    doc_name = {d: sql_text(n) or f"document {d}" for d, n in documents}
    tag_path = {t: sql_text(p) or f"tag {t}" for t, p, _ in tags}
    codebook = pl.DataFrame(
        {
            "code_id": [tag_path[t] for t, _, _ in tags],
            "label": [tag_path[t] for t, _, _ in tags],
            "parent_id": [None] * len(tags),
            "description": [(sql_text(d) or None) for _, _, d in tags],
        },
        schema=CODEBOOK_SCHEMA,
    )
    rows = [
        (
            doc_name[d],
            tag_path[t],
            html_to_text(sql_text(snippet) or ""),
            doc_name[d],
            sql_position(s, file=name, what=f"highlight {h}: start_offset"),
            sql_position(e, file=name, what=f"highlight {h}: end_offset"),
            None,
        )
        for h, d, s, e, snippet, t in highlights
        if d in doc_name and t in tag_path
    ]
    codings = pl.DataFrame(rows, schema=CODINGS_SCHEMA, orient="row")
    participants = pl.DataFrame(
        {"participant_id": [doc_name[d] for d, _ in documents]},
        schema={"participant_id": pl.String},
    )
    warnings = (
        f"{name}: Taguette has no cases: each of the {len(documents)} document(s) is one participant; "
        "remove documents that are not interviews (an interview guide, say) from participants.csv",
    )
    return Tables(
        participants=participants,
        codebook=codebook,
        codings=codings,
        files={"participants": name, "codebook": name, "codings": name},
        warnings=warnings,
        unit="source",
    )


def taguette_project_name(path: Path) -> str | None:
    """The project's name in a Taguette database with one project."""
    connection = connect_sqlite(path)
    try:
        rows = query(connection, "SELECT name FROM projects", file=path.name)
    finally:
        connection.close()
    return str(rows[0][0]) if len(rows) == 1 else None
