"""The schemas of one study's output frames: prevalence (SPEC §3), subgroup differences,
co-occurrence (participant and segment level), coder agreement and the saturation curve."""

from __future__ import annotations

import polars as pl

from toolkit.choices import CI_METHODS, DIFFERENCE_METHODS
from toolkit.frames.schema import (
    EPSILON,
    B,
    F,
    FrameSchema,
    N,
    Rule,
    S,
    at_most,
    between,
    col,
    hidden_when_suppressed,
    hidden_with_its_count,
    inside,
    level,
    not_negative,
    one_of,
    one_side_hidden,
    ratio,
)

PREVALENCE = FrameSchema(
    "prevalence",
    (
        ("code_id", S),
        ("label", S),
        ("parent_id", S),
        ("depth", N),
        ("stratum_variable", S),
        ("stratum_value", S),
        ("participants", N),
        ("denominator", N),
        ("prevalence", F),
        ("ci_lower", F),
        ("ci_upper", F),
        ("ci_method", S),
        ("ci_level", F),
        ("segments", N),
        ("suppressed", B),
    ),
    (
        not_negative("depth", "participants", "denominator", "segments"),
        at_most("participants", "denominator"),
        at_most("participants", "segments"),
        between("prevalence", 0, 1),
        ratio("prevalence", "participants", "denominator"),
        between("ci_lower", 0, 1),
        between("ci_upper", 0, 1),
        inside("prevalence"),
        one_of("ci_method", CI_METHODS),
        level(),
        Rule(
            "overall rows (no stratum_variable) have no stratum_value",
            lambda: col("stratum_variable").is_not_null() | col("stratum_value").is_null(),
        ),
        hidden_when_suppressed("participants", "prevalence", "ci_lower", "ci_upper", "segments"),
        Rule(
            "rows not suppressed show participants",
            lambda: col("suppressed") | col("participants").is_not_null(),
        ),
    ),
)
"""``raremix prevalence`` and ``prevalence.csv`` (SPEC §3, in its column order)."""

DIFFERENCES = FrameSchema(
    "differences",
    (
        ("code_id", S),
        ("label", S),
        ("parent_id", S),
        ("depth", N),
        ("stratum_variable", S),
        ("comparison", S),
        ("level", S),
        ("reference", S),
        ("participants_level", N),
        ("denominator_level", N),
        ("prevalence_level", F),
        ("participants_reference", N),
        ("denominator_reference", N),
        ("prevalence_reference", F),
        ("difference", F),
        ("ci_lower", F),
        ("ci_upper", F),
        ("ci_method", S),
        ("ci_level", F),
        ("p_value", F),
        ("p_adjusted", F),
        ("small_sample", B),
        ("caution", S),
        ("note", S),
        ("suppressed", B),
    ),
    (
        not_negative("depth", "participants_level", "participants_reference"),
        at_most("participants_level", "denominator_level"),
        at_most("participants_reference", "denominator_reference"),
        between("prevalence_level", 0, 1),
        between("prevalence_reference", 0, 1),
        ratio("prevalence_level", "participants_level", "denominator_level"),
        ratio("prevalence_reference", "participants_reference", "denominator_reference"),
        Rule(
            "difference = prevalence_level − prevalence_reference",
            lambda: (
                (col("difference") - (col("prevalence_level") - col("prevalence_reference"))).abs()
                <= EPSILON
            ),
        ),
        between("ci_lower", -1, 1),
        between("ci_upper", -1, 1),
        at_most("ci_lower", "ci_upper"),
        one_of("ci_method", DIFFERENCE_METHODS),
        level(),
        between("p_value", 0, 1),
        between("p_adjusted", 0, 1),
        at_most("p_value", "p_adjusted"),
        hidden_when_suppressed("difference", "ci_lower", "ci_upper", "p_value"),
        one_side_hidden("level"),
        hidden_with_its_count("level"),
        hidden_with_its_count("reference"),
    ),
)
"""``raremix differences`` and ``differences.csv``: each level against the reference."""

COOCCURRENCE_PARTICIPANTS = FrameSchema(
    "co-occurrence (participants)",
    (
        ("code_a", S),
        ("label_a", S),
        ("code_b", S),
        ("label_b", S),
        ("depth", N),
        ("participants_a", N),
        ("participants_b", N),
        ("participants_both", N),
        ("participants_either", N),
        ("jaccard", F),
        ("denominator", N),
        ("suppressed", B),
    ),
    (
        not_negative("depth", "participants_both"),
        at_most("participants_both", "participants_a"),
        at_most("participants_both", "participants_b"),
        Rule(
            "participants_either = participants_a + participants_b − participants_both",
            lambda: (
                col("participants_either")
                == col("participants_a") + col("participants_b") - col("participants_both")
            ),
        ),
        at_most("participants_either", "denominator"),
        between("jaccard", 0, 1),
        ratio("jaccard", "participants_both", "participants_either"),
        hidden_when_suppressed(
            "participants_a",
            "participants_b",
            "participants_both",
            "participants_either",
            "jaccard",
        ),
    ),
)
"""``raremix cooccurrence`` (participant level) and ``cooccurrence.csv``."""

COOCCURRENCE_SEGMENTS = FrameSchema(
    "co-occurrence (segments)",
    (
        ("code_a", S),
        ("label_a", S),
        ("code_b", S),
        ("label_b", S),
        ("depth", N),
        ("segments_a", N),
        ("segments_b", N),
        ("overlapping_pairs", N),
        ("sources", N),
        ("participants", N),
        ("suppressed", B),
    ),
    (
        not_negative(
            "depth", "segments_a", "segments_b", "overlapping_pairs", "sources", "participants"
        ),
        hidden_when_suppressed(
            "segments_a", "segments_b", "overlapping_pairs", "sources", "participants"
        ),
    ),
)
"""``raremix cooccurrence --level segment``: overlapping coded segments."""

AGREEMENT = FrameSchema(
    "agreement",
    (
        ("code_id", S),
        ("label", S),
        ("parent_id", S),
        ("depth", N),
        ("coders", N),
        ("units", N),
        ("units_present", N),
        ("percent_agreement", F),
        ("kappa", F),
        ("alpha", F),
        ("pairable_values", N),
        ("note", S),
        ("kappa_lower", F),
        ("kappa_upper", F),
        ("alpha_lower", F),
        ("alpha_upper", F),
    ),
    (
        not_negative("depth", "coders", "units", "units_present", "pairable_values"),
        at_most("units_present", "units"),
        between("percent_agreement", 0, 1),
        between("kappa", -1, 1),
        Rule("alpha ≤ 1", lambda: col("alpha") <= 1 + EPSILON),
        between("kappa_lower", -1, 1),
        between("kappa_upper", -1, 1),
        at_most("kappa_lower", "kappa_upper"),
        at_most("alpha_lower", "alpha_upper"),
        Rule("alpha_upper ≤ 1", lambda: col("alpha_upper") <= 1 + EPSILON),
        Rule(
            "no kappa or alpha (nor interval) from a single double-coded participant",
            lambda: (
                (col("units") != 1)
                | pl.all_horizontal(
                    [col(c).is_null() for c in ("kappa", "alpha", "kappa_lower", "alpha_lower")]
                )
            ),
        ),
        Rule(
            "intervals only beside their statistic",
            lambda: (
                (col("kappa").is_not_null() | col("kappa_lower").is_null())
                & (col("alpha").is_not_null() | col("alpha_lower").is_null())
            ),
        ),
    ),
)
"""``raremix agreement`` and ``agreement.csv``: coders' agreement per codebook node."""

SATURATION_CURVE = FrameSchema(
    "saturation",
    (
        ("interview", N),
        ("participant_id", S),
        ("order_value", S),
        ("themes_voiced", N),
        ("new_themes", N),
        ("cumulative_themes", N),
        ("base_themes", N),
        ("run_new_themes", N),
        ("new_information", F),
        ("meets_threshold", B),
    ),
    (
        Rule(
            "interview counts 1, 2, 3, … in row order",
            lambda: col("interview") == pl.int_range(1, pl.len() + 1),
        ),
        not_negative("themes_voiced", "new_themes", "base_themes", "run_new_themes"),
        at_most("new_themes", "themes_voiced"),
        Rule(
            "cumulative_themes is the running sum of new_themes",
            lambda: col("cumulative_themes") == col("new_themes").cum_sum(),
        ),
        Rule("new_information ≥ 0", lambda: col("new_information") >= 0),
        Rule(
            "meets_threshold is given exactly where new_information is",
            lambda: col("meets_threshold").is_null() == col("new_information").is_null(),
        ),
    ),
)
"""The saturation curve as :func:`toolkit.stats.saturation.saturation` returns it."""

SATURATION_OUTPUT = SATURATION_CURVE.renamed({"participant_id": "pseudonym"})
"""The saturation curve as written (``raremix saturation``, ``saturation.csv``): pseudonyms
in place of participant ids."""

PLAN = FrameSchema(
    "plan",
    (
        ("p", F),
        ("n", N),
        ("ci_lower", F),
        ("ci_upper", F),
        ("width", F),
        ("ci_method", S),
        ("ci_level", F),
        ("population", N),
    ),
    (
        between("p", 0, 1),
        between("ci_lower", 0, 1),
        between("ci_upper", 0, 1),
        at_most("ci_lower", "ci_upper"),
        Rule(
            "width = ci_upper − ci_lower",
            lambda: (col("width") - (col("ci_upper") - col("ci_lower"))).abs() <= EPSILON,
        ),
        at_most("n", "population"),
        one_of("ci_method", CI_METHODS),
        level(),
    ),
)
"""``raremix plan``: the interval a sample of n gives at proportion p (planning)."""
