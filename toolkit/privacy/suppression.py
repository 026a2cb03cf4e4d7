"""Small-cell suppression of output frames: prevalence, differences, comparisons.

Rare-disease cohorts are small: "the one man in remission aged over 65" may be one person whom
readers of a report know. With ``min_cell = k`` (``analysis.min_cell`` in study.yml; 0 or 1
switches it off), a *small cell* is a count of participants from 1 to k−1. :func:`suppress`
blanks it and every count or percentage from which it could be computed; see its docstring
for exactly what is guaranteed. Every function here is pure (polars frames in, polars frames
out), so the report, the comparison and the command line all apply the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import polars as pl

from toolkit.privacy.cells import Equation, check_min_cell, is_small, protect_equations

#: The comparison of cohorts suppresses counts below this unless the user says otherwise.
DEFAULT_COMPARE_MIN_CELL = 5


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
    check_min_cell(min_cell)
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
                equation = Equation(total=0, parts=list(range(1, len(values))))
                protect_equations([equation], hid, values, min_cell=min_cell)
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
        Equation(total=by_node.get(node), parts=rows) for (node, _), rows in grouped.items()
    ]
    protect_equations(strata_equations, hide_p, x, min_cell=min_cell)

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
    tree_equations = [Equation(total=row_of.get(key), parts=rows) for key, rows in children.items()]
    protect_equations([*strata_equations, *tree_equations], hide_s, seg, min_cell=min_cell)

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
    check_min_cell(min_cell)
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
    check_min_cell(min_cell)
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
        equations = [Equation(total=row_of[p], parts=kids) for p, kids in children.items()]
        protect_equations(equations, hidden, seg, min_cell=min_cell)
        hide |= hidden
    if not hide:
        return suppressed
    mask = pl.Series([i in hide for i in range(len(cohort))], dtype=pl.Boolean)
    return suppressed.with_columns(
        pl.when(mask).then(None).otherwise(pl.col("segments")).alias("segments")
    )


def min_cell_disagreement(min_cell: int, own: Mapping[str, int]) -> str:
    """Words for a comparison's privacy note when studies' own ``min_cell`` differ from it.

    Documents made from the same study must not disagree about what is hidden: a comparison
    hiding more than a study's own report says so (the report shows what the comparison
    hides), and one hiding less says it shows what the study's report hides.

    Args:
        min_cell: the comparison's threshold.
        own: study id -> that study's own ``analysis.min_cell``.

    Returns:
        One or two sentences, or "" when every study uses the comparison's threshold
        (thresholds of 0 and 1 both mean no suppression).
    """

    def level(value: int) -> int:
        return value if value > 1 else 0

    ours = level(min_cell)
    lower = {s: level(v) for s, v in own.items() if level(v) < ours}
    higher = {s: level(v) for s, v in own.items() if level(v) > ours}
    parts: list[str] = []
    if lower:
        listed = ", ".join(f"{s} (min_cell = {v})" for s, v in lower.items())
        values = set(lower.values())
        alternative = f", or compare with --min-cell {values.pop()}" if len(values) == 1 else ""
        parts.append(
            f"This comparison (min_cell = {ours}) hides more than the own reports of {listed}: "
            "counts they show are suppressed here; to make the documents agree, set "
            f"analysis.min_cell: {ours} in those studies' study.yml{alternative}."
        )
    if higher:
        listed = ", ".join(f"{s} (min_cell = {v})" for s, v in higher.items())
        parts.append(
            f"This comparison (min_cell = {ours}) shows counts that the own reports of {listed} "
            f"hide: compare with --min-cell {max(higher.values())} before sharing it."
        )
    return " ".join(parts)


def comparison_warning(min_cell: int, *, synthetic: bool) -> str | None:
    """A warning for ``raremix report`` when a study's report would publish counts that its
    comparisons hide (they default to :data:`DEFAULT_COMPARE_MIN_CELL`), with what to do;
    None when it hides as much, or when a SYNTHETIC study switches suppression off."""
    limit = DEFAULT_COMPARE_MIN_CELL
    if min_cell >= limit or (min_cell <= 1 and synthetic):
        return None
    shown = (
        "every count, however small,"
        if min_cell <= 1
        else f"counts of {min_cell} to {limit - 1} participants"
    )
    return (
        f"analysis.min_cell is {min_cell}, but comparisons (raremix compare, raremix report "
        f"--compare) hide counts of 1 to {limit - 1} by default: this report publishes {shown} "
        "that a comparison of the same study hides. Set analysis.min_cell: "
        f"{limit} in study.yml so that every document hides the same counts, or compare with "
        f"--min-cell {max(min_cell, 0)} (and say so)."
    )
