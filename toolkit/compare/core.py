"""Cohorts of different rare conditions side by side: shared themes, pooling, comparability.

Studies code in their own words. A crosswalk (``study_id, code_id, theme_id``; see
:mod:`toolkit.io.crosswalk`) maps each study's codes to shared themes, by default those of
raremix's own framework ``rare-experience-v1``. Without a crosswalk, codes with identical
``code_id`` are matched and each code id is its own theme.

Counting (the same definitions as SPEC §2, per cohort):

- denominator n: all participants of the cohort, including those with no coding;
- participants x for theme T: the distinct participants with at least one coding on a code
  mapped to T or to a theme below T, or on any descendant of such a code in the study's
  codebook. A participant counts once per theme, however many of their codes map to it;
- segments: distinct coded segments reaching T that way (a segment counts once per theme).

A cohort whose codebook has no code mapped to a theme gets no numbers for it (``mapped`` is
false, counts are null): a theme that was never in a codebook is not a theme nobody voiced.

The result is a :class:`Comparison` of tidy polars frames, documented on the class, carrying
the :class:`~toolkit.compare.settings.CompareSettings` it was computed with and the facts the
report's comparability notes are written from (:mod:`toolkit.report.compare_notes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from toolkit.compare import counting
from toolkit.compare.crosswalk import (
    Matching,
    double_mappings,
    mapping_table,
    match,
    not_compared,
    not_compared_schema,
)
from toolkit.compare.pooling import POOLED, differences, pooled_rows
from toolkit.compare.settings import CompareSettings, resolve_settings
from toolkit.model import CODE_ID, AttributeSpec, Study
from toolkit.privacy import suppress_comparison, suppress_counts
from toolkit.stats.hierarchy import tree_order
from toolkit.stats.pooled import MIN_COHORTS

PREVALENCE_COLUMNS = (
    "theme_id",
    "label",
    "cohort",
    "participants",
    "denominator",
    "prevalence",
    "ci_lower",
    "ci_upper",
    "ci_method",
    "ci_level",
    "codes",
    "comparable",
    "mapped",
    "parent_id",
    "depth",
    "segments",
    "k",
    "tau2",
    "i2",
    "q",
    "q_pvalue",
    "pi_lower",
    "pi_upper",
    "logit",
    "logit_se",
    "method",
    "note",
    "suppressed",
)


@dataclass(frozen=True)
class CohortFacts:
    """What a reader must know about one cohort to compare it (data; the report words it).

    Attributes:
        cohort: the study id.
        synthetic: the study is marked synthetic.
        strata: the attributes its own analysis breaks themes down by.
        attributes: its participant attributes, with their types, levels and bins.
    """

    cohort: str
    synthetic: bool
    strata: tuple[str, ...]
    attributes: tuple[AttributeSpec, ...]


@dataclass(frozen=True)
class Comparison:
    """Theme prevalence across cohorts, as tidy frames (one concern each), with its settings.

    Attributes:
        cohorts: the compared study ids, in the order given.
        prevalence: one row per theme and cohort, then one row per theme with
            ``cohort == "pooled"``; themes in framework (or first codebook) preorder.
            Columns (:data:`PREVALENCE_COLUMNS`): ``theme_id``, ``label``, ``cohort``,
            ``participants`` (x), ``denominator`` (n), ``prevalence``, ``ci_lower``,
            ``ci_upper``, ``ci_method``, ``ci_level``; then ``codes`` (the cohort's code ids
            counted for the theme, comma-separated), ``comparable`` (true when every cohort
            has a code for the theme; the same on all rows of a theme), ``mapped`` (this
            cohort has a code for the theme; on the pooled row: at least two cohorts were
            pooled), ``parent_id`` and ``depth`` (the theme tree, depth 0 at a domain),
            ``segments``, and for the pooled row only ``k`` (cohorts pooled), ``tau2``,
            ``i2`` (a fraction, 0–1), ``q`` (Cochran's Q), ``q_pvalue``, ``pi_lower`` and
            ``pi_upper`` (the prediction interval for a new cohort), ``logit`` and
            ``logit_se`` (μ̂ and its SE), ``method`` ("GLMM (ML)", "DerSimonian-Laird" or
            "REML") and ``note`` (why a pooled row has no estimate: fewer than 3 cohorts, or
            every cohort at 0% or 100% under the GLMM). On the pooled row ``participants`` and
            ``denominator`` are totals over the pooled cohorts and ``prevalence`` is the
            random-effects estimate (not their ratio); ``ci_method`` names the pooling.
            Below 3 cohorts the pooled row is there (SPEC §5) with every number null.
            ``suppressed`` is true where a small count (1 to ``min_cell`` − 1) was hidden,
            or, on a pooled row, where any cohort of the theme was: its counts, prevalence,
            interval and heterogeneity are then null (see
            :func:`toolkit.privacy.suppress_comparison`).
        differences: one row per theme and pair of cohorts that both have the theme:
            ``cohort`` minus ``reference`` (the earlier cohort in the given order), with the
            counts, prevalences, ``difference`` and its interval from
            :func:`toolkit.stats.difference_ci` (:data:`DIFFERENCE_COLUMNS`). Where either
            cohort's count is suppressed, ``suppressed`` is true and the difference and its
            interval are null, as is the hidden side's count and prevalence.
        not_compared: codes of each study that reach no theme (:data:`NOT_COMPARED_COLUMNS`):
            ``study_id``, ``code_id``, ``label``, ``participants``, ``denominator`` and
            ``segments`` (in that study, rolled up), ``reason``, ``suppressed`` (a count of
            1 to ``min_cell`` − 1: participants and segments null). Never dropped silently:
            every output lists them.
        mappings: the effective mapping (:data:`MAPPING_COLUMNS`), one row per study, code
            and theme; a code mapped to two themes has two rows.
        settings: every setting the comparison was computed with.
        facts: per cohort, what the comparability notes are written from.
        unused_themes: themes of the themes table no study maps a code to (crosswalk only).
        double_mappings: (study_id, code_id, theme ids) of each code mapped to several themes.
    """

    cohorts: tuple[str, ...]
    prevalence: pl.DataFrame
    differences: pl.DataFrame
    not_compared: pl.DataFrame
    mappings: pl.DataFrame
    settings: CompareSettings
    facts: tuple[CohortFacts, ...]
    unused_themes: tuple[str, ...] = ()
    double_mappings: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    @property
    def matching(self) -> str:
        """ "crosswalk" or "code_id" (identical code ids matched)."""
        return self.settings.matching

    @property
    def pooling_method(self) -> str:
        """ "glmm", "dl" or "reml"."""
        return self.settings.pooling

    @property
    def level(self) -> float:
        """The confidence level of the pooled intervals and differences."""
        return self.settings.level

    @property
    def min_cell(self) -> int:
        """The small-cell threshold used (counts 1..min_cell − 1 suppressed; 0: off)."""
        return self.settings.min_cell

    @property
    def synthetic(self) -> bool:
        """True when any compared study is marked synthetic."""
        return any(f.synthetic for f in self.facts)

    def table(self) -> pl.DataFrame:
        """The flat table ``raremix compare`` writes: :attr:`prevalence`, then one row per
        not-compared code (``theme_id`` empty, ``codes`` the code id, ``mapped`` false), with
        a ``status`` column: ``compared``, ``not mapped`` (a cohort without the theme),
        ``pooled`` or ``not compared``."""
        status = (
            pl.when(pl.col("cohort") == POOLED)
            .then(pl.lit("pooled"))
            .when(pl.col("mapped"))
            .then(pl.lit("compared"))
            .otherwise(pl.lit("not mapped"))
        )
        main = self.prevalence.with_columns(status.alias("status"))
        if self.not_compared.height == 0:
            return main
        extra = self.not_compared.select(
            pl.lit(None, pl.String).alias("theme_id"),
            pl.col("label"),
            pl.col("study_id").alias("cohort"),
            pl.col("participants"),
            pl.col("denominator"),
            pl.col("code_id").alias("codes"),
            pl.col("segments"),
            pl.lit(False).alias("mapped"),
            pl.lit(False).alias("comparable"),
            pl.col("suppressed"),
            pl.lit("not compared").alias("status"),
        )
        return pl.concat([main, extra], how="diagonal_relaxed")


def compare(
    studies: Sequence[Study],
    *,
    crosswalk: pl.DataFrame | None = None,
    themes: pl.DataFrame | None = None,
    method: str | None = None,
    level: float | None = None,
    pooling: str = "glmm",
    difference_method: str | None = None,
    crosswalk_file: str = "crosswalk.csv",
    min_cell: int | None = None,
    hksj: bool = False,
) -> Comparison:
    """Compare theme prevalence across cohorts, with a random-effects pooled estimate.

    Args:
        studies: two or more loaded studies with distinct ids (one cohort each).
        crosswalk: ``study_id, code_id, theme_id`` (:func:`toolkit.io.crosswalk.read_crosswalk`);
            None to match identical code ids.
        themes: the themes table (:func:`toolkit.io.crosswalk.read_themes`); with a crosswalk
            and no themes, the bundled rare-experience-v1 framework. Ignored without a crosswalk.
        method: CI method for every cohort; None: each study's own ``analysis.ci.method``
            (a note says so when they differ).
        level: CI level for every cohort and the pooled estimate; None: each study's own
            (the pooled interval then uses the first study's level).
        pooling: the pooling model: "glmm" (binomial-normal model by maximum likelihood,
            the default), "dl" (DerSimonian–Laird) or "reml" (two-step logit models).
        difference_method: method of :func:`toolkit.stats.difference_ci`; None: the first
            study's ``analysis.difference_ci``.
        crosswalk_file: the crosswalk's file name, for error messages.
        min_cell: small-cell threshold k: counts of participants from 1 to k−1 are
            suppressed, with every pooled estimate, difference and segment count from which
            one could be derived (:func:`toolkit.privacy.suppress_comparison`). None: the
            comparison default :data:`toolkit.privacy.DEFAULT_COMPARE_MIN_CELL` (5), whatever
            the studies' own ``analysis.min_cell``; 0 switches suppression off.
        hksj: Hartung–Knapp–Sidik–Jonkman pooled intervals (with "dl" or "reml").

    Returns:
        A :class:`Comparison`.

    Raises:
        InputError: the crosswalk names unknown studies, codes or themes, or has no row for
            a compared study (every problem, with its line).
        UsageError: fewer than two studies, a repeated study id, an unknown method or level,
            a negative min_cell.
    """
    studies = list(studies)
    settings = resolve_settings(
        studies,
        method=method,
        level=level,
        pooling=pooling,
        difference_method=difference_method,
        min_cell=min_cell,
        crosswalk_file=crosswalk_file if crosswalk is not None else None,
        hksj=hksj,
    )
    matching = match(studies, crosswalk, themes, crosswalk_file=crosswalk_file)
    cohort_rows, used = _count(studies, matching, settings)
    prevalence, cohort_rows = _prevalence(cohort_rows, settings)
    ids = [s.id for s in studies]
    unused = [t for t in matching.themes["theme_id"].to_list() if t not in set(used)]
    return Comparison(
        cohorts=tuple(ids),
        prevalence=prevalence,
        differences=differences(
            cohort_rows,
            ids,
            method=settings.difference_method,
            level=settings.level,
            min_cell=settings.min_cell,
        ),
        not_compared=_not_compared(studies, matching, settings),
        mappings=mapping_table(matching, studies),
        settings=settings,
        facts=tuple(_facts(s) for s in studies),
        unused_themes=tuple(unused) if matching.kind == "crosswalk" else (),
        double_mappings=double_mappings(matching.mapping) if matching.kind == "crosswalk" else (),
    )


def _count(
    studies: Sequence[Study], matching: Matching, settings: CompareSettings
) -> tuple[pl.DataFrame, list[str]]:
    """Every cohort's rows for the themes some study reaches, and those themes' ids."""
    tree = tree_order(
        matching.themes.select(pl.col("theme_id").alias(CODE_ID), "label", "parent_id")
    )
    theme_info = tree.select(
        pl.col(CODE_ID).alias("theme_id"),
        "label",
        "parent_id",
        pl.col("depth").cast(pl.Int64),
        "order",
    )
    reached: set[str] = set()
    per_study: dict[str, tuple[pl.DataFrame, pl.DataFrame]] = {}
    for study, cohort in zip(studies, settings.cohorts, strict=True):
        study_mapping = matching.mapping.filter(pl.col("study_id") == study.id)
        codings = counting.coded(study, cohort.coder)
        counts, codes = counting.theme_counts(study, codings, study_mapping, matching.theme_closure)
        per_study[study.id] = (counts, codes)
        reached |= set(codes["theme_id"].to_list())
    used = theme_info.filter(pl.col("theme_id").is_in(sorted(reached)))
    ci = {c.cohort: (c.ci_method, c.ci_level) for c in settings.cohorts}
    sizes = {c.cohort: c.population for c in settings.cohorts}
    rows = counting.cohort_rows(studies, used, per_study, ci, sizes)
    return rows, used["theme_id"].to_list()


def _prevalence(
    cohort_rows: pl.DataFrame, settings: CompareSettings
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The prevalence frame, suppressed; and the cohort rows with their ``suppressed`` flag.

    Pooled rows and intervals are computed from the true counts; then every small count is
    hidden, with the pooled row of its theme and complementary segment counts.
    """
    order = {c.cohort: i for i, c in enumerate(settings.cohorts)} | {POOLED: len(settings.cohorts)}
    pooled = pooled_rows(
        cohort_rows, pooling=settings.pooling, level=settings.level, hksj=settings.hksj
    )
    prevalence = (
        pl.concat([cohort_rows, pooled], how="diagonal_relaxed")
        .with_columns(
            pl.col("cohort").replace_strict(order, return_dtype=pl.Int32).alias("_cohort")
        )
        .sort("_order", "_cohort")
        .select(PREVALENCE_COLUMNS)
    )
    prevalence = suppress_comparison(prevalence, min_cell=settings.min_cell).select(
        PREVALENCE_COLUMNS
    )
    # Why a blanked pooled row has no estimate could say where a hidden count lies (at 0% or
    # 100%): its note goes with its numbers (too few cohorts says nothing of a count).
    prevalence = prevalence.with_columns(
        pl.when((pl.col("cohort") == POOLED) & pl.col("suppressed") & (pl.col("k") >= MIN_COHORTS))
        .then(None)
        .otherwise(pl.col("note"))
        .alias("note")
    )
    hidden = prevalence.filter(pl.col("cohort") != POOLED).select(
        "theme_id", "cohort", pl.col("suppressed").alias("_hidden")
    )
    cohort_rows = (
        cohort_rows.join(hidden, on=["theme_id", "cohort"], how="left", maintain_order="left")
        .with_columns(pl.col("_hidden").fill_null(False).alias("suppressed"))
        .drop("_hidden")
    )
    return prevalence, cohort_rows


def _not_compared(
    studies: Sequence[Study], matching: Matching, settings: CompareSettings
) -> pl.DataFrame:
    """Codes that reach no theme (with a crosswalk), counted and suppressed."""
    if matching.kind != "crosswalk":
        empty = pl.DataFrame(schema=not_compared_schema())
        return empty.with_columns(pl.lit(False).alias("suppressed"))
    parts = []
    for study, cohort in zip(studies, settings.cohorts, strict=True):
        codings = counting.coded(study, cohort.coder)
        coded_ids = {codings.code_ids[i] for i in set(codings.code.tolist())}
        study_mapping = matching.mapping.filter(pl.col("study_id") == study.id)
        counts = counting.code_counts(study, codings)
        parts.append(not_compared(study, study_mapping, counts, coded_ids))
    frame = pl.concat(parts)
    min_cell = settings.min_cell
    if min_cell <= 1 or frame.height == 0:
        return frame.with_columns(pl.lit(False).alias("suppressed"))
    # A small cohort hides its codes' counts too; its size is blanked on its own.
    small_cohort = frame["denominator"].is_between(1, min_cell - 1).fill_null(False)
    frame = suppress_counts(
        frame, min_cell=min_cell, counts={"participants": ["segments"]}, also=small_cohort
    )
    return suppress_counts(
        frame, min_cell=min_cell, counts={"denominator": []}, flag="_small"
    ).drop("_small")


def _facts(study: Study) -> CohortFacts:
    return CohortFacts(
        cohort=study.id,
        synthetic=study.synthetic,
        strata=tuple(study.manifest.analysis.strata),
        attributes=tuple(study.attributes.values()),
    )
