"""Loading a study folder: ``study.yml`` plus its input files → a validated :class:`Study`."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import polars as pl

from toolkit.errors import InputError, Problem
from toolkit.io.safety import inside, refuse_special, special_file
from toolkit.io.tables import RoleTable, read_table
from toolkit.manifest import Manifest, read_manifest
from toolkit.model import (
    CODEBOOK_SCHEMA,
    CODINGS_OPTIONAL,
    CODINGS_REQUIRED,
    CODINGS_SCHEMA,
    PARTICIPANT_ID,
    ROW,
    InputFile,
    Roster,
    Study,
    Tables,
    build_study,
)

MANIFEST = "study.yml"
CANONICAL_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".parquet"}


def resolve_study_path(path: Path) -> tuple[Path, Path]:
    """``(folder, study.yml)`` for a study folder or a path to its study.yml."""
    path = Path(path)
    if path.is_dir():
        return path, path / MANIFEST
    if path.name.endswith((".yml", ".yaml")):
        return path.parent, path
    if not path.exists():
        raise InputError(
            Problem(str(path), "no such study folder; give the folder that holds study.yml")
        )
    raise InputError(Problem(str(path), "not a study folder; give the folder that holds study.yml"))


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, or of every file below a folder (sorted by relative path)."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode())
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _input_paths(manifest: Manifest, root: Path) -> dict[str, Path]:
    named = {
        "participants": manifest.inputs.participants,
        "codebook": manifest.inputs.codebook,
        "codings": manifest.inputs.codings,
        "project": manifest.inputs.project,
        "dictionary": manifest.inputs.dictionary,
        "roster": manifest.inputs.roster,
        "meta_inferences": manifest.inputs.meta_inferences,
    }
    paths = {role: root / value for role, value in named.items() if value}
    missing = [
        Problem(
            MANIFEST,
            f"inputs.{role} names '{named[role]}', which does not exist in {root}; "
            "paths are relative to study.yml",
        )
        for role, path in paths.items()
        if not path.exists()
    ]
    if missing:
        raise InputError(missing)
    special = [
        Problem(
            MANIFEST,
            f"inputs.{role} names '{named[role]}', which is {kind}, not a file: raremix reads "
            "only regular files (a FIFO or a device would block or never end)",
        )
        for role, path in paths.items()
        if (kind := special_file(path)) is not None
    ]
    if special:
        raise InputError(special)
    return paths


def _outside(manifest: Manifest, root: Path, paths: Mapping[str, Path]) -> dict[str, str]:
    """Role -> the path study.yml names, for inputs outside the study folder (allowed, but
    listed in the provenance and warned about: the folder alone does not reproduce the study)."""
    return {
        role: str(getattr(manifest.inputs, role))
        for role, path in paths.items()
        if not inside(path, root)
    }


def _empty_codebook() -> pl.DataFrame:
    return pl.DataFrame()


def _apply_columns(frame: pl.DataFrame, manifest: Manifest) -> pl.DataFrame:
    """Rename user columns to canonical names with ``inputs.columns`` (canonical: user)."""
    mapping = manifest.inputs.columns or {}
    renames = {user: canonical for canonical, user in mapping.items() if user in frame.columns}
    return frame.rename(renames) if renames else frame


def read_tables(
    manifest: Manifest,
    root: Path,
    paths: dict[str, Path],
    *,
    codings_columns: Sequence[str] | None = None,
) -> Tables:
    """Read the raw tables a manifest names (canonical files, or a vendor project).

    ``codings_columns`` (canonical names) limits what is read of a Parquet codings file.
    """
    if "project" in paths:
        from toolkit.io.importers import read_project

        tables = read_project(
            paths["project"],
            fmt=manifest.inputs.format,
            columns=manifest.inputs.columns,
            dictionary=paths.get("dictionary"),
            unit=manifest.participant_unit,
            speakers=manifest.inputs.speakers,
            repeating=manifest.inputs.repeating,
        )
        # Separate canonical files override the project's own tables.
        overrides: dict[str, RoleTable] = {
            role: read_role(role, paths[role], manifest, paths)
            for role in ("participants", "codebook", "codings")
            if role in paths
        }
        if overrides:
            types = dict(tables.attribute_types)
            if "participants" in overrides:
                types = dict(overrides["participants"].attribute_types)
            tables = Tables(
                participants=_frame(overrides, "participants", tables.participants),
                codebook=_frame(overrides, "codebook", tables.codebook),
                codings=_frame(overrides, "codings", tables.codings),
                files={**tables.files, **{r: paths[r].name for r in overrides}},
                attribute_types=types,
                warnings=(*tables.warnings, *(w for o in overrides.values() for w in o.warnings)),
            )
        return tables
    read: dict[str, RoleTable] = {
        role: read_role(
            role,
            paths[role],
            manifest,
            paths,
            columns=codings_columns if role == "codings" else None,
        )
        for role in ("participants", "codebook", "codings")
        if role in paths
    }
    return Tables(
        participants=read["participants"].frame,
        codebook=_frame(read, "codebook", _empty_codebook()),
        codings=read["codings"].frame,
        files={role: paths[role].name for role in read},
        attribute_types=dict(read["participants"].attribute_types),
        warnings=tuple(w for part in read.values() for w in part.warnings),
    )


def _frame(read: Mapping[str, RoleTable], role: str, default: pl.DataFrame) -> pl.DataFrame:
    return read[role].frame if role in read else default


def read_role(
    role: str,
    path: Path,
    manifest: Manifest,
    paths: dict[str, Path],
    *,
    columns: Sequence[str] | None = None,
) -> RoleTable:
    """Read the file for one role, choosing the reader by what the file is.

    ``columns`` (canonical names; the required ids are always read) limits what is read of
    a Parquet file.

    A participants table with no ``participant_id`` column that has a REDCap data dictionary
    beside it is read as a REDCap export, as ``raremix import`` does.
    """
    suffix = path.suffix.lower()
    if (
        path.is_dir()
        or suffix not in CANONICAL_SUFFIXES
        or (role == "codings" and manifest.inputs.format)
    ):
        # The vendor readers are imported only when a vendor file is read.
        from toolkit.io import importers

        if role == "codebook":
            return importers.read_codebook_file(path)
        if role == "codings":
            return importers.read_codings_file(
                path, fmt=manifest.inputs.format, columns=manifest.inputs.columns
            )
        return importers.read_participants_file(
            path, dictionary=paths.get("dictionary"), repeating=manifest.inputs.repeating
        )
    if role == "participants" and "dictionary" in paths:
        from toolkit.io import importers

        return importers.read_participants_file(
            path, dictionary=paths["dictionary"], repeating=manifest.inputs.repeating
        )
    wanted = None
    if columns is not None:
        renamed = manifest.inputs.columns or {}
        required = CODINGS_REQUIRED if role == "codings" else ()
        wanted = [renamed.get(c, c) for c in (*required, *columns)]
    frame = _apply_columns(read_table(path, display=path.name, columns=wanted), manifest)
    if role == "codebook":
        return RoleTable(
            frame.select(
                [c for c in frame.columns if c in (*CODEBOOK_SCHEMA, "_row")]
                + [c for c in frame.columns if c not in (*CODEBOOK_SCHEMA, "_row")]
            )
        )
    if role == "codings":
        keep = (*CODINGS_SCHEMA, *CODINGS_OPTIONAL, "_row")
        return RoleTable(frame.select([c for c in frame.columns if c in keep]))
    if "participant_id" not in frame.columns:
        from toolkit.io import importers

        if importers.is_redcap_export(path):
            return importers.read_participants_file(path)
    return RoleTable(frame)


def read_roster(path: Path) -> Roster:
    """``inputs.roster``: a table with a ``participant_id`` column (the people interviewed).

    Raises:
        InputError: no ``participant_id`` column, or an id listed twice (each located).
    """
    frame = read_table(path, display=path.name)
    if PARTICIPANT_ID not in frame.columns:
        found = ", ".join(f"'{c}'" for c in frame.columns if c != ROW) or "none"
        raise InputError(
            Problem(
                path.name,
                f"a roster needs a '{PARTICIPANT_ID}' column (the ids of the people interviewed); "
                f"columns found: {found}",
                line=1,
            )
        )
    ids: dict[str, int] = {}
    problems = []
    for value, line in frame.select(PARTICIPANT_ID, ROW).iter_rows():
        pid = (value or "").strip()
        if not pid:
            continue
        if pid in ids:
            problems.append(
                Problem(
                    path.name,
                    f"participant '{pid}' is listed twice (first on line {ids[pid]}); keep one row",
                    line=line,
                    column=PARTICIPANT_ID,
                )
            )
        ids.setdefault(pid, line)
    if problems:
        raise InputError(problems)
    return Roster(path.name, ids)


def load_study(path: Path, *, codings_columns: Sequence[str] | None = None) -> Study:
    """Load and validate a study folder.

    Args:
        path: the study folder, or its ``study.yml``.
        codings_columns: canonical codings columns a command needs besides the ids (for
            example ``("coder",)`` to count prevalence). From a Parquet codings file only
            those are read and validated, the others are empty in the Study: reading 5
            million quotes to count participants costs more than the counting. Default:
            every column (``raremix validate`` and reports).

    Returns:
        The validated :class:`Study`.

    Raises:
        InputError: every problem found in the manifest and the input files.
    """
    root, manifest_path = resolve_study_path(path)
    refuse_special(manifest_path, file=str(manifest_path))
    manifest = read_manifest(manifest_path)
    paths = _input_paths(manifest, root)
    outside = _outside(manifest, root, paths)
    # The provenance hashes are computed while the tables are read and validated (hashlib
    # and polars both release the interpreter lock): a large input costs one read, not two.
    files = {"manifest": manifest_path, **paths}
    digests: dict[str, str] = {}

    def hash_inputs() -> None:
        try:
            for role, file in files.items():
                digests[role] = sha256_of(file)
        except Exception:  # hashed again below, so that the error is raised in this thread
            digests.clear()

    hashing = threading.Thread(target=hash_inputs, name="raremix-sha256", daemon=True)
    hashing.start()
    try:
        tables = read_tables(manifest, root, paths, codings_columns=codings_columns)
        if "roster" in paths:
            tables = replace(tables, roster=read_roster(paths["roster"]))
    finally:
        hashing.join()
    if len(digests) < len(files):
        digests.update((role, sha256_of(file)) for role, file in files.items())
    inputs = (
        InputFile("manifest", manifest_path, MANIFEST, digests["manifest"]),
        *(
            InputFile(role, p, f"{outside[role]} (outside the study folder)", digests[role], True)
            if role in outside
            else InputFile(role, p, p.name, digests[role])
            for role, p in paths.items()
        ),
    )
    if outside:
        tables = replace(
            tables,
            warnings=(
                *tables.warnings,
                *(
                    f"{MANIFEST}: inputs.{role} names '{shown}', outside the study folder: the "
                    "folder alone does not hold everything the study is made of (the report's "
                    "provenance lists it); copy the file into the folder to keep them together"
                    for role, shown in outside.items()
                ),
            ),
        )
    study = build_study(manifest, tables, root=root, inputs=inputs)
    if "meta_inferences" in paths:
        from toolkit.io.meta_inferences import read_meta_inferences

        meta = paths["meta_inferences"]
        frame = read_meta_inferences(meta, study.codebook, display=meta.name)
        study = replace(study, meta_inferences=frame)
    return study
