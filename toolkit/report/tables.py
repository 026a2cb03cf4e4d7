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


def _hide_small(counts: Sequence[int], min_cell: int) -> list[bool]:
    """Small counts (1..k−1), plus the next smallest when only one would be hidden."""
    if min_cell <= 1:
        return [False] * len(counts)
    hidden = [1 <= c < min_cell for c in counts]
    if sum(hidden) == 1:
        others = [(c, i) for i, c in enumerate(counts) if not hidden[i] and c > 0]
        if others:
            hidden[min(others)[1]] = True
    return hidden


def cohort_table(
    participants: pl.DataFrame,
    attributes: Mapping[str, AttributeSpec],
    *,
    groups: Sequence[tuple[str, pl.DataFrame]],
    min_cell: int,
    caption: str,
    name: str,
) -> Table:
    """Participants' characteristics: counts (%) per level, mean (SD), median, range.

    Args:
        participants: the participants frame (canonical).
        attributes: the attributes to describe, in order.
        groups: (column header, participants of that group): the overall column first.
        min_cell: small-cell threshold; counts 1..k−1 (and a complement) print as suppressed,
            and numeric summaries of a group smaller than k too.
        caption, name: of the table.
    """
    columns = ["Characteristic", *(f"{header} (n={frame.height})" for header, frame in groups)]
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
            cells: list[list[str]] = []
            for _header, frame in groups:
                values = frame[attr].to_list()
                counts = [sum(1 for v in values if v == level) for level in levels]
                if has_missing:
                    counts.append(sum(1 for v in values if v is None))
                hidden = _hide_small(counts, min_cell)
                cells.append(
                    [
                        _count_cell(c, frame.height, min_cell, h)
                        for c, h in zip(counts, hidden, strict=True)
                    ]
                )
            for i, label in enumerate(labels):
                rows.append((label, *(col[i] for col in cells)))
                indent.append(1)
        else:
            stats: list[list[str]] = []
            for _header, frame in groups:
                series = frame[attr].cast(pl.Float64).drop_nulls()
                missing = frame[attr].null_count()
                if series.len() == 0 or (1 <= frame.height < min_cell):
                    hidden_text = SUPPRESSED if series.len() else DASH
                    stats.append([hidden_text, hidden_text, hidden_text, str(missing)])
                    continue
                sd = series.std() if series.len() > 1 else None
                mean = series.mean()
                median = series.median()
                stats.append(
                    [
                        f"{number(float(mean))} ({number(None if sd is None else float(sd))})",  # type: ignore[arg-type]
                        number(float(median)),  # type: ignore[arg-type]
                        f"{number(float(series.min()), digits=0)}–{number(float(series.max()), digits=0)}",  # type: ignore[arg-type]
                        str(missing),
                    ]
                )
            labels = ["mean (SD)", "median", "range"]
            if any(int(s[3]) for s in stats):
                labels.append("missing")
            for i, label in enumerate(labels):
                rows.append((label, *(col[i] for col in stats)))
                indent.append(1)
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
