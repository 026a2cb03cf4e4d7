"""Readable terminal tables (rich) for results; used by the command line only."""

from __future__ import annotations

from typing import Any

import polars as pl

from toolkit.model import Study
from toolkit.summary import SYNTHETIC_NOTE


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.0f}%"


def prevalence_table(study: Study, frame: pl.DataFrame) -> Any:
    """Prevalence as a rich table: the codebook tree indented, x/n, %, CI, segments."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    level = frame["ci_level"][0] if frame.height else study.manifest.analysis.ci.level
    method = frame["ci_method"][0] if frame.height else study.manifest.analysis.ci.method
    tables: list[Any] = []
    if study.synthetic:
        tables.append(Text(SYNTHETIC_NOTE, style="bold reverse"))
    keys = frame.select("stratum_variable", "stratum_value").unique(maintain_order=True)
    for variable, value in keys.iter_rows():
        part = frame.filter(
            pl.col("stratum_variable").eq_missing(variable)
            & pl.col("stratum_value").eq_missing(value)
        )
        n = part["denominator"][0] if part.height else 0
        title = (
            f"{study.title}: all participants (n = {n})"
            if variable is None
            else f"{variable} = {value} (n = {n})"
        )
        table = Table(
            title=title,
            title_justify="left",
            caption=f"x/n: participants voicing the theme / participants; CI: {method}",
            caption_justify="left",
        )
        table.add_column("theme", no_wrap=True)
        table.add_column("x/n", justify="right")
        table.add_column("%", justify="right")
        table.add_column(f"{level:.0%} CI", justify="right", no_wrap=True)
        table.add_column("segments", justify="right")
        for row in part.iter_rows(named=True):
            indent = "  " * int(row["depth"])
            style = "bold" if row["depth"] == 0 else None
            if row["suppressed"]:
                counts, pct, ci = "suppressed", "", ""
            else:
                counts = f"{row['participants']}/{row['denominator']}"
                pct = _percent(row["prevalence"])
                ci = (
                    ""
                    if row["ci_lower"] is None
                    else f"{_percent(row['ci_lower'])}–{_percent(row['ci_upper'])}"
                )
            table.add_row(
                Text(indent + str(row["label"]), style=style or ""),
                counts,
                pct,
                ci,
                str(row["segments"]),
            )
        tables.append(table)
    return Group(*tables)
