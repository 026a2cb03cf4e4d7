"""Commands on one study: validate, prevalence, init."""

from __future__ import annotations

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
    from toolkit.analysis.summary import study_summary
    from toolkit.io.study import load_study

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
    from toolkit.cli.emit import emit_results, load_in_background
    from toolkit.cli.views import prevalence_view  # polars-free until a table is drawn
    from toolkit.progress import progress

    # Only the columns prevalence counts with: quotes are not read (validate reads all).
    study_, settings = load_in_background(
        study,
        "toolkit.analysis.run",
        codings_columns=("coder",),
        ci_method=ci_method,
        ci_level=ci_level,
        coder=coder,
    )
    from toolkit.analysis import analyse_prevalence

    study_.require_codes()
    with progress("Computing prevalence"):
        results = analyse_prevalence(study_, settings, by=by)
    emit_results(
        results, results.need("prevalence"), fmt, output, view=lambda: prevalence_view(results)
    )


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
