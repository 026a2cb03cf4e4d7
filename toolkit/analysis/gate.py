"""The one disclosure gate: everything an analysis returns passes here, once.

Statistics return raw counts; :func:`disclose` makes a :class:`Results` safe to show:

- small cells (1..k−1 with ``min_cell`` k) are suppressed in the prevalence table, with the
  complements that would give them away (:func:`toolkit.privacy.suppress`);
- every other frame hides what the prevalence table of the same results hides, and its own
  small cells (differences, co-occurrence);
- participants become pseudonyms (quotes, the saturation curve);
- quotes are redacted with the study's rules.

The parts (suppression, pseudonyms, redaction) live in :mod:`toolkit.privacy`; the order in
which they apply, and which columns of each frame are counts, is decided here.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from toolkit import privacy
from toolkit.analysis.results import Results
from toolkit.manifest import Redaction

#: Counts of a subgroup-differences row, blanked (with what derives from them) when small.
DIFFERENCE_COUNTS = (
    "participants_level",
    "denominator_level",
    "participants_reference",
    "denominator_reference",
)
#: Participant co-occurrence: each count and the columns computed from it.
PARTICIPANT_COOCCURRENCE_COUNTS: dict[str, list[str]] = {
    "participants_both": ["participants_either", "jaccard"],
    "participants_a": [],
    "participants_b": [],
}
#: Segment co-occurrence: each count and the columns computed from it.
SEGMENT_COOCCURRENCE_COUNTS: dict[str, list[str]] = {
    "participants": ["overlapping_pairs", "sources"],
    "segments_a": [],
    "segments_b": [],
}


def disclose(raw: Results) -> Results:
    """Apply the disclosure rules to every frame of ``raw`` (see the module docstring).

    Raises:
        ImplementationError: ``raw`` has been through the gate already.
    """
    if raw.protected:
        from toolkit.errors import ImplementationError

        raise ImplementationError("the disclosure gate was applied twice to the same results")
    results = _suppressed(raw) if raw.settings.suppressing else raw
    return replace(_pseudonymous(results), protected=True)


def _suppressed(raw: Results) -> Results:
    min_cell = raw.settings.min_cell
    prevalence = raw.prevalence
    hidden: set[tuple[str, str | None, str | None]] = set()
    if prevalence is not None:
        prevalence = privacy.suppress(prevalence.drop("suppressed"), min_cell=min_cell).select(
            prevalence.columns
        )
        hidden = privacy.hidden_cells(prevalence)
    overall_hidden = {code for code, variable, _ in hidden if variable is None}
    differences = raw.differences
    if differences is not None:
        differences = privacy.suppress_differences(
            differences.drop("suppressed"),
            min_cell=min_cell,
            hidden=hidden,
            counts=list(DIFFERENCE_COUNTS),
        ).select(differences.columns)
    return replace(
        raw,
        prevalence=prevalence,
        differences=differences,
        cooccurrence=suppress_pairs(
            raw.cooccurrence, PARTICIPANT_COOCCURRENCE_COUNTS, overall_hidden, min_cell
        ),
        segment_cooccurrence=suppress_pairs(
            raw.segment_cooccurrence, SEGMENT_COOCCURRENCE_COUNTS, overall_hidden, min_cell
        ),
    )


def suppress_pairs(
    frame: pl.DataFrame | None,
    counts: dict[str, list[str]],
    overall_hidden: set[str],
    min_cell: int,
) -> pl.DataFrame | None:
    """Co-occurrence: blank small counts, and every pair with a theme in ``overall_hidden``
    (themes whose overall row the prevalence table hid, as a small cell or a complement)."""
    if frame is None:
        return None
    also = frame.select(
        pl.col("code_a").is_in(sorted(overall_hidden))
        | pl.col("code_b").is_in(sorted(overall_hidden))
    ).to_series()
    return privacy.suppress_counts(
        frame.drop("suppressed"), min_cell=min_cell, counts=counts, also=also
    ).select(frame.columns)


def _pseudonymous(results: Results) -> Results:
    """Pseudonyms instead of participant ids; redacted quotes."""
    study = results.study
    if results.quotes is None and results.saturation is None:
        return results  # nothing here names a participant
    mapping = privacy.pseudonyms(study.participants)
    quotes, redactions = results.quotes, results.redactions
    if quotes is not None:
        with_text = quotes.filter(
            pl.col("quote").is_not_null() & (pl.col("quote").str.strip_chars() != "")
        )
        rules = results.settings.redaction or Redaction()
        quotes, redactions = privacy.redact_quotes(
            with_text, rules, file=study.files.get("manifest", "study.yml")
        )
        quotes = privacy.apply_pseudonyms(quotes, mapping).rename({"participant_id": "pseudonym"})
    saturation = results.saturation
    if saturation is not None:
        curve = privacy.apply_pseudonyms(saturation.curve, mapping).rename(
            {"participant_id": "pseudonym"}
        )
        saturation = replace(saturation, curve=curve)
    return replace(
        results, quotes=quotes, redactions=redactions, saturation=saturation, pseudonyms=mapping
    )
