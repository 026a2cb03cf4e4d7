"""Words written from the results: key findings, the honest reading, the methods text.

Every sentence reads its numbers from a protected :class:`~toolkit.analysis.Results` and its
settings (interval method and level, coder, ``min_cell``) from ``results.settings``, the
settings the numbers were computed with. Nothing is computed here but the wording.
"""

from __future__ import annotations

from typing import Any

import polars as pl

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
    """``12 of 15 participants (80%; 95% CI 55–93%)``."""
    if row["participants"] is None:
        return "a suppressed number of participants (fewer than the minimum cell size)"
    n = row["denominator"]
    return (
        f"{row['participants']} of {n} participants "
        f"({tables.pct(row['prevalence'], n=n)}; {ci_text(results)} "
        f"{tables.ci(row['ci_lower'], row['ci_upper'], n=n)})"
    )


def overall(prevalence: pl.DataFrame) -> pl.DataFrame:
    """The rows of the whole sample (no stratum)."""
    return prevalence.filter(pl.col("stratum_variable").is_null())


def at_theme_depth(frame: pl.DataFrame, depth: int) -> pl.DataFrame:
    """Rows at the theme ``depth``, and shallower codes with no children (a root-level code
    with nothing below it is a theme too), in the frame's order."""
    parents = (
        set(frame["parent_id"].drop_nulls().to_list()) if "parent_id" in frame.columns else set()
    )
    return frame.filter(
        (pl.col("depth") == depth)
        | ((pl.col("depth") < depth) & ~pl.col("code_id").is_in(list(parents)))
    )


def themes(results: Results) -> pl.DataFrame:
    """The overall rows at the theme depth (and childless codes above it), each ``label``
    made unique by its parent's label where two codes share one."""
    whole = overall(results.need("prevalence"))
    return distinct_labels(at_theme_depth(whole, results.depth), whole)


def distinct_labels(frame: pl.DataFrame, codebook: pl.DataFrame) -> pl.DataFrame:
    """``label`` made unique: two codes with one label read "Label (Parent label)".

    Args:
        frame: rows with ``code_id``, ``label`` and ``parent_id``.
        codebook: rows with ``code_id`` and ``label`` for every node (the parents' labels).
    """
    if frame.height == 0 or "parent_id" not in frame.columns:
        return frame
    labels = frame["label"].to_list()
    if len(set(labels)) == len(labels):
        return frame
    parent_label = dict(codebook.select("code_id", "label").iter_rows())
    repeated = {label for label in labels if labels.count(label) > 1}
    renamed = [
        f"{label} ({parent_label.get(parent, 'top level')})" if label in repeated else label
        for label, parent in zip(labels, frame["parent_id"].to_list(), strict=True)
    ]
    return frame.with_columns(pl.Series("label", renamed, dtype=pl.String))


def _level_phrase(study: Study, attribute: str, level: str) -> str:
    """``the Remission group`` / ``participants whose disease status was missing``."""
    if level == "missing":
        return f"participants with no recorded {study.attribute(attribute).display.lower()}"
    return f"the {level} group"


#: A sentence names at most this many tied themes, then says how many more (the table has all).
MOST_NAMED = 6


def _and(items: list[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``; past :data:`MOST_NAMED`, ``A, B, … and 7 others``."""
    if len(items) > MOST_NAMED:
        shown = items[: MOST_NAMED - 1]
        return ", ".join(shown) + f" and {len(items) - len(shown)} other themes"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _tied(rows: list[dict[str, Any]], results: Results, *, most: bool) -> str:
    """The most (or least) voiced themes, ties said as ties."""
    which = "most" if most else "least"
    first = rows[0]
    if first["participants"] == 0:
        names = _and([r["label"] for r in rows])
        verb = "was" if len(rows) == 1 else "were each"
        return (
            f"{names} {verb} voiced by no participant (0 of {first['denominator']}; "
            f"{ci_text(results)} {tables.ci(first['ci_lower'], first['ci_upper'], n=first['denominator'])}): "
            "not mentioned, which is not the same as not experienced."
        )
    if len(rows) == 1:
        return f"{first['label']} was the {which} often voiced theme: {_voiced(first, results)}."
    return (
        f"{_and([r['label'] for r in rows])} were tied as the {which} often voiced themes, "
        f"each voiced by {_voiced(first, results)}."
    )


def _subgroup_findings(study: Study, results: Results) -> list[str]:
    """Differences between subgroups, only where both groups have at least
    ``settings.min_subgroup`` participants: in codebook order (never ranked by size), with
    their intervals, as descriptions of this sample."""
    if results.differences is None or results.differences.height == 0:
        return []
    least = results.settings.min_subgroup
    diffs = at_theme_depth(results.differences, results.depth)
    sentences: list[str] = []
    for part in diffs.partition_by("stratum_variable", "comparison", maintain_order=True):
        first = part.row(0, named=True)
        attribute = study.attribute(first["stratum_variable"]).display.lower()
        sizes = (first["denominator_level"], first["denominator_reference"])
        if any(size is None or size < least for size in sizes):
            sentences.append(
                f"By {attribute} ({first['level']} against {first['reference']}): no difference "
                f"is summarised, because a group has fewer than {least} participants; the "
                "subgroup table lists them for description only."
            )
            continue
        described = [
            f"{r['label']} {r['participants_level']}/{r['denominator_level']} against "
            f"{r['participants_reference']}/{r['denominator_reference']} "
            f"({tables.points(r['difference'])} percentage points, {ci_text(results)} "
            f"{tables.points_ci(r['ci_lower'], r['ci_upper'])})"
            for r in part.iter_rows(named=True)
            if r["difference"] is not None
        ]
        if described:
            sentences.append(
                f"By {attribute}, {_level_phrase(study, first['stratum_variable'], first['level'])} "
                f"against {_level_phrase(study, first['stratum_variable'], first['reference'])}, "
                "in codebook order: "
                + "; ".join(described)
                + ". These describe this sample; they were not tested as hypotheses."
            )
    return sentences


def key_findings(study: Study, results: Results) -> list[str]:
    """Descriptive sentences a researcher could paste: the most and least voiced themes (ties
    said as ties) with x/n, the percentage and its interval; subgroup differences only where
    both groups have at least ``settings.min_subgroup`` participants, in codebook order,
    never ranked by their point estimate and never as a discovery.
    """
    shown = themes(results).filter(pl.col("participants").is_not_null())
    sentences: list[str] = []
    if shown.height:
        rows = shown.to_dicts()
        top = max(r["participants"] for r in rows)
        bottom = min(r["participants"] for r in rows)
        sentences.append(_tied([r for r in rows if r["participants"] == top], results, most=True))
        if bottom != top:
            sentences.append(
                _tied([r for r in rows if r["participants"] == bottom], results, most=False)
            )
    sentences += _subgroup_findings(study, results)
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
