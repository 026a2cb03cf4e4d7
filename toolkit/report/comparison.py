"""Assemble the comparison report: cohorts of different conditions side by side (issue 5).

Input: the loaded studies and the :class:`toolkit.compare.Comparison` of them (counts already
suppressed there with each study's ``min_cell``). Output: a
:class:`~toolkit.report.spec.Report` in the same house style as the study report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from toolkit import __version__
from toolkit.model import AttributeSpec, Study
from toolkit.report import figures, tables
from toolkit.report.spec import (
    Banner,
    Block,
    Bullets,
    FigureBlock,
    Note,
    Paragraph,
    Report,
    Section,
    Table,
)


def cohort_names(studies: Sequence[Study]) -> dict[str, str]:
    """Study id -> display name: the condition, or the study id when two share a condition."""
    conditions = [s.manifest.study.condition.name for s in studies]
    return {
        s.id: (
            s.manifest.study.condition.name
            if conditions.count(s.manifest.study.condition.name) == 1
            else s.id
        )
        for s in studies
    }


def _cohort_table(studies: Sequence[Study], names: dict[str, str]) -> Table:
    attributes: dict[str, AttributeSpec] = {}
    for study in studies:
        order_by = study.manifest.analysis.order_by
        for name, spec in study.attributes.items():
            if name != order_by and name not in attributes:
                attributes[name] = spec
    rows: list[tuple[str, ...]] = [
        ("Condition", *(s.manifest.study.condition.name for s in studies)),
        ("Ontology id", *(s.manifest.study.condition.ontology_id or tables.DASH for s in studies)),
    ]
    indent = [0, 0]
    for name, spec in attributes.items():
        per_study: list[dict[str, str] | None] = []
        labels: list[str] = []
        for study in studies:
            if name not in study.participants.columns:
                per_study.append(None)
                continue
            own = {name: study.attributes.get(name, spec)}
            table = tables.cohort_table(
                study.participants,
                own,
                groups=[("x", study.participants)],
                min_cell=study.manifest.analysis.min_cell,
                caption="",
                name="x",
            )
            cells = {row[0]: row[1] for row in table.rows[1:]}
            per_study.append(cells)
            labels += [label for label in cells if label not in labels]
        rows.append(
            (spec.display, *("" if cells is not None else "not recorded" for cells in per_study))
        )
        indent.append(0)
        for label in labels:
            rows.append(
                (
                    label,
                    *(
                        tables.DASH if cells is None else cells.get(label, "0 (0.0%)")
                        for cells in per_study
                    ),
                )
            )
            indent.append(1)
    return Table(
        name="cohorts",
        caption="The cohorts side by side: n (%) or mean (SD), median and range of each participant attribute.",
        columns=("Characteristic", *(f"{names[s.id]} (n={s.n_participants})" for s in studies)),
        rows=tuple(rows),
        align=("l", *("r" for _ in studies)),
        indent=tuple(indent),
    )


def _cell(row: dict[str, Any] | None) -> str:
    if row is None or not row.get("mapped"):
        return "not in codebook"
    if row["participants"] is None:
        return tables.SUPPRESSED
    return f"{row['participants']}/{row['denominator']} ({tables.pct(row['prevalence'])})"


def _prevalence_table(comparison: Any, names: dict[str, str], level: float) -> Table:
    frame = comparison.prevalence
    themes = frame.select("theme_id", "label", "depth").unique(
        subset=["theme_id"], maintain_order=True
    )
    lookup = {(r["theme_id"], r["cohort"]): r for r in frame.iter_rows(named=True)}
    rows = []
    indent = []
    for theme_id, label, depth in themes.iter_rows():
        pooled = lookup.get((theme_id, "pooled"))
        pooled_text = tables.DASH
        i2 = tables.DASH
        if pooled is not None and pooled.get("mapped") and pooled["prevalence"] is not None:
            pooled_text = f"{tables.pct(pooled['prevalence'])} ({tables.ci(pooled['ci_lower'], pooled['ci_upper'])})"
            i2 = tables.pct(pooled["i2"], digits=0)
        rows.append(
            (
                label,
                *(_cell(lookup.get((theme_id, c))) for c in comparison.cohorts),
                pooled_text,
                i2,
            )
        )
        indent.append(int(depth or 0))
    return Table(
        name="comparison",
        caption=(
            f"Theme prevalence in each cohort (x/n, %) and the random-effects pooled prevalence with its "
            f"{100 * level:g}% CI and I² (share of variation due to heterogeneity between cohorts)."
        ),
        columns=(
            "Theme",
            *(names[c] for c in comparison.cohorts),
            f"Pooled ({100 * level:g}% CI)",
            "I²",
        ),
        rows=tuple(rows),
        align=("l", *("r" for _ in comparison.cohorts), "r", "r"),
        indent=tuple(indent),
    )


def _heatmap(comparison: Any, names: dict[str, str]) -> FigureBlock:
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
                row_text.append(tables.SUPPRESSED)
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
        "Theme prevalence in each cohort (participants (%); cell text x/n). Blank cells: the theme is not in "
        "that cohort's codebook (not comparable) or suppressed.",
        width=760,
        height=fig.layout.height or 600,
    )


def _forest(comparison: Any, names: dict[str, str], level: float) -> FigureBlock:
    frame = comparison.prevalence.filter(pl.col("comparable") & pl.col("mapped"))
    frame = frame.with_columns(
        pl.col("cohort").replace_strict({**names, "pooled": "pooled"}, default=pl.col("cohort"))
    ).select("label", "cohort", "prevalence", "ci_lower", "ci_upper")
    fig = figures.forest_plot(frame)
    return FigureBlock(
        "forest",
        fig,
        f"Forest plot per theme: each cohort's prevalence with its {100 * level:g}% CI and the random-effects "
        "pooled estimate (diamond), for the themes every cohort's codebook has.",
        height=fig.layout.height or 800,
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_comparison_report(
    studies: Sequence[Study],
    comparison: Any,
    *,
    crosswalk: Path | None = None,
    now: dt.datetime | None = None,
) -> Report:
    """The comparison report: cohorts, prevalence side by side, heatmap, forest plot, notes.

    Args:
        studies: the loaded studies, in the order compared.
        comparison: :func:`toolkit.compare.compare` of them.
        crosswalk: the crosswalk file used (for the provenance), or None.
        now: the render time (default: now).
    """
    now = now or dt.datetime.now().astimezone()
    names = cohort_names(studies)
    level = float(comparison.level)
    synthetic = bool(comparison.synthetic)
    preamble: tuple[Block, ...] = ()
    if synthetic:
        which = ", ".join(names[s.id] for s in studies if s.synthetic)
        preamble = (
            Banner(
                f"SYNTHETIC DATA: this comparison includes invented cohorts ({which}). "
                "It demonstrates raremix and is not evidence about these conditions."
            ),
        )
    cohorts_text = "; ".join(
        f"{names[s.id]}: {s.title} ({s.n_participants} participants)" for s in studies
    )
    matching = (
        "Codes are mapped to shared themes by a crosswalk."
        if comparison.matching == "crosswalk"
        else "Without a crosswalk, codes with identical code ids are matched."
    )
    notes_frame = comparison.notes
    notes = [m for m in notes_frame["message"].to_list() if m]
    summary: list[Block] = [
        Paragraph(f"Cohorts compared: {cohorts_text}."),
        Paragraph(
            f"{matching} Each cohort keeps its own denominator (all its participants); a participant "
            "counts once per theme, however many of their codes map to it. Pooled estimates are "
            f"random-effects meta-analyses of proportions on the logit scale "
            f"({'REML' if comparison.pooling_method == 'reml' else 'DerSimonian–Laird'})."
        ),
    ]
    sections: list[Section] = [
        Section("summary", "Summary", tuple(summary)),
        Section("cohorts", "Cohorts", (_cohort_table(studies, names),)),
        Section(
            "prevalence",
            "Theme prevalence across cohorts",
            (_prevalence_table(comparison, names, level), _heatmap(comparison, names)),
        ),
        Section("forest", "Pooled estimates", (_forest(comparison, names, level),)),
    ]
    diffs = comparison.differences
    if diffs.height:
        rows = tuple(
            (
                r["label"],
                f"{names.get(r['cohort'], r['cohort'])} − {names.get(r['reference'], r['reference'])}",
                tables.xn(r["participants_cohort"], r["denominator_cohort"]),
                tables.xn(r["participants_reference"], r["denominator_reference"]),
                tables.points(r["difference"]),
                tables.points_ci(r["ci_lower"], r["ci_upper"]),
            )
            for r in diffs.iter_rows(named=True)
        )
        method = tables.METHOD_NAMES.get(str(diffs["ci_method"][0]), str(diffs["ci_method"][0]))
        sections.append(
            Section(
                "differences",
                "Differences between cohorts",
                (
                    Table(
                        name="differences",
                        caption=f"Difference in prevalence between cohorts (percentage points) with {100 * level:g}% CI ({method}).",
                        columns=(
                            "Theme",
                            "Comparison",
                            "Cohort",
                            "Reference",
                            "Difference (pp)",
                            f"{100 * level:g}% CI",
                        ),
                        rows=rows,
                        align=("l", "l", "r", "r", "r", "r"),
                    ),
                ),
            )
        )
    not_compared = comparison.not_compared
    nc_blocks: list[Block] = (
        [Bullets(tuple(notes))] if notes else [Paragraph("No comparability notes.")]
    )
    if not_compared.height:
        nc_blocks.append(
            Table(
                name="not_compared",
                caption="Codes that map to no shared theme: listed, not dropped.",
                columns=("Cohort", "Code", "Label", "Participants", "Reason"),
                rows=tuple(
                    (
                        names.get(r["study_id"], r["study_id"]),
                        r["code_id"],
                        r["label"] or "",
                        tables.xn(r["participants"], r["denominator"]),
                        r["reason"] or "",
                    )
                    for r in not_compared.iter_rows(named=True)
                ),
                align=("l", "l", "l", "r", "l"),
            )
        )
    else:
        nc_blocks.append(Paragraph("Every code of every cohort maps to a shared theme."))
    sections.append(Section("comparability", "Comparability", tuple(nc_blocks)))
    sections.append(
        Section(
            "methods",
            "Methods",
            (
                Paragraph(
                    "How to read these numbers: each cohort is a purposive interview sample, not a random sample "
                    "of people with the condition, so the intervals and the pooled estimate express sampling "
                    "variability under that assumption only. Cohorts were interviewed with different guides and "
                    "coded in their own words; a theme not voiced is not a theme absent, and a theme missing from "
                    "a codebook is not comparable at all. With two or three cohorts, τ² and I² are very imprecise."
                ),
                Paragraph(f"Analysis and report: raremix {__version__}."),
            ),
        )
    )
    provenance: list[Block] = []
    for study in studies:
        provenance.append(
            Table(
                name=f"inputs_{study.id}",
                caption=f"Inputs of {study.id} ({names[study.id]}) and their SHA-256 checksums.",
                columns=("Input", "SHA-256"),
                rows=tuple((f"{i.role}: {i.display}", i.sha256) for i in study.inputs)
                or (("(none recorded)", ""),),
                align=("l", "l"),
            )
        )
    settings = [
        ("Cohorts", ", ".join(comparison.cohorts)),
        ("Matching", comparison.matching),
        ("Pooling", comparison.pooling_method),
        ("Confidence level", f"{level:g}"),
        ("raremix version", __version__),
        ("Rendered at", now.isoformat(timespec="seconds")),
    ]
    if crosswalk is not None:
        settings.insert(2, ("Crosswalk", f"{crosswalk.name} (SHA-256 {_sha256(crosswalk)})"))
    provenance.append(
        tables.key_value_table(
            settings,
            name="settings",
            caption="Settings of this comparison.",
            header=("Setting", "Value"),
        )
    )
    provenance += [Note(w) for s in studies for w in s.warnings]
    sections.append(Section("provenance", "Provenance", tuple(provenance)))
    results = {
        "comparison": comparison.table(),
        "differences": comparison.differences,
        "not_compared": comparison.not_compared,
        "notes": comparison.notes,
        "mappings": comparison.mappings,
    }
    return Report(
        kind="compare",
        slug="compare-" + "-".join(comparison.cohorts),
        title="Theme prevalence across rare-disease cohorts",
        subtitle=" · ".join(names[s.id] for s in studies),
        date=f"{now:%Y-%m-%d}",
        synthetic=synthetic,
        version=__version__,
        sections=tuple(sections),
        results=results,
        preamble=preamble,
    )
