"""One entry point per question for every vendor format: which reader for which file.

=====================================  ==========================================================
file                                   reader
=====================================  ==========================================================
``*.qdpx``, ``*.qde``                  REFI-QDA project (:mod:`toolkit.io.refi`)
``*.qdc``                              REFI-QDA codebook (codebook only)
``NAME.qda/`` or ``data.qda``          QualCoder project (:mod:`toolkit.io.qualcoder`)
``*.sqlite3``, ``*.sqlite``, ``*.db``  Taguette project (:mod:`toolkit.io.exports`)
``*.csv``/``.tsv``/``.xlsx``/``.xls``  REDCap export when a data dictionary is given or found
                                       beside it (:mod:`toolkit.io.redcap`); otherwise a
                                       coded-segment export (Taguette, QualCoder, MAXQDA, or
                                       columns named in ``inputs.columns``)
=====================================  ==========================================================

``read_project`` returns all three canonical frames; ``read_codings_file``,
``read_codebook_file`` and ``read_participants_file`` return one frame (with the reader's
warnings and attribute types, as a :class:`RoleTable`) for a study.yml that names a vendor file
for one role. ``write_import`` is ``raremix import``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from toolkit.errors import InputError, Problem, UsageError
from toolkit.folders import check_output_folder, staged_folder
from toolkit.io import dedoose, exports, kinds, mex, qualcoder, redcap, refi
from toolkit.io.safety import refuse_special
from toolkit.io.tables import RoleTable, read_table
from toolkit.io.units import apply_unit
from toolkit.manifest import CONDITION_PLACEHOLDER, Speakers
from toolkit.model import CODEBOOK_SCHEMA, CODINGS_SCHEMA, ROW, Tables
from toolkit.output import frame_to_csv

PROJECT_FORMATS = ("refi", "qualcoder", "taguette-db", "redcap", "mex", "dedoose")
#: What each participant unit means, in the study.yml ``raremix import`` writes.
UNIT_WORDS = {
    "case": "each case of the project is one participant",
    "source": "each document (interview transcript) is one participant",
    "speaker": "each speaker of a focus group (turns tagged 'P1: ...') is one participant",
    "user": "each coder is one participant",
}
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls")


def detect(path: Path, *, fmt: str | None = None, dictionary: Path | None = None) -> str:
    """The kind of file: refi, qdc, qualcoder, taguette-db, redcap, or segments.

    Raises:
        InputError: the file does not exist or is of no known kind.
    """
    if not path.exists():
        raise InputError(Problem(str(path), "no such file or folder"))
    refuse_special(path)
    if fmt is not None:
        key = fmt.strip().lower()
        if key in ("refi", "qdpx", "qde", "refi-qda"):
            return "qdc" if path.suffix.lower() == ".qdc" else "refi"
        if key in ("qualcoder-project", "qualcoder") and qualcoder.is_qualcoder(path):
            return "qualcoder"
        if key in ("taguette-db", "taguette") and exports.is_taguette(path):
            return "taguette-db"
        if key == "redcap":
            return "redcap"
        if key in ("mex", "maxqda-mex") and mex.is_mex(path):
            return "mex"
        kinds.refuse_mismatch(path, fmt)
        if key == "dedoose":
            return "dedoose"
        return "segments"
    suffix = path.suffix.lower()
    if qualcoder.is_qualcoder(path):
        return "qualcoder"
    if path.is_dir():
        raise InputError(
            Problem(
                str(path),
                "a folder that is not a QualCoder project (no data.qda inside); give the file to import",
            )
        )
    if suffix in (".qdpx", ".qde"):
        return "refi"
    if suffix == ".qdc":
        return "qdc"
    if exports.is_taguette(path):
        return "taguette-db"
    if mex.is_mex(path):
        return "mex"
    if suffix in TABLE_SUFFIXES:
        if dictionary is not None or _redcap_pair(path):
            return "redcap"
        return "dedoose" if kinds.dedoose_header(path) else "segments"
    raise InputError(
        Problem(
            path.name,
            f"cannot tell what '{suffix or path.name}' is: raremix reads REFI-QDA (.qdpx .qde .qdc), "
            "QualCoder projects (NAME.qda), Taguette projects (.sqlite3), MAXQDA exchange files "
            "(.mex), coded-segment spreadsheets (MAXQDA, QualCoder, Taguette, Dedoose) and REDCap "
            "exports (.csv .xlsx .xls)",
        )
    )


def is_redcap_export(path: Path) -> bool:
    """``path`` is a table with a REDCap data dictionary beside it (found automatically)."""
    return path.is_file() and path.suffix.lower() in TABLE_SUFFIXES and _redcap_pair(path)


def _redcap_pair(path: Path) -> bool:
    """A data dictionary lies beside ``path`` and its first field is the file's first column."""
    found = redcap.find_dictionary(path)
    if found is None:
        return False
    try:
        fields = redcap.read_dictionary(found)
        header = [c for c in read_table(path, display=path.name).columns if c != ROW]
    except InputError:
        return False
    return bool(header) and header[0] == fields[0].name


def _empty_codebook() -> pl.DataFrame:
    return pl.DataFrame(schema=CODEBOOK_SCHEMA)


def _empty_codings() -> pl.DataFrame:
    return pl.DataFrame(schema=CODINGS_SCHEMA)


def read_redcap_tables(path: Path, *, dictionary: Path | None, repeating: str = "refuse") -> Tables:
    """A REDCap export as tables with participants only (categorical levels as ``pl.Enum``)."""
    found = dictionary or redcap.find_dictionary(path)
    if found is None:
        raise InputError(
            Problem(
                path.name,
                "a REDCap export needs its data dictionary to decode choices: name it under "
                "inputs.dictionary in study.yml (or --dictionary), or put it beside the export "
                "with 'dictionary' in its file name",
            )
        )
    result = redcap.read_redcap(path, found, repeating=repeating)
    return Tables(
        participants=result.enum_frame(),
        codebook=_empty_codebook(),
        codings=_empty_codings(),
        files={"participants": path.name},
        attribute_types=result.types,
        warnings=(*result.warnings, f"{path.name}: data dictionary read from {found.name}"),
    )


def read_project(
    path: Path,
    *,
    fmt: str | None = None,
    columns: Mapping[str, str] | None = None,
    dictionary: Path | None = None,
    unit: str | None = None,
    speakers: Speakers | None = None,
    repeating: str = "refuse",
) -> Tables:
    """Read a whole vendor project (or export) into canonical tables.

    Args:
        path: a ``.qdpx``/``.qde`` file, a QualCoder ``NAME.qda`` folder, a Taguette
            ``.sqlite3``, a coded-segment spreadsheet, or a REDCap export.
        fmt: a format name (one of :data:`PROJECT_FORMATS` or an export format) instead of detection.
        columns: canonical key -> column name, for spreadsheets.
        dictionary: a REDCap data dictionary.
        unit: who a participant is (:mod:`toolkit.io.units`); None: as the file says.
        speakers: how speaker turns are tagged (``unit`` speaker).
        repeating: REDCap repeating instruments: refuse, first or last instance.

    Raises:
        InputError: anything wrong with the file, naming it.
    """
    tables = _read_kind(path, fmt=fmt, columns=columns, dictionary=dictionary, repeating=repeating)
    return apply_unit(tables, unit, speakers=speakers, file=path.name)


def _read_kind(
    path: Path,
    *,
    fmt: str | None,
    columns: Mapping[str, str] | None,
    dictionary: Path | None,
    repeating: str,
) -> Tables:
    kind = detect(path, fmt=fmt, dictionary=dictionary)
    if kind == "mex":
        return mex.read_mex(path)
    if kind == "dedoose":
        return dedoose.read_dedoose(path)
    if kind == "refi":
        return refi.read_refi(path)
    if kind == "qdc":
        raise InputError(
            Problem(
                path.name,
                "a REFI-QDA codebook (.qdc) holds codes only, no participants or codings: name it under "
                "inputs.codebook, or export the whole project (.qdpx) from your program",
            )
        )
    if kind == "qualcoder":
        return qualcoder.read_qualcoder(path)
    if kind == "taguette-db":
        return exports.read_taguette(path)
    if kind == "redcap":
        return read_redcap_tables(path, dictionary=dictionary, repeating=repeating)
    layout = fmt if fmt is not None and fmt.strip().lower() not in ("segments",) else None
    return exports.read_export(path, fmt=layout, columns=columns)


def _role(tables: Tables, frame: pl.DataFrame) -> RoleTable:
    return RoleTable(frame, tuple(tables.warnings), dict(tables.attribute_types))


def read_codings_file(
    path: Path, *, fmt: str | None = None, columns: Mapping[str, str] | None = None
) -> RoleTable:
    """The codings of a vendor file named as ``inputs.codings`` (project or segment export)."""
    kind = detect(path, fmt=fmt)
    if kind in ("refi", "qualcoder", "taguette-db", "mex", "dedoose"):
        tables = read_project(path, fmt=fmt)
        return _role(tables, tables.codings)
    if kind in ("qdc", "redcap"):
        raise InputError(
            Problem(
                path.name,
                f"inputs.codings names a {'codebook' if kind == 'qdc' else 'REDCap export'}, which holds no codings",
            )
        )
    tables = read_project(path, fmt=fmt, columns=columns)
    return _role(tables, tables.codings)


def read_codebook_file(path: Path) -> RoleTable:
    """The codebook of a ``.qdc`` (or of a project file named as ``inputs.codebook``)."""
    kind = detect(path)
    if kind in ("qdc", "refi"):
        frame, warnings = refi.read_codebook(path)
        return RoleTable(frame, tuple(warnings))
    if kind in ("qualcoder", "taguette-db"):
        tables = read_project(path)
        return _role(tables, tables.codebook)
    raise InputError(
        Problem(
            path.name,
            "inputs.codebook must be a table (code_id, label, parent_id, description), a REFI-QDA "
            "codebook (.qdc), or a project (.qdpx, QualCoder, Taguette)",
        )
    )


def read_participants_file(
    path: Path, *, dictionary: Path | None = None, repeating: str = "refuse"
) -> RoleTable:
    """Participants from a REDCap export (with its dictionary) or from a project.

    A plain table without a ``participant_id`` column (QualCoder's case-attribute sheets, say)
    takes its first column as the participant id.
    """
    kind = detect(path, dictionary=dictionary)
    if kind == "redcap":
        tables = read_redcap_tables(path, dictionary=dictionary, repeating=repeating)
        return _role(tables, tables.participants)
    if kind in ("refi", "qualcoder", "taguette-db"):
        tables = read_project(path)
        return _role(tables, tables.participants)
    if path.suffix.lower() in TABLE_SUFFIXES:
        frame = read_table(path, display=path.name)
        if "participant_id" not in frame.columns:
            first = next(c for c in frame.columns if c != ROW)
            frame = frame.rename({first: "participant_id"})
        return RoleTable(frame)
    raise InputError(
        Problem(path.name, "inputs.participants must be a table, a REDCap export or a project")
    )


# --- raremix import ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportSummary:
    """What ``raremix import`` wrote."""

    output: Path
    kind: str
    participants: int
    codes: int
    codings: int
    warnings: tuple[str, ...]
    unit: str = "case"

    def line(self) -> str:
        from toolkit.text import plural

        return (
            f"imported {self.kind}: {plural(self.participants, 'participant')}, "
            f"{plural(self.codes, 'code')}, {plural(self.codings, 'coding')} -> {self.output} "
            f"(participant unit: {self.unit})"
        )


def study_slug(path: Path) -> str:
    """A study id from a file name: "Calciphylaxis Study 2024.qdpx" -> calciphylaxis-study-2024."""
    stem = path.name
    for suffix in (
        ".qdpx",
        ".qde",
        ".qdc",
        ".qda",
        ".mex",
        ".sqlite3",
        ".sqlite",
        ".db",
        *TABLE_SUFFIXES,
    ):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    slug = re.sub(r"[^a-z0-9]+", "-", redcap.slug(stem).replace("_", "-")).strip("-")
    return slug or "imported-study"


def project_title(path: Path, kind: str) -> str:
    """The project's own name where the file has one, else the file name."""
    try:
        if kind == "refi":
            name = refi.read_project_file(path).name
            if name and name.strip() and name.strip().lower() != "untitled":
                return name.strip()
        if kind == "taguette-db":
            name = exports.taguette_project_name(path)
            if name:
                return name
    except InputError:
        pass
    stem = study_slug(path).replace("-", " ")
    return stem[:1].upper() + stem[1:]


def _attributes_yaml(participants: pl.DataFrame, types: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, dtype in participants.schema.items():
        if name in ("participant_id", ROW):
            continue
        if isinstance(dtype, pl.Enum):
            out[name] = {"type": "categorical", "levels": list(dtype.categories.to_list())}
        elif types.get(name) == "numeric" or dtype == pl.Float64:
            out[name] = {"type": "numeric"}
        else:
            out[name] = {"type": "categorical"}
    return out


def manifest_text(
    *,
    slug: str,
    title: str,
    source: str,
    kind: str,
    attributes: dict[str, Any],
    has_codebook: bool,
    unit: str = "case",
) -> str:
    """The study.yml ``raremix import`` writes (comments say what to check); ``unit`` is
    who a participant is (``participant_unit``)."""
    inputs: dict[str, str] = {"participants": "participants.csv"}
    if has_codebook:
        inputs["codebook"] = "codebook.csv"
    inputs["codings"] = "codings.csv"
    document: dict[str, Any] = {
        "study": {
            "id": slug,
            "title": title,
            "condition": {"name": CONDITION_PLACEHOLDER},
            "synthetic": False,
        },
        "participant_unit": unit,
        "inputs": inputs,
    }
    if attributes:
        document["attributes"] = attributes
    header = (
        f"# Written by `raremix import` from {source} ({kind}).\n"
        '# Check before use: the condition name (and its ontology_id, e.g. "MONDO:..."), the title,\n'
        "# and the attributes' types and levels. Then run `raremix validate` on this folder.\n"
        f"# participant_unit: {unit} = {UNIT_WORDS.get(unit, unit)}.\n"
    )
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def _canonical(frame: pl.DataFrame, first: list[str]) -> pl.DataFrame:
    frame = frame.drop(ROW) if ROW in frame.columns else frame
    return frame.select(
        [c for c in first if c in frame.columns] + [c for c in frame.columns if c not in first]
    )


def write_import(
    path: Path,
    output: Path,
    *,
    fmt: str | None = None,
    columns: Mapping[str, str] | None = None,
    dictionary: Path | None = None,
    force: bool = False,
    unit: str | None = None,
    repeating: str = "refuse",
) -> ImportSummary:
    """Read a vendor file and write a study folder: three canonical CSVs and a study.yml.

    Everything is written to a temporary folder beside ``output`` and renamed into place, so a
    failure leaves nothing behind. An existing ``output`` is replaced only with ``force`` and
    only when raremix wrote it and nothing was added or changed since (:mod:`toolkit.folders`).

    Raises:
        UsageError: ``output`` exists and is not empty (and ``force`` is not set), holds
            files raremix did not write, holds the input, or is a file.
        InputError: anything wrong with the input.
    """
    output = Path(output)
    protect = [path, *([dictionary] if dictionary is not None else [])]
    if output.exists() and not output.is_dir():
        raise UsageError(f"{output} is a file; give a folder for the imported study")
    if output.is_dir() and any(output.iterdir()) and not force:
        raise UsageError(
            f"{output} is not empty; choose a new folder or use --force to replace a study "
            "folder raremix imported earlier"
        )
    check_output_folder(output, protect=protect)
    kind = detect(path, fmt=fmt, dictionary=dictionary)
    if kind == "qdc":
        codebook, warnings_list = refi.read_codebook(path)
        tables = Tables(
            participants=pl.DataFrame(schema={"participant_id": pl.String}),
            codebook=codebook,
            codings=_empty_codings(),
            warnings=(
                *warnings_list,
                f"{path.name}: a codebook only: add participants.csv and codings.csv",
            ),
        )
    else:
        tables = read_project(
            path, fmt=fmt, columns=columns, dictionary=dictionary, unit=unit, repeating=repeating
        )
    has_codebook = tables.codebook.height > 0
    files = {
        "participants.csv": frame_to_csv(
            _canonical(tables.participants, ["participant_id"]), exact=True
        ),
        "codings.csv": frame_to_csv(_canonical(tables.codings, list(CODINGS_SCHEMA)), exact=True),
        "study.yml": manifest_text(
            slug=study_slug(path),
            title=project_title(path, kind),
            source=path.name,
            kind=kind,
            attributes=_attributes_yaml(tables.participants, tables.attribute_types),
            has_codebook=has_codebook,
            unit=tables.unit or "case",
        ).encode("utf-8"),
    }
    if has_codebook:
        files["codebook.csv"] = frame_to_csv(
            _canonical(tables.codebook, list(CODEBOOK_SCHEMA)), exact=True
        )
    with staged_folder(output, command="import", protect=protect) as staging:
        for name, data in files.items():
            (staging / name).write_bytes(data)
    return ImportSummary(
        output=output,
        kind=kind,
        participants=tables.participants.height,
        codes=tables.codebook.height,
        codings=tables.codings.height,
        warnings=tables.warnings,
        unit=tables.unit or "case",
    )
