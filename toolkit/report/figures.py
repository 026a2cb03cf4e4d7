"""Report figures: pure functions from a result frame to a plotly ``Figure``.

House style: the Okabe–Ito palette (distinguishable with the common colour-vision
deficiencies), cividis for heatmaps, percentages on a 0–100 axis labelled
"participants (%)", hover text with x/n and the interval. Frames come in already protected
(suppressed rows have null counts): those rows are left out of the figure and the caption
says so (see :mod:`toolkit.report.document`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
import polars as pl

OKABE_ITO = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#E69F00",  # orange
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow (last: weak on white)
)
FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
PERCENT_AXIS = "participants (%)"


def _layout(fig: go.Figure, *, height: int, left: int = 10) -> go.Figure:
    fig.update_layout(
        template="simple_white",
        font={"family": FONT, "size": 13, "color": "#1d2433"},
        height=height,
        margin={"l": left, "r": 20, "t": 30, "b": 110},
        # At the foot of the figure, below the axis title: a legend above the plot sits
        # under plotly's toolbar (top right).
        legend={
            "orientation": "h",
            "yref": "container",
            "yanchor": "bottom",
            "y": 0.0,
            "x": 0,
            "title": {"text": ""},
        },
        hoverlabel={"font": {"family": FONT}},
    )
    return fig


def row_height(rows: int, *, per_row: int = 24, base: int = 150, minimum: int = 280) -> int:
    """A figure height that gives each category row ``per_row`` pixels."""
    return max(minimum, base + per_row * rows)


def _pct(values: Sequence[float | None]) -> list[float | None]:
    return [None if v is None else 100.0 * v for v in values]


SUPPRESSED_STYLE = {"color": "#8a8f98", "symbol": "x-open", "size": 10}


def prevalence_dots(
    frame: pl.DataFrame, *, ci_label: str, suppressed_label: str = "suppressed (small count)"
) -> go.Figure:
    """Dot-and-interval plot of theme prevalence, grouped by domain: each domain is a bold
    heading row above its themes (position and label, not colour alone) and has its own
    colour and marker shape. Suppressed themes keep their row, drawn as an open grey marker
    at 0 with no value, named in the legend.

    Args:
        frame: one row per theme in display order, columns ``label``, ``domain``,
            ``participants``, ``denominator``, ``prevalence``, ``ci_lower``, ``ci_upper``
            (proportions in [0, 1]; a null prevalence is a suppressed count).
        ci_label: e.g. "95% CI (Wilson)", for the hover text and legend.
        suppressed_label: the legend entry of suppressed themes.
    """
    fig = go.Figure()
    domains = list(dict.fromkeys(frame["domain"].to_list()))
    grouped = len(domains) > 1 or domains[:1] != ["Themes"]
    labels: list[str] = []
    bold: list[bool] = []
    position: dict[tuple[str, str], int] = {}
    for domain in domains:
        part = frame.filter(pl.col("domain") == domain)
        members = part["label"].to_list()
        if grouped and members != [domain]:
            labels.append(domain)
            bold.append(True)
        for label in members:
            position[(domain, label)] = len(labels)
            labels.append(label)
            bold.append(grouped and members == [domain])
    symbols = ["circle", "square", "diamond", "triangle-up", "triangle-down", "star"]
    for i, domain in enumerate(domains):
        part = frame.filter((pl.col("domain") == domain) & pl.col("prevalence").is_not_null())
        if part.height == 0:
            continue
        prevalence = _pct(part["prevalence"].to_list())
        lower = _pct(part["ci_lower"].to_list())
        upper = _pct(part["ci_upper"].to_list())
        hover = [
            f"{label}<br>{x}/{n} participants ({p:.0f}%)<br>{ci_label}: {lo:.0f}–{hi:.0f}%"
            for label, x, n, p, lo, hi in zip(
                part["label"],
                part["participants"],
                part["denominator"],
                prevalence,
                lower,
                upper,
                strict=True,
            )
            if p is not None and lo is not None and hi is not None
        ]
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        fig.add_trace(
            go.Scatter(
                x=prevalence,
                y=[position[(domain, label)] for label in part["label"].to_list()],
                mode="markers",
                name=domain,
                customdata=part["code_id"].to_list() if "code_id" in part.columns else None,
                marker={"color": colour, "size": 10, "symbol": symbols[i % len(symbols)]},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [(u or 0) - (p or 0) for u, p in zip(upper, prevalence, strict=True)],
                    "arrayminus": [
                        (p or 0) - (lo or 0) for lo, p in zip(lower, prevalence, strict=True)
                    ],
                    "thickness": 2,
                    "width": 4,
                    "color": colour,
                },
                hovertext=hover,
                hoverinfo="text",
            )
        )
    hidden = frame.filter(pl.col("prevalence").is_null())
    if hidden.height:
        fig.add_trace(
            go.Scatter(
                x=[0.0] * hidden.height,
                y=[position[(d, lab)] for d, lab in hidden.select("domain", "label").rows()],
                mode="markers",
                name=suppressed_label,
                marker=SUPPRESSED_STYLE,
                hovertext=[f"{lab}: {suppressed_label}" for lab in hidden["label"].to_list()],
                hoverinfo="text",
            )
        )
    fig.update_xaxes(
        title_text=PERCENT_AXIS, range=[-2, 102], dtick=20, showgrid=True, gridcolor="#e6e8ec"
    )
    _banded_axis(fig, labels, bold=bold)
    return _layout(fig, height=row_height(len(labels)))


def _offsets(count: int) -> list[float]:
    """Vertical offsets of ``count`` series inside one row band (0 for a single series)."""
    if count <= 1:
        return [0.0]
    spread = min(0.3, 0.12 * (count - 1))
    return [-spread + 2 * spread * k / (count - 1) for k in range(count)]


def _banded_axis(fig: go.Figure, labels: Sequence[str], *, bold: Sequence[bool] = ()) -> None:
    """A top-down category axis on numeric positions, with a light band behind every other row.

    Rows hold several series side by side (offset vertically), so no marker hides another.
    """
    text = [f"<b>{label}</b>" if (bold and bold[i]) else label for i, label in enumerate(labels)]
    fig.update_yaxes(
        tickmode="array",
        tickvals=list(range(len(labels))),
        ticktext=text,
        range=[len(labels) - 0.5, -0.5],
        automargin=True,
        title_text="",
        showgrid=False,
        zeroline=False,
        ticks="",
    )
    for i in range(0, len(labels), 2):
        fig.add_shape(
            type="rect",
            xref="paper",
            x0=0,
            x1=1,
            y0=i - 0.5,
            y1=i + 0.5,
            fillcolor="#f1f3f6",
            line={"width": 0},
            layer="below",
        )


def differences_forest(frame: pl.DataFrame) -> go.Figure:
    """Differences in prevalence between subgroups, with intervals, one colour per comparison.

    Each theme is one row band; the comparisons sit one below the other inside it.

    Args:
        frame: columns ``label``, ``comparison`` (e.g. "Active − Remission"), ``difference``,
            ``ci_lower``, ``ci_upper`` (proportions in [−1, 1]).
    """
    fig = go.Figure()
    order = list(dict.fromkeys(frame["label"].to_list()))
    # Every comparison keeps its place in each row band, also where its value is hidden.
    comparisons = list(dict.fromkeys(frame["comparison"].to_list()))
    hidden = frame.filter(pl.col("difference").is_null())
    frame = frame.filter(pl.col("difference").is_not_null())
    position = {label: i for i, label in enumerate(order)}
    offsets = _offsets(len(comparisons))
    for i, comparison in enumerate(comparisons):
        part = frame.filter(pl.col("comparison") == comparison)
        if part.height == 0:
            continue
        d = _pct(part["difference"].to_list())
        lo = _pct(part["ci_lower"].to_list())
        hi = _pct(part["ci_upper"].to_list())
        labels = part["label"].to_list()
        fig.add_trace(
            go.Scatter(
                x=d,
                y=[position[label] + offsets[i] for label in labels],
                mode="markers",
                name=comparison,
                marker={
                    "color": OKABE_ITO[i % len(OKABE_ITO)],
                    "size": 9,
                    "symbol": ["circle", "square", "diamond", "triangle-up"][i % 4],
                },
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [(h or 0) - (v or 0) for h, v in zip(hi, d, strict=True)],
                    "arrayminus": [(v or 0) - (low or 0) for low, v in zip(lo, d, strict=True)],
                    "thickness": 2,
                    "width": 3,
                    "color": OKABE_ITO[i % len(OKABE_ITO)],
                },
                text=labels,
                hovertemplate="%{text}<br>"
                + comparison
                + ": %{x:.1f} percentage points<extra></extra>",
            )
        )
    if hidden.height:
        fig.add_trace(
            go.Scatter(
                x=[0.0] * hidden.height,
                y=[
                    position[label] + offsets[comparisons.index(comparison)]
                    for label, comparison in hidden.select("label", "comparison").rows()
                ],
                mode="markers",
                name="suppressed or not estimable (no value)",
                marker=SUPPRESSED_STYLE,
                text=[f"{lab}, {c}" for lab, c in hidden.select("label", "comparison").rows()],
                hovertemplate="%{text}: suppressed or not estimable<extra></extra>",
            )
        )
    fig.add_vline(x=0, line={"color": "#5b6475", "width": 1, "dash": "dot"})
    fig.update_xaxes(
        title_text="difference in participants (percentage points)",
        range=[-102, 102],
        dtick=25,
        showgrid=True,
        gridcolor="#dde1e7",
    )
    _banded_axis(fig, order)
    per_row = 14 + 12 * len(comparisons)
    return _layout(fig, height=row_height(len(order), per_row=per_row))


def cooccurrence_heatmap(
    labels: Sequence[str], counts: Sequence[Sequence[int | None]], *, denominator: int
) -> go.Figure:
    """Heatmap of how many participants voiced both themes (diagonal: each theme alone).

    Args:
        labels: theme labels, in display order (rows and columns).
        counts: square matrix of participant counts (None where suppressed).
        denominator: participants in the study, for the hover percentages.
    """
    text = [["s" if c is None else str(c) for c in row] for row in counts]
    hover = [
        [
            f"{labels[i]} and {labels[j]}: "
            + (
                "suppressed"
                if c is None
                else f"{c}/{denominator} participants ({100.0 * c / denominator:.1f}%)"
            )
            for j, c in enumerate(row)
        ]
        for i, row in enumerate(counts)
    ]
    fig = go.Figure(
        go.Heatmap(
            z=[[None if c is None else c for c in row] for row in counts],
            x=list(labels),
            y=list(labels),
            text=text,
            texttemplate="%{text}",
            hovertext=hover,
            hoverinfo="text",
            colorscale="Cividis",
            zmin=0,
            zmax=max(denominator, 1),
            colorbar={"title": {"text": "participants", "side": "top"}, "thickness": 14},
            xgap=1,
            ygap=1,
        )
    )
    if any(c is None for row in counts for c in row):
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name="s: suppressed (blank cell)",
                marker={
                    "color": "#ffffff",
                    "symbol": "square",
                    "line": {"color": "#8a8f98", "width": 1},
                },
                showlegend=True,
            )
        )
    # Every label drawn (dtick 1: plotly would skip some when crowded), none cut (automargin).
    fig.update_xaxes(tickangle=-40, automargin=True, showgrid=False, ticks="", dtick=1)
    fig.update_yaxes(autorange="reversed", automargin=True, showgrid=False, ticks="", dtick=1)
    size = row_height(len(labels), per_row=28, base=260, minimum=400)
    fig = _layout(fig, height=size, left=20)
    # Long labels: automargin grows the margins instead of cutting the words.
    fig.update_layout(margin={"b": 60, "t": 20})
    return fig


def saturation_curve(frame: pl.DataFrame, *, total_themes: int) -> go.Figure:
    """New themes per interview (bars) and the cumulative share of themes found (line).

    Args:
        frame: one row per interview in order, columns ``interview`` (1-based position),
            ``new_themes`` and ``cumulative_themes``.
        total_themes: themes found in the whole study (the 100% of the line).
    """
    cumulative_pct = [
        100.0 * c / total_themes if total_themes else 0.0 for c in frame["cumulative_themes"]
    ]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=frame["interview"].to_list(),
            y=frame["new_themes"].to_list(),
            name="new themes in this interview",
            marker={"color": OKABE_ITO[5]},
            yaxis="y2",
            hovertemplate="interview %{x}: %{y} new themes<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=frame["interview"].to_list(),
            y=cumulative_pct,
            mode="lines+markers",
            name="themes found so far (%)",
            line={"color": OKABE_ITO[0], "width": 2.5},
            marker={"size": 6},
            hovertemplate="after %{x} interviews: %{y:.1f}% of themes<extra></extra>",
        )
    )
    fig.update_layout(
        yaxis={"title": {"text": "themes found so far (%)"}, "range": [0, 105]},
        yaxis2={
            "title": {"text": "new themes"},
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "rangemode": "tozero",
            "tickformat": "d",
            "dtick": max(1, -(-int(max(frame["new_themes"].to_list(), default=1) or 1) // 5)),
        },
        xaxis={"title": {"text": "interviews, in order"}, "dtick": 1},
    )
    return _layout(fig, height=380)


def comparison_heatmap(
    themes: Sequence[str],
    cohorts: Sequence[str],
    prevalence: Sequence[Sequence[float | None]],
    text: Sequence[Sequence[str]],
) -> go.Figure:
    """Theme × cohort heatmap of prevalence (proportions; None: not compared/suppressed)."""
    fig = go.Figure(
        go.Heatmap(
            z=[_pct(row) for row in prevalence],
            x=list(cohorts),
            y=list(themes),
            text=[list(r) for r in text],
            texttemplate="%{text}",
            hovertemplate="%{y} in %{x}: %{text}<extra></extra>",
            colorscale="Cividis",
            zmin=0,
            zmax=100,
            colorbar={"title": {"text": PERCENT_AXIS, "side": "top"}, "thickness": 14},
            xgap=2,
            ygap=2,
        )
    )
    fig.update_xaxes(side="top", automargin=True, showgrid=False, ticks="")
    fig.update_yaxes(autorange="reversed", automargin=True, showgrid=False, ticks="")
    return _layout(fig, height=row_height(len(themes), per_row=30, base=160))


def forest_plot(frame: pl.DataFrame) -> go.Figure:
    """Forest plot: per theme, each cohort's prevalence and interval, and the pooled estimate.

    Each theme is one row band (labelled once); inside it the cohorts sit one below the
    other, the pooled estimate (black diamond) last. Rows with ``depth`` 0 (domains) are bold.

    Args:
        frame: columns ``label`` (theme), ``cohort`` ("pooled" for the pooled row),
            ``prevalence``, ``ci_lower``, ``ci_upper`` (proportions), in display order;
            optionally ``depth``.
    """
    frame = frame.filter(pl.col("prevalence").is_not_null())
    fig = go.Figure()
    cohorts = [c for c in dict.fromkeys(frame["cohort"].to_list()) if c != "pooled"]
    themes = list(dict.fromkeys(frame["label"].to_list()))
    position = {label: i for i, label in enumerate(themes)}
    depth = (
        dict(zip(frame["label"].to_list(), frame["depth"].to_list(), strict=True))
        if "depth" in frame.columns
        else {}
    )
    series = [*cohorts, "pooled"]
    offsets = dict(zip(series, _offsets(len(series)), strict=True))
    styles: dict[str, dict[str, Any]] = {
        c: {"color": OKABE_ITO[i % len(OKABE_ITO)], "symbol": "circle", "size": 9}
        for i, c in enumerate(cohorts)
    }
    styles["pooled"] = {"color": "#000000", "symbol": "diamond", "size": 12}
    for cohort in series:
        part = frame.filter(pl.col("cohort") == cohort)
        if part.height == 0:
            continue
        p = _pct(part["prevalence"].to_list())
        lo = _pct(part["ci_lower"].to_list())
        hi = _pct(part["ci_upper"].to_list())
        labels = part["label"].to_list()
        style = styles[cohort]
        name = "pooled (random effects)" if cohort == "pooled" else cohort
        fig.add_trace(
            go.Scatter(
                x=p,
                y=[position[label] + offsets[cohort] for label in labels],
                mode="markers",
                name=name,
                marker={"color": style["color"], "symbol": style["symbol"], "size": style["size"]},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [(h or 0) - (v or 0) for h, v in zip(hi, p, strict=True)],
                    "arrayminus": [(v or 0) - (low or 0) for low, v in zip(lo, p, strict=True)],
                    "thickness": 2,
                    "width": 3,
                    "color": style["color"],
                },
                text=labels,
                hovertemplate="%{text}, " + name + ": %{x:.1f}%<extra></extra>",
            )
        )
    fig.update_xaxes(
        title_text=PERCENT_AXIS, range=[-2, 102], dtick=20, showgrid=True, gridcolor="#dde1e7"
    )
    _banded_axis(fig, themes, bold=[depth.get(t) == 0 for t in themes] if depth else ())
    per_row = 12 + 13 * len(series)
    return _layout(fig, height=row_height(len(themes), per_row=per_row, minimum=240))
