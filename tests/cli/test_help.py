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
