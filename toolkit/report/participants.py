"""The sections about people: the participants table, the re-identification warning, and
the joint display of themes beside what participants said.

The participants' characteristics are computed and protected by the analysis layer
(``results.cohort``: :mod:`toolkit.stats.cohort` through
:func:`toolkit.analysis.gate.protect_cohort`), the re-identification check too
(``results.reidentification``); this module only lays them out.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from toolkit.analysis import Results
from toolkit.analysis.quotes import quote_descriptors
from toolkit.analysis.results import REIDENTIFICATION_NOT_RUN
from toolkit.model import Study
from toolkit.report import tables
from toolkit.report.sentences import ci_text, themes
from toolkit.report.spec import Block, Callout, JointDisplay, JointRow, Section
from toolkit.text import plural


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
    elements = "; ".join(
        f"{_element_name(name, results)} ({count})" for name, count in per_element.items()
    )
    names = (
        ", ".join(_display(a, results) for a in settings.quasi_identifiers)
        if settings.quasi_identifiers is not None
        else "every stratifiable attribute"
    )
    min_cell = settings.min_cell
    text = (
        f"{plural(shown.height, 'combination')} of participant attributes ({names}) "
        f"{'is' if shown.height == 1 else 'are'} shared by fewer "
        f"than {settings.k} participants (privacy.k = {settings.k}) and appear in this report: "
        f"{elements}. Small-cell suppression is "
        + (f"set to min_cell = {min_cell}" if min_cell > 1 else "off (min_cell = 0)")
        + "; it hides small counts, not who a quotation's descriptors point to. Before sharing, "
        "consider coarser bins, fewer quotation descriptors (report.descriptors), fewer strata or "
        "a higher min_cell; raremix privacy, run on the study folder, lists the combinations."
    )
    return Callout("Re-identification check", text)


def _display(attribute: str, results: Results) -> str:
    """An attribute's display name, lower case (``disease status``), never its raw id."""
    spec = results.study.attributes.get(attribute)
    return spec.display.lower() if spec is not None else attribute.replace("_", " ")


def _element_name(element: str, results: Results) -> str:
    """``cohort table by disease_status`` → ``cohort table by disease status``."""
    head, sep, attribute = element.rpartition(" by ")
    return f"{head}{sep}{_display(attribute, results)}" if sep else element


def joint_section(study: Study, results: Results) -> Section:
    """The integrated joint display (Guetterman, Fetters and Creswell 2015), theme by theme:
    prevalence overall and in each stratum, exemplar quotations with their attributions,
    the participants who did not voice a near-universal theme, and the researcher's
    meta-inference. What is shown, chosen and attributed is decided by the analysis layer
    (``results.joint``, :func:`toolkit.analysis.quotes.joint_display`); this lays it out."""
    from toolkit.analysis.quotes import NEAR_UNIVERSAL

    settings = results.settings
    per_theme = settings.quotes_per_theme
    names = quote_descriptors(study, settings)
    joint = {row["code_id"]: row for row in results.need("joint").iter_rows(named=True)}
    prevalence = results.need("prevalence")
    rows: list[JointRow] = []
    researcher = False
    every = themes(results)
    for theme in every.head(settings.table_rows).iter_rows(named=True):
        found = joint.get(theme["code_id"], {})
        researcher = researcher or found.get("chosen_by") == "researcher"
        shown = theme["participants"] is not None
        overall = (
            f"{tables.xn(theme['participants'], theme['denominator'])} "
            f"({tables.pct(theme['prevalence'])}; "
            f"{ci_text(results)} {tables.ci(theme['ci_lower'], theme['ci_upper'])})"
            if shown
            else tables.SUPPRESSED
        )
        notes: list[str] = []
        if found.get("not_voiced"):
            notes.append("Not voiced by: " + ", ".join(found["not_voiced"]) + ".")
        elif found.get("not_voiced_withheld"):
            notes.append("Who did not voice it is not shown (small-cell suppression).")
        if found.get("meta_inference"):
            note = found.get("meta_note")
            notes.append(
                f"Meta-inference: {found['meta_inference']}" + (f" ({note})." if note else ".")
            )
        rows.append(
            JointRow(
                theme["label"],
                overall,
                tuple((q["quote"], q["attribution"]) for q in found.get("quotes") or ()),
                strata=_strata_lines(prevalence, theme["code_id"], settings.strata, study),
                notes=tuple(notes),
            )
        )
    described = ", ".join(
        study.attribute(n).display.lower() for n in names if n in study.attributes
    )
    by = ", ".join(study.attribute(s).display.lower() for s in settings.strata)
    caption = (
        "Joint display: each theme's prevalence overall"
        + (f" and by {by}" if by else "")
        + f", beside up to {plural(per_theme, 'exemplar quotation')} "
        + (
            "chosen by the researcher"
            if researcher
            else "spread across participants (one per participant per theme, none repeated)"
        )
        + f", attributed by pseudonym ({described or 'no descriptors'}, as the tables show "
        "them); under a theme voiced by at least "
        f"{NEAR_UNIVERSAL:.0%} of participants, those who did not voice it"
        + (
            "; and the researcher's meta-inference (confirms, expands or discordant)."
            if any(row.get("meta_inference") for row in joint.values())
            else "."
        )
    )
    if every.height > settings.table_rows:
        caption += (
            f" The first {settings.table_rows:,} of {every.height:,} themes are shown "
            "(report.table_rows); prevalence.csv beside this report lists every theme."
        )
    return Section(
        "joint-display", "Themes and what participants said", (JointDisplay(caption, tuple(rows)),)
    )


def _strata_lines(
    prevalence: pl.DataFrame, code_id: str, strata: Sequence[str], study: Study
) -> tuple[str, ...]:
    """``Female: 8/9`` per level of each stratum (``suppressed`` where hidden); a level name
    two strata share (``missing``) is prefixed by its attribute."""
    rows = prevalence.filter(
        (pl.col("code_id") == code_id) & pl.col("stratum_variable").is_in(list(strata))
    )
    seen = rows["stratum_value"].to_list()
    lines: list[str] = []
    for variable in strata:
        display = tables.heading(study.attribute(variable).display)
        for row in rows.filter(pl.col("stratum_variable") == variable).iter_rows(named=True):
            level = row["stratum_value"]
            name = f"{display} {level}" if seen.count(level) > 1 else tables.heading(level)
            lines.append(f"{name}: {tables.xn(row['participants'], row['denominator'])}")
    return tuple(lines)
