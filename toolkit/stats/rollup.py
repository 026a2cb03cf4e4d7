"""Participants and segments per codebook node, rolled up the tree, for millions of codings.

The counting kernel behind :func:`toolkit.stats.prevalence.prevalence`. It works on integer
indices (participant and node positions), not on strings, and never loops over codings in
Python:

- segments: one ``bincount`` over (node, level) pairs, then each node's counts are added to
  its parent's, deepest nodes first;
- participants: a participants × nodes boolean matrix ("participant p has a coding on node c
  or below"), filled with one scatter, rolled up with one vectorised OR per node, and summed
  per level. A participant coded twice on a node, or on two children of a node, is one
  ``True`` and counts once, exactly as SPEC §2 asks. The matrix is built for blocks of
  participants so that it stays under :data:`BLOCK_CELLS` bytes whatever the study size.

When the groupings have few combinations of levels (up to :data:`MAX_CELLS` joint cells),
both counts are taken once per joint cell, with participants renumbered so that each cell's
columns of the matrix are contiguous, and each grouping's levels are sums of cells.

Cost: linear in codings, plus nodes × participants bit-sets; memory: a few bytes per coding
plus one block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from toolkit.errors import ImplementationError

IntArray = npt.NDArray[np.int64]
# Upper bound on the participants × nodes matrix of one block, in bytes (cells).
BLOCK_CELLS = 1 << 27


@dataclass(frozen=True)
class NodeCounts:
    """Counts for one grouping of participants (levels of an attribute, or one overall group).

    Attributes:
        participants: (nodes, levels) distinct participants with a coding on the node or
            below, per level.
        segments: (nodes, levels) codings on the node or below, per level.
        denominators: (levels,) participants per level, coded or not.
    """

    participants: IntArray
    segments: IntArray
    denominators: IntArray


def positions(values: pl.Series, categories: Sequence[str]) -> IntArray:
    """Position of each of ``values`` in ``categories`` (unique strings holding every value).

    One hashed lookup per value (a cast to ``pl.Enum``), so millions of string ids become
    integers the counting can index with.
    """
    return values.cast(pl.Enum(list(categories))).to_physical().to_numpy().astype(np.int64)


def narrow_positions(values: pl.Series, categories: Sequence[str]) -> npt.NDArray[np.int32]:
    """:func:`positions` as 4-byte integers (half the memory for millions of codings)."""
    return values.cast(pl.Enum(list(categories))).to_physical().cast(pl.Int32).to_numpy()


# Up to this many joint cells (combinations of levels), all groupings are counted in one pass.
MAX_CELLS = 4096
# Up to this many blocks, each block's codings are picked with a mask (one pass over the
# codings per block); beyond it, one sort by participant is cheaper.
MASKED_BLOCKS = 32


def _participant_blocks(
    participant: npt.NDArray[np.integer],
    node: npt.NDArray[np.integer],
    n_participants: int,
    block: int,
) -> list[tuple[int, int, npt.NDArray[np.integer], npt.NDArray[np.integer]]]:
    """``(lo, hi, participants, nodes)`` for the codings of participants lo .. hi-1."""
    if n_participants <= block:
        return [(0, n_participants, participant, node)]
    starts = range(0, n_participants, block)
    if len(starts) <= MASKED_BLOCKS:
        spans = []
        for lo in starts:
            hi = min(lo + block, n_participants)
            inside = (participant >= lo) & (participant < hi)
            spans.append((lo, hi, participant[inside], node[inside]))
        return spans
    by_participant = np.argsort(participant, kind="stable")
    sorted_participant = participant[by_participant]
    sorted_node = node[by_participant]
    cuts = np.searchsorted(sorted_participant, [*starts, n_participants])
    return [
        (
            lo,
            min(lo + block, n_participants),
            sorted_participant[cuts[i] : cuts[i + 1]],
            sorted_node[cuts[i] : cuts[i + 1]],
        )
        for i, lo in enumerate(starts)
    ]


def rollup_order(parent: npt.NDArray[np.integer]) -> IntArray:
    """Non-root nodes, deepest first, so that adding each to its parent rolls a tree up.

    Args:
        parent: position of each node's parent, -1 at a root. Must describe a forest.

    Raises:
        ImplementationError: ``parent`` has a cycle (a validated codebook never has one).
    """
    parent = np.asarray(parent, dtype=np.int64)
    depth = np.zeros(parent.size, dtype=np.int64)
    ancestor = parent.copy()
    for _ in range(parent.size + 1):
        climbing = ancestor >= 0
        if not climbing.any():
            break
        depth += climbing
        ancestor[climbing] = parent[ancestor[climbing]]
    else:
        raise ImplementationError("the codebook given to rollup_order has a cycle")
    nodes = np.flatnonzero(parent >= 0)
    return nodes[np.argsort(-depth[nodes], kind="stable")]


def rolled_up_counts(
    participant: npt.NDArray[np.integer],
    node: npt.NDArray[np.integer],
    *,
    parent: npt.NDArray[np.integer],
    n_participants: int,
    groupings: Sequence[tuple[npt.NDArray[np.integer], int]],
    block_cells: int = BLOCK_CELLS,
    max_cells: int = MAX_CELLS,
) -> list[NodeCounts]:
    """Participants and segments per node and level, each node counting its descendants.

    Args:
        participant: for each coding, the position of its participant (0 .. n_participants-1).
        node: for each coding, the position of its codebook node (0 .. len(parent)-1).
        parent: for each node, the position of its parent, or -1 at a root.
        n_participants: number of participants (the overall denominator).
        groupings: for each way of grouping participants, ``(level of each participant,
            number of levels)``; levels are 0 .. number-1.
        block_cells: largest participants × nodes matrix built at once (bytes).
        max_cells: largest number of joint cells (combinations of one level of each
            grouping) counted at once; with more, each grouping's levels are counted apart.

    Returns:
        One :class:`NodeCounts` per grouping, in the order given.
    """
    participant = np.asarray(participant)
    node = np.asarray(node)
    parent = np.asarray(parent, dtype=np.int64)
    n_nodes = parent.size
    if participant.shape != node.shape:
        raise ImplementationError("participant and node must have one entry per coding")
    order = rollup_order(parent)
    parents_in_order = parent[order]

    levels = [np.asarray(g, dtype=np.int64) for g, _ in groupings]
    widths = [int(w) for _, w in groupings]
    for g, width in zip(levels, widths, strict=True):
        if g.size != n_participants or (g.size and (g.min() < 0 or g.max() >= width)):
            raise ImplementationError("a grouping must give each participant a level in range")

    n_cells = int(np.prod(widths)) if widths else 0
    if 0 < n_cells <= max_cells:
        return _counts_by_cell(
            participant,
            node,
            order=order,
            parents_in_order=parents_in_order,
            n_nodes=n_nodes,
            n_participants=n_participants,
            levels=levels,
            widths=widths,
            block_cells=block_cells,
        )

    participant = participant.astype(np.int64, copy=False)
    node = node.astype(np.int64, copy=False)
    results: list[NodeCounts] = []
    participant_counts = [np.zeros((n_nodes, w), dtype=np.int64) for w in widths]
    for g, width in zip(levels, widths, strict=True):
        segments = np.bincount(node * width + g[participant], minlength=n_nodes * width)
        segments = segments.reshape(n_nodes, width).astype(np.int64)
        for child, up in zip(order, parents_in_order, strict=True):
            segments[up] += segments[child]
        results.append(
            NodeCounts(
                participants=participant_counts[len(results)],
                segments=segments,
                denominators=np.bincount(g, minlength=width).astype(np.int64),
            )
        )

    block = max(1, block_cells // max(n_nodes, 1))
    spans = _participant_blocks(participant, node, n_participants, block)
    for lo, hi, block_participant, block_node in spans:
        voiced = np.zeros((n_nodes, hi - lo), dtype=bool)
        voiced[block_node, block_participant - lo] = True
        for child, up in zip(order, parents_in_order, strict=True):
            voiced[up] |= voiced[child]
        for g, width, counts in zip(levels, widths, participant_counts, strict=True):
            block_levels = g[lo:hi]
            if width == 1:
                counts[:, 0] += np.count_nonzero(voiced, axis=1)
                continue
            for level in range(width):
                counts[:, level] += np.count_nonzero(voiced[:, block_levels == level], axis=1)
    return results


def _counts_by_cell(
    participant: npt.NDArray[np.integer],
    node: npt.NDArray[np.integer],
    *,
    order: npt.NDArray[np.integer],
    parents_in_order: npt.NDArray[np.integer],
    n_nodes: int,
    n_participants: int,
    levels: Sequence[npt.NDArray[np.integer]],
    widths: Sequence[int],
    block_cells: int,
) -> list[NodeCounts]:
    """:func:`rolled_up_counts` through joint cells, one per combination of levels.

    Every participant falls in exactly one cell, so a level's count is the sum of its
    cells'. Participants are renumbered so that each cell's are consecutive: a cell's
    participants in a block are then a slice of the matrix (a view), and one pass over the
    matrix counts every cell of every grouping.
    """
    n_cells = int(np.prod(widths))
    block = max(1, block_cells // max(n_nodes, 1))
    # Per-coding arrays are the memory and time of this function (tens of millions of
    # entries): they are kept 4 bytes wide whenever every index fits.
    largest = max(n_participants, n_nodes * n_cells, n_nodes * min(block, n_participants))
    index = np.int32 if largest < np.iinfo(np.int32).max else np.int64
    cell = np.zeros(n_participants, dtype=np.int64)
    for g, width in zip(levels, widths, strict=True):
        cell = cell * width + g
    # Renumber participants by cell; the counts do not depend on the numbering.
    by_cell = np.argsort(cell, kind="stable")
    renumbered = np.empty(n_participants, dtype=index)
    renumbered[by_cell] = np.arange(n_participants, dtype=index)
    sorted_cell = cell[by_cell].astype(index)
    participant = renumbered[participant]
    node = np.asarray(node).astype(index, copy=False)

    keys = node * index(n_cells)
    keys += sorted_cell[participant]
    segments = np.bincount(keys, minlength=n_nodes * n_cells)
    del keys
    segments = segments.reshape(n_nodes, n_cells).astype(np.int64)
    for child, up in zip(order, parents_in_order, strict=True):
        segments[up] += segments[child]

    people = np.zeros((n_nodes, n_cells), dtype=np.int64)
    all_cells = np.arange(n_cells + 1)
    for lo, hi, block_participant, block_node in _participant_blocks(
        participant, node, n_participants, block
    ):
        # "participant p has a coding on node c", one flat scatter into a nodes × block matrix
        flat = block_node * index(hi - lo)
        flat += block_participant
        if lo:
            flat -= index(lo)
        scattered = np.zeros(n_nodes * (hi - lo), dtype=bool)
        scattered[flat] = True
        del flat
        voiced = scattered.reshape(n_nodes, hi - lo)
        for child, up in zip(order, parents_in_order, strict=True):
            voiced[up] |= voiced[child]
        bounds = np.searchsorted(sorted_cell[lo:hi], all_cells)
        for c in np.flatnonzero(bounds[1:] > bounds[:-1]):
            people[:, c] += np.count_nonzero(voiced[:, bounds[c] : bounds[c + 1]], axis=1)

    results = []
    stride = n_cells
    cells = np.arange(n_cells)
    for g, width in zip(levels, widths, strict=True):
        stride //= width
        # which level of this grouping each cell belongs to, as a cells × levels 0/1 matrix
        member = ((cells // stride) % width)[:, None] == np.arange(width)
        member = member.astype(np.int64)
        results.append(
            NodeCounts(
                participants=people @ member,
                segments=segments @ member,
                denominators=np.bincount(g, minlength=width).astype(np.int64),
            )
        )
    return results


def reach_counts(
    participant: npt.NDArray[np.integer],
    node: npt.NDArray[np.integer],
    *,
    reach_node: npt.NDArray[np.integer],
    reach_target: npt.NDArray[np.integer],
    n_nodes: int,
    n_targets: int,
    n_participants: int,
    block_cells: int = BLOCK_CELLS,
) -> tuple[IntArray, IntArray]:
    """Participants and codings per target, where codings reach targets through their node.

    The general form of the roll-up for cross-study themes: a coding on ``node`` counts for
    every target ``t`` with a pair ``(node, t)`` in the reach relation (for example each
    shared theme that a code or one of its ancestors is mapped to by a crosswalk).

    Args:
        participant: for each coding, its participant's position.
        node: for each coding, its node's position (0 .. n_nodes-1).
        reach_node: with ``reach_target``, the distinct ``(node, target)`` pairs.
        reach_target: target positions (0 .. n_targets-1).
        n_nodes: number of nodes.
        n_targets: number of targets.
        n_participants: number of participants.
        block_cells: largest participants × reach-pairs matrix built at once (bytes).

    Returns:
        ``(participants, segments)``, each of shape (n_targets,): distinct participants with
        a coding reaching the target, and codings reaching it.
    """
    participant = np.asarray(participant, dtype=np.int64)
    node = np.asarray(node, dtype=np.int64)
    reach_node = np.asarray(reach_node, dtype=np.int64)
    reach_target = np.asarray(reach_target, dtype=np.int64)
    if reach_node.shape != reach_target.shape:
        raise ImplementationError("reach_node and reach_target must pair up")
    pairs = np.unique(reach_node * max(n_targets, 1) + reach_target)
    reach_node, reach_target = pairs // max(n_targets, 1), pairs % max(n_targets, 1)
    by_target = np.argsort(reach_target, kind="stable")
    reach_node, reach_target = reach_node[by_target], reach_target[by_target]

    per_node = np.bincount(node, minlength=n_nodes)
    segments = np.bincount(reach_target, weights=per_node[reach_node], minlength=n_targets)
    people = np.zeros(n_targets, dtype=np.int64)
    if reach_node.size == 0:
        return people, segments.astype(np.int64)
    targets, starts = np.unique(reach_target, return_index=True)
    block = max(1, block_cells // reach_node.size)
    for lo, hi, block_participant, block_node in _participant_blocks(
        participant, node, n_participants, block
    ):
        voiced = np.zeros((n_nodes, hi - lo), dtype=bool)
        voiced[block_node, block_participant - lo] = True
        # OR together the rows of the nodes reaching each target, then count participants.
        reached = np.logical_or.reduceat(voiced[reach_node], starts, axis=0)
        people[targets] += np.count_nonzero(reached, axis=1)
    return people, segments.astype(np.int64)
