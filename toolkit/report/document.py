"""Assemble the study report: results in, a :class:`~toolkit.report.spec.Report` out.

:func:`study_results` computes every result frame (prevalence, subgroup differences,
co-occurrence, saturation, agreement) and passes them through the privacy rules in ONE place,
:func:`protect`, before anything reaches a table, a figure or a CSV. :func:`build_study_report`
then writes the sections in the order of SPEC §6. Nothing here touches files.
"""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Sequence
from typing import Any

import polars as pl

from toolkit import __version__
from toolkit.analysis import Results
from toolkit.errors import UsageError
from toolkit.model import Study
from toolkit.report import figures, tables
from toolkit.report.spec import (
    Banner,
    Block,
    Bullets,
    Callout,
    FigureBlock,
    JointDisplay,
    JointRow,
    Note,
    Paragraph,
    Report,
    Section,
    Table,
)

SYNTHETIC_TEXT = (
    "SYNTHETIC DATA: every participant, quotation and number in this report is invented. "
    "It demonstrates raremix and is not evidence about {condition}."
)


# --- sentences -----------------------------------------------------------------------------


def _ci_text(results: Results) -> str:
    return f"{100 * results.settings.ci_level:g}% CI"


def _voiced(row: dict[str, Any], results: Results) -> str:
    """``12 of 15 participants (80.0%; 95% CI 54.8–93.0%)``."""
    if row["participants"] is None:
        return "a suppressed number of participants (fewer than the minimum cell size)"
    return (
        f"{row['participants']} of {row['denominator']} participants "
        f"({tables.pct(row['prevalence'])}; {_ci_text(results)} {tables.ci(row['ci_lower'], row['ci_upper'])})"
    )


def _overall(prevalence: pl.DataFrame) -> pl.DataFrame:
    return prevalence.filter(pl.col("stratum_variable").is_null())


def _themes(results: Results) -> pl.DataFrame:
    return _overall(results.need("prevalence")).filter(pl.col("depth") == results.depth)


def _level_phrase(study: Study, attribute: str, level: str) -> str:
    """``the Remission group`` / ``participants whose disease status was missing``."""
    if level == "missing":
        return f"participants with no recorded {study.attribute(attribute).display.lower()}"
    return f"the {level} group"


def key_findings(study: Study, results: Results) -> list[str]:
    """Sentences a researcher could paste: most and least voiced themes, largest differences.

    Each sentence starts with the theme's own label (never re-cased) and carries x/n, the
    percentage and its interval; differences carry both groups' x/n, the interval and the
    adjusted p-value, and say when the interval includes no difference.
    """
    themes = _themes(results).filter(pl.col("participants").is_not_null())
    sentences: list[str] = []
    if themes.height:
        ranked = themes.sort(
            ["participants", "segments"], descending=[True, True], maintain_order=True
        )
        top = ranked.head(min(3, ranked.height)).to_dicts()
        first = top[0]
        sentences.append(
            f"{first['label']} was the most often voiced theme: {_voiced(first, results)}."
        )
        for row in top[1:]:
            sentences.append(f"{row['label']} was voiced by {_voiced(row, results)}.")
        if ranked.height > 3:
            least = ranked.tail(1).to_dicts()[0]
            if least["participants"] == 0:
                sentences.append(
                    f"{least['label']} was voiced by no participant (0 of {least['denominator']}; "
                    f"{_ci_text(results)} {tables.ci(least['ci_lower'], least['ci_upper'])}): "
                    "not mentioned, which is not the same as not experienced."
                )
            else:
                sentences.append(
                    f"{least['label']} was the least often voiced theme: {_voiced(least, results)}."
                )
    if results.differences is not None and results.differences.height:
        diffs = results.differences.filter(
            pl.col("difference").is_not_null() & (pl.col("depth") == results.depth)
        )
        if diffs.height:
            biggest = (
                diffs.with_columns(pl.col("difference").abs().alias("_abs"))
                .sort("_abs", descending=True, maintain_order=True)
                .head(2)
            )
            for row in biggest.to_dicts():
                attribute = study.attribute(row["stratum_variable"]).display.lower()
                includes_zero = (
                    row["ci_lower"] is not None
                    and row["ci_upper"] is not None
                    and row["ci_lower"] <= 0 <= row["ci_upper"]
                )
                reading = (
                    "its interval includes zero" if includes_zero else "its interval excludes zero"
                )
                sentences.append(
                    f"{row['label']} differed most by {attribute}: voiced by "
                    f"{row['participants_level']}/{row['denominator_level']} in "
                    f"{_level_phrase(study, row['stratum_variable'], row['level'])} against "
                    f"{row['participants_reference']}/{row['denominator_reference']} in "
                    f"{_level_phrase(study, row['stratum_variable'], row['reference'])}, "
                    f"a difference of {tables.points(row['difference'])} percentage points "
                    f"({_ci_text(results)} {tables.points_ci(row['ci_lower'], row['ci_upper'])}; "
                    f"adjusted p = {tables.pvalue(row['p_adjusted'])}); {reading}."
                )
    if not sentences:
        sentences.append("No theme could be reported (no codings, or every count is suppressed).")
    return sentences


def honest_reading(study: Study) -> str:
    """The one-sentence caution printed under the key findings."""
    return (
        f"These are counts in a purposive sample of {study.n_participants} interviewed "
        "participants, not estimates for everyone with "
        f"{study.condition}: read the intervals as the uncertainty "
        "within this sample, and a theme not voiced as not mentioned, not as absent."
    )


# --- sections -----------------------------------------------------------------------------


def _cohort_section(results: Results) -> Section:
    from toolkit.stats.strata import stratum_frame

    study, settings = results.study, results.settings
    attrs = {k: v for k, v in study.attributes.items() if k != settings.order_by}
    min_cell = settings.min_cell
    blocks: list[Block] = []
    strata = list(settings.strata)
    if not strata:
        blocks.append(
            tables.cohort_table(
                study.participants,
                attrs,
                groups=[("Overall", study.participants)],
                min_cell=min_cell,
                caption=f"Participants (n = {study.n_participants}).",
                name="cohort",
            )
        )
    for attribute in strata:
        frame, levels = stratum_frame(study, attribute)
        joined = study.participants.join(frame, on="participant_id")
        groups = [("Overall", study.participants)] + [
            (level, joined.filter(pl.col("stratum_value") == level)) for level in levels
        ]
        display = study.attribute(attribute).display
        blocks.append(
            tables.cohort_table(
                study.participants,
                attrs,
                groups=groups,
                min_cell=min_cell,
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

    Runs :func:`toolkit.privacy.k_anonymity` (``privacy.k``, ``privacy.quasi_identifiers``)
    whatever ``min_cell`` is, and counts the rare combinations each report element shows.
    The combinations themselves are not printed: listing them would expose them
    (``raremix privacy`` lists them for the researcher).
    """
    from toolkit import privacy

    study, settings = results.study, results.settings
    try:
        found = privacy.k_anonymity(
            study,
            quasi_identifiers=None
            if settings.quasi_identifiers is None
            else list(settings.quasi_identifiers),
            k=settings.k,
        )
    except UsageError as error:
        return Callout("Re-identification check not run", f"{error}.")
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


def _domain_of(study: Study, code_ids: Sequence[str], depth: int) -> list[str]:
    from toolkit.stats.hierarchy import closure, tree_order

    if depth == 0:
        return ["Themes"] * len(code_ids)
    order = tree_order(study.codebook).select("code_id", "label", "depth")
    pairs = closure(study.codebook).join(
        order.rename({"code_id": "ancestor_id", "label": "domain", "depth": "d"}), on="ancestor_id"
    )
    roots = dict(pairs.filter(pl.col("d") == 0).select("code_id", "domain").iter_rows())
    return [roots.get(c, "Other") for c in code_ids]


def _prevalence_section(study: Study, results: Results) -> Section:
    settings = results.settings
    overall = _overall(results.need("prevalence"))
    max_depth = settings.theme_depth
    shown = overall if max_depth is None else overall.filter(pl.col("depth") <= max_depth)
    method = tables.METHOD_NAMES.get(settings.ci_method, settings.ci_method)
    table = tables.prevalence_table(
        shown,
        level=settings.ci_level,
        caption=(
            f"Theme prevalence: participants who voiced each node of the codebook or any node below it "
            f"(x/n), with {_ci_text(results)}s ({method}) and the number of coded segments."
        ),
    )
    themes = _themes(results)
    frame = themes.with_columns(
        pl.Series("domain", _domain_of(study, themes["code_id"].to_list(), results.depth))
    )
    fig = figures.prevalence_dots(frame, ci_label=f"{_ci_text(results)} ({method})")
    suppressed = themes.filter(pl.col("participants").is_null()).height
    caption = (
        f"Prevalence of each theme among the {study.n_participants} participants, with its "
        f"{_ci_text(results)} ({method}), grouped by domain."
    )
    if suppressed:
        caption += f" {suppressed} suppressed theme(s) are not drawn."
    blocks: list[Block] = [
        table,
        FigureBlock("prevalence", fig, caption, height=fig.layout.height or 460),
    ]
    return Section("prevalence", "Theme prevalence", tuple(blocks))


def _differences_section(study: Study, results: Results) -> Section | None:
    if results.differences is None or results.differences.height == 0:
        return None
    settings = results.settings
    frame = results.differences.filter(pl.col("depth") <= results.depth)
    method = tables.METHOD_NAMES.get(settings.difference_method, settings.difference_method)
    table = tables.differences_table(
        frame,
        level=settings.ci_level,
        caption=(
            f"Differences in prevalence between subgroups (group minus reference, percentage points), "
            f"{_ci_text(results)} ({method}), Fisher's exact p and Benjamini–Hochberg adjusted p."
        ),
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
    return Section(
        "differences",
        "Subgroup differences",
        (
            Note(caution),
            table,
            FigureBlock(
                "differences",
                fig,
                f"Difference in theme prevalence between subgroups with its {_ci_text(results)} ({method}); "
                "the dotted line marks no difference.",
                height=fig.layout.height or 460,
            ),
        ),
    )


def _cooccurrence_section(study: Study, results: Results) -> Section | None:
    cooc = results.need("cooccurrence")
    labels = list(dict.fromkeys(cooc["label_a"].to_list()))
    if len(labels) < 2:
        return None
    codes = list(dict.fromkeys(cooc["code_a"].to_list()))
    lookup = {
        (a, b): v for a, b, v in cooc.select("code_a", "code_b", "participants_both").iter_rows()
    }
    matrix = [[lookup.get((a, b)) for b in codes] for a in codes]
    fig = figures.cooccurrence_heatmap(labels, matrix, denominator=study.n_participants)
    return Section(
        "cooccurrence",
        "Co-occurrence of themes",
        (
            FigureBlock(
                "cooccurrence",
                fig,
                "Participants who voiced both themes (row and column); the diagonal is each "
                "theme's own count. Darker cells: fewer participants.",
                width=820,
                height=fig.layout.height or 600,
            ),
        ),
    )


def _saturation_section(study: Study, results: Results) -> Section | None:
    sat = results.saturation
    if sat is None:
        return Section(
            "saturation",
            "Saturation",
            tuple(Note(n) for n in results.notes) or (Note("Saturation was not assessed."),),
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
            Paragraph(tables.heading(sat.statement)),
            Note(
                f"Method: Guest, Namey and Chen (2020), base size {sat.base}, run length {sat.run}, "
                f"new-information threshold {100 * sat.threshold:g}%. {order}"
            ),
            FigureBlock(
                "saturation",
                fig,
                "New themes in each interview (bars) and the share of all themes found so far (line).",
                height=fig.layout.height or 380,
            ),
        ),
    )


def _descriptor(row: dict[str, Any], study: Study, names: Sequence[str]) -> str:
    parts = [row["pseudonym"]]
    for name in names:
        value = row.get(name)
        if value is None:
            continue
        parts.append(f"{value:.0f}" if isinstance(value, float) else str(value).lower())
    return ", ".join(parts)


def _joint_section(study: Study, results: Results) -> Section:
    from toolkit.stats.hierarchy import closure

    per_theme = results.settings.quotes_per_theme
    names: Sequence[str] | None = results.settings.descriptors
    if names is None:
        names = [n for n in ("age", "sex", "gender") if n in study.attributes] + [
            s for s in results.settings.strata if s not in ("sex", "gender")
        ]
    people = privacy_people(study, results)
    pairs = closure(study.codebook)
    rows: list[JointRow] = []
    shown_quotes = 0
    for theme in _themes(results).iter_rows(named=True):
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
        shown_quotes += len(quotes)
        prevalence = (
            tables.SUPPRESSED
            if theme["participants"] is None
            else f"{tables.xn(theme['participants'], theme['denominator'])} ({tables.pct(theme['prevalence'])}; "
            f"{_ci_text(results)} {tables.ci(theme['ci_lower'], theme['ci_upper'])})"
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


def _agreement_section(results: Results) -> Section | None:
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
    return Section("agreement", "Coder agreement", (table,))


def methods_text(study: Study, results: Results) -> list[str]:
    """The methods paragraph(s), written from the settings."""
    settings = results.settings
    method = tables.METHOD_NAMES.get(settings.ci_method, settings.ci_method)
    diff = tables.METHOD_NAMES.get(settings.difference_method, settings.difference_method)
    coder = (
        f"only the codings of coder '{settings.coder}'"
        if settings.coder
        else "the codings of all coders"
    )
    text = [
        (
            f"Prevalence is the share of the {study.n_participants} interviewed participants who voiced a "
            f"theme: the denominator counts every participant (or every participant of a subgroup), "
            f"including those with no coding at all, and the numerator counts the distinct participants "
            f"with at least one coded segment on the theme or on any code below it, so a participant coded "
            f"twice counts once. Prevalence uses {coder}. Confidence intervals are {method} intervals at "
            f"the {100 * settings.ci_level:g}% level. Differences between subgroups are each level against "
            f"the first declared level, with {diff} intervals for the difference of two proportions, "
            f"Fisher's exact test, and Benjamini–Hochberg adjustment of the p-values over the nodes of the "
            f"codebook within each comparison. Missing attribute values form their own visible group."
        ),
        (
            "How to read these numbers: a purposive interview sample is not a random sample of the "
            "patient population, so the intervals express sampling variability only under that "
            "assumption, not the uncertainty of generalising to everyone with the condition. A theme "
            "not voiced is not a theme absent: a participant who did not mention something may still "
            "experience it."
        ),
    ]
    privacy = (
        f"Counts from 1 to {settings.min_cell - 1} are suppressed, together with any count from which "
        "they could be derived."
        if settings.min_cell > 1
        else "No small-cell suppression was applied (min_cell = 0)."
    )
    rules = (
        results.need("redactions")["rule"].to_list() if results.need("redactions").height else []
    )
    redaction = (
        f"quotations pass through redaction rules ({', '.join(rules)}), which replaced "
        f"{int(results.need('redactions')['redactions'].sum())} passage(s)"
        if rules
        else "no quotation redaction rules were configured"
    )
    text.append(
        f"Participants appear under pseudonyms (P01, P02, … in a stable order); {redaction}. "
        f"{privacy} Analysis and report: "
        f"raremix {__version__} (Python {platform.python_version()}, polars {pl.__version__})."
    )
    return text


def _coreq(study: Study, results: Results) -> Table:
    from toolkit.stats.hierarchy import tree_order
    from toolkit.stats.strata import stratum_frame

    codebook = study.codebook

    depths = tree_order(codebook)["depth"].to_list()
    levels = [sum(1 for d in depths if d == k) for k in range(max(depths, default=-1) + 1)]
    level_names = ["domains", "themes", "codes", "sub-codes"]
    tree = ", ".join(
        f"{n} {level_names[k] if k < len(level_names) else f'level-{k} nodes'}"
        for k, n in enumerate(levels)
    )
    coders = (
        sorted({c for c in study.codings["coder"].to_list() if c is not None})
        if "coder" in study.codings.columns
        else []
    )
    descriptions = []
    for attribute in results.settings.strata:
        spec = study.attribute(attribute)

        frame, levels_ = stratum_frame(study, attribute)
        counts = frame.group_by("stratum_value").len()
        lookup = dict(counts.iter_rows())
        # the same subgroups as the participants and prevalence tables hide
        hidden = tables.hidden_sizes(
            study.n_participants,
            [int(lookup.get(v, 0)) for v in levels_],
            results.settings.min_cell,
        )
        descriptions.append(
            f"{spec.display}: "
            + ", ".join(
                f"{v} {tables.SUPPRESSED if h else lookup.get(v, 0)}"
                for v, h in zip(levels_, hidden, strict=True)
            )
        )
    sat = results.saturation
    rows = [
        ("12. Sample size", f"{study.n_participants} participants."),
        (
            "16. Description of sample",
            ("; ".join(descriptions) + ". See the participants table.")
            if descriptions
            else "See the participants table.",
        ),
        ("22. Data saturation", sat.statement if sat is not None else "Not assessed."),
        (
            "24. Number of data coders",
            f"{len(coders)} ({', '.join(coders)})." if coders else "Not recorded in the codings.",
        ),
        (
            "25. Description of the coding tree",
            f"{tree}; shown in full in the theme prevalence table.",
        ),
        (
            "27. Software",
            f"Analysis and report: raremix {__version__}. The coding software is not recorded in the inputs.",
        ),
        (
            "29. Quotations presented",
            f"Yes: up to {results.settings.quotes_per_theme} per theme in the joint display, each "
            "identified by a pseudonym and descriptors.",
        ),
    ]
    return tables.key_value_table(
        rows,
        name="coreq",
        caption="COREQ items (Tong, Sainsbury and Craig 2007) that the data can answer.",
        header=("COREQ item", "Answer"),
    )


def _provenance(study: Study, results: Results, rendered_at: dt.datetime) -> Section:
    files = tuple((f"{item.role}: {item.display}", item.sha256) for item in study.inputs)
    settings = results.settings
    setting_rows = [
        ("Study id", study.id),
        ("Strata", ", ".join(settings.strata) or "none"),
        ("Confidence intervals", f"{settings.ci_method}, level {settings.ci_level:g}"),
        ("Difference intervals", settings.difference_method),
        ("Minimum cell size", str(settings.min_cell)),
        ("Coder", settings.coder or "all coders"),
        (
            "Saturation",
            f"base {settings.saturation.base}, run {settings.saturation.run}, threshold {settings.saturation.threshold:g}",
        ),
        ("Theme depth", str(results.depth)),
        ("raremix version", __version__),
        ("Rendered at", rendered_at.isoformat(timespec="seconds")),
    ]
    if results.need("redactions").height:
        setting_rows.append(
            (
                "Quote redactions",
                ", ".join(f"{r} {n}" for r, n in results.need("redactions").iter_rows()),
            )
        )
    blocks: list[Block] = [
        Table(
            name="inputs",
            caption="Input files and their SHA-256 checksums.",
            columns=("Input", "SHA-256"),
            rows=files or (("(none recorded)", ""),),
            align=("l", "l"),
        ),
        tables.key_value_table(
            setting_rows,
            name="settings",
            caption="Settings used for this report.",
            header=("Setting", "Value"),
        ),
    ]
    blocks += [Note(w) for w in (*study.warnings, *results.notes)]
    return Section("provenance", "Provenance", tuple(blocks))


def build_study_report(results: Results, *, now: dt.datetime | None = None) -> Report:
    """The full study report (SPEC §6), in the order of the issue.

    Args:
        results: the protected results of :func:`toolkit.analysis.analyse_study`.
        now: the render time (default: now, local time zone).
    """
    study = results.study
    now = now or dt.datetime.now().astimezone()
    subtitle = study.condition + (f" ({study.ontology_id})" if study.ontology_id else "")
    preamble: tuple[Block, ...] = (
        (Banner(SYNTHETIC_TEXT.format(condition=study.condition)),) if study.synthetic else ()
    )
    intro: list[Block] = []
    intro.append(
        Paragraph(
            f"{study.n_participants} participants; {study.codebook.height} codebook nodes; "
            f"{study.codings.height} coded segments. Generated by raremix {__version__} on {now:%Y-%m-%d}."
        )
    )
    if study.description:
        intro.append(Paragraph(study.description))
    sections: list[Section | None] = [
        Section(
            "summary",
            "Key findings",
            (*intro, Bullets(tuple(key_findings(study, results))), Note(honest_reading(study))),
        ),
        _cohort_section(results),
        _prevalence_section(study, results),
        _differences_section(study, results),
        _cooccurrence_section(study, results),
        _saturation_section(study, results),
        _joint_section(study, results),
        _agreement_section(results),
        Section("methods", "Methods", tuple(Paragraph(p) for p in methods_text(study, results))),
        Section("coreq", "Reporting checklist", (_coreq(study, results),)),
        _provenance(study, results, now),
    ]
    result_frames: dict[str, pl.DataFrame] = {"prevalence": results.need("prevalence")}
    if results.differences is not None:
        result_frames["differences"] = results.differences
    result_frames["cooccurrence"] = results.need("cooccurrence")
    if results.saturation is not None:
        result_frames["saturation"] = results.saturation.curve
    if results.agreement is not None:
        result_frames["agreement"] = results.agreement
    return Report(
        kind="study",
        slug=study.id,
        title=study.title,
        subtitle=subtitle,
        date=f"{now:%Y-%m-%d}",
        synthetic=study.synthetic,
        version=__version__,
        sections=tuple(s for s in sections if s is not None),
        results=result_frames,
        preamble=preamble,
    )
