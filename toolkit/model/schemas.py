"""The canonical study model's types: column names, frame schemas, Study and Tables.

Every reader in :mod:`toolkit.io` produces the three canonical frames below; everything
downstream (statistics, comparison, reports) reads only a :class:`Study`.

Canonical frames (column: polars dtype):

participants
    ``participant_id``: String (unique, non-empty), then one column per attribute:
    Float64 for numeric attributes, String for categorical ones (null = missing).
codebook
    ``code_id``: String (unique), ``label``: String, ``parent_id``: String (null at a root),
    ``description``: String (nullable). Rows in codebook order (siblings keep file order).
codings
    ``participant_id``: String, ``code_id``: String, ``quote``: String, ``source``: String,
    ``start``: Int64, ``end``: Int64, ``coder``: String (all but the first two nullable).
    One row per coded segment.

Each frame may also carry ``_row`` (Int64): the 1-based spreadsheet line of the row in the
file named in :attr:`Study.files`, used only to locate problems. Statistics never read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from toolkit.errors import InputError, Problem, UsageError
from toolkit.manifest import CONDITION_PLACEHOLDER, Manifest

ROW = "_row"
PARTICIPANT_ID = "participant_id"
CODE_ID = "code_id"
MISSING = "missing"

CODEBOOK_SCHEMA: dict[str, type[pl.DataType]] = {
    "code_id": pl.String,
    "label": pl.String,
    "parent_id": pl.String,
    "description": pl.String,
}
CODINGS_SCHEMA: dict[str, type[pl.DataType]] = {
    "participant_id": pl.String,
    "code_id": pl.String,
    "quote": pl.String,
    "source": pl.String,
    "start": pl.Int64,
    "end": pl.Int64,
    "coder": pl.String,
}
CODINGS_REQUIRED = ("participant_id", "code_id")
#: Optional codings columns kept only when the file has them: ``exemplar`` (true/false) marks
#: the researcher's exemplar quotations for the joint display.
CODINGS_OPTIONAL: dict[str, type[pl.DataType]] = {"exemplar": pl.Boolean}
CODEBOOK_REQUIRED = ("code_id",)


@dataclass(frozen=True)
class AttributeSpec:
    """A participant attribute with its resolved type.

    ``levels`` is the declared (or, when undeclared, sorted observed) order of a categorical
    attribute's values. ``bins`` are the edges that make a numeric attribute stratifiable.
    """

    name: str
    type: Literal["numeric", "categorical"]
    levels: tuple[str, ...] | None = None
    bins: tuple[float, ...] | None = None
    label: str | None = None
    #: Every value of a numeric attribute is a whole number (bins may read "18–49").
    whole: bool = True

    @property
    def stratifiable(self) -> bool:
        return self.type == "categorical" or self.bins is not None

    @property
    def display(self) -> str:
        return self.label or self.name.replace("_", " ")


@dataclass(frozen=True)
class Roster:
    """The participant ids of ``inputs.roster``, with the line of each, and the file's name."""

    file: str
    ids: Mapping[str, int]


@dataclass(frozen=True)
class InputFile:
    """An input file as read, for provenance."""

    role: str
    path: Path
    display: str
    sha256: str
    outside: bool = False  # outside the study folder (allowed; listed and warned about)


@dataclass(frozen=True, eq=False)
class CodingPositions:
    """Each coding's participant and code as positions in the participants and codebook frames.

    Validation finds them on the way (one hashed lookup of every id, which is the costly part
    for millions of codings), and counting needs them again; they hold for these very frames.
    """

    codings: pl.DataFrame
    participants: pl.DataFrame
    codebook: pl.DataFrame
    participant: pl.Series | None
    code: pl.Series | None


@dataclass(frozen=True)
class Study:
    """A loaded, validated study. Frames follow the canonical schemas of this module."""

    manifest: Manifest
    root: Path
    participants: pl.DataFrame
    codebook: pl.DataFrame
    codings: pl.DataFrame
    attributes: Mapping[str, AttributeSpec]
    files: Mapping[str, str] = field(default_factory=dict)
    inputs: tuple[InputFile, ...] = ()
    warnings: tuple[str, ...] = ()
    positions: CodingPositions | None = field(default=None, repr=False, compare=False)
    #: The researcher's meta-inferences (``code_id, meta_inference, note``), or None.
    meta_inferences: pl.DataFrame | None = field(default=None, repr=False, compare=False)
    #: Who a participant is: case, source, speaker or user (``participant_unit``).
    participant_unit: str = "case"
    #: Records the roster or ``inputs.where`` left out of the denominator.
    excluded: tuple[str, ...] = ()
    #: Coded segments whose text the source could not give back: their quote is null, and
    #: a report says so rather than print a placeholder as a quotation.
    lost_quotes: int = 0

    @property
    def id(self) -> str:
        return self.manifest.study.id

    @property
    def title(self) -> str:
        return self.manifest.study.title

    @property
    def synthetic(self) -> bool:
        return self.manifest.study.synthetic

    @property
    def condition(self) -> str:
        """The condition's name, as ``study.condition.name`` gives it."""
        return self.manifest.study.condition.name

    @property
    def ontology_id(self) -> str | None:
        return self.manifest.study.condition.ontology_id

    @property
    def description(self) -> str | None:
        return self.manifest.study.description

    @property
    def n_participants(self) -> int:
        return self.participants.height

    def coding_positions(self) -> tuple[pl.Series | None, pl.Series | None]:
        """Each coding's participant and code as row positions in ``participants`` and
        ``codebook`` (unsigned integers), as validation found them; None where it did not.

        Only valid for the frames they were found for: a Study made with other frames (for
        example by :func:`dataclasses.replace`) gets ``(None, None)``.
        """
        found = self.positions
        if (
            found is None
            or found.codings is not self.codings
            or found.participants is not self.participants
            or found.codebook is not self.codebook
        ):
            return None, None
        return found.participant, found.code

    def attribute(self, name: str) -> AttributeSpec:
        """The spec of attribute ``name``; raises UsageError naming the known ones."""
        try:
            return self.attributes[name]
        except KeyError:
            known = ", ".join(sorted(self.attributes)) or "none"
            raise UsageError(
                f"unknown attribute '{name}' in study '{self.id}'; known attributes: {known}"
            ) from None

    @property
    def placeholder_condition(self) -> bool:
        """True while study.yml still names the condition ``raremix import`` wrote."""
        return self.condition.strip() == CONDITION_PLACEHOLDER

    def require_condition(self) -> None:
        """Raise InputError while the condition is the placeholder ``raremix import`` wrote
        (a report titled "Unknown condition" must not leave the building)."""
        if self.placeholder_condition:
            raise InputError(
                Problem(
                    self.files.get("manifest", "study.yml"),
                    f"study.condition.name is still '{CONDITION_PLACEHOLDER}', which raremix "
                    "import wrote: give the condition's name (and its ontology_id, for example "
                    "MONDO:0007288) in study.yml, then run the report again",
                    line=self.manifest.line_of("study", "condition", "name"),
                    column="study.condition.name",
                )
            )

    def require_codes(self) -> None:
        """Raise InputError when the study has no codes at all (nothing to analyse yet)."""
        if self.codebook.height == 0:
            raise InputError(
                Problem(
                    self.files.get("codings", "codings"),
                    "there are no codes to analyse: the codings are empty and no codebook is "
                    "named; add coded segments (participant_id, code_id), then run this again",
                )
            )


@dataclass(frozen=True)
class Tables:
    """What a reader produces before validation: the three canonical frames, raw.

    Participants' attribute columns may be String (to be typed by :func:`build_study` from the
    manifest or by inference) or already typed (Float64/Int64/Boolean from a typed source such
    as REFI-QDA variables or a REDCap dictionary). ``files`` names, per role
    ("participants", "codebook", "codings"), the file that problems should point at.
    ``attribute_types`` carries types a typed source declares; ``warnings`` are non-fatal notes
    the user should see (for example "no Cases in project.qde: each source is one participant");
    ``unit`` says who a participant is; ``roster`` restricts the participants.
    """

    participants: pl.DataFrame
    codebook: pl.DataFrame
    codings: pl.DataFrame
    files: Mapping[str, str] = field(default_factory=dict)
    attribute_types: Mapping[str, Literal["numeric", "categorical"]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    #: Who a participant is in these tables (case, source, speaker, user); None: case.
    unit: str | None = None
    #: ``inputs.roster`` as read, when the study names one.
    roster: Roster | None = None
    #: Source name -> its full text, where the reader has it (speaker turns are found there).
    texts: Mapping[str, str] = field(default_factory=dict)
    #: Coded segments whose text could not be recovered (their quote is null, not a placeholder).
    lost_quotes: int = 0
