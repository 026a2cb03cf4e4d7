"""The results of an analysis: every frame, and the settings it was computed with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from toolkit import __version__
from toolkit.analysis.settings import Settings
from toolkit.errors import ImplementationError
from toolkit.model import Study

if TYPE_CHECKING:
    from toolkit.stats.saturation import Saturation

SYNTHETIC_NOTE = "SYNTHETIC DATA: invented for demonstration, not from any real study"
#: How a note of :attr:`Results.notes` starts when the re-identification check could not run.
REIDENTIFICATION_NOT_RUN = "Re-identification check not run"


@dataclass(frozen=True)
class Results:
    """What an analysis found, after the disclosure gate (see :mod:`toolkit.analysis.gate`).

    A result that was not asked for is None. Every frame is already protected: small cells
    suppressed (``settings.min_cell``), participants named by pseudonyms, quotes redacted.

    Attributes:
        study: the validated study the results come from (its tables are the raw inputs:
            show only the frames below, never the study's own tables).
        settings: the settings every frame was computed with.
        prevalence: SPEC §3 frame, overall and by each stratum asked for.
        differences: subgroup differences (each level against the first).
        cooccurrence: participant-level co-occurrence at ``theme_depth``.
        segment_cooccurrence: segment-level co-occurrence at ``theme_depth``.
        saturation: the saturation assessment, its curve by pseudonym.
        code_saturation: saturation at code level (every code as coded; COREQ item 22).
        agreement: coder agreement per node.
        coders: coder uncertainty: prevalence per coder, for the union (any coder: what
            ``prevalence`` counts) and the intersection (every coder who coded the
            participant agrees) of the coders (:func:`toolkit.stats.coders.coder_prevalence`).
        reidentification: attribute combinations shared by fewer than ``settings.k``
            participants (:func:`toolkit.privacy.k_anonymity`), who shares each (pseudonyms).
        cohort: the participants' characteristics (:func:`toolkit.stats.cohort.describe`),
            overall (``by`` null) or overall and by each stratum; hidden values are null.
        quotes: codings with quotes, ``pseudonym`` instead of participant ids, redacted.
        joint: the integrated joint display, one row per theme: quotations chosen with
            their attributions, negative cases, meta-inferences
            (:func:`toolkit.analysis.quotes.joint_display`).
        meta_inferences: the researcher's ``code_id, meta_inference, note`` (None: none).
        pseudonyms: ``participant_id, pseudonym``.
        redactions: ``rule, redactions`` counts.
        matrix: codes by cases, one row per participant (pseudonym), the attributes, then
            one column per codebook node shown (:mod:`toolkit.analysis.matrix`).
        theme_depth: the codebook depth treated as "themes".
        notes: what could not be computed, in words.
        protected: True once the disclosure gate has been applied.
    """

    study: Study
    settings: Settings
    prevalence: pl.DataFrame | None = None
    differences: pl.DataFrame | None = None
    cooccurrence: pl.DataFrame | None = None
    segment_cooccurrence: pl.DataFrame | None = None
    saturation: Saturation | None = None
    code_saturation: Saturation | None = None
    agreement: pl.DataFrame | None = None
    coders: pl.DataFrame | None = None
    reidentification: pl.DataFrame | None = None
    cohort: pl.DataFrame | None = None
    quotes: pl.DataFrame | None = None
    joint: pl.DataFrame | None = None
    meta_inferences: pl.DataFrame | None = None
    pseudonyms: pl.DataFrame | None = None
    redactions: pl.DataFrame | None = None
    matrix: pl.DataFrame | None = None
    theme_depth: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    protected: bool = False

    def need(self, name: str) -> pl.DataFrame:
        """The frame ``name``; a missing one is a bug (the analysis making it was not run)."""
        value = getattr(self, name)
        if not isinstance(value, pl.DataFrame):
            raise ImplementationError(f"results have no '{name}': its analysis was not run")
        return value

    @property
    def depth(self) -> int:
        """The theme depth (a bug when the analysis did not resolve one)."""
        if self.theme_depth is None:
            raise ImplementationError("results have no theme depth: its analysis was not run")
        return self.theme_depth

    def meta(self, **extra: Any) -> dict[str, Any]:
        """Study facts and settings stored with JSON and Parquet results.

        The interval method and level are the ones the rows were computed with, because
        they are read from :attr:`settings`, the same object the computation used.
        """
        study = self.study
        settings = self.settings
        return {
            "study_id": study.id,
            "title": study.title,
            "condition": study.condition,
            "synthetic": study.synthetic,
            **({"note": SYNTHETIC_NOTE} if study.synthetic else {}),
            "ci_method": settings.ci_method,
            "ci_level": settings.ci_level,
            "difference_ci": settings.difference_method,
            "min_cell": settings.min_cell,
            "coder": settings.coder,
            "raremix_version": __version__,
            **extra,
        }
