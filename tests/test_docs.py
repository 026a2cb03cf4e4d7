"""The documentation tells the truth: every command is documented, and every runnable example
in README.md and docs/*.md runs (with output files sent to a temporary folder)."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit.cli import COMMANDS, main

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SLOW = {"report", "demo"}  # rendered and checked in tests/report


def fenced_commands(path: Path) -> list[str]:
    commands = []
    for block in re.findall(r"```(?:sh|console|bash)?\n(.*?)```", path.read_text(), flags=re.S):
        for line in block.splitlines():
            line = line.strip().removeprefix("$ ")
            if line.startswith("raremix "):
                commands.append(line.split("  #")[0].split(" # ")[0].strip())
    return commands


def _missing_path(word: str) -> bool:
    return ("/" in word or word.endswith(".csv")) and not (REPO / word).exists()


def runnable(command: str) -> bool:
    """Examples naming only files that exist here (not placeholders like A B or my-study/)."""
    words = shlex.split(command)[1:]
    if not words or words[0] in SLOW or words[0] in {"init", "import"}:
        return False
    after_output = False
    for word in words[1:]:
        if after_output:
            after_output = False
            continue
        if word in ("-o", "--output"):
            after_output = True
        elif not word.startswith("-") and (word.isupper() or _missing_path(word)):
            return False
    return True


EXAMPLES = sorted({(p.name, c) for p in DOCS for c in fenced_commands(p) if runnable(c)})


def test_every_command_is_in_the_readme_table() -> None:
    readme = (REPO / "README.md").read_text()
    for name in COMMANDS:
        assert f"`raremix {name}" in readme, f"README.md does not document `raremix {name}`"


def test_there_are_examples_to_run() -> None:
    assert len(EXAMPLES) >= 10
    assert {shlex.split(c)[1] for _, c in EXAMPLES} >= {
        "validate",
        "prevalence",
        "differences",
        "compare",
    }


@pytest.mark.parametrize(("doc", "command"), EXAMPLES)
def test_documented_example_runs(doc: str, command: str, tmp_path: Path) -> None:
    words = shlex.split(command)[1:]
    for i, word in enumerate(words):
        if i > 0 and words[i - 1] in ("-o", "--output"):
            words[i] = str(tmp_path / Path(word).name)
    cwd = Path.cwd()
    os.chdir(REPO)
    try:
        result = CliRunner().invoke(main, words)
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, f"{doc}: `{command}` failed:\n{result.stderr}{result.exception!r}"
    assert result.stdout or list(tmp_path.iterdir()), f"{doc}: `{command}` wrote nothing"
