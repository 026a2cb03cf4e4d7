"""Who a participant is: ``participant_unit`` (case, source, speaker, user) applied to tables.

Every reader says which unit its participants are (:attr:`Tables.unit`): the cases of a
project that has them, else its sources (one interview per document). ``participant_unit``
in ``study.yml`` (or ``raremix import --participant-unit``) asks for another:

``source``
    each document is one participant (the participant column becomes the source's name);
``user``
    each coder is one participant (a diary study where every participant codes their own);
``speaker``
    each speaker of a focus group is one participant. A turn starts with a short tag and a
    colon ("P1: …"; ``inputs.speakers.pattern`` sets another). A coded segment counts for
    every speaker whose turn it covers. Where the source text and the segment's position are
    known, the part before the segment's first tag belongs to the turn it starts in (the last
    tag before it); where they are not, that part cannot be attributed and the import says how
    many segments that concerns instead of guessing. Moderators (``inputs.speakers.exclude``)
    are not participants. Speakers are told apart per source ("P1 @ group 6.docx") unless
    ``inputs.speakers.scope`` is ``study`` (the same tag is one person in every source);
``case``
    the project's own cases (REFI-QDA Cases, NVivo cases coded by speaker, QualCoder cases).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import replace

import polars as pl

from toolkit.choices import PARTICIPANT_UNITS
from toolkit.errors import InputError, Problem
from toolkit.manifest import Speakers
from toolkit.model import CODINGS_SCHEMA, ROW, Tables


def _own_notes(tables: Tables) -> tuple[str, ...]:
    """The reader's warnings without its note on who the participants are (superseded)."""
    return tuple(w for w in tables.warnings if "one participant" not in w)


def _participants(ids: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"participant_id": ids}, schema={"participant_id": pl.String})


def _by_column(tables: Tables, column: str, unit: str, file: str) -> Tables:
    codings = tables.codings
    lacking = codings.filter(pl.col(column).is_null())
    if codings.height and lacking.height:
        raise InputError(
            Problem(
                file,
                f"participant_unit '{unit}' needs the {column} of every coding, but "
                f"{lacking.height} of {codings.height} have none; choose another unit",
            )
        )
    codings = codings.with_columns(pl.col(column).alias("participant_id"))
    ids = codings["participant_id"].unique(maintain_order=True).to_list()
    if unit == "source":
        ids = list(dict.fromkeys([*ids, *tables.texts]))
    warnings = [
        *_own_notes(tables),
        f"{file}: participant_unit {unit}: each {column} is one participant "
        f"({len(ids)}); attributes come from a participants file",
    ]
    return replace(
        tables,
        participants=_participants(ids),
        codings=codings,
        warnings=tuple(warnings),
        unit=unit,
    )


def _pattern_words(speakers: Speakers) -> str:
    if speakers.pattern == Speakers().pattern:
        return "the default pattern ('P1: ...' turns, or 'Name  00:09' lines)"
    return f"inputs.speakers.pattern {speakers.pattern!r}"


def _tag(match: re.Match[str]) -> str:
    """The speaker tag of a turn: the first group of the pattern that matched."""
    return next((g for g in match.groups() if g), match.group(0)).strip()


def speakers_of(
    quote: str | None,
    start: int | None,
    end: int | None,
    text: str | None,
    pattern: re.Pattern[str],
) -> tuple[list[str], bool]:
    """The speakers whose turns a segment covers, and whether a leading part is unattributed.

    With the source ``text`` and the positions, the segment's first part belongs to the last
    turn that starts at or before ``start``; without them only the tags inside the quote count.
    """
    if text is not None and start is not None and end is not None:
        turns = [(m.start(), _tag(m)) for m in pattern.finditer(text)]
        starts = [pos for pos, _ in turns]
        before = bisect.bisect_right(starts, start) - 1
        inside = [tag for pos, tag in turns if start < pos < end]
        first = [turns[before][1]] if before >= 0 else []
        first_turn = min((pos for pos, _ in turns if start < pos < end), default=end)
        lead = text[start:first_turn]
        return list(dict.fromkeys([*first, *inside])), not first and bool(lead.strip())
    if not quote:
        return [], False
    found = list(pattern.finditer(quote))
    unattributed = not found or bool(quote[: found[0].start()].strip())
    return list(dict.fromkeys(_tag(m) for m in found)), unattributed


def by_speaker(tables: Tables, speakers: Speakers, file: str) -> Tables:
    """Each speaker is a participant; a segment counts once for each speaker it covers."""
    pattern = re.compile(speakers.pattern, re.MULTILINE)
    excluded = {name.casefold() for name in speakers.exclude}
    per_source = speakers.scope == "source"

    def pid(tag: str, source: str | None) -> str:
        return f"{tag} @ {source}" if per_source and source else tag

    rows: dict[str, list[object]] = {k: [] for k in (*CODINGS_SCHEMA, ROW)}
    unattributed: list[int] = []
    before_first: list[int] = []
    partial = moderator = 0
    codings = tables.codings
    if ROW not in codings.columns:
        codings = codings.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    for record in codings.iter_rows(named=True):
        source = record["source"] or record["participant_id"]
        text = tables.texts.get(source) if source else None
        tags, leading = speakers_of(record["quote"], record["start"], record["end"], text, pattern)
        kept = [t for t in tags if t.casefold() not in excluded]
        moderator += len(tags) - len(kept)
        if not tags:
            (before_first if text is not None else unattributed).append(record[ROW])
            continue
        partial += leading
        for tag in kept:
            for key in CODINGS_SCHEMA:
                rows[key].append(record[key])
            rows["participant_id"][-1] = pid(tag, source)
            rows["source"][-1] = source
            rows[ROW].append(record[ROW])
    people: list[str] = []
    for source, text in tables.texts.items():
        people.extend(
            pid(_tag(m), source)
            for m in pattern.finditer(text)
            if _tag(m).casefold() not in excluded
        )
    people.extend(str(p) for p in rows["participant_id"])
    ids = list(dict.fromkeys(people))
    if not ids:
        raise InputError(
            Problem(
                file,
                f"participant_unit speaker: no speaker turn found by {_pattern_words(speakers)}; "
                "set inputs.speakers.pattern in study.yml to how a turn starts in these "
                "transcripts (see docs/importing.md), or choose another participant unit",
            )
        )
    warnings = [
        *_own_notes(tables),
        f"{file}: participant_unit speaker: {len(ids)} speakers are the participants "
        f"(turns found by {_pattern_words(speakers)}"
        + (", told apart per source" if per_source else "")
        + (f"; {moderator} turn(s) of {', '.join(speakers.exclude)} left out" if moderator else "")
        + ")",
    ]
    if unattributed:
        shown = ", ".join(str(x) for x in unattributed[:10])
        warnings.append(
            f"{file}: {len(unattributed)} coded segment(s) start with no speaker tag and their "
            "source text is not available to find the turn they belong to; left out, not "
            f"guessed (rows {shown}). Import the project (.qdpx, QualCoder) to attribute them"
        )
    if before_first:
        shown = ", ".join(str(x) for x in before_first[:10])
        warnings.append(
            f"{file}: {len(before_first)} coded segment(s) lie before the first speaker turn of "
            f"their source (a title or preamble); left out (rows {shown})"
        )
    if partial:
        warnings.append(
            f"{file}: {partial} coded segment(s) begin before their first speaker tag; without "
            "the source text that first part is counted for no one"
        )
    return replace(
        tables,
        participants=_participants(ids),
        codings=pl.DataFrame(rows, schema={**CODINGS_SCHEMA, ROW: pl.Int64}),
        warnings=tuple(warnings),
        unit="speaker",
    )


def apply_unit(
    tables: Tables, unit: str | None, *, speakers: Speakers | None = None, file: str
) -> Tables:
    """``tables`` with the participants ``unit`` asks for (None: the reader's own).

    Raises:
        InputError: an unknown unit, ``case`` for a file without cases, or a unit whose
            column (source, coder) some codings lack.
    """
    own = tables.unit or "case"
    if unit is None or unit == own:
        return replace(tables, unit=own)
    if unit not in PARTICIPANT_UNITS:
        raise InputError(
            Problem(
                file,
                f"unknown participant unit '{unit}'; choose one of {', '.join(PARTICIPANT_UNITS)}",
            )
        )
    if unit == "case":
        raise InputError(
            Problem(
                file,
                f"{file} has no cases (its participants are its {own}s): choose "
                "--participant-unit source, speaker or user, or define cases in your program",
            )
        )
    if unit == "speaker":
        return by_speaker(tables, speakers or Speakers(), file)
    return _by_column(tables, "source" if unit == "source" else "coder", unit, file)


def unit_texts(names: Mapping[object, str], texts: Mapping[object, str | None]) -> dict[str, str]:
    """Source name -> full text, for the sources whose text a reader has."""
    return {names[k]: t for k, t in texts.items() if t is not None and k in names}
