"""The command-line reference (``docs/cli.md``), generated from every command's ``--help``.

``docs/cli.md`` calls :func:`cli_reference` through cog; ``make docs`` regenerates the page
and ``make lint`` (part of ``make test``) fails when it is not current.
"""

from __future__ import annotations

import click

from toolkit.cli import main

WIDTH = 80  # click's own cap on help width


def _help(command: click.Command, name: str, parent: click.Context | None) -> str:
    settings = {"terminal_width": WIDTH, **command.context_settings}
    context = click.Context(command, info_name=name, parent=parent, **settings)
    return command.get_help(context).rstrip()


def cli_reference() -> str:
    """Markdown with the ``--help`` of ``raremix`` and of each command, in command order.

    Returns:
        One section per command: a heading and the help text in a ``text`` block.
    """
    root = click.Context(main, info_name="raremix", terminal_width=WIDTH, **main.context_settings)
    sections = [f"## `raremix`\n\n```text\n{_help(main, 'raremix', None)}\n```\n"]
    for name in main.list_commands(root):
        command = main.get_command(root, name)
        if command is None or command.hidden:
            continue
        sections.append(f"## `raremix {name}`\n\n```text\n{_help(command, name, root)}\n```\n")
    return "\n".join(sections)
