"""``raremix matrix``: the codes-by-cases table for R, SPSS or Stata."""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.choices import MATRIX_FORMATS
from toolkit.cli.options import study_argument


@click.command()
@study_argument
@click.option("--counts", is_flag=True, help="Segment counts per node instead of 1 (voiced) and 0.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(MATRIX_FORMATS),
    default=None,
    help="File format (default: from the extension of -o, else csv).",
)
@click.option("--coder", default=None, help="Use only this coder's codings.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The file to write (atomically).",
)
def matrix(study: Path, counts: bool, fmt: str | None, coder: str | None, output: Path) -> None:
    """Codes by cases: one row per participant (pseudonym), the attributes as the report
    shows them, then one column per codebook node: 1 if the participant voiced the node or
    a node below it, else 0 (segment counts with --counts).

    With analysis.min_cell set, nothing the prevalence or participants tables hide shows:
    small attribute levels read "suppressed", numeric attributes without bins are left out,
    and a node with a hidden count is left out with the nodes above it (a warning says so).
    SPSS and Stata files carry variable and value labels.

    \b
    Examples:
        raremix matrix examples/calciphylaxis -o matrix.csv
        raremix matrix my-study --counts --format sav -o matrix.sav
    """
    from toolkit.analysis import analyse_matrix, load
    from toolkit.report.matrix import write_matrix

    study_, settings = load(study, coder=coder)
    results = analyse_matrix(study_, settings)
    for note in results.notes:
        click.echo(f"Warning: {note}", err=True)
    chosen, rows, nodes = write_matrix(results, output, fmt=fmt, counts=counts)
    click.echo(f"wrote {rows} participants x {nodes} nodes ({chosen}) -> {output}")
