"""Running analyses: a validated study and its settings in, protected :class:`Results` out.

Each function computes raw numbers with :mod:`toolkit.stats`, then passes them through the
disclosure gate once (:func:`toolkit.analysis.gate.disclose`). Everything in one
:class:`Results` is consistent with the prevalence table it holds: a co-occurrence or a
difference never shows what that table hides.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

from toolkit.analysis.gate import disclose, pseudonym_mapping
from toolkit.analysis.quotes import quote_descriptors
from toolkit.analysis.results import REIDENTIFICATION_NOT_RUN, Results
from toolkit.analysis.settings import Settings
from toolkit.errors import UsageError
from toolkit.model import Study

if TYPE_CHECKING:
    from toolkit.privacy.disclosure import AnonymityCheck
    from toolkit.stats.saturation import Saturation


def _prevalence(study: Study, settings: Settings, by: Sequence[str] = ()) -> pl.DataFrame:
    from toolkit.stats.prevalence import prevalence

    strata: dict[str, dict[str, int]] = {}
    for attribute, value, size in settings.population_strata:
        strata.setdefault(attribute, {})[value] = size
    return prevalence(
        study,
        by=by,
        method=settings.ci_method,
        level=settings.ci_level,
        coder=settings.coder,
        population=settings.population,
        population_strata=strata,
    )


def analyse_prevalence(study: Study, settings: Settings, *, by: Sequence[str] = ()) -> Results:
    """Theme prevalence overall and by each attribute of ``by``."""
    return disclose(Results(study, settings, prevalence=_prevalence(study, settings, by)))


def _differences(study: Study, settings: Settings, by: Sequence[str]) -> pl.DataFrame | None:
    from toolkit.stats.subgroups import differences

    if not by:
        return None
    frames = [
        differences(
            study,
            by=attribute,
            method=settings.difference_method,
            level=settings.ci_level,
            coder=settings.coder,
        )
        for attribute in by
    ]
    return pl.concat(frames, how="vertical")


def analyse_differences(study: Study, settings: Settings, *, by: str) -> Results:
    """Subgroup differences between the levels of ``by`` (each against the first).

    The results hold the prevalence by ``by`` too: the differences hide what it hides.
    """
    return disclose(
        Results(
            study,
            settings,
            prevalence=_prevalence(study, settings, [by]),
            differences=_differences(study, settings, [by]),
        )
    )


def theme_depth(study: Study, settings: Settings, depth: int | None = None) -> int:
    """The codebook depth treated as themes: ``depth``, else the settings', else 1 or 0."""
    from toolkit.stats.cooccurrence import resolve_depth

    return resolve_depth(study, depth if depth is not None else settings.theme_depth)[1]


def analyse_cooccurrence(
    study: Study, settings: Settings, *, unit: str = "participant", depth: int | None = None
) -> Results:
    """Co-occurrence of the nodes at one depth, by participant or by overlapping segments."""
    from toolkit.stats.cooccurrence import participant_cooccurrence, segment_cooccurrence

    chosen = theme_depth(study, settings, depth)
    if unit not in ("participant", "segment"):
        raise UsageError(f"unknown co-occurrence level '{unit}'; choose participant or segment")
    compute = participant_cooccurrence if unit == "participant" else segment_cooccurrence
    frame = compute(study, depth=chosen, coder=settings.coder)
    return disclose(
        Results(
            study,
            settings,
            prevalence=_prevalence(study, settings),
            theme_depth=chosen,
            cooccurrence=frame if unit == "participant" else None,
            segment_cooccurrence=frame if unit == "segment" else None,
        )
    )


def _saturation(
    study: Study, settings: Settings, depth: int | None, level: str = "themes"
) -> Saturation:
    from toolkit.stats.saturation import saturation

    chosen = settings.saturation
    return saturation(
        study,
        base=chosen.base,
        run=chosen.run,
        threshold=chosen.threshold,
        depth=depth,
        order_by=settings.order_by,
        coder=settings.coder,
        level=level,
    )


def _coders(study: Study, settings: Settings) -> pl.DataFrame | None:
    """Coder uncertainty, or None with fewer than two coders (or one coder chosen)."""
    from toolkit.stats.coders import coder_prevalence

    if settings.coder is not None:
        return None
    # A coder's share of the transcripts they coded is not a draw from the population.
    method = "clopper_pearson" if settings.ci_method == "hypergeometric" else settings.ci_method
    try:
        frame = coder_prevalence(study, method=method, level=settings.ci_level)
    except UsageError:
        return None
    return frame.with_columns(pl.lit(False).alias("suppressed"))  # raw: nothing hidden yet


def analyse_saturation(
    study: Study,
    settings: Settings,
    *,
    depth: int | None = None,
    raw_ids: bool = False,
    level: str = "themes",
) -> Results:
    """Thematic saturation (Guest, Namey and Chen 2020), interviews named by pseudonyms.

    Args:
        level: "themes" (the nodes at ``depth``) or "codes" (every code as coded).
        raw_ids: also give each interview's raw ``participant_id`` (after ``pseudonym``):
            only when the user asks for it explicitly (``raremix saturation --raw-ids``).
    """
    from dataclasses import replace

    chosen = theme_depth(study, settings, depth)
    results = disclose(
        Results(
            study,
            settings,
            saturation=_saturation(study, settings, chosen, level),
            theme_depth=chosen,
        )
    )
    found = results.saturation
    if not raw_ids or found is None:
        return results
    raw_of = {p: i for i, p in results.need("pseudonyms").iter_rows()}
    curve = found.curve
    position = curve.columns.index("pseudonym") + 1
    with_ids = curve.insert_column(
        position,
        pl.Series("participant_id", [raw_of.get(p) for p in curve["pseudonym"]], pl.String),
    )
    return replace(results, saturation=replace(found, curve=with_ids))


def _agreement(study: Study, settings: Settings) -> pl.DataFrame:
    """Coder agreement with bootstrap intervals at the study's level, resamples and seed."""
    from toolkit.stats.agreement import agreement

    return agreement(
        study,
        resamples=settings.bootstrap_resamples,
        seed=settings.bootstrap_seed,
        level=settings.ci_level,
    )


def analyse_agreement(study: Study, settings: Settings) -> Results:
    """Agreement between coders per codebook node."""

    # The prevalence table is computed too: agreement hides what it hides.
    return disclose(
        Results(
            study,
            settings,
            prevalence=_prevalence(study, settings),
            agreement=_agreement(study, settings),
        )
    )


def analyse_study(study: Study, settings: Settings) -> Results:
    """Everything a study report shows: prevalence by every stratum, differences,
    co-occurrence and saturation at the theme depth, agreement, quotes."""
    depth = theme_depth(study, settings)
    notes: list[str] = []
    try:
        saturation = _saturation(study, settings, depth)
    except UsageError as error:
        saturation = None
        notes.append(f"Saturation could not be assessed: {error}")
    try:
        code_saturation: Saturation | None = _saturation(study, settings, depth, "codes")
    except UsageError:
        code_saturation = None
    try:
        agreement = _agreement(study, settings)
    except UsageError:
        agreement = None
    from toolkit.stats.cooccurrence import participant_cooccurrence

    try:
        found = reidentification(study, settings)
    except UsageError as error:
        found = None
        notes.append(f"{REIDENTIFICATION_NOT_RUN}: {error}")
    raw = Results(
        study,
        settings,
        prevalence=_prevalence(study, settings, settings.strata),
        differences=_differences(study, settings, settings.strata),
        cooccurrence=participant_cooccurrence(study, depth=depth, coder=settings.coder),
        saturation=saturation,
        code_saturation=code_saturation,
        agreement=agreement,
        coders=_coders(study, settings),
        reidentification=found,
        cohort=_cohort(study, settings),
        quotes=study.codings,
        meta_inferences=study.meta_inferences,
        theme_depth=depth,
        notes=tuple(notes),
    )
    return disclose(raw)


def _cohort(study: Study, settings: Settings) -> pl.DataFrame:
    """Every attribute but the interview order, overall, or overall and by each stratum."""
    from toolkit.stats.cohort import cohort

    attributes = {k: v for k, v in study.attributes.items() if k != settings.order_by}
    if not settings.strata:
        return cohort(study, attributes)
    return pl.concat(
        [cohort(study, attributes, by=attribute) for attribute in settings.strata],
        how="vertical",
    )


def analyse_cohorts(studies: Sequence[Study], *, min_cell: int) -> dict[str, pl.DataFrame]:
    """The cohorts of a comparison side by side: each study's participants, protected.

    Every attribute of any study but its interview order (``analysis.order_by``) is
    described, in each study that records it, with that study's own levels (or the first
    declaring study's); small cells are hidden with ``min_cell``, the comparison's own.

    Returns:
        Study id -> the frame of :func:`toolkit.stats.cohort.describe` (overall only).
    """
    from toolkit.analysis.gate import protect_cohort
    from toolkit.analysis.settings import resolve_settings
    from toolkit.model import AttributeSpec
    from toolkit.stats.cohort import cohort

    attributes: dict[str, AttributeSpec] = {}
    for study in studies:
        order_by = resolve_settings(study.manifest).order_by
        for name, spec in study.attributes.items():
            if name != order_by and name not in attributes:
                attributes[name] = spec
    frames = {}
    for study in studies:
        own = {
            name: study.attributes.get(name, spec)
            for name, spec in attributes.items()
            if name in study.participants.columns
        }
        frames[study.id] = protect_cohort(cohort(study, own), min_cell)
    return frames


def reidentification_check(study: Study, settings: Settings) -> tuple[pl.DataFrame, AnonymityCheck]:
    """Attribute combinations shared by fewer than ``settings.k`` participants, with the
    report elements (as these settings would make the report) that show each, and what the
    check examined (combinations of up to ``settings.max_combination`` quasi-identifiers)."""
    from toolkit.privacy.disclosure import anonymity_check, report_elements

    elements = report_elements(
        study,
        strata=settings.strata,
        descriptors=quote_descriptors(study, settings),
        quotes_per_theme=settings.quotes_per_theme,
    )
    quasi = settings.quasi_identifiers
    return anonymity_check(
        study,
        quasi_identifiers=None if quasi is None else list(quasi),
        k=settings.k,
        elements=elements,
        max_combination=settings.max_combination,
        mapping=pseudonym_mapping(study),
    )


def reidentification(study: Study, settings: Settings) -> pl.DataFrame:
    """The frame of :func:`reidentification_check`."""
    return reidentification_check(study, settings)[0]


def analyse_reidentification(study: Study, settings: Settings) -> Results:
    """Attribute combinations shared by fewer than ``settings.k`` participants; the notes
    say what was checked (quasi-identifiers, combination size, combinations examined)."""
    frame, check = reidentification_check(study, settings)
    return disclose(Results(study, settings, reidentification=frame, notes=(check.sentence(),)))


def analyse_matrix(study: Study, settings: Settings) -> Results:
    """Codes by cases (``raremix matrix``): one row per participant, the attributes, one
    column per codebook node (segment counts; 0/1 is "count above 0").

    The results hold the prevalence by every stratifiable attribute too: the matrix never
    reveals a count that table hides (:mod:`toolkit.analysis.matrix`).
    """
    from toolkit.stats.matrix import codes_by_cases

    study.require_codes()
    by = [name for name, spec in study.attributes.items() if spec.stratifiable]
    return disclose(
        Results(
            study,
            settings,
            prevalence=_prevalence(study, settings, by),
            matrix=codes_by_cases(study, coder=settings.coder),
        )
    )
