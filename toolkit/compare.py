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

The result is a :class:`Comparison` of tidy polars frames, documented on the class.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from toolkit.errors import InputError, Problem, UsageError, raise_if
from toolkit.model import CODE_ID, PARTICIPANT_ID, Study
from toolkit.privacy import DEFAULT_COMPARE_MIN_CELL, suppress_comparison, suppress_counts
from toolkit.stats.differences import DIFFERENCE_METHODS, difference_ci
from toolkit.stats.hierarchy import closure, tree_order
from toolkit.stats.intervals import METHODS, check_level, proportion_limits
from toolkit.stats.meta import METHOD_NAMES, _check_method, pool_frame
from toolkit.stats.rollup import positions, reach_counts

POOLED = "pooled"

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
    "method",
    "suppressed",
)

DIFFERENCE_COLUMNS = (
    "theme_id",
    "label",
    "cohort",
    "reference",
    "participants_cohort",
    "denominator_cohort",
    "prevalence_cohort",
    "participants_reference",
    "denominator_reference",
    "prevalence_reference",
    "difference",
    "ci_lower",
    "ci_upper",
    "ci_method",
    "ci_level",
    "suppressed",
)

NOT_COMPARED_COLUMNS = (
    "study_id",
    "code_id",
    "label",
    "participants",
    "denominator",
    "segments",
    "reason",
)
NOTE_COLUMNS = ("kind", "theme_id", "cohort", "message")
MAPPING_COLUMNS = ("study_id", "code_id", "code_label", "theme_id", "theme_label")


@dataclass(frozen=True)
class Comparison:
    """Theme prevalence across cohorts, as tidy frames (one concern each).

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
            ``i2`` (a fraction, 0–1), ``q`` (Cochran's Q), ``q_pvalue`` and ``method``
            ("DerSimonian-Laird" or "REML"). On the pooled row ``participants`` and
            ``denominator`` are totals over the pooled cohorts and ``prevalence`` is the
            random-effects estimate (not their ratio); ``ci_method`` names the pooling.
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
        notes: comparability notes (:data:`NOTE_COLUMNS`): ``kind`` (``matching``,
            ``pooling``, ``not_comparable``, ``unused_theme``, ``double_mapping``,
            ``ci_settings``, ``strata``, ``coder``, ``suppression``, ``synthetic``),
            ``theme_id`` and ``cohort`` where the note is about one, and ``message``.
        mappings: the effective mapping (:data:`MAPPING_COLUMNS`), one row per study, code
            and theme; a code mapped to two themes has two rows.
        matching: "crosswalk" or "code_id" (identical code ids matched).
        pooling_method: "dl" or "reml".
        level: the confidence level of the pooled intervals.
        synthetic: true when any compared study is marked synthetic.
        min_cell: the small-cell threshold used (counts 1..min_cell − 1 suppressed; 0: off).
    """

    cohorts: tuple[str, ...]
    prevalence: pl.DataFrame
    differences: pl.DataFrame
    not_compared: pl.DataFrame
    notes: pl.DataFrame
    mappings: pl.DataFrame
    matching: str
    pooling_method: str
    level: float
    synthetic: bool
    min_cell: int = DEFAULT_COMPARE_MIN_CELL

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


# --------------------------------------------------------------------------------------
# Mapping: crosswalk or identical code ids


def _suggest(value: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _validate_crosswalk(
    crosswalk: pl.DataFrame, studies: Sequence[Study], themes: pl.DataFrame, file: str
) -> list[Problem]:
    problems: list[Problem] = []
    codes = {s.id: set(s.codebook[CODE_ID].to_list()) for s in studies}
    theme_ids = themes["theme_id"].to_list()
    known_themes = set(theme_ids)
    has_row = "_row" in crosswalk.columns
    for record in crosswalk.iter_rows(named=True):
        line = record["_row"] if has_row else None
        study_id, code_id, theme_id = record["study_id"], record["code_id"], record["theme_id"]
        if study_id not in codes:
            problems.append(
                Problem(
                    file,
                    f"study '{study_id}' is not one of the compared studies "
                    f"({', '.join(codes)}){_suggest(study_id, list(codes))}; "
                    "fix the id (it is study.id in study.yml) or remove the row",
                    line=line,
                    column="study_id",
                )
            )
        elif code_id not in codes[study_id]:
            problems.append(
                Problem(
                    file,
                    f"code '{code_id}' is not in the codebook of '{study_id}'"
                    f"{_suggest(code_id, sorted(codes[study_id]))}; fix the code id or remove the row",
                    line=line,
                    column="code_id",
                )
            )
        if theme_id not in known_themes:
            problems.append(
                Problem(
                    file,
                    f"theme '{theme_id}' is not in the themes table{_suggest(theme_id, theme_ids)}; "
                    "use a theme_id of the framework or give your own with --themes",
                    line=line,
                    column="theme_id",
                )
            )
    mapped_studies = set(crosswalk["study_id"].to_list())
    for study in studies:
        if study.id not in mapped_studies:
            problems.append(
                Problem(
                    file,
                    f"no rows for study '{study.id}': map its codes to themes "
                    "(study_id, code_id, theme_id) or leave the study out of the comparison",
                )
            )
    return problems


def _theme_closure(themes: pl.DataFrame) -> pl.DataFrame:
    """(theme_id, ancestor theme) pairs, self included."""
    frame = themes.select(pl.col("theme_id").alias(CODE_ID), "parent_id")
    return closure(frame).select(
        pl.col(CODE_ID).alias("theme_id"), pl.col("ancestor_id").alias("theme")
    )


def _themes_from_codebooks(studies: Sequence[Study]) -> pl.DataFrame:
    """Without a crosswalk: every code id is a theme; label, parent and order from the first
    study that has it (first study's preorder, then new ids of the next study, …)."""
    seen: dict[str, tuple[str | None, str | None]] = {}
    order: list[str] = []
    for study in studies:
        tree = tree_order(study.codebook)
        for code_id, label, parent_id in tree.select(CODE_ID, "label", "parent_id").iter_rows():
            if code_id not in seen:
                seen[code_id] = (label, parent_id)
                order.append(code_id)
    return pl.DataFrame(
        {
            "theme_id": order,
            "label": [seen[c][0] or c for c in order],
            "parent_id": [seen[c][1] for c in order],
            "definition": [None] * len(order),
        },
        schema={
            "theme_id": pl.String,
            "label": pl.String,
            "parent_id": pl.String,
            "definition": pl.String,
        },
    )


# --------------------------------------------------------------------------------------
# Counting


def _coded(study: Study) -> pl.DataFrame:
    codings = study.codings.select(PARTICIPANT_ID, CODE_ID, "coder").with_row_index("_segment")
    coder = study.manifest.analysis.coder
    if coder is not None:
        codings = codings.filter(pl.col("coder") == coder)
    return codings.select("_segment", PARTICIPANT_ID, CODE_ID)


def _counts(
    study: Study, mapping: pl.DataFrame, theme_closure: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per theme: participants, segments; and per theme: the study's codes counted for it."""
    code_pairs = closure(study.codebook).select(CODE_ID, "ancestor_id")
    reach = (
        mapping.select(pl.col(CODE_ID).alias("ancestor_id"), "theme_id")
        .join(theme_closure, on="theme_id")
        .select("ancestor_id", "theme")
        .unique()
    )
    # A coding reaches a theme when its code, or one of the code's ancestors, is mapped to it.
    # Counting on integer positions (toolkit.stats.rollup) instead of joining every coding
    # to every ancestor and theme keeps 50 cohorts of 10^5 codings to about a second.
    code_theme = code_pairs.join(reach, on="ancestor_id").select(CODE_ID, "theme").unique()
    themes = code_theme["theme"].unique(maintain_order=True).to_list()
    code_ids = study.codebook[CODE_ID].to_list()
    coded = _coded(study)
    people, segments = reach_counts(
        positions(coded[PARTICIPANT_ID], study.participants[PARTICIPANT_ID].to_list()),
        positions(coded[CODE_ID], code_ids),
        reach_node=positions(code_theme[CODE_ID], code_ids),
        reach_target=positions(code_theme["theme"], themes),
        n_nodes=len(code_ids),
        n_targets=len(themes),
        n_participants=study.n_participants,
    )
    counts = pl.DataFrame(
        {"theme": themes, "participants": people, "segments": segments},
        schema={"theme": pl.String, "participants": pl.Int64, "segments": pl.Int64},
    ).filter(pl.col("segments") > 0)
    codes = reach.group_by("theme").agg(
        pl.col("ancestor_id").unique().sort().str.join(", ").alias("codes")
    )
    return counts, codes


def _not_compared(study: Study, mapping: pl.DataFrame) -> pl.DataFrame:
    mapped = set(mapping[CODE_ID].to_list())
    pairs = closure(study.codebook).select(CODE_ID, "ancestor_id")
    has_mapped_ancestor = set(
        pairs.filter(pl.col("ancestor_id").is_in(list(mapped)))[CODE_ID].to_list()
    )
    has_mapped_descendant = set(
        pairs.filter(pl.col(CODE_ID).is_in(list(mapped)))["ancestor_id"].to_list()
    )
    coded = _coded(study)
    direct = set(coded[CODE_ID].to_list())
    rolled = (
        coded.join(pairs, on=CODE_ID)
        .group_by("ancestor_id")
        .agg(
            pl.col(PARTICIPANT_ID).n_unique().cast(pl.Int64).alias("participants"),
            pl.len().cast(pl.Int64).alias("segments"),
        )
    )
    totals = {row[0]: (row[1], row[2]) for row in rolled.iter_rows()}
    rows = []
    for code_id, label in tree_order(study.codebook).select(CODE_ID, "label").iter_rows():
        if code_id in has_mapped_ancestor:
            continue
        if code_id not in has_mapped_descendant:
            reason = "not mapped to any theme"
        elif code_id in direct:
            reason = (
                "segments coded on this code itself are not compared: only its sub-codes are mapped"
            )
        else:
            continue
        x, segments = totals.get(code_id, (0, 0))
        rows.append((study.id, code_id, label, x, study.n_participants, segments, reason))
    return pl.DataFrame(
        rows,
        schema={
            "study_id": pl.String,
            "code_id": pl.String,
            "label": pl.String,
            "participants": pl.Int64,
            "denominator": pl.Int64,
            "segments": pl.Int64,
            "reason": pl.String,
        },
        orient="row",
    )


def _ci_settings(study: Study, method: str | None, level: float | None) -> tuple[str, float]:
    ci = study.manifest.analysis.ci
    return (method or ci.method), float(ci.level if level is None else level)


# --------------------------------------------------------------------------------------
# The comparison


def compare(
    studies: Sequence[Study],
    *,
    crosswalk: pl.DataFrame | None = None,
    themes: pl.DataFrame | None = None,
    method: str | None = None,
    level: float | None = None,
    pooling: str = "dl",
    difference_method: str | None = None,
    crosswalk_file: str = "crosswalk.csv",
    min_cell: int | None = None,
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
        pooling: the τ² estimator, "dl" (DerSimonian–Laird) or "reml".
        difference_method: method of :func:`toolkit.stats.difference_ci`; None: the first
            study's ``analysis.difference_ci``.
        crosswalk_file: the crosswalk's file name, for error messages.
        min_cell: small-cell threshold k: counts of participants from 1 to k−1 are
            suppressed, with every pooled estimate, difference and segment count from which
            one could be derived (:func:`toolkit.privacy.suppress_comparison`). None: the
            comparison default :data:`toolkit.privacy.DEFAULT_COMPARE_MIN_CELL` (5), whatever
            the studies' own ``analysis.min_cell``; 0 switches suppression off.

    Returns:
        A :class:`Comparison`.

    Raises:
        InputError: the crosswalk names unknown studies, codes or themes, or has no row for
            a compared study (every problem, with its line).
        UsageError: fewer than two studies, a repeated study id, an unknown method or level,
            a negative min_cell.
    """
    studies = list(studies)
    if min_cell is None:
        min_cell = DEFAULT_COMPARE_MIN_CELL
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 0:
        raise UsageError(f"min_cell must be a whole number ≥ 0 (got {min_cell!r})")
    if len(studies) < 2:
        raise UsageError("compare needs at least two studies (one folder per cohort)")
    ids = [s.id for s in studies]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise UsageError(
            f"study id '{repeated[0]}' is given more than once; each cohort needs its own "
            "study.id (compare different studies, or copy the folder and change the id)"
        )
    if method is not None and method not in METHODS:
        raise UsageError(f"unknown CI method '{method}'; choose one of {', '.join(METHODS)}")
    if level is not None:
        check_level(level)
    pooling = _check_method(pooling)
    diff_method = difference_method or studies[0].manifest.analysis.difference_ci
    if diff_method not in DIFFERENCE_METHODS:
        raise UsageError(
            f"unknown difference method '{diff_method}'; choose one of {', '.join(DIFFERENCE_METHODS)}"
        )

    notes: list[tuple[str, str | None, str | None, str]] = []
    if crosswalk is not None:
        if themes is None:
            from toolkit.io.crosswalk import read_themes

            themes = read_themes()
        crosswalk = crosswalk.with_columns(
            [
                pl.col(c).cast(pl.String).str.strip_chars()
                for c in ("study_id", "code_id", "theme_id")
            ]
        )
        raise_if(_validate_crosswalk(crosswalk, studies, themes, crosswalk_file))
        mapping = crosswalk.select("study_id", CODE_ID, "theme_id").unique(maintain_order=True)
        theme_closure = _theme_closure(themes)
        matching = "crosswalk"
        notes.append(
            (
                "matching",
                None,
                None,
                f"Codes are matched to shared themes by the crosswalk {crosswalk_file}.",
            )
        )
    else:
        themes = _themes_from_codebooks(studies)
        mapping = pl.concat(
            [
                s.codebook.select(
                    pl.lit(s.id).alias("study_id"), CODE_ID, pl.col(CODE_ID).alias("theme_id")
                )
                for s in studies
            ]
        )
        theme_closure = themes.select("theme_id", pl.col("theme_id").alias("theme"))
        matching = "code_id"
        notes.append(
            (
                "matching",
                None,
                None,
                "No crosswalk: codes with identical code ids are treated as the same theme "
                "(labels from the first study that has the code). Give --crosswalk to map "
                "codes that mean the same under different ids.",
            )
        )

    tree = tree_order(themes.select(pl.col("theme_id").alias(CODE_ID), "label", "parent_id"))
    theme_info = tree.select(
        pl.col(CODE_ID).alias("theme_id"),
        "label",
        "parent_id",
        pl.col("depth").cast(pl.Int64),
        "order",
    )
    # Themes some study reaches, in tree order.
    reached: set[str] = set()
    per_study: dict[str, tuple[pl.DataFrame, pl.DataFrame]] = {}
    for study in studies:
        study_mapping = mapping.filter(pl.col("study_id") == study.id)
        counts, codes = _counts(study, study_mapping, theme_closure)
        per_study[study.id] = (counts, codes)
        reached |= set(codes["theme"].to_list())
    used = theme_info.filter(pl.col("theme_id").is_in(sorted(reached)))

    rows: list[dict[str, Any]] = []
    ci_used: dict[str, tuple[str, float]] = {}
    for study in studies:
        ci_method, ci_level = _ci_settings(study, method, level)
        ci_used[study.id] = (ci_method, ci_level)
        counts, codes = per_study[study.id]
        count_of = {r[0]: (r[1], r[2]) for r in counts.iter_rows()}
        codes_of = dict(codes.iter_rows())
        n = study.n_participants
        for theme_id, label, parent_id, depth, order in used.iter_rows():
            mapped = theme_id in codes_of
            x, segments = count_of.get(theme_id, (0, 0)) if mapped else (None, None)
            rows.append(
                {
                    "theme_id": theme_id,
                    "label": label,
                    "cohort": study.id,
                    "participants": x,
                    "denominator": n,
                    "ci_method": ci_method,
                    "ci_level": ci_level,
                    "codes": codes_of.get(theme_id),
                    "mapped": mapped,
                    "parent_id": parent_id,
                    "depth": depth,
                    "segments": segments,
                    "suppressed": False,
                    "_order": order,
                }
            )
    cohort_rows = pl.DataFrame(
        rows,
        schema={
            "theme_id": pl.String,
            "label": pl.String,
            "cohort": pl.String,
            "participants": pl.Int64,
            "denominator": pl.Int64,
            "ci_method": pl.String,
            "ci_level": pl.Float64,
            "codes": pl.String,
            "mapped": pl.Boolean,
            "parent_id": pl.String,
            "depth": pl.Int64,
            "segments": pl.Int64,
            "suppressed": pl.Boolean,
            "_order": pl.Int32,
        },
    )
    cohort_rows = _with_cohort_intervals(cohort_rows)
    comparable = cohort_rows.group_by("theme_id").agg(pl.col("mapped").all().alias("comparable"))
    cohort_rows = cohort_rows.join(comparable, on="theme_id", how="left")

    pooled_level = float(level) if level is not None else ci_used[studies[0].id][1]
    pooled = _pooled_rows(cohort_rows, pooling=pooling, level=pooled_level)
    prevalence = (
        pl.concat([cohort_rows, pooled], how="diagonal_relaxed")
        .with_columns(
            pl.col("cohort")
            .replace_strict({sid: i for i, sid in enumerate([*ids, POOLED])}, return_dtype=pl.Int32)
            .alias("_cohort")
        )
        .sort("_order", "_cohort")
        .select(PREVALENCE_COLUMNS)
    )
    # Pooled rows and intervals are computed from the true counts above; now every small
    # count is hidden, with the pooled row of its theme and complementary segment counts.
    prevalence = suppress_comparison(prevalence, min_cell=min_cell).select(PREVALENCE_COLUMNS)
    hidden_rows = prevalence.filter(pl.col("cohort") != POOLED).select(
        "theme_id", "cohort", pl.col("suppressed").alias("_hidden")
    )
    cohort_rows = (
        cohort_rows.join(hidden_rows, on=["theme_id", "cohort"], how="left")
        .with_columns(pl.col("_hidden").fill_null(False).alias("suppressed"))
        .drop("_hidden")
    )

    differences = _differences(
        cohort_rows, ids, method=diff_method, level=pooled_level, min_cell=min_cell
    )
    not_compared = (
        pl.concat([_not_compared(s, mapping.filter(pl.col("study_id") == s.id)) for s in studies])
        if matching == "crosswalk"
        else pl.DataFrame(
            schema={
                c: pl.Int64 if c in ("participants", "denominator", "segments") else pl.String
                for c in NOT_COMPARED_COLUMNS
            }
        )
    )

    if min_cell > 1 and not_compared.height:
        small_cohort = not_compared["denominator"].is_between(1, min_cell - 1).fill_null(False)
        not_compared = suppress_counts(
            not_compared,
            min_cell=min_cell,
            counts={"participants": ["segments"]},
            also=small_cohort,
        ).with_columns(
            pl.when(small_cohort).then(None).otherwise(pl.col("denominator")).alias("denominator")
        )
    elif "suppressed" not in not_compared.columns:
        not_compared = not_compared.with_columns(pl.lit(False).alias("suppressed"))

    notes += _notes(
        studies,
        themes=themes,
        used=used,
        cohort_rows=cohort_rows,
        mapping=mapping,
        matching=matching,
        ci_used=ci_used,
        pooling=pooling,
        not_compared=not_compared,
        min_cell=min_cell,
    )
    mapping_frame = (
        mapping.join(
            pl.concat(
                [
                    s.codebook.select(
                        pl.lit(s.id).alias("study_id"), CODE_ID, pl.col("label").alias("code_label")
                    )
                    for s in studies
                ]
            ),
            on=["study_id", CODE_ID],
            how="left",
        )
        .join(
            themes.select("theme_id", pl.col("label").alias("theme_label")),
            on="theme_id",
            how="left",
        )
        .select(MAPPING_COLUMNS)
    )
    return Comparison(
        cohorts=tuple(ids),
        prevalence=prevalence,
        differences=differences,
        not_compared=not_compared,
        notes=pl.DataFrame(notes, schema=dict.fromkeys(NOTE_COLUMNS, pl.String), orient="row"),
        mappings=mapping_frame,
        matching=matching,
        pooling_method=pooling,
        level=pooled_level,
        synthetic=any(s.synthetic for s in studies),
        min_cell=min_cell,
    )


def _with_cohort_intervals(frame: pl.DataFrame) -> pl.DataFrame:
    """Prevalence and CI per cohort row, each row with its own method and level."""
    lower: list[float | None] = [None] * frame.height
    upper: list[float | None] = [None] * frame.height
    prevalence: list[float | None] = [None] * frame.height
    keyed = frame.with_row_index("_i").filter(pl.col("participants").is_not_null())
    for (ci_method, ci_level), group in keyed.group_by(
        ["ci_method", "ci_level"], maintain_order=True
    ):
        x = group["participants"].to_numpy().astype(float)
        n = group["denominator"].to_numpy().astype(float)
        lo, hi = proportion_limits(x, n, method=str(ci_method), level=float(ci_level))
        for i, xi, ni, a, b in zip(group["_i"].to_list(), x, n, lo, hi, strict=True):
            prevalence[i], lower[i], upper[i] = float(xi / ni), float(a), float(b)
    return frame.with_columns(
        pl.Series("prevalence", prevalence, dtype=pl.Float64),
        pl.Series("ci_lower", lower, dtype=pl.Float64),
        pl.Series("ci_upper", upper, dtype=pl.Float64),
    )


def _pooled_rows(cohort_rows: pl.DataFrame, *, pooling: str, level: float) -> pl.DataFrame:
    mapped = cohort_rows.filter(pl.col("mapped"))
    pooled = pool_frame(
        mapped.select("theme_id", "participants", "denominator"),
        by="theme_id",
        method=pooling,
        level=level,
    )
    themes = cohort_rows.select(
        "theme_id", "label", "parent_id", "depth", "_order", "comparable"
    ).unique("theme_id", keep="first", maintain_order=True)
    totals = mapped.group_by("theme_id").agg(
        pl.col("participants").sum().alias("participants"),
        pl.col("denominator").sum().alias("denominator"),
        pl.col("segments").sum().alias("segments"),
        pl.col("suppressed").any().alias("suppressed"),
    )
    name = f"random effects, logit ({METHOD_NAMES[pooling]})"
    out = (
        themes.join(pooled, on="theme_id", how="left")
        .join(totals, on="theme_id", how="left")
        .with_columns(
            pl.lit(POOLED).alias("cohort"),
            pl.lit(name).alias("ci_method"),
            pl.lit(level).alias("ci_level"),
            pl.lit(None, pl.String).alias("codes"),
            (pl.col("k").fill_null(0) >= 2).alias("mapped"),
            pl.col("suppressed").fill_null(False),
        )
    )
    # One cohort, or none, is not a meta-analysis: no totals either.
    return out.with_columns(
        [
            pl.when(pl.col("mapped")).then(pl.col(c)).otherwise(None).alias(c)
            for c in ("participants", "denominator", "segments")
        ]
    )


def _differences(
    cohort_rows: pl.DataFrame, ids: Sequence[str], *, method: str, level: float, min_cell: int
) -> pl.DataFrame:
    # Every theme x pair of cohorts (later cohort minus earlier) where both cohorts have the
    # theme mapped, in theme order then pair order; one vectorised difference_ci call, since
    # 50 cohorts make 1225 pairs per theme (490,000 intervals for a 400-theme codebook).
    pairs = [(b, a) for a, b in itertools.combinations(ids, 2)]
    pair_frame = pl.DataFrame(
        {
            "cohort": [b for b, _ in pairs],
            "reference": [a for _, a in pairs],
            "_pair": list(range(len(pairs))),
        },
        schema={"cohort": pl.String, "reference": pl.String, "_pair": pl.Int64},
    )
    themes = (
        cohort_rows.select("theme_id", "label")
        .unique("theme_id", maintain_order=True)
        .with_row_index("_theme")
    )
    mapped = cohort_rows.filter(pl.col("mapped")).select(
        "theme_id", "cohort", "participants", "denominator", "suppressed"
    )
    side = {
        "participants": "x",
        "denominator": "n",
        "suppressed": "hidden",
    }
    joined = (
        themes.join(pair_frame, how="cross")
        .join(
            mapped.rename({k: f"{v}1" for k, v in side.items()}),
            on=["theme_id", "cohort"],
            how="inner",
        )
        .join(
            mapped.rename({"cohort": "reference", **{k: f"{v}2" for k, v in side.items()}}),
            on=["theme_id", "reference"],
            how="inner",
        )
        .sort("_theme", "_pair")
    )
    lower: Any = []
    upper: Any = []
    if joined.height:
        lower, upper = difference_ci(
            joined["x1"].to_numpy(),
            joined["n1"].to_numpy(),
            joined["x2"].to_numpy(),
            joined["n2"].to_numpy(),
            method=method,
            level=level,
        )
    # A difference, its interval or a prevalence beside a hidden count would let a reader
    # solve for that count (the other side's count and both denominators are shown).
    hidden = pl.col("hidden1") | pl.col("hidden2")
    small_n1, small_n2 = (
        pl.col(c).is_between(1, min_cell - 1) if min_cell > 1 else pl.lit(False)
        for c in ("n1", "n2")
    )
    x1, n1, x2, n2 = (pl.col(c).cast(pl.Float64) for c in ("x1", "n1", "x2", "n2"))
    frame = joined.with_columns(
        pl.Series("_lower", lower, dtype=pl.Float64),
        pl.Series("_upper", upper, dtype=pl.Float64),
    ).select(
        "theme_id",
        "label",
        "cohort",
        "reference",
        pl.when(~pl.col("hidden1")).then(pl.col("x1")).alias("participants_cohort"),
        pl.when(~small_n1).then(pl.col("n1")).alias("denominator_cohort"),
        pl.when(~pl.col("hidden1")).then(x1 / n1).alias("prevalence_cohort"),
        pl.when(~pl.col("hidden2")).then(pl.col("x2")).alias("participants_reference"),
        pl.when(~small_n2).then(pl.col("n2")).alias("denominator_reference"),
        pl.when(~pl.col("hidden2")).then(x2 / n2).alias("prevalence_reference"),
        pl.when(~hidden).then(x1 / n1 - x2 / n2).alias("difference"),
        pl.when(~hidden).then(pl.col("_lower")).alias("ci_lower"),
        pl.when(~hidden).then(pl.col("_upper")).alias("ci_upper"),
        pl.lit(method, pl.String).alias("ci_method"),
        pl.lit(level, pl.Float64).alias("ci_level"),
        hidden.alias("suppressed"),
    )
    schema = {
        c: (
            pl.Int64
            if c.startswith(("participants", "denominator"))
            else pl.Float64
            if c.startswith(("prevalence", "difference", "ci_l", "ci_u"))
            else pl.Boolean
            if c == "suppressed"
            else pl.String
        )
        for c in DIFFERENCE_COLUMNS
    }
    schema["ci_level"] = pl.Float64
    return frame.cast(schema).select(DIFFERENCE_COLUMNS)  # type: ignore[arg-type]


def _describe_attribute(study: Study, name: str) -> str:
    spec = study.attributes.get(name)
    if spec is None:
        return "absent"
    if spec.bins is not None:
        return f"bins {list(spec.bins)}"
    if spec.levels is not None:
        return f"levels {list(spec.levels)}"
    return spec.type


def _notes(
    studies: Sequence[Study],
    *,
    themes: pl.DataFrame,
    used: pl.DataFrame,
    cohort_rows: pl.DataFrame,
    mapping: pl.DataFrame,
    matching: str,
    ci_used: dict[str, tuple[str, float]],
    pooling: str,
    not_compared: pl.DataFrame,
    min_cell: int,
) -> list[tuple[str, str | None, str | None, str]]:
    notes: list[tuple[str, str | None, str | None, str]] = []
    notes.append(
        (
            "pooling",
            None,
            None,
            f"Pooled rows: random-effects meta-analysis of proportions on the logit scale, "
            f"tau² by {METHOD_NAMES[pooling]}, 0.5 added to both cells only for a cohort "
            "with 0 or all participants voicing the theme. With few cohorts, tau² and I² are "
            "very imprecise; the cohorts are purposive interview samples of different "
            "conditions, so the pooled value describes these cohorts, not a population.",
        )
    )
    # Themes some cohorts lack.
    missing = cohort_rows.filter(~pl.col("mapped"))
    for study in studies:
        lacking = missing.filter(pl.col("cohort") == study.id)["theme_id"].to_list()
        if lacking:
            shown = ", ".join(lacking[:12]) + (
                f", … ({len(lacking)} in all)" if len(lacking) > 12 else ""
            )
            notes.append(
                (
                    "not_comparable",
                    None,
                    study.id,
                    f"{study.id} has no code for {len(lacking)} theme(s), which are therefore not "
                    f"compared there (a theme not in a codebook is not a theme nobody voiced): {shown}",
                )
            )
    if matching == "crosswalk":
        unused = [
            t for t in themes["theme_id"].to_list() if t not in set(used["theme_id"].to_list())
        ]
        if unused:
            notes.append(
                (
                    "unused_theme",
                    None,
                    None,
                    f"No study maps any code to these framework themes: {', '.join(unused)}",
                )
            )
        doubles = (
            mapping.group_by("study_id", CODE_ID, maintain_order=True)
            .agg(pl.col("theme_id"))
            .filter(pl.col("theme_id").list.len() > 1)
        )
        for study_id, code_id, theme_ids in doubles.iter_rows():
            notes.append(
                (
                    "double_mapping",
                    None,
                    study_id,
                    f"{study_id}: code '{code_id}' is mapped to {len(theme_ids)} themes "
                    f"({', '.join(theme_ids)}); its participants count in each of them",
                )
            )
        if not_compared.height:
            for study_id, group in not_compared.group_by("study_id", maintain_order=True):
                notes.append(
                    (
                        "not_compared",
                        None,
                        str(study_id[0]),
                        f"{study_id[0]}: {group.height} code(s) reach no theme and are not compared: "
                        f"{', '.join(group['code_id'].to_list())}",
                    )
                )
    settings = {sid: f"{m} {lv:.0%}" for sid, (m, lv) in ci_used.items()}
    if len(set(settings.values())) > 1:
        notes.append(
            (
                "ci_settings",
                None,
                None,
                "The cohorts use different confidence-interval settings ("
                + "; ".join(f"{sid}: {s}" for sid, s in settings.items())
                + "); give --ci-method and --ci-level to use one setting for all.",
            )
        )
    strata = {s.id: list(s.manifest.analysis.strata) for s in studies}
    if len({tuple(v) for v in strata.values()}) > 1:
        notes.append(
            (
                "strata",
                None,
                None,
                "The studies break themes down by different attributes ("
                + "; ".join(f"{sid}: {', '.join(v) or 'none'}" for sid, v in strata.items())
                + "); their subgroup results are not comparable one to one.",
            )
        )
    shared = set.intersection(*(set(s.attributes) for s in studies))
    for name in sorted(shared):
        described = {s.id: _describe_attribute(s, name) for s in studies}
        if len(set(described.values())) > 1:
            notes.append(
                (
                    "strata",
                    None,
                    None,
                    f"Attribute '{name}' is defined differently ("
                    + "; ".join(f"{sid}: {d}" for sid, d in described.items())
                    + ").",
                )
            )
    for study in studies:
        if study.manifest.analysis.coder is not None:
            notes.append(
                (
                    "coder",
                    None,
                    study.id,
                    f"{study.id} counts only the codings of coder '{study.manifest.analysis.coder}'.",
                )
            )
    hidden = cohort_rows.filter(pl.col("suppressed")).height
    if min_cell > 1:
        message = (
            f"Small-cell suppression: counts of 1 to {min_cell - 1} participants are suppressed "
            f"(min_cell = {min_cell}; change it with --min-cell, 0 to switch it off), with the "
            "pooled estimates, differences and segment counts from which one could be derived"
        )
        message += (
            f"; {hidden} cohort count(s) are suppressed here." if hidden else "; none is here."
        )
    else:
        message = "No small-cell suppression (min_cell = 0): every count is shown, however small."
    notes.append(("suppression", None, None, message))
    synthetic = [s.id for s in studies if s.synthetic]
    if synthetic:
        notes.append(
            (
                "synthetic",
                None,
                None,
                f"SYNTHETIC DATA: {', '.join(synthetic)} (invented, not real)",
            )
        )
    return notes


def check_crosswalk(
    crosswalk: pl.DataFrame,
    studies: Sequence[Study],
    themes: pl.DataFrame,
    *,
    crosswalk_file: str = "crosswalk.csv",
) -> None:
    """Raise :class:`InputError` with every unknown study, code or theme in ``crosswalk``."""
    problems = _validate_crosswalk(crosswalk, studies, themes, crosswalk_file)
    if problems:
        raise InputError(problems)
