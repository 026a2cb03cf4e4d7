"""Tests for toolkit.privacy.pseudonyms, and the atomic write of the pseudonym key."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.errors import UsageError
from toolkit.output import atomic_path, write_text_atomic
from toolkit.privacy import (
    apply_pseudonyms,
    natural_key,
    pseudonyms,
)

# ------------------------------------------------------------------------------------------
# Pseudonyms
# ------------------------------------------------------------------------------------------


def test_pseudonyms_natural_order_and_width() -> None:
    mapping = pseudonyms(["p10", "p2", "p1"])
    assert mapping.to_dicts() == [
        {"participant_id": "p1", "pseudonym": "P01"},
        {"participant_id": "p2", "pseudonym": "P02"},
        {"participant_id": "p10", "pseudonym": "P03"},
    ]
    big = pseudonyms([f"id-{i}" for i in range(120)])
    assert big["pseudonym"][0] == "P001" and big["pseudonym"][-1] == "P120"
    assert big["participant_id"][-1] == "id-119"
    assert pseudonyms([f"x{i}" for i in range(99)])["pseudonym"][-1] == "P99"


@given(
    ids=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=150, unique=True),
    seed=st.integers(0, 1000),
)
def test_pseudonyms_are_a_stable_bijection(ids: list[str], seed: int) -> None:
    shuffled = ids[:]
    random.Random(seed).shuffle(shuffled)
    first, second = pseudonyms(ids), pseudonyms(pl.DataFrame({"participant_id": shuffled}))
    assert first.equals(second)
    assert sorted(first["participant_id"].to_list()) == sorted(ids)
    assert first["pseudonym"].n_unique() == len(ids)
    assert all(re.fullmatch(r"P\d{2,3}", p) for p in first["pseudonym"])
    frame = pl.DataFrame({"participant_id": shuffled, "v": range(len(ids))})
    renamed = apply_pseudonyms(frame, first)
    back = dict(zip(first["pseudonym"], first["participant_id"], strict=True))
    assert [back[p] for p in renamed["participant_id"]] == shuffled


def test_natural_key_orders_numbers_as_numbers() -> None:
    assert sorted(["a10", "a9", "b1", "a10b"], key=natural_key) == ["a9", "a10", "a10b", "b1"]


def test_apply_pseudonyms_refuses_unknown_ids() -> None:
    with pytest.raises(UsageError, match="no pseudonym"):
        apply_pseudonyms(pl.DataFrame({"participant_id": ["zz"]}), pseudonyms(["a"]))


def test_pseudonyms_refuse_duplicates() -> None:
    with pytest.raises(UsageError):
        pseudonyms(["a", "a"])


# ------------------------------------------------------------------------------------------
# Atomic writes: an interrupted write leaves the previous file intact
# ------------------------------------------------------------------------------------------


def test_interrupted_write_leaves_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "key.csv"
    write_text_atomic(target, "participant_id,pseudonym\na,P01\n")
    before = target.read_bytes()
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("participant_id,pseudonym\na,P0")
        raise RuntimeError("killed midway")
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key.csv"]
    assert json.dumps(before.decode())  # still text
