"""Participants' characteristics: raw descriptive statistics per attribute and group.

One tidy frame describes a study's participants overall, or overall and in each stratum of
one attribute. A categorical attribute gets one row per level and group (``count`` and
``share``); a numeric one gets one row per group (values ``recorded`` and ``missing``, then
``mean``, ``sd``, ``median``, ``min``, ``max`` of the recorded values). Nothing is hidden
here: the disclosure gate (:func:`toolkit.analysis.gate.protect_cohort`) decides what may be
shown, and the report lays out what is left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from toolkit.model import AttributeSpec, Study
from toolkit.stats.strata import stratum_frame

#: The label of the group made of every participant.
OVERALL = "Overall"
#: The level row of a categorical attribute's participants with no value.
MISSING_LEVEL = "missing"

SCHEMA: dict[str, Any] = {
    "by": pl.String,
    "group": pl.String,
    "group_size": pl.Int64,
    "attribute": pl.String,
    "display": pl.String,
    "type": pl.String,
    "has_missing": pl.Boolean,
    "level": pl.String,
    "count": pl.Int64,
    "share": pl.Float64,
    "recorded": pl.Int64,
    "missing": pl.Int64,
    "mean": pl.Float64,
    "sd": pl.Float64,
    "median": pl.Float64,
    "min": pl.Float64,
    "max": pl.Float64,
    "suppressed": pl.Boolean,
}
#: Column order of the cohort frame.
COLUMNS = tuple(SCHEMA)


def _levels(participants: pl.DataFrame, name: str, spec: AttributeSpec) -> list[str]:
    declared = spec.levels or sorted({v for v in participants[name].to_list() if v is not None})
    return list(declared)


def _numeric(frame: pl.DataFrame, name: str) -> dict[str, Any]:
    series = frame[name].cast(pl.Float64).drop_nulls()
    recorded = series.len()
    if recorded == 0:
        return {"recorded": 0, "missing": frame[name].null_count()}
    return {
        "recorded": recorded,
        "missing": frame[name].null_count(),
        "mean": series.mean(),
        "sd": series.std() if recorded > 1 else None,
        "median": series.median(),
        "min": series.min(),
        "max": series.max(),
    }


def describe(
    participants: pl.DataFrame,
    attributes: Mapping[str, AttributeSpec],
    groups: Sequence[tuple[str, pl.DataFrame]],
    *,
    by: str | None = None,
) -> pl.DataFrame:
    """Descriptive statistics of ``attributes`` in each of ``groups``.

    Args:
        participants: every participant (the levels of a categorical attribute without
            declared levels, and whether the attribute has missing values, come from here).
        attributes: the attributes to describe, in order; one not in ``participants`` is
            left out.
        groups: (label, participants of that group): the overall group first; the others,
            when there are any, partition it.
        by: the attribute the groups are strata of (None: overall only).

    Returns:
        A frame of :data:`COLUMNS`, attributes in the given order, levels in their order
        (a ``"missing"`` level last when a value is missing), groups in the given order.
    """
    rows: list[dict[str, Any]] = []
    for name, spec in attributes.items():
        if name not in participants.columns:
            continue
        has_missing = participants[name].null_count() > 0
        common: dict[str, Any] = {
            "by": by,
            "attribute": name,
            "display": spec.display,
            "type": spec.type,
            "has_missing": has_missing,
        }
        if spec.type == "categorical":
            labels = [*_levels(participants, name, spec), *([MISSING_LEVEL] if has_missing else [])]
            for level in labels:
                for label, frame in groups:
                    count = (
                        frame[name].null_count()
                        if level == MISSING_LEVEL and has_missing
                        else int((frame[name] == level).sum())
                    )
                    size = frame.height
                    rows.append(
                        {
                            **common,
                            "group": label,
                            "group_size": size,
                            "level": level,
                            "count": count,
                            "share": count / size if size else None,
                        }
                    )
        else:
            for label, frame in groups:
                rows.append(
                    {**common, "group": label, "group_size": frame.height, **_numeric(frame, name)}
                )
    return (
        pl.DataFrame(rows, schema={k: v for k, v in SCHEMA.items() if k != "suppressed"})
        .with_columns(pl.lit(False).alias("suppressed"))
        .select(COLUMNS)
    )


def cohort(
    study: Study, attributes: Mapping[str, AttributeSpec], *, by: str | None = None
) -> pl.DataFrame:
    """The study's participants overall, and in each stratum of ``by`` when given.

    Args:
        study: a loaded study.
        attributes: the attributes to describe, in order.
        by: a stratifying attribute (its levels as in the prevalence table, "missing"
            included), or None for the overall group only.

    Returns:
        The frame of :func:`describe`.

    Raises:
        UsageError: ``by`` is unknown, or numeric without bins.
    """
    participants = study.participants
    groups: list[tuple[str, pl.DataFrame]] = [(OVERALL, participants)]
    if by is not None:
        frame, levels = stratum_frame(study, by)
        joined = participants.join(frame, on="participant_id")
        groups += [(level, joined.filter(pl.col("stratum_value") == level)) for level in levels]
    return describe(participants, attributes, groups, by=by)
