"""Validation of the three raw tables: participants, codebook (with its cycles) and codings.

Each check adds its problems to a :class:`~toolkit.model.problems.Collector`, so the user
sees all of them at once; :func:`toolkit.model.build.build_study` raises them together.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from toolkit.errors import Problem
from toolkit.model.problems import Collector
from toolkit.model.schemas import (
    CODE_ID,
    CODEBOOK_REQUIRED,
    CODINGS_REQUIRED,
    CODINGS_SCHEMA,
    PARTICIPANT_ID,
    ROW,
)

MAX_ID_LENGTH = 256  # participant ids are short labels; a longer one is a misplaced column


def _with_rows(frame: pl.DataFrame) -> pl.DataFrame:
    if ROW in frame.columns:
        return frame
    return frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))


def _require_columns(
    frame: pl.DataFrame, required: tuple[str, ...], file: str, out: Collector, what: str
) -> bool:
    present = [c for c in frame.columns if c != ROW]
    missing = [c for c in required if c not in present]
    if missing:
        out.add(
            Problem(
                file,
                f"missing required column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(repr(c) for c in missing)} for the {what} table; "
                f"found: {', '.join(repr(c) for c in present) or 'no columns'}; expected at least: "
                f"{', '.join(repr(c) for c in required)} (or map your column names with inputs.columns in study.yml)",
                line=1,
            )
        )
        return False
    return True


def _clean_id(column: str) -> pl.Expr:
    """Ids as trimmed strings; blank becomes null."""
    # replace() is one pass; when/then/otherwise evaluated the strip twice (0.18 s against
    # 0.09 s for two id columns of 5e6 codings)
    return pl.col(column).cast(pl.String).str.strip_chars().replace("", None).alias(column)


def _distinct_values(frame: pl.DataFrame, columns: list[str]) -> dict[str, pl.Series]:
    """The distinct values of each of ``columns``, computed together (in parallel)."""
    if not columns:
        return {}
    found = pl.collect_all([frame.lazy().select(pl.col(c).unique()) for c in columns])
    return {c: part[c] for c, part in zip(columns, found, strict=True)}


def _reference_positions(
    frame: pl.DataFrame, references: Mapping[str, pl.Series]
) -> dict[str, pl.Series]:
    """Position of each value in its reference ids, for the columns whose values all are one.

    ``references`` maps a String column of ``frame`` to unique, non-null, clean ids (the
    validated participant or code ids). A column is returned only when every non-null value
    is exactly one of them, which also means it is already clean (trimmed, not blank).
    """
    if not references:
        return {}
    found = pl.collect_all(
        [
            frame.lazy().select(pl.col(c).cast(pl.Enum(ids), strict=False).to_physical())
            for c, ids in references.items()
        ]
    )
    return {
        c: part[c]
        for c, part in zip(references, found, strict=True)
        if part[c].null_count() == frame[c].null_count()
    }


def _usable_reference(reference: pl.DataFrame | None, column: str) -> pl.Series | None:
    """The ids of a validated table when they can name positions (unique, none missing)."""
    if reference is None or reference.schema.get(column) != pl.String:
        return None
    ids = reference[column]
    return ids if ids.null_count() == 0 and ids.n_unique() == ids.len() else None


def _already_clean(distinct: pl.Series) -> bool:
    """Whether :func:`_clean_id` would leave a String column with these values unchanged."""
    return (
        distinct.dtype == pl.String
        and not (distinct.str.strip_chars() != distinct).any()
        and not (distinct == "").any()
    )


def _all_known(distinct: pl.Series, known: pl.DataFrame, column: str) -> bool:
    """Whether every non-null value of ``distinct`` is in ``known[column]``."""
    values = distinct.drop_nulls().to_frame(column)
    return values.join(known.select(column).drop_nulls(), on=column, how="anti").height == 0


def validate_participants(raw: pl.DataFrame, file: str, out: Collector) -> pl.DataFrame | None:
    """The participants with clean ids, checked for empty, over-long and repeated ids.

    Args:
        raw: the participants as read.
        file: the file that problems point at.
        out: collects the problems.

    Returns:
        The participants (attributes not yet typed), or None when the table is unusable.
    """
    raw = _with_rows(raw)
    if not _require_columns(raw, (PARTICIPANT_ID,), file, out, "participants"):
        return None
    if raw.height == 0:
        out.add(
            Problem(
                file,
                "there are no participants (the table has a header but no rows); add one row per participant",
            )
        )
        return None
    frame = raw.with_columns(_clean_id(PARTICIPANT_ID))
    out.rows(
        frame.filter(pl.col(PARTICIPANT_ID).is_null()),
        file=file,
        column=PARTICIPANT_ID,
        message=lambda r: "empty participant id; every participant needs a unique id",
        kind="an empty participant id",
    )
    out.rows(
        frame.filter(pl.col(PARTICIPANT_ID).str.len_chars() > MAX_ID_LENGTH).with_columns(
            pl.col(PARTICIPANT_ID).str.len_chars().alias("length")
        ),
        file=file,
        column=PARTICIPANT_ID,
        message=f"this participant id is {{length}} characters long; ids are short labels "
        f"(at most {MAX_ID_LENGTH} characters): is the column holding something else?",
        kind="an over-long participant id",
    )
    dupes = frame.filter(
        pl.col(PARTICIPANT_ID).is_not_null() & pl.col(PARTICIPANT_ID).is_duplicated()
    )
    if dupes.height:
        first = dupes.group_by(PARTICIPANT_ID).agg(pl.col(ROW).min().alias("first"))
        dupes = (
            dupes.join(first, on=PARTICIPANT_ID).filter(pl.col(ROW) != pl.col("first")).sort(ROW)
        )
        out.rows(
            dupes,
            file=file,
            column=PARTICIPANT_ID,
            message=lambda r: (
                f"participant '{r[PARTICIPANT_ID]}' appears again (first on line {r['first']}); ids must be unique"
            ),
            kind="a repeated participant id",
        )
    return frame


def validate_codebook(raw: pl.DataFrame, file: str, out: Collector) -> pl.DataFrame | None:
    """The codebook with clean ids and labels, checked for repeated ids, parents and cycles.

    Args:
        raw: the codebook as read.
        file: the file that problems point at.
        out: collects the problems.

    Returns:
        The codebook, or None when the table is unusable.
    """
    raw = _with_rows(raw)
    if not _require_columns(raw, CODEBOOK_REQUIRED, file, out, "codebook"):
        return None
    if raw.height == 0:
        out.add(
            Problem(file, "the codebook has no codes (a header but no rows); add one row per code")
        )
        return None
    frame = raw.with_columns(
        _clean_id(CODE_ID),
        (
            _clean_id("parent_id")
            if "parent_id" in raw.columns
            else pl.lit(None, pl.String).alias("parent_id")
        ),
        (
            pl.col("label").cast(pl.String)
            if "label" in raw.columns
            else pl.lit(None, pl.String).alias("label")
        ),
        (
            pl.col("description").cast(pl.String)
            if "description" in raw.columns
            else pl.lit(None, pl.String).alias("description")
        ),
    ).with_columns(
        pl.coalesce(pl.col("label").str.strip_chars().replace("", None), pl.col(CODE_ID)).alias(
            "label"
        )
    )
    out.rows(
        frame.filter(pl.col(CODE_ID).is_null()),
        file=file,
        column=CODE_ID,
        message=lambda r: "empty code id; every code needs a unique id",
        kind="an empty code id",
    )
    dupes = frame.filter(pl.col(CODE_ID).is_not_null() & pl.col(CODE_ID).is_duplicated())
    if dupes.height:
        first = dupes.group_by(CODE_ID).agg(pl.col(ROW).min().alias("first"))
        out.rows(
            dupes.join(first, on=CODE_ID).filter(pl.col(ROW) != pl.col("first")).sort(ROW),
            file=file,
            column=CODE_ID,
            message=lambda r: (
                f"code '{r[CODE_ID]}' appears again (first on line {r['first']}); code ids must be unique"
            ),
            kind="a repeated code id",
        )
    known = frame.select(CODE_ID).drop_nulls()
    orphans = frame.filter(pl.col("parent_id").is_not_null()).join(
        known, left_on="parent_id", right_on=CODE_ID, how="anti"
    )
    out.rows(
        orphans,
        file=file,
        column="parent_id",
        message=lambda r: (
            f"parent '{r['parent_id']}' of code '{r[CODE_ID]}' is not a code in the codebook; "
            "add it or leave parent_id empty for a top-level code"
        ),
        kind="an unknown parent",
    )
    _check_cycles(frame, file, out)
    return frame


def _check_cycles(frame: pl.DataFrame, file: str, out: Collector) -> None:
    parent = dict(frame.select(CODE_ID, "parent_id").drop_nulls(CODE_ID).iter_rows())
    rows = dict(frame.select(CODE_ID, ROW).drop_nulls(CODE_ID).iter_rows())
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    reported: set[frozenset[str]] = set()
    for start in parent:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in parent and state.get(node) != 2:
            if state.get(node) == 1:
                cycle = path[path.index(node) :]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    chain = " → ".join([*cycle, node])
                    out.add(
                        Problem(
                            file,
                            f"the codebook has a cycle: {chain}; a code cannot be its own ancestor — "
                            "fix one of these parent_id values",
                            line=rows.get(node),
                            column="parent_id",
                        )
                    )
                break
            state[node] = 1
            path.append(node)
            node = parent[node]
        for visited in path:
            state[visited] = 2


def validate_codings(
    raw: pl.DataFrame,
    file: str,
    participants: pl.DataFrame | None,
    codebook: pl.DataFrame | None,
    participants_file: str,
    codebook_file: str,
    out: Collector,
) -> tuple[pl.DataFrame | None, dict[str, pl.Series]]:
    """The codings, cleaned and checked against the participants and the codebook.

    Args:
        raw: the codings as read.
        file: the file that problems point at.
        participants: the validated participants, or None when they are unusable.
        codebook: the validated codebook, or None when there is none (yet).
        participants_file: the participants' file, named in messages.
        codebook_file: the codebook's file, named in messages.
        out: collects the problems.

    Returns:
        The codings (or None when the table is unusable) and the positions found on the way
        (see :func:`_reference_positions`).
    """
    raw = _with_rows(raw)
    if not _require_columns(raw, CODINGS_REQUIRED, file, out, "codings"):
        return None, {}
    extra: list[pl.Expr] = []
    for column, dtype in CODINGS_SCHEMA.items():
        if column in CODINGS_REQUIRED:
            continue
        if column not in raw.columns:
            extra.append(pl.lit(None, dtype).alias(column))
    # Ids are cleaned (trimmed, blank to null) and checked against the participants and the
    # codebook. Millions of codings hold a few thousand distinct ids, so those are looked at
    # first: when they are already clean and all known, the columns are kept as they are and
    # no row-by-row pass is needed (the row-by-row checks below then find nothing). Ids that
    # all name a participant (a code) are known and clean at once, and their positions are
    # kept for counting.
    ids = [c for c in (PARTICIPANT_ID, CODE_ID, "coder") if c in raw.columns]
    strings = [c for c in ids if raw[c].dtype == pl.String]
    references = {
        c: ref
        for c, ref in (
            (PARTICIPANT_ID, _usable_reference(participants, PARTICIPANT_ID)),
            (CODE_ID, _usable_reference(codebook, CODE_ID)),
        )
        if c in strings and ref is not None
    }
    positions = _reference_positions(raw, references)
    distinct = _distinct_values(raw, [c for c in strings if c not in positions])
    clean = {*positions, *(c for c in distinct if _already_clean(distinct[c]))}
    frame = raw.with_columns(*(_clean_id(c) for c in ids if c not in clean), *extra)
    for column in ("quote", "source", "coder"):
        frame = frame.with_columns(pl.col(column).cast(pl.String))
    for column in ("start", "end"):
        if column in raw.columns and not raw[column].dtype.is_integer():
            text = pl.col(column).cast(pl.String).str.strip_chars()
            parsed = frame.select(
                ROW, text.alias("value"), text.cast(pl.Int64, strict=False).alias("number")
            )
            out.rows(
                parsed.filter(
                    pl.col("value").is_not_null()
                    & (pl.col("value") != "")
                    & pl.col("number").is_null()
                ),
                file=file,
                column=column,
                message=(
                    f"'{{value}}' is not a whole number; '{column}' is a character offset "
                    "(leave it empty when unknown)"
                ),
                kind="a non-integer offset",
            )
            frame = frame.with_columns(parsed["number"].alias(column))
        else:
            frame = frame.with_columns(pl.col(column).cast(pl.Int64))
    out.rows(
        frame.filter(pl.col("start") < 0),
        file=file,
        column="start",
        message=lambda r: f"negative offset {r['start']}; offsets count characters from 0",
        kind="a negative offset",
    )
    out.rows(
        frame.filter(
            pl.col("start").is_not_null()
            & pl.col("end").is_not_null()
            & (pl.col("end") < pl.col("start"))
        ),
        file=file,
        column="end",
        message=lambda r: f"end {r['end']} is before start {r['start']}",
        kind="an end before its start",
    )
    out.rows(
        frame.filter(pl.col(PARTICIPANT_ID).is_null()),
        file=file,
        column=PARTICIPANT_ID,
        message=lambda r: "empty participant id; every coding must name a participant",
        kind="an empty participant id",
    )
    out.rows(
        frame.filter(pl.col(CODE_ID).is_null()),
        file=file,
        column=CODE_ID,
        message=lambda r: "empty code id; every coding must name a code",
        kind="an empty code id",
    )
    checks = (
        (
            PARTICIPANT_ID,
            participants,
            participants_file,
            "participant",
            "add a row for them there",
        ),
        (CODE_ID, codebook, codebook_file, "code", "add it to the codebook"),
    )
    for column, reference, reference_file, noun, remedy in checks:
        if reference is None or column in positions:
            continue
        if column in clean and _all_known(distinct[column], reference, column):
            continue
        # Only the id and line: filtering the whole frame would copy every column (quotes
        # included) of millions of codings just to find none missing.
        unknown = (
            frame.select(ROW, column)
            .filter(pl.col(column).is_not_null())
            .join(reference.select(column).drop_nulls(), on=column, how="anti")
        )
        out.rows(
            unknown,
            file=file,
            column=column,
            message=f"{noun} '{{{column}}}' is not in {reference_file}; {remedy} or correct the id",
            kind=f"an unknown {noun}",
        )
    if "exemplar" in frame.columns:
        frame = _exemplar_column(frame, file, out)
    return frame, positions


#: Values of the optional ``exemplar`` column (case-insensitive; empty: no choice).
EXEMPLAR_VALUES = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _exemplar_column(frame: pl.DataFrame, file: str, out: Collector) -> pl.DataFrame:
    """Parse ``exemplar`` (true/false, yes/no, 1/0; empty is no choice) into a Boolean."""
    if frame["exemplar"].dtype == pl.Boolean:
        return frame
    text = pl.col("exemplar").cast(pl.String).str.strip_chars().str.to_lowercase()
    parsed = frame.select(
        ROW,
        pl.col("exemplar").cast(pl.String).alias("value"),
        text.replace_strict(EXEMPLAR_VALUES, default=None, return_dtype=pl.Boolean).alias("flag"),
        text.alias("key"),
    )
    out.rows(
        parsed.filter(
            pl.col("key").is_not_null() & (pl.col("key") != "") & pl.col("flag").is_null()
        ),
        file=file,
        column="exemplar",
        message=(
            "'{value}' is not true or false; 'exemplar' marks the researcher's exemplar "
            "quotations (true, false, or empty for no choice)"
        ),
        kind="an exemplar value that is not true or false",
    )
    return frame.with_columns(parsed["flag"].alias("exemplar"))
