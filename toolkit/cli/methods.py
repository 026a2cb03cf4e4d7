"""Commands for subgroups and for the qualitative method: differences, cooccurrence,
saturation, agreement. Each loads the study, makes one library call and writes the frame."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import click

from toolkit.choices import DIFFERENCE_METHODS
from toolkit.cli.options import output_options, study_argument


@click.command()
@study_argument
@click.option(
    "--by",
    "by",
    required=True,
    metavar="ATTR",
    help="The attribute whose levels are compared (the first declared level is the reference).",
)
@click.option(
    "--method",
    type=click.Choice(DIFFERENCE_METHODS),
    default=None,
    help="Interval for the difference (default: analysis.difference_ci, else newcombe).",
)
@click.option(
    "--ci-level",
    type=float,
    default=None,
    help="Confidence level, between 0 and 1 (default: analysis.ci.level, else 0.95).",
)
@output_options
def differences(
    study: Path,
    by: str,
    method: str | None,
    ci_level: float | None,
    fmt: str | None,
    output: Path | None,
) -> None:
    """Differences in theme prevalence between the levels of one attribute.

    For every codebook node and every level of ATTR against its first declared level: x/n in
    both groups, the difference in prevalence with its confidence interval, Fisher's exact
    two-sided p-value, and the Benjamini–Hochberg adjusted p-value across the nodes of that
    comparison. Small groups are flagged in the small_sample and caution columns;
    participants with no value for ATTR are not compared (the note column counts them).

    Examples:

    \b
        raremix differences examples/calciphylaxis --by disease_status
        raremix differences examples/calciphylaxis --by sex --method miettinen_nurminen -o sex.csv
    """
    from toolkit.analysis import analyse_differences, load
    from toolkit.cli.emit import emit_results
    from toolkit.cli.views import differences_view

    loaded, settings = load(study, difference_method=method, ci_level=ci_level)
    loaded.require_codes()
    results = analyse_differences(loaded, settings, by=by)
    frame = results.differences
    assert frame is not None
    emit_results(
        results,
        frame,
        fmt,
        output,
        view=lambda: differences_view(frame, f"{loaded.title}: differences by {by}"),
        extra={"by": by, "difference_level": settings.ci_level},
    )


@click.command()
@study_argument
@click.option(
    "--depth",
    type=int,
    default=None,
    help="Codebook depth of the nodes compared: 0 = roots (default: 1, the themes, when the codebook has it).",
)
@click.option(
    "--level",
    "unit",
    type=click.Choice(["participant", "segment"]),
    default="participant",
    show_default=True,
    help="participant: voiced by the same participant; segment: overlapping coded spans in one source.",
)
@output_options
def cooccurrence(
    study: Path, depth: int | None, unit: str, fmt: str | None, output: Path | None
) -> None:
    """Co-occurrence of themes, by participant or by overlapping segments.

    Participant level: for each pair of nodes, how many participants voiced both, and the
    Jaccard index (both / either); the diagonal holds each node's participant count.
    Segment level: how many pairs of coded segments of the two nodes overlap in the same
    source (same coder), which needs source, start and end in the codings.

    Examples:

    \b
        raremix cooccurrence examples/calciphylaxis
        raremix cooccurrence examples/calciphylaxis --depth 2 --level segment --format csv
    """
    from toolkit.analysis import analyse_cooccurrence, load
    from toolkit.cli.emit import emit_results
    from toolkit.cli.views import cooccurrence_view

    loaded, settings = load(study)
    loaded.require_codes()
    results = analyse_cooccurrence(loaded, settings, unit=unit, depth=depth)
    frame = results.cooccurrence if unit == "participant" else results.segment_cooccurrence
    assert frame is not None
    title = f"{loaded.title}: co-occurrence ({unit} level)"
    emit_results(
        results,
        frame,
        fmt,
        output,
        view=lambda: cooccurrence_view(frame, title, unit),
        extra={"level": unit, "depth": results.theme_depth},
    )


@click.command()
@study_argument
@click.option(
    "--base",
    type=int,
    default=None,
    help="Base size: interviews whose themes form the denominator (default: analysis.saturation.base, else 4).",
)
@click.option(
    "--run",
    type=int,
    default=None,
    help="Run length: interviews in which new themes are looked for (default: analysis.saturation.run, else 2).",
)
@click.option(
    "--threshold",
    type=float,
    default=None,
    help="New-information threshold as a fraction, 0.05 for ≤5% (default: analysis.saturation.threshold, else 0.05).",
)
@click.option(
    "--depth",
    type=int,
    default=None,
    help="Codebook depth of the nodes counted as themes (default: 1 when the codebook has it, else 0).",
)
@click.option(
    "--level",
    "unit",
    type=click.Choice(["themes", "codes"]),
    default="themes",
    show_default=True,
    help="themes: the nodes at --depth; codes: every code as coded (a new code under a known "
    "theme is new information; COREQ item 22 asks for this too).",
)
@click.option(
    "--raw-ids",
    is_flag=True,
    help="Also show each interview's raw participant id beside its pseudonym (it identifies "
    "people: for the research team only; without it only pseudonyms are shown).",
)
@output_options
def saturation(
    study: Path,
    base: int | None,
    run: int | None,
    threshold: float | None,
    depth: int | None,
    unit: str,
    raw_ids: bool,
    fmt: str | None,
    output: Path | None,
) -> None:
    """Thematic saturation after Guest, Namey and Chen (2020, PLoS ONE 15(5): e0232076).

    Interviews in order (analysis.order_by, else an interview_order or date attribute, else
    participant order): new themes per interview, the cumulative curve, and, for each
    position, the new information in the next run relative to the themes of the base.
    Prints the result in words on standard error, for example "saturation at n = 11
    (base 4, run 2, ≤5% new information; confirmed by interviews 12–13)", or "not reached".

    Examples:

    \b
        raremix saturation examples/calciphylaxis
        raremix saturation examples/calciphylaxis --base 6 --run 3 --threshold 0 --format json
    """
    from toolkit.analysis import analyse_saturation, load
    from toolkit.cli.emit import emit_results
    from toolkit.cli.views import saturation_view

    loaded, settings = load(
        study, saturation_base=base, saturation_run=run, saturation_threshold=threshold
    )
    loaded.require_codes()
    results = analyse_saturation(loaded, settings, depth=depth, raw_ids=raw_ids, level=unit)
    found = results.saturation
    assert found is not None
    view = partial(saturation_view, found.curve, f"{loaded.title}: saturation", found.statement)
    fmt_used = emit_results(results, found.curve, fmt, output, view=view, extra=found.meta())
    if fmt_used != "table" or output is not None:  # the terminal table shows it as its caption
        click.echo(f"Saturation: {found.statement}", err=True)


@click.command()
@study_argument
@output_options
def agreement(study: Path, fmt: str | None, output: Path | None) -> None:
    """Agreement between coders, per codebook node, at participant level.

    For each node, each participant coded by at least two coders is one unit: did each
    coder code that participant with the node (or a descendant)? Reports the number of
    units, percent agreement, Cohen's kappa (exactly two coders) and Krippendorff's alpha
    (nominal; any number of coders; missing values allowed). Needs a coder column naming
    at least two coders.

    Example:

    \b
        raremix agreement examples/calciphylaxis
    """
    from toolkit.analysis import analyse_agreement, load
    from toolkit.cli.emit import emit_results
    from toolkit.cli.views import agreement_view

    loaded, settings = load(study)
    results = analyse_agreement(loaded, settings)
    frame = results.agreement
    assert frame is not None
    title = f"{loaded.title}: coder agreement"
    emit_results(results, frame, fmt, output, view=lambda: agreement_view(frame, title))
