"""`raremix compare`: theme prevalence side by side across cohorts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from toolkit.choices import POOLING_METHODS
from toolkit.cli.options import ci_options, output_options


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.0f}%"


def _comparison_table(comparison: Any) -> Any:
    """A readable terminal table: one line per theme and cohort, the pooled line in bold."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    title = "Theme prevalence across cohorts"
    if comparison.synthetic:
        title += " (SYNTHETIC DATA)"
    table = Table(title=title, show_lines=False)
    for name, justify in (
        ("Theme", "left"),
        ("Cohort", "left"),
        ("x/n", "right"),
        ("%", "right"),
        ("CI", "right"),
        ("Heterogeneity", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    previous = None
    for row in comparison.prevalence.iter_rows(named=True):
        first = row["theme_id"] != previous
        previous = row["theme_id"]
        theme = ("  " * (row["depth"] or 0) + row["label"]) if first else ""
        pooled = row["cohort"] == "pooled"
        if row["suppressed"]:
            counts, share, ci = "suppressed", "", ""
        elif row["participants"] is None:
            counts, share, ci = ("—", "", "") if not pooled else ("not pooled", "", "")
        else:
            counts = "" if pooled else f"{row['participants']}/{row['denominator']}"
            share = _percent(row["prevalence"])
            ci = f"{_percent(row['ci_lower'])}–{_percent(row['ci_upper'])}"
        het = ""
        if pooled and row["i2"] is not None:
            het = f"I² {_percent(row['i2'])}, τ² {row['tau2']:.2f}, p {row['q_pvalue']:.3f}"
        style = "bold" if pooled else ("dim" if not row["mapped"] else None)
        table.add_row(theme, row["cohort"], counts, share, ci, het, style=style)
    parts: list[Any] = [table]
    if comparison.not_compared.height:
        missing = Table(title="Not compared (codes that reach no theme)")
        for name in ("Study", "Code", "Label", "x/n", "Reason"):
            missing.add_column(name)
        for row in comparison.not_compared.iter_rows(named=True):
            missing.add_row(
                row["study_id"],
                row["code_id"],
                row["label"],
                "suppressed"
                if row["participants"] is None
                else f"{row['participants']}/{row['denominator']}",
                row["reason"],
            )
        parts.append(missing)
    for message in comparison.notes["message"].to_list():
        parts.append(Text(f"Note: {message}"))
    return Group(*parts)


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
    default="dl",
    show_default=True,
    help="Estimator of the between-cohort variance tau²: DerSimonian-Laird or REML.",
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
    min_cell: int | None,
    show: str,
    fmt: str | None,
    output: Path | None,
) -> None:
    """Theme prevalence side by side across cohorts of different conditions.

    For every shared theme and cohort: participants voicing it (x), the cohort's participants
    (n), prevalence and confidence interval; a pooled row per theme (random-effects
    meta-analysis of proportions on the logit scale, with I², tau² and Cochran's Q p-value);
    codes that reach no theme are listed as "not compared", never dropped. Counts of 1 to 4
    participants are suppressed (--min-cell to change), with what would reveal them. Comparability
    notes (themes in only some codebooks, different CI settings or strata) go to standard
    error, and into JSON output.

    \b
    Examples:
        raremix compare examples/calciphylaxis examples/erythromelalgia --crosswalk examples/crosswalk.csv
        raremix compare A B --crosswalk map.csv --format csv -o comparison.csv
    """
    from toolkit import __version__
    from toolkit.compare import compare as run_compare
    from toolkit.errors import UsageError
    from toolkit.io.crosswalk import read_crosswalk, read_themes
    from toolkit.io.study import load_study
    from toolkit.output import emit_frame, infer_format
    from toolkit.progress import progress

    if len(studies) < 2:
        raise UsageError("give at least two study folders to compare")
    if themes is not None and crosswalk is None:
        raise UsageError("--themes needs --crosswalk: the crosswalk maps codes to those themes")
    chosen = infer_format(fmt, output, interactive=sys.stdout.isatty())
    loaded = []
    with progress("Reading studies", total=len(studies)) as bar:
        for path in studies:
            bar.update(f"Reading {path}")
            # Only the columns the comparison counts with: quotes are not read.
            loaded.append(load_study(path, codings_columns=("coder",)))
            bar.advance()
    mapping = read_crosswalk(crosswalk) if crosswalk is not None else None
    theme_table = read_themes(themes) if themes is not None else None
    with progress("Comparing cohorts"):
        result = run_compare(
            loaded,
            crosswalk=mapping,
            themes=theme_table,
            method=ci_method,
            level=ci_level,
            pooling=pooling,
            crosswalk_file=crosswalk.name if crosswalk is not None else "crosswalk.csv",
            min_cell=min_cell,
        )
    frames = {
        "prevalence": result.table(),
        "differences": result.differences,
        "not-compared": result.not_compared,
        "notes": result.notes,
        "mappings": result.mappings,
    }
    meta = {
        "cohorts": list(result.cohorts),
        "matching": result.matching,
        "pooling": result.pooling_method,
        "level": result.level,
        "synthetic": result.synthetic,
        "min_cell": result.min_cell,
        "notes": result.notes["message"].to_list(),
        "not_compared": result.not_compared.to_dicts(),
        "raremix_version": __version__,
    }
    table = _comparison_table(result) if chosen == "table" and show == "prevalence" else None
    emit_frame(frames[show], fmt=chosen, output=output, meta=meta, table=table)
    if chosen != "table" or show != "prevalence":
        for message in result.notes["message"].to_list():
            click.echo(f"Note: {message}", err=True)
    if output is not None:
        click.echo(f"Wrote {output}", err=True)
