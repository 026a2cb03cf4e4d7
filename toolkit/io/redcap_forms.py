"""REDCap forms: repeating instruments (first, last or refuse) and forms never filled.

Repeating instruments (``redcap_repeat_instrument``, ``redcap_repeat_instance``) put one row
per repeat after each record's own row. ``inputs.repeating`` (or ``raremix import
--repeating``) chooses: ``refuse`` (the default: export again without them), ``first`` or
``last`` (each record keeps the fields of its first or last instance of every repeating
instrument, by instance number, and the import says how many instances were set aside).

A form never filled for a record still exports its checkboxes as 0, which would read "No".
A form counts as never filled when its ``<form>_complete`` status is empty or 0
(Incomplete) and no other field of the form holds a value (every checkbox 0, every other
field empty): its checkboxes are then missing, not "No".
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from toolkit.errors import InputError, Problem
from toolkit.model import ROW

REPEAT_INSTRUMENT = "redcap_repeat_instrument"
REPEAT_INSTANCE = "redcap_repeat_instance"
_EMPTY = ("", "0")


def refusal(name: str, repeated: pl.DataFrame) -> InputError:
    """The error for an export with repeating instruments when they are refused."""
    first = repeated.row(0, named=True)
    instruments = sorted(set(repeated[REPEAT_INSTRUMENT].to_list()))
    return InputError(
        Problem(
            name,
            f"this export holds repeating instruments ({', '.join(instruments)}): several rows per "
            "record, one per repeat, which are not participant attributes. Export again without "
            "the repeating instruments (Data Exports > Custom selection of instruments), so each "
            "participant is one row, or choose an instance per record: inputs.repeating: first "
            "(or last) in study.yml, --repeating first (or last) on import",
            line=first[ROW],
            column=REPEAT_INSTRUMENT,
        )
    )


def keep_instances(
    frame: pl.DataFrame, record: str, how: str, name: str
) -> tuple[pl.DataFrame, list[str]]:
    """One row per record: its own row, with each repeating instrument's first or last
    instance filled in where the record's row is empty.

    Raises:
        InputError: ``how`` is ``refuse`` and the export holds repeating instruments.
    """
    if REPEAT_INSTRUMENT not in frame.columns:
        return frame, []
    instrument = pl.col(REPEAT_INSTRUMENT).cast(pl.String).str.strip_chars()
    is_repeat = instrument.is_not_null() & (instrument != "")
    repeated = frame.filter(is_repeat)
    if repeated.height == 0:
        return frame, []
    if how == "refuse":
        raise refusal(name, repeated)
    own = frame.filter(~is_repeat)
    order = pl.col(REPEAT_INSTANCE).cast(pl.Float64, strict=False)
    chosen = repeated.sort(order, descending=how == "last", maintain_order=True).unique(
        subset=[record, REPEAT_INSTRUMENT], keep="first", maintain_order=True
    )
    data = [c for c in frame.columns if c not in (record, ROW, REPEAT_INSTRUMENT, REPEAT_INSTANCE)]
    for part in chosen.partition_by(REPEAT_INSTRUMENT, maintain_order=True):
        filled = [c for c in data if part[c].cast(pl.String).str.strip_chars().ne("").any()]
        if not filled:
            continue
        extra = part.select(record, *(pl.col(c).alias(f"__{c}") for c in filled))
        own = (
            own.join(extra, on=record, how="left", maintain_order="left")
            .with_columns(
                pl.coalesce(
                    pl.when(pl.col(c).cast(pl.String).str.strip_chars() != "").then(pl.col(c)),
                    pl.col(f"__{c}"),
                ).alias(c)
                for c in filled
            )
            .drop(f"__{c}" for c in filled)
        )
    set_aside = repeated.height - chosen.height
    instruments = ", ".join(sorted(set(repeated[REPEAT_INSTRUMENT].to_list())))
    return own, [
        f"{name}: repeating instruments ({instruments}): kept each record's {how} instance "
        f"(inputs.repeating: {how}); {set_aside} other instance(s) set aside"
    ]


def unfilled_forms(
    frame: pl.DataFrame, forms: dict[str, list[str]], checkbox_columns: set[str]
) -> dict[str, pl.Series]:
    """Form -> which rows never filled it (status empty or 0 and no value on the form).

    Args:
        frame: the export.
        forms: form name -> its columns in the export (checkbox columns expanded).
        checkbox_columns: the export's checkbox columns (``field___code``).
    """
    out: dict[str, pl.Series] = {}
    for form, columns in forms.items():
        status = f"{form}_complete"
        if status not in frame.columns:
            continue
        text = [frame[status].cast(pl.String).fill_null("").str.strip_chars()]
        empty = text[0].is_in(list(_EMPTY))
        for column in columns:
            values = frame[column].cast(pl.String).fill_null("").str.strip_chars()
            blank = values.is_in(["", "0", "FALSE"]) if column in checkbox_columns else values == ""
            empty = empty & blank
        out[form] = empty
    return out


def blank_unfilled(
    values: Sequence[str | None], unfilled: pl.Series | None
) -> tuple[list[str | None], int]:
    """Checkbox values with the rows of a never-filled form missing, and how many."""
    if unfilled is None:
        return list(values), 0
    flags = unfilled.to_list()
    out = [None if flag else value for value, flag in zip(values, flags, strict=True)]
    return out, sum(flags)
