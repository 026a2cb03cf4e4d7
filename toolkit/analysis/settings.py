"""Analysis settings, resolved once from ``study.yml`` and the command line.

Every choice an analysis makes (interval method and level, difference method, small-cell
threshold, coder, strata, saturation parameters, what the report shows) is read here, once,
into one frozen :class:`Settings`. Results carry the settings they were computed with, and
every output (CSV/JSON/Parquet metadata, report captions, methods text, provenance) reads
them from the results, never from the manifest again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from toolkit.choices import CI_METHODS, DIFFERENCE_METHODS
from toolkit.errors import UsageError

if TYPE_CHECKING:
    from toolkit.manifest import Manifest, Redaction


@dataclass(frozen=True)
class SaturationSettings:
    """Guest, Namey and Chen (2020): base size, run length, new-information threshold."""

    base: int = 4
    run: int = 2
    threshold: float = 0.05


@dataclass(frozen=True)
class Settings:
    """Every setting an analysis and its outputs use, already checked.

    Attributes:
        ci_method, ci_level: the interval of a proportion.
        difference_method: the interval of a difference between two proportions.
        min_cell: small-cell threshold k (0 or 1: no suppression).
        coder: use only this coder's codings (None: every coding).
        strata: attributes the study report breaks results down by.
        order_by: attribute giving the interview order (None: inferred).
        saturation: base, run and threshold of the saturation assessment.
        theme_depth: codebook depth treated as themes (None: 1 when the codebook has it).
        quotes_per_theme, descriptors, formats: what the report shows and renders.
        table_depth, table_rows: the deepest codebook level and the most rows of the
            prevalence tree the report shows (the CSV beside it has every row).
        quasi_identifiers, k: the re-identification check (None: every stratifiable attribute;
            from ``study.yml`` the default is the strata and the attributes it declares as
            categorical or with bins, see :func:`default_quasi_identifiers`).
        max_combination: the largest combination of quasi-identifiers checked.
        redaction: the quote redaction rules of ``privacy.redact``.
        participant_unit: who a participant is (case, source, speaker, user), for the
            report's methods and cohort table.
        min_subgroup: the key findings mention a difference between two subgroups only
            when both have at least this many participants (``report.min_subgroup``,
            default 10; issue 12).
        population: N of ``study.population``, the known finite population the participants
            were drawn from; with it the interval method is ``hypergeometric``.
        population_strata: per attribute, level and size, from ``study.population.strata``.
        bootstrap_resamples, bootstrap_seed: the participant resampling behind the intervals
            of kappa and alpha (:mod:`toolkit.stats.agreement`).
    """

    ci_method: str = "wilson"
    ci_level: float = 0.95
    difference_method: str = "newcombe"
    min_cell: int = 0
    coder: str | None = None
    strata: tuple[str, ...] = ()
    order_by: str | None = None
    saturation: SaturationSettings = field(default_factory=SaturationSettings)
    theme_depth: int | None = None
    quotes_per_theme: int = 2
    descriptors: tuple[str, ...] | None = None
    formats: tuple[str, ...] = ("html", "pdf", "docx")
    table_depth: int = 4
    table_rows: int = 250
    quasi_identifiers: tuple[str, ...] | None = None
    k: int = 3
    max_combination: int = 3
    redaction: Redaction | None = field(default=None, compare=False, repr=False)
    participant_unit: str = "case"
    min_subgroup: int = 10
    population: int | None = None
    population_strata: tuple[tuple[str, str, int], ...] = ()
    bootstrap_resamples: int = 2000  # toolkit.stats.agreement.RESAMPLES
    bootstrap_seed: int = 20_150_301  # toolkit.stats.agreement.SEED

    def __post_init__(self) -> None:
        check_ci(self.ci_method, self.ci_level)
        if self.ci_method == "hypergeometric" and self.population is None:
            raise UsageError(
                "the hypergeometric interval needs study.population: the size N of the known "
                "population the participants were drawn from"
            )
        if self.difference_method not in DIFFERENCE_METHODS:
            raise UsageError(
                f"unknown difference method '{self.difference_method}'; choose one of "
                f"{', '.join(DIFFERENCE_METHODS)}"
            )
        if isinstance(self.min_cell, bool) or not isinstance(self.min_cell, int):
            raise UsageError(f"min_cell must be a whole number ≥ 0 (got {self.min_cell!r})")
        if self.min_cell < 0:
            raise UsageError(f"min_cell must be a whole number ≥ 0 (got {self.min_cell})")

    @property
    def suppressing(self) -> bool:
        """True when small cells are suppressed (``min_cell`` above 1)."""
        return self.min_cell > 1

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given settings replaced; None means "keep the current value"."""
        given = {key: value for key, value in overrides.items() if value is not None}
        return replace(self, **given) if given else self

    def meta(self) -> dict[str, Any]:
        """The settings as plain values, for JSON/Parquet metadata and provenance."""
        values = asdict(self)
        values.pop("redaction")
        for key, value in values.items():
            if isinstance(value, tuple):
                values[key] = list(value)
        return values


def _population(manifest: Manifest) -> tuple[int | None, tuple[tuple[str, str, int], ...]]:
    """``study.population``: N and the per-stratum sizes (attribute, level, N)."""
    declared = manifest.study.population
    if declared is None or isinstance(declared, int):
        return declared, ()
    strata = tuple(
        (attribute, level, size)
        for attribute, sizes in declared.strata.items()
        for level, size in sizes.items()
    )
    return declared.total, strata


def check_ci(method: str, level: float) -> None:
    """Raise :class:`UsageError` for an unknown interval method or a level outside (0, 1)."""
    if method not in CI_METHODS:
        raise UsageError(f"unknown CI method '{method}'; choose one of {', '.join(CI_METHODS)}")
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise UsageError(
            f"level must be between 0 and 1 (exclusive), got {level!r}; for 95% use 0.95"
        )


def resolve_settings(manifest: Manifest, **overrides: Any) -> Settings:
    """The settings of a study: ``study.yml``'s, with command-line ``overrides`` on top.

    Args:
        manifest: the parsed ``study.yml``.
        overrides: any :class:`Settings` field, or ``saturation_base``, ``saturation_run``,
            ``saturation_threshold``; None leaves the manifest's value.

    Raises:
        UsageError: an unknown method or a level outside (0, 1).
    """
    analysis, report, privacy = manifest.analysis, manifest.report, manifest.privacy
    population, population_strata = _population(manifest)
    base = Settings(
        population=population,
        population_strata=population_strata,
        # A declared population makes every prevalence interval a finite-population one.
        ci_method="hypergeometric" if population is not None else analysis.ci.method,
        ci_level=float(analysis.ci.level),
        difference_method=analysis.difference_ci,
        min_cell=analysis.min_cell,
        coder=analysis.coder,
        strata=tuple(analysis.strata),
        order_by=analysis.order_by,
        saturation=SaturationSettings(
            base=analysis.saturation.base,
            run=analysis.saturation.run,
            threshold=float(analysis.saturation.threshold),
        ),
        theme_depth=report.theme_depth,
        quotes_per_theme=report.quotes_per_theme,
        descriptors=None if report.descriptors is None else tuple(report.descriptors),
        formats=tuple(report.formats),
        table_depth=report.table_depth,
        table_rows=report.table_rows,
        min_subgroup=report.min_subgroup,
        quasi_identifiers=(
            default_quasi_identifiers(manifest)
            if privacy.quasi_identifiers is None
            else tuple(privacy.quasi_identifiers)
        ),
        k=privacy.k,
        max_combination=privacy.max_combination,
        redaction=privacy.redact,
        participant_unit=manifest.participant_unit or "case",
    )
    return base.with_overrides(**_normalised(overrides, base.saturation))


def default_quasi_identifiers(manifest: Manifest) -> tuple[str, ...] | None:
    """The quasi-identifiers checked when ``privacy.quasi_identifiers`` is not given.

    The strata and the attributes ``study.yml`` declares as categorical (a type or levels) or
    with bins: what the report can show jointly, not every column of a wide export. None
    (every stratifiable attribute) when the study declares none of them.
    """
    declared = [
        name
        for name, spec in manifest.attributes.items()
        if spec.type == "categorical" or spec.levels or spec.bins
    ]
    names = tuple(dict.fromkeys([*manifest.analysis.strata, *declared]))
    return names or None


def _normalised(overrides: Mapping[str, Any], saturation: SaturationSettings) -> dict[str, Any]:
    """Command-line values as Settings fields (``saturation_base`` etc. become ``saturation``)."""
    values = dict(overrides)
    nested = {
        key.removeprefix("saturation_"): values.pop(key)
        for key in ("saturation_base", "saturation_run", "saturation_threshold")
        if key in values
    }
    nested = {key: value for key, value in nested.items() if value is not None}
    if nested:
        values["saturation"] = replace(saturation, **nested)
    for key in ("strata", "descriptors", "formats", "quasi_identifiers"):
        if isinstance(values.get(key), Sequence) and not isinstance(values[key], str):
            values[key] = tuple(values[key])
    if values.get("ci_level") is not None and not isinstance(values["ci_level"], bool):
        values["ci_level"] = float(values["ci_level"])
    return values
