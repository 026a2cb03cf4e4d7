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
                        tables.DASH if cells is None else cells.get(label, "0 (0%)")
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


#: Below this many cohorts there is no pooled estimate (said in words; cohorts side by side).
MIN_POOLED = 3


def pools(comparison: Comparison) -> bool:
    """Whether the report shows pooled estimates: at least :data:`MIN_POOLED` cohorts."""
    return len(comparison.cohorts) >= MIN_POOLED


def _cell(row: dict[str, Any] | None, min_cell: int) -> str:
    if row is None or not row.get("mapped"):
        return "not in codebook"
    if row["participants"] is None:
        return hidden_text(min_cell)
    n = row["denominator"]
    return f"{row['participants']}/{n} ({tables.pct(row['prevalence'], n=n)})"


def _prediction(row: dict[str, Any]) -> tuple[float | None, float | None] | None:
    """The pooled row's prediction interval, when the comparison computed one."""
    for low, high in (("pi_lower", "pi_upper"), ("prediction_lower", "prediction_upper")):
        if low in row and high in row:
            return row[low], row[high]
    return None


def _pooled_cells(pooled: dict[str, Any] | None, with_pi: bool) -> list[str]:
    """Pooled (CI), k, τ², I², Q (p) and the prediction interval of one theme."""
    width = 6 if with_pi else 5
    if pooled is not None and pooled.get("suppressed"):
        return [tables.SUPPRESSED] * width
    k = None if pooled is None else pooled.get("k")
    if k is not None and k < MIN_POOLED:
        # A theme only some cohorts have: below 3 cohorts no pooled estimate, here too.
        return [f"none (k = {k})", str(k), *([tables.DASH] * (width - 2))]
    if pooled is None or not pooled.get("mapped") or pooled["prevalence"] is None:
        return [tables.DASH] * width
    n = pooled.get("denominator")  # the pooled cohorts' participants: the rounding rule's n
    cells = [
        f"{tables.pct(pooled['prevalence'], n=n)} "
        f"({tables.ci(pooled['ci_lower'], pooled['ci_upper'], n=n)})",
        tables.DASH if pooled.get("k") is None else str(pooled["k"]),
        tables.number(pooled.get("tau2"), digits=3),
        tables.pct(pooled["i2"], digits=0),
        f"{tables.number(pooled.get('q'), digits=2)} ({tables.pvalue(pooled.get('q_pvalue'))})"
        if pooled.get("q") is not None
        else tables.DASH,
    ]
    if with_pi:
        interval = _prediction(pooled) or (None, None)
        cells.append(tables.ci(*interval, n=n))
    return cells


def prevalence_table(comparison: Comparison, names: dict[str, str]) -> Table:
    """Each cohort's x/n (%) per theme; from 3 cohorts on, the pooled prevalence with its
    interval, k, τ², I², Q and (when computed) the prediction interval."""
    level = comparison.settings.level
    frame = comparison.prevalence
    pooled_shown = pools(comparison)
    with_pi = pooled_shown and any(c in frame.columns for c in ("pi_lower", "prediction_lower"))
    themes = frame.select("theme_id", "label", "depth").unique(
        subset=["theme_id"], maintain_order=True
    )
    lookup = {(r["theme_id"], r["cohort"]): r for r in frame.iter_rows(named=True)}
    rows = []
    indent = []
    for theme_id, label, depth in themes.iter_rows():
        cohorts = [
            _cell(lookup.get((theme_id, c)), comparison.settings.min_cell)
            for c in comparison.cohorts
        ]
        pooled = _pooled_cells(lookup.get((theme_id, "pooled")), with_pi) if pooled_shown else []
        rows.append((label, *cohorts, *pooled))
        indent.append(int(depth or 0))
    if pooled_shown:
        caption = (
            f"Theme prevalence in each cohort (x/n, %) and the random-effects pooled prevalence "
            f"with its {100 * level:g}% CI, the number of cohorts pooled (k), the between-cohort "
            "variance τ², I² (share of variation due to heterogeneity between cohorts) and "
            "Cochran's Q" + (", and the prediction interval for a new cohort." if with_pi else ".")
        )
        extra = [f"Pooled ({100 * level:g}% CI)", "k", "τ²", "I²", "Q (p)"]
        if with_pi:
            extra.append("Prediction interval")
    else:
        caption = (
            f"Theme prevalence in each cohort (x/n, %), side by side. No pooled estimate: with "
            f"{len(comparison.cohorts)} cohorts (fewer than {MIN_POOLED}) a random-effects "
            "estimate of the between-cohort variance is not meaningful."
        )
        extra = []
    if comparison.settings.min_cell > 1:
        caption += (
            f" A cohort count of fewer than {comparison.settings.min_cell} participants is "
            "suppressed"
            + (
                ", and so is the pooled estimate of its theme, which would give it away."
                if pooled_shown
                else "."
            )
        )
    return Table(
        name="comparison",
        caption=caption,
        columns=("Theme", *(names[c] for c in comparison.cohorts), *extra),
        # With the pooled columns the table is wide: fixed shares keep the numbers unwrapped.
        widths=(24, *(13 for _ in comparison.cohorts), 15, 3, 6, 5, 9, *((10,) if with_pi else ()))
        if pooled_shown
        else None,
        rows=tuple(rows),
        align=("l", *("r" for _ in comparison.cohorts), *("r" for _ in extra)),
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


def crosswalk_table(comparison: Comparison, names: dict[str, str]) -> Table:
    """The crosswalk used: each study code and the shared theme it counts for."""
    rows = tuple(
        (
            names.get(r["study_id"], r["study_id"]),
            r["code_label"] or r["code_id"],
            r["theme_label"] or r["theme_id"],
        )
        for r in comparison.mappings.iter_rows(named=True)
    )
    how = (
        "the crosswalk"
        if comparison.settings.matching == "crosswalk"
        else "identical code ids (no crosswalk)"
    )
    return Table(
        name="crosswalk",
        caption=(
            f"How study codes become shared themes ({how}): a shared theme counts the "
            "participants who voiced any of the codes mapped to it, so a cohort's count for a "
            "shared theme can differ from the count of its own theme of the same name."
        ),
        columns=("Cohort", "Study code", "Shared theme"),
        rows=rows or (("none", "", ""),),
        align=("l", "l", "l"),
    )


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
