"""Small-cell suppression reaches every format: ``analysis.min_cell: 3`` on the bundled study.

The calciphylaxis example has counts of 1 and 2 (themes voiced by one or two participants,
three men, subgroups of three). With ``min_cell: 3`` none of them, nor a percentage that
reveals one, may appear in the participants, prevalence, differences or joint-display
tables of the HTML, the PDF or the Word document. The study is rendered once for the module.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest

from toolkit.privacy import find_small_cells

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "calciphylaxis"
CHROMIUM = Path("/usr/bin/chromium")
MIN_CELL = 3

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (EXAMPLE / "study.yml").is_file(), reason="example missing"),
]

# Tables whose header starts like this hold participant counts.
COUNT_TABLES = (
    ("Characteristic",),  # participants (cohort) tables
    ("Theme", "Participants", "%"),  # prevalence
    ("Theme", "Group", "Reference"),  # subgroup differences
    ("Theme", "Participants", "Exemplar quotations"),  # joint display
)


@pytest.fixture(scope="module")
def study_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mincell") / "study"
    shutil.copytree(EXAMPLE, folder)
    manifest = folder / "study.yml"
    text = manifest.read_text(encoding="utf-8")
    changed = re.sub(r"(?m)^(\s*min_cell:\s*)\d+", rf"\g<1>{MIN_CELL}", text)
    assert changed != text
    manifest.write_text(changed, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def rendered(study_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CHROMIUM.is_file():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from toolkit.report.build import render_study

    out = tmp_path_factory.mktemp("mincell-report") / "report"
    render_study(study_copy, out_dir=out, formats="html,pdf,docx", engine="pandoc")
    return out


@pytest.fixture(scope="module")
def denominators(study_copy: Path) -> list[int]:
    """The study size and every stratum size the report shows."""
    from toolkit.io.study import load_study
    from toolkit.stats.strata import stratum_frame

    study = load_study(study_copy)
    sizes = {study.n_participants}
    for attribute in study.manifest.analysis.strata:
        frame, _levels = stratum_frame(study, attribute)
        sizes |= set(frame.group_by("stratum_value").len()["len"].to_list())
    return sorted(sizes)


def _is_count_table(header: list[str]) -> bool:
    header = [h.strip() for h in header]
    return any(
        all(h.startswith(p) for h, p in zip(header, prefix, strict=False))
        and len(header) >= len(prefix)
        for prefix in COUNT_TABLES
    )


def test_the_example_has_small_counts_to_hide(study_copy: Path, rendered: Path) -> None:
    """Without this the other tests would pass vacuously."""
    original = pl.read_csv(EXAMPLE / "participants.csv")
    assert (original["sex"] == "Male").sum() == 2 + 1  # three men: strata of 3
    from toolkit.io.study import load_study
    from toolkit.stats.prevalence import prevalence

    unsuppressed = prevalence(load_study(EXAMPLE), by=["disease_status", "sex"])
    small = unsuppressed.filter(pl.col("participants").is_between(1, MIN_CELL - 1))
    assert small.height > 10
    shown = pl.read_csv(rendered / "prevalence.csv")
    assert shown.filter(pl.col("participants").is_between(1, MIN_CELL - 1)).height == 0
    assert shown["participants"].null_count() >= small.height
    assert find_small_cells("voiced by 2/15", min_cell=MIN_CELL) != []


class _Tables(HTMLParser):
    """Collects each <table>'s rows of cell text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.tables:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _check(text: str, denominators: list[int], where: str) -> None:
    hits = find_small_cells(text, min_cell=MIN_CELL, denominators=denominators)
    assert not hits, f"{where}: {hits[:5]}"


def test_html_count_tables_hide_small_cells(rendered: Path, denominators: list[int]) -> None:
    parser = _Tables()
    parser.feed((rendered / "report.html").read_text(encoding="utf-8"))
    chosen = [t for t in parser.tables if t and _is_count_table(t[0])]
    assert len(chosen) >= 5  # two participants tables, prevalence, differences, joint display
    text = "\n".join(" | ".join(row) for table in chosen for row in table[1:])
    assert "suppressed" in text
    _check(text, denominators, "HTML")


def test_docx_count_tables_hide_small_cells(rendered: Path, denominators: list[int]) -> None:
    import docx

    document = docx.Document(str(rendered / "report.docx"))
    chosen = [t for t in document.tables if _is_count_table([c.text for c in t.rows[0].cells])]
    assert len(chosen) >= 5
    text = "\n".join(" | ".join(c.text for c in row.cells) for t in chosen for row in t.rows[1:])
    assert "suppressed" in text
    _check(text, denominators, "DOCX")


def test_pdf_count_tables_hide_small_cells(rendered: Path, denominators: list[int]) -> None:
    text = subprocess.run(
        ["pdftotext", "-layout", str(rendered / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # Page footers ("raremix 0.1.0 … 3 / 9") are page numbers, not counts.
    text = re.sub(r"raremix \d[\w.+-]*\s+\d+\s*/\s*\d+", " ", text)
    # From the participants tables to the end of the joint display (the count tables and
    # their figures); the co-occurrence and saturation figures in between are checked too.
    start = text.index("Participants overall and by")
    end = text.index("Coder agreement")
    part = text[start:end]
    assert "suppressed" in part
    _check(part, denominators, "PDF")


# --- the rest of the study report: co-occurrence, the re-identification callout ------------


def test_cooccurrence_hides_what_the_prevalence_table_hid(rendered: Path) -> None:
    """participants_a/_b are overall theme counts: blank where prevalence blanked them."""
    prevalence = pl.read_csv(rendered / "prevalence.csv")
    overall = prevalence.filter(pl.col("stratum_variable").is_null())
    hidden = set(overall.filter(pl.col("suppressed"))["code_id"].to_list())
    cooc = pl.read_csv(rendered / "cooccurrence.csv")
    involved = cooc.filter(
        pl.col("code_a").is_in(list(hidden)) | pl.col("code_b").is_in(list(hidden))
    )
    assert involved.height > 0  # the example has such themes at the co-occurrence depth
    for column in ("participants_a", "participants_b", "participants_both"):
        assert involved[column].null_count() == involved.height, column
        small = cooc.filter(pl.col(column).is_between(1, MIN_CELL - 1))
        assert small.height == 0, column


def test_cooccurrence_hides_a_theme_hidden_as_a_complement(study_copy: Path) -> None:
    """A theme voiced by 6 (not small) whose overall row the prevalence table hid as a
    complement: its co-occurrence counts (the diagonal is that very count) are hidden too."""
    from toolkit.analysis import analyse_study, load
    from toolkit.analysis.gate import PARTICIPANT_COOCCURRENCE_COUNTS, suppress_pairs
    from toolkit.stats.cooccurrence import participant_cooccurrence

    study, settings = load(study_copy)
    protected_once = analyse_study(study, settings)
    # the gate's co-occurrence rule again, on the raw co-occurrence
    cooc = participant_cooccurrence(study, depth=protected_once.theme_depth)
    big = cooc.filter(
        (pl.col("code_a") == pl.col("code_b")) & (pl.col("participants_both") >= MIN_CELL)
    )["code_a"][0]
    before = cooc.filter((pl.col("code_a") == big) | (pl.col("code_b") == big))
    assert before["participants_both"].drop_nulls().len() > 0  # shown until the mask applies
    protected = suppress_pairs(cooc, PARTICIPANT_COOCCURRENCE_COUNTS, {big}, MIN_CELL)
    assert protected is not None
    rows = protected.filter((pl.col("code_a") == big) | (pl.col("code_b") == big))
    assert rows.height == before.height
    for column in ("participants_a", "participants_b", "participants_both", "jaccard"):
        assert rows[column].null_count() == rows.height, column


def test_reidentification_callout_in_every_format(rendered: Path) -> None:
    import docx

    html = (rendered / "report.html").read_text(encoding="utf-8")
    assert 'class="privacy-callout"' in html and "Re-identification check" in html
    assert "privacy.k = 3" in html and f"min_cell = {MIN_CELL}" in html
    # above the first participants table
    assert html.index("Re-identification check") < html.index("Participants overall and by")
    pdf = subprocess.run(
        ["pdftotext", str(rendered / "report.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Re-identification check" in pdf
    words = " ".join(p.text for p in docx.Document(str(rendered / "report.docx")).paragraphs)
    assert "Re-identification check" in words


def test_cohort_tables_show_no_range_and_no_small_subgroup_size(rendered: Path) -> None:
    parser = _Tables()
    parser.feed((rendered / "report.html").read_text(encoding="utf-8"))
    cohort = [t for t in parser.tables if t and t[0][0].startswith("Characteristic")]
    assert len(cohort) >= 2
    for table in cohort:
        assert not any(row[0] == "range" for row in table)
        for header in table[0][1:]:
            match = re.search(r"\(n=(\d+)\)", header)
            assert match is None or not 1 <= int(match.group(1)) < MIN_CELL, header
    assert "Ranges are not shown" in (rendered / "report.html").read_text(encoding="utf-8")


# --- the comparison: default min_cell 5, whatever the studies' own (3 here) ------------------

ERY = REPO / "examples" / "erythromelalgia"
CROSSWALK = REPO / "examples" / "crosswalk.csv"
COMPARE_MIN_CELL = 5
COMPARE_DENOMINATORS = [15, 24, 39]
#: Columns that hold no participant count (estimates, intervals, heterogeneity).
NOT_COUNTS = ("Pooled", "I²", "Difference", "95% CI")


@pytest.fixture(scope="module")
def compared(study_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CHROMIUM.is_file():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from toolkit.report.build import render_comparison

    out = tmp_path_factory.mktemp("mincell-compare") / "comparison"
    render_comparison(
        [study_copy, ERY],
        crosswalk=CROSSWALK,
        out_dir=out,
        formats="html,pdf,docx",
        engine="pandoc",
    )
    return out


def _count_columns(table: list[list[str]]) -> str:
    """The table's cells under count-bearing headers, one line per row."""
    header = table[0]
    keep = [i for i, h in enumerate(header) if not h.strip().startswith(NOT_COUNTS)]
    return "\n".join(" | ".join(row[i] for i in keep if i < len(row)) for row in table[1:])


def _comparison_tables(tables_: list[list[list[str]]]) -> list[list[list[str]]]:
    return [t for t in tables_ if t and not t[0][0].startswith(("Input", "Setting"))]


def _compare_check(text: str, where: str) -> None:
    hits = find_small_cells(text, min_cell=COMPARE_MIN_CELL, denominators=COMPARE_DENOMINATORS)
    assert not hits, f"{where}: {hits[:5]}"


def test_comparison_tables_would_show_small_counts_without_suppression(study_copy: Path) -> None:
    """The same scan finds small counts when the comparison is built with min_cell 0."""
    from toolkit.compare import compare
    from toolkit.io.crosswalk import read_crosswalk
    from toolkit.io.study import load_study
    from toolkit.report.comparison import build_comparison_report
    from toolkit.report.spec import Table

    studies = [load_study(study_copy), load_study(ERY)]
    texts = {}
    for k in (0, None):
        comparison = compare(studies, crosswalk=read_crosswalk(CROSSWALK), min_cell=k)
        report = build_comparison_report(studies, comparison)
        found = [
            [list(b.columns), *[list(r) for r in b.rows]]
            for s in report.sections
            for b in s.blocks
            if isinstance(b, Table)
        ]
        texts[k] = "\n".join(_count_columns(t) for t in _comparison_tables(found))
    assert find_small_cells(texts[0], min_cell=5, denominators=COMPARE_DENOMINATORS) != []
    _compare_check(texts[None], "comparison tables")


def test_comparison_html_docx_pdf_hold_no_small_count(compared: Path) -> None:
    import docx

    html = (compared / "report.html").read_text(encoding="utf-8")
    parser = _Tables()
    parser.feed(html)
    chosen = _comparison_tables(parser.tables)
    assert len(chosen) >= 4  # cohorts, prevalence, differences, not compared
    text = "\n".join(_count_columns(t) for t in chosen)
    assert "suppressed (fewer than 5)" in text
    _compare_check(text, "comparison HTML")
    assert "min_cell = 5" in html

    document = docx.Document(str(compared / "report.docx"))
    found = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    text = "\n".join(_count_columns(t) for t in _comparison_tables(found))
    assert "suppressed" in text
    _compare_check(text, "comparison DOCX")

    pdf = subprocess.run(
        ["pdftotext", "-layout", str(compared / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pdf = re.sub(r"raremix \d[\w.+-]*\s+\d+\s*/\s*\d+", " ", pdf)
    assert "suppressed" in pdf
    # Layout text mixes estimates with counts: look for x/n and n = x (no percentages).
    hits = find_small_cells(pdf, min_cell=COMPARE_MIN_CELL)
    assert not hits, hits[:5]


def test_comparison_csv_results_hold_no_small_count(compared: Path) -> None:
    table = pl.read_csv(compared / "comparison.csv")
    assert table["suppressed"].any()
    for name, columns in (
        ("comparison.csv", ("participants", "denominator", "segments")),
        ("not_compared.csv", ("participants", "denominator")),
        (
            "differences.csv",
            ("participants_cohort", "participants_reference"),
        ),
    ):
        frame = pl.read_csv(compared / name)
        for column in columns:
            assert frame.filter(pl.col(column).is_between(1, COMPARE_MIN_CELL - 1)).height == 0, (
                name,
                column,
            )
