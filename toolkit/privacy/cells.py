"""The small-cell solver: which cells to hide so that no small count can be shown or derived.

Cells are indices into a list of counts; an :class:`Equation` says which cells add up to
which. :func:`protect_equations` grows a set of hidden cells (the small ones to start with)
until no hidden count can be computed exactly from the shown ones. The frame-level functions
of :mod:`toolkit.privacy.suppression` and the report's tables use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from toolkit.errors import UsageError


def is_small(count: int | None, min_cell: int) -> bool:
    """True when ``count`` is a small cell (1 ≤ count < min_cell)."""
    return count is not None and 1 <= count < min_cell


def check_min_cell(min_cell: int) -> None:
    """Refuse a ``min_cell`` that is not a whole number ≥ 0.

    Raises:
        UsageError: ``min_cell`` is negative, not an int, or a bool.
    """
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 0:
        raise UsageError(f"min_cell must be a whole number ≥ 0 (got {min_cell!r})")


@dataclass
class Equation:
    """``total = sum(parts)`` over cell indices (total None: no cell holds the total).

    Attributes:
        total: the index of the cell holding the sum, or None.
        parts: the indices of the cells that add up to it.
    """

    total: int | None
    parts: list[int]

    @property
    def cells(self) -> list[int]:
        """The total (when there is one) and the parts."""
        return ([self.total] if self.total is not None else []) + self.parts


def _complement(
    equations: Sequence[Equation],
    hidden: set[int],
    values: Sequence[int],
    *,
    min_cell: int,
) -> bool:
    """One pass of the per-equation rules; adds cells to ``hidden``; True if it changed.

    Rule 1: an equation never has exactly one hidden cell (it would equal the visible total
    minus the visible parts). Rule 2: when the total is visible, the hidden parts together
    must not add up to a small cell (1..k−1), since their sum is known.
    """
    changed = False
    for eq in equations:
        cells = eq.cells
        hid = [c for c in cells if c in hidden]
        if not hid:
            continue
        need = len(hid) == 1
        if not need and eq.total is not None and eq.total not in hidden:
            need = is_small(sum(values[c] for c in hid if c != eq.total), min_cell)
        if not need:
            continue
        pick = _pick(eq, hidden, values)
        if pick is not None:
            hidden.add(pick)
            changed = True
    return changed


def _pick(eq: Equation, hidden: set[int], values: Sequence[int]) -> int | None:
    """The cell to hide next: the smallest visible non-zero part, else the total, else any part."""
    parts = [c for c in eq.parts if c not in hidden]
    nonzero = sorted((values[c], c) for c in parts if values[c] > 0)
    if nonzero:
        return nonzero[0][1]
    if eq.total is not None and eq.total not in hidden:
        return eq.total
    return parts[0] if parts else None


def derivable(equations: Sequence[Equation], hidden: set[int]) -> set[int]:
    """Hidden cells whose value the visible cells and the equations determine exactly.

    A hidden cell is determined when its unit vector lies in the row space of the equation
    matrix restricted to the hidden cells (linear algebra over the reals; no bounds used).
    Solved per connected component of hidden cells, so large frames stay fast.
    """
    relevant = [eq for eq in equations if any(c in hidden for c in eq.cells)]
    # union-find over hidden cells that share an equation
    parent: dict[int, int] = {}

    def find(a: int) -> int:
        while parent.setdefault(a, a) != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for eq in relevant:
        hid = [c for c in eq.cells if c in hidden]
        for c in hid[1:]:
            parent[find(c)] = find(hid[0])
        find(hid[0])
    groups: dict[int, list[int]] = {}
    for cell in parent:
        groups.setdefault(find(cell), []).append(cell)
    found: set[int] = set()
    for cells in groups.values():
        index = {c: i for i, c in enumerate(sorted(cells))}
        rows = []
        for eq in relevant:
            hid = [c for c in eq.cells if c in index]
            if not hid:
                continue
            row = np.zeros(len(index))
            for c in hid:
                row[index[c]] = -1.0 if c == eq.total else 1.0
            rows.append(row)
        matrix = np.array(rows)
        # an orthonormal basis of the row space (QR with column pivoting of the transpose):
        # a cell is determined iff its unit vector lies in that space, i.e. iff the squared
        # norm of its row in the basis is 1
        # imported here: scipy.linalg takes 0.3 s to import, and every study load imports
        # the privacy package (build_study checks the redaction rules)
        from scipy.linalg import qr as scipy_qr

        basis, triangle, _ = scipy_qr(matrix.T, mode="economic", pivoting=True)
        diagonal = np.abs(np.diag(triangle))
        rank = int((diagonal > 1e-9 * max(1.0, float(diagonal.max(initial=0.0)))).sum())
        weight = (basis[:, :rank] ** 2).sum(axis=1)
        for cell, i in index.items():
            if weight[i] > 1 - 1e-9:
                found.add(cell)
    return found


def protect_equations(
    equations: Sequence[Equation],
    hidden: set[int],
    values: Sequence[int],
    *,
    min_cell: int,
) -> None:
    """Grow ``hidden`` until no equation rule is broken and no hidden cell is derivable.

    The solver behind every suppression with complements: cells are indices into ``values``;
    each equation says which cells add up to which. Starting from the small cells in
    ``hidden``, cells are added (complements) until no hidden cell can be computed exactly
    from the shown ones (see :func:`derivable`), and no hidden parts add up to a small cell.

    Args:
        equations: the sums that hold between the cells.
        hidden: the cells hidden so far; grown in place.
        values: the count of each cell.
        min_cell: k; counts from 1 to k−1 are small.
    """
    while True:
        while _complement(equations, hidden, values, min_cell=min_cell):
            pass
        # a hidden zero that the equations pin down reveals nothing small
        exposed = {c for c in derivable(equations, hidden) if values[c] != 0}
        if not exposed:
            return
        # next to each exposed cell, hide one more: the smallest non-zero visible cell of an
        # equation it is in; failing that, of any equation with a hidden cell (hiding a zero
        # also adds an unknown, so zeros come last). One cell per equation group and pass,
        # then check again.
        touched: set[int] = set()
        added = False
        for cell in sorted(exposed):
            mine = [eq for eq in equations if cell in eq.cells]
            if any(c in touched for eq in mine for c in eq.cells):
                continue
            near = [c for eq in mine for c in eq.cells if c not in hidden]
            if not near:
                near = [
                    c
                    for eq in equations
                    if any(h in hidden for h in eq.cells)
                    for c in eq.cells
                    if c not in hidden
                ]
            if not near:
                continue
            pick = min(near, key=lambda c: (values[c] == 0, values[c], c))
            hidden.add(pick)
            touched.add(pick)
            touched.add(cell)
            added = True
        if not added:
            return  # every linked cell is hidden: a fully hidden system only pins zeros
