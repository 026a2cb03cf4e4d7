"""Readable terminal tables (rich) of results; the command line's only presentation.

Each ``*_view`` takes a result frame (already through the disclosure gate) and returns rich
renderables; nothing here computes a statistic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toolkit.analysis import Results


def _pct(value: float | None, digits: int = 0) -> str:
    return "" if value is None else f"{100 * value:.{digits}f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _counts(x: int | None, n: int | None) -> str:
    return "suppressed" if x is None or n is None else f"{x}/{n}"


def _p(value: float | None) -> str:
    if value is None:
        return ""
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _width(header: str, cells: list[Any]) -> int:
    """The widest of a column's header and cells: a number column never gets narrower."""
    return max([len(header), *(len(str(c)) for c in cells)])


def _table(
    title: str,
    columns: list[str],
    rows: list[list[str]],
    caption: str | None = None,
    *,
    labels: int = 1,
) -> Any:
    """A table whose first ``labels`` columns (names) wrap on a narrow terminal, so that the
    number columns after them keep their full width: numbers never disappear."""
    from rich.table import Table

    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    for i, name in enumerate(columns):
        if i < labels:
            table.add_column(name, justify="left", overflow="fold", ratio=1)
        else:
            width = _width(name, [row[i] for row in rows])
            table.add_column(name, justify="right", no_wrap=True, min_width=width)
    for row in rows:
        table.add_row(*row)
    return table


def differences_view(frame: Any, title: str) -> list[Any]:
    tables = []
    for comparison in frame["comparison"].unique(maintain_order=True).to_list():
        part = frame.filter(frame["comparison"] == comparison)
        rows = [
            [
                "  " * int(r["depth"]) + str(r["label"]),
                _counts(r["participants_level"], r["denominator_level"]),
                _counts(r["participants_reference"], r["denominator_reference"]),
                _pct(r["difference"]),
                "" if r["ci_lower"] is None else f"{_pct(r['ci_lower'])} to {_pct(r['ci_upper'])}",
                _p(r["p_value"]),
                _p(r["p_adjusted"]),
                "!" if r["small_sample"] else "",
            ]
            for r in part.iter_rows(named=True)
        ]
        first = part.row(0, named=True)
        caption = (
            f"difference = {first['level']} − {first['reference']}; {first['ci_level']:.0%} CI: "
            f"{first['ci_method']}; p: Fisher exact; p adj: Benjamini–Hochberg; "
            "!: small sample (see the caution column of the CSV)"
        )
        if first["note"]:
            caption += f"; {first['note']}"
        tables.append(
            _table(
                f"{title}: {comparison}",
                ["theme", first["level"], first["reference"], "difference", "CI", "p", "p adj", ""],
                rows,
                caption,
            )
        )
    return tables


def cooccurrence_view(frame: Any, title: str, unit: str) -> list[Any]:
    import polars as pl

    upper = frame.filter(pl.col("code_a") < pl.col("code_b"))
    if unit == "participant":
        upper = upper.sort("participants_both", "jaccard", descending=True, nulls_last=True)
        rows = [
            [
                r["label_a"],
                r["label_b"],
                _counts(r["participants_both"], r["denominator"]),
                _num(r["jaccard"]),
            ]
            for r in upper.iter_rows(named=True)
        ]
        columns = ["theme A", "theme B", "both", "Jaccard"]
        caption = "both: participants who voiced both themes / participants; Jaccard: both / either"
    else:
        upper = upper.filter(pl.col("overlapping_pairs") > 0).sort(
            "overlapping_pairs", descending=True
        )
        rows = [
            [
                r["label_a"],
                r["label_b"],
                "suppressed" if r["suppressed"] else str(r["overlapping_pairs"]),
                "" if r["sources"] is None else str(r["sources"]),
                "" if r["participants"] is None else str(r["participants"]),
            ]
            for r in upper.iter_rows(named=True)
        ]
        columns = ["theme A", "theme B", "overlapping segments", "sources", "participants"]
        caption = "pairs of coded segments of the two themes whose spans overlap in one source (same coder)"
    return [_table(title, columns, rows, caption, labels=2)]


def saturation_view(frame: Any, title: str, statement: str) -> list[Any]:
    rows = [
        [
            str(r["interview"]),
            r["pseudonym"],
            *([r["participant_id"]] if "participant_id" in frame.columns else []),
            r["order_value"] or "",
            str(r["themes_voiced"]),
            str(r["new_themes"]),
            str(r["cumulative_themes"]),
            "" if r["base_themes"] is None else str(r["base_themes"]),
            "" if r["run_new_themes"] is None else str(r["run_new_themes"]),
            _pct(r["new_information"], 1),
            {True: "yes", False: "no", None: ""}[r["meets_threshold"]],
        ]
        for r in frame.iter_rows(named=True)
    ]
    columns = [
        "interview",
        "participant",
        *(["raw id"] if "participant_id" in frame.columns else []),
        "order",
        "voiced",
        "new",
        "cumulative",
        "base",
        "run new",
        "new info",
        "met",
    ]
    return [_table(title, columns, rows, statement)]


def agreement_view(frame: Any, title: str) -> list[Any]:
    # The notes are long sentences; in an 80-column terminal they squeeze every column to an
    # ellipsis. The table shows a mark per note and explains each mark once, in the caption.
    marks: dict[str, str] = {}
    rows = []
    for r in frame.iter_rows(named=True):
        note = r["note"] or ""
        if note and note not in marks:
            marks[note] = "*" * (len(marks) + 1)
        rows.append(
            [
                "  " * int(r["depth"]) + str(r["label"]),
                str(r["units"]),
                _pct(r["percent_agreement"]),
                _num(r["kappa"]),
                _num(r["alpha"]),
                marks.get(note, ""),
            ]
        )
    caption = (
        "unit = participant × theme, for participants coded by at least two coders; "
        "kappa: Cohen (two coders only); alpha: Krippendorff (nominal)"
    )
    for note, mark in marks.items():
        caption += f"\n{mark} {note}"
    return [_table(title, ["theme", "units", "agree", "kappa", "alpha", ""], rows, caption)]


def prevalence_view(results: Results) -> list[Any]:
    """Prevalence as rich tables: the codebook tree indented, x/n, %, CI, segments."""
    import polars as pl
    from rich.table import Table
    from rich.text import Text

    study, frame = results.study, results.prevalence
    assert frame is not None
    level, method = results.settings.ci_level, results.settings.ci_method
    tables: list[Any] = []
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
        rows: list[tuple[Any, ...]] = []
        for row in part.iter_rows(named=True):
            indent = "  " * int(row["depth"])
            style = "bold" if row["depth"] == 0 else None
            if row["suppressed"]:
                counts, pct, ci = "suppressed", "", ""
            else:
                counts = f"{row['participants']}/{row['denominator']}"
                pct = _pct(row["prevalence"])
                ci = (
                    ""
                    if row["ci_lower"] is None
                    else f"{_pct(row['ci_lower'])}–{_pct(row['ci_upper'])}"
                )
            label = Text(indent + str(row["label"]), style=style or "")
            segments = "" if row["segments"] is None else str(row["segments"])
            rows.append((label, counts, pct, ci, segments))
        # The theme wraps on a narrow terminal; the numbers keep their width (never hidden).
        table.add_column("theme", overflow="fold", ratio=1)
        for i, header in enumerate(["x/n", "%", f"{level:.0%} CI", "segments"], start=1):
            width = _width(header, [r[i] for r in rows])
            table.add_column(header, justify="right", no_wrap=True, min_width=width)
        for cells in rows:
            table.add_row(*cells)
        tables.append(table)
    return tables
