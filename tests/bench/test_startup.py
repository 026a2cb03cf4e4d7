"""`raremix --help` stays fast: heavy libraries are imported only by the commands that use them.

A structural check (which modules get imported), not a timing: timings live in `make bench`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HEAVY = (
    "polars",
    "numpy",
    "pyarrow",
    "plotly",
    "scipy",
    "pandas",
    "statsmodels",
    "pydantic",
    "rich",
)

_PROBE = """
import json, sys
from toolkit.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if "." not in m)), file=sys.stderr)
"""


def _imported_after(*args: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "Usage:" in done.stdout, done.stdout + done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_top_level_help_imports_nothing_heavy() -> None:
    # `raremix --help` lists every command's short help, so it imports every command module.
    missing = [name for name in _commands() if not _module_exists(name)]
    if missing:
        pytest.skip(f"command modules not written yet: {', '.join(missing)}")
    imported = _imported_after("--help")
    assert "click" in imported  # the probe really ran the command line
    assert sorted(imported.intersection(HEAVY)) == []


def _commands() -> dict[str, str]:
    sys.path.insert(0, str(REPO))
    try:
        from toolkit.cli import COMMANDS
    finally:
        sys.path.remove(str(REPO))
    return dict(COMMANDS)


def _module_exists(command: str) -> bool:
    return importlib.util.find_spec(_commands()[command].split(":")[0]) is not None


@pytest.mark.parametrize("command", [name for name in _commands() if _module_exists(name)])
def test_command_help_imports_nothing_heavy(command: str) -> None:
    imported = _imported_after(command, "--help")
    assert sorted(imported.intersection(HEAVY)) == []
