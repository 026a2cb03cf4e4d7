"""Pseudonyms P01, P02, …: a keyed random permutation of the participant ids.

The order of the pseudonyms is the order of HMAC-SHA256(key, id): without the key (the
study secret, :mod:`toolkit.io.secret`) it says nothing about the raw ids, their order or the
order participants were recruited in; with the same key every run, and every document made
from the study, gives the same mapping. Row order never matters.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

import polars as pl

from toolkit.errors import UsageError

#: The shortest key accepted (bytes): a study secret is 64 hexadecimal characters.
MIN_KEY_BYTES = 16


def pseudonyms(
    participants: pl.DataFrame | pl.Series | Sequence[str], *, key: bytes
) -> pl.DataFrame:
    """Pseudonyms P01, P02, … (P001 from 100 participants on), in a keyed random order.

    Participant ids are ordered by HMAC-SHA256 of ``key`` and the id, and numbered in that
    order: a bijection that depends only on the set of ids and the key, never on row order or
    on the ids' own order. Adding a participant may renumber others (the permutation is of
    the whole set); the mapping written by ``raremix privacy --write-key`` is the one every
    document of the same data uses.

    Args:
        participants: the participants frame (its ``participant_id``), a Series or a list.
        key: the study secret (:func:`toolkit.io.secret.study_key`).

    Returns:
        Frame ``participant_id, pseudonym``, in pseudonym order.

    Raises:
        UsageError: an id is null or repeated (ids must be validated first), or the key is
            shorter than :data:`MIN_KEY_BYTES`.
    """
    if len(key) < MIN_KEY_BYTES:
        raise UsageError(f"a pseudonym key needs at least {MIN_KEY_BYTES} bytes")
    if isinstance(participants, pl.DataFrame):
        ids = participants["participant_id"].to_list()
    elif isinstance(participants, pl.Series):
        ids = participants.to_list()
    else:
        ids = list(participants)
    if any(i is None for i in ids) or len(set(ids)) != len(ids):
        raise UsageError("participant ids must be unique and non-empty before pseudonymising")

    def rank(value: str) -> tuple[bytes, str]:
        return hmac.new(key, value.encode("utf-8"), hashlib.sha256).digest(), value

    ordered = sorted((str(i) for i in ids), key=rank)
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
