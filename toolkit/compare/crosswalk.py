"""Which code of which study counts for which shared theme: the crosswalk, checked.

A crosswalk (``study_id, code_id, theme_id``; :mod:`toolkit.io.crosswalk`) maps each study's
codes to the themes of a themes table. Without one, codes with identical ``code_id`` are
matched and each code id is its own theme (:func:`themes_from_codebooks`). Codes that reach
no theme are listed by :func:`not_compared`, never dropped.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from toolkit.errors import Problem, raise_if
from toolkit.model import CODE_ID, Study
from toolkit.stats.hierarchy import closure, tree_order

NOT_COMPARED_COLUMNS = (
    "study_id",
    "code_id",
    "label",
    "participants",
    "denominator",
    "segments",
    "reason",
)
MAPPING_COLUMNS = ("study_id", "code_id", "code_label", "theme_id", "theme_label")


@dataclass(frozen=True)
class Matching:
    """How codes reach themes: the effective mapping and the themes it maps to.

    Attributes:
        kind: "crosswalk" or "code_id" (identical code ids matched).
        mapping: ``study_id, code_id, theme_id``, one row per distinct mapping.
        themes: the themes table (``theme_id, label, parent_id, definition``).
        theme_closure: ``(theme_id, theme)`` pairs: a coding mapped to ``theme_id`` counts
            for ``theme`` (itself and every theme above it, with a crosswalk).
    """

    kind: str
    mapping: pl.DataFrame
    themes: pl.DataFrame
    theme_closure: pl.DataFrame


def _suggest(value: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _row_problems(
    record: dict[str, Any], codes: dict[str, set[str]], theme_ids: list[str], file: str
) -> list[Problem]:
    line = record.get("_row")
    study_id, code_id, theme_id = (str(record[c]) for c in ("study_id", "code_id", "theme_id"))
    problems: list[Problem] = []
    if study_id not in codes:
        problems.append(
            Problem(
                file,
                f"study '{study_id}' is not one of the compared studies "
                f"({', '.join(codes)}){_suggest(study_id, list(codes))}; "
                "fix the id (it is study.id in study.yml) or remove the row",
                line=line,
                column="study_id",
            )
        )
    elif code_id not in codes[study_id]:
        problems.append(
            Problem(
                file,
                f"code '{code_id}' is not in the codebook of '{study_id}'"
                f"{_suggest(code_id, sorted(codes[study_id]))}; fix the code id or remove the row",
                line=line,
                column="code_id",
            )
        )
    if theme_id not in set(theme_ids):
        problems.append(
            Problem(
                file,
                f"theme '{theme_id}' is not in the themes table{_suggest(theme_id, theme_ids)}; "
                "use a theme_id of the framework or give your own with --themes",
                line=line,
                column="theme_id",
            )
        )
    return problems


def validate_crosswalk(
    crosswalk: pl.DataFrame, studies: Sequence[Study], themes: pl.DataFrame, file: str
) -> list[Problem]:
    """Every unknown study, code or theme in ``crosswalk``, and every study without a row.

    Args:
        crosswalk: ``study_id, code_id, theme_id`` (and ``_row``, the line, when read from a
            file).
        studies: the compared studies.
        themes: the themes table the crosswalk maps to.
        file: the crosswalk's file name, for the messages.

    Returns:
        The problems, in crosswalk row order, then the studies without a row.
    """
    codes = {s.id: set(s.codebook[CODE_ID].to_list()) for s in studies}
    theme_ids = themes["theme_id"].to_list()
    problems: list[Problem] = []
    for record in crosswalk.iter_rows(named=True):
        problems += _row_problems(record, codes, theme_ids, file)
    mapped_studies = set(crosswalk["study_id"].to_list())
    for study in studies:
        if study.id not in mapped_studies:
            problems.append(
                Problem(
                    file,
                    f"no rows for study '{study.id}': map its codes to themes "
                    "(study_id, code_id, theme_id) or leave the study out of the comparison",
                )
            )
    return problems


def _theme_closure(themes: pl.DataFrame) -> pl.DataFrame:
    """(theme_id, ancestor theme) pairs, self included."""
    frame = themes.select(pl.col("theme_id").alias(CODE_ID), "parent_id")
    return closure(frame).select(
        pl.col(CODE_ID).alias("theme_id"), pl.col("ancestor_id").alias("theme")
    )


def themes_from_codebooks(studies: Sequence[Study]) -> pl.DataFrame:
    """Without a crosswalk: every code id is a theme; label, parent and order from the first
    study that has it (first study's preorder, then new ids of the next study, …)."""
    seen: dict[str, tuple[str | None, str | None]] = {}
    order: list[str] = []
    for study in studies:
        tree = tree_order(study.codebook)
        for code_id, label, parent_id in tree.select(CODE_ID, "label", "parent_id").iter_rows():
            if code_id not in seen:
                seen[code_id] = (label, parent_id)
                order.append(code_id)
    return pl.DataFrame(
        {
            "theme_id": order,
            "label": [seen[c][0] or c for c in order],
            "parent_id": [seen[c][1] for c in order],
            "definition": [None] * len(order),
        },
        schema=dict.fromkeys(("theme_id", "label", "parent_id", "definition"), pl.String),
    )


def match(
    studies: Sequence[Study],
    crosswalk: pl.DataFrame | None,
    themes: pl.DataFrame | None,
    *,
    crosswalk_file: str,
) -> Matching:
    """The effective mapping: the checked crosswalk, or identical code ids.

    Args:
        studies: the compared studies.
        crosswalk: ``study_id, code_id, theme_id``; None to match identical code ids.
        themes: the themes table; None with a crosswalk: the bundled framework.
        crosswalk_file: the crosswalk's file name, for error messages.

    Raises:
        InputError: the crosswalk names unknown studies, codes or themes, or has no row for
            a compared study (every problem, with its line).
    """
    if crosswalk is None:
        by_code = themes_from_codebooks(studies)
        mapping = pl.concat(
            [
                s.codebook.select(
                    pl.lit(s.id).alias("study_id"), CODE_ID, pl.col(CODE_ID).alias("theme_id")
                )
                for s in studies
            ]
        )
        closure_frame = by_code.select("theme_id", pl.col("theme_id").alias("theme"))
        return Matching("code_id", mapping, by_code, closure_frame)
    if themes is None:
        from toolkit.io.crosswalk import read_themes

        themes = read_themes()
    crosswalk = crosswalk.with_columns(
        [pl.col(c).cast(pl.String).str.strip_chars() for c in ("study_id", "code_id", "theme_id")]
    )
    raise_if(validate_crosswalk(crosswalk, studies, themes, crosswalk_file))
    mapping = crosswalk.select("study_id", CODE_ID, "theme_id").unique(maintain_order=True)
    return Matching("crosswalk", mapping, themes, _theme_closure(themes))


def double_mappings(mapping: pl.DataFrame) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(study_id, code_id, theme ids) of each code mapped to more than one theme."""
    doubles = (
        mapping.group_by("study_id", CODE_ID, maintain_order=True)
        .agg(pl.col("theme_id"))
        .filter(pl.col("theme_id").list.len() > 1)
    )
    return tuple((s, c, tuple(t)) for s, c, t in doubles.iter_rows())


def mapping_table(matching: Matching, studies: Sequence[Study]) -> pl.DataFrame:
    """The effective mapping with code and theme labels (:data:`MAPPING_COLUMNS`)."""
    labels = pl.concat(
        [
            s.codebook.select(
                pl.lit(s.id).alias("study_id"), CODE_ID, pl.col("label").alias("code_label")
            )
            for s in studies
        ]
    )
    return (
        matching.mapping.join(labels, on=["study_id", CODE_ID], how="left")
        .join(
            matching.themes.select("theme_id", pl.col("label").alias("theme_label")),
            on="theme_id",
            how="left",
        )
        .select(MAPPING_COLUMNS)
    )


def _reason(code_id: str, mapped_above: set[str], mapped_below: set[str], direct: set[str]) -> str:
    """Why a code is not compared ("" when it is)."""
    if code_id in mapped_above:
        return ""
    if code_id not in mapped_below:
        return "not mapped to any theme"
    if code_id in direct:
        return "segments coded on this code itself are not compared: only its sub-codes are mapped"
    return ""


def not_compared(
    study: Study, mapping: pl.DataFrame, counts: dict[str, tuple[int, int]], coded: set[str]
) -> pl.DataFrame:
    """The study's codes that reach no theme (:data:`NOT_COMPARED_COLUMNS`), in tree order.

    Args:
        study: one compared study.
        mapping: its rows of the effective mapping.
        counts: code id -> (participants, segments), rolled up the study's codebook.
        coded: the code ids with a coding of their own.
    """
    mapped = set(mapping[CODE_ID].to_list())
    pairs = closure(study.codebook).select(CODE_ID, "ancestor_id")
    mapped_above = set(pairs.filter(pl.col("ancestor_id").is_in(list(mapped)))[CODE_ID].to_list())
    mapped_below = set(pairs.filter(pl.col(CODE_ID).is_in(list(mapped)))["ancestor_id"].to_list())
    rows = []
    for code_id, label in tree_order(study.codebook).select(CODE_ID, "label").iter_rows():
        reason = _reason(code_id, mapped_above, mapped_below, coded)
        if reason:
            x, segments = counts.get(code_id, (0, 0))
            rows.append((study.id, code_id, label, x, study.n_participants, segments, reason))
    return pl.DataFrame(rows, schema=not_compared_schema(), orient="row")


def not_compared_schema() -> dict[str, type[pl.DataType]]:
    """Column types of :data:`NOT_COMPARED_COLUMNS` (before suppression adds ``suppressed``)."""
    counts = ("participants", "denominator", "segments")
    return {c: pl.Int64 if c in counts else pl.String for c in NOT_COMPARED_COLUMNS}
