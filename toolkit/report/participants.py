"""The sections about people: the participants table, the re-identification warning, and
the joint display of themes beside what participants said.

The participants' characteristics are computed and protected by the analysis layer
(``results.cohort``: :mod:`toolkit.stats.cohort` through
:func:`toolkit.analysis.gate.protect_cohort`), the re-identification check too
(``results.reidentification``); this module only lays them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from toolkit.analysis import Results
from toolkit.analysis.results import REIDENTIFICATION_NOT_RUN
from toolkit.analysis.run import quote_descriptors
from toolkit.model import Study
from toolkit.report import tables
from toolkit.report.sentences import ci_text, themes
from toolkit.report.spec import Block, Callout, JointDisplay, JointRow, Section


def cohort_section(results: Results) -> Section:
    """Participants overall, or overall and by each stratum (n (%), mean (SD), median)."""
    study, settings = results.study, results.settings
    frame = results.need("cohort")
    blocks: list[Block] = []
    if not settings.strata:
        blocks.append(
            tables.cohort_table(
                frame,
                min_cell=settings.min_cell,
                caption=f"Participants (n = {study.n_participants}).",
                name="cohort",
            )
        )
    for attribute in settings.strata:
        display = study.attribute(attribute).display
        blocks.append(
            tables.cohort_table(
                frame.filter(pl.col("by") == attribute),
                min_cell=settings.min_cell,
                caption=f"Participants overall and by {display.lower()}: n (%) or mean (SD), median and range.",
                name=f"cohort_{attribute}",
            )
        )
    warning = reidentification_callout(results)
    if warning is not None:
        blocks.insert(0, warning)
    return Section("cohort", "Participants", tuple(blocks))


def reidentification_callout(results: Results) -> Callout | None:
    """A warning when the report shows attribute combinations shared by fewer than k people.

    Reads the analysis' re-identification check (:func:`toolkit.privacy.k_anonymity` with
    ``privacy.k`` and ``privacy.quasi_identifiers``, run whatever ``min_cell`` is) and counts
    the rare combinations each report element shows. The combinations themselves are not
    printed: listing them would expose them (``raremix privacy`` lists them for the
    researcher).
    """
    settings = results.settings
    for note in results.notes:
        if note.startswith(f"{REIDENTIFICATION_NOT_RUN}: "):
            return Callout(REIDENTIFICATION_NOT_RUN, note.split(": ", 1)[1] + ".")
    found = results.need("reidentification")
    shown = found.filter(pl.col("exposed_by") != "")
    if shown.height == 0:
        return None
    per_element: dict[str, int] = {}
    for exposed in shown["exposed_by"].to_list():
        for element in exposed.split("; "):
            per_element[element] = per_element.get(element, 0) + 1
    elements = "; ".join(f"{name} ({count})" for name, count in per_element.items())
    names = (
        ", ".join(settings.quasi_identifiers)
        if settings.quasi_identifiers is not None
        else "every stratifiable attribute"
    )
    min_cell = settings.min_cell
    text = (
        f"{shown.height} combination(s) of participant attributes ({names}) are shared by fewer "
        f"than {settings.k} participants (privacy.k = {settings.k}) and appear in this report: "
        f"{elements}. Small-cell suppression is "
        + (f"set to min_cell = {min_cell}" if min_cell > 1 else "off (min_cell = 0)")
        + "; it hides small counts, not who a quotation's descriptors point to. Before sharing, "
        "consider coarser bins, fewer quotation descriptors (report.descriptors), fewer strata or "
        "a higher min_cell; raremix privacy, run on the study folder, lists the combinations."
    )
    return Callout("Re-identification check", text)


def _descriptor(row: dict[str, Any], study: Study, names: Sequence[str]) -> str:
    parts = [row["pseudonym"]]
    for name in names:
        value = row.get(name)
        if value is None:
            continue
        parts.append(f"{value:.0f}" if isinstance(value, float) else str(value).lower())
    return ", ".join(parts)


def joint_section(study: Study, results: Results) -> Section:
    """Each theme's prevalence beside exemplar quotations, attributed by pseudonym."""
    from toolkit.stats.hierarchy import closure

    per_theme = results.settings.quotes_per_theme
    names = quote_descriptors(study, results.settings)
    people = privacy_people(study, results)
    pairs = closure(study.codebook)
    rows: list[JointRow] = []
    for theme in themes(results).iter_rows(named=True):
        below = pairs.filter(pl.col("ancestor_id") == theme["code_id"])["code_id"].to_list()
        quotes: list[tuple[str, str]] = []
        if theme["participants"] is not None and per_theme > 0:
            candidates = (
                results.need("quotes")
                .filter(pl.col("code_id").is_in(below))
                .unique(subset=["quote"], keep="first", maintain_order=True)
                .unique(subset=["pseudonym"], keep="first", maintain_order=True)
                .sort("pseudonym")
            )
            # Spread the picks over the participants rather than always quoting P01.
            count = candidates.height
            take = min(per_theme, count)
            picks = sorted({int((i + 0.5) * count / take) for i in range(take)}) if take else []
            for index in picks:
                row = candidates.row(index, named=True)
                who = _descriptor(
                    {**people.get(row["pseudonym"], {}), "pseudonym": row["pseudonym"]},
                    study,
                    names,
                )
                quotes.append((row["quote"], who))
        prevalence = (
            tables.SUPPRESSED
            if theme["participants"] is None
            else f"{tables.xn(theme['participants'], theme['denominator'])} ({tables.pct(theme['prevalence'])}; "
            f"{ci_text(results)} {tables.ci(theme['ci_lower'], theme['ci_upper'])})"
        )
        rows.append(JointRow(theme["label"], prevalence, tuple(quotes)))
    described = ", ".join(
        study.attribute(n).display.lower() for n in names if n in study.attributes
    )
    caption = (
        f"Joint display: each theme's prevalence beside up to {per_theme} exemplar quotation(s), "
        f"attributed to pseudonymous participants ({described or 'no descriptors'})."
    )
    return Section(
        "joint-display", "Themes and what participants said", (JointDisplay(caption, tuple(rows)),)
    )


def privacy_people(study: Study, results: Results) -> dict[str, dict[str, Any]]:
    """Pseudonym -> attribute values, for attributions."""
    joined = study.participants.join(results.need("pseudonyms"), on="participant_id").drop(
        "participant_id"
    )
    return {row["pseudonym"]: row for row in joined.iter_rows(named=True)}
