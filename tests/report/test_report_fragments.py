"""Fragment snapshots of rendered pieces, and the formatting rules.

The snapshots (markdown with its raw typst and HTML blocks) are stored by syrupy in
``__snapshots__/test_report_fragments.ambr``. A change in a template or a writer fails here;
when the change is meant, update them on purpose and review the diff:
``.venv/bin/python -m pytest tests/report/test_report_fragments.py --snapshot-update``.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from syrupy.assertion import SnapshotAssertion

from toolkit.report import figures, tables
from toolkit.report.qmd import NBSP, escape, escape_typst, grid_table, pipe_table, write_qmd
from toolkit.report.spec import (
    Banner,
    Bullets,
    Callout,
    JointDisplay,
    JointRow,
    Note,
    Paragraph,
    Report,
    Section,
    Table,
)


def test_escape_keeps_text_literal() -> None:
    assert escape("*pain* | [note] <b> $5 @P01") == r"\*pain\* \| \[note\] \<b\> \$5 \@P01"
    assert escape("1. first") == r"1\. first"
    assert escape("a\n  b") == "a b"


def test_pipe_table_snapshot(snapshot: SnapshotAssertion) -> None:
    table = Table(
        name="t",
        caption="c",
        columns=("Theme", "x/n"),
        rows=(("Pain", "13/15"), ("Severe *pain*", "12/15")),
        align=("l", "r"),
        indent=(0, 1),
    )
    text = pipe_table(table)
    assert text == snapshot
    lines = text.split("\n")
    assert lines[0].rstrip() == "| Theme | x/n |"
    # Dashes in proportion to the widths: the longest first cell (16 characters with its
    # indent) against the header word "x/n" plus 3 and 3 characters of air for a number
    # column (9): 58 and 32 of 90.
    assert lines[1] == "|:" + "-" * 58 + "-|-" + "-" * 32 + ":|"
    assert lines[2] == "| Pain | 13/15 |"
    # Indentation is the cell's own structure (a level span the filter styles), never spaces.
    assert lines[3] == "| [Severe \\*pain\\*]{.level-1} | 12/15 |"
    assert NBSP not in text


def test_grid_table_snapshot(snapshot: SnapshotAssertion) -> None:
    # Words wrap at the width, never inside a word; paragraphs stay apart; left-aligned.
    text = grid_table(("A", "B"), [[["one"], ["two words", "second"]]], (5, 5))
    assert text == snapshot
    assert text == (
        "+-------+--------+\n"
        "| A     | B      |\n"
        "+:======+:=======+\n"
        "| one   | two    |\n"
        "|       | words  |\n"
        "|       |        |\n"
        "|       | second |\n"
        "+-------+--------+"
    )


def test_banner_and_title_block_snapshot(snapshot: SnapshotAssertion) -> None:
    report = Report(
        kind="study",
        slug="s",
        title="A *study*",
        subtitle="Calciphylaxis (MONDO:0017215)",
        date="2025-01-01",
        synthetic=True,
        version="9.9",
        sections=(Section("summary", "Key findings", ()),),
        preamble=(Banner("SYNTHETIC DATA: invented."),),
    )
    qmd = write_qmd(report)
    assert qmd == snapshot
    assert qmd.startswith(
        '---\ntitle: "A \\\\*study\\\\*"\nsubtitle: "Calciphylaxis (MONDO:0017215)"\n'
    )
    assert "synthetic: true\n" in qmd
    assert (
        '::: {.content-visible when-format="html"}\n::: {.synthetic-banner}\nSYNTHETIC DATA: invented.\n:::'
        in qmd
    )
    assert '<div class="synthetic-ribbon" aria-hidden="true">SYNTHETIC DATA</div>' in qmd
    assert '::: {custom-style="Synthetic Banner"}\nSYNTHETIC DATA: invented.\n:::' in qmd
    assert '#text(weight: "bold", fill: rgb("#8a3100"))[SYNTHETIC DATA: invented.]' in qmd
    assert "## Key findings {#summary}" in qmd


def _every_block(kind: str) -> Report:
    """A report with one of each block kind but figures (plotly's HTML is plotly's)."""
    table = Table(
        name="prevalence",
        caption="Participants voicing each theme (x/n, 95% CI).",
        columns=("Theme", "x/n", "95% CI"),
        rows=(("Pain", "13/15", "62–96%"), ("Night pain", "suppressed", "–")),
        align=("l", "r", "r"),
        indent=(0, 1),
    )
    joint = JointDisplay(
        caption="Themes beside what participants said.",
        rows=(
            JointRow("Pain", "13/15", (("It burns *all* night", "P01"), ("Like [fire]", "P07"))),
            JointRow("Fear", "suppressed", ()),
        ),
    )
    findings = Section(
        "findings",
        "Findings",
        (Paragraph("Pain was the most common theme: 13 of 15."), table),
        subsections=(
            Section("joint", "Themes and quotes", (joint,)),
            Section("notes", "Notes", (Bullets(("One.", "Two $5 <b>.")), Note("A note."))),
        ),
    )
    risk = Section(
        "privacy",
        "Privacy",
        (Callout("Re-identification check", "2 participants share [sex, age band]: # #"),),
    )
    return Report(
        kind=kind,
        slug="s",
        title="Every block",
        subtitle="Calciphylaxis",
        date="2025-01-01",
        synthetic=True,
        version="9.9",
        sections=(findings, risk),
        preamble=(Banner("SYNTHETIC DATA: invented."),),
    )


@pytest.mark.parametrize("kind", ["study", "compare"])
def test_every_block_kind_snapshot(kind: str, snapshot: SnapshotAssertion) -> None:
    qmd = write_qmd(_every_block(kind))
    assert qmd == snapshot
    # The typst fragments are escaped for typst, the markdown for pandoc.
    assert escape_typst("2 participants share [sex, age band]: # #") in qmd
    assert escape("It burns *all* night") in qmd


def test_typst_escape_snapshot(snapshot: SnapshotAssertion) -> None:
    assert escape_typst('*bold* _under_ [link] #fn $math$ @ref <lbl> \\ "q" `raw`') == snapshot


@pytest.mark.parametrize(
    ("value", "expected"), [(0.8, "80.0%"), (2 / 3, "66.7%"), (0.0, "0.0%"), (None, "–")]
)
def test_pct(value: float | None, expected: str) -> None:
    assert tables.pct(value) == expected


def test_points_and_p() -> None:
    assert tables.points(-0.2222) == "−22.2"
    assert tables.points(0.5) == "+50.0"
    assert tables.points_ci(-0.1, 0.25) == "−10.0 to +25.0"
    assert tables.pvalue(0.0004) == "<0.001"
    assert tables.pvalue(0.04567) == "0.046"


def test_prevalence_figure_draws_every_theme_with_interval() -> None:
    frame = pl.DataFrame(
        {
            "label": ["Pain", "Fear", "Hidden"],
            "domain": ["Body", "Mind", "Mind"],
            "participants": [12, 3, None],
            "denominator": [15, 15, 15],
            "prevalence": [0.8, 0.2, None],
            "ci_lower": [0.548, 0.07, None],
            "ci_upper": [0.93, 0.452, None],
        }
    )
    fig = figures.prevalence_dots(frame, ci_label="95% CI")
    # Suppressed themes are drawn (open grey marker) and named in the legend (issue 12).
    assert [t.name for t in fig.data] == ["Body", "Mind", "suppressed (small count)"]
    body = fig.data[0]
    assert list(body.x) == [80.0]
    assert body.error_x.array[0] == pytest.approx(13.0)
    assert body.error_x.arrayminus[0] == pytest.approx(25.2)
    assert fig.layout.xaxis.title.text == "participants (%)"
    assert {t.marker.color for t in fig.data[:2]} <= set(figures.OKABE_ITO)
    # A suppressed row keeps its place, at 0 with no interval; domains are heading rows.
    labels = list(fig.layout.yaxis.ticktext)
    assert labels == ["<b>Body</b>", "Pain", "<b>Mind</b>", "Fear", "Hidden"]
    assert list(fig.data[2].y) == [labels.index("Hidden")] and list(fig.data[2].x) == [0.0]
    assert labels.index("Hidden") not in list(fig.data[1].y)


def _cohort_table(
    people: pl.DataFrame,
    spec: dict[str, Any],
    *,
    groups: list[tuple[str, pl.DataFrame]],
    min_cell: int,
    caption: str,
    name: str,
) -> Table:
    """The participants table as the study report makes it: raw statistics
    (toolkit.stats.cohort), the disclosure gate, then the layout (toolkit.report.tables)."""
    from toolkit.analysis.gate import protect_cohort
    from toolkit.stats.cohort import describe

    frame = protect_cohort(describe(people, spec, groups), min_cell)
    return tables.cohort_table(frame, min_cell=min_cell, caption=caption, name=name)


def test_cohort_table_suppresses_small_counts_with_a_complement() -> None:
    from toolkit.model import AttributeSpec

    people = pl.DataFrame(
        {"participant_id": [f"P{i}" for i in range(10)], "sex": ["F"] * 8 + ["M"] * 2}
    )
    spec = {"sex": AttributeSpec(name="sex", type="categorical", levels=("F", "M"))}
    table = _cohort_table(
        people, spec, groups=[("Overall", people)], min_cell=3, caption="c", name="n"
    )
    cells = {row[0]: row[1] for row in table.rows}
    # 2 men is small; hiding it alone would leave it derivable from 10 - 8: both hidden.
    assert cells["M"] == "suppressed" and cells["F"] == "suppressed"
    open_table = _cohort_table(
        people, spec, groups=[("Overall", people)], min_cell=0, caption="c", name="n"
    )
    assert {row[0]: row[1] for row in open_table.rows}["M"] == "2 (20%)"


def _determined(equations: list[dict[str, int]], hidden: set[str]) -> set[str]:
    """Hidden cells that the equations (cell -> coefficient, all = 0) pin down exactly, by
    rank: a cell is determined iff adding its unit row does not raise the rank of the
    equations restricted to the hidden cells (independent of toolkit.privacy's QR)."""
    import numpy as np

    names = sorted(hidden)
    index = {n: i for i, n in enumerate(names)}
    rows = [[eq.get(n, 0) for n in names] for eq in equations if any(c in hidden for c in eq)]
    if not rows:
        return set()
    matrix = np.array(rows, dtype=float)
    rank = np.linalg.matrix_rank(matrix)
    found = set()
    for name in names:
        unit = np.zeros(len(names))
        unit[index[name]] = 1.0
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            found.add(name)
    return found


def test_cohort_table_hides_complements_across_strata() -> None:
    """Overall men 5 = 2 (A, hidden) + 3 (B, shown) would give the hidden 2 away."""
    from toolkit.model import AttributeSpec

    sex = ["F"] * 5 + ["M"] * 2 + ["F"] * 3 + ["M"] * 3
    status = ["A"] * 7 + ["B"] * 6
    people = pl.DataFrame(
        {"participant_id": [f"P{i:02d}" for i in range(13)], "sex": sex, "status": status}
    )
    spec = {"sex": AttributeSpec(name="sex", type="categorical", levels=("F", "M"))}
    groups = [("Overall", people)] + [(s, people.filter(pl.col("status") == s)) for s in ("A", "B")]
    table = _cohort_table(people, spec, groups=groups, min_cell=3, caption="c", name="n")
    cells = {row[0]: row[1:] for row in table.rows}
    assert cells["M"][1] == "suppressed"
    # Every shown count and the group sizes as equations: overall = A + B per level, and
    # each group's levels add up to its size.
    shown: dict[str, int] = {}
    hidden: set[str] = set()
    for level in ("F", "M"):
        for g, name in enumerate(("O", "A", "B")):
            key = f"{level}{name}"
            text = cells[level][g]
            if text == "suppressed":
                hidden.add(key)
            else:
                shown[key] = int(text.split()[0])
    sizes = {"O": 13, "A": 7, "B": 6}
    equations = [{"FO": 1, "FA": -1, "FB": -1}, {"MO": 1, "MA": -1, "MB": -1}]
    equations += [{f"F{g}": 1, f"M{g}": 1} for g in sizes]  # = size, a known constant
    assert hidden and not _determined(equations, hidden)
    for text in (c for row in cells.values() for c in row if c):
        if text != "suppressed":
            assert not 1 <= int(text.split()[0]) < 3
    # The same check finds the leak of hiding per column only (the previous behaviour).
    assert _determined(equations, {"MA", "FA"}) == {"MA", "FA"}


def test_cohort_table_hides_small_strata_missing_counts_and_ranges() -> None:
    from toolkit.model import AttributeSpec

    people = pl.DataFrame(
        {
            "participant_id": [f"P{i:02d}" for i in range(12)],
            "status": ["A"] * 6 + ["B"] * 4 + ["C"] * 2,
            "age": [30.0, 41, 52, 63, 74, None, 35, 46, 57, 68, 79, 80],
        }
    )
    spec = {"age": AttributeSpec(name="age", type="numeric")}
    groups = [("Overall", people)] + [
        (s, people.filter(pl.col("status") == s)) for s in ("A", "B", "C")
    ]
    table = _cohort_table(
        people, spec, groups=groups, min_cell=3, caption="Participants.", name="n"
    )
    # C (2 people) is hidden, and with it the next smallest stratum (B): "12 = 6 + ? + ?".
    assert table.columns[1:] == (
        "Overall (n=12)",
        "A (n=6)",
        "B (n suppressed)",
        "C (n suppressed)",
    )
    cells = {row[0]: row[1:] for row in table.rows}
    assert "range" not in cells and "Ranges are not shown" in table.caption
    assert "80" not in " ".join(" ".join(r) for r in table.rows)  # the oldest person's age
    # One missing age (in A) is small: hidden in A and overall (overall = A + B + C).
    assert cells["missing"][0] == "suppressed" and cells["missing"][1] == "suppressed"
    assert cells["mean (SD)"][2] == cells["mean (SD)"][3] == "suppressed"
    open_table = _cohort_table(
        people, spec, groups=groups, min_cell=0, caption="Participants.", name="n"
    )
    opened = {row[0]: row[1:] for row in open_table.rows}
    assert opened["range"][0] == "30–80" and opened["missing"][0] == "1"
    assert open_table.columns[4] == "C (n=2)"
