"""Writing a command's result: the chosen format, metadata from the results' own settings."""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    import polars as pl

    from toolkit.analysis import Results, Settings
    from toolkit.model import Study


def emit_results(
    results: Results,
    frame: pl.DataFrame,
    fmt: str | None,
    output: Path | None,
    *,
    view: Callable[[], list[Any]],
    extra: dict[str, Any] | None = None,
) -> str:
    """Write ``frame`` in the chosen format and return that format.

    JSON and Parquet carry ``results.meta()``: the settings the rows were computed with.
    ``view()`` gives the rich tables for the terminal; a synthetic study gets a banner.
    """
    from toolkit.analysis import SYNTHETIC_NOTE
    from toolkit.output import emit_frame, infer_format

    chosen = infer_format(fmt, output, interactive=sys.stdout.isatty())
    table = None
    if chosen == "table":
        from rich.console import Group
        from rich.text import Text

        banner = [Text(SYNTHETIC_NOTE, style="bold reverse")] if results.study.synthetic else []
        table = Group(*banner, *view())
    emit_frame(frame, fmt=chosen, output=output, meta=results.meta(**(extra or {})), table=table)
    if output is not None:
        click.echo(f"Wrote {output}", err=True)
    return chosen


def load_in_background(
    path: Path, module: str, *, codings_columns: Sequence[str] | None = None, **overrides: Any
) -> tuple[Study, Settings]:
    """Load ``path`` and resolve its settings while ``module`` is imported in a thread.

    numpy and the statistics are imported while the study is read: reading and validating
    run in polars, which releases the interpreter lock, so the two overlap.
    """
    from toolkit.io.study import load_study
    from toolkit.progress import progress

    warm = _import_in_background(module)
    try:
        with progress(f"Reading {path}"):
            study = load_study(path, codings_columns=codings_columns)
    finally:
        warm.join()  # also on an error: no import is left running while Python exits
    from toolkit.analysis import settings_for

    return study, settings_for(study, **overrides)


def _import_in_background(module: str) -> threading.Thread:
    """Start importing ``module`` in a thread; join it before using the module.

    A failure is left for the ordinary import in the main thread to raise.
    """

    def run() -> None:
        with contextlib.suppress(Exception):
            importlib.import_module(module)

    thread = threading.Thread(target=run, name=f"import-{module}", daemon=True)
    thread.start()
    return thread
