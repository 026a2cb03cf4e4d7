"""The settings a comparison is computed with, resolved once from the studies and arguments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from toolkit.choices import CI_METHODS, DIFFERENCE_METHODS
from toolkit.errors import UsageError
from toolkit.model import Study
from toolkit.privacy import DEFAULT_COMPARE_MIN_CELL
from toolkit.stats.intervals import check_level
from toolkit.stats.meta import METHOD_DESCRIPTIONS, METHOD_NAMES, check_method
from toolkit.stats.pooled import MIN_COHORTS


@dataclass(frozen=True)
class CohortSettings:
    """One cohort's own settings: its interval and the coder whose codings count.

    Attributes:
        cohort: the study id.
        ci_method: the cohort rows' interval method.
        ci_level: the cohort rows' interval level.
        coder: only this coder's codings count (None: all codings).
        min_cell: the study's own ``analysis.min_cell`` (its own reports hide counts below
            it; the comparison's privacy note says where the two differ).
        population: the cohort's known population N (``study.population``), or None.
    """

    cohort: str
    ci_method: str
    ci_level: float
    coder: str | None
    min_cell: int = 0
    population: int | None = None


@dataclass(frozen=True)
class CompareSettings:
    """Every setting of a comparison; outputs and reports read them from here.

    Attributes:
        cohorts: per cohort, in the order compared.
        level: the level of the pooled intervals and of the differences.
        pooling: the pooling model: "glmm" (binomial-normal, maximum likelihood), "dl" or
            "reml" (two-step logit model, τ² by DerSimonian–Laird or REML).
        difference_method: the method of :func:`toolkit.stats.difference_ci`.
        min_cell: small-cell threshold (counts 1..min_cell − 1 suppressed; 0: off).
        matching: "crosswalk" or "code_id" (identical code ids matched).
        crosswalk_file: the crosswalk's file name (None when matching code ids).
        hksj: pooled intervals by Hartung–Knapp–Sidik–Jonkman (Röver's modification).
    """

    cohorts: tuple[CohortSettings, ...]
    level: float
    pooling: str
    difference_method: str
    min_cell: int
    matching: str
    crosswalk_file: str | None
    hksj: bool = False

    @property
    def pooling_name(self) -> str:
        """Short name of the pooling model ("GLMM (ML)", "DerSimonian-Laird", "REML")."""
        return METHOD_NAMES[self.pooling]

    @property
    def pooling_description(self) -> str:
        """The pooling actually used, in words, for methods text: model, estimator,
        interval, prediction interval and the minimum number of cohorts."""
        interval = (
            "Hartung-Knapp-Sidik-Jonkman interval (t, k - 1 df) with Röver et al.'s "
            "modification (never narrower than Wald's)"
            if self.hksj
            else "Wald interval"
        )
        return (
            f"{METHOD_DESCRIPTIONS[self.pooling]}; {interval}, back-transformed from the logit; "
            "prediction interval for a new cohort with t on k - 2 df (Higgins, Thompson & "
            f"Spiegelhalter 2009); no pooled estimate below {MIN_COHORTS} cohorts"
        )

    @property
    def ci_method(self) -> str | None:
        """The cohorts' interval method when they share one, else None."""
        methods = {c.ci_method for c in self.cohorts}
        return methods.pop() if len(methods) == 1 else None

    @property
    def ci_level(self) -> float | None:
        """The cohorts' interval level when they share one, else None."""
        levels = {c.ci_level for c in self.cohorts}
        return levels.pop() if len(levels) == 1 else None

    def metadata(self) -> dict[str, Any]:
        """The settings as plain values, for JSON and Parquet metadata and provenance."""
        return {
            "ci_method": self.ci_method,
            "ci_level": self.ci_level,
            "ci": {
                c.cohort: {"method": c.ci_method, "level": c.ci_level}
                | ({"population": c.population} if c.population else {})
                for c in self.cohorts
            },
            "level": self.level,
            "pooling": self.pooling,
            "pooling_method": self.pooling_description,
            "hksj": self.hksj,
            "min_cohorts_pooled": MIN_COHORTS,
            "difference_method": self.difference_method,
            "min_cell": self.min_cell,
            "matching": self.matching,
            "crosswalk": self.crosswalk_file,
        }


def _population(study: Study) -> int | None:
    declared = study.manifest.study.population
    return declared if declared is None or isinstance(declared, int) else declared.total


def _own_method(study: Study) -> str:
    """A study's own interval: hypergeometric when it declares its population."""
    return "hypergeometric" if _population(study) else study.manifest.analysis.ci.method


def _check_choice(kind: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise UsageError(f"unknown {kind} '{value}'; choose one of {', '.join(choices)}")


def _check_studies(studies: Sequence[Study]) -> None:
    if len(studies) < 2:
        raise UsageError("compare needs at least two studies (one folder per cohort)")
    ids = [s.id for s in studies]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise UsageError(
            f"study id '{repeated[0]}' is given more than once; each cohort needs its own "
            "study.id (compare different studies, or copy the folder and change the id)"
        )


def resolve_settings(
    studies: Sequence[Study],
    *,
    method: str | None,
    level: float | None,
    pooling: str,
    difference_method: str | None,
    min_cell: int | None,
    crosswalk_file: str | None,
    hksj: bool = False,
) -> CompareSettings:
    """The comparison's settings: the arguments, else each study's ``analysis`` section.

    Args:
        studies: the compared studies.
        method: CI method of every cohort; None: each study's ``analysis.ci.method``.
        level: CI level of every cohort and the pooled rows; None: each study's own (the
            pooled rows and differences then use the first study's).
        pooling: "glmm", "dl" or "reml".
        difference_method: None: the first study's ``analysis.difference_ci``.
        min_cell: None: :data:`toolkit.privacy.DEFAULT_COMPARE_MIN_CELL`; 0 switches it off.
        crosswalk_file: the crosswalk's file name; None when matching identical code ids.
        hksj: Hartung–Knapp–Sidik–Jonkman pooled intervals (two-step models only).

    Raises:
        UsageError: fewer than two studies, a repeated study id, an unknown method or level,
            a negative min_cell, HKSJ with the GLMM.
    """
    if min_cell is None:
        min_cell = DEFAULT_COMPARE_MIN_CELL
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 0:
        raise UsageError(f"min_cell must be a whole number ≥ 0 (got {min_cell!r})")
    _check_studies(studies)
    if method is not None:
        _check_choice("CI method", method, CI_METHODS)
    if level is not None:
        check_level(level)
    check_method(pooling, hksj=hksj)
    diff_method = difference_method or studies[0].manifest.analysis.difference_ci
    _check_choice("difference method", diff_method, DIFFERENCE_METHODS)
    cohorts = tuple(
        CohortSettings(
            cohort=s.id,
            ci_method=method or _own_method(s),
            ci_level=float(s.manifest.analysis.ci.level if level is None else level),
            coder=s.manifest.analysis.coder,
            min_cell=s.manifest.analysis.min_cell,
            population=_population(s),
        )
        for s in studies
    )
    lacking = [c.cohort for c in cohorts if c.ci_method == "hypergeometric" and not c.population]
    if lacking:
        raise UsageError(
            f"the hypergeometric interval needs study.population; {', '.join(lacking)} "
            "declares none"
        )
    return CompareSettings(
        cohorts=cohorts,
        level=float(level) if level is not None else cohorts[0].ci_level,
        pooling=pooling,
        difference_method=diff_method,
        min_cell=min_cell,
        matching="code_id" if crosswalk_file is None else "crosswalk",
        crosswalk_file=crosswalk_file,
        hksj=hksj,
    )
