"""The study manifest (``study.yml``): parsed, typed and validated.

Every section forbids unknown keys, so a typo (``strata`` misspelt ``stata``) is an error that
names the key, not a silently ignored setting.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from toolkit import choices
from toolkit.errors import InputError, Problem

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: The condition ``raremix import`` writes: ``validate`` warns about it, ``report`` refuses it.
CONDITION_PLACEHOLDER = "Unknown condition — edit study.yml"

# The lists live in toolkit.choices; these Literals spell them out for pydantic and mypy, and
# tests/test_house.py checks that each one equals its list.
CiMethod = Literal[
    "wilson", "wilson_cc", "clopper_pearson", "jeffreys", "agresti_coull", "wald", "hypergeometric"
]
DifferenceMethod = Literal["newcombe", "newcombe_cc", "miettinen_nurminen", "wald", "agresti_caffo"]
ReportFormat = Literal["html", "pdf", "docx"]
ParticipantUnit = Literal["case", "source", "speaker", "user"]
RepeatingInstances = Literal["refuse", "first", "last"]
Level = Annotated[float, Field(gt=0, lt=1)]
# A cell value as YAML reads it: `-99` is a number and `Yes` a boolean unless quoted.
Scalar = str | int | float | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    name: str = Field(min_length=1)
    ontology_id: str | None = None


class Population(_Strict):
    """``study.population`` as a mapping: the total and, per stratum, its own size."""

    total: int = Field(ge=1)
    strata: dict[str, dict[str, int]] = Field(default_factory=dict)


class StudyInfo(_Strict):
    id: str
    title: str = Field(min_length=1)
    condition: Condition
    synthetic: bool = False
    description: str | None = None
    # The size N of the known, finite population the participants were drawn from (a
    # registry): N, or {total: N, strata: {ATTRIBUTE: {LEVEL: N}}}. Prevalence intervals are
    # then hypergeometric (toolkit.stats.intervals).
    population: int | Population | None = Field(default=None)

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError(
                f"'{value}' is not a slug: use lowercase letters, digits and '-' "
                "(for example 'calciphylaxis-2024')"
            )
        return value


class Speakers(_Strict):
    # A turn starts a line (or a paragraph: QualCoder separates them with U+2029) with a short
    # tag and a colon ("P1: ...", "Anna: ..."), or is a line with a name and a time, as Otter
    # and Zoom transcripts write it ("Anna Smith  00:09"). The tag is the first group that
    # matched.
    pattern: str = (
        r"(?:^|(?<=[\u2028\u2029]))\s*(?:([A-Za-z][\w.-]{0,15})[ \t]*:(?!\d)"
        r"|([A-Z][\w.' -]{0,40}?)[ \t]{2,}\d{1,2}:\d{2}(?::\d{2})?[ \t]*$)"
    )
    # Tags that are not participants (compared ignoring case).
    exclude: list[str] = Field(
        default_factory=lambda: ["M", "Mod", "Moderator", "I", "Interviewer", "Facilitator"]
    )
    # "source": P1 in one focus group is not P1 in another; "study": the same tag, one person.
    scope: Literal["source", "study"] = "source"

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            compiled = re.compile(value, re.MULTILINE)
        except re.error as error:
            raise ValueError(f"not a regular expression: {error}") from None
        if compiled.groups < 1:
            raise ValueError("the pattern needs one group (in parentheses) around the speaker tag")
        return value


class Inputs(_Strict):
    participants: str | None = None
    codebook: str | None = None
    codings: str | None = None
    project: str | None = None
    # Layout of a vendor's coded-segment spreadsheet (maxqda, qualcoder, taguette, ...),
    # and explicit column names that override it: {participant_id: "Document name", ...}.
    format: str | None = None
    columns: dict[str, str] | None = None
    # REDCap data dictionary for a REDCap participants export.
    dictionary: str | None = None
    # REDCap repeating instruments: refuse the export, or keep each record's first/last instance.
    repeating: RepeatingInstances = "refuse"
    # Who is interviewed: a table with a participant_id column, and/or attribute values.
    roster: str | None = None
    where: dict[str, list[Scalar]] | None = None
    # Cell values that mean "missing" in every attribute column (na, -99, unknown, ...).
    missing_values: list[Scalar] = Field(default_factory=list)
    # Focus groups: how a speaker's turn starts (a regular expression with one group, the tag).
    speakers: Speakers | None = None
    # The joint display's meta-inferences: a CSV with code_id, meta_inference, note.
    meta_inferences: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> Inputs:
        if self.project is None and (self.participants is None or self.codings is None):
            raise ValueError(
                "name 'participants' and 'codings' (and usually 'codebook'), "
                "or one 'project' file holding all three"
            )
        return self


class Attribute(_Strict):
    type: Literal["numeric", "categorical"] | None = None
    levels: list[str] | None = None
    bins: list[float] | None = None
    label: str | None = None
    # Cell values that mean "missing" in this attribute only (added to inputs.missing_values).
    missing_values: list[Scalar] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Attribute:
        if self.bins is not None:
            if self.type == "categorical":
                raise ValueError("'bins' only apply to a numeric attribute")
            if len(self.bins) < 2 or any(
                b >= a for b, a in zip(self.bins, self.bins[1:], strict=False)
            ):
                raise ValueError("'bins' must be at least two strictly increasing numbers")
        if self.levels is not None:
            if self.type == "numeric":
                raise ValueError("'levels' only apply to a categorical attribute")
            if len(set(self.levels)) != len(self.levels):
                raise ValueError("'levels' must not repeat a value")
        return self


class CiSettings(_Strict):
    method: CiMethod = "wilson"
    level: Level = 0.95


class SaturationSettings(_Strict):
    base: int = Field(default=4, ge=1, strict=True)
    run: int = Field(default=2, ge=1, strict=True)
    threshold: float = Field(default=0.05, ge=0, le=1)


class Analysis(_Strict):
    strata: list[str] = Field(default_factory=list)
    ci: CiSettings = Field(default_factory=CiSettings)
    difference_ci: DifferenceMethod = "newcombe"
    min_cell: int = Field(default=0, ge=0, strict=True)
    coder: str | None = None
    order_by: str | None = None
    saturation: SaturationSettings = Field(default_factory=SaturationSettings)


class Redaction(_Strict):
    defaults: bool = True
    names: list[str] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)
    patterns: dict[str, str] = Field(default_factory=dict)
    replacement: str = "[redacted]"


class Privacy(_Strict):
    quasi_identifiers: list[str] | None = None
    k: int = Field(default=3, ge=1, strict=True)
    # Largest combination of quasi-identifiers the re-identification check counts (sdcMicro: 3).
    max_combination: int = Field(default=3, ge=1, strict=True)
    redact: Redaction = Field(default_factory=Redaction)


class ReportSettings(_Strict):
    formats: list[ReportFormat] = Field(
        default_factory=lambda: cast("list[ReportFormat]", list(choices.REPORT_FORMATS))
    )
    quotes_per_theme: int = Field(default=2, ge=0, strict=True)
    descriptors: list[str] | None = None
    theme_depth: int | None = Field(default=None, ge=0)
    # The prevalence tree in the report: deepest level and most rows shown (the CSV has all).
    table_depth: int = Field(default=4, ge=0, strict=True)
    table_rows: int = Field(default=250, ge=1, strict=True)
    # Key findings mention a subgroup difference only when both groups are at least this big.
    min_subgroup: int = Field(default=10, ge=1, strict=True)


class Manifest(_Strict):
    study: StudyInfo
    # Who a participant is; None: as the input says (cases where it has them, else sources).
    participant_unit: ParticipantUnit | None = None
    inputs: Inputs
    attributes: dict[str, Attribute] = Field(default_factory=dict)
    analysis: Analysis = Field(default_factory=Analysis)
    privacy: Privacy = Field(default_factory=Privacy)
    report: ReportSettings = Field(default_factory=ReportSettings)
    _lines: dict[tuple[str, ...], int] = PrivateAttr(default_factory=dict)

    def line_of(self, *keys: str) -> int | None:
        """The line of a key in study.yml (``line_of("study", "condition", "name")``)."""
        return _line_of(keys, self._lines)


def _key_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


# libyaml's parser with the same safe constructor: the pure-Python parser took 10 ms per
# study.yml, most of `raremix compare` over 50 small cohorts.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def yaml_lines(text: str) -> dict[tuple[str, ...], int]:
    """1-based line of every mapping key in a YAML document, by its key path."""
    lines: dict[tuple[str, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = (*path, str(key.value))
                lines[child] = key.start_mark.line + 1
                walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, value in enumerate(node.value):
                lines[(*path, str(index))] = value.start_mark.line + 1
                walk(value, (*path, str(index)))

    try:
        root = yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        return lines
    if root is not None:
        walk(root, ())
    return lines


def _line_of(loc: tuple[int | str, ...], lines: dict[tuple[str, ...], int]) -> int | None:
    path = tuple(str(part) for part in loc)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


def _problems_from(
    error: ValidationError, file: str, lines: dict[tuple[str, ...], int] | None = None
) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc = tuple(item["loc"])
        key = _key_path(loc)
        kind = item["type"]
        if kind == "extra_forbidden":
            parent = _key_path(loc[:-1])
            message = (
                f"unknown key '{loc[-1]}' under {parent}; check its spelling "
                "(see `raremix init` for a commented template)"
            )
        elif kind == "missing":
            message = f"required key '{key}' is missing"
        else:
            message = f"{key}: {item['msg'].removeprefix('Value error, ')}"
            if loc and loc[-1] == "level" and kind in ("less_than", "greater_than"):
                message += "; write the level as a proportion, for example 0.95 for 95%"
            given = item.get("input")
            if isinstance(given, str | int | float | bool) and kind != "value_error":
                message += f" (found {given!r})"
        problems.append(Problem(file=file, message=message, line=_line_of(loc, lines or {})))
    return problems


def parse_manifest(
    data: Any, *, file: str = "study.yml", lines: dict[tuple[str, ...], int] | None = None
) -> Manifest:
    """Validate an already-parsed YAML document as a study manifest.

    Raises:
        InputError: with one problem per wrong, missing or unknown key.
    """
    if not isinstance(data, dict):
        raise InputError(
            Problem(file, "expected a YAML mapping with 'study' and 'inputs' sections")
        )
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as error:
        raise InputError(_problems_from(error, file, lines)) from None
    manifest._lines = dict(lines or {})
    return manifest


def read_manifest(path: Path) -> Manifest:
    """Read and validate ``study.yml``.

    Raises:
        InputError: the file is missing, is not valid YAML, or does not describe a study.
    """
    name = path.name
    if not path.is_file():
        raise InputError(
            Problem(
                str(path),
                "no study.yml here; create one with `raremix init DIR` or point at the study folder",
            )
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            Problem(name, f"not UTF-8 text (byte {error.start}); save it as UTF-8")
        ) from None
    try:
        try:
            data = yaml.load(text, Loader=_FAST_LOADER)  # a safe loader (CSafeLoader)
        except yaml.YAMLError:
            data = yaml.safe_load(text)  # the pure-Python parser words the problem
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(error, "problem", None) or str(error)
        raise InputError(Problem(name, f"not valid YAML: {reason}", line=line)) from None
    return parse_manifest(data, file=name, lines=yaml_lines(text))
