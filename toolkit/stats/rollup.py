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

Cost: linear in codings, plus nodes × participants bit-sets; memory: a few bytes per coding
plus one block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from toolkit.errors import ImplementationError

IntArray = npt.NDArray[np.int64]
# Upper bound on the participants × nodes matrix of one block, in bytes (cells).
BLOCK_CELLS = 1 << 26


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

    Returns:
        One :class:`NodeCounts` per grouping, in the order given.
    """
    participant = np.asarray(participant, dtype=np.int64)
    node = np.asarray(node, dtype=np.int64)
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
    if n_participants <= block:
        spans = [(0, n_participants, participant, node)]
    else:
        by_participant = np.argsort(participant, kind="stable")
        sorted_participant = participant[by_participant]
        sorted_node = node[by_participant]
        starts = np.arange(0, n_participants, block)
        cuts = np.searchsorted(sorted_participant, [*starts, n_participants])
        spans = [
            (
                int(lo),
                min(int(lo) + block, n_participants),
                sorted_participant[cuts[i] : cuts[i + 1]],
                sorted_node[cuts[i] : cuts[i + 1]],
            )
            for i, lo in enumerate(starts)
        ]
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
