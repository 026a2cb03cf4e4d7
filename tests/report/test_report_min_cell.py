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
    ("Theme", "Comparison", "Group"),  # subgroup differences
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
