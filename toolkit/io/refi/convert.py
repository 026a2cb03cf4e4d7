"""Conversion: a parsed REFI-QDA project or codebook into the canonical frames."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from toolkit.io.refi.files import read_codebook_file, read_project_file
from toolkit.io.refi.participants import assign_participants
from toolkit.io.refi.project import RefiCode, RefiProject, unique_names
from toolkit.model import CODEBOOK_SCHEMA, CODINGS_SCHEMA, Tables


def codebook_frame(
    codes: list[RefiCode], *, file: str, warnings: list[str], drop: Iterable[str] = ()
) -> pl.DataFrame:
    """Codes -> codebook frame (code_id, label, parent_id, description, color), in file order.

    Codes in ``drop`` (case nodes) are left out; their children move up to their parent.
    """
    dropped = set(drop)
    parent_of = {c.guid: c.parent for c in codes}

    def kept_parent(guid: str | None) -> str | None:
        seen = set()
        while guid is not None and guid in dropped and guid not in seen:
            seen.add(guid)
            guid = parent_of.get(guid)
        return guid

    kept = [c for c in codes if c.guid not in dropped]
    ids = code_ids(kept, file=file, warnings=warnings)
    rows = {
        "code_id": [ids[c.guid] for c in kept],
        "label": [c.name for c in kept],
        "parent_id": [
            ids.get(p) if (p := kept_parent(c.parent)) is not None else None for c in kept
        ],
        "description": [c.description.strip() if c.description else None for c in kept],
        "color": [c.color for c in kept],
    }
    return pl.DataFrame(rows, schema={**CODEBOOK_SCHEMA, "color": pl.String})


def code_ids(codes: list[RefiCode], *, file: str, warnings: list[str]) -> dict[str, str]:
    """guid -> code_id: the code's name where unique in the codebook."""
    return unique_names(
        [(c.guid, c.name) for c in codes], what="code", file=file, warnings=warnings
    )


def read_codebook(path: Path, *, file: str | None = None) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Read a REFI-QDA codebook (``.qdc``), or the codebook of a ``.qdpx``/``.qde`` project.

    Returns:
        The codebook frame and the warnings.
    """
    name = file or path.name
    if path.suffix.lower() in (".qdpx", ".qde"):
        project = read_project_file(path, file=name)
        warnings = list(project.warnings)
        return codebook_frame(project.codes, file=name, warnings=warnings), tuple(warnings)
    codes, warnings = read_codebook_file(path, file=name)
    return codebook_frame(codes, file=name, warnings=warnings), tuple(warnings)


def project_tables(project: RefiProject) -> Tables:
    """Turn a parsed project into canonical :class:`~toolkit.model.Tables`."""
    warnings = list(project.warnings)
    assignment = assign_participants(project, warnings)
    codebook = codebook_frame(
        project.codes, file=project.file, warnings=warnings, drop=assignment.case_codes
    )
    kept_codes = [c for c in project.codes if c.guid not in assignment.case_codes]
    ids = code_ids(kept_codes, file=project.file, warnings=[])
    names = {s.guid: s.name for s in project.sources}
    rows: dict[str, list[object]] = {k: [] for k in CODINGS_SCHEMA}
    unknown_codes: Counter[str] = Counter()
    unassigned: Counter[str] = Counter()
    for selection in project.selections:
        owner = assignment.of_selection.get(selection.guid)
        for coding in selection.codings:
            if coding.code in assignment.case_codes:
                continue
            if coding.code not in ids:
                unknown_codes[coding.code] += 1
                continue
            if owner is None:
                unassigned[names.get(selection.source, selection.source)] += 1
                continue
            for who in (owner, *assignment.also_of.get(selection.guid, ())):
                rows["participant_id"].append(who)
                rows["code_id"].append(ids[coding.code])
                rows["quote"].append(selection.quote)
                rows["source"].append(names.get(selection.source))
                rows["start"].append(selection.start)
                rows["end"].append(selection.end)
                rows["coder"].append(
                    project.users.get(coding.user or "", coding.user) if coding.user else None
                )
    for participant, code in assignment.extra_codings:
        if code in ids:
            for key, value in (("participant_id", participant), ("code_id", ids[code])):
                rows[key].append(value)
            for key in ("quote", "source", "start", "end", "coder"):
                rows[key].append(None)
    if assignment.extra_codings:
        warnings.append(
            f"{project.file}: {len(assignment.extra_codings)} code(s) applied to a whole Case "
            "are read as one coding each, without a quote"
        )
    if unknown_codes:
        warnings.append(
            f"{project.file}: {sum(unknown_codes.values())} coding(s) refer to codes not in the codebook "
            f"(for example {next(iter(unknown_codes))}); left out"
        )
    if unassigned:
        listed = ", ".join(f"'{name}' ({n})" for name, n in unassigned.most_common(5))
        warnings.append(
            f"{project.file}: {sum(unassigned.values())} coding(s) are in sources that belong to no "
            f"participant ({assignment.mode}) and are left out: {listed}"
        )
    codings = pl.DataFrame(rows, schema=CODINGS_SCHEMA)
    textual = {s.guid for s in project.sources if s.kind == "TextSource"}
    by_name = {s.name: s.guid for s in project.sources}

    def lost(coding: dict[str, object]) -> bool:
        """A text segment with positions whose quote could not be recovered."""
        return (
            coding["quote"] is None
            and coding["start"] is not None
            and by_name.get(str(coding["source"])) in textual
        )

    participants = pl.DataFrame(
        {"participant_id": assignment.participants}, schema={"participant_id": pl.String}
    )
    for column, values in assignment.attributes.items():
        dtype = pl.Float64 if assignment.types[column] == "numeric" else pl.String
        participants = participants.with_columns(
            pl.Series(column, [values.get(p) for p in assignment.participants], dtype=dtype)
        )
    return Tables(
        participants=participants,
        codebook=codebook,
        codings=codings,
        files={"participants": project.file, "codebook": project.file, "codings": project.file},
        attribute_types=dict(assignment.types),
        warnings=tuple(warnings),
        unit="source" if assignment.mode == "sources" else "case",
        lost_quotes=sum(1 for c in codings.iter_rows(named=True) if lost(c)),
        texts={s.name: s.text for s in project.sources if s.text is not None},
    )


def read_refi(path: Path, *, file: str | None = None) -> Tables:
    """Read a REFI-QDA project (``.qdpx`` or ``.qde``) into canonical tables."""
    return project_tables(read_project_file(path, file=file))
