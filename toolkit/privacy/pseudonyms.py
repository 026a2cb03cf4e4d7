"""Pseudonyms: P01, P02, … in natural order of the participant ids, never of row order."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from toolkit.errors import UsageError
from toolkit.io.audit import natural_key


def pseudonyms(participants: pl.DataFrame | pl.Series | Sequence[str]) -> pl.DataFrame:
    """Pseudonyms P01, P02, … (P001 from 100 participants on) in natural order of the ids.

    The order depends only on the set of ids (natural sort: ``p2`` before ``p10``), never on
    row order, so reruns and reordered files give the same mapping. One pseudonym per id: a
    bijection.

    Args:
        participants: the participants frame (its ``participant_id``), a Series or a list.

    Returns:
        Frame ``participant_id, pseudonym``, in pseudonym order.

    Raises:
        UsageError: an id is null or repeated (ids must be validated first).
    """
    if isinstance(participants, pl.DataFrame):
        ids = participants["participant_id"].to_list()
    elif isinstance(participants, pl.Series):
        ids = participants.to_list()
    else:
        ids = list(participants)
    if any(i is None for i in ids) or len(set(ids)) != len(ids):
        raise UsageError("participant ids must be unique and non-empty before pseudonymising")
    ordered = sorted((str(i) for i in ids), key=natural_key)
    width = max(2, len(str(len(ordered))))
    return pl.DataFrame(
        {
            "participant_id": ordered,
            "pseudonym": [f"P{k:0{width}d}" for k in range(1, len(ordered) + 1)],
        },
        schema={"participant_id": pl.String, "pseudonym": pl.String},
    )


def apply_pseudonyms(
    frame: pl.DataFrame, mapping: pl.DataFrame, *, column: str = "participant_id"
) -> pl.DataFrame:
    """Replace the raw ids in ``column`` by their pseudonyms (same column name and position).

    Raises:
        UsageError: an id in ``frame`` has no pseudonym (the mapping is from another study).
    """
    lookup = dict(
        zip(mapping["participant_id"].to_list(), mapping["pseudonym"].to_list(), strict=True)
    )
    values = frame[column].to_list()
    unknown = sorted({v for v in values if v is not None and v not in lookup})
    if unknown:
        raise UsageError(
            f"{len(unknown)} participant id(s) have no pseudonym (first: '{unknown[0]}'); "
            "build the mapping from the same study's participants"
        )
    return frame.with_columns(
        pl.Series(column, [None if v is None else lookup[v] for v in values], dtype=pl.String)
    )
