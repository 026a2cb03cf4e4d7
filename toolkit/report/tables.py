"""Presentation tables: result frames in, :class:`~toolkit.report.spec.Table` out.

Every number is formatted here, once, so HTML, PDF and Word show the same strings. Formats:
counts as ``x/n``; percentages as whole numbers when the denominator is below 100 (``80%``)
and with one decimal from 100 on (``80.0%``) (:data:`PERCENT_RULE`); intervals as
``55–93%``; p-values with three decimals (``<0.001`` below that). Suppressed cells
(``min_cell``) print as ``suppressed``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import polars as pl

from toolkit.report.spec import Table

SUPPRESSED = "suppressed"
DASH = "–"
#: Said once in every report's methods, applied by :func:`pct` and :func:`ci`.
PERCENT_RULE = (
    "Percentages are whole numbers when the denominator is below 100 and have one decimal "
    "from 100 on."
)
MISSING_NOTE = (
    "Missing: participants with no recorded value are counted in their own row and left out "
    "of the percentages' denominators."
)


def _digits(n: int | None, digits: int | None) -> int:
    if digits is not None:
        return digits
    return 1 if n is None or n >= 100 else 0


def pct(value: float | None, *, n: int | None = None, digits: int | None = None) -> str:
    """A proportion (0–1) as a percentage: ``0.8`` → ``80%`` of n < 100, ``80.0%`` from 100.

    Args:
        value: the proportion.
        n: its denominator (None: one decimal).
        digits: force this many decimals.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    return f"{100.0 * value:.{_digits(n, digits)}f}%"


def ci(
    lower: float | None, upper: float | None, *, n: int | None = None, digits: int | None = None
) -> str:
    """An interval of proportions as percentages (``55–93%``), rounded as :func:`pct`."""
    if lower is None or upper is None or math.isnan(lower) or math.isnan(upper):
        return DASH
    d = _digits(n, digits)
    return f"{100.0 * lower:.{d}f}–{100.0 * upper:.{d}f}%"


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
    "hypergeometric": "exact hypergeometric (finite population, study.population)",
    "newcombe": "Newcombe hybrid score",
    "newcombe_cc": "Newcombe hybrid score with continuity correction",
    "miettinen_nurminen": "Miettinen–Nurminen score",
    "agresti_caffo": "Agresti–Caffo",
}


# --- cohort table ------------------------------------------------------------------------


def _count_cell(row: dict[str, Any], base: int | None) -> str:
    """``12 (80%)``: the count and its share of the participants with a recorded value."""
    if row["count"] is None:
        return SUPPRESSED
    if row["level"] == "missing" or not base:
        return str(row["count"])
    return f"{row['count']} ({pct(row['count'] / base, n=base)})"


#: Footnote of a participants table with a mean shown without its SD or median.
FEW_VALUES_NOTE = (
    "A mean without SD or median rests on so few values that the SD and median (or the range) "
    "would give the values themselves away: fewer than 3 values, or fewer than 4 with "
    "small-cell suppression."
)


def _summary_cells(row: dict[str, Any]) -> list[str]:
    """mean (SD), median, range and missing of one numeric attribute in one group."""
    missing = SUPPRESSED if row["missing"] is None else str(row["missing"])
    if row["suppressed"] or row["mean"] is None:
        hidden = SUPPRESSED if row["suppressed"] else DASH
        return [hidden, hidden, hidden, missing]
    return [
        number(row["mean"])
        if row["sd"] is None
        else f"{number(row['mean'])} ({number(row['sd'])})",
        number(row["median"]),
        f"{number(row['min'], digits=0)}–{number(row['max'], digits=0)}"
        if row["min"] is not None and row["max"] is not None
        else DASH,
        missing,
    ]


def _bases(cells: list[dict[str, Any]], width: int) -> list[int | None]:
    """Per group: participants with a recorded value (the group less its missing row), or
    None when that cannot be known (a hidden group size or missing count)."""
    bases: list[int | None] = []
    for g in range(width):
        group = cells[g::width]
        size = group[0]["group_size"]
        missing = [r["count"] for r in group if r["level"] == "missing"]
        if size is None or (missing and missing[0] is None):
            bases.append(None)
        else:
            bases.append(size - (missing[0] if missing else 0))
    return bases


def cohort_table(frame: pl.DataFrame, *, min_cell: int, caption: str, name: str) -> Table:
    """Participants' characteristics: counts (%) per level, mean (SD), median, range.

    A table by one attribute leaves that attribute's own rows out (its columns say it).
    Missing values are a row of their own, left out of the percentages' denominators, and a
    footnote says so.

    Args:
        frame: one table of protected participants' characteristics (the frame of
            :func:`toolkit.stats.cohort.describe` for one ``by``, through
            :func:`toolkit.analysis.gate.protect_cohort`): a null is a hidden value.
        min_cell: the small-cell threshold the frame was protected with; above 1, the range
            row is left out (a minimum or maximum is one participant's exact value) and the
            caption says so.
        caption, name: of the table.
    """
    groups = frame.select("group", "group_size").unique(subset="group", maintain_order=True)
    columns = [
        "Characteristic",
        *(
            f"{header} (n {SUPPRESSED})" if size is None else f"{header} (n={size})"
            for header, size in groups.rows()
        ),
    ]
    width = groups.height
    by = frame["by"][0] if frame.height and "by" in frame.columns else None
    rows: list[tuple[str, ...]] = []
    indent: list[int] = []
    numeric = False
    any_missing = False
    for part in frame.partition_by("attribute", maintain_order=True):
        first = part.row(0, named=True)
        if by is not None and first["attribute"] == by:
            continue
        rows.append((heading(first["display"]), *("" for _ in range(width))))
        indent.append(0)
        cells = part.to_dicts()
        any_missing = any_missing or bool(first["has_missing"])
        if first["type"] == "categorical":
            bases = _bases(cells, width)
            for start in range(0, len(cells), width):
                level = cells[start : start + width]
                rows.append(
                    (
                        level[0]["level"],
                        *(_count_cell(r, b) for r, b in zip(level, bases, strict=True)),
                    )
                )
                indent.append(1)
            continue
        numeric = True
        stats = [_summary_cells(r) for r in cells]
        labels = ["mean (SD)", "median"]
        if min_cell <= 1:
            labels.append("range")
        else:
            stats = [[s[0], s[1], s[3]] for s in stats]
        if first["has_missing"]:
            labels.append("missing")
        else:
            stats = [s[: len(labels)] for s in stats]
        for i, label in enumerate(labels):
            rows.append((label, *(col[i] for col in stats)))
            indent.append(1)
    few = any(
        r["mean"] is not None and (r["sd"] is None or r["median"] is None)
        for r in frame.filter(pl.col("type") != "categorical").iter_rows(named=True)
    )
    if min_cell > 1 and numeric:
        caption = (
            f"{caption} Ranges are not shown: a minimum or maximum is one participant's exact "
            f"value (small-cell suppression, min_cell = {min_cell})."
        ).strip()
    return Table(
        name=name,
        caption=caption,
        columns=tuple(columns),
        rows=tuple(rows),
        align=("l", *("r" for _ in range(width))),
        indent=tuple(indent),
        notes=(*((MISSING_NOTE,) if any_missing else ()), *((FEW_VALUES_NOTE,) if few else ())),
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
                pct(row["prevalence"], n=row["denominator"]),
                ci(row["ci_lower"], row["ci_upper"], n=row["denominator"]),
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


def differences_table(
    frame: pl.DataFrame,
    *,
    level: float,
    caption: str,
    displays: dict[str, str] | None = None,
) -> Table:
    """Subgroup differences: both groups' x/n, the difference with its interval, p-values.

    Rows are grouped by comparison under a heading row ("Disease status: Remission against
    Active"), so no column repeats the stratum on every row.

    Args:
        frame: the frame of :func:`toolkit.stats.subgroups.differences` (``label``,
            ``depth``, ``stratum_variable``, ``level``, ``reference``,
            ``participants_level``, ``denominator_level``, ``participants_reference``,
            ``denominator_reference``, ``difference``, ``ci_lower``, ``ci_upper``,
            ``p_value``, ``p_adjusted``).
        displays: attribute -> display name for the heading rows.
    """
    displays = displays or {}
    rows: list[tuple[str, ...]] = []
    indent: list[int] = []
    key = ["stratum_variable", "level", "reference"]
    for part in frame.partition_by(key, maintain_order=True):
        first = part.row(0, named=True)
        attribute = first["stratum_variable"]
        name = heading(displays.get(attribute, str(attribute).replace("_", " ")))
        rows.append(
            (f"{name}: {first['level']} against {first['reference']}", *("" for _ in range(6)))
        )
        indent.append(0)
        for row in part.iter_rows(named=True):
            rows.append(
                (
                    row["label"],
                    xn(row["participants_level"], row["denominator_level"]),
                    xn(row["participants_reference"], row["denominator_reference"]),
                    points(row["difference"]),
                    points_ci(row["ci_lower"], row["ci_upper"]),
                    pvalue(row["p_value"]),
                    pvalue(row["p_adjusted"]),
                )
            )
            indent.append(int(row["depth"]) + 1)
    return Table(
        name="differences",
        caption=caption,
        columns=(
            "Theme",
            "Group",
            "Reference",
            "Difference (pp)",
            ci_label("", level),
            "p",
            "Adjusted p",
        ),
        rows=tuple(rows),
        align=("l", "r", "r", "r", "r", "r", "r"),
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
                pct(row["percent_agreement"], n=row["units"]),
                number(row["kappa"], digits=2),
                number(row["alpha"], digits=2),
            )
        )
        indent.append(int(row["depth"]))
    undefined = any(r[3] == DASH or r[4] == DASH for r in rows)
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
        notes=(KAPPA_DASH,) if undefined else (),
    )


KAPPA_DASH = (
    "–: κ or α is undefined here: the coders (or the few participants double-coded) show no "
    "variation to agree beyond chance on, for example every double-coded participant voiced "
    "the theme, or none did. Read the percent agreement instead."
)


def key_value_table(
    pairs: Sequence[tuple[str, str]], *, name: str, caption: str, header: tuple[str, str]
) -> Table:
    """A two-column table (settings, COREQ answers, provenance)."""
    return Table(name=name, caption=caption, columns=header, rows=tuple(pairs), align=("l", "l"))
