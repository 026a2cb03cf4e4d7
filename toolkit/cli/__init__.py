"""The ``raremix`` command: a thin layer over the library.

Commands are loaded lazily (``COMMANDS`` maps a name to ``module:function``) so that
``raremix --help`` never imports polars, plotly or the renderers. Every command module imports
only click at the top and the library inside the command function.

Errors: a :class:`toolkit.errors.ToolkitError` raised anywhere below becomes one
``Error: …`` line per problem on stderr and exit status 1. An
:class:`toolkit.errors.ImplementationError` (a raremix bug) and anything else keep their
traceback; the former with a line asking for a bug report.
"""

from __future__ import annotations

import contextlib
import importlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

import click

from toolkit import __version__

# name -> "module:attribute". Keep alphabetical; one line per command.
COMMANDS: dict[str, str] = {
    "agreement": "toolkit.cli.methods:agreement",
    "compare": "toolkit.cli.compare:compare",
    "cooccurrence": "toolkit.cli.methods:cooccurrence",
    "demo": "toolkit.cli.report:demo",
    "differences": "toolkit.cli.methods:differences",
    "import": "toolkit.cli.importing:import_",
    "init": "toolkit.cli.study:init",
    "matrix": "toolkit.cli.matrix:matrix",
    "plan": "toolkit.cli.plan:plan",
    "prevalence": "toolkit.cli.study:prevalence",
    "privacy": "toolkit.cli.privacy:privacy",
    "report": "toolkit.cli.report:report",
    "saturation": "toolkit.cli.methods:saturation",
    "validate": "toolkit.cli.study:validate",
}


@contextlib.contextmanager
def _terminate_as_exit() -> Iterator[None]:
    """SIGTERM (and SIGHUP) raise SystemExit, so staging files and folders are removed as on
    Ctrl-C; the default action would kill raremix on the spot and leave them behind."""

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    wanted: list[int] = [signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in wanted:
            if signal.getsignal(signum) is signal.SIG_DFL:
                previous[signum] = signal.signal(signum, stop)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        command = getattr(importlib.import_module(module_name), attr)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command

    def invoke(self, ctx: click.Context) -> Any:
        from toolkit.errors import ImplementationError, ToolkitError

        try:
            with _terminate_as_exit():
                return super().invoke(ctx)
        except ImplementationError:
            # Our bug, not the user's input: keep the traceback and ask for a report.
            click.echo(
                f"raremix {__version__} hit a bug (ImplementationError), not a problem with "
                "your input. Please report it to the raremix developers with the command you "
                "ran, this message and the traceback below.",
                err=True,
            )
            raise
        except ToolkitError as error:
            for line in error.lines():
                click.echo(f"Error: {line}", err=True)
            ctx.exit(1)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="raremix")
def main() -> None:
    """raremix: theme prevalence with confidence intervals for rare-disease interview studies.

    Merge coded interview themes with participant metadata, compute how many participants
    voiced each theme (with small-sample confidence intervals), compare subgroups and cohorts
    of different rare conditions, and render reproducible reports.

    Start with `raremix demo`, or `raremix init my-study/` for a new study.
    """
