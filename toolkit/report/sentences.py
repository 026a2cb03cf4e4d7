"""Words written from the results: key findings, the honest reading, the methods text.

Every sentence reads its numbers from a protected :class:`~toolkit.analysis.Results` and its
settings (interval method and level, coder, ``min_cell``) from ``results.settings``, the
settings the numbers were computed with. Nothing is computed here but the wording.
"""

from __future__ import annotations

import platform
from typing import Any

import polars as pl

from toolkit import __version__
from toolkit.analysis import Results
from toolkit.analysis.results import REIDENTIFICATION_NOT_RUN
from toolkit.model import Study
from toolkit.report import tables

SYNTHETIC_TEXT = (
    "SYNTHETIC DATA: every participant, quotation and number in this report is invented. "
    "It demonstrates raremix and is not evidence about {condition}."
)


def ci_text(results: Results) -> str:
    """``95% CI``: the interval level of the results' settings."""
    return f"{100 * results.settings.ci_level:g}% CI"


def analysis_notes(results: Results) -> list[str]:
    """What the analysis could not do, in words; the re-identification check's own note is
    left out (its callout in the participants section says it)."""
    return [n for n in results.notes if not n.startswith(f"{REIDENTIFICATION_NOT_RUN}: ")]


def _voiced(row: dict[str, Any], results: Results) -> str:
    """``12 of 15 participants (80.0%; 95% CI 54.8–93.0%)``."""
    if row["participants"] is None:
        return "a suppressed number of participants (fewer than the minimum cell size)"
    return (
        f"{row['participants']} of {row['denominator']} participants "
        f"({tables.pct(row['prevalence'])}; {ci_text(results)} {tables.ci(row['ci_lower'], row['ci_upper'])})"
    )


def overall(prevalence: pl.DataFrame) -> pl.DataFrame:
    """The rows of the whole sample (no stratum)."""
    return prevalence.filter(pl.col("stratum_variable").is_null())


def themes(results: Results) -> pl.DataFrame:
    """The overall rows at the theme depth."""
    return overall(results.need("prevalence")).filter(pl.col("depth") == results.depth)


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
    shown = themes(results).filter(pl.col("participants").is_not_null())
    sentences: list[str] = []
    if shown.height:
        ranked = shown.sort(
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
                    f"{ci_text(results)} {tables.ci(least['ci_lower'], least['ci_upper'])}): "
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
                    f"({ci_text(results)} {tables.points_ci(row['ci_lower'], row['ci_upper'])}; "
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
