"""One declared schema per output frame: its columns in order, their dtypes, and its rules.

Every frame raremix writes (a command's table, a report's result CSV) has a schema here:
prevalence (SPEC §3), subgroup differences, co-occurrence at participant and segment level,
coder agreement, the saturation curve, and the cohort comparison with its side tables. The
statistics take their column order from here, and the tests run every output through
:func:`check`, so a column renamed in one place, a count above its denominator or an interval
that misses its estimate is found wherever it appears.

:func:`check` lists the problems (it never raises); :func:`validate` raises
:class:`~toolkit.errors.ImplementationError`, since a frame that breaks its schema is a bug in
raremix, not in the user's input.

The schemas live in :mod:`toolkit.frames.study` and :mod:`toolkit.frames.comparison`; what a
schema is, and the checking, in :mod:`toolkit.frames.schema`.
"""

from __future__ import annotations

from toolkit.frames.comparison import (
    COMPARISON,
    COMPARISON_DIFFERENCES,
    COMPARISON_MAPPINGS,
    COMPARISON_NOT_COMPARED,
    COMPARISON_NOTES,
    COMPARISON_TABLE,
)
from toolkit.frames.schema import FrameSchema, Rule, check, validate
from toolkit.frames.study import (
    AGREEMENT,
    COOCCURRENCE_PARTICIPANTS,
    COOCCURRENCE_SEGMENTS,
    DIFFERENCES,
    PLAN,
    PREVALENCE,
    SATURATION_CURVE,
    SATURATION_OUTPUT,
)

SCHEMAS: tuple[FrameSchema, ...] = (
    PLAN,
    PREVALENCE,
    DIFFERENCES,
    COOCCURRENCE_PARTICIPANTS,
    COOCCURRENCE_SEGMENTS,
    AGREEMENT,
    SATURATION_CURVE,
    SATURATION_OUTPUT,
    COMPARISON,
    COMPARISON_TABLE,
    COMPARISON_DIFFERENCES,
    COMPARISON_NOT_COMPARED,
    COMPARISON_MAPPINGS,
    COMPARISON_NOTES,
)
"""Every declared output schema."""

__all__ = [
    "AGREEMENT",
    "COMPARISON",
    "COMPARISON_DIFFERENCES",
    "COMPARISON_MAPPINGS",
    "COMPARISON_NOTES",
    "COMPARISON_NOT_COMPARED",
    "COMPARISON_TABLE",
    "COOCCURRENCE_PARTICIPANTS",
    "COOCCURRENCE_SEGMENTS",
    "DIFFERENCES",
    "PLAN",
    "PREVALENCE",
    "SATURATION_CURVE",
    "SATURATION_OUTPUT",
    "SCHEMAS",
    "FrameSchema",
    "Rule",
    "check",
    "validate",
]
