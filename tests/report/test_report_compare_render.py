"""End to end: render the bundled comparison once (HTML, PDF, DOCX) and read every format back.

Every per-cohort x/n (%), every pooled estimate with its interval and I², and every
difference between cohorts with its interval must appear in the PDF text (pdftotext) and
in the Word document (python-docx) exactly as the CSV results say; the PDF pages must be
drawn (pdftoppm), and the figures must be legible: one forest plot per domain.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from toolkit.report import tables

REPO = Path(__file__).resolve().parents[2]
STUDIES = [REPO / "examples" / "calciphylaxis", REPO / "examples" / "erythromelalgia"]
CROSSWALK = REPO / "examples" / "crosswalk.csv"
CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not all((s / "study.yml").is_file() for s in STUDIES) or not CROSSWALK.is_file(),
        reason="bundled examples missing",
    ),
]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CHROMIUM.is_file():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from toolkit.report.build import render_comparison

    out = tmp_path_factory.mktemp("compare") / "comparison"
    render_comparison(
        STUDIES, crosswalk=CROSSWALK, out_dir=out, formats="html,pdf,docx", engine="pandoc"
    )
    return out


def _expected_strings(folder: Path) -> list[str]:
    """What the CSV results say the report must print, formatted by the one formatter."""
    table = pl.read_csv(folder / "comparison.csv")
    cohorts = table.filter(
        (pl.col("cohort") != "pooled") & pl.col("mapped") & pl.col("participants").is_not_null()
    )
    pooled = table.filter((pl.col("cohort") == "pooled") & pl.col("prevalence").is_not_null())
    differences = pl.read_csv(folder / "differences.csv").filter(pl.col("difference").is_not_null())
    # Two cohorts: the report shows no pooled estimate (issue 12), whatever the CSV holds.
    assert cohorts.height > 20 and differences.height > 10
    assert table["cohort"].n_unique() - ("pooled" in table["cohort"].to_list()) == 2
    pooled = pooled.clear()
    found = [
        f"{r['participants']}/{r['denominator']} ({tables.pct(r['prevalence'], n=r['denominator'])})"
        for r in cohorts.iter_rows(named=True)
    ]
    found += [
        f"{tables.pct(r['prevalence'])} ({tables.ci(r['ci_lower'], r['ci_upper'])})"
        for r in pooled.iter_rows(named=True)
    ]
    found += [tables.pct(r["i2"], digits=0) for r in pooled.iter_rows(named=True)]
    for r in differences.iter_rows(named=True):
        found.append(tables.points(r["difference"]))
        found.append(tables.points_ci(r["ci_lower"], r["ci_upper"]))
    return found


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _pdf_text(path: Path) -> str:
    return _squash(
        subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    )


def test_writes_every_output_and_one_forest_per_domain(rendered: Path) -> None:
    for name in ("report.html", "report.pdf", "report.docx", "report.qmd", "comparison.csv"):
        assert (rendered / name).is_file(), name
    table = pl.read_csv(rendered / "comparison.csv")
    compared_domains = (
        table.filter((pl.col("depth") == 0) & pl.col("comparable") & pl.col("mapped"))
        .get_column("theme_id")
        .unique()
        .len()
    )
    forests = sorted((rendered / "figures").glob("forest-*.pdf"))
    assert len(forests) == compared_domains >= 2


def test_pdf_numbers_equal_csv(rendered: Path) -> None:
    text = _pdf_text(rendered / "report.pdf")
    missing = [s for s in _expected_strings(rendered) if s not in text]
    assert not missing, missing[:10]
    assert "SYNTHETIC DATA" in text
    assert "MONDO:0017215" in text and "ORPHA:90026" in text
    # Codes that map to no shared theme are listed, not dropped.
    not_compared = pl.read_csv(rendered / "not_compared.csv")
    assert not_compared.height >= 1
    assert all(label in text for label in not_compared["label"].to_list())


def test_pdf_pages_are_drawn_and_synthetic_on_every_page(rendered: Path, tmp_path: Path) -> None:
    pdf = rendered / "report.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))  # type: ignore[union-attr]
    assert 4 <= pages <= 15
    for page in range(1, pages + 1):
        text = subprocess.run(
            ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "SYNTHETIC DATA" in text, f"page {page} does not say SYNTHETIC DATA"
    subprocess.run(["pdftoppm", "-gray", "-r", "20", str(pdf), str(tmp_path / "p")], check=True)
    images = sorted(tmp_path.glob("p-*.pgm"))
    assert len(images) == pages
    for image in images:
        pixels = np.frombuffer(image.read_bytes().split(b"\n", 3)[3], dtype=np.uint8)
        assert (pixels < 200).mean() > 0.01, f"{image.name} looks blank"


def test_docx_numbers_equal_csv(rendered: Path) -> None:
    import docx

    document = docx.Document(str(rendered / "report.docx"))
    cells = " ".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    paragraphs = " ".join(p.text for p in document.paragraphs)
    text = _squash(cells + " " + paragraphs)
    missing = [s for s in _expected_strings(rendered) if s not in text]
    assert not missing, missing[:10]
    assert len(document.inline_shapes) == len(list((rendered / "figures").glob("*.png")))
    # The banner paragraph in its own style, and a page header on every page.
    banners = [
        p for p in document.paragraphs if p.style is not None and p.style.name == "Synthetic Banner"
    ]
    assert banners and banners[0].text.startswith("SYNTHETIC DATA")
    assert all("SYNTHETIC DATA" in s.header.paragraphs[0].text for s in document.sections)
    width = document.sections[0].page_width
    assert width is not None and abs(width.cm - 21.0) < 0.1  # A4


def test_html_numbers_equal_csv(rendered: Path) -> None:
    html = (rendered / "report.html").read_text(encoding="utf-8")
    body = html.split("</head>", 1)[1]
    text = _squash(re.sub(r"<[^>]+>", " ", body))
    missing = [s for s in _expected_strings(rendered) if s not in text]
    assert not missing, missing[:10]
    assert html.count('class="synthetic-ribbon"') == 1
