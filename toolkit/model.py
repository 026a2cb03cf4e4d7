"""The canonical study model: participants, codebook and codings, and their validation.

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

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl

from toolkit.errors import InputError, Problem, raise_if
from toolkit.manifest import Manifest

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

    @property
    def stratifiable(self) -> bool:
        return self.type == "categorical" or self.bins is not None

    @property
    def display(self) -> str:
        return self.label or self.name.replace("_", " ")


@dataclass(frozen=True)
class InputFile:
    """An input file as read, for provenance."""

    role: str
    path: Path
    display: str
    sha256: str


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
        from toolkit.errors import UsageError

        try:
            return self.attributes[name]
        except KeyError:
            known = ", ".join(sorted(self.attributes)) or "none"
            raise UsageError(
                f"unknown attribute '{name}' in study '{self.id}'; known attributes: {known}"
            ) from None

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
    the user should see (for example "no Cases in project.qde: each source is one participant").
    """

    participants: pl.DataFrame
    codebook: pl.DataFrame
    codings: pl.DataFrame
    files: Mapping[str, str] = field(default_factory=dict)
    attribute_types: Mapping[str, Literal["numeric", "categorical"]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------
# Validation: Tables (raw) -> Study. Every check collects problems; all are raised at once.
# --------------------------------------------------------------------------------------

MAX_EXAMPLES = 25
MAX_ID_LENGTH = 256  # participant ids are short labels; a longer one is a misplaced column  # rows listed per kind of problem; the rest are counted
MISSING_TOKENS = ("", "NA")


class _Collector:
    """Collects problems, listing at most MAX_EXAMPLES rows per kind and counting the rest."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def rows(
        self,
        frame: pl.DataFrame,
        *,
        file: str,
        column: str | None,
        message: str | Callable[[dict[str, Any]], str],
        kind: str,
    ) -> None:
        """One problem per offending row of ``frame`` (which carries ``_row``), capped.

        ``message`` is a function of the row, or a ``str.format`` template of its columns.
        """
        if frame.height == 0:
            return
        for record in frame.head(MAX_EXAMPLES).iter_rows(named=True):
            text = message.format_map(record) if isinstance(message, str) else message(record)
            self.add(Problem(file, text, line=record.get(ROW), column=column))
        if frame.height > MAX_EXAMPLES:
            self.add(
                Problem(
                    file,
                    f"... and {frame.height - MAX_EXAMPLES} more rows with {kind}",
                    column=column,
                )
            )


def _with_rows(frame: pl.DataFrame) -> pl.DataFrame:
    if ROW in frame.columns:
        return frame
    return frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))


def _require_columns(
    frame: pl.DataFrame, required: tuple[str, ...], file: str, out: _Collector, what: str
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


def _validate_participants(raw: pl.DataFrame, file: str, out: _Collector) -> pl.DataFrame | None:
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


def _infer_type(values: pl.Series) -> Literal["numeric", "categorical"]:
    present = values.drop_nulls()
    if present.len() == 0:
        return "categorical"
    if present.dtype.is_numeric():
        return "numeric"
    text = present.cast(pl.String).str.strip_chars()
    text = text.filter(~text.is_in(list(MISSING_TOKENS)))
    if text.len() == 0:
        return "categorical"
    parsed = text.cast(pl.Float64, strict=False)
    return "numeric" if parsed.null_count() == 0 and parsed.is_finite().all() else "categorical"


def _enum_levels(dtype: pl.Enum) -> list[str]:
    """An Enum's categories in their declared order, stripped, without missing tokens."""
    levels: list[str] = []
    for category in dtype.categories.to_list():
        text = str(category).strip()
        if text and text not in MISSING_TOKENS and text not in levels:
            levels.append(text)
    return levels


def _natural_key(value: str) -> tuple[Any, ...]:
    import re

    return tuple(
        int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", value)
    )


def bin_labels(bins: tuple[float, ...]) -> list[str]:
    """Human labels for [b0, b1), [b1, b2), ..., [b_{k-1}, b_k] (the last bin is closed)."""
    whole = all(float(b).is_integer() for b in bins)
    labels = []
    for i, (low, high) in enumerate(itertools.pairwise(bins)):
        last = i == len(bins) - 2
        if whole:
            top = int(high) if last else int(high) - 1
            labels.append(f"{int(low)}–{top}")
        else:
            labels.append(f"[{low:g}, {high:g}{']' if last else ')'}")
    return labels


def _type_attributes(
    frame: pl.DataFrame,
    manifest: Manifest,
    declared_types: Mapping[str, Literal["numeric", "categorical"]],
    file: str,
    out: _Collector,
) -> tuple[pl.DataFrame, dict[str, AttributeSpec]]:
    specs: dict[str, AttributeSpec] = {}
    columns = [c for c in frame.columns if c not in (PARTICIPANT_ID, ROW)]
    for name in manifest.attributes:
        if name not in columns:
            out.add(
                Problem(
                    "study.yml",
                    f"attribute '{name}' is declared under 'attributes' but {file} has no such column; "
                    f"its columns are: {', '.join(columns) or 'none'}",
                )
            )
    # The message callbacks below run immediately inside out.rows, so they see this
    # iteration's loop variables (ruff's B023 warns about the general, deferred case).
    casts: list[pl.Series] = []
    for name in columns:
        declared = manifest.attributes.get(name)
        series = frame[name]
        kind = (
            (declared.type if declared else None)
            or declared_types.get(name)
            or (
                "numeric"
                if declared is not None and declared.bins is not None
                else "categorical"
                if isinstance(series.dtype, pl.Enum)
                else _infer_type(series)
            )
        )
        label = declared.label if declared else None
        if kind == "numeric":
            if series.dtype.is_numeric():
                numbers = series.cast(pl.Float64)
                text = series.cast(pl.String)
            else:
                text = series.cast(pl.String).str.strip_chars()
                text = pl.Series(name, text).replace(
                    list(MISSING_TOKENS), [None] * len(MISSING_TOKENS)
                )
                numbers = text.cast(pl.Float64, strict=False)
            bad = frame.select(ROW).with_columns(text.alias("value"), numbers.alias("number"))
            out.rows(
                bad.filter(pl.col("value").is_not_null() & pl.col("number").is_null()),
                file=file,
                column=name,
                message=(
                    f"'{{value}}' is not a number, but attribute '{name}' is numeric; "
                    "fix the value, leave it empty (missing), or declare the attribute categorical"
                ),
                kind="a non-numeric value",
            )
            out.rows(
                bad.filter(pl.col("number").is_not_null() & ~pl.col("number").is_finite()),
                file=file,
                column=name,
                message=lambda r: (
                    f"'{r['value']}' is not a finite number; leave the cell empty if the value is missing"
                ),
                kind="a non-finite value",
            )
            bins = tuple(declared.bins) if declared and declared.bins else None
            if bins is not None:
                outside = bad.filter(
                    pl.col("number").is_finite()
                    & ((pl.col("number") < bins[0]) | (pl.col("number") > bins[-1]))
                )
                out.rows(
                    outside,
                    file=file,
                    column=name,
                    message=(
                        f"{{number:g}} is outside the bins of '{name}' ({bins[0]:g} to "
                        f"{bins[-1]:g}); widen attributes.{name}.bins in study.yml or correct the value"
                    ),
                    kind="a value outside the bins",
                )
            casts.append(numbers.alias(name))
            specs[name] = AttributeSpec(name, "numeric", bins=bins, label=label)
        else:
            text = series.cast(pl.String).str.strip_chars()
            text = pl.Series(name, text).replace(list(MISSING_TOKENS), [None] * len(MISSING_TOKENS))
            observed = sorted(set(text.drop_nulls().to_list()), key=_natural_key)
            if declared and declared.levels:
                levels = tuple(declared.levels)
            elif isinstance(series.dtype, pl.Enum):
                # A typed source (a REDCap dictionary) knows the order of its categories.
                levels = tuple(_enum_levels(series.dtype))
            else:
                levels = tuple(observed)
            if declared and declared.levels:
                allowed = set(levels)
                bad_rows = (
                    frame.select(ROW)
                    .with_columns(text.alias("value"))
                    .filter(pl.col("value").is_not_null() & ~pl.col("value").is_in(list(allowed)))
                )
                out.rows(
                    bad_rows,
                    file=file,
                    column=name,
                    message=(
                        f"'{{value}}' is not a declared level of '{name}' ({', '.join(levels)}); "
                        f"correct the value or add it to attributes.{name}.levels in study.yml"
                    ),
                    kind="an undeclared level",
                )
            if MISSING in levels:
                out.add(
                    Problem(
                        file,
                        f"attribute '{name}' has a value 'missing', which raremix uses for empty cells; "
                        "leave missing values empty or rename the value",
                        column=name,
                    )
                )
            casts.append(text.alias(name))
            specs[name] = AttributeSpec(name, "categorical", levels=levels, label=label)
    if casts:
        frame = frame.with_columns(casts)
    return frame, specs


def _check_manifest_attributes(
    manifest: Manifest, specs: Mapping[str, AttributeSpec], out: _Collector
) -> None:
    known = ", ".join(specs) or "none"

    def check(names: list[str] | None, key: str, *, stratify: bool = False) -> None:
        for name in names or []:
            spec = specs.get(name)
            if spec is None:
                out.add(
                    Problem(
                        "study.yml",
                        f"{key} names '{name}', which is not a participant attribute; known: {known}",
                    )
                )
            elif stratify and not spec.stratifiable:
                out.add(
                    Problem(
                        "study.yml",
                        f"{key} names numeric attribute '{name}', which needs bins to make strata: "
                        f"add attributes.{name}.bins (for example [18, 50, 65, 120])",
                    )
                )

    check(manifest.analysis.strata, "analysis.strata", stratify=True)
    check([manifest.analysis.order_by] if manifest.analysis.order_by else None, "analysis.order_by")
    check(manifest.report.descriptors, "report.descriptors")
    check(manifest.privacy.quasi_identifiers, "privacy.quasi_identifiers", stratify=True)


def _validate_codebook(raw: pl.DataFrame, file: str, out: _Collector) -> pl.DataFrame | None:
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


def _check_cycles(frame: pl.DataFrame, file: str, out: _Collector) -> None:
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


def _validate_codings(
    raw: pl.DataFrame,
    file: str,
    participants: pl.DataFrame | None,
    codebook: pl.DataFrame | None,
    participants_file: str,
    codebook_file: str,
    out: _Collector,
) -> tuple[pl.DataFrame | None, dict[str, pl.Series]]:
    """The codings, cleaned and checked, and the positions found on the way (see
    :func:`_reference_positions`)."""
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
    return frame, positions


def _codebook_from_codings(codings: pl.DataFrame) -> pl.DataFrame:
    codes = codings.select(pl.col(CODE_ID).drop_nulls().unique(maintain_order=True))
    return codes.with_columns(
        pl.col(CODE_ID).alias("label"),
        pl.lit(None, pl.String).alias("parent_id"),
        pl.lit(None, pl.String).alias("description"),
    )


def build_study(
    manifest: Manifest,
    tables: Tables,
    *,
    root: Path,
    inputs: tuple[InputFile, ...] = (),
) -> Study:
    """Validate raw tables against each other and the manifest, and type the attributes.

    Every problem is collected, so the user sees all of them at once.

    Raises:
        InputError: one problem per wrong row, column or setting, each naming file, line and
            column.
    """
    out = _Collector()
    files = {
        "participants": tables.files.get("participants", "participants"),
        "codebook": tables.files.get("codebook", "codebook"),
        "codings": tables.files.get("codings", "codings"),
    }
    warnings = list(tables.warnings)
    participants = _validate_participants(tables.participants, files["participants"], out)
    specs: dict[str, AttributeSpec] = {}
    if participants is not None:
        participants, specs = _type_attributes(
            participants, manifest, tables.attribute_types, files["participants"], out
        )
        _check_manifest_attributes(manifest, specs, out)
    has_codebook = tables.codebook.width > 0
    codebook = _validate_codebook(tables.codebook, files["codebook"], out) if has_codebook else None
    codings, positions = _validate_codings(
        tables.codings,
        files["codings"],
        participants,
        codebook,
        files["participants"],
        files["codebook"],
        out,
    )
    if codings is not None and codebook is None and not has_codebook:
        codebook = _codebook_from_codings(codings)
        if codings.height:
            warnings.append(
                "no codebook given: a flat codebook was made from the codes used in the codings"
            )
        else:
            warnings.append(
                f"{files['codings']} has no codings and no codebook is named, so there are no "
                "themes to count yet: every analysis will be empty until you add coded segments"
            )
    elif codings is not None and codings.height == 0:
        warnings.append(
            f"{files['codings']} has no codings: every theme's prevalence is 0 until you add "
            "coded segments"
        )
    coder = manifest.analysis.coder
    if coder is not None and codings is not None:
        coders = codings["coder"].drop_nulls().unique().sort().to_list()
        if coder not in coders:
            out.add(
                Problem(
                    "study.yml",
                    f"analysis.coder is '{coder}', but the codings name "
                    f"{'the coders ' + ', '.join(coders) if coders else 'no coder (no coder column)'}",
                )
            )
    from toolkit.privacy import redaction_rules

    try:
        redaction_rules(manifest.privacy.redact, builtin=False)
    except InputError as error:
        for problem in error.problems:
            out.add(problem)
    raise_if(out.problems)
    assert participants is not None and codebook is not None and codings is not None
    # Selecting columns keeps the rows (and so the positions) as they are.
    participants = participants.select(ROW, PARTICIPANT_ID, *specs)
    codebook = codebook.select(*([ROW] if ROW in codebook.columns else []), *CODEBOOK_SCHEMA)
    codings = codings.select(ROW, *CODINGS_SCHEMA)
    return Study(
        manifest=manifest,
        root=root,
        participants=participants,
        codebook=codebook,
        codings=codings,
        attributes=specs,
        files=files,
        inputs=inputs,
        warnings=tuple(warnings),
        positions=CodingPositions(
            codings=codings,
            participants=participants,
            codebook=codebook,
            participant=positions.get(PARTICIPANT_ID),
            code=positions.get(CODE_ID),
        )
        if positions
        else None,
    )
