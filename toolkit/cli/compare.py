"""`raremix compare`: theme prevalence side by side across cohorts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from toolkit.choices import POOLING_METHODS
from toolkit.cli.options import ci_options, output_options


def _run(
    studies: tuple[Path, ...],
    crosswalk: Path | None,
    themes: Path | None,
    options: dict[str, Any],
) -> Any:
    """Read the studies (only the columns the comparison counts with) and compare them."""
    from toolkit.compare import compare as run_compare
    from toolkit.errors import UsageError
    from toolkit.io.crosswalk import read_crosswalk, read_themes
    from toolkit.io.study import load_study
    from toolkit.progress import progress

    if len(studies) < 2:
        raise UsageError("give at least two study folders to compare")
    if themes is not None and crosswalk is None:
        raise UsageError("--themes needs --crosswalk: the crosswalk maps codes to those themes")
    loaded = []
    with progress("Reading studies", total=len(studies)) as bar:
        for path in studies:
            bar.update(f"Reading {path}")
            # Quotes are not read.
            loaded.append(load_study(path, codings_columns=("coder",)))
            bar.advance()
    with progress("Comparing cohorts"):
        return run_compare(
            loaded,
            crosswalk=read_crosswalk(crosswalk) if crosswalk is not None else None,
            themes=read_themes(themes) if themes is not None else None,
            crosswalk_file=crosswalk.name if crosswalk is not None else "crosswalk.csv",
            **options,
        )


def _metadata(result: Any, notes: list[str]) -> dict[str, Any]:
    """JSON and Parquet metadata: every setting from the comparison itself, then the notes."""
    from toolkit import __version__

    return {
        "cohorts": list(result.cohorts),
        **result.settings.metadata(),
        "synthetic": result.synthetic,
        "notes": notes,
        "not_compared": result.not_compared.to_dicts(),
        "raremix_version": __version__,
    }


@click.command()
@click.argument(
    "studies",
    nargs=-1,
    required=True,
    type=click.Path(path_type=Path, exists=False),
    metavar="STUDY_DIR STUDY_DIR...",
)
@click.option(
    "--crosswalk",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="CSV mapping each study's codes to shared themes (study_id, code_id, theme_id). "
    "Without it, identical code ids are matched.",
)
@click.option(
    "--themes",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Themes table (theme_id, label, parent_id, definition) the crosswalk maps to. "
    "Default: raremix's framework templates/frameworks/rare-experience-v1.",
)
@ci_options("each study's own analysis.ci; the pooled estimate uses the same level")
@click.option(
    "--pooling",
    type=click.Choice(POOLING_METHODS),
    default=POOLING_METHODS[0],
    show_default=True,
    help="Pooling model: glmm (binomial-normal model by maximum likelihood; exact for 0% and "
    "100% cohorts) or the two-step logit model with tau² by DerSimonian-Laird (dl) or REML.",
)
@click.option(
    "--hksj",
    is_flag=True,
    default=False,
    help="Hartung-Knapp-Sidik-Jonkman pooled interval (never narrower than Wald's; with "
    "--pooling dl or reml).",
)
@click.option(
    "--min-cell",
    "min_cell",
    type=click.IntRange(min=0),
    default=None,
    help="Suppress counts of 1 to K-1 participants, with the pooled estimates and differences "
    "that would reveal them. Default 5, whatever the studies' own analysis.min_cell; "
    "0 switches suppression off.",
    metavar="K",
)
@click.option(
    "--show",
    type=click.Choice(["prevalence", "differences", "not-compared", "notes", "mappings"]),
    default="prevalence",
    show_default=True,
    help="Which result to write: theme prevalence per cohort with pooled rows (and the "
    "not-compared codes), pairwise differences, not-compared codes, notes, or the mappings used.",
)
@output_options
def compare(
    studies: tuple[Path, ...],
    crosswalk: Path | None,
    themes: Path | None,
    ci_method: str | None,
    ci_level: float | None,
    pooling: str,
    hksj: bool,
    min_cell: int | None,
    show: str,
    fmt: str | None,
    output: Path | None,
) -> None:
    """Theme prevalence side by side across cohorts of different conditions.

    For every shared theme and cohort: participants voicing it (x), the cohort's participants
    (n), prevalence and confidence interval; a pooled row per theme from 3 cohorts on
    (random-effects meta-analysis of proportions on the logit scale, with tau², I², Cochran's
    Q and its p-value, and a prediction interval for a new cohort; fewer cohorts: no pooled
    estimate);
    codes that reach no theme are listed as "not compared", never dropped. Counts of 1 to 4
    participants are suppressed (--min-cell to change), with what would reveal them. Comparability
    notes (themes in only some codebooks, different CI settings or strata) go to standard
    error, and into JSON output.

    \b
    Examples:
        raremix compare examples/calciphylaxis examples/erythromelalgia --crosswalk examples/crosswalk.csv
        raremix compare A B --crosswalk map.csv --format csv -o comparison.csv
    """
    from toolkit.cli.compare_view import comparison_table
    from toolkit.output import emit_frame, infer_format
    from toolkit.report.compare_notes import messages, notes_frame

    chosen = infer_format(fmt, output, interactive=sys.stdout.isatty())
    options = {"method": ci_method, "level": ci_level, "pooling": pooling, "min_cell": min_cell}
    options["hksj"] = hksj
    result = _run(studies, crosswalk, themes, options)
    notes = messages(result)
    frames = {
        "prevalence": result.table(),
        "differences": result.differences,
        "not-compared": result.not_compared,
        "notes": notes_frame(result),
        "mappings": result.mappings,
    }
    as_table = chosen == "table" and show == "prevalence"
    table = comparison_table(result, notes) if as_table else None
    emit_frame(frames[show], fmt=chosen, output=output, meta=_metadata(result, notes), table=table)
    if not as_table:
        for message in notes:
            click.echo(f"Note: {message}", err=True)
    if output is not None:
        click.echo(f"Wrote {output}", err=True)
