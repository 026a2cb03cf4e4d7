"""Building small studies in memory, for tests and examples in documentation.

These helpers go through the same validation as files on disk (:func:`build_study`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from toolkit.manifest import parse_manifest
from toolkit.model import Study, Tables, build_study


def make_manifest(
    *,
    study_id: str = "test-study",
    attributes: Mapping[str, Any] | None = None,
    analysis: Mapping[str, Any] | None = None,
    synthetic: bool = True,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A manifest dictionary for an in-memory study."""
    return {
        "study": {
            "id": study_id,
            "title": "Test study (synthetic)",
            "condition": {"name": "Test condition"},
            "synthetic": synthetic,
        },
        "inputs": {
            "participants": "participants.csv",
            "codebook": "codebook.csv",
            "codings": "codings.csv",
        },
        "attributes": dict(attributes or {}),
        "analysis": dict(analysis or {}),
        **dict(extra or {}),
    }


def make_study(
    participants: Mapping[str, Sequence[Any]],
    codebook: Mapping[str, Sequence[Any]],
    codings: Mapping[str, Sequence[Any]],
    *,
    attributes: Mapping[str, Any] | None = None,
    analysis: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Study:
    """A validated study from column dictionaries (values as they would be read from CSV)."""
    manifest = parse_manifest(make_manifest(attributes=attributes, analysis=analysis, extra=extra))
    tables = Tables(
        participants=pl.DataFrame(
            dict(participants), schema_overrides=dict.fromkeys(participants, pl.String)
        ),
        codebook=pl.DataFrame(dict(codebook), schema_overrides=dict.fromkeys(codebook, pl.String)),
        codings=pl.DataFrame(dict(codings), schema_overrides=dict.fromkeys(codings, pl.String)),
        files={
            "participants": "participants.csv",
            "codebook": "codebook.csv",
            "codings": "codings.csv",
        },
    )
    return build_study(manifest, tables, root=Path("."))


def write_study(
    folder: Path,
    participants: Mapping[str, Sequence[Any]],
    codebook: Mapping[str, Sequence[Any]],
    codings: Mapping[str, Sequence[Any]],
    *,
    manifest: Mapping[str, Any] | None = None,
    **manifest_options: Any,
) -> Path:
    """Write a study folder (canonical CSVs + study.yml) and return it."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    for name, columns in (
        ("participants", participants),
        ("codebook", codebook),
        ("codings", codings),
    ):
        pl.DataFrame(dict(columns), schema_overrides=dict.fromkeys(columns, pl.String)).write_csv(
            folder / f"{name}.csv"
        )
    document = dict(manifest) if manifest is not None else make_manifest(**manifest_options)
    (folder / "study.yml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return folder
