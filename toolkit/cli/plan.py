"""`raremix plan`: how many interviews for a given interval width, and the width a sample gives."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from toolkit.cli.options import ci_options, output_options


def _figure(frame: Any, proportions: tuple[float, ...], method: str, level: float) -> str:
    """A self-contained HTML figure (plotly.js inlined): interval width against sample size,
    one line per p, the planned samples marked."""
    import numpy as np
    import plotly.graph_objects as go

    from toolkit.stats.planning import widths

    population = frame["population"][0] if frame.height else None
    top = int(max(60, 1.3 * (frame["n"].max() or 1)))
    top = min(top, population) if population is not None else top
    sizes = np.arange(1, top + 1)
    figure = go.Figure()
    for p in proportions:
        shown = widths(sizes, p, method=method, level=level, population=population)
        figure.add_scatter(x=sizes, y=shown, mode="lines", name=f"p = {p:g}")
    figure.add_scatter(
        x=frame["n"].to_list(),
        y=frame["width"].to_list(),
        mode="markers",
        name="planned",
        marker={"size": 9, "symbol": "diamond"},
    )
    figure.update_layout(
        title=f"Width of the {100 * level:g}% {method} interval against the number interviewed",
        xaxis_title="participants interviewed (n)",
        yaxis_title="full width of the interval",
        yaxis_range=[0, 1],
    )
    html: str = figure.to_html(include_plotlyjs=True, full_html=True, config={"displaylogo": False})
    return html


@click.command()
@click.option(
    "--p",
    "proportions",
    type=click.FloatRange(0, 1),
    multiple=True,
    required=True,
    help="Expected share of participants voicing a theme (repeat for several).",
)
@click.option(
    "--width",
    "widths_wanted",
    type=click.FloatRange(0, 1, min_open=True),
    multiple=True,
    help="Widest acceptable interval (full width, e.g. 0.3); raremix finds the sample size.",
)
@click.option(
    "--n",
    "sizes",
    type=click.IntRange(min=1),
    multiple=True,
    help="A sample size whose interval width to show (repeat for several).",
)
@click.option(
    "--population",
    type=click.IntRange(min=1),
    default=None,
    help="Size N of the known population (a registry); with --ci-method hypergeometric.",
)
@ci_options("wilson at 0.95")
@click.option(
    "--figure",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write a figure of width against sample size (self-contained HTML).",
)
@output_options
def plan(**options: Any) -> None:
    """Plan an interview study by the precision it will give.

    How many participants must be interviewed so that a theme voiced by about p of them has
    an interval no wider than --width, and what width a given sample (--n) gives. The width
    is that of the interval the study would report if exactly p voiced the theme.

    \b
    Examples:
        raremix plan --p 0.2 --p 0.5 --width 0.3
        raremix plan --p 0.5 --n 15 --population 60 --ci-method hypergeometric
    """
    from toolkit.output import emit_frame, infer_format, write_text_atomic
    from toolkit.stats.planning import plan as planning

    method, level = options["ci_method"] or "wilson", options["ci_level"] or 0.95
    frame = planning(
        options["proportions"],
        widths_wanted=options["widths_wanted"],
        sizes=options["sizes"],
        method=method,
        level=level,
        population=options["population"],
    )
    chosen = infer_format(options["fmt"], options["output"], interactive=sys.stdout.isatty())
    meta = {"ci_method": method, "ci_level": level, "population": options["population"]}
    emit_frame(frame, fmt=chosen, output=options["output"], meta=meta)
    if options["figure"] is not None:
        write_text_atomic(options["figure"], _figure(frame, options["proportions"], method, level))
        click.echo(f"Wrote {options['figure']}", err=True)
