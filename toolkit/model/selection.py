"""Who is in the study: missing-value codes, and the roster and ``inputs.where`` filters.

A facesheet writes ``na``, ``-99`` or ``unknown`` for a missing value; ``study.yml`` declares
those codes once (``inputs.missing_values`` for every attribute, ``attributes.NAME.missing_values``
for one) and they become empty cells before the attributes are typed.

A registry export holds every record, not only the people interviewed. ``inputs.roster`` (a
table with a ``participant_id`` column) and ``inputs.where`` (attribute values, for example
``interviewed: [Yes]``) keep the interviewed ones: the others leave the denominator, their
number is reported, and a coding of someone left out is an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import polars as pl

from toolkit.errors import Problem
from toolkit.manifest import Manifest
from toolkit.model.problems import Collector
from toolkit.model.schemas import PARTICIPANT_ID, ROW, Roster

_TRUE = ("yes", "true", "y", "1", "on")
_FALSE = ("no", "false", "n", "0", "off")


def _spellings(value: str | int | float | bool) -> list[str]:
    """The cell texts a YAML value stands for, folded (``Yes`` unquoted is a boolean)."""
    if isinstance(value, bool):
        return list(_TRUE if value else _FALSE)
    if isinstance(value, int | float):
        number = float(value)
        return [str(value).casefold(), f"{number:g}", str(number)]
    return [value.strip().casefold()]


def missing_tokens(manifest: Manifest, name: str) -> tuple[str, ...]:
    """The declared missing-value codes of attribute ``name`` (folded), both levels of keys."""
    declared = manifest.attributes.get(name)
    values = [
        *manifest.inputs.missing_values,
        *((declared.missing_values or []) if declared else []),
    ]
    return tuple(dict.fromkeys(s for v in values for s in _spellings(v)))


def blank_missing(series: pl.Series, tokens: Sequence[str]) -> tuple[pl.Series, int]:
    """``series`` with the cells equal to a missing-value code emptied, and how many were.

    Text is compared stripped and ignoring case; a numeric code also matches the same number
    written otherwise (``-99`` and ``-99.0``).
    """
    if not tokens:
        return series, 0
    text = series.cast(pl.String).str.strip_chars()
    folded = text.str.to_lowercase()
    numbers = text.cast(pl.Float64, strict=False)
    numeric_tokens = []
    for token in tokens:
        try:
            numeric_tokens.append(float(token))
        except ValueError:
            continue
    hit = folded.is_in(list(tokens)).fill_null(False)
    if numeric_tokens:
        hit = hit | numbers.is_in(numeric_tokens).fill_null(False)
    count = int(hit.sum())
    if count == 0:
        return series, 0
    blanked = pl.select(pl.when(hit).then(None).otherwise(series).alias(series.name)).to_series()
    return blanked.cast(series.dtype) if not isinstance(series.dtype, pl.Enum) else blanked, count


def apply_missing_values(
    frame: pl.DataFrame, manifest: Manifest, file: str
) -> tuple[pl.DataFrame, list[str]]:
    """Empty every declared missing-value code in the attribute columns; say how many."""
    changed: list[pl.Series] = []
    counts: list[str] = []
    for name in frame.columns:
        if name in (PARTICIPANT_ID, ROW):
            continue
        blanked, count = blank_missing(frame[name], missing_tokens(manifest, name))
        if count:
            changed.append(blanked)
            counts.append(f"{name} {count}")
    if not changed:
        return frame, []
    return frame.with_columns(changed), [
        f"{file}: declared missing-value codes read as missing ({', '.join(counts)})"
    ]


def _where_mask(
    frame: pl.DataFrame, where: Mapping[str, list[str | int | float | bool]], out: Collector
) -> pl.Series | None:
    mask = pl.Series([True] * frame.height)
    for name, values in where.items():
        if name not in frame.columns or name in (PARTICIPANT_ID, ROW):
            known = ", ".join(c for c in frame.columns if c not in (PARTICIPANT_ID, ROW))
            out.add(
                Problem(
                    "study.yml",
                    f"inputs.where names '{name}', which is not a participant attribute; "
                    f"known: {known or 'none'}",
                )
            )
            return None
        wanted = [s for v in values for s in _spellings(v)]
        folded = frame[name].cast(pl.String).str.strip_chars().str.to_lowercase()
        mask = mask & folded.is_in(wanted).fill_null(False)
    return mask


def select_participants(
    frame: pl.DataFrame,
    manifest: Manifest,
    roster: Roster | None,
    file: str,
    out: Collector,
) -> tuple[pl.DataFrame, list[str], list[str]]:
    """Keep the participants the roster and ``inputs.where`` name.

    Returns:
        The kept participants, the ids left out, and the warnings that report them.
    """
    where = manifest.inputs.where
    if roster is None and not where:
        return frame, [], []
    keep = pl.Series([True] * frame.height)
    reasons = []
    if roster is not None:
        present = set(frame[PARTICIPANT_ID].to_list())
        for pid, line in roster.ids.items():
            if pid not in present:
                out.add(
                    Problem(
                        roster.file,
                        f"participant '{pid}' is on the roster but not in {file}; correct the id "
                        "or add the participant to the participants file",
                        line=line,
                        column=PARTICIPANT_ID,
                    )
                )
        keep = keep & frame[PARTICIPANT_ID].is_in(list(roster.ids))
        reasons.append(f"inputs.roster ({roster.file})")
    if where:
        mask = _where_mask(frame, where, out)
        if mask is not None:
            keep = keep & mask
        shown = "; ".join(f"{k} in {', '.join(str(v) for v in vs)}" for k, vs in where.items())
        reasons.append(f"inputs.where ({shown})")
    left_out = frame.filter(~keep)[PARTICIPANT_ID].to_list()
    kept = frame.filter(keep)
    warnings = [
        f"{file}: {len(left_out)} of {frame.height} records left out by {' and '.join(reasons)}; "
        f"{kept.height} participants remain in the denominator"
    ]
    return kept, left_out, warnings


def codings_of_excluded(
    codings: pl.DataFrame, excluded: Iterable[str], file: str, out: Collector
) -> pl.DataFrame:
    """Report every coding of a participant the roster or ``where`` left out; return the rest."""
    gone = list(excluded)
    if not gone or PARTICIPANT_ID not in codings.columns:
        return codings
    if ROW not in codings.columns:
        codings = codings.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    ids = codings[PARTICIPANT_ID].cast(pl.String).str.strip_chars()
    bad = codings.with_columns(ids.alias("pid")).filter(pl.col("pid").is_in(gone))
    out.rows(
        bad,
        file=file,
        column=PARTICIPANT_ID,
        message=(
            "participant '{pid}' is coded but left out by inputs.roster or inputs.where; "
            "add them to the roster (or the where values), or remove the coding"
        ),
        kind="a coding of a participant left out",
    )
    return codings.filter(~ids.is_in(gone).fill_null(False))
