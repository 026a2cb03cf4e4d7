"""Options shared by several commands, as decorator factories (one definition each)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from toolkit.choices import CI_METHODS, OUTPUT_FORMATS

F = TypeVar("F", bound=Callable[..., Any])


def study_argument(fn: F) -> F:
    """The STUDY argument: a study folder (or its study.yml)."""
    return click.argument("study", type=click.Path(path_type=Path, exists=False), metavar="STUDY")(
        fn
    )


def output_options(fn: F) -> F:
    """``--format`` and ``-o/--output`` for commands that emit one table."""
    fn = click.option(
        "-o",
        "--output",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="Write to FILE (atomically) instead of standard output.",
    )(fn)
    fn = click.option(
        "--format",
        "fmt",
        type=click.Choice(OUTPUT_FORMATS),
        default=None,
        help="Output format. Default: table on a terminal, csv otherwise "
        "(or from the extension of -o: .csv .json .parquet).",
    )(fn)
    return fn


def ci_options(default_note: str) -> Callable[[F], F]:
    """``--ci-method`` and ``--ci-level`` for a proportion's interval.

    Args:
        default_note: what applies when the option is not given, for the help text.
    """

    def decorate(fn: F) -> F:
        fn = click.option(
            "--ci-level",
            type=float,
            default=None,
            help=f"Confidence level, between 0 and 1 (default: {default_note}, else 0.95).",
        )(fn)
        fn = click.option(
            "--ci-method",
            type=click.Choice(CI_METHODS),
            default=None,
            help=f"Confidence interval method (default: {default_note}, else wilson).",
        )(fn)
        return fn

    return decorate
