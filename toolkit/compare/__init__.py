"""Cohorts of different rare conditions side by side (see :mod:`toolkit.compare.core`).

- :mod:`~toolkit.compare.settings`: the settings, resolved once from studies and arguments;
- :mod:`~toolkit.compare.crosswalk`: which code counts for which theme, checked;
- :mod:`~toolkit.compare.counting`: per-cohort counts and intervals (the prevalence kernels);
- :mod:`~toolkit.compare.pooling`: pooled rows and pairwise differences;
- :mod:`~toolkit.compare.core`: :func:`compare` and its :class:`Comparison`.

The comparability notes, as sentences, are the report's: :mod:`toolkit.report.compare_notes`.
"""

from toolkit.compare.core import PREVALENCE_COLUMNS, CohortFacts, Comparison, compare
from toolkit.compare.crosswalk import MAPPING_COLUMNS, NOT_COMPARED_COLUMNS, validate_crosswalk
from toolkit.compare.pooling import DIFFERENCE_COLUMNS, POOLED
from toolkit.compare.settings import CohortSettings, CompareSettings

__all__ = [
    "DIFFERENCE_COLUMNS",
    "MAPPING_COLUMNS",
    "NOT_COMPARED_COLUMNS",
    "POOLED",
    "PREVALENCE_COLUMNS",
    "CohortFacts",
    "CohortSettings",
    "CompareSettings",
    "Comparison",
    "compare",
    "validate_crosswalk",
]
