"""Co-occurrence stays proportional to what co-occurs (issue 17).

The old participant level crossed every pair of nodes (6,400 themes: 41 million rows, 10 GB)
and the old segment level self-joined each source's segments (10,000 segments in one source:
10^8 joined rows, over 9.7 GB). Every study written here is SYNTHETIC.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tests.stats.test_cooccurrence import CODINGS, PARTICIPANTS, write_study
from toolkit.io.study import load_study
from toolkit.stats import cooccurrence
from toolkit.stats.cooccurrence import overlap_pairs, participant_cooccurrence, segment_cooccurrence


def brute_overlaps(group: np.ndarray, start: np.ndarray, end: np.ndarray) -> set[tuple[int, int]]:
    return {
        (i, j)
        for i, j in itertools.combinations(range(group.size), 2)
        if group[i] == group[j] and start[i] < end[j] and start[j] < end[i]
    }


@pytest.mark.parametrize("seed", range(5))
def test_overlap_pairs_match_a_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 60
    group = np.sort(rng.integers(0, 3, n))
    start = rng.integers(0, 40, n)
    end = start + rng.integers(0, 12, n)  # empty spans included
    order = np.lexsort((start, group))
    group, start, end = group[order], start[order], end[order]
    first, second = overlap_pairs(group, start, end)
    assert set(zip(first.tolist(), second.tolist(), strict=True)) == brute_overlaps(
        group, start, end
    )
    assert first.size == len(brute_overlaps(group, start, end))  # nothing else was made


def test_non_overlapping_segments_make_no_pairs() -> None:
    n = 50_000  # one source: the self-join made n² = 2.5·10^9 candidate rows
    start = np.arange(n) * 10
    first, _ = overlap_pairs(np.zeros(n, dtype=np.int64), start, start + 10)
    assert first.size == 0
    nested = overlap_pairs(
        np.zeros(4, dtype=np.int64), np.array([0, 1, 2, 3]), np.array([9, 8, 7, 6])
    )
    assert nested[0].size == 6


def test_sparse_frames_hold_the_dense_ones_nonzero_pairs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = write_study(tmp_path / "s", participants=PARTICIPANTS, codings=CODINGS)
    for depth in (0, 1, 2):
        dense = participant_cooccurrence(study, depth=depth)
        dense_segments = segment_cooccurrence(study, depth=depth)
        monkeypatch.setattr(cooccurrence, "DENSE_NODES", 0)
        sparse = participant_cooccurrence(study, depth=depth)
        sparse_segments = segment_cooccurrence(study, depth=depth)
        monkeypatch.undo()
        wanted = dense.filter(
            (pl.col("participants_both") > 0) | (pl.col("code_a") == pl.col("code_b"))
        )
        assert sparse.equals(wanted)
        assert sparse_segments.equals(dense_segments.filter(pl.col("overlapping_pairs") > 0))


def test_a_wide_codebook_materialises_only_co_occurring_pairs(tmp_path: Path) -> None:
    nodes, people, per_person = 1_000, 60, 3
    rng = np.random.default_rng(3)
    root = tmp_path / "wide"
    root.mkdir()
    (root / "codebook.csv").write_text(
        "code_id,label,parent_id\n" + "".join(f"c{i},Code {i},\n" for i in range(nodes))
    )
    (root / "participants.csv").write_text(
        "participant_id\n" + "".join(f"P{p}\n" for p in range(people))
    )
    voiced = {
        p: sorted(set(rng.choice(nodes, per_person, replace=False).tolist())) for p in range(people)
    }
    (root / "codings.csv").write_text(
        "participant_id,code_id,source,start,end\n"
        + "".join(
            f"P{p},c{c},p{p}.txt,{10 * i},{10 * i + 15}\n"
            for p, codes in voiced.items()
            for i, c in enumerate(codes)
        )
    )
    (root / "study.yml").write_text(
        "study: {id: wide-synthetic, title: Wide (synthetic), condition: {name: Testing}, "
        "synthetic: true}\n"
        "inputs: {participants: participants.csv, codebook: codebook.csv, codings: codings.csv}\n"
    )
    study = load_study(root)
    expected: dict[tuple[str, str], int] = {}
    for codes in voiced.values():
        for a, b in itertools.product(codes, repeat=2):
            expected[(f"c{a}", f"c{b}")] = expected.get((f"c{a}", f"c{b}"), 0) + 1
    frame = participant_cooccurrence(study, depth=0)
    off_diagonal = sum(1 for a, b in expected if a != b)
    assert frame.height == nodes + off_diagonal  # the dense frame: nodes² = 10^6 rows
    assert frame.height <= nodes + people * per_person * (per_person - 1)
    got = {
        (r[0], r[1]): r[2]
        for r in frame.select("code_a", "code_b", "participants_both").iter_rows()
        if r[2]
    }
    assert got == expected
    segments = segment_cooccurrence(study, depth=0)
    # each person's consecutive codes overlap by 5 characters: 2 per person, both ways
    assert segments.height == len(
        {(f"c{a}", f"c{b}") for codes in voiced.values() for a, b in itertools.pairwise(codes)}
        | {(f"c{b}", f"c{a}") for codes in voiced.values() for a, b in itertools.pairwise(codes)}
    )


def test_a_deep_chain_is_rolled_up_without_the_ancestor_closure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    levels = 3_000  # the closure of a chain has levels²/2 pairs, built one level at a time
    root = tmp_path / "chain"
    root.mkdir()
    (root / "codebook.csv").write_text(
        "code_id,label,parent_id\n"
        + "".join(f"c{i},Level {i},{'' if i == 0 else f'c{i - 1}'}\n" for i in range(levels))
    )
    (root / "participants.csv").write_text("participant_id\nP1\nP2\nP3\n")
    (root / "codings.csv").write_text(
        "participant_id,code_id,source,start,end\n"
        "P1,c2999,a.txt,0,10\nP1,c1,a.txt,5,20\nP2,c1,b.txt,0,5\nP3,c0,c.txt,0,5\n"
    )
    (root / "study.yml").write_text(
        "study: {id: chain-synthetic, title: Chain (synthetic), condition: {name: Testing}, "
        "synthetic: true}\n"
        "inputs: {participants: participants.csv, codebook: codebook.csv, codings: codings.csv}\n"
    )
    study = load_study(root)

    def refuse(*_: object) -> None:
        raise AssertionError("the full ancestor closure was built")

    monkeypatch.setattr("toolkit.stats.hierarchy.closure", refuse)
    frame = participant_cooccurrence(study, depth=1)
    assert frame.select("code_a", "participants_a").rows() == [("c1", 2)]
    deep = participant_cooccurrence(study, depth=2_000)
    assert deep.select("code_a", "participants_a").rows() == [("c2000", 1)]
    assert segment_cooccurrence(study, depth=1).height == 0  # one node: no pair
