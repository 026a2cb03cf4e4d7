"""Real tools for tests/tools: R (readr, readxl, haven, metafor), LibreOffice, Chromium + axe-core.

`make test` installs them (Debian packages, see the Makefile's TOOL_DEBS) and runs every test
here; a missing tool is a failure that says how to install it, never a silent skip. `make
test-fast` sets RAREMIX_SKIP_TOOLS=1: the tests marked ``tools`` then skip with that reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
CHROMIUM = Path("/usr/bin/chromium")
SKIP_ENV = "RAREMIX_SKIP_TOOLS"
R_PACKAGES = ("readr", "readxl", "haven", "metafor", "lme4", "jsonlite")
INSTALL = "run `make tool-deps` (Debian: r-base-core r-cran-* libreoffice-writer-nogui)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(SKIP_ENV):
        skip = pytest.mark.skip(reason=f"{SKIP_ENV} is set (make test-fast): real-tool test")
        for item in items:
            if "tools" in item.keywords:
                item.add_marker(skip)


def _need(executable: str) -> str:
    found = shutil.which(executable)
    if found is None:
        pytest.fail(f"{executable} is not installed: {INSTALL}", pytrace=False)
    return found


@pytest.fixture(scope="session")
def rscript() -> str:
    """Path of Rscript, with every R package the tests use checked once."""
    path = _need("Rscript")
    check = "for (p in commandArgs(TRUE)) if (!requireNamespace(p, quietly = TRUE)) cat(p, '\\n')"
    missing = subprocess.run(
        [path, "-e", check, *R_PACKAGES], capture_output=True, text=True, check=True
    ).stdout.split()
    if missing:
        pytest.fail(f"R packages missing: {', '.join(missing)}; {INSTALL}", pytrace=False)
    return path


def run_r(rscript: str, script: str, *args: str | Path, timeout: float = 300) -> Any:
    """Run an R script that prints one JSON document on standard output; return it parsed."""
    done = subprocess.run(
        [rscript, "--vanilla", "-e", script, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"},
    )
    assert done.returncode == 0, f"R failed:\n{done.stderr[-4000:]}"
    return json.loads(done.stdout)


@pytest.fixture(scope="session")
def soffice() -> str:
    return _need("soffice")


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.is_file():
        pytest.fail(f"Debian's chromium is not installed: {INSTALL}", pytrace=False)
    return CHROMIUM


def raremix(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run raremix (``python -m toolkit``); fail the test with its error output if it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "toolkit", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )
    assert done.returncode == 0, f"raremix {' '.join(map(str, args))}:\n{done.stderr[-4000:]}"
    return done


@pytest.fixture(scope="session")
def rendered_reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo's reports (both studies and their comparison) in HTML and DOCX, once."""
    out = tmp_path_factory.mktemp("demo")
    raremix("demo", "--format", "html,docx", "-o", out)
    yield out
