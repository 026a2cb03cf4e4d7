"""A third cohort for the comparison tests: pooling needs at least 3 cohorts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CALCI = REPO / "examples" / "calciphylaxis"
CROSSWALK = REPO / "examples" / "crosswalk.csv"
THIRD_ID = "calciphylaxis-second-site"


@pytest.fixture(scope="session")
def third_cohort(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A copy of the calciphylaxis example under another study id, and a crosswalk that
    maps its codes as the original's: (study folder, crosswalk file)."""
    root = tmp_path_factory.mktemp("third")
    folder = root / THIRD_ID
    shutil.copytree(CALCI, folder)
    manifest = folder / "study.yml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(
        text.replace("id: calciphylaxis-synthetic", f"id: {THIRD_ID}", 1), encoding="utf-8"
    )
    lines = CROSSWALK.read_text(encoding="utf-8").splitlines()
    extra = [
        line.replace("calciphylaxis-synthetic,", f"{THIRD_ID},", 1)
        for line in lines[1:]
        if line.startswith("calciphylaxis-synthetic,")
    ]
    crosswalk = root / "crosswalk.csv"
    crosswalk.write_text("\n".join([*lines, *extra]) + "\n", encoding="utf-8")
    return folder, crosswalk
