"""REDCap: a data export (CSV, raw codes or labels) with its data dictionary → participants.

What becomes of each field (by the dictionary's "Field Type"):

- the record id (the first column, the dictionary's first field) is ``participant_id``;
- ``radio``, ``dropdown``: a categorical attribute, codes decoded to labels ("1, Female | 2,
  Male"), the levels in the dictionary's order; ``yesno`` (No, Yes) and ``truefalse`` (False,
  True) likewise;
- ``checkbox`` (exported as ``field___1``, ``field___2``, …): one categorical attribute per
  choice, named after the field and the choice label (``race___5`` with label "White" →
  ``race_white``), with levels No, Yes;
- ``slider``, ``calc`` and ``text`` validated as a number or integer: numeric attributes;
  ``text`` without validation is numeric when every value is a number;
- left out, with a warning that names them: fields flagged as identifiers, free text
  (``notes``, unvalidated ``text`` holding words, e-mail, phone, dates), ``file`` uploads, and
  ``descriptive`` fields (which hold no data). Form status (``*_complete``), survey timestamps
  and ``redcap_*`` columns are bookkeeping and are dropped silently.

Repeating instruments (``redcap_repeat_instrument``) are refused unless ``inputs.repeating``
says ``first`` or ``last`` (each record keeps that instance); the checkboxes of a form a
record never filled are missing, not "No"; numbers with a decimal comma are read as numbers
(:mod:`toolkit.io.redcap_forms`). Left-out text fields are named by what they hold (date,
phone number, e-mail address, free text).
Longitudinal projects (``redcap_event_name``, several rows per record) are collapsed: a field
that holds the same value in every event where it is filled (baseline characteristics entered
once) is kept; a field whose value changes between events (a measurement per visit) is left
out, with a warning naming it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from toolkit.errors import InputError, Problem
from toolkit.io.redcap_forms import blank_unfilled, keep_instances, unfilled_forms
from toolkit.io.tables import read_table
from toolkit.model import ROW

# The user-interface dictionary header and the API one, as alternatives.
DICTIONARY_COLUMNS = {
    "field_name": ("Variable / Field Name", "field_name"),
    "form_name": ("Form Name", "form_name"),
    "field_type": ("Field Type", "field_type"),
    "field_label": ("Field Label", "field_label"),
    "choices": ("Choices, Calculations, OR Slider Labels", "select_choices_or_calculations"),
    "validation": (
        "Text Validation Type OR Show Slider Number",
        "text_validation_type_or_show_slider_number",
    ),
    "identifier": ("Identifier?", "identifier"),
}
CHOICE_TYPES = ("radio", "dropdown")
NUMERIC_VALIDATIONS = (
    "number",
    "integer",
    "number_1dp",
    "number_2dp",
    "number_3dp",
    "number_4dp",
    # Numbers written with a decimal comma ("36,5"), as REDCap offers them.
    "number_comma_decimal",
    "number_1dp_comma_decimal",
    "number_2dp_comma_decimal",
    "number_3dp_comma_decimal",
    "number_4dp_comma_decimal",
)
#: What a left-out text field is, by its validation type (a prefix), for the warning.
TEXT_KINDS = (
    ("datetime", "date and time"),
    ("date", "date"),
    ("time", "time"),
    ("phone", "phone number"),
    ("email", "e-mail address"),
    ("zipcode", "postal code"),
)
YES_NO = (("0", "No"), ("1", "Yes"))
TRUE_FALSE = (("0", "False"), ("1", "True"))
_SYSTEM = re.compile(r"^redcap_|_complete$|_timestamp$")
_LOGICAL = {"TRUE": "1", "FALSE": "0"}


@dataclass(frozen=True)
class Field:
    name: str
    form: str
    type: str
    label: str
    choices: tuple[tuple[str, str], ...]
    validation: str
    identifier: bool


@dataclass
class RedcapParticipants:
    """Participants read from REDCap: the frame, attribute types and categorical levels."""

    frame: pl.DataFrame
    types: dict[str, Literal["numeric", "categorical"]]
    levels: dict[str, tuple[str, ...]]
    labels: dict[str, str]
    warnings: list[str] = field(default_factory=list)

    def enum_frame(self) -> pl.DataFrame:
        """The frame with categorical attributes as ``pl.Enum`` (levels in dictionary order)."""
        return self.frame.with_columns(
            pl.col(name).cast(pl.Enum(list(levels))) for name, levels in self.levels.items()
        )


def parse_choices(text: str) -> tuple[tuple[str, str], ...]:
    """``"1, Female | 2, Male"`` -> ``(("1", "Female"), ("2", "Male"))``."""
    choices = []
    for part in text.split("|"):
        code, comma, label = part.partition(",")
        if not part.strip():
            continue
        choices.append((code.strip(), label.strip() if comma else code.strip()))
    return tuple(choices)


def slug(text: str) -> str:
    """A label as a column-name part: "American Indian/Alaska Native" -> american_indian_alaska_native."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^0-9a-z]+", "_", ascii_text.lower()).strip("_") or "choice"


def _column(header: Sequence[str], candidates: tuple[str, ...]) -> str | None:
    folded = {h.strip().casefold(): h for h in header}
    for name in candidates:
        if name.casefold() in folded:
            return folded[name.casefold()]
    return None


def read_dictionary(path: Path, *, file: str | None = None) -> list[Field]:
    """Read a REDCap data dictionary (user-interface or API column names)."""
    name = file or path.name
    frame = read_table(path, display=name)
    header = [c for c in frame.columns if c != ROW]
    found = {key: _column(header, names) for key, names in DICTIONARY_COLUMNS.items()}
    lacking = [DICTIONARY_COLUMNS[k][0] for k in ("field_name", "field_type") if found[k] is None]
    if lacking:
        raise InputError(
            Problem(
                name,
                f"not a REDCap data dictionary: no column {', '.join(repr(c) for c in lacking)}; "
                f"columns found: {', '.join(repr(c) for c in header[:12])}. Download it from "
                "REDCap: Project Setup > Data Dictionary > Download the current Data Dictionary",
            )
        )
    fields = []
    for row in frame.iter_rows(named=True):

        def get(key: str, row: dict[str, object] = row) -> str:
            column = found[key]
            value = row.get(column) if column is not None else None
            return str(value).strip() if value is not None else ""

        if not get("field_name"):
            continue
        fields.append(
            Field(
                name=get("field_name"),
                form=get("form_name"),
                type=get("field_type").lower(),
                label=get("field_label"),
                choices=parse_choices(get("choices"))
                if get("field_type").lower() in (*CHOICE_TYPES, "checkbox")
                else (),
                validation=get("validation").lower(),
                identifier=get("identifier").lower() in ("y", "yes", "1"),
            )
        )
    if not fields:
        raise InputError(Problem(name, "the data dictionary lists no fields"))
    return fields


def find_dictionary(data: Path) -> Path | None:
    """The data dictionary beside a REDCap export, when exactly one file fits."""
    candidates = [
        p
        for p in data.parent.iterdir()
        if p.is_file()
        and p != data
        and "dictionary" in p.name.lower()
        and p.suffix.lower() in (".csv", ".xlsx")
    ]
    if len(candidates) <= 1:
        return candidates[0] if candidates else None

    def shared(p: Path) -> int:
        a, b = data.name.lower(), p.name.lower()
        n = 0
        while n < min(len(a), len(b)) and a[n] == b[n]:
            n += 1
        return n

    ranked = sorted(candidates, key=shared, reverse=True)
    return ranked[0] if shared(ranked[0]) > shared(ranked[1]) else None


def _decode(
    frame: pl.DataFrame,
    column: str,
    choices: tuple[tuple[str, str], ...],
    *,
    file: str,
    problems: list[Problem],
    logical: list[str],
) -> list[str | None]:
    code_to_label = dict(choices)
    labels = set(code_to_label.values())
    out: list[str | None] = []
    for line, value in zip(frame[ROW], frame[column], strict=True):
        text = None if value is None else str(value).strip()
        if not text:
            out.append(None)
        elif text in code_to_label:
            out.append(code_to_label[text])
        elif text in labels:  # exported as labels
            out.append(text)
        elif text.upper() in _LOGICAL and _LOGICAL[text.upper()] in code_to_label:
            # Exports that passed through R or Excel turn 0/1 into FALSE/TRUE.
            out.append(code_to_label[_LOGICAL[text.upper()]])
            if column not in logical:
                logical.append(column)
        else:
            shown = ", ".join(f"{c} = {lab}" for c, lab in choices)
            problems.append(
                Problem(
                    file,
                    f"'{text}' is not one of the field's choices ({shown}); correct the value or the data dictionary",
                    line=line,
                    column=column,
                )
            )
            out.append(None)
    return out


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_redcap(
    data: Path,
    dictionary: Path,
    *,
    file: str | None = None,
    dictionary_file: str | None = None,
    repeating: str = "refuse",
) -> RedcapParticipants:
    """Read a REDCap data export with its data dictionary into participants.

    ``repeating`` (refuse, first, last): what to do with repeating instruments
    (:mod:`toolkit.io.redcap_forms`).

    Raises:
        InputError: repeating instruments, a record id missing or repeated (outside
            longitudinal exports), a value that is not one of its field's choices, or a
            dictionary that is not one; each naming file, line and column.
    """
    name = file or data.name
    fields = read_dictionary(dictionary, file=dictionary_file or dictionary.name)
    frame = read_table(data, display=name)
    header = [c for c in frame.columns if c != ROW]
    if not header:
        raise InputError(Problem(name, "the export has no columns"))
    frame, repeat_notes = keep_instances(frame, header[0], repeating, name)
    record = header[0]
    if record != fields[0].name:
        raise InputError(
            Problem(
                name,
                f"the first column is '{record}' but the data dictionary's first field (the record id) is "
                f"'{fields[0].name}': is this the dictionary of this project?",
                line=1,
                column=record,
            )
        )
    warnings: list[str] = list(repeat_notes)
    by_name = {f.name: f for f in fields}
    unfilled = unfilled_forms(frame, *_form_columns(header, by_name))
    blanked: dict[str, int] = {}
    longitudinal = "redcap_event_name" in header
    problems: list[Problem] = []
    blank_ids = frame.filter(pl.col(record).is_null())
    for line in blank_ids[ROW].to_list()[:10]:
        problems.append(Problem(name, "empty record id", line=line, column=record))
    if not longitudinal:
        dupes = frame.filter(pl.col(record).is_not_null() & pl.col(record).is_duplicated())
        for line, value in dupes.select(ROW, record).iter_rows():
            problems.append(
                Problem(
                    name,
                    f"record '{value}' appears on more than one row; each participant must be one row",
                    line=line,
                    column=record,
                )
            )
    columns: dict[str, list[str | None] | list[float | None]] = {}
    types: dict[str, Literal["numeric", "categorical"]] = {}
    levels: dict[str, tuple[str, ...]] = {}
    labels: dict[str, str] = {}
    left_out: dict[str, list[str]] = {
        "identifier": [],
        "free text": [],
        **{kind: [] for _, kind in TEXT_KINDS},
        "file upload": [],
        "unknown to the dictionary": [],
    }
    logical: list[str] = []
    for column in header[1:]:
        if _SYSTEM.search(column) or column == "redcap_survey_identifier":
            continue
        base, sep, code = column.partition("___")
        spec = by_name.get(base if sep else column)
        if spec is None:
            left_out["unknown to the dictionary"].append(column)
            continue
        if spec.identifier:
            left_out["identifier"].append(column)
            continue
        values = frame[column].cast(pl.String).str.strip_chars()
        if "comma" in spec.validation:
            values = values.str.replace(",", ".", literal=True)
        present = [v for v in values.to_list() if v]
        if sep and spec.type == "checkbox":
            # REDCap writes a negative choice code's minus as "_" ("race____1" is code -1).
            code = f"-{code[1:]}" if code.startswith("_") else code
            label = dict(spec.choices).get(code, code)
            target = f"{spec.name}_{slug(label)}"
            if target in columns or target in header:
                target = f"{spec.name}_{slug(code)}"
            decoded, count = blank_unfilled(
                _decode(
                    frame,
                    column,
                    (("0", "No"), ("1", "Yes")),
                    file=name,
                    problems=problems,
                    logical=logical,
                ),
                unfilled.get(spec.form),
            )
            if count:
                blanked[spec.form] = count
            columns[target], types[target], levels[target] = decoded, "categorical", ("No", "Yes")
            labels[target] = f"{spec.label or spec.name}: {label}"
        elif spec.type in CHOICE_TYPES or spec.type in ("yesno", "truefalse"):
            choices = (
                spec.choices
                if spec.type in CHOICE_TYPES
                else YES_NO
                if spec.type == "yesno"
                else TRUE_FALSE
            )
            columns[column] = _decode(
                frame, column, choices, file=name, problems=problems, logical=logical
            )
            types[column], levels[column] = "categorical", tuple(lab for _, lab in choices)
            labels[column] = spec.label or column
        elif spec.type in ("slider", "calc") or (
            spec.type == "text"
            and (
                spec.validation in NUMERIC_VALIDATIONS
                or (not spec.validation and present and all(_number(v) for v in present))
            )
        ):
            bad = [
                (line, v)
                for line, v in zip(frame[ROW], values, strict=True)
                if v and not _number(v)
            ]
            for line, v in bad[:10]:
                problems.append(
                    Problem(
                        name,
                        f"'{v}' is not a number, but field '{column}' is numeric",
                        line=line,
                        column=column,
                    )
                )
            columns[column] = [float(v) if v and _number(v) else None for v in values.to_list()]
            types[column] = "numeric"
            if "comma" in spec.validation:
                warnings.append(
                    f"{name}: '{column}' is validated as a number with a decimal comma; read as numbers"
                )
            labels[column] = spec.label or column
        elif spec.type == "file":
            left_out["file upload"].append(column)
        else:
            kind = next((k for p, k in TEXT_KINDS if spec.validation.startswith(p)), "free text")
            left_out["free text" if spec.type == "notes" else kind].append(column)
    if problems:
        raise InputError(problems)
    ids = [None if v is None else str(v).strip() for v in frame[record].to_list()]
    participants = pl.DataFrame(
        {"participant_id": ids, ROW: frame[ROW]},
        schema={"participant_id": pl.String, ROW: pl.Int64},
    )
    for column, decoded_values in columns.items():
        dtype = pl.Float64 if types[column] == "numeric" else pl.String
        participants = participants.with_columns(pl.Series(column, decoded_values, dtype=dtype))
    if longitudinal:
        participants, varying = _collapse(participants, list(columns))
        for column in varying:
            types.pop(column, None)
            levels.pop(column, None)
            labels.pop(column, None)
        events = frame["redcap_event_name"].n_unique()
        warnings.append(
            f"{name}: a longitudinal export ({events} events, {frame.height} rows, {participants.height} records): "
            "collapsed to one row per record, keeping fields whose value is the same in every event where "
            "it is filled"
            + (
                f"; left out because they change between events: {', '.join(varying)}"
                if varying
                else ""
            )
        )
    if logical:
        warnings.append(
            f"{name}: column(s) {', '.join(logical)} hold TRUE/FALSE instead of REDCap's codes 1/0 "
            "(the file passed through R or Excel); read as 1/0"
        )
    for why, names in left_out.items():
        if names:
            warnings.append(f"{name}: left out ({why}): {', '.join(names)}")
    for form, count in blanked.items():
        rows = "row(s) (record events)" if longitudinal else "record(s)"
        warnings.append(
            f"{name}: {count} {rows} never filled the form '{form}' (status Incomplete, no "
            "value on it): its checkboxes are missing there, not No"
        )
    return RedcapParticipants(participants, types, levels, labels, warnings)


def _form_columns(
    header: list[str], by_name: dict[str, Field]
) -> tuple[dict[str, list[str]], set[str]]:
    """Form -> its columns in the export, and the checkbox columns."""
    forms: dict[str, list[str]] = {}
    boxes: set[str] = set()
    for column in header[1:]:
        base, sep, _ = column.partition("___")
        spec = by_name.get(base if sep else column)
        if spec is None or not spec.form:
            continue
        forms.setdefault(spec.form, []).append(column)
        if sep and spec.type == "checkbox":
            boxes.add(column)
    return forms, boxes


def _collapse(frame: pl.DataFrame, columns: list[str]) -> tuple[pl.DataFrame, list[str]]:
    """One row per record: the single non-empty value of each field; fields that vary go."""
    grouped = frame.group_by("participant_id", maintain_order=True).agg(
        pl.col(ROW).min(),
        *(pl.col(c).drop_nulls().unique().alias(c) for c in columns),
    )
    varying = [c for c in columns if (grouped[c].list.len() > 1).any()]
    keep = [c for c in columns if c not in varying]
    collapsed = grouped.select(
        "participant_id",
        ROW,
        *(pl.col(c).list.first().alias(c) for c in keep),
    )
    return collapsed, varying
