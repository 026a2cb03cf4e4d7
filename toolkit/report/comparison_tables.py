"""The tables of the comparison report: cohorts, prevalence across cohorts, differences
between cohorts, and codes not compared.

Settings (interval level and method, ``min_cell``) are read from ``comparison.settings``, the
settings the comparison was computed with; study facts from the
:class:`~toolkit.model.Study` properties. Counts arrive suppressed; the cohorts' participant
characteristics arrive protected from :func:`toolkit.analysis.run.analyse_cohorts`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from toolkit.compare import Comparison
from toolkit.model import Study
from toolkit.report import tables
from toolkit.report.spec import Block, Table


def cohort_names(studies: Sequence[Study]) -> dict[str, str]:
    """Study id -> display name: the condition, or the study id when two share a condition."""
    conditions = [s.condition for s in studies]
    return {s.id: s.condition if conditions.count(s.condition) == 1 else s.id for s in studies}


def hidden_text(min_cell: int) -> str:
    """What a suppressed cell says: ``suppressed (fewer than 5)``."""
    return f"{tables.SUPPRESSED} (fewer than {min_cell})"


def cohort_table(
    studies: Sequence[Study],
    names: dict[str, str],
    cohorts: Mapping[str, pl.DataFrame],
    min_cell: int,
) -> Table:
    """The cohorts side by side: each attribute's levels or summaries in each cohort.

    Args:
        studies: the compared studies, in order.
        names: :func:`cohort_names` of them.
        cohorts: study id -> its protected participants' characteristics (overall).
        min_cell: the comparison's small-cell threshold (the frames were protected with it).
    """
    displays: dict[str, str] = {}
    for study in studies:
        frame = cohorts[study.id]
        for name, display in (
            frame.select("attribute", "display").unique(maintain_order=True).rows()
        ):
            displays.setdefault(name, display)
    rows: list[tuple[str, ...]] = [
        ("Condition", *(s.condition for s in studies)),
        ("Ontology id", *(s.ontology_id or tables.DASH for s in studies)),
    ]
    indent = [0, 0]
    for name, display in displays.items():
        per_study: list[dict[str, str] | None] = []
        labels: list[str] = []
        for study in studies:
            part = cohorts[study.id].filter(pl.col("attribute") == name)
            if part.height == 0:
                per_study.append(None)
                continue
            table = tables.cohort_table(part, min_cell=min_cell, caption="", name="x")
            cells = {row[0]: row[1] for row in table.rows[1:]}
            per_study.append(cells)
            labels += [label for label in cells if label not in labels]
        rows.append(
            (
                tables.heading(display),
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


def prevalence_table(comparison: Comparison, names: dict[str, str]) -> Table:
    """Each cohort's x/n (%) per theme, the pooled prevalence with its interval, and I²."""
    level = comparison.settings.level
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
                    _cell(lookup.get((theme_id, c)), comparison.settings.min_cell)
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
    if comparison.settings.min_cell > 1:
        caption += (
            f" A cohort count of fewer than {comparison.settings.min_cell} participants is suppressed, and "
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


def differences_tables(comparison: Comparison, names: dict[str, str]) -> list[Block]:
    """One table per pair of cohorts: the difference in prevalence with its interval."""
    settings = comparison.settings
    diffs = comparison.differences
    method = tables.METHOD_NAMES.get(settings.difference_method, settings.difference_method)
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
                    f"points) with its {100 * settings.level:g}% CI ({method})."
                    + (
                        f" Where either count is below {settings.min_cell}, the difference "
                        "is suppressed too: with the other count shown it would reveal it."
                        if settings.min_cell > 1
                        else ""
                    )
                ),
                columns=(
                    "Theme",
                    first,
                    second,
                    "Difference (pp)",
                    f"{100 * settings.level:g}% CI",
                ),
                rows=tuple(
                    (
                        r["label"],
                        tables.xn(r["participants_cohort"], r["denominator_cohort"]),
                        tables.xn(r["participants_reference"], r["denominator_reference"]),
                        tables.SUPPRESSED if r["suppressed"] else tables.points(r["difference"]),
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
    return blocks


def not_compared_table(comparison: Comparison, names: dict[str, str]) -> Table:
    """Codes that map to no shared theme, with their counts and why."""
    return Table(
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
            for r in comparison.not_compared.iter_rows(named=True)
        ),
        align=("l", "l", "l", "r", "l"),
    )
