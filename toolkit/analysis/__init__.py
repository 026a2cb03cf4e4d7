"""The analysis layer: settings resolved once, results that carry them, the gate applied once.

Typical use (what every command and report does)::

    from toolkit.analysis import load, analyse_prevalence

    study, settings = load("examples/calciphylaxis", ci_method="jeffreys", ci_level=0.9)
    results = analyse_prevalence(study, settings, by=["sex"])
    results.prevalence          # protected frame, rows computed with jeffreys / 0.9
    results.meta()["ci_method"]  # "jeffreys": metadata read from the same settings

Modules: :mod:`~toolkit.analysis.settings` (one frozen :class:`Settings` from ``study.yml``
and the command line), :mod:`~toolkit.analysis.results` (:class:`Results`),
:mod:`~toolkit.analysis.gate` (the one place the disclosure rules are applied),
:mod:`~toolkit.analysis.run` (one function per analysis).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from toolkit.analysis.gate import disclose
from toolkit.analysis.results import SYNTHETIC_NOTE, Results
from toolkit.analysis.run import (
    analyse_agreement,
    analyse_cooccurrence,
    analyse_differences,
    analyse_matrix,
    analyse_prevalence,
    analyse_reidentification,
    analyse_saturation,
    analyse_study,
    quote_descriptors,
    reidentification,
    theme_depth,
)
from toolkit.analysis.settings import SaturationSettings, Settings, check_ci, resolve_settings
from toolkit.model import Study

__all__ = [
    "SYNTHETIC_NOTE",
    "Results",
    "SaturationSettings",
    "Settings",
    "analyse_agreement",
    "analyse_cooccurrence",
    "analyse_differences",
    "analyse_matrix",
    "analyse_prevalence",
    "analyse_reidentification",
    "analyse_saturation",
    "analyse_study",
    "check_ci",
    "disclose",
    "load",
    "quote_descriptors",
    "reidentification",
    "resolve_settings",
    "settings_for",
    "suppression_warning",
    "theme_depth",
]


def load(
    path: str | Path, *, codings_columns: Sequence[str] | None = None, **overrides: Any
) -> tuple[Study, Settings]:
    """Load and validate the study at ``path`` and resolve its settings once.

    Args:
        path: a study folder or its study.yml.
        codings_columns: read only these optional codings columns (None: all).
        overrides: command-line settings (None: the study's own), see :class:`Settings`.

    Raises:
        InputError: the study fails validation.
        UsageError: an override is not a valid setting.
    """
    from toolkit.io.study import load_study

    study = load_study(Path(path), codings_columns=codings_columns)
    return study, settings_for(study, **overrides)


def settings_for(study: Study, **overrides: Any) -> Settings:
    """The settings of a loaded study, with command-line ``overrides`` (None: the study's)."""
    return resolve_settings(
        study.manifest, **{"participant_unit": study.participant_unit, **overrides}
    )


def suppression_warning(path: str | Path) -> str | None:
    """What ``raremix report`` warns about before writing a study's report: counts it would
    publish that a comparison of the same study hides (comparisons default to min_cell 5),
    with what to do (:func:`toolkit.privacy.comparison_warning`). Reads only study.yml.

    Raises:
        InputError: study.yml cannot be read.
    """
    from toolkit.io.study import resolve_study_path
    from toolkit.manifest import read_manifest
    from toolkit.privacy import comparison_warning

    _, manifest_path = resolve_study_path(Path(path))
    manifest = read_manifest(manifest_path)
    return comparison_warning(manifest.analysis.min_cell, synthetic=manifest.study.synthetic)
