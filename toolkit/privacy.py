"""Disclosure control for small cohorts: small-cell suppression, pseudonyms, quote redaction,
the k-anonymity check and the reconciliation of every input row.

Rare-disease cohorts are small: "the one man in remission aged over 65" may be one person whom
readers of a report know. Every function here is pure (polars frames in, polars frames out),
so the report, the comparison and the command line all apply the same rules.

Small-cell suppression
----------------------
With ``min_cell = k`` (``analysis.min_cell`` in study.yml; 0 or 1 switches it off), a *small
cell* is a count of participants from 1 to k−1. :func:`suppress` blanks it and every count or
percentage from which it could be computed; see its docstring for exactly what is guaranteed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from toolkit.errors import InputError, Problem, UsageError

if TYPE_CHECKING:
    from toolkit.manifest import Redaction
    from toolkit.model import Study

#: The comparison of cohorts suppresses counts below this unless the user says otherwise.
DEFAULT_COMPARE_MIN_CELL = 5

#: Columns blanked on a row whose participant count is suppressed.
COUNT_DERIVED = ("participants", "prevalence", "ci_lower", "ci_upper", "segments")


# --------------------------------------------------------------------------------------------
# Small-cell suppression
# --------------------------------------------------------------------------------------------


def is_small(count: int | None, min_cell: int) -> bool:
    """True when ``count`` is a small cell (1 ≤ count < min_cell)."""
    return count is not None and 1 <= count < min_cell


def _check_min_cell(min_cell: int) -> None:
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 0:
        raise UsageError(f"min_cell must be a whole number ≥ 0 (got {min_cell!r})")


@dataclass
class _Equation:
    """``total = sum(parts)`` over row indices (total None: no row holds the total)."""

    total: int | None
    parts: list[int]

    @property
    def cells(self) -> list[int]:
        return ([self.total] if self.total is not None else []) + self.parts


def _complement(
    equations: Sequence[_Equation],
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


def _pick(eq: _Equation, hidden: set[int], values: Sequence[int]) -> int | None:
    """The cell to hide next: the smallest visible non-zero part, else the total, else any part."""
    parts = [c for c in eq.parts if c not in hidden]
    nonzero = sorted((values[c], c) for c in parts if values[c] > 0)
    if nonzero:
        return nonzero[0][1]
    if eq.total is not None and eq.total not in hidden:
        return eq.total
    return parts[0] if parts else None


def derivable(equations: Sequence[_Equation], hidden: set[int]) -> set[int]:
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
        # this module (build_study checks the redaction rules)
        from scipy.linalg import qr as scipy_qr

        basis, triangle, _ = scipy_qr(matrix.T, mode="economic", pivoting=True)
        diagonal = np.abs(np.diag(triangle))
        rank = int((diagonal > 1e-9 * max(1.0, float(diagonal.max(initial=0.0)))).sum())
        weight = (basis[:, :rank] ** 2).sum(axis=1)
        for cell, i in index.items():
            if weight[i] > 1 - 1e-9:
                found.add(cell)
    return found


def _protect(
    equations: Sequence[_Equation],
    hidden: set[int],
    values: Sequence[int],
    *,
    min_cell: int,
) -> None:
    """Grow ``hidden`` until no equation rule is broken and no hidden cell is derivable."""
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


def _int_list(series: pl.Series) -> list[int]:
    return [0 if v is None else int(v) for v in series.to_list()]


def suppress(prevalence_frame: pl.DataFrame, *, min_cell: int) -> pl.DataFrame:
    """Suppress small cells in a prevalence frame (the SPEC §3 columns), with complements.

    With ``k = min_cell`` (0 or 1: nothing is suppressed, ``suppressed`` is all false):

    1. *Small strata.* A stratum whose denominator n is 1..k−1 is itself a small cell: every
       row of that stratum is suppressed, its ``denominator`` included. Within one
       ``stratum_variable`` the stratum sizes add up to the study size, so if exactly one
       stratum is hidden the smallest other non-empty stratum is hidden too. A study whose
       total is 1..k−1 is suppressed entirely.
    2. *Small counts.* Every row whose ``participants`` is 1..k−1 is suppressed:
       ``participants``, ``prevalence``, ``ci_lower``, ``ci_upper`` and ``segments`` become
       null and ``suppressed`` true (the interval and the segment count would give the count
       away: one segment means one participant).
    3. *Complementary suppression.* For each node and stratum variable the strata rows add up
       to the overall row (the "missing" group is a row of its own, so the strata partition
       the participants). In each such equation: never exactly one hidden cell (then the
       smallest other non-zero stratum cell is hidden; if there is none, the overall row);
       and when the overall row is shown, the hidden strata must not add up to 1..k−1.
       Segments also add up over the tree (a parent's segments are its own plus its
       children's): for those equations only the ``segments`` of a sibling are blanked,
       the participant count stays (``suppressed`` stays false on such a row).
    4. *Audit.* Finally every hidden cell is checked with linear algebra against all the
       equations together (strata and tree); while one is still exactly derivable, another
       cell is hidden.

    Guaranteed: no shown cell is 1..k−1, and no suppressed count (participants or segments)
    can be computed exactly from the shown counts by adding and subtracting (the equations
    above). Percentages and intervals are blanked together with their count, and shown
    denominators are never small.

    Not guaranteed: *ranges*. Counts are whole numbers ≥ 0 and a parent's participants are at
    least each child's, so a reader can still narrow a hidden cell to a range (for example "at
    most 4"), and ``suppressed = true`` itself says a cell is small or is its complement.
    Participant counts of a parent are not the sum of its children (one person can voice
    several themes), so the tree gives bounds, not equations, for them. Cells in other outputs
    (differences, co-occurrence, quotes) must be suppressed consistently: see
    :func:`suppress_counts` and :func:`hidden_cells`.

    Args:
        prevalence_frame: the output of ``toolkit.stats.prevalence.prevalence``.
        min_cell: k; counts from 1 to k−1 are small.

    Returns:
        The same rows and columns, blanked where needed, with ``suppressed`` set.
    """
    _check_min_cell(min_cell)
    frame = prevalence_frame
    height = frame.height
    existing = (
        frame["suppressed"].fill_null(False).to_list()
        if "suppressed" in frame.columns
        else [False] * height
    )
    if min_cell <= 1 or height == 0:
        return frame.with_columns(pl.Series("suppressed", existing, dtype=pl.Boolean))

    x = _int_list(frame["participants"])
    seg = _int_list(frame["segments"]) if "segments" in frame.columns else [0] * height
    n = _int_list(frame["denominator"])
    var = frame["stratum_variable"].to_list()
    val = frame["stratum_value"].to_list()
    code = frame["code_id"].to_list()
    parent_of = frame["parent_id"].to_list() if "parent_id" in frame.columns else [None] * height

    overall_rows = [i for i in range(height) if var[i] is None or var[i] == ""]
    overall_n = n[overall_rows[0]] if overall_rows else max(n, default=0)

    hide_p: set[int] = {i for i in range(height) if existing[i]}
    hide_n: set[int] = set()
    if is_small(overall_n, min_cell):
        hide_p = set(range(height))
        hide_n = set(range(height))
    else:
        # 1. strata sizes, per stratum variable
        strata: dict[str, dict[str, int]] = {}
        for i in range(height):
            if var[i]:
                strata.setdefault(var[i], {})[val[i]] = n[i]
        hidden_strata: set[tuple[str, str]] = set()
        for variable, sizes in strata.items():
            keys = list(sizes)
            # cell 0 is the (shown) study size, cells 1.. the strata sizes
            values = [overall_n, *(sizes[key] for key in keys)]
            hid = {j + 1 for j in range(len(keys)) if is_small(values[j + 1], min_cell)}
            if hid:
                equation = _Equation(total=0, parts=list(range(1, len(values))))
                _protect([equation], hid, values, min_cell=min_cell)
            hid = {j - 1 for j in hid if j > 0}
            hidden_strata |= {(variable, keys[j]) for j in hid}
        for i in range(height):
            if var[i] and (var[i], val[i]) in hidden_strata:
                hide_p.add(i)
                hide_n.add(i)
        # 2. small counts
        hide_p |= {i for i in range(height) if is_small(x[i], min_cell)}

    # 3. + 4. complementary suppression of participant counts: strata add up to the overall
    by_node: dict[str, int] = {}
    for i in overall_rows:
        by_node[code[i]] = i
    grouped: dict[tuple[str, str], list[int]] = {}
    for i in range(height):
        if var[i]:
            grouped.setdefault((code[i], var[i]), []).append(i)
    strata_equations = [
        _Equation(total=by_node.get(node), parts=rows) for (node, _), rows in grouped.items()
    ]
    _protect(strata_equations, hide_p, x, min_cell=min_cell)

    # segments: strata equations plus the tree (parent = own + children), within each stratum
    hide_s = set(hide_p)
    row_of: dict[tuple[str, str | None, str | None], int] = {
        (code[i], var[i] or None, val[i] if var[i] else None): i for i in range(height)
    }
    children: dict[tuple[str, str | None, str | None], list[int]] = {}
    for i in range(height):
        if parent_of[i] is not None:
            key: tuple[str, str | None, str | None] = (
                str(parent_of[i]),
                var[i] or None,
                val[i] if var[i] else None,
            )
            children.setdefault(key, []).append(i)
    tree_equations = [
        _Equation(total=row_of.get(key), parts=rows) for key, rows in children.items()
    ]
    _protect([*strata_equations, *tree_equations], hide_s, seg, min_cell=min_cell)

    suppressed = [i in hide_p for i in range(height)]
    mask_p = pl.Series("_p", suppressed)
    mask_s = pl.Series("_s", [i in hide_s for i in range(height)])
    mask_n = pl.Series("_n", [i in hide_n for i in range(height)])
    blank = [
        c for c in ("participants", "prevalence", "ci_lower", "ci_upper") if c in frame.columns
    ]
    out = frame.with_columns(
        [pl.when(mask_p).then(None).otherwise(pl.col(c)).alias(c) for c in blank]
        + [pl.when(mask_n).then(None).otherwise(pl.col("denominator")).alias("denominator")]
    )
    if "segments" in out.columns:
        out = out.with_columns(
            pl.when(mask_s).then(None).otherwise(pl.col("segments")).alias("segments")
        )
    return out.with_columns(pl.Series("suppressed", suppressed, dtype=pl.Boolean))


def hidden_cells(suppressed_frame: pl.DataFrame) -> set[tuple[str, str | None, str | None]]:
    """The (code_id, stratum_variable, stratum_value) keys suppressed in a prevalence frame.

    Other outputs built from the same counts (differences, figures) hide these cells too, so
    that no output shows what another hides.
    """
    rows = suppressed_frame.filter(pl.col("suppressed")).select(
        "code_id", "stratum_variable", "stratum_value"
    )
    return {(c, v or None, s if v else None) for c, v, s in rows.iter_rows()}


def suppress_counts(
    frame: pl.DataFrame,
    *,
    min_cell: int,
    counts: Mapping[str, Sequence[str]],
    also: pl.Series | Sequence[bool] | None = None,
    flag: str = "suppressed",
) -> pl.DataFrame:
    """The general helper: blank small counts, and what depends on them, row by row.

    For each count column ``c`` in ``counts``, a row where ``c`` is 1..k−1 is suppressed; on a
    suppressed row every count column and every column listed for it (percentages,
    intervals, differences, p-values: anything computed from it) is set to null and ``flag``
    is true. Use this for frames without a sum structure (one row per cohort, per pair of
    groups); structure-aware complements are the caller's business (:func:`suppress` does it
    for prevalence frames), and ``also`` marks rows to hide for such outside reasons (for
    example cells hidden in the prevalence table).

    Args:
        frame: any frame.
        min_cell: k.
        counts: count column -> columns derived from it.
        also: a boolean mask of rows to suppress regardless of their counts.
        flag: name of the boolean column to set (created if absent, or-ed if present).

    Returns:
        The frame with blanked cells and ``flag``.
    """
    _check_min_cell(min_cell)
    mask = pl.Series([False] * frame.height, dtype=pl.Boolean)
    if flag in frame.columns:
        mask = frame[flag].fill_null(False)
    if also is not None:
        mask = mask | pl.Series(list(also), dtype=pl.Boolean)
    if min_cell > 1:
        for column in counts:
            values = frame[column].cast(pl.Float64)
            mask = mask | ((values >= 1) & (values < min_cell)).fill_null(False)
    columns: list[str] = []
    for column, derived in counts.items():
        for name in (column, *derived):
            if name in frame.columns and name not in columns:
                columns.append(name)
    out = frame.with_columns(
        [pl.when(mask).then(None).otherwise(pl.col(c)).alias(c) for c in columns]
    )
    return out.with_columns(mask.alias(flag))


def suppress_differences(
    frame: pl.DataFrame,
    *,
    min_cell: int,
    counts: Sequence[str] | None = None,
    hidden: Iterable[tuple[str, str | None, str | None]] = (),
    level_columns: Sequence[str] = ("level", "reference"),
) -> pl.DataFrame:
    """Suppress a differences frame (one row per node and pair of groups).

    A row is suppressed when any of its counts (x and n of either group) is 1..k−1, or when
    either group's cell is hidden in the prevalence table (``hidden``, from
    :func:`hidden_cells`); then every count and every floating-point column of the row
    (difference, interval, p-values: each would let a reader solve for the hidden count,
    given the other group's count) is blanked.

    Args:
        frame: the differences frame; needs ``code_id`` and, for ``hidden``, ``stratum_variable``
            and the columns in ``level_columns``.
        min_cell: k.
        counts: the count columns; default: integer columns named x…/n… (x1, n1, x0, n0, …).
        hidden: prevalence cells already suppressed.
        level_columns: the columns naming the two groups compared.
    """
    if counts is None:
        counts = [
            c
            for c, dtype in frame.schema.items()
            if dtype.is_integer() and re.fullmatch(r"[xn](_?\w+)?", c) and c[:1] in "xn"
        ]
    floats = [c for c, dtype in frame.schema.items() if dtype.is_float()]
    hidden_set = set(hidden)
    also = [False] * frame.height
    if hidden_set and "stratum_variable" in frame.columns:
        present = [c for c in level_columns if c in frame.columns]
        for i, row in enumerate(frame.iter_rows(named=True)):
            also[i] = any(
                (row["code_id"], row["stratum_variable"], row[c]) in hidden_set for c in present
            )
    return suppress_counts(
        frame, min_cell=min_cell, counts=dict.fromkeys(counts, floats), also=also
    )


def suppress_comparison(
    frame: pl.DataFrame, *, min_cell: int = DEFAULT_COMPARE_MIN_CELL
) -> pl.DataFrame:
    """Suppress a cohort comparison frame (SPEC §5: one row per theme and cohort, plus pooled).

    A cohort row with ``participants`` or ``denominator`` 1..k−1 is blanked (count,
    denominator, prevalence, interval, segments). A pooled row is blanked when any cohort row
    of its theme is: the pooled estimate is a deterministic function of the cohort counts, so
    with the other cohorts' counts shown a reader could try every value of the hidden one
    until the pooled estimate matches (and the pooled ``participants`` is their sum). Every
    floating-point column of a blanked row is nulled, except ``ci_level`` (a setting).

    Segments add up over the theme tree within a cohort (a theme's segments are at most its
    own plus its sub-themes'), so where a cohort's row is blanked, the segments of one more
    theme of that equation are blanked too, as :func:`suppress` does for a study (the
    participant count of that row stays, and ``suppressed`` stays false there).

    Args:
        frame: :attr:`toolkit.compare.Comparison.prevalence` (needs ``theme_id``, ``cohort``,
            ``participants``, ``denominator``; ``parent_id`` and ``segments`` when present).
        min_cell: k; 0 or 1 switches suppression off.

    Returns:
        The frame, blanked, with ``suppressed`` set.
    """
    _check_min_cell(min_cell)
    floats = [c for c, dtype in frame.schema.items() if dtype.is_float() and c != "ci_level"]
    counted: dict[str, Sequence[str]] = {
        c: [*floats, *(["segments"] if "segments" in frame.columns else [])]
        for c in ("participants", "denominator")
        if c in frame.columns
    }
    is_pooled = frame["cohort"] == "pooled"
    out = suppress_counts(frame, min_cell=min_cell, counts=counted, also=[False] * frame.height)
    themes = set(out.filter(pl.col("suppressed") & ~is_pooled)["theme_id"].to_list())
    also = (is_pooled & frame["theme_id"].is_in(list(themes))).to_list()
    blank = list(dict.fromkeys(c for derived in counted.values() for c in derived))
    blank = [*counted, *blank]
    mask = pl.Series(also, dtype=pl.Boolean)
    out = out.with_columns([pl.when(mask).then(None).otherwise(pl.col(c)).alias(c) for c in blank])
    out = out.with_columns((pl.col("suppressed") | mask).alias("suppressed"))
    if "denominator" in frame.columns and min_cell > 1:
        # A cohort's size is shown on its other rows (and pooled sizes are their sums): only
        # a small one stays blank.
        size = frame["denominator"]
        out = out.with_columns(
            pl.when(size.is_between(1, min_cell - 1).fill_null(False))
            .then(None)
            .otherwise(size)
            .alias("denominator")
        )
    if min_cell > 1 and {"segments", "parent_id"} <= set(frame.columns):
        out = _protect_comparison_segments(frame, out, min_cell=min_cell)
    return out


def _protect_comparison_segments(
    original: pl.DataFrame, suppressed: pl.DataFrame, *, min_cell: int
) -> pl.DataFrame:
    """Blank complementary segment counts over the theme tree, cohort by cohort."""
    cohort = original["cohort"].to_list()
    theme = original["theme_id"].to_list()
    parent = original["parent_id"].to_list()
    seg = _int_list(original["segments"])
    present = original["segments"].is_not_null().to_list()
    flagged = suppressed["suppressed"].to_list()
    hide: set[int] = set()
    for name in dict.fromkeys(cohort):
        if name == "pooled":
            continue
        rows = [i for i in range(len(cohort)) if cohort[i] == name and present[i]]
        hidden = {i for i in rows if flagged[i]}
        if not hidden:
            continue
        row_of = {theme[i]: i for i in rows}
        children: dict[str, list[int]] = {}
        for i in rows:
            if parent[i] is not None and parent[i] in row_of:
                children.setdefault(parent[i], []).append(i)
        equations = [_Equation(total=row_of[p], parts=kids) for p, kids in children.items()]
        _protect(equations, hidden, seg, min_cell=min_cell)
        hide |= hidden
    if not hide:
        return suppressed
    mask = pl.Series([i in hide for i in range(len(cohort))], dtype=pl.Boolean)
    return suppressed.with_columns(
        pl.when(mask).then(None).otherwise(pl.col("segments")).alias("segments")
    )


_FRACTION = re.compile(r"(?<![\d.])(\d+)\s*(?:/|of|out of)\s*(\d+)(?![\d.])")
_N_EQUALS = re.compile(r"\b[nNxX]\s*=\s*(\d+)(?![\d.])")
_PERCENT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s*%")


def find_small_cells(text: str, *, min_cell: int, denominators: Iterable[int] = ()) -> list[str]:
    """Find what looks like a small count in rendered text (HTML text, PDF text, CSV).

    Looks for fractions ``x/n`` or ``x of n`` with x in 1..k−1 and x ≤ n, and ``n = x`` or
    ``x = x`` with x in 1..k−1. With ``denominators`` (the study size and the stratum sizes
    shown), also for percentages equal (as printed, to their decimals) to x/n for a small x and
    one of those n, unless the same percentage is also some x/n with x ≥ k (then it cannot be
    told apart, and is not reported). Meant for tests and for a last check before writing a
    report; it reports candidates, each with a little context, not proof.

    Returns:
        One string per hit: the matched text with up to 20 characters either side.
    """
    if min_cell <= 1:
        return []
    hits: list[str] = []

    def context(match: re.Match[str]) -> str:
        return text[max(0, match.start() - 20) : match.end() + 20].replace("\n", " ")

    for match in _FRACTION.finditer(text):
        x, n = int(match.group(1)), int(match.group(2))
        if is_small(x, min_cell) and x <= n:
            hits.append(context(match))
    for match in _N_EQUALS.finditer(text):
        if is_small(int(match.group(1)), min_cell):
            hits.append(context(match))
    ns = sorted({int(d) for d in denominators if int(d) > 0})
    if ns:
        for match in _PERCENT.finditer(text):
            shown = match.group(1)
            decimals = len(shown.split(".")[1]) if "." in shown else 0
            value = float(shown)

            def shows(x: int, n: int, value: float = value, decimals: int = decimals) -> bool:
                return round(100 * x / n, decimals) == value

            small = any(shows(x, n) for n in ns for x in range(1, min(min_cell, n + 1)))
            large = any(shows(x, n) for n in ns for x in range(min_cell, n + 1)) or value == 0
            if small and not large:
                hits.append(context(match))
    return hits


# --------------------------------------------------------------------------------------------
# Pseudonyms
# --------------------------------------------------------------------------------------------


def natural_key(value: str) -> tuple[Any, ...]:
    """Sort key that orders ``P2`` before ``P10`` (digit runs compare as numbers)."""
    parts = re.split(r"([0-9]+)", value)
    key = tuple(
        (0, int(p), p) if p.isascii() and p.isdigit() else (1, p.casefold(), p) for p in parts if p
    )
    return (key, value)


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


# --------------------------------------------------------------------------------------------
# Quote redaction
# --------------------------------------------------------------------------------------------

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
DATE_PATTERN = (
    r"(?<!\w)(?:"
    r"\d{4}-\d{1,2}-\d{1,2}"  # 2024-03-05
    r"|\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})"  # 05/03/2024, 5.3.24, 05-03-2024
    rf"|{_DAY}\s+(?:of\s+)?{_MONTHS}(?:,?\s+\d{{4}})?"  # 5 March 2024, 5th of March
    rf"|{_MONTHS}\s+{_DAY}(?:,?\s+\d{{4}})?"  # March 5, 2024
    rf"|{_MONTHS}\s+\d{{4}}"  # March 2024
    r")(?!\w)"
)
EMAIL_PATTERN = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
PHONE_PATTERN = (
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,5}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,5}){1,5}(?![\w])"
)
PHONE_MIN_DIGITS = 7


@dataclass(frozen=True)
class Rule:
    """One redaction rule: a name (as counted in the provenance) and a compiled pattern."""

    name: str
    pattern: re.Pattern[str]
    accept: Callable[[str], bool] | None = None


def _phone_like(text: str) -> bool:
    return sum(ch.isdigit() for ch in text) >= PHONE_MIN_DIGITS


def _words(values: Sequence[str]) -> str:
    escaped = sorted((re.escape(v.strip()) for v in values if v.strip()), key=len, reverse=True)
    return r"(?<!\w)(?:" + "|".join(escaped) + r")(?!\w)"


def redaction_rules(
    redaction: Redaction, *, file: str = "study.yml", builtin: bool = True
) -> list[Rule]:
    """Compile ``privacy.redact`` into rules, in the order they are applied.

    Order: e-mail addresses, dates, phone numbers (the defaults, when ``defaults`` is true),
    then ``names`` and ``places`` (whole words, case-insensitive), then each entry of
    ``patterns`` (named by its key, ``patterns.<key>``).

    ``builtin=False`` leaves out the three default rules (fixed patterns that always
    compile): enough to check a study.yml, without the cost of compiling them.

    Raises:
        InputError: a pattern is not a valid regular expression, or matches empty text;
            the problem names its key (``privacy.redact.patterns.<key>``).
    """
    rules: list[Rule] = []
    if redaction.defaults and builtin:
        rules.append(Rule("emails", re.compile(EMAIL_PATTERN)))
        rules.append(Rule("dates", re.compile(DATE_PATTERN, re.IGNORECASE)))
        rules.append(Rule("phones", re.compile(PHONE_PATTERN), accept=_phone_like))
    if [n for n in redaction.names if n.strip()]:
        rules.append(Rule("names", re.compile(_words(redaction.names), re.IGNORECASE)))
    if [p for p in redaction.places if p.strip()]:
        rules.append(Rule("places", re.compile(_words(redaction.places), re.IGNORECASE)))
    problems = []
    for key, source in redaction.patterns.items():
        column = f"privacy.redact.patterns.{key}"
        try:
            compiled = re.compile(source)
        except re.error as error:
            problems.append(
                Problem(
                    file,
                    f"not a valid regular expression ({error}); fix or remove it",
                    column=column,
                )
            )
            continue
        if compiled.search("") is not None:
            problems.append(
                Problem(
                    file,
                    "the pattern matches empty text, so it would redact everywhere; make it match at least one character",
                    column=column,
                )
            )
            continue
        rules.append(Rule(f"patterns.{key}", compiled))
    if problems:
        raise InputError(problems)
    return rules


def _redact_piece(
    text: str, rules: Sequence[Rule], replacement: str, counts: dict[str, int]
) -> str:
    for rule in rules:
        found = 0

        def substitute(match: re.Match[str], rule: Rule = rule) -> str:
            nonlocal found
            if rule.accept is not None and not rule.accept(match.group(0)):
                return match.group(0)
            found += 1
            return replacement

        text = rule.pattern.sub(substitute, text)
        counts[rule.name] += found
    return text


def redact_text(
    text: str,
    rules: Sequence[Rule],
    *,
    replacement: str = "[redacted]",
    counts: dict[str, int] | None = None,
) -> str:
    """Redact one text; idempotent.

    Text already replaced is never looked at again (the text is split on ``replacement``),
    and the rules are applied until nothing changes, so redacting twice equals redacting once.
    """
    tally = counts if counts is not None else {}
    for rule in rules:
        tally.setdefault(rule.name, 0)
    while True:
        pieces = text.split(replacement) if replacement else [text]
        new = replacement.join(_redact_piece(p, rules, replacement, tally) for p in pieces)
        if new == text:
            return new
        text = new


def redact_quotes(
    codings: pl.DataFrame, redaction: Redaction, *, column: str = "quote", file: str = "study.yml"
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Apply the study's redaction rules to every quote.

    Args:
        codings: a frame with a ``quote`` column (null quotes stay null).
        redaction: ``study.manifest.privacy.redact``.
        column: the text column to redact.
        file: the manifest name for error messages.

    Returns:
        ``(redacted frame, counts)`` where counts is a frame ``rule, redactions`` with one row
        per rule in the order applied (zero counts included, for the provenance).

    Raises:
        InputError: an invalid pattern in study.yml (see :func:`redaction_rules`).
    """
    rules = redaction_rules(redaction, file=file)
    counts: dict[str, int] = {rule.name: 0 for rule in rules}
    if column in codings.columns:
        values = [
            None
            if v is None
            else redact_text(v, rules, replacement=redaction.replacement, counts=counts)
            for v in codings[column].to_list()
        ]
        codings = codings.with_columns(pl.Series(column, values, dtype=pl.String))
    tally = pl.DataFrame(
        {"rule": list(counts), "redactions": list(counts.values())},
        schema={"rule": pl.String, "redactions": pl.Int64},
    )
    return codings, tally


# --------------------------------------------------------------------------------------------
# Re-identification check (k-anonymity)
# --------------------------------------------------------------------------------------------


def descriptor_attributes(study: Study) -> list[str]:
    """The attributes that attribute a quote in the report (``report.descriptors``).

    Default (as the report does): age, sex or gender where present, then the strata.
    """
    names = study.manifest.report.descriptors
    if names is None:
        names = [n for n in ("age", "sex", "gender") if n in study.attributes] + [
            s for s in study.manifest.analysis.strata if s not in ("sex", "gender")
        ]
    return [n for n in names if n in study.attributes]


def report_elements(study: Study) -> list[tuple[str, frozenset[str]]]:
    """The report elements that show participants' attributes jointly, with those attributes.

    A combination of attribute values is exposed by an element when the element shows the
    joint distribution of (at least) those attributes.
    """
    strata = [s for s in study.manifest.analysis.strata if s in study.attributes]
    categorical = [n for n, spec in study.attributes.items() if spec.type == "categorical"]
    elements: list[tuple[str, frozenset[str]]] = []
    if not strata:
        elements += [("cohort table", frozenset({a})) for a in categorical]
    for s in strata:
        elements += [(f"cohort table by {s}", frozenset({s, a})) for a in categorical if a != s]
        elements.append((f"cohort table by {s}", frozenset({s})))
        elements.append((f"prevalence and differences by {s}", frozenset({s})))
    descriptors = descriptor_attributes(study)
    if descriptors and study.manifest.report.quotes_per_theme > 0:
        elements.append(("quote attributions", frozenset(descriptors)))
    return elements


def quasi_identifier_values(study: Study, names: Sequence[str]) -> pl.DataFrame:
    """``participant_id`` and each quasi-identifier as its shown label (bins, "missing").

    Raises:
        UsageError: an unknown attribute, or a numeric one without bins.
    """
    from toolkit.stats.strata import stratum_values

    columns = [study.participants["participant_id"]]
    for name in names:
        labels, _ = stratum_values(study.participants, study.attribute(name))
        columns.append(labels.alias(name))
    return pl.DataFrame(columns)


def k_anonymity(
    study: Study, *, quasi_identifiers: Sequence[str] | None = None, k: int | None = None
) -> pl.DataFrame:
    """Combinations of quasi-identifier values shared by fewer than k participants.

    Quasi-identifiers (default: ``privacy.quasi_identifiers``, else every stratifiable
    attribute) are taken as the report shows them: numeric attributes by their bins, a missing
    value as "missing". Every combination of one or more of them is checked; a combination is
    listed only when it is *minimal* (no smaller part of it is already rare), since any wider
    combination containing a rare one is rare too.

    Args:
        study: a loaded study.
        quasi_identifiers: attribute names; default as above.
        k: the threshold (default ``privacy.k``, 3).

    Returns:
        Frame ``attributes, values, participants, pseudonyms, exposed_by``: attribute names and
        their values joined by ", ", how many participants share them (1..k−1), their
        pseudonyms, and the report elements that would show the combination ("" when none
        does: then it is a risk only if the data themselves are shared).
    """
    from itertools import combinations

    k = study.manifest.privacy.k if k is None else k
    if isinstance(k, bool) or k < 1:
        raise UsageError(f"k must be a whole number ≥ 1 (got {k!r})")
    if quasi_identifiers is None:
        quasi_identifiers = study.manifest.privacy.quasi_identifiers
    if quasi_identifiers is None:
        quasi_identifiers = [n for n, spec in study.attributes.items() if spec.stratifiable]
    names = list(dict.fromkeys(quasi_identifiers))
    for name in names:
        spec = study.attribute(name)
        if not spec.stratifiable:
            raise UsageError(
                f"quasi-identifier '{name}' is numeric without bins; add attributes.{name}.bins "
                "to study.yml (the report can only show it by bins)"
            )
    schema = {
        "attributes": pl.String,
        "values": pl.String,
        "participants": pl.Int64,
        "pseudonyms": pl.String,
        "exposed_by": pl.String,
    }
    if not names or study.participants.height == 0:
        return pl.DataFrame(schema=schema)
    values = quasi_identifier_values(study, names)
    mapping = dict(pseudonyms(study.participants).iter_rows())
    elements = report_elements(study)
    rare: set[frozenset[tuple[str, str]]] = set()
    rows: list[dict[str, Any]] = []
    for size in range(1, len(names) + 1):
        for combo in combinations(names, size):
            groups = values.group_by(list(combo), maintain_order=True).agg(pl.col("participant_id"))
            for row in groups.iter_rows(named=True):
                members = row["participant_id"]
                if len(members) >= k:
                    continue
                cell = frozenset((a, row[a]) for a in combo)
                rare.add(cell)
                if any(frozenset(sub) in rare for sub in _proper_subsets(cell)):
                    continue
                shown = [name for name, attrs in elements if set(combo) <= attrs]
                rows.append(
                    {
                        "attributes": ", ".join(combo),
                        "values": ", ".join(str(row[a]) for a in combo),
                        "participants": len(members),
                        "pseudonyms": ", ".join(
                            sorted((mapping[m] for m in members), key=natural_key)
                        ),
                        "exposed_by": "; ".join(dict.fromkeys(shown)),
                    }
                )
    return pl.DataFrame(rows, schema=schema)


def _proper_subsets(cell: frozenset[tuple[str, str]]) -> Iterable[tuple[tuple[str, str], ...]]:
    from itertools import combinations

    items = sorted(cell)
    for size in range(1, len(items)):
        yield from combinations(items, size)


# --------------------------------------------------------------------------------------------
# Nothing lost: every input row accounted for
# --------------------------------------------------------------------------------------------


def reconcile(study: Study, *, coder: str | None = None) -> pl.DataFrame:
    """Account for every input row: what the analysis uses, what it leaves out, and why.

    Args:
        study: a loaded study.
        coder: the coder whose codings prevalence uses (default ``analysis.coder``; None: all).

    Returns:
        Frame ``table, status, reason, rows, examples``; for each table the ``used`` and
        ``left out`` rows add up to the rows read, and a ``read`` row states that total.
        Reader notes (an importer leaving out segments of deleted codes, for example) appear
        as ``note`` rows with the importer's own message.
    """
    coder = study.manifest.analysis.coder if coder is None else coder
    files = study.files
    rows: list[dict[str, Any]] = []

    def add(
        table: str, status: str, reason: str, count: int | None, examples: Sequence[str] = ()
    ) -> None:
        shown = ", ".join(str(e) for e in list(examples)[:5])
        if len(examples) > 5:
            shown += f", … ({len(examples)} in all)"
        rows.append(
            {"table": table, "status": status, "reason": reason, "rows": count, "examples": shown}
        )

    participants = study.participants
    codings = study.codings
    codings_file = files.get("codings", "codings")
    participants_file = files.get("participants", "participants")
    codebook_file = files.get("codebook", "codebook")

    # codings
    add(codings_file, "read", "coded segments in the input", codings.height)
    _skipped_lines(codings, codings_file, add)
    if coder is not None:
        used = codings.filter(pl.col("coder") == coder)
        others = codings.filter((pl.col("coder") != coder) | pl.col("coder").is_null())
        add(codings_file, "used", f"coded by '{coder}' (analysis.coder)", used.height)
        for name, count in (
            others.group_by("coder", maintain_order=True).len().sort("coder").iter_rows()
        ):
            reason = (
                f"coder '{name}' is not analysis.coder '{coder}'"
                if name is not None
                else f"no coder named; analysis.coder is '{coder}'"
            )
            add(
                codings_file,
                "left out",
                reason,
                count,
                _lines(others.filter(pl.col("coder").eq_missing(name))),
            )
    else:
        add(codings_file, "used", "every coding (no analysis.coder)", codings.height)
    chosen = codings if coder is None else codings.filter(pl.col("coder") == coder)
    located = chosen.filter(pl.col("start").is_not_null())
    keys = ["participant_id", "code_id", "source", "start", "end"]
    repeated = located.filter(located.select(keys).is_duplicated())
    if repeated.height:
        add(
            codings_file,
            "note",
            "same segment coded more than once (several coders?): "
            "one participant, several segments",
            repeated.height,
            _lines(repeated),
        )

    # participants
    add(participants_file, "read", "participants in the input", participants.height)
    used_codings = codings if coder is None else codings.filter(pl.col("coder") == coder)
    voiced = set(used_codings["participant_id"].to_list())
    ids = participants["participant_id"].to_list()
    without = [i for i in ids if i not in voiced]
    add(participants_file, "used", "with at least one coding", participants.height - len(without))
    add(
        participants_file,
        "used",
        "without codings: in every denominator, in no numerator",
        len(without),
        sorted(without, key=natural_key),
    )
    _skipped_lines(participants, participants_file, add)

    # codebook
    codebook = study.codebook
    add(codebook_file, "read", "codebook nodes", codebook.height)
    coded = set(used_codings["code_id"].to_list())
    parents = set(codebook["parent_id"].drop_nulls().to_list())
    never = [c for c in codebook["code_id"].to_list() if c not in coded and c not in parents]
    add(
        codebook_file,
        "used",
        "nodes with codings of their own",
        len(coded & set(codebook["code_id"].to_list())),
    )
    add(
        codebook_file,
        "used",
        "leaf codes never coded: shown with prevalence 0",
        len(never),
        never,
    )
    for warning in study.warnings:
        add("(reader)", "note", warning, None)
    return pl.DataFrame(
        rows,
        schema={
            "table": pl.String,
            "status": pl.String,
            "reason": pl.String,
            "rows": pl.Int64,
            "examples": pl.String,
        },
    )


def _lines(frame: pl.DataFrame) -> list[str]:
    if "_row" not in frame.columns:
        return []
    return [f"line {r}" for r in frame["_row"].drop_nulls().to_list()]


def _skipped_lines(frame: pl.DataFrame, file: str, add: Callable[..., None]) -> None:
    """Lines between the header and the last row that the reader did not turn into rows."""
    if "_row" not in frame.columns or frame.height == 0:
        return
    lines = frame["_row"].drop_nulls()
    if lines.is_empty():
        return
    present = set(lines.to_list())
    missing = [n for n in range(2, int(lines.max()) + 1) if n not in present]  # type: ignore[arg-type]
    if missing:
        add(file, "left out", "blank lines", len(missing), [f"line {n}" for n in missing])


def report_folder_of(path: Path) -> Path | None:
    """The report folder ``path`` would be inside, or None.

    A report folder is ``reports/<id>/`` (the default place of ``raremix report``), or any
    folder holding a ``report.qmd`` that raremix wrote. Keys belong beside it, never inside.
    """
    target = Path(path).resolve()
    parts = target.parts
    for i in range(len(parts) - 2):
        if parts[i] == "reports":
            return Path(*parts[: i + 2])
    for folder in target.parents:
        if (folder / "report.qmd").is_file():
            return folder
    return None
