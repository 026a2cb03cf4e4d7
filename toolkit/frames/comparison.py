"""The schemas of a cohort comparison's frames (``raremix compare``): prevalence per theme and
cohort with pooled rows, pairwise differences, codes not compared, mappings and notes."""

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

_COMPARISON_COLUMNS: tuple[tuple[str, pl.DataType], ...] = (
    ("theme_id", S),
    ("label", S),
    ("cohort", S),
    ("participants", N),
    ("denominator", N),
    ("prevalence", F),
    ("ci_lower", F),
    ("ci_upper", F),
    ("ci_method", S),
    ("ci_level", F),
    ("codes", S),
    ("comparable", B),
    ("mapped", B),
    ("parent_id", S),
    ("depth", N),
    ("segments", N),
    ("k", N),
    ("tau2", F),
    ("i2", F),
    ("q", F),
    ("q_pvalue", F),
    ("pi_lower", F),
    ("pi_upper", F),
    ("logit", F),
    ("logit_se", F),
    ("method", S),
    ("note", S),
    ("suppressed", B),
)
_POOLED = "pooled"
_MIN_COHORTS = 3  # toolkit.stats.pooled.MIN_COHORTS (frames is a base layer)
_POOLING_RESULTS = ("k", "tau2", "i2", "q", "q_pvalue", "pi_lower", "pi_upper", "logit", "logit_se")

_COMPARISON_RULES: tuple[Rule, ...] = (
    not_negative("participants", "denominator", "segments", "k", "tau2", "q"),
    at_most("participants", "denominator"),
    between("prevalence", 0, 1),
    between("ci_lower", 0, 1),
    between("ci_upper", 0, 1),
    inside("prevalence"),
    level(),
    between("i2", 0, 1),
    between("q_pvalue", 0, 1),
    Rule(
        "a cohort's prevalence = participants / denominator (pooled rows are estimates)",
        lambda: (
            (col("cohort") == _POOLED)
            | (col("denominator") == 0)
            | ((col("prevalence") - col("participants") / col("denominator")).abs() <= EPSILON)
        ),
    ),
    Rule(
        f"a cohort's ci_method is one of {', '.join(CI_METHODS)}",
        lambda: (col("cohort") == _POOLED) | col("ci_method").is_in(CI_METHODS),
    ),
    Rule(
        "pooling results (k, tau2, i2, q, q_pvalue, pi_lower, pi_upper, logit, logit_se, "
        "method, note) only on pooled rows",
        lambda: (
            (col("cohort") == _POOLED)
            | pl.all_horizontal([col(c).is_null() for c in (*_POOLING_RESULTS, "method", "note")])
        ),
    ),
    Rule(
        f"no pooled estimate from fewer than {_MIN_COHORTS} cohorts (every number null, a note)",
        lambda: (
            (col("cohort") != _POOLED)
            | (col("k") >= _MIN_COHORTS)
            | (
                pl.all_horizontal(
                    [
                        col(c).is_null()
                        for c in (*_POOLING_RESULTS[1:], "participants", "prevalence", "ci_lower")
                    ]
                )
                & col("note").is_not_null()
            )
        ),
    ),
    Rule(
        "a pooled estimate comes with k, tau2, i2, q, q_pvalue and its prediction interval",
        lambda: (
            (col("cohort") != _POOLED)
            | col("prevalence").is_null()
            | pl.all_horizontal([col(c).is_not_null() for c in _POOLING_RESULTS])
        ),
    ),
    between("pi_lower", 0, 1),
    between("pi_upper", 0, 1),
    inside("prevalence", "pi_lower", "pi_upper"),
    at_most("ci_lower", "ci_upper"),
    not_negative("logit_se"),
    hidden_when_suppressed("participants", "prevalence", "ci_lower", "ci_upper"),
    hidden_when_suppressed("pi_lower", "pi_upper", "logit", "logit_se", "tau2", "i2", "q"),
)

COMPARISON = FrameSchema("comparison", _COMPARISON_COLUMNS, _COMPARISON_RULES)
""":attr:`toolkit.compare.Comparison.prevalence`: each theme per cohort, then pooled."""

COMPARISON_TABLE = FrameSchema(
    "comparison table",
    (*_COMPARISON_COLUMNS, ("status", S)),
    (
        *_COMPARISON_RULES,
        one_of("status", ("compared", "not mapped", "pooled", "not compared")),
        Rule(
            "status is pooled exactly on the pooled rows",
            lambda: (col("status") == _POOLED) == (col("cohort") == _POOLED),
        ),
    ),
)
"""``raremix compare`` (``--show prevalence``): the comparison plus one row per code that
reaches no theme, with a ``status``."""

COMPARISON_DIFFERENCES = FrameSchema(
    "comparison differences",
    (
        ("theme_id", S),
        ("label", S),
        ("cohort", S),
        ("reference", S),
        ("participants_cohort", N),
        ("denominator_cohort", N),
        ("prevalence_cohort", F),
        ("participants_reference", N),
        ("denominator_reference", N),
        ("prevalence_reference", F),
        ("difference", F),
        ("ci_lower", F),
        ("ci_upper", F),
        ("ci_method", S),
        ("ci_level", F),
        ("suppressed", B),
    ),
    (
        not_negative("participants_cohort", "participants_reference"),
        at_most("participants_cohort", "denominator_cohort"),
        at_most("participants_reference", "denominator_reference"),
        between("prevalence_cohort", 0, 1),
        between("prevalence_reference", 0, 1),
        ratio("prevalence_cohort", "participants_cohort", "denominator_cohort"),
        ratio("prevalence_reference", "participants_reference", "denominator_reference"),
        Rule(
            "difference = prevalence_cohort − prevalence_reference",
            lambda: (
                (col("difference") - (col("prevalence_cohort") - col("prevalence_reference"))).abs()
                <= EPSILON
            ),
        ),
        between("ci_lower", -1, 1),
        between("ci_upper", -1, 1),
        at_most("ci_lower", "ci_upper"),
        one_of("ci_method", DIFFERENCE_METHODS),
        level(),
        hidden_when_suppressed("difference", "ci_lower", "ci_upper"),
        one_side_hidden("cohort"),
        hidden_with_its_count("cohort"),
        hidden_with_its_count("reference"),
    ),
)
"""``raremix compare --show differences``: each cohort against the reference cohort."""

COMPARISON_NOT_COMPARED = FrameSchema(
    "not compared",
    (
        ("study_id", S),
        ("code_id", S),
        ("label", S),
        ("participants", N),
        ("denominator", N),
        ("segments", N),
        ("reason", S),
        ("suppressed", B),
    ),
    (
        not_negative("participants", "denominator", "segments"),
        at_most("participants", "denominator"),
        hidden_when_suppressed("participants", "segments"),
    ),
)
"""``raremix compare --show not-compared``: codes that reach no theme, never dropped."""

COMPARISON_MAPPINGS = FrameSchema(
    "mappings",
    (("study_id", S), ("code_id", S), ("code_label", S), ("theme_id", S), ("theme_label", S)),
)
"""``raremix compare --show mappings``: the effective crosswalk."""

COMPARISON_NOTES = FrameSchema(
    "comparison notes",
    (("kind", S), ("theme_id", S), ("cohort", S), ("message", S)),
)
"""``raremix compare --show notes``: what a reader must know about the comparison."""
