"""Assemble the comparison report: cohorts of different conditions side by side (issue 5).

Input: the loaded studies and the :class:`toolkit.compare.Comparison` of them (counts already
suppressed there with the comparison's ``min_cell``, 5 unless the user chose another; the
cohort table here uses the same setting). Output: a
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
from toolkit.report import compare_notes, figures, tables
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


def hidden_text(min_cell: int) -> str:
    """What a suppressed cell says: ``suppressed (fewer than 5)``."""
    return f"{tables.SUPPRESSED} (fewer than {min_cell})"


def _cohort_table(studies: Sequence[Study], names: dict[str, str], min_cell: int) -> Table:
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
                min_cell=min_cell,
                caption="",
                name="x",
            )
            cells = {row[0]: row[1] for row in table.rows[1:]}
            per_study.append(cells)
            labels += [label for label in cells if label not in labels]
        rows.append(
            (
                tables.heading(spec.display),
                *("" if cells is not None else "not recorded" for cells in per_study),
            )
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
    caption = (
        "The cohorts side by side: n (%) or mean (SD), median and range of each participant attribute."
        if min_cell <= 1
        else "The cohorts side by side: n (%) or mean (SD) and median of each participant attribute. "
        f"Counts of 1 to {min_cell - 1} are suppressed (min_cell = {min_cell}), and ranges are not "
        "shown: a minimum or maximum is one participant's exact value."
    )
    return Table(
        name="cohorts",
        caption=caption,
        columns=("Characteristic", *(f"{names[s.id]} (n={s.n_participants})" for s in studies)),
        rows=tuple(rows),
        align=("l", *("r" for _ in studies)),
        indent=tuple(indent),
    )


def _cell(row: dict[str, Any] | None, min_cell: int) -> str:
    if row is None or not row.get("mapped"):
        return "not in codebook"
    if row["participants"] is None:
        return hidden_text(min_cell)
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
        if pooled is not None and pooled.get("suppressed"):
            pooled_text = i2 = tables.SUPPRESSED
        elif pooled is not None and pooled.get("mapped") and pooled["prevalence"] is not None:
            pooled_text = f"{tables.pct(pooled['prevalence'])} ({tables.ci(pooled['ci_lower'], pooled['ci_upper'])})"
            i2 = tables.pct(pooled["i2"], digits=0)
        rows.append(
            (
                label,
                *(
                    _cell(lookup.get((theme_id, c)), comparison.min_cell)
                    for c in comparison.cohorts
                ),
                pooled_text,
                i2,
            )
        )
        indent.append(int(depth or 0))
    caption = (
        f"Theme prevalence in each cohort (x/n, %) and the random-effects pooled prevalence with its "
        f"{100 * level:g}% CI and I² (share of variation due to heterogeneity between cohorts)."
    )
    if comparison.min_cell > 1:
        caption += (
            f" A cohort count of fewer than {comparison.min_cell} participants is suppressed, and "
            "so is the pooled estimate of its theme, which would give it away."
        )
    return Table(
        name="comparison",
        caption=caption,
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
                row_text.append(hidden_text(comparison.min_cell))
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
        f"{comparison.min_cell} participants voiced the theme (small-cell suppression).",
        width=760,
        height=fig.layout.height or 600,
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


def _forest(comparison: Any, names: dict[str, str], level: float) -> list[FigureBlock]:
    """One forest plot per domain (top-level theme), so every label stays legible in print."""
    frame = comparison.prevalence.filter(pl.col("comparable") & pl.col("mapped"))
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
                f"Forest plot, {which}each cohort's prevalence (participants (%)) with its "
                f"{100 * level:g}% CI and the random-effects pooled estimate (black diamond), "
                "for the themes every cohort's codebook has.",
                height=fig.layout.height or 400,
            )
        )
    return blocks


def _pooling_name(method: str) -> str:
    return {"reml": "REML", "dl": "DerSimonian–Laird"}.get(method, method)


def comparison_findings(comparison: Any, names: dict[str, str], level: float) -> list[str]:
    """Sentences to paste: the largest differences between cohorts and the most heterogeneous
    pooled themes, each with x/n and the interval."""
    found: list[str] = []
    diffs = comparison.differences.filter(pl.col("difference").is_not_null())
    if diffs.height:
        biggest = (
            diffs.with_columns(pl.col("difference").abs().alias("_abs"))
            .sort("_abs", descending=True, maintain_order=True)
            .head(3)
        )
        for r in biggest.iter_rows(named=True):
            first = names.get(r["cohort"], r["cohort"])
            second = names.get(r["reference"], r["reference"])
            found.append(
                f"{r['label']}: voiced by {r['participants_cohort']}/{r['denominator_cohort']} "
                f"({tables.pct(r['prevalence_cohort'])}) in {first} against "
                f"{r['participants_reference']}/{r['denominator_reference']} "
                f"({tables.pct(r['prevalence_reference'])}) in {second}, a difference of "
                f"{tables.points(r['difference'])} percentage points ({100 * level:g}% CI "
                f"{tables.points_ci(r['ci_lower'], r['ci_upper'])})."
            )
    pooled = comparison.prevalence.filter(
        (pl.col("cohort") == "pooled") & pl.col("i2").is_not_null() & (pl.col("i2") >= 0.5)
    ).sort("i2", descending=True, maintain_order=True)
    if pooled.height:
        listed = ", ".join(
            f"{r['label']} (I² {tables.pct(r['i2'], digits=0)})"
            for r in pooled.head(4).iter_rows(named=True)
        )
        found.append(
            f"The cohorts disagree most (I² of 50% or more) on {listed}: for these themes the "
            "pooled estimate averages over real differences and is best not quoted alone."
        )
    if not found:
        found.append("No difference between cohorts could be estimated.")
    return found


def _suppression_text(min_cell: int) -> str:
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
    notes_frame = compare_notes.notes_frame(comparison)
    notes = [m for m in notes_frame["message"].to_list() if m]
    summary: list[Block] = [
        Paragraph(f"Cohorts compared: {cohorts_text}."),
        Paragraph(
            f"{matching} Each cohort keeps its own denominator (all its participants); a participant "
            "counts once per theme, however many of their codes map to it. Pooled estimates are "
            f"random-effects meta-analyses of proportions on the logit scale "
            f"({_pooling_name(comparison.pooling_method)})."
        ),
        Bullets(tuple(comparison_findings(comparison, names, level))),
        Note(
            "Each cohort is a small purposive sample: a difference here describes these "
            "interviews, not the conditions, and a theme not voiced is not a theme absent."
        ),
    ]
    sections: list[Section] = [
        Section("summary", "Summary", tuple(summary)),
        Section("cohorts", "Cohorts", (_cohort_table(studies, names, comparison.min_cell),)),
        Section(
            "prevalence",
            "Theme prevalence across cohorts",
            (_prevalence_table(comparison, names, level), _heatmap(comparison, names)),
        ),
        Section("forest", "Pooled estimates", tuple(_forest(comparison, names, level))),
    ]
    diffs = comparison.differences
    if diffs.height:
        chosen = comparison.settings.difference_method
        method = tables.METHOD_NAMES.get(chosen, chosen)
        pairs = diffs.select("cohort", "reference").unique(maintain_order=True).rows()
        depths = dict(
            comparison.prevalence.select("theme_id", "depth")
            .unique(subset=["theme_id"], maintain_order=True)
            .iter_rows()
        )
        blocks: list[Block] = []
        for number, (cohort, reference) in enumerate(pairs, start=1):
            part = diffs.filter((pl.col("cohort") == cohort) & (pl.col("reference") == reference))
            first, second = names.get(cohort, cohort), names.get(reference, reference)
            blocks.append(
                Table(
                    name="differences" if number == 1 else f"differences_{number}",
                    caption=(
                        f"{first} minus {second}: difference in theme prevalence (percentage "
                        f"points) with its {100 * level:g}% CI ({method})."
                        + (
                            f" Where either count is below {comparison.min_cell}, the difference "
                            "is suppressed too: with the other count shown it would reveal it."
                            if comparison.min_cell > 1
                            else ""
                        )
                    ),
                    columns=(
                        "Theme",
                        first,
                        second,
                        "Difference (pp)",
                        f"{100 * level:g}% CI",
                    ),
                    rows=tuple(
                        (
                            r["label"],
                            tables.xn(r["participants_cohort"], r["denominator_cohort"]),
                            tables.xn(r["participants_reference"], r["denominator_reference"]),
                            tables.SUPPRESSED
                            if r["suppressed"]
                            else tables.points(r["difference"]),
                            tables.SUPPRESSED
                            if r["suppressed"]
                            else tables.points_ci(r["ci_lower"], r["ci_upper"]),
                        )
                        for r in part.iter_rows(named=True)
                    ),
                    align=("l", "r", "r", "r", "r"),
                    indent=tuple(int(depths.get(t) or 0) for t in part["theme_id"].to_list()),
                )
            )
        sections.append(Section("differences", "Differences between cohorts", tuple(blocks)))
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
                Paragraph(_suppression_text(comparison.min_cell)),
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
        ("Pooling", _pooling_name(comparison.pooling_method)),
        ("Confidence level", f"{level:g}"),
        ("Minimum cell size", str(comparison.min_cell)),
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
        "notes": notes_frame,
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
