"""The terminal view of ``raremix compare``: prevalence side by side, not-compared codes, notes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.0f}%"


def _heterogeneity(row: dict[str, Any]) -> str:
    """A pooled row's k, τ², I², Q (p) and prediction interval, or why it has no estimate."""
    if row["suppressed"]:
        return ""
    if row["prevalence"] is None:
        return row["note"] or ""
    return (
        f"k {row['k']}, τ² {row['tau2']:.2f}, I² {_percent(row['i2'])}, "
        f"Q {row['q']:.1f} (p {row['q_pvalue']:.3f}), "
        f"PI {_percent(row['pi_lower'])}–{_percent(row['pi_upper'])}"
    )


def comparison_table(comparison: Any, notes: Sequence[str]) -> Any:
    """A readable terminal table: one line per theme and cohort, the pooled line in bold.

    Args:
        comparison: a :class:`toolkit.compare.Comparison`.
        notes: its comparability notes, printed below the tables.
    """
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    title = "Theme prevalence across cohorts"
    if comparison.synthetic:
        title += " (SYNTHETIC DATA)"
    table = Table(title=title, show_lines=False)
    for name, justify in (
        ("Theme", "left"),
        ("Cohort", "left"),
        ("x/n", "right"),
        ("%", "right"),
        ("CI", "right"),
        ("Heterogeneity", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    previous = None
    for row in comparison.prevalence.iter_rows(named=True):
        first = row["theme_id"] != previous
        previous = row["theme_id"]
        theme = ("  " * (row["depth"] or 0) + row["label"]) if first else ""
        pooled = row["cohort"] == "pooled"
        if row["suppressed"]:
            counts, share, ci = "suppressed", "", ""
        elif pooled and row["prevalence"] is None:
            counts, share, ci = "not pooled", "", ""
        elif row["participants"] is None:
            counts, share, ci = "—", "", ""
        else:
            counts = "" if pooled else f"{row['participants']}/{row['denominator']}"
            share = _percent(row["prevalence"])
            ci = f"{_percent(row['ci_lower'])}–{_percent(row['ci_upper'])}"
        het = _heterogeneity(row) if pooled else ""
        style = "bold" if pooled else ("dim" if not row["mapped"] else None)
        table.add_row(theme, row["cohort"], counts, share, ci, het, style=style)
    parts: list[Any] = [table]
    if comparison.not_compared.height:
        missing = Table(title="Not compared (codes that reach no theme)")
        for name in ("Study", "Code", "Label", "x/n", "Reason"):
            missing.add_column(name)
        for row in comparison.not_compared.iter_rows(named=True):
            missing.add_row(
                row["study_id"],
                row["code_id"],
                row["label"],
                "suppressed"
                if row["participants"] is None
                else f"{row['participants']}/{row['denominator']}",
                row["reason"],
            )
        parts.append(missing)
    for message in notes:
        parts.append(Text(f"Note: {message}"))
    return Group(*parts)
