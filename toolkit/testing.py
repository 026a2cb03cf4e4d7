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

    def as_csv(columns: Mapping[str, Sequence[Any]]) -> pl.DataFrame:
        # As if read from a CSV file: strings, and _row counting the header as line 1.
        frame = pl.DataFrame(dict(columns), schema_overrides=dict.fromkeys(columns, pl.String))
        return frame.with_row_index("_row", offset=2).with_columns(pl.col("_row").cast(pl.Int64))

    tables = Tables(
        participants=as_csv(participants),
        codebook=as_csv(codebook),
        codings=as_csv(codings),
        files={
            "participants": "participants.csv",
            "codebook": "codebook.csv",
            "codings": "codings.csv",
        },
    )
    return build_study(manifest, tables, root=Path())


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
