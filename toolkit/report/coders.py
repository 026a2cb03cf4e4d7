"""Coder uncertainty in the report: a band from "every coder agreed" to "any coder".

raremix's prevalence counts a participant when any coder coded them with the theme (the
union), an upper bound when several coders coded. The band shows the lower bound beside it:
the intersection (every coder who coded the participant agreed). Coders are numbered, never
named (COREQ item 24 asks for the number of coders, not who they were).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from toolkit.analysis import Results
from toolkit.report import tables
from toolkit.report.spec import Table
from toolkit.stats.coders import INTERSECTION, UNION

BAND_NAME = "coders: all agreed (left) to any coder (right)"


def _wide(results: Results) -> pl.DataFrame | None:
    """One row per theme: x/n of the intersection, the union and each coder (protected)."""
    frame = results.coders
    if frame is None or frame.height == 0:
        return None
    return frame.filter(pl.col("depth") <= results.depth)


def coder_table(results: Results) -> Table | None:
    """Prevalence per coder, for the intersection and for the union (None with one coder)."""
    frame = _wide(results)
    if frame is None:
        return None
    coders = [
        c
        for c in frame["coder"].unique(maintain_order=True).to_list()
        if c not in (UNION, INTERSECTION)
    ]
    number = {name: f"Coder {i}" for i, name in enumerate(coders, start=1)}
    order = [INTERSECTION, UNION, *coders]
    rows: list[tuple[str, ...]] = []
    indent: list[int] = []
    for code_id in frame["code_id"].unique(maintain_order=True).to_list():
        part = {
            r["coder"]: r for r in frame.filter(pl.col("code_id") == code_id).iter_rows(named=True)
        }
        first = next(iter(part.values()))
        rows.append(
            (
                str(first["label"]),
                *(_cell(part.get(name)) for name in order),
            )
        )
        indent.append(int(first["depth"]))
    return Table(
        name="coders",
        caption=(
            "Coder uncertainty: participants who voiced each theme when every coder who coded "
            "them agreed (lower bound), when any coder did (the prevalence reported, an upper "
            "bound), and per coder among the participants that coder coded."
        ),
        columns=("Theme", "All coders agreed", "Any coder", *(number[c] for c in coders)),
        rows=tuple(rows),
        align=("l", *("r" for _ in order)),
        indent=tuple(indent),
        notes=(
            "x/n (%); a coder's n is the participants that coder coded. Coders are numbered, "
            "not named.",
        ),
    )


def _cell(row: dict[str, Any] | None) -> str:
    if row is None:
        return tables.DASH
    if row["participants"] is None:
        return tables.SUPPRESSED
    n = row["denominator"]
    return f"{tables.xn(row['participants'], n)} ({tables.pct(row['prevalence'], n=n)})"


def add_band(fig: Any, results: Results) -> None:
    """Draw the coder band (intersection to union) under each theme's dot, where shown."""
    import plotly.graph_objects as go

    frame = _wide(results)
    if frame is None:
        return
    bounds = {
        (code, coder): value
        for code, coder, value in frame.select("code_id", "coder", "prevalence").iter_rows()
    }
    xs: list[float | None] = []
    ys: list[float | None] = []
    for trace in fig.data:
        for code_id, y in zip(trace.customdata or (), trace.y or (), strict=False):
            low, high = bounds.get((code_id, INTERSECTION)), bounds.get((code_id, UNION))
            if low is None or high is None:
                continue  # hidden, or not a theme: no band
            xs += [100 * low, 100 * high, None]
            ys += [y + 0.28, y + 0.28, None]
    if not xs:
        return
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            name=BAND_NAME,
            line={"color": "#8a8f98", "width": 5},
            opacity=0.55,
            hoverinfo="skip",
        )
    )
