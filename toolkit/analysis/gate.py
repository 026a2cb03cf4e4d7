"""The one disclosure gate: everything an analysis returns passes here, once.

Statistics return raw counts; :func:`disclose` makes a :class:`Results` safe to show:

- small cells (1..k−1 with ``min_cell`` k) are suppressed in the prevalence table, with the
  complements that would give them away (:func:`toolkit.privacy.suppress`);
- every other frame hides what the prevalence table of the same results hides, and its own
  small cells (differences, co-occurrence, coder agreement's ``units_present``); a
  suppressed difference keeps no words derived from its counts (caution, note);
- the participants' characteristics (:func:`protect_cohort`) hide small counts with their
  complements, small subgroups whole, every minimum and maximum, and any summary that
  would give a few values away (whatever ``min_cell`` is, 1 or 2 values get no SD, median
  or range);
- participants become pseudonyms, a keyed random permutation with the study secret
  (:func:`pseudonym_mapping`; quotes, the saturation curve, the matrix);
- quotes are redacted with the study's rules, and the joint display chooses exemplars and
  attributes them only with what the tables show (:mod:`toolkit.analysis.quotes`);
- the codes-by-cases matrix follows its own rule (:mod:`toolkit.analysis.matrix`).

The parts (suppression, pseudonyms, redaction) live in :mod:`toolkit.privacy`; the order in
which they apply, and which columns of each frame are counts, is decided here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import polars as pl

from toolkit import privacy
from toolkit.analysis.matrix import protect_matrix
from toolkit.analysis.results import Results
from toolkit.manifest import Redaction
from toolkit.model import MISSING, Study

if TYPE_CHECKING:
    from toolkit.stats.saturation import Saturation

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
    results = _pseudonymous(_suppressed(raw) if raw.settings.suppressing else raw)
    if results.matrix is not None:
        results = protect_matrix(results, hidden_sizes)
    if results.quotes is not None and results.prevalence is not None:
        from toolkit.analysis.quotes import joint_display, quote_descriptors

        if results.theme_depth is not None:
            joint = joint_display(
                results,
                descriptors=quote_descriptors(results.study, results.settings),
                meta_inferences=results.meta_inferences,
            )
            results = replace(results, joint=joint)
    return replace(results, protected=True)


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
    if differences is not None and prevalence is not None:
        differences = _difference_words(differences, prevalence, min_cell)
    return replace(
        raw,
        prevalence=prevalence,
        differences=differences,
        agreement=suppress_agreement(raw.agreement, overall_hidden, min_cell),
        coders=suppress_coders(raw.coders, overall_hidden, min_cell),
        cohort=None if raw.cohort is None else protect_cohort(raw.cohort, min_cell),
        cooccurrence=suppress_pairs(
            raw.cooccurrence, PARTICIPANT_COOCCURRENCE_COUNTS, overall_hidden, min_cell
        ),
        segment_cooccurrence=suppress_pairs(
            raw.segment_cooccurrence, SEGMENT_COOCCURRENCE_COUNTS, overall_hidden, min_cell
        ),
    )


#: Coder uncertainty: each coder's (and the union's, intersection's) count and its share.
CODER_COUNTS: dict[str, list[str]] = {
    "participants": ["prevalence", "ci_lower", "ci_upper"],
    "denominator": ["prevalence", "ci_lower", "ci_upper"],
}


def suppress_coders(
    frame: pl.DataFrame | None, overall_hidden: set[str], min_cell: int
) -> pl.DataFrame | None:
    """Coder uncertainty: small counts (or a coder's small number of transcripts) blanked,
    and every row of a node whose overall prevalence the table hid (the union row IS that
    count; the others bound it)."""
    if frame is None:
        return None
    also = frame.select(pl.col("code_id").is_in(sorted(overall_hidden))).to_series()
    return privacy.suppress_counts(
        frame.drop("suppressed"), min_cell=min_cell, counts=CODER_COUNTS, also=also
    ).select(frame.columns)


#: Agreement: the count of double-coded participants with the node, and what rests on it.
AGREEMENT_COUNTS: dict[str, list[str]] = {
    "units_present": [
        "percent_agreement",
        "kappa",
        "alpha",
        "kappa_lower",
        "kappa_upper",
        "alpha_lower",
        "alpha_upper",
    ],
}
_MISSING_NOTE = re.compile(r"\b(\d+) participant\(s\) without a value for '([^']*)'")


def _difference_words(
    differences: pl.DataFrame, prevalence: pl.DataFrame, min_cell: int
) -> pl.DataFrame:
    """No words from hidden counts: a suppressed row has no caution and no note (they named
    group sizes and an expected count that pin the hidden cells down), and a note never
    gives the number of participants without a value when that number is small or the
    prevalence table hides the "missing" stratum (it would give a hidden stratum away)."""
    hidden_strata = {
        (row["stratum_variable"], row["stratum_value"])
        for row in prevalence.filter(
            pl.col("stratum_variable").is_not_null() & pl.col("denominator").is_null()
        )
        .select("stratum_variable", "stratum_value")
        .unique()
        .iter_rows(named=True)
    }

    def note(text: str | None) -> str | None:
        if text is None:
            return None

        def words(match: re.Match[str]) -> str:
            count, variable = int(match.group(1)), match.group(2)
            if privacy.is_small(count, min_cell) or (variable, MISSING) in hidden_strata:
                return f"participants without a value for '{variable}'"
            return match.group(0)

        return _MISSING_NOTE.sub(words, text)

    suppressed = differences["suppressed"].fill_null(False).to_list()
    notes = [
        None if hide else note(text)
        for hide, text in zip(suppressed, differences["note"].to_list(), strict=True)
    ]
    cautions = [
        None if hide else text
        for hide, text in zip(suppressed, differences["caution"].to_list(), strict=True)
    ]
    return differences.with_columns(
        pl.Series("caution", cautions, dtype=pl.String), pl.Series("note", notes, dtype=pl.String)
    )


def suppress_agreement(
    frame: pl.DataFrame | None, overall_hidden: set[str], min_cell: int
) -> pl.DataFrame | None:
    """Coder agreement: ``units_present`` (double-coded participants with the node) 1..k−1,
    or of a node whose overall prevalence is hidden, is blanked with the agreement
    statistics that rest on it (with the units they could be solved for it); the note says
    so. ``units`` (double-coded participants, the same for every node) stays."""
    if frame is None:
        return None
    also = frame.select(pl.col("code_id").is_in(sorted(overall_hidden))).to_series()
    out = privacy.suppress_counts(
        frame, min_cell=min_cell, counts=AGREEMENT_COUNTS, also=also, flag="_hidden"
    )
    hidden_note = f"suppressed (small-cell suppression, min_cell = {min_cell})"
    return out.with_columns(
        pl.when(pl.col("_hidden")).then(pl.lit(hidden_note)).otherwise(pl.col("note")).alias("note")
    ).select(frame.columns)


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


def hidden_sizes(total: int, sizes: Sequence[int], min_cell: int) -> list[bool]:
    """Which subgroup sizes to hide: the rule of :func:`toolkit.privacy.suppress`.

    A subgroup of 1..k−1 participants is hidden; since the subgroups add up to ``total``,
    complements are hidden with it (never exactly one hidden, hidden ones never adding up to
    a small number), so the prevalence table and the participants table hide the same
    subgroups. A small ``total`` hides every subgroup.
    """
    if min_cell <= 1:
        return [False] * len(sizes)
    if privacy.is_small(total, min_cell):
        return [True] * len(sizes)
    values = [total, *sizes]
    hidden = {j + 1 for j, size in enumerate(sizes) if privacy.is_small(size, min_cell)}
    if hidden:
        equation = privacy.Equation(total=0, parts=list(range(1, len(values))))
        privacy.protect_equations([equation], hidden, values, min_cell=min_cell)
    return [j + 1 in hidden for j in range(len(sizes))]


def protect_table(
    counts: Sequence[Sequence[int]],
    sizes: Sequence[int],
    *,
    min_cell: int,
    unshown: Sequence[int] = (),
) -> tuple[list[list[bool]], list[bool]]:
    """Small-cell suppression of a two-way table of participant counts, with complements.

    Args:
        counts: ``counts[level][group]``; the levels of each group add up to its size.
        sizes: participants per group; ``sizes[0]`` is the overall group, and the groups
            after it, when there are any, partition it (strata of one attribute), so each
            level's count in the first group is the sum of the others.
        min_cell: k.
        unshown: levels the table never shows (treated as hidden from the start).

    Returns:
        ``(hidden[level][group], hidden size per group)``: no shown count is 1..k−1, and no
        hidden count can be computed exactly from the shown ones and the sums (the same
        guarantee as :func:`toolkit.privacy.suppress`).
    """
    groups, levels = len(sizes), len(counts)
    if min_cell <= 1:
        return [[False] * groups for _ in range(levels)], [False] * groups
    if groups > 1:
        strata = hidden_sizes(sizes[0], sizes[1:], min_cell)
        size_hidden = [privacy.is_small(sizes[0], min_cell), *strata]
        if size_hidden[0]:
            size_hidden = [True] * groups
    else:
        size_hidden = [privacy.is_small(n, min_cell) for n in sizes]

    def cell(level: int, group: int) -> int:
        return groups + level * groups + group

    values = [
        *(n if size_hidden[g] else n + 10**9 for g, n in enumerate(sizes)),  # sizes: last picks
        *(int(counts[lv][g]) for lv in range(levels) for g in range(groups)),
    ]
    hidden = {g for g in range(groups) if size_hidden[g]}
    for lv in range(levels):
        for g in range(groups):
            if size_hidden[g] or lv in unshown or privacy.is_small(int(counts[lv][g]), min_cell):
                hidden.add(cell(lv, g))
    equations = [
        privacy.Equation(total=g, parts=[cell(lv, g) for lv in range(levels)])
        for g in range(groups)
        if levels
    ]
    if groups > 1:
        equations += [
            privacy.Equation(total=cell(lv, 0), parts=[cell(lv, g) for g in range(1, groups)])
            for lv in range(levels)
        ]
        equations.append(privacy.Equation(total=0, parts=list(range(1, groups))))
    # A shown size is never summed with hidden cells (rule 2 sums hidden parts only), so its
    # inflated value above only makes it the last cell picked as a complement.
    privacy.protect_equations(equations, hidden, values, min_cell=min_cell)
    return (
        [[cell(lv, g) in hidden for g in range(groups)] for lv in range(levels)],
        [g in hidden for g in range(groups)],
    )


#: Fewest recorded values with a spread, a median or a range shown, whatever min_cell is:
#: with 1 or 2 values the SD, median or range give the values themselves.
FEWEST_FOR_SPREAD = 3
#: With min_cell above 1, fewest recorded values with SD and median shown: mean, SD and
#: median of 3 values solve for all three (the three men's ages of issue 12).
FEWEST_FOR_SPREAD_PROTECTED = 4


def protect_cohort(frame: pl.DataFrame, min_cell: int) -> pl.DataFrame:
    """Hide what the participants' characteristics may not show.

    ``frame`` is :func:`toolkit.stats.cohort.describe`'s, one table per value of ``by``.

    Whatever ``min_cell`` is, a numeric summary of 1 or 2 recorded values shows no SD,
    median, minimum or maximum (they would be the values themselves); only the mean stays.

    With ``min_cell`` k ≥ 2, in each table: a subgroup of 1..k−1 participants is hidden
    whole, its size included, with the subgroups that would give it away; counts 1..k−1 are
    hidden with complements across the levels of a group and across the groups
    (:func:`protect_table`); so are missing counts of numeric attributes (the recorded counts
    are never shown); no mean, SD, median, minimum or maximum of fewer than k recorded values
    (``suppressed``); SD and median need at least :data:`FEWEST_FOR_SPREAD_PROTECTED` values
    (mean, SD and median of three values give all three away); minimum and maximum, each one
    participant's exact value, are never shown. Hidden values are null.
    """
    if min_cell <= 1:
        return _no_spread_of_few(frame)
    parts = [
        _protect_cohort_table(part, min_cell)
        for part in frame.partition_by("by", maintain_order=True, include_key=True)
    ]
    if not parts:
        return frame.with_columns(pl.lit(None, dtype=pl.Float64).alias(c) for c in ("min", "max"))
    return pl.concat(parts, how="vertical").select(frame.columns)


def _no_spread_of_few(frame: pl.DataFrame) -> pl.DataFrame:
    """SD, median and range blanked where fewer than :data:`FEWEST_FOR_SPREAD` values."""
    few = pl.col("recorded").is_not_null() & (pl.col("recorded") < FEWEST_FOR_SPREAD)
    return frame.with_columns(
        pl.when(few).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("sd", "median", "min", "max")
    )


def _protect_cohort_table(table: pl.DataFrame, min_cell: int) -> pl.DataFrame:
    groups = table.select("group", "group_size").unique(subset="group", maintain_order=True)
    names = groups["group"].to_list()
    sizes = [int(n) for n in groups["group_size"].to_list()]
    _, size_hidden = protect_table([], sizes, min_cell=min_cell)
    rows = table.to_dicts()
    for attribute in dict.fromkeys(table["attribute"].to_list()):
        mine = [r for r in rows if r["attribute"] == attribute]
        position = {id(r): names.index(r["group"]) for r in mine}
        if mine[0]["type"] == "categorical":
            levels = list(dict.fromkeys(r["level"] for r in mine))
            at = {(r["level"], position[id(r)]): r for r in mine}
            counts = [[int(at[(lv, g)]["count"]) for g in range(len(names))] for lv in levels]
            hidden, _ = protect_table(counts, sizes, min_cell=min_cell)
            for i, level in enumerate(levels):
                for g in range(len(names)):
                    if hidden[i][g]:
                        at[(level, g)].update(count=None, share=None, suppressed=True)
            continue
        ordered = sorted(mine, key=lambda r: position[id(r)])
        recorded = [int(r["recorded"]) for r in ordered]
        missing = [int(r["missing"]) for r in ordered]
        # The number of recorded values is never shown, only the missing ones.
        hidden, _ = protect_table([recorded, missing], sizes, min_cell=min_cell, unshown=[0])
        for g, row in enumerate(ordered):
            too_few = size_hidden[g] or recorded[g] < min_cell
            row.update(recorded=None, min=None, max=None)
            if hidden[1][g]:
                row["missing"] = None
            if recorded[g] and too_few:
                row.update(mean=None, sd=None, median=None, suppressed=True)
            elif recorded[g] < FEWEST_FOR_SPREAD_PROTECTED:
                row.update(sd=None, median=None)
    for row in rows:
        if size_hidden[names.index(row["group"])]:
            row["group_size"] = None
    return pl.DataFrame(rows, schema=table.schema)


def pseudonym_mapping(study: Study) -> pl.DataFrame:
    """``participant_id, pseudonym``: the keyed permutation of the study's ids, with the study
    secret beside its data (:func:`toolkit.io.secret.study_key`), the same in every document."""
    from toolkit.io.secret import study_key

    return privacy.pseudonyms(study.participants, key=study_key(study))


def _pseudonymous(results: Results) -> Results:
    """Pseudonyms instead of participant ids; redacted quotes. Results that name no
    participant need no pseudonyms (nor the study secret: a read-only folder still gives
    its prevalence table)."""
    study = results.study
    if all(
        getattr(results, name) is None
        for name in ("quotes", "saturation", "code_saturation", "matrix")
    ):
        return results
    mapping = results.pseudonyms if results.pseudonyms is not None else pseudonym_mapping(study)
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
    return replace(
        results,
        quotes=quotes,
        redactions=redactions,
        saturation=_named(results.saturation, mapping),
        code_saturation=_named(results.code_saturation, mapping),
        pseudonyms=mapping,
    )


def _named(saturation: Saturation | None, mapping: pl.DataFrame) -> Saturation | None:
    """The saturation curve with pseudonyms in place of participant ids."""
    if saturation is None:
        return None
    curve = privacy.apply_pseudonyms(saturation.curve, mapping)
    return replace(saturation, curve=curve.rename({"participant_id": "pseudonym"}))
