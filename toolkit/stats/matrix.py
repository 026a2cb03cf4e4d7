"""Codes by cases: one row per participant, one column per codebook node (raw numbers).

The table QualCoder and NVivo users export to continue in R, SPSS or Stata. A participant's
cell for a node counts the codings of that node or of any node below it (a coding counts for
its code and every ancestor, as in prevalence). Nothing is hidden here: the disclosure gate
(:mod:`toolkit.analysis.matrix`) decides what may be shown.
"""

from __future__ import annotations

import polars as pl

from toolkit.model import CODE_ID, PARTICIPANT_ID, Study
from toolkit.stats.hierarchy import closure
from toolkit.stats.strata import stratum_values


def attribute_column_name(name: str, nodes: list[str]) -> str:
    """An attribute's column name, kept apart from a node of the same name."""
    return f"{name} (attribute)" if name in nodes else name


def codes_by_cases(study: Study, *, coder: str | None = None) -> pl.DataFrame:
    """Participants × codebook nodes: segment counts, rolled up the codebook.

    Args:
        study: a validated study.
        coder: count only this coder's codings (None: every coding).

    Returns:
        ``participant_id``, then one column per attribute as the report shows it (levels;
        a numeric attribute with bins as its bin labels, "missing" for an empty cell; a
        numeric attribute without bins as its value), then one Int64 column per codebook
        node (named by its ``code_id``, in codebook order): the participant's codings of
        the node or a node below it. Rows in participants order.
    """
    nodes = study.codebook[CODE_ID].to_list()
    frame = study.participants.select(PARTICIPANT_ID)
    for name, spec in study.attributes.items():
        column = attribute_column_name(name, nodes)
        if spec.stratifiable:
            labels, _ = stratum_values(study.participants, spec)
            frame = frame.with_columns(labels.alias(column))
        else:
            frame = frame.with_columns(study.participants[name].cast(pl.Float64).alias(column))
    codings = study.codings
    if coder is not None:
        codings = codings.filter(pl.col("coder") == coder)
    counts = (
        codings.select(PARTICIPANT_ID, CODE_ID)
        .join(closure(study.codebook), on=CODE_ID)
        .group_by(PARTICIPANT_ID, "ancestor_id")
        .len()
        .pivot(on="ancestor_id", index=PARTICIPANT_ID, values="len")
    )
    present = [n for n in nodes if n in counts.columns]
    counts = counts.select(PARTICIPANT_ID, *present) if counts.width else counts
    frame = frame.join(counts, on=PARTICIPANT_ID, how="left", maintain_order="left")
    return frame.with_columns(
        (pl.col(n).fill_null(0) if n in frame.columns else pl.lit(0)).cast(pl.Int64).alias(n)
        for n in nodes
    ).select(
        PARTICIPANT_ID,
        *(attribute_column_name(n, nodes) for n in study.attributes),
        *nodes,
    )
