"""Assemble the comparison report: cohorts of different conditions side by side (issue 5).

Input: the loaded studies and the :class:`toolkit.compare.Comparison` of them (counts already
suppressed there with the comparison's ``min_cell``, 5 unless the user chose another; the
cohort table uses the same setting, through :func:`toolkit.analysis.run.analyse_cohorts`).
Output: a :class:`~toolkit.report.spec.Report` in the same house style as the study report.
Every setting is read from ``comparison.settings``; the sections are laid out by
:mod:`~toolkit.report.comparison_tables` and :mod:`~toolkit.report.comparison_sections`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

import polars as pl

from toolkit import __version__
from toolkit.compare import Comparison
from toolkit.model import Study
from toolkit.report import compare_notes
from toolkit.report.comparison_sections import (
    comparison_findings,
    forest,
    heatmap,
    intervals_text,
    pooling_name,
    provenance_blocks,
    suppression_text,
)
from toolkit.report.comparison_tables import (
    MIN_POOLED,
    cohort_names,
    cohort_table,
    crosswalk_table,
    differences_tables,
    not_compared_table,
    pools,
    prevalence_table,
)
from toolkit.report.methods import comparison_references
from toolkit.report.spec import Banner, Block, Bullets, Note, Paragraph, Report, Section

READING = (
    "How to read these numbers: each cohort is a purposive interview sample, not a random sample "
    "of people with the condition, so the intervals and the pooled estimate express sampling "
    "variability under that assumption only. Cohorts were interviewed with different guides and "
    "coded in their own words; a theme not voiced is not a theme absent, and a theme missing from "
    "a codebook is not comparable at all. With two or three cohorts, τ² and I² are very imprecise."
)


def _summary(
    studies: Sequence[Study], comparison: Comparison, names: dict[str, str]
) -> list[Block]:
    cohorts_text = "; ".join(
        f"{names[s.id]}: {s.title} ({s.n_participants} participants)" for s in studies
    )
    matching = (
        "Codes are mapped to shared themes by a crosswalk."
        if comparison.settings.matching == "crosswalk"
        else "Without a crosswalk, codes with identical code ids are matched."
    )
    pooled = (
        "Pooled estimates are random-effects meta-analyses of proportions on the logit scale "
        f"({pooling_name(comparison.settings.pooling)}), with k, τ², I² and Q beside them."
        if pools(comparison)
        else f"There is no pooled estimate: with fewer than {MIN_POOLED} cohorts the "
        "between-cohort variance cannot be estimated usefully, so the cohorts are shown side "
        "by side."
    )
    return [
        Paragraph(f"Cohorts compared: {cohorts_text}."),
        Paragraph(
            f"{matching} Each cohort keeps its own denominator (all its participants); a "
            f"participant counts once per theme, however many of their codes map to it. {pooled}"
        ),
        Bullets(tuple(comparison_findings(comparison, names))),
        Note(
            "Each cohort is a small purposive sample: a difference here describes these "
            "interviews, not the conditions, and a theme not voiced is not a theme absent."
        ),
    ]


def build_comparison_report(
    studies: Sequence[Study],
    comparison: Comparison,
    *,
    crosswalk: Path | None = None,
    cohorts: Mapping[str, pl.DataFrame] | None = None,
    now: dt.datetime | None = None,
) -> Report:
    """The comparison report: cohorts, prevalence side by side, heatmap, forest plot, notes.

    Args:
        studies: the loaded studies, in the order compared.
        comparison: :func:`toolkit.compare.compare` of them.
        crosswalk: the crosswalk file used (for the provenance), or None.
        cohorts: study id -> protected participants' characteristics (default:
            :func:`toolkit.analysis.run.analyse_cohorts` with the comparison's ``min_cell``).
        now: the render time (default: now).
    """
    from toolkit.analysis.run import analyse_cohorts

    settings = comparison.settings
    now = now or dt.datetime.now().astimezone()
    names = cohort_names(studies)
    if cohorts is None:
        cohorts = analyse_cohorts(studies, min_cell=settings.min_cell)
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
    notes_frame = compare_notes.notes_frame(comparison, names)
    notes = [m for m in notes_frame["message"].to_list() if m]
    sections: list[Section] = [
        Section("summary", "Summary", tuple(_summary(studies, comparison, names))),
        Section("cohorts", "Cohorts", (cohort_table(studies, names, cohorts, settings.min_cell),)),
        Section(
            "prevalence",
            "Theme prevalence across cohorts",
            (prevalence_table(comparison, names), heatmap(comparison, names)),
        ),
        Section(
            "forest",
            "Pooled estimates" if pools(comparison) else "Cohorts side by side",
            tuple(forest(comparison, names)),
        ),
    ]
    if comparison.differences.height:
        sections.append(
            Section(
                "differences",
                "Differences between cohorts",
                tuple(differences_tables(comparison, names)),
            )
        )
    comparability: list[Block] = (
        [Bullets(tuple(notes))] if notes else [Paragraph("No comparability notes.")]
    )
    comparability.append(crosswalk_table(comparison, names))
    comparability.append(
        not_compared_table(comparison, names)
        if comparison.not_compared.height
        else Paragraph("Every code of every cohort maps to a shared theme.")
    )
    sections.append(Section("comparability", "Comparability", tuple(comparability)))
    methods = (
        Paragraph(READING),
        Paragraph(intervals_text(comparison, names)),
        Paragraph(suppression_text(settings.min_cell)),
        Paragraph(
            f"Analysis and report: raremix {__version__}; cite it as given in CITATION.cff in "
            "the raremix source repository."
        ),
    )
    sections.append(Section("methods", "Methods", methods))
    references = comparison_references(
        [c.ci_method for c in settings.cohorts], settings.difference_method, settings.pooling
    )
    sections.append(Section("references", "References", (Bullets(tuple(references)),)))
    provenance = provenance_blocks(studies, comparison, names, crosswalk=crosswalk, rendered_at=now)
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
