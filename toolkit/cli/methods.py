"""Commands for subgroups and for the qualitative method: differences, cooccurrence,
saturation, agreement. Each loads the study, makes one library call and writes the frame."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from toolkit.choices import DIFFERENCE_METHODS
from toolkit.cli.options import output_options, study_argument


def _pct(value: float | None, digits: int = 0) -> str:
    return "" if value is None else f"{100 * value:.{digits}f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _counts(x: int | None, n: int | None) -> str:
    return "suppressed" if x is None or n is None else f"{x}/{n}"


def _p(value: float | None) -> str:
    if value is None:
        return ""
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _table(
    title: str, columns: list[str], rows: list[list[str]], caption: str | None = None
) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    for i, name in enumerate(columns):
        table.add_column(name, justify="left" if i == 0 else "right", no_wrap=i == 0)
    for row in rows:
        table.add_row(*row)
    return table


def _differences_view(frame: Any, title: str) -> list[Any]:
    tables = []
    for comparison in frame["comparison"].unique(maintain_order=True).to_list():
        part = frame.filter(frame["comparison"] == comparison)
        rows = [
            [
                "  " * int(r["depth"]) + str(r["label"]),
                _counts(r["participants_level"], r["denominator_level"]),
                _counts(r["participants_reference"], r["denominator_reference"]),
                _pct(r["difference"]),
                "" if r["ci_lower"] is None else f"{_pct(r['ci_lower'])} to {_pct(r['ci_upper'])}",
                _p(r["p_value"]),
                _p(r["p_adjusted"]),
                "!" if r["small_sample"] else "",
            ]
            for r in part.iter_rows(named=True)
        ]
        first = part.row(0, named=True)
        caption = (
            f"difference = {first['level']} − {first['reference']}; {first['ci_level']:.0%} CI: "
            f"{first['ci_method']}; p: Fisher exact; p adj: Benjamini–Hochberg; "
            "!: small sample (see the caution column of the CSV)"
        )
        if first["note"]:
            caption += f"; {first['note']}"
        tables.append(
            _table(
                f"{title}: {comparison}",
                ["theme", first["level"], first["reference"], "difference", "CI", "p", "p adj", ""],
                rows,
                caption,
            )
        )
    return tables


def _cooccurrence_view(frame: Any, title: str, unit: str) -> list[Any]:
    import polars as pl

    upper = frame.filter(pl.col("code_a") < pl.col("code_b"))
    if unit == "participant":
        upper = upper.sort("participants_both", "jaccard", descending=True, nulls_last=True)
        rows = [
            [
                r["label_a"],
                r["label_b"],
                _counts(r["participants_both"], r["denominator"]),
                _num(r["jaccard"]),
            ]
            for r in upper.iter_rows(named=True)
        ]
        columns = ["theme A", "theme B", "both", "Jaccard"]
        caption = "both: participants who voiced both themes / participants; Jaccard: both / either"
    else:
        upper = upper.filter(pl.col("overlapping_pairs") > 0).sort(
            "overlapping_pairs", descending=True
        )
        rows = [
            [
                r["label_a"],
                r["label_b"],
                "suppressed" if r["suppressed"] else str(r["overlapping_pairs"]),
                "" if r["sources"] is None else str(r["sources"]),
                "" if r["participants"] is None else str(r["participants"]),
            ]
            for r in upper.iter_rows(named=True)
        ]
        columns = ["theme A", "theme B", "overlapping segments", "sources", "participants"]
        caption = "pairs of coded segments of the two themes whose spans overlap in one source (same coder)"
    return [_table(title, columns, rows, caption)]


def _saturation_view(frame: Any, title: str, statement: str) -> list[Any]:
    rows = [
        [
            str(r["interview"]),
            r["participant_id"],
            r["order_value"] or "",
            str(r["themes_voiced"]),
            str(r["new_themes"]),
            str(r["cumulative_themes"]),
            "" if r["base_themes"] is None else str(r["base_themes"]),
            "" if r["run_new_themes"] is None else str(r["run_new_themes"]),
            _pct(r["new_information"], 1),
            {True: "yes", False: "no", None: ""}[r["meets_threshold"]],
        ]
        for r in frame.iter_rows(named=True)
    ]
    columns = [
        "interview",
        "participant",
        "order",
        "voiced",
        "new",
        "cumulative",
        "base",
        "run new",
        "new info",
        "met",
    ]
    return [_table(title, columns, rows, statement)]


def _agreement_view(frame: Any, title: str) -> list[Any]:
    # The notes are long sentences; in an 80-column terminal they squeeze every column to an
    # ellipsis. The table shows a mark per note and explains each mark once, in the caption.
    marks: dict[str, str] = {}
    rows = []
    for r in frame.iter_rows(named=True):
        note = r["note"] or ""
        if note and note not in marks:
            marks[note] = "*" * (len(marks) + 1)
        rows.append(
            [
                "  " * int(r["depth"]) + str(r["label"]),
                str(r["units"]),
                _pct(r["percent_agreement"]),
                _num(r["kappa"]),
                _num(r["alpha"]),
                marks.get(note, ""),
            ]
        )
    caption = (
        "unit = participant × theme, for participants coded by at least two coders; "
        "kappa: Cohen (two coders only); alpha: Krippendorff (nominal)"
    )
    for note, mark in marks.items():
        caption += f"\n{mark} {note}"
    return [_table(title, ["theme", "units", "agree", "kappa", "alpha", ""], rows, caption)]


def _emit(
    loaded: Any,
    frame: Any,
    fmt: str | None,
    output: Path | None,
    *,
    view: Any,
    extra: dict[str, Any] | None = None,
) -> str:
    """Write ``frame`` in the chosen format (returned); ``view()`` gives the terminal tables."""
    from toolkit.output import emit_frame, infer_format
    from toolkit.summary import SYNTHETIC_NOTE, result_meta

    chosen = infer_format(fmt, output, interactive=sys.stdout.isatty())
    table = None
    if chosen == "table":
        from rich.console import Group
        from rich.text import Text

        banner: list[Any] = [Text(SYNTHETIC_NOTE, style="bold reverse")] if loaded.synthetic else []
        table = Group(*banner, *view())
    meta = {**result_meta(loaded), **(extra or {})}
    emit_frame(frame, fmt=chosen, output=output, meta=meta, table=table)
    if output is not None:
        click.echo(f"Wrote {output}", err=True)
    return chosen


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
    from toolkit.io.study import load_study
    from toolkit.stats.subgroups import differences as compute

    loaded = load_study(study)
    loaded.require_codes()
    frame = compute(loaded, by=by, method=method, level=ci_level)
    _emit(
        loaded,
        frame,
        fmt,
        output,
        view=lambda: _differences_view(frame, f"{loaded.title}: differences by {by}"),
        extra={
            "by": by,
            "difference_ci": frame["ci_method"][0],
            "difference_level": frame["ci_level"][0],
        },
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
    from toolkit.io.study import load_study
    from toolkit.stats.cooccurrence import participant_cooccurrence, segment_cooccurrence

    loaded = load_study(study)
    loaded.require_codes()
    compute = participant_cooccurrence if unit == "participant" else segment_cooccurrence
    frame = compute(loaded, depth=depth)
    _emit(
        loaded,
        frame,
        fmt,
        output,
        view=lambda: _cooccurrence_view(
            frame, f"{loaded.title}: co-occurrence ({unit} level)", unit
        ),
        extra={"level": unit, "depth": int(frame["depth"][0]) if frame.height else depth},
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
@output_options
def saturation(
    study: Path,
    base: int | None,
    run: int | None,
    threshold: float | None,
    depth: int | None,
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
    from toolkit.io.study import load_study
    from toolkit.stats.saturation import saturation as compute

    loaded = load_study(study)
    loaded.require_codes()
    result = compute(loaded, base=base, run=run, threshold=threshold, depth=depth)
    extra = {
        "statement": result.statement,
        "saturation_point": result.point,
        "base": result.base,
        "run": result.run,
        "threshold": result.threshold,
        "depth": result.depth,
        "order_by": result.order_by,
        "themes_total": result.themes_total,
    }
    chosen = _emit(
        loaded,
        result.curve,
        fmt,
        output,
        view=lambda: _saturation_view(
            result.curve, f"{loaded.title}: saturation", result.statement
        ),
        extra=extra,
    )
    if chosen != "table" or output is not None:  # the terminal table shows it as its caption
        click.echo(f"Saturation: {result.statement}", err=True)


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
    from toolkit.io.study import load_study
    from toolkit.stats.agreement import agreement as compute

    loaded = load_study(study)
    frame = compute(loaded)
    _emit(
        loaded,
        frame,
        fmt,
        output,
        view=lambda: _agreement_view(frame, f"{loaded.title}: coder agreement"),
    )
