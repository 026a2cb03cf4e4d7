"""Fixtures for the importer tests: the real exports in ../shared/fixtures/ (read in place)."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures"


@pytest.fixture
def fixtures_dir() -> Path:
    """The shared, read-only folder of real program exports; skip visibly when it is absent."""
    path = FIXTURES.resolve()
    if not (path / "PROVENANCE.md").is_file():
        pytest.skip(
            f"shared fixtures not found at {path} (see PROVENANCE.md in the project's shared folder)"
        )
    return path
