"""Readers for cohort comparison: a crosswalk (study codes → shared themes) and a themes table.

Crosswalk (CSV, TSV, XLSX or Parquet), one row per mapping::

    study_id,code_id,theme_id
    calciphylaxis-synthetic,severe_pain,pain
    calciphylaxis-synthetic,wound_care,symptom_burden
    calciphylaxis-synthetic,wound_care,treatment_burden   # one code, two themes: allowed

Themes table: ``theme_id, label, parent_id, definition`` (``parent_id`` and ``definition``
optional). The default is raremix's own framework, ``templates/frameworks/rare-experience-v1``.

These readers check the files' own shape (columns, empty cells, duplicates, the theme tree).
Whether the study ids, codes and themes a crosswalk names exist is checked by
:func:`toolkit.compare.compare`, which knows the studies.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit.errors import InputError, Problem, raise_if
from toolkit.io.tables import ROW, read_table

DEFAULT_FRAMEWORK = "rare-experience-v1"
CROSSWALK_COLUMNS = ("study_id", "code_id", "theme_id")
THEMES_COLUMNS = ("theme_id", "label", "parent_id", "definition")


def default_themes_path() -> Path:
    """The themes table of raremix's bundled framework (rare-experience-v1)."""
    from toolkit.resources import templates_dir

    return templates_dir() / "frameworks" / DEFAULT_FRAMEWORK / "themes.csv"


def _strip(frame: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    present = [c for c in columns if c in frame.columns]
    return frame.with_columns(
        [pl.col(c).cast(pl.String).str.strip_chars().replace("", None) for c in present]
    )


def _require(frame: pl.DataFrame, required: tuple[str, ...], display: str, what: str) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        found = ", ".join(c for c in frame.columns if c != ROW) or "none"
        raise InputError(
            Problem(
                display,
                f"missing column{'s' if len(missing) > 1 else ''} {', '.join(repr(m) for m in missing)}; "
                f"a {what} needs the columns {', '.join(required)} (found: {found})",
                line=1,
            )
        )


def _empty_cells(frame: pl.DataFrame, columns: tuple[str, ...], display: str) -> list[Problem]:
    problems = []
    for column in columns:
        for (row,) in frame.filter(pl.col(column).is_null()).select(ROW).iter_rows():
            problems.append(
                Problem(
                    display, "empty value; fill it in or delete the row", line=row, column=column
                )
            )
    return problems


def parse_crosswalk(frame: pl.DataFrame, *, display: str = "crosswalk.csv") -> pl.DataFrame:
    """Validate a crosswalk already read into a frame (all String columns, optional ``_row``).

    Returns:
        ``study_id``, ``code_id``, ``theme_id`` (String, blanks stripped) and ``_row``.

    Raises:
        InputError: missing columns, empty cells or repeated rows, all at once, each with its line.
    """
    if ROW not in frame.columns:
        frame = frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
    _require(frame, CROSSWALK_COLUMNS, display, "crosswalk")
    frame = _strip(frame.select(*CROSSWALK_COLUMNS, ROW), CROSSWALK_COLUMNS)
    problems = _empty_cells(frame, CROSSWALK_COLUMNS, display)
    first: dict[tuple[str, str, str], int] = {}
    for study_id, code_id, theme_id, row in frame.drop_nulls(list(CROSSWALK_COLUMNS)).iter_rows():
        key = (study_id, code_id, theme_id)
        if key in first:
            problems.append(
                Problem(
                    display,
                    f"repeats line {first[key]} ({study_id}, {code_id} → {theme_id}); delete one of them",
                    line=row,
                )
            )
        else:
            first[key] = row
    raise_if(problems)
    return frame


def read_crosswalk(path: Path) -> pl.DataFrame:
    """Read and check a crosswalk file (``study_id, code_id, theme_id``).

    Args:
        path: a .csv, .tsv, .xlsx or .parquet file.

    Returns:
        The mappings: ``study_id``, ``code_id``, ``theme_id`` and ``_row`` (spreadsheet line).

    Raises:
        InputError: unreadable file, missing columns, empty cells, repeated rows.
    """
    display = Path(path).name
    return parse_crosswalk(read_table(Path(path), display=display), display=display)


def parse_themes(frame: pl.DataFrame, *, display: str = "themes.csv") -> pl.DataFrame:
    """Validate a themes table already read into a frame.

    Returns:
        ``theme_id``, ``label``, ``parent_id`` (null at a domain), ``definition`` (nullable),
        ``_row``; rows in file order.

    Raises:
        InputError: missing columns, empty ids or labels, repeated ids, unknown parents,
            cycles; all at once, each with its line.
    """
    if ROW not in frame.columns:
        frame = frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
    _require(frame, ("theme_id", "label"), display, "themes table")
    for optional in ("parent_id", "definition"):
        if optional not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(optional))
    frame = _strip(frame.select(*THEMES_COLUMNS, ROW), THEMES_COLUMNS)
    problems = _empty_cells(frame, ("theme_id", "label"), display)
    rows: dict[str, int] = {}
    for theme_id, row in frame.drop_nulls("theme_id").select("theme_id", ROW).iter_rows():
        if theme_id in rows:
            problems.append(
                Problem(
                    display,
                    f"theme '{theme_id}' is already defined on line {rows[theme_id]}; theme ids must be unique",
                    line=row,
                    column="theme_id",
                )
            )
        else:
            rows[theme_id] = row
    parent = dict(frame.drop_nulls("theme_id").select("theme_id", "parent_id").iter_rows())
    for theme_id, parent_id, row in frame.select("theme_id", "parent_id", ROW).iter_rows():
        if parent_id is not None and parent_id not in rows:
            problems.append(
                Problem(
                    display,
                    f"parent '{parent_id}' of theme '{theme_id}' is not a theme_id in this table; "
                    "add it or leave parent_id empty for a domain",
                    line=row,
                    column="parent_id",
                )
            )
    reported: set[frozenset[str]] = set()
    for start in parent:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in parent and node not in path:
            path.append(node)
            node = parent[node]
        if node is not None and node in path:
            cycle = path[path.index(node) :]
            if frozenset(cycle) not in reported:
                reported.add(frozenset(cycle))
                problems.append(
                    Problem(
                        display,
                        f"the themes form a cycle: {' → '.join([*cycle, node])}; fix one of these parent_id values",
                        line=rows.get(node),
                        column="parent_id",
                    )
                )
    raise_if(problems)
    return frame


def read_themes(path: Path | None = None) -> pl.DataFrame:
    """Read and check a themes table; default: the bundled rare-experience-v1 framework.

    Raises:
        InputError: see :func:`parse_themes`.
    """
    path = default_themes_path() if path is None else Path(path)
    display = (
        path.name if path.parent.name != DEFAULT_FRAMEWORK else f"{DEFAULT_FRAMEWORK}/{path.name}"
    )
    return parse_themes(read_table(path, display=display), display=display)
