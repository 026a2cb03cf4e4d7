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


KEY = b"k" * 32


def test_pseudonyms_keyed_order_and_width() -> None:
    mapping = pseudonyms(["p10", "p2", "p1"], key=KEY)
    assert sorted(mapping["participant_id"].to_list()) == ["p1", "p10", "p2"]
    assert mapping["pseudonym"].to_list() == ["P01", "P02", "P03"]
    big = pseudonyms([f"id-{i}" for i in range(120)], key=KEY)
    assert big["pseudonym"][0] == "P001" and big["pseudonym"][-1] == "P120"
    assert pseudonyms([f"x{i}" for i in range(99)], key=KEY)["pseudonym"][-1] == "P99"


def test_pseudonyms_reveal_nothing_of_the_ids_order() -> None:
    """Issue 12: in the demo the pseudonyms equalled the raw ids (P01 = P01). With a key, the
    ids' order is not the pseudonyms' order, and another key gives another permutation."""
    ids = [f"P{i:02d}" for i in range(1, 41)]
    first = pseudonyms(ids, key=KEY)
    lookup = dict(first.iter_rows())
    assert sum(lookup[i] == i for i in ids) < 5  # not the identity
    in_order = [lookup[i] for i in ids]
    assert in_order != sorted(in_order)  # recruitment order is not kept
    other = pseudonyms(ids, key=b"o" * 32)
    assert not first.equals(other)
    assert pseudonyms(list(reversed(ids)), key=KEY).equals(first)  # row order never matters


def test_pseudonyms_refuse_a_short_key() -> None:
    with pytest.raises(UsageError, match="key"):
        pseudonyms(["a"], key=b"short")


@given(
    ids=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=150, unique=True),
    seed=st.integers(0, 1000),
)
def test_pseudonyms_are_a_stable_bijection(ids: list[str], seed: int) -> None:
    shuffled = ids[:]
    random.Random(seed).shuffle(shuffled)
    first = pseudonyms(ids, key=KEY)
    second = pseudonyms(pl.DataFrame({"participant_id": shuffled}), key=KEY)
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
        apply_pseudonyms(pl.DataFrame({"participant_id": ["zz"]}), pseudonyms(["a"], key=KEY))


def test_pseudonyms_refuse_duplicates() -> None:
    with pytest.raises(UsageError):
        pseudonyms(["a", "a"], key=KEY)


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
