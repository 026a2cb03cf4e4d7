"""Presentation tables: result frames in, :class:`~toolkit.report.spec.Table` out.

Every number is formatted here, once, so HTML, PDF and Word show the same strings. Formats:
counts as ``x/n``; percentages with one decimal (``80.0%``); intervals as ``54.8–93.0%``;
p-values with three decimals (``<0.001`` below that). Suppressed cells (``min_cell``) print as
``suppressed``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import polars as pl

from toolkit.model import AttributeSpec
from toolkit.report.spec import Table

SUPPRESSED = "suppressed"
DASH = "–"


def pct(value: float | None, *, digits: int = 1) -> str:
    """A proportion (0–1) as a percentage: ``0.8`` → ``80.0%``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    return f"{100.0 * value:.{digits}f}%"


def ci(lower: float | None, upper: float | None, *, digits: int = 1) -> str:
    """An interval of proportions as percentages: ``54.8–93.0%``."""
    if lower is None or upper is None or math.isnan(lower) or math.isnan(upper):
        return DASH
    return f"{100.0 * lower:.{digits}f}–{100.0 * upper:.{digits}f}%"


def points(value: float | None, *, digits: int = 1) -> str:
    """A difference of proportions in percentage points, signed: ``+33.3``."""
    if value is None or math.isnan(value):
        return DASH
    text = f"{100.0 * value:+.{digits}f}"
    return text.replace("-", "−")


def points_ci(lower: float | None, upper: float | None, *, digits: int = 1) -> str:
    if lower is None or upper is None or math.isnan(lower) or math.isnan(upper):
        return DASH
    return f"{points(lower, digits=digits)} to {points(upper, digits=digits)}"


def pvalue(value: float | None) -> str:
    if value is None or math.isnan(value):
        return DASH
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def xn(x: int | None, n: int | None) -> str:
    if x is None or n is None:
        return SUPPRESSED
    return f"{x}/{n}"


def number(value: float | None, *, digits: int = 1) -> str:
    if value is None or math.isnan(value):
        return DASH
    if digits == 0:
        return f"{value:.0f}"
    return f"{value:.{digits}f}"


def heading(text: str) -> str:
    """``sex`` → ``Sex``: a row heading starts with a capital, the rest is left as written."""
    return text[:1].upper() + text[1:]


def ci_label(method: str, level: float) -> str:
    """``95% CI`` for the column headers."""
    return f"{100 * level:g}% CI"


METHOD_NAMES = {
    "wilson": "Wilson score",
    "wilson_cc": "Wilson score with continuity correction",
    "clopper_pearson": "Clopper–Pearson exact",
    "jeffreys": "Jeffreys",
    "agresti_coull": "Agresti–Coull",
    "wald": "Wald",
    "newcombe": "Newcombe hybrid score",
    "newcombe_cc": "Newcombe hybrid score with continuity correction",
    "miettinen_nurminen": "Miettinen–Nurminen score",
    "agresti_caffo": "Agresti–Caffo",
}


# --- cohort table ------------------------------------------------------------------------


def _count_cell(count: int, total: int, min_cell: int, hidden: bool) -> str:
    if hidden:
        return SUPPRESSED
    return f"{count} ({pct(count / total if total else None)})" if total else str(count)


def hidden_sizes(total: int, sizes: Sequence[int], min_cell: int) -> list[bool]:
    """Which subgroup sizes to hide: the rule of :func:`toolkit.privacy.suppress`.

    A subgroup of 1..k−1 participants is hidden; since the subgroups add up to ``total``,
    complements are hidden with it (never exactly one hidden, hidden ones never adding up to
    a small number), so the prevalence table and the participants table hide the same
    subgroups. A small ``total`` hides every subgroup.
    """
    from toolkit import privacy

    if min_cell <= 1:
        return [False] * len(sizes)
    if privacy.is_small(total, min_cell):
        return [True] * len(sizes)
    values = [total, *sizes]
    hidden = {j + 1 for j, size in enumerate(sizes) if privacy.is_small(size, min_cell)}
    if hidden:
        equation = privacy.Equation(total=0, parts=list(range(1, len(values))))
        privacy.protect_equations([equation], hidden, values, min_cell=min_cell)
    return [j + 1 in hidden for j in range(len(sizes))]


def protect_table(
    counts: Sequence[Sequence[int]],
    sizes: Sequence[int],
    *,
    min_cell: int,
    partition: bool,
    unshown: Sequence[int] = (),
) -> tuple[list[list[bool]], list[bool]]:
    """Small-cell suppression of a two-way table of participant counts, with complements.

    Args:
        counts: ``counts[level][group]``; the levels of each group add up to its size.
        sizes: participants per group; ``sizes[0]`` is the overall group.
        min_cell: k.
        partition: the groups after the first partition the first (strata of one
            attribute), so each level's count in the first group is the sum of the others.
        unshown: levels the table never shows (treated as hidden from the start).

    Returns:
        ``(hidden[level][group], hidden size per group)``: no shown count is 1..k−1, and no
        hidden count can be computed exactly from the shown ones and the sums (the same
        guarantee as :func:`toolkit.privacy.suppress`).
    """
    from toolkit import privacy

    groups, levels = len(sizes), len(counts)
    if min_cell <= 1:
        return [[False] * groups for _ in range(levels)], [False] * groups
    if partition and groups > 1:
        strata = hidden_sizes(sizes[0], sizes[1:], min_cell)
        size_hidden = [privacy.is_small(sizes[0], min_cell), *strata]
        if size_hidden[0]:
            size_hidden = [True] * groups
    else:
        size_hidden = [privacy.is_small(n, min_cell) for n in sizes]

    def cell(level: int, group: int) -> int:
        return groups + level * groups + group

    values = [
        *(n if size_hidden[g] else n + 10**9 for g, n in enumerate(sizes)),  # sizes: last picks
        *(int(counts[lv][g]) for lv in range(levels) for g in range(groups)),
    ]
    hidden = {g for g in range(groups) if size_hidden[g]}
    for lv in range(levels):
        for g in range(groups):
            if size_hidden[g] or lv in unshown or privacy.is_small(int(counts[lv][g]), min_cell):
                hidden.add(cell(lv, g))
    equations = [
        privacy.Equation(total=g, parts=[cell(lv, g) for lv in range(levels)])
        for g in range(groups)
        if levels
    ]
    if partition and groups > 1:
        equations += [
            privacy.Equation(total=cell(lv, 0), parts=[cell(lv, g) for g in range(1, groups)])
            for lv in range(levels)
        ]
        equations.append(privacy.Equation(total=0, parts=list(range(1, groups))))
    # A shown size is never summed with hidden cells (rule 2 sums hidden parts only), so its
    # inflated value above only makes it the last cell picked as a complement.
    privacy.protect_equations(equations, hidden, values, min_cell=min_cell)
    return (
        [[cell(lv, g) in hidden for g in range(groups)] for lv in range(levels)],
        [g in hidden for g in range(groups)],
    )


def cohort_table(
    participants: pl.DataFrame,
    attributes: Mapping[str, AttributeSpec],
    *,
    groups: Sequence[tuple[str, pl.DataFrame]],
    min_cell: int,
    caption: str,
    name: str,
    partition: bool = True,
) -> Table:
    """Participants' characteristics: counts (%) per level, mean (SD), median, range.

    Args:
        participants: the participants frame (canonical).
        attributes: the attributes to describe, in order.
        groups: (column header, participants of that group): the overall column first.
        min_cell: small-cell threshold k. With k ≥ 2: counts 1..k−1 print as suppressed,
            with complements across the levels of a group and across the groups
            (:func:`protect_table`); a subgroup of 1..k−1 participants is hidden whole, its
            size included; numeric summaries of fewer than k recorded values are hidden; and
            the range (minimum and maximum, each the exact value of one participant) is left
            out.
        caption, name: of the table.
        partition: the groups after the first are subgroups that together make up the first
            (strata of one attribute, "missing" included).
    """
    sizes = [frame.height for _header, frame in groups]
    _, size_hidden = protect_table([], sizes, min_cell=min_cell, partition=partition)
    columns = [
        "Characteristic",
        *(
            f"{header} (n {SUPPRESSED})" if hidden else f"{header} (n={frame.height})"
            for (header, frame), hidden in zip(groups, size_hidden, strict=True)
        ),
    ]
    rows: list[tuple[str, ...]] = []
    indent: list[int] = []
    for attr, spec in attributes.items():
        if attr not in participants.columns:
            continue
        rows.append((heading(spec.display), *("" for _ in groups)))
        indent.append(0)
        if spec.type == "categorical":
            levels = list(
                spec.levels or sorted({v for v in participants[attr].to_list() if v is not None})
            )
            has_missing = participants[attr].null_count() > 0
            labels = [*levels, *(["missing"] if has_missing else [])]
            table_counts: list[list[int]] = []
            for level in labels:
                table_counts.append(
                    [
                        (
                            frame[attr].null_count()
                            if level == "missing" and has_missing
                            else int((frame[attr] == level).sum())
                        )
                        for _header, frame in groups
                    ]
                )
            hidden, _ = protect_table(table_counts, sizes, min_cell=min_cell, partition=partition)
            for i, label in enumerate(labels):
                rows.append(
                    (
                        label,
                        *(
                            _count_cell(table_counts[i][g], sizes[g], min_cell, hidden[i][g])
                            for g in range(len(groups))
                        ),
                    )
                )
                indent.append(1)
        else:
            recorded = [frame[attr].drop_nulls().len() for _header, frame in groups]
            missing_counts = [frame[attr].null_count() for _header, frame in groups]
            # The number of recorded values is not shown, only the missing ones.
            hidden, _ = protect_table(
                [recorded, missing_counts],
                sizes,
                min_cell=min_cell,
                partition=partition,
                unshown=[0],
            )
            stats: list[list[str]] = []
            for g, (_header, frame) in enumerate(groups):
                series = frame[attr].cast(pl.Float64).drop_nulls()
                missing = SUPPRESSED if hidden[1][g] else str(missing_counts[g])
                too_few = size_hidden[g] or (min_cell > 1 and series.len() < min_cell)
                if series.len() == 0 or too_few:
                    hidden_text = SUPPRESSED if series.len() else DASH
                    stats.append([hidden_text, hidden_text, hidden_text, missing])
                    continue
                sd = series.std() if series.len() > 1 else None
                mean = series.mean()
                median = series.median()
                stats.append(
                    [
                        f"{number(float(mean))} ({number(None if sd is None else float(sd))})",  # type: ignore[arg-type]
                        number(float(median)),  # type: ignore[arg-type]
                        f"{number(float(series.min()), digits=0)}–{number(float(series.max()), digits=0)}",  # type: ignore[arg-type]
                        missing,
                    ]
                )
            labels = ["mean (SD)", "median"]
            if min_cell <= 1:
                labels.append("range")
            else:
                stats = [[s[0], s[1], s[3]] for s in stats]
            if any(missing_counts):
                labels.append("missing")
            else:
                stats = [s[: len(labels)] for s in stats]
            for i, label in enumerate(labels):
                rows.append((label, *(col[i] for col in stats)))
                indent.append(1)
    if min_cell > 1 and any(spec.type != "categorical" for spec in attributes.values()):
        caption = (
            f"{caption} Ranges are not shown: a minimum or maximum is one participant's exact "
            f"value (small-cell suppression, min_cell = {min_cell})."
        ).strip()
    return Table(
        name=name,
        caption=caption,
        columns=tuple(columns),
        rows=tuple(rows),
        align=("l", *("r" for _ in groups)),
        indent=tuple(indent),
    )


# --- prevalence --------------------------------------------------------------------------


def prevalence_table(overall: pl.DataFrame, *, level: float, caption: str) -> Table:
    """The codebook tree with x/n, %, interval and segments (overall rows of prevalence)."""
    rows = []
    indent = []
    for row in overall.iter_rows(named=True):
        rows.append(
            (
                row["label"],
                xn(row["participants"], row["denominator"]),
                pct(row["prevalence"]),
                ci(row["ci_lower"], row["ci_upper"]),
                SUPPRESSED if row["segments"] is None else str(row["segments"]),
            )
        )
        indent.append(int(row["depth"]))
    return Table(
        name="prevalence",
        caption=caption,
        columns=("Theme", "Participants", "%", ci_label("", level), "Segments"),
        rows=tuple(rows),
        align=("l", "r", "r", "r", "r"),
        indent=tuple(indent),
    )


def differences_table(frame: pl.DataFrame, *, level: float, caption: str) -> Table:
    """Subgroup differences: both groups' x/n, the difference with its interval, p-values.

    Args:
        frame: the frame of :func:`toolkit.stats.subgroups.differences` (``label``,
            ``depth``, ``comparison``, ``participants_level``, ``denominator_level``,
            ``participants_reference``, ``denominator_reference``, ``difference``,
            ``ci_lower``, ``ci_upper``, ``p_value``, ``p_adjusted``).
    """
    rows = []
    indent = []
    for row in frame.iter_rows(named=True):
        rows.append(
            (
                row["label"],
                row["comparison"],
                xn(row["participants_level"], row["denominator_level"]),
                xn(row["participants_reference"], row["denominator_reference"]),
                points(row["difference"]),
                points_ci(row["ci_lower"], row["ci_upper"]),
                pvalue(row["p_value"]),
                pvalue(row["p_adjusted"]),
            )
        )
        indent.append(int(row["depth"]))
    return Table(
        name="differences",
        caption=caption,
        columns=(
            "Theme",
            "Comparison",
            "Group",
            "Reference",
            "Difference (pp)",
            ci_label("", level),
            "p",
            "Adjusted p",
        ),
        rows=tuple(rows),
        align=("l", "l", "r", "r", "r", "r", "r", "r"),
        indent=tuple(indent),
    )


def agreement_table(frame: pl.DataFrame, *, caption: str) -> Table:
    """Coder agreement per node: units, percent agreement, kappa, alpha."""
    rows = []
    indent = []
    for row in frame.iter_rows(named=True):
        rows.append(
            (
                row["label"],
                str(row["units"]),
                pct(row["percent_agreement"]),
                number(row["kappa"], digits=2),
                number(row["alpha"], digits=2),
            )
        )
        indent.append(int(row["depth"]))
    return Table(
        name="agreement",
        caption=caption,
        columns=(
            "Theme",
            "Participants double-coded",
            "Agreement",
            "Cohen's κ",
            "Krippendorff's α",
        ),
        rows=tuple(rows),
        align=("l", "r", "r", "r", "r"),
        indent=tuple(indent),
    )


def key_value_table(
    pairs: Sequence[tuple[str, str]], *, name: str, caption: str, header: tuple[str, str]
) -> Table:
    """A two-column table (settings, COREQ answers, provenance)."""
    return Table(name=name, caption=caption, columns=header, rows=tuple(pairs), align=("l", "l"))
