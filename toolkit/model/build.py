"""From raw :class:`~toolkit.model.schemas.Tables` to a validated, typed :class:`Study`."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit.errors import InputError, Problem, raise_if
from toolkit.manifest import CONDITION_PLACEHOLDER, Manifest
from toolkit.model.attributes import check_manifest_attributes, type_attributes
from toolkit.model.ids import normalise_ids
from toolkit.model.patterns import compile_patterns
from toolkit.model.problems import Collector
from toolkit.model.schemas import (
    CODE_ID,
    CODEBOOK_SCHEMA,
    CODINGS_OPTIONAL,
    CODINGS_SCHEMA,
    PARTICIPANT_ID,
    ROW,
    AttributeSpec,
    CodingPositions,
    InputFile,
    Study,
    Tables,
)
from toolkit.model.selection import apply_missing_values, codings_of_excluded, select_participants
from toolkit.model.validation import validate_codebook, validate_codings, validate_participants


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
    out = Collector()
    files = {
        "participants": tables.files.get("participants", "participants"),
        "codebook": tables.files.get("codebook", "codebook"),
        "codings": tables.files.get("codings", "codings"),
    }
    warnings = list(tables.warnings)
    tables = normalise_ids(tables, files, out)
    participants = validate_participants(tables.participants, files["participants"], out)
    specs: dict[str, AttributeSpec] = {}
    excluded: list[str] = []
    raw_codings = tables.codings
    if participants is not None:
        participants, notes = apply_missing_values(participants, manifest, files["participants"])
        warnings.extend(notes)
        participants, excluded, notes = select_participants(
            participants, manifest, tables.roster, files["participants"], out
        )
        warnings.extend(notes)
        raw_codings = codings_of_excluded(raw_codings, excluded, files["codings"], out)
        participants, specs = type_attributes(
            participants, manifest, tables.attribute_types, files["participants"], out
        )
        check_manifest_attributes(manifest, specs, out)
    has_codebook = tables.codebook.width > 0
    codebook = validate_codebook(tables.codebook, files["codebook"], out) if has_codebook else None
    codings, positions = validate_codings(
        raw_codings,
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
    if manifest.study.condition.name.strip() == CONDITION_PLACEHOLDER:
        line = manifest.line_of("study", "condition", "name")
        warnings.append(
            f"study.yml{f':{line}' if line else ''}: study.condition.name is still the placeholder "
            "raremix import wrote; give the condition's name before making a report "
            "(`raremix report` refuses the placeholder)"
        )
    try:
        compile_patterns(manifest.privacy.redact.patterns)
    except InputError as error:
        for problem in error.problems:
            out.add(problem)
    raise_if(out.problems)
    assert participants is not None and codebook is not None and codings is not None
    # Selecting columns keeps the rows (and so the positions) as they are.
    participants = participants.select(ROW, PARTICIPANT_ID, *specs)
    codebook = codebook.select(*([ROW] if ROW in codebook.columns else []), *CODEBOOK_SCHEMA)
    codings = codings.select(
        ROW, *CODINGS_SCHEMA, *(c for c in CODINGS_OPTIONAL if c in codings.columns)
    )
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
        participant_unit=manifest.participant_unit or tables.unit or "case",
        excluded=tuple(excluded),
        lost_quotes=tables.lost_quotes,
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
