"""Commands on one study: validate, prevalence, init."""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
from pathlib import Path

import click

from toolkit.cli.options import ci_options, output_options, study_argument


@click.command()
@study_argument
@click.option(
    "--explain",
    is_flag=True,
    help="Also account for every input row: codings used and left out (and why), "
    "participants without codings, codes never coded.",
)
def validate(study: Path, explain: bool) -> None:
    """Check a study folder: manifest, input files, and how they fit together.

    Prints a one-line summary and exits 0 when everything is valid; otherwise prints one
    `Error:` line per problem (file, line, column and what to do) and exits 1.

    Examples:

    \b
        raremix validate examples/calciphylaxis
        raremix validate examples/calciphylaxis --explain
    """
    from toolkit.io.study import load_study
    from toolkit.summary import study_summary

    loaded = load_study(study)
    for warning in loaded.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(study_summary(loaded))
    if explain:
        from toolkit.io.audit import reconcile
        from toolkit.output import emit_frame, rich_table

        frame = reconcile(loaded)
        table = rich_table(frame, title="Every input row, accounted for")
        emit_frame(frame, fmt="table", output=None, table=table)


@click.command()
@study_argument
@click.option(
    "--by",
    "by",
    multiple=True,
    metavar="ATTR",
    help="Also break prevalence down by this attribute (repeatable).",
)
@ci_options("the study's analysis.ci")
@click.option("--coder", default=None, help="Use only this coder's codings.")
@output_options
def prevalence(
    study: Path,
    by: tuple[str, ...],
    ci_method: str | None,
    ci_level: float | None,
    coder: str | None,
    fmt: str | None,
    output: Path | None,
) -> None:
    """Theme prevalence: participants voicing each codebook node, with confidence intervals.

    One row per codebook node overall, plus one per node and level of each --by attribute.
    The denominator is every participant of the study (or stratum), including those with no
    coding; a participant coded several times on a theme counts once.

    \b
    Examples:
        raremix prevalence examples/calciphylaxis
        raremix prevalence examples/calciphylaxis --by disease_status --by sex -o prevalence.csv
    """
    from toolkit.io.study import load_study
    from toolkit.progress import progress

    # numpy and the statistics are imported while the study is read: reading and validating
    # run in polars, which releases the interpreter lock, so the two overlap.
    warm = _import_in_background("toolkit.stats.prevalence")
    try:
        with progress(f"Reading {study}"):
            # Only the columns prevalence counts with: quotes are not read (validate reads all).
            loaded = load_study(study, codings_columns=("coder",))
    finally:
        warm.join()  # also on an error: no import is left running while Python exits
    from toolkit.output import emit_frame, infer_format
    from toolkit.stats.prevalence import prevalence as compute
    from toolkit.summary import result_meta
    from toolkit.terminal import prevalence_table

    loaded.require_codes()
    with progress("Computing prevalence"):
        frame = compute(loaded, by=by, method=ci_method, level=ci_level, coder=coder)
    chosen = infer_format(fmt, output, interactive=sys.stdout.isatty())
    table = prevalence_table(loaded, frame) if chosen == "table" else None
    emit_frame(frame, fmt=chosen, output=output, meta=result_meta(loaded), table=table)
    if output is not None:
        click.echo(f"Wrote {output}", err=True)


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


@click.command()
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
def init(directory: Path) -> None:
    """Create a new study folder with a commented study.yml and empty input tables.

    The tables have their headers (participants.csv, codebook.csv, codings.csv); fill them
    in, edit study.yml, then run `raremix validate DIRECTORY`.

    Example: raremix init my-study && raremix validate my-study
    """
    from toolkit.scaffold import scaffold_study

    written = scaffold_study(directory)
    click.echo(f"Created {directory} with {', '.join(p.name for p in written)}.")
    click.echo(
        f"Next: fill in the tables, edit {directory / 'study.yml'}, then run `raremix validate {directory}`."
    )
