"""The sections of results: prevalence, subgroup differences, co-occurrence, saturation and
coder agreement, each laid out from a protected :class:`~toolkit.analysis.Results` (tables,
figures and their captions, which name the settings the numbers were computed with).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from toolkit.analysis import Results
from toolkit.model import Study
from toolkit.report import figures, tables
from toolkit.report.coders import add_band, coder_table
from toolkit.report.sentences import analysis_notes, ci_text, overall, themes
from toolkit.report.spec import Block, FigureBlock, Note, Paragraph, Section
from toolkit.text import plural


def _domain_of(study: Study, code_ids: Sequence[str], depth: int) -> list[str]:
    from toolkit.stats.hierarchy import tree_order

    if depth == 0:
        return ["Themes"] * len(code_ids)
    order = tree_order(study.codebook)
    label = dict(order.select("code_id", "label").iter_rows())
    roots = {code: label[root] for code, root in order.select("code_id", "root_id").iter_rows()}
    return [roots.get(c, "Other") for c in code_ids]


#: The co-occurrence heatmap draws at most this many themes (cooccurrence.csv has every pair).
HEATMAP_THEMES = 50


def limited_tree(frame: pl.DataFrame, *, depth: int, rows: int) -> tuple[pl.DataFrame, str]:
    """The tree rows a report shows: to ``depth`` and at most ``rows`` of them, in order.

    Returns:
        ``(rows shown, sentence)``: the sentence says what was left out and that
        ``prevalence.csv`` beside the report has every node ("" when nothing was).
    """
    shallow = frame.filter(pl.col("depth") <= depth)
    shown = shallow.head(rows)
    if shown.height == frame.height:
        return shown, ""
    deeper = f", to depth {depth}" if shallow.height < frame.height else ""
    return shown, (
        f"The table shows the first {shown.height:,} of the {frame.height:,} nodes of the "
        f"codebook{deeper} (report.table_depth = {depth}, report.table_rows = {rows}); "
        "prevalence.csv beside this report lists every node."
    )


def prevalence_section(study: Study, results: Results) -> Section:
    """The codebook tree with x/n, % and interval, and the dot plot of the themes."""
    settings = results.settings
    whole = overall(results.need("prevalence"))
    max_depth = settings.theme_depth
    shown = whole if max_depth is None else whole.filter(pl.col("depth") <= max_depth)
    shown, cut = limited_tree(shown, depth=settings.table_depth, rows=settings.table_rows)
    method = tables.METHOD_NAMES.get(settings.ci_method, settings.ci_method)
    table = tables.prevalence_table(
        shown,
        level=settings.ci_level,
        caption=(
            f"Theme prevalence: participants who voiced each node of the codebook or any node below it "
            f"(x/n), with {ci_text(results)}s ({method}) and the number of coded segments."
        ),
    )
    rows = themes(results).head(settings.table_rows)
    frame = rows.with_columns(
        pl.Series("domain", _domain_of(study, rows["code_id"].to_list(), results.depth))
    )
    fig = figures.prevalence_dots(
        frame,
        ci_label=f"{ci_text(results)} ({method})",
        suppressed_label=f"suppressed (fewer than {settings.min_cell})",
    )
    add_band(fig, results)
    drawn = rows.filter(pl.col("participants").is_not_null()).sort(
        "participants", descending=True, maintain_order=True
    )
    alt = (
        f"Dot plot of {rows.height} themes in {frame['domain'].n_unique()} domains, each with its "
        "interval on a 0 to 100% axis"
        + (
            f"; the most voiced is {drawn['label'][0]} ({drawn['participants'][0]}/"
            f"{drawn['denominator'][0]}), the least {drawn['label'][-1]} "
            f"({drawn['participants'][-1]}/{drawn['denominator'][-1]})."
            if drawn.height
            else "."
        )
    )
    suppressed = rows.filter(pl.col("participants").is_null()).height
    caption = (
        f"Prevalence of each theme among the {study.n_participants} participants, with its "
        f"{ci_text(results)} ({method}), grouped by domain."
    )
    if suppressed:
        caption += (
            f" {plural(suppressed, 'theme')} with a suppressed count: drawn as an open grey "
            "marker at the left edge, named in the legend, with no value."
        )
    if results.coders is not None:
        caption += (
            " The grey band under a theme runs from the share voicing it when every coder "
            "agreed to the share when any coder coded it (the prevalence shown)."
        )
    blocks: list[Block] = [
        table,
        *([Note(cut)] if cut else []),
        FigureBlock("prevalence", fig, caption, height=fig.layout.height or 460, alt=alt),
    ]
    return Section("prevalence", "Theme prevalence", tuple(blocks))


def differences_section(study: Study, results: Results) -> Section | None:
    """Subgroup differences: table and forest plot (None when there are none)."""
    if results.differences is None or results.differences.height == 0:
        return None
    settings = results.settings
    every = results.differences.filter(pl.col("depth") <= results.depth)
    frame = every.head(settings.table_rows)  # thousands of themes: a bounded table and plot
    method = tables.METHOD_NAMES.get(settings.difference_method, settings.difference_method)
    table = tables.differences_table(
        frame,
        level=settings.ci_level,
        caption=(
            f"Differences in prevalence between subgroups (group minus reference, percentage points), "
            f"{ci_text(results)} ({method}), two-sided Fisher's exact p and Benjamini–Hochberg "
            "adjusted p, grouped by comparison (group against reference)."
        ),
        displays={name: spec.display for name, spec in study.attributes.items()},
    )
    fig_frame = frame.filter(pl.col("depth") == results.depth).with_columns(
        (pl.col("level") + " − " + pl.col("reference")).alias("comparison")
    )
    fig = figures.differences_forest(fig_frame)
    smallest = int(
        min(
            [
                v
                for v in [
                    *frame["denominator_level"].to_list(),
                    *frame["denominator_reference"].to_list(),
                ]
                if v is not None
            ]
            or [0]
        )
    )
    caution = (
        f"Small samples: the smallest group has {smallest} participants. With groups this small "
        "the intervals are wide, a difference that is not significant is not evidence of no "
        "difference, and adjusted p-values are for screening, not confirmation."
    )
    if every.height > frame.height:
        caution += (
            f" The table and the figure show the first {frame.height:,} of {every.height:,} "
            "comparisons (report.table_rows); differences.csv beside this report has every one."
        )
    return Section(
        "differences",
        "Subgroup differences",
        (
            Note(caution),
            table,
            FigureBlock(
                "differences",
                fig,
                f"Difference in theme prevalence between subgroups with its {ci_text(results)} ({method}); "
                "the dotted line marks no difference.",
                height=fig.layout.height or 460,
                alt=(
                    f"Forest plot of the difference in prevalence for {fig_frame['label'].n_unique()} "
                    f"themes and {fig_frame['comparison'].n_unique()} subgroup comparisons, each "
                    "a point with its interval, in percentage points from −100 to +100, with a "
                    "dotted line at no difference."
                ),
            ),
        ),
    )


def cooccurrence_section(study: Study, results: Results) -> Section | None:
    """The heatmap of participants voicing both themes (None below two themes)."""
    cooc = results.need("cooccurrence")
    codes = list(dict.fromkeys(cooc["code_a"].to_list()))
    if len(codes) < 2:
        return None
    # Labels told apart by their parent where two codes share one (issue 13).
    named = dict(themes(results).select("code_id", "label").iter_rows())
    own = dict(cooc.select("code_a", "label_a").iter_rows())
    labels = [str(named.get(c) or own[c]) for c in codes]
    themes_total = len(codes)
    labels, codes = labels[:HEATMAP_THEMES], codes[:HEATMAP_THEMES]
    lookup = {
        (a, b): v for a, b, v in cooc.select("code_a", "code_b", "participants_both").iter_rows()
    }
    # a pair missing from a sparse frame (many themes) co-occurs in nobody; None: suppressed
    matrix = [[lookup.get((a, b), 0) for b in codes] for a in codes]
    fig = figures.cooccurrence_heatmap(labels, matrix, denominator=study.n_participants)
    return Section(
        "cooccurrence",
        "Co-occurrence of themes",
        (
            FigureBlock(
                "cooccurrence",
                fig,
                "Participants who voiced both themes (row and column); the diagonal is each "
                "theme's own count. Darker cells: fewer participants."
                + (
                    f" The first {HEATMAP_THEMES} of {themes_total} themes are drawn; "
                    "cooccurrence.csv beside this report has every pair."
                    if themes_total > HEATMAP_THEMES
                    else ""
                ),
                width=820,
                height=fig.layout.height or 600,
                alt=(
                    f"Heatmap of {len(labels)} by {len(labels)} themes; each cell holds the "
                    "number of participants who voiced both themes, darker for fewer."
                ),
            ),
        ),
    )


def _sentence(text: str) -> str:
    return text if text.endswith(".") else text + "."


def saturation_section(study: Study, results: Results) -> Section:
    """The saturation statement, method and curve, or why it was not assessed."""
    sat = results.saturation
    if sat is None:
        return Section(
            "saturation",
            "Saturation",
            tuple(Note(n) for n in analysis_notes(results))
            or (Note("Saturation was not assessed."),),
        )
    curve = sat.curve.select("interview", "new_themes", "cumulative_themes")
    fig = figures.saturation_curve(curve, total_themes=sat.themes_total)
    order = (
        f"Interviews are ordered by {study.attribute(sat.order_by).display.lower()}."
        if sat.order_by
        else "Interviews are in the order of the participants table."
    )
    return Section(
        "saturation",
        "Saturation",
        (
            Paragraph(_sentence(tables.heading(sat.statement))),
            Note(
                f"Method: Guest, Namey and Chen (2020), base size {sat.base}, run length {sat.run}, "
                f"new-information threshold {100 * sat.threshold:g}%. {order}"
            ),
            FigureBlock(
                "saturation",
                fig,
                "New themes in each interview (bars) and the share of all themes found so far (line).",
                height=fig.layout.height or 380,
                alt=(
                    f"Bars of new themes in each of {curve.height} interviews, in order, and a "
                    "line rising to 100% of themes found. " + tables.heading(sat.statement)
                ),
            ),
        ),
    )


def agreement_section(results: Results) -> Section | None:
    """Coder agreement per theme (None with a single coder)."""
    if results.agreement is None:
        return None
    frame = results.agreement.filter(pl.col("depth") <= results.depth)
    coders = int(results.agreement["coders"][0]) if results.agreement.height else 0
    table = tables.agreement_table(
        frame,
        caption=(
            f"Agreement between {coders} coders on whether each participant voiced each theme "
            "(participants coded by at least two coders)."
        ),
    )
    band = coder_table(results)
    return Section("agreement", "Coder agreement", (table, *([band] if band else [])))
