"""Commands that render reports: report (one study, or a comparison) and demo."""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.choices import ENGINES


def _formats_option(fn: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--format",
        "formats",
        default=None,
        metavar="LIST",
        help="Comma-separated formats: html, pdf, docx (default: report.formats of study.yml, "
        "else all three). HTML alone needs no browser.",
    )(fn)


def _engine_option(fn: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--engine",
        type=click.Choice(ENGINES),
        default=None,
        help="Renderer (default: quarto when a quarto executable is on PATH or QUARTO_PATH is "
        "set, else pandoc + typst).",
    )(fn)


@click.command()
@click.argument("studies", nargs=-1, type=click.Path(path_type=Path), metavar="STUDY...")
@click.option(
    "--compare",
    "compare_mode",
    is_flag=True,
    help="Render a comparison report of two or more studies instead of a study report.",
)
@click.option(
    "--crosswalk",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="With --compare: CSV study_id, code_id, theme_id mapping codes to shared themes.",
)
@click.option(
    "--min-cell",
    "min_cell",
    type=click.IntRange(min=0),
    default=None,
    metavar="K",
    help="With --compare: suppress counts of 1 to K-1 participants (default 5, whatever the "
    "studies' own analysis.min_cell; 0 switches it off). A study report uses analysis.min_cell.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder to write into (default: reports/<study id>/, or reports/compare-<ids>/).",
)
@_formats_option
@_engine_option
def report(
    studies: tuple[Path, ...],
    compare_mode: bool,
    crosswalk: Path | None,
    min_cell: int | None,
    output: Path | None,
    formats: str | None,
    engine: str | None,
) -> None:
    """Render a study report (HTML, PDF, DOCX), or with --compare a comparison of cohorts.

    Writes report.html (self-contained, works offline, interactive figures), report.pdf
    (typst), report.docx, report.qmd, the figures and the result tables as CSV into one
    folder. Everything is written to a temporary folder first: a failure leaves the previous
    report untouched. PDF and DOCX need Chromium for their figures.

    Examples:

    \b
        raremix report examples/calciphylaxis

        raremix report examples/calciphylaxis --format html -o /tmp/calciphylaxis

        raremix report --compare examples/calciphylaxis examples/erythromelalgia \\
            --crosswalk examples/crosswalk.csv -o reports/comparison
    """
    from toolkit.progress import progress
    from toolkit.report.build import render_comparison, render_study

    _check_report_arguments(studies, compare_mode, crosswalk, min_cell)
    if compare_mode:
        with progress("Rendering the comparison report"):
            rendered = render_comparison(
                list(studies),
                crosswalk=crosswalk,
                out_dir=output,
                formats=formats,
                engine=engine,
                min_cell=min_cell,
            )
    else:
        _warn_about_comparisons(studies[0])
        with progress(f"Rendering the report of {studies[0]}"):
            rendered = render_study(studies[0], out_dir=output, formats=formats, engine=engine)
    for fmt, path in rendered.files.items():
        click.echo(f"{fmt:>5}: {path}")


def _warn_about_comparisons(study: Path) -> None:
    """Warn when the study's report would publish counts its comparisons hide."""
    from toolkit.analysis import suppression_warning

    warning = suppression_warning(study)
    if warning is not None:
        click.echo(f"Warning: {warning}", err=True)


def _check_report_arguments(
    studies: tuple[Path, ...], compare_mode: bool, crosswalk: Path | None, min_cell: int | None
) -> None:
    """Refuse option combinations that do not make sense, saying what to do instead."""
    from toolkit.errors import UsageError

    if not studies:
        raise UsageError("give a study folder: raremix report STUDY (see raremix report --help)")
    if compare_mode:
        if len(studies) < 2:
            raise UsageError("--compare needs at least two study folders")
        return
    if crosswalk is not None:
        raise UsageError("--crosswalk only applies with --compare")
    if min_cell is not None:
        raise UsageError(
            "--min-cell only applies with --compare; a study report uses analysis.min_cell "
            "in study.yml"
        )
    if len(studies) > 1:
        raise UsageError(
            f"{len(studies)} studies given: render one study at a time, "
            "or add --compare to compare them"
        )


@click.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports"),
    show_default=True,
    help="Folder under which each report gets its own folder.",
)
@_formats_option
@_engine_option
def demo(output: Path, formats: str | None, engine: str | None) -> None:
    """Render every bundled SYNTHETIC example study, and their comparison.

    The first thing to run: it shows what raremix makes from a study folder. Prints where
    each report is.

    Example: raremix demo -o /tmp/raremix-demo
    """
    from toolkit.report.build import render_demo

    for name, rendered in render_demo(output, formats=formats, engine=engine):
        click.echo(f"{name}:")
        for fmt, path in rendered.files.items():
            click.echo(f"  {fmt:>5}: {path}")
