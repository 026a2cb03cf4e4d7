"""Fragment snapshots of rendered pieces (updated on purpose), and the formatting rules."""

from __future__ import annotations

import polars as pl
import pytest

from toolkit.report import figures, tables
from toolkit.report.qmd import NBSP, escape, grid_table, pipe_table, write_qmd
from toolkit.report.spec import Banner, Report, Section, Table


def test_escape_keeps_text_literal() -> None:
    assert escape("*pain* | [note] <b> $5 @P01") == r"\*pain\* \| \[note\] \<b\> \$5 \@P01"
    assert escape("1. first") == r"1\. first"
    assert escape("a\n  b") == "a b"


def test_pipe_table_snapshot() -> None:
    table = Table(
        name="t",
        caption="c",
        columns=("Theme", "x/n"),
        rows=(("Pain", "13/15"), ("Severe *pain*", "12/15")),
        align=("l", "r"),
        indent=(0, 1),
    )
    lines = pipe_table(table).split("\n")
    assert lines[0].rstrip() == "| Theme | x/n |"
    # Dashes in proportion to the widths: the longest first cell (16 characters with its
    # indent) against the header word "x/n" plus 3 and 3 characters of air for a number
    # column (9): 58 and 32 of 90.
    assert lines[1] == "|:" + "-" * 58 + "-|-" + "-" * 32 + ":|"
    assert lines[2] == "| Pain | 13/15 |"
    assert lines[3] == f"| {NBSP * 3}Severe \\*pain\\* | 12/15 |"


def test_grid_table_snapshot() -> None:
    # Words wrap at the width, never inside a word; paragraphs stay apart; left-aligned.
    text = grid_table(("A", "B"), [[["one"], ["two words", "second"]]], (5, 5))
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


def test_banner_and_title_block_snapshot() -> None:
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
    assert [t.name for t in fig.data] == ["Body", "Mind"]
    body = fig.data[0]
    assert list(body.x) == [80.0]
    assert body.error_x.array[0] == pytest.approx(13.0)
    assert body.error_x.arrayminus[0] == pytest.approx(25.2)
    assert fig.layout.xaxis.title.text == "participants (%)"
    assert {t.marker.color for t in fig.data} <= set(figures.OKABE_ITO)
    # Suppressed rows (null prevalence) are not drawn.
    assert "Hidden" not in list(fig.data[1].y)


def test_cohort_table_suppresses_small_counts_with_a_complement() -> None:
    from toolkit.model import AttributeSpec

    people = pl.DataFrame(
        {"participant_id": [f"P{i}" for i in range(10)], "sex": ["F"] * 8 + ["M"] * 2}
    )
    spec = {"sex": AttributeSpec(name="sex", type="categorical", levels=("F", "M"))}
    table = tables.cohort_table(
        people, spec, groups=[("Overall", people)], min_cell=3, caption="c", name="n"
    )
    cells = {row[0]: row[1] for row in table.rows}
    # 2 men is small; hiding it alone would leave it derivable from 10 - 8: both hidden.
    assert cells["M"] == "suppressed" and cells["F"] == "suppressed"
    open_table = tables.cohort_table(
        people, spec, groups=[("Overall", people)], min_cell=0, caption="c", name="n"
    )
    assert {row[0]: row[1] for row in open_table.rows}["M"] == "2 (20.0%)"
