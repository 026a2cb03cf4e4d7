"""Every command's --help ends with examples a user can copy: whole commands, one per line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from toolkit.cli import COMMANDS, main

# report and privacy belong to other parts of the tree; their help is checked by their tests.
CHECKED = sorted(set(COMMANDS) - {"report", "privacy"})


def _example_lines(text: str) -> list[str]:
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("Example")), None)
    if start is None:
        return []
    block = []
    for line in lines[start:]:
        if line.strip().startswith("Options:"):
            break
        block.append(line.strip().removeprefix("Examples:").removeprefix("Example:").strip())
    return [line for line in block if line]


@pytest.mark.parametrize("command", CHECKED)
def test_help_has_copyable_examples(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    examples = _example_lines(result.stdout)
    assert examples, f"raremix {command} --help has no example"
    for line in examples:
        # A line click re-wrapped would start with an option or the tail of a path.
        assert line.startswith(f"raremix {command}"), f"wrapped or broken example line: {line!r}"


def test_the_generated_reference_is_each_commands_help() -> None:
    from toolkit.cli.reference import WIDTH, cli_reference

    reference = cli_reference()
    for command in [None, *sorted(COMMANDS)]:
        args = ["--help"] if command is None else [command, "--help"]
        result = CliRunner().invoke(main, args, terminal_width=WIDTH, prog_name="raremix")
        assert result.exit_code == 0, result.output
        title = "raremix" if command is None else f"raremix {command}"
        assert f"## `{title}`\n\n```text\n{result.stdout.rstrip()}\n```\n" in reference


def test_docs_cli_md_is_current() -> None:
    # `make docs` regenerates it; `make lint` runs the same check with cog.
    from pathlib import Path

    from cogapp import Cog

    page = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
    assert Cog().main(["cog", "--check", str(page)]) == 0, "run `make docs`"
