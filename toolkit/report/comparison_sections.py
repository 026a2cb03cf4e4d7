"""The figures and words of the comparison report: heatmap, forest plots, findings, methods
and provenance.

Settings (interval levels and methods, pooling, matching, ``min_cell``) are read from
``comparison.settings``, the settings the comparison was computed with; study facts from the
:class:`~toolkit.model.Study` properties.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from toolkit import __version__
from toolkit.compare import Comparison
from toolkit.model import Study
from toolkit.report import figures, tables
from toolkit.report.comparison_tables import MIN_POOLED, hidden_text, pools
from toolkit.report.spec import Block, FigureBlock, Note, Table


def heatmap(comparison: Comparison, names: dict[str, str]) -> FigureBlock:
    """Theme prevalence in each cohort as a heatmap."""
    frame = comparison.prevalence.filter(pl.col("cohort") != "pooled")
    themes = frame.select("theme_id", "label").unique(subset=["theme_id"], maintain_order=True)
    lookup = {(r["theme_id"], r["cohort"]): r for r in frame.iter_rows(named=True)}
    values: list[list[float | None]] = []
    text: list[list[str]] = []
    for theme_id, _label in themes.iter_rows():
        row_values: list[float | None] = []
        row_text: list[str] = []
        for cohort in comparison.cohorts:
            row = lookup.get((theme_id, cohort))
            if row is None or not row["mapped"]:
                row_values.append(None)
                row_text.append("not in codebook")
            elif row["participants"] is None:
                row_values.append(None)
                row_text.append(hidden_text(comparison.settings.min_cell))
            else:
                row_values.append(row["prevalence"])
                row_text.append(f"{row['participants']}/{row['denominator']}")
        values.append(row_values)
        text.append(row_text)
    fig = figures.comparison_heatmap(
        themes["label"].to_list(), [names[c] for c in comparison.cohorts], values, text
    )
    return FigureBlock(
        "heatmap",
        fig,
        "Theme prevalence in each cohort: colour shows participants (%), the cell text x/n. "
        '"not in codebook": that cohort\'s codebook has no code for the theme, so it is not '
        'compared; "suppressed": fewer than '
        f"{comparison.settings.min_cell} participants voiced the theme (small-cell suppression).",
        width=760,
        height=fig.layout.height or 600,
        alt=(
            f"Heatmap of {themes.height} shared themes (rows) in {len(comparison.cohorts)} "
            "cohorts (columns); each cell gives x/n and is coloured by the percentage, blank "
            "and labelled where not in a codebook or suppressed."
        ),
    )


def _domain_groups(themes: pl.DataFrame, *, chunk: int = 12) -> list[tuple[str, list[str]]]:
    """Themes (``label``, ``depth`` in display order) grouped under their top-level theme.

    A flat list (every theme at depth 0) is cut into chunks of ``chunk`` themes instead, so
    no figure gets too tall to read in print.
    """
    rows = themes.select("label", "depth").to_dicts()
    if all((r["depth"] or 0) == 0 for r in rows):
        labels = [r["label"] for r in rows]
        return [("", labels[i : i + chunk]) for i in range(0, len(labels), chunk)]
    groups: list[tuple[str, list[str]]] = []
    for row in rows:
        if (row["depth"] or 0) == 0 or not groups:
            groups.append((row["label"], []))
        groups[-1][1].append(row["label"])
    return groups


def forest(comparison: Comparison, names: dict[str, str]) -> list[FigureBlock]:
    """One forest plot per domain (top-level theme), so every label stays legible in print."""
    level = comparison.settings.level
    frame = comparison.prevalence.filter(pl.col("comparable") & pl.col("mapped"))
    pooled = pools(comparison)
    if not pooled:
        frame = frame.filter(pl.col("cohort") != "pooled")
    frame = frame.with_columns(
        pl.col("cohort").replace_strict({**names, "pooled": "pooled"}, default=pl.col("cohort"))
    ).select("theme_id", "label", "depth", "cohort", "prevalence", "ci_lower", "ci_upper")
    themes = frame.unique(subset=["theme_id"], maintain_order=True)
    blocks: list[FigureBlock] = []
    groups = _domain_groups(themes)
    for number, (domain, labels) in enumerate(groups, start=1):
        part = frame.filter(pl.col("label").is_in(labels))
        fig = figures.forest_plot(part)
        which = (
            f"{domain}: "
            if domain
            else (f"part {number} of {len(groups)}: " if len(groups) > 1 else "")
        )
        blocks.append(
            FigureBlock(
                f"forest-{number}",
                fig,
                (
                    f"Forest plot, {which}each cohort's prevalence (participants (%)) with its "
                    f"{100 * level:g}% CI and the random-effects pooled estimate (black diamond), "
                    "for the themes every cohort's codebook has."
                    if pooled
                    else f"Cohorts side by side, {which}each cohort's prevalence (participants "
                    f"(%)) with its {100 * level:g}% CI, for the themes every cohort's codebook "
                    f"has; no pooled estimate with fewer than {MIN_POOLED} cohorts."
                ),
                height=fig.layout.height or 400,
                alt=(
                    f"Forest plot of {len(labels)} themes: for each, one point with its "
                    f"interval per cohort ({', '.join(names[c] for c in comparison.cohorts)})"
                    + (" and a black diamond for the pooled estimate." if pooled else ".")
                ),
            )
        )
    return blocks


def pooling_name(method: str) -> str:
    """``REML`` or ``DerSimonian–Laird``."""
    return {
        "reml": "REML",
        "dl": "DerSimonian–Laird",
        "glmm": "a binomial–normal generalised linear mixed model",
    }.get(method, method)


def comparison_findings(comparison: Comparison, names: dict[str, str]) -> list[str]:
    """Descriptive sentences to paste: each cohort's most voiced themes (ties as ties), with
    x/n and the interval; from 3 cohorts on, every theme on which the cohorts disagree (I² of
    50% or more). Differences are never ranked by their point estimate."""
    level = comparison.settings.level
    found: list[str] = []
    rows = comparison.prevalence.filter(
        (pl.col("cohort") != "pooled") & pl.col("mapped") & pl.col("participants").is_not_null()
    )
    for cohort in comparison.cohorts:
        part = rows.filter((pl.col("cohort") == cohort) & (pl.col("depth") == 0))
        if part.height == 0:
            continue
        top = int(part["participants"].max())  # type: ignore[arg-type]
        best = part.filter(pl.col("participants") == top).to_dicts()
        first = best[0]
        n = first["denominator"]
        labels = [r["label"] for r in best]
        named = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
        verb = (
            "was the most voiced top-level theme"
            if len(labels) == 1
            else "were tied as the most voiced top-level themes"
        )
        found.append(
            f"In {names.get(cohort, cohort)}, {named} {verb}: {top}/{n} participants "
            f"({tables.pct(first['prevalence'], n=n)}; {100 * first['ci_level']:g}% CI "
            f"{tables.ci(first['ci_lower'], first['ci_upper'], n=n)})."
        )
    if pools(comparison):
        pooled = comparison.prevalence.filter(
            (pl.col("cohort") == "pooled")
            & pl.col("i2").is_not_null()
            & (pl.col("i2") >= 0.5)
            & (pl.col("k").is_null() | (pl.col("k") >= MIN_POOLED))
        )
        if pooled.height:
            items = [
                f"{r['label']} (I² {tables.pct(r['i2'], digits=0)})"
                for r in pooled.iter_rows(named=True)
            ]
            listed = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
            found.append(
                f"The cohorts disagree most (I² of 50% or more) on {listed}: for these themes "
                "the pooled estimate averages over real differences and is best not quoted alone."
            )
    else:
        found.append(
            f"No pooled estimate: {len(comparison.cohorts)} cohorts are fewer than "
            f"{MIN_POOLED}, so the cohorts are shown side by side, each with its own "
            f"{100 * level:g}% CI, and compared pair by pair in the differences tables."
        )
    if not found:
        found.append("No theme could be described (every count is suppressed).")
    return found


def suppression_text(min_cell: int) -> str:
    """The methods paragraph on small-cell suppression."""
    if min_cell <= 1:
        return (
            "No small-cell suppression was applied (min_cell = 0, chosen with --min-cell 0): every "
            "count is shown, however small."
        )
    return (
        f"Small-cell suppression: counts of 1 to {min_cell - 1} participants are suppressed "
        f"(min_cell = {min_cell}; comparisons default to 5 whatever each study's own setting, "
        "and --min-cell changes it), together with everything from which such a count could "
        "be worked out: the pooled estimate, I² and total of a theme with a suppressed cohort "
        "count, differences involving it, and segment counts that would add up to it."
    )


def intervals_text(comparison: Comparison, names: dict[str, str]) -> str:
    """The methods paragraph naming the interval methods and levels of the comparison."""
    settings = comparison.settings
    if settings.ci_method is not None and settings.ci_level is not None:
        method = tables.METHOD_NAMES.get(settings.ci_method, settings.ci_method)
        own = f"has {method} intervals at the {100 * settings.ci_level:g}% level"
    else:
        own = "has its study's own interval: " + ", ".join(
            f"{tables.METHOD_NAMES.get(c.ci_method, c.ci_method)} at the {100 * c.ci_level:g}% "
            f"level in {names.get(c.cohort, c.cohort)}"
            for c in settings.cohorts
        )
    difference = tables.METHOD_NAMES.get(settings.difference_method, settings.difference_method)
    return (
        f"Each cohort's prevalence {own}. The pooled estimates and the differences between "
        f"cohorts are at the {100 * settings.level:g}% level, the differences with {difference} "
        "intervals."
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def provenance_blocks(
    studies: Sequence[Study],
    comparison: Comparison,
    names: dict[str, str],
    *,
    crosswalk: Path | None,
    rendered_at: dt.datetime,
) -> list[Block]:
    """Each study's inputs with their checksums, the settings of the comparison, warnings."""
    settings = comparison.settings
    blocks: list[Block] = []
    for study in studies:
        blocks.append(
            Table(
                name=f"inputs_{study.id}",
                caption=f"Inputs of {study.id} ({names[study.id]}) and their SHA-256 checksums.",
                columns=("Input", "SHA-256"),
                rows=tuple((f"{i.role}: {i.display}", i.sha256) for i in study.inputs)
                or (("(none recorded)", ""),),
                align=("l", "l"),
            )
        )
    rows = [
        ("Cohorts", ", ".join(comparison.cohorts)),
        ("Matching", settings.matching),
        ("Pooling", pooling_name(settings.pooling)),
        ("Confidence level", f"{settings.level:g}"),
        (
            "Cohort intervals",
            "; ".join(f"{c.cohort}: {c.ci_method}, level {c.ci_level:g}" for c in settings.cohorts),
        ),
        ("Difference intervals", settings.difference_method),
        ("Minimum cell size", str(settings.min_cell)),
        ("raremix version", __version__),
        ("Rendered at", rendered_at.isoformat(timespec="seconds")),
    ]
    if crosswalk is not None:
        rows.insert(2, ("Crosswalk", f"{crosswalk.name} (SHA-256 {_sha256(crosswalk)})"))
    blocks.append(
        tables.key_value_table(
            rows,
            name="settings",
            caption="Settings of this comparison.",
            header=("Setting", "Value"),
        )
    )
    blocks += [Note(w) for s in studies for w in s.warnings]
    return blocks
