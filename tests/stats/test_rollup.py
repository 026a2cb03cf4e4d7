"""The counting kernel: checked against a direct computation with Python sets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.errors import ImplementationError
from toolkit.stats.rollup import reach_counts, rolled_up_counts, rollup_order


def brute_force(
    participant: list[int],
    node: list[int],
    parent: list[int],
    levels: list[int],
    width: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Participants and segments per (node, level), walking each coding up to the root."""
    voiced: dict[tuple[int, int], set[int]] = {}
    segments = np.zeros((len(parent), width), dtype=np.int64)
    for p, c in zip(participant, node, strict=True):
        while c >= 0:
            voiced.setdefault((c, levels[p]), set()).add(p)
            segments[c, levels[p]] += 1
            c = parent[c]
    people = np.zeros((len(parent), width), dtype=np.int64)
    for (c, level), who in voiced.items():
        people[c, level] = len(who)
    return people, segments


@st.composite
def corpora(draw: st.DrawFn) -> tuple[list[int], list[int], list[int], int, list[int], int]:
    n_nodes = draw(st.integers(1, 12))
    # node i's parent is an earlier node or none: always a forest
    parent = [-1] + [draw(st.integers(-1, i - 1)) for i in range(1, n_nodes)]
    n_participants = draw(st.integers(1, 15))
    n_codings = draw(st.integers(0, 60))
    participant = draw(
        st.lists(st.integers(0, n_participants - 1), min_size=n_codings, max_size=n_codings)
    )
    node = draw(st.lists(st.integers(0, n_nodes - 1), min_size=n_codings, max_size=n_codings))
    width = draw(st.integers(1, 4))
    levels = draw(
        st.lists(st.integers(0, width - 1), min_size=n_participants, max_size=n_participants)
    )
    return participant, node, parent, n_participants, levels, width


@given(corpora(), st.sampled_from([1, 7, 1 << 26]), st.sampled_from([0, 4096]))
def test_matches_walking_every_coding_up_the_tree(
    corpus: tuple[list[int], list[int], list[int], int, list[int], int],
    block_cells: int,
    max_cells: int,
) -> None:
    participant, node, parent, n_participants, levels, width = corpus
    overall, grouped = rolled_up_counts(
        np.array(participant, dtype=np.int64),
        np.array(node, dtype=np.int64),
        parent=np.array(parent),
        n_participants=n_participants,
        groupings=[(np.zeros(n_participants, dtype=np.int64), 1), (np.array(levels), width)],
        block_cells=block_cells,  # 1 and 7 force many small blocks of participants
        max_cells=max_cells,  # 0: each grouping apart; 4096: through joint cells
    )
    people, segments = brute_force(participant, node, parent, levels, width)
    np.testing.assert_array_equal(grouped.participants, people)
    np.testing.assert_array_equal(grouped.segments, segments)
    np.testing.assert_array_equal(grouped.denominators, np.bincount(levels, minlength=width))
    # strata add up to the whole
    np.testing.assert_array_equal(overall.segments[:, 0], segments.sum(axis=1))
    np.testing.assert_array_equal(overall.participants[:, 0], people.sum(axis=1))
    assert overall.denominators.tolist() == [n_participants]


def test_worked_example() -> None:
    # 0 body > 1 pain > 2 severe; 0 body > 3 wound; 4 mind > 5 fear
    parent = np.array([-1, 0, 1, 0, -1, 4])
    participant = np.array([0, 0, 1, 2, 2, 3])  # A A B C C D
    node = np.array([2, 2, 1, 3, 5, 5])
    (counts,) = rolled_up_counts(
        participant, node, parent=parent, n_participants=5, groupings=[(np.zeros(5, int), 1)]
    )
    assert counts.participants[:, 0].tolist() == [3, 2, 1, 1, 2, 2]
    assert counts.segments[:, 0].tolist() == [4, 3, 2, 1, 2, 2]


def test_rollup_order_puts_children_before_parents() -> None:
    parent = np.array([-1, 0, 1, 0, 2])
    order = rollup_order(parent).tolist()
    assert sorted(order) == [1, 2, 3, 4]
    assert order.index(4) < order.index(2) < order.index(1)


def test_a_cycle_is_our_bug_not_an_endless_loop() -> None:
    with pytest.raises(ImplementationError, match="cycle"):
        rollup_order(np.array([1, 0]))


def test_levels_out_of_range_are_refused() -> None:
    with pytest.raises(ImplementationError, match="level in range"):
        rolled_up_counts(
            np.array([0]),
            np.array([0]),
            parent=np.array([-1]),
            n_participants=1,
            groupings=[(np.array([2]), 2)],
        )


@st.composite
def reaches(draw: st.DrawFn) -> tuple[list[int], list[int], list[tuple[int, int]], int, int, int]:
    n_nodes = draw(st.integers(1, 10))
    n_targets = draw(st.integers(1, 6))
    n_participants = draw(st.integers(1, 12))
    n_codings = draw(st.integers(0, 50))
    participant = draw(
        st.lists(st.integers(0, n_participants - 1), min_size=n_codings, max_size=n_codings)
    )
    node = draw(st.lists(st.integers(0, n_nodes - 1), min_size=n_codings, max_size=n_codings))
    pairs = draw(
        st.lists(st.tuples(st.integers(0, n_nodes - 1), st.integers(0, n_targets - 1)), max_size=30)
    )
    return participant, node, pairs, n_nodes, n_targets, n_participants


@given(reaches(), st.sampled_from([1, 9, 1 << 26]))
def test_reach_counts_match_sets(
    case: tuple[list[int], list[int], list[tuple[int, int]], int, int, int], block_cells: int
) -> None:
    participant, node, pairs, n_nodes, n_targets, n_participants = case
    people, segments = reach_counts(
        np.array(participant, dtype=np.int64),
        np.array(node, dtype=np.int64),
        reach_node=np.array([a for a, _ in pairs], dtype=np.int64),
        reach_target=np.array([t for _, t in pairs], dtype=np.int64),  # duplicates allowed
        n_nodes=n_nodes,
        n_targets=n_targets,
        n_participants=n_participants,
        block_cells=block_cells,
    )
    reach = set(pairs)
    for target in range(n_targets):
        hits = [i for i, c in enumerate(node) if (c, target) in reach]
        assert segments[target] == len(hits)
        assert people[target] == len({participant[i] for i in hits})


def test_reach_over_a_closure_is_the_tree_roll_up() -> None:
    parent = np.array([-1, 0, 1, 0, -1, 4])
    participant = np.array([0, 0, 1, 2, 2, 3])
    node = np.array([2, 2, 1, 3, 5, 5])
    closure = [(c, a) for c in range(6) for a in range(6) if _is_ancestor(parent, a, c)]
    people, segments = reach_counts(
        participant,
        node,
        reach_node=np.array([c for c, _ in closure]),
        reach_target=np.array([a for _, a in closure]),
        n_nodes=6,
        n_targets=6,
        n_participants=5,
    )
    (tree,) = rolled_up_counts(
        participant, node, parent=parent, n_participants=5, groupings=[(np.zeros(5, int), 1)]
    )
    assert people.tolist() == tree.participants[:, 0].tolist()
    assert segments.tolist() == tree.segments[:, 0].tolist()


def _is_ancestor(parent: np.ndarray, ancestor: int, node: int) -> bool:
    while node >= 0:
        if node == ancestor:
            return True
        node = int(parent[node])
    return False


@pytest.mark.parametrize("masked_blocks", [0, 32])
def test_blocks_by_mask_and_by_sorting_agree(
    monkeypatch: pytest.MonkeyPatch, masked_blocks: int
) -> None:
    from toolkit.stats import rollup

    monkeypatch.setattr(rollup, "MASKED_BLOCKS", masked_blocks)  # 0: always sort
    rng = np.random.default_rng(7)
    parent = [-1, 0, 0, 1, 1, 2, -1, 6]
    participant = rng.integers(0, 40, size=500).tolist()
    node = rng.integers(0, 8, size=500).tolist()
    levels = rng.integers(0, 3, size=40).tolist()
    (grouped,) = rolled_up_counts(
        np.array(participant),
        np.array(node),
        parent=np.array(parent),
        n_participants=40,
        groupings=[(np.array(levels), 3)],
        block_cells=8 * 6,  # blocks of 6 participants
    )
    people, segments = brute_force(participant, node, parent, levels, 3)
    np.testing.assert_array_equal(grouped.participants, people)
    np.testing.assert_array_equal(grouped.segments, segments)


@pytest.mark.parametrize("max_cells", [0, 4096])
@pytest.mark.parametrize("block_cells", [9 * 5, 1 << 26])
def test_several_groupings_each_match_walking_the_tree(max_cells: int, block_cells: int) -> None:
    """Three groupings at once (joint cells 2 × 3 × 4), each checked on its own."""
    rng = np.random.default_rng(11)
    parent = [-1, 0, 0, 1, 1, 2, -1, 6, 7]
    participant = rng.integers(0, 50, size=700).tolist()
    node = rng.integers(0, 9, size=700).tolist()
    widths = [2, 3, 4]
    levels = [rng.integers(0, w, size=50).tolist() for w in widths]
    results = rolled_up_counts(
        np.array(participant),
        np.array(node),
        parent=np.array(parent),
        n_participants=50,
        groupings=[(np.array(g), w) for g, w in zip(levels, widths, strict=True)],
        block_cells=block_cells,
        max_cells=max_cells,
    )
    for counts, g, width in zip(results, levels, widths, strict=True):
        people, segments = brute_force(participant, node, parent, g, width)
        np.testing.assert_array_equal(counts.participants, people)
        np.testing.assert_array_equal(counts.segments, segments)
        np.testing.assert_array_equal(counts.denominators, np.bincount(g, minlength=width))
