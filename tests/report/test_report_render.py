"""End to end: render the bundled calciphylaxis report and read every format back.

HTML is checked in headless Chromium (playwright), the PDF with poppler (pdftotext,
pdftoppm), the DOCX with python-docx; every number of the prevalence table must appear as
the CSV results say.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.report import tables

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "calciphylaxis"
CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (EXAMPLE / "study.yml").is_file(), reason="examples/calciphylaxis missing"
    ),
]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CHROMIUM.is_file():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from toolkit.report.build import render_study

    out = tmp_path_factory.mktemp("report") / "calciphylaxis"
    render_study(EXAMPLE, out_dir=out, formats="html,pdf,docx", engine="pandoc")
    return out


def _expected_strings(folder: Path) -> list[str]:
    prevalence = pl.read_csv(folder / "prevalence.csv").filter(pl.col("stratum_variable").is_null())
    assert prevalence.height > 10
    found = []
    for row in prevalence.iter_rows(named=True):
        found.append(f"{row['participants']}/{row['denominator']}")
        found.append(tables.pct(row["prevalence"], n=row["denominator"]))
        found.append(tables.ci(row["ci_lower"], row["ci_upper"], n=row["denominator"]))
    return found


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_writes_every_output(rendered: Path) -> None:
    for name in (
        "report.html",
        "report.pdf",
        "report.docx",
        "report.qmd",
        "prevalence.csv",
        "differences.csv",
        "cooccurrence.csv",
        "saturation.csv",
        "agreement.csv",
    ):
        assert (rendered / name).is_file(), name
    assert sorted(p.name for p in (rendered / "figures").iterdir()) == sorted(
        f"{n}.{e}"
        for n in ("prevalence", "differences", "cooccurrence", "saturation")
        for e in ("pdf", "png")
    )
    assert not list(rendered.parent.glob(".calciphylaxis.*"))  # no staging folder left


def test_pdf_numbers_equal_csv(rendered: Path) -> None:
    text = _squash(
        subprocess.run(
            ["pdftotext", "-layout", str(rendered / "report.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    missing = [s for s in _expected_strings(rendered) if s not in text]
    assert not missing, missing[:10]
    assert "SYNTHETIC DATA" in text
    assert "MONDO:0017215" in text


def test_pdf_pages_are_drawn(rendered: Path, tmp_path: Path) -> None:
    info = subprocess.run(
        ["pdfinfo", str(rendered / "report.pdf")], capture_output=True, text=True, check=True
    ).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    assert 5 <= pages <= 20
    subprocess.run(
        ["pdftoppm", "-gray", "-r", "20", str(rendered / "report.pdf"), str(tmp_path / "p")],
        check=True,
    )
    images = sorted(tmp_path.glob("p-*.pgm"))
    assert len(images) == pages
    for image in images:
        data = image.read_bytes()
        # PGM: header of three lines, then one byte per pixel; count non-white pixels.
        pixels = np.frombuffer(data.split(b"\n", 3)[3], dtype=np.uint8)
        assert (pixels < 200).mean() > 0.01, f"{image.name} looks blank"
    # Figures are vector: the only raster is the heatmap's cell grid (plotly draws it as one
    # image); dots, lines and text are vector.
    listing = subprocess.run(
        ["pdfimages", "-list", str(rendered / "report.pdf")], capture_output=True, text=True
    )
    if listing.returncode == 0:
        rows = [line.split() for line in listing.stdout.strip().splitlines()[2:]]
        assert len([r for r in rows if r[2] == "image"]) <= 1


def test_docx_numbers_equal_csv_in_native_tables(rendered: Path) -> None:
    import docx

    document = docx.Document(str(rendered / "report.docx"))
    assert len(document.tables) >= 5
    cells = " ".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    paragraphs = " ".join(p.text for p in document.paragraphs)
    text = _squash(cells + " " + paragraphs)
    missing = [s for s in _expected_strings(rendered) if s not in text]
    assert not missing, missing[:10]
    assert len(document.inline_shapes) == 4  # the four figures, as PNG
    assert "SYNTHETIC DATA" in text


@pytest.mark.browser
def test_html_draws_every_figure_offline_without_errors(rendered: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    html = rendered / "report.html"
    source = html.read_text(encoding="utf-8")
    assert source.count("plotly.js v") <= 2  # plotly.js inlined once (its banner comment)
    assert '<script src="http' not in source and "<link" not in source
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-default-apps",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(html.as_uri(), wait_until="load")
        page.wait_for_timeout(500)
        figures = page.locator("div.plotly-graph-div").count()
        drawn = page.evaluate(
            "Array.from(document.querySelectorAll('div.plotly-graph-div'))"
            ".filter(d => d.querySelector('svg.main-svg')).length"
        )
        text = page.inner_text("body")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=False)
        browser.close()
    assert figures == 4
    assert drawn == figures
    assert not errors, errors
    outside = [u for u in requests if not u.startswith(("data:", "about:")) and u != html.as_uri()]
    assert not outside, outside
    squashed = _squash(text)
    missing = [s for s in _expected_strings(rendered) if s not in squashed]
    assert not missing, missing[:10]
    assert "SYNTHETIC DATA" in squashed


def test_html_alone_needs_no_browser(tmp_path: Path) -> None:
    from toolkit.report.build import render_study

    done = render_study(EXAMPLE, out_dir=tmp_path / "r", formats="html", engine="pandoc")
    assert set(done.files) == {"html", "qmd"}
    assert not (tmp_path / "r" / "figures").exists()  # kaleido never ran
    assert done.timings["figures"] < 0.05


def test_a_failure_leaves_the_previous_report_intact(tmp_path: Path) -> None:
    from toolkit.report.render import render_report
    from toolkit.report.spec import FigureBlock, Report, Section

    out = tmp_path / "r"
    out.mkdir()
    (out / "report.html").write_text("previous", encoding="utf-8")
    broken = Report(
        kind="study",
        slug="x",
        title="t",
        subtitle="s",
        date="d",
        synthetic=False,
        version="0",
        sections=(Section("a", "A", (FigureBlock("f", object(), "caption"),)),),
    )
    with pytest.raises(Exception):  # noqa: B017 - any failure must leave the old folder
        render_report(broken, out, formats=["html"], engine="pandoc")
    assert (out / "report.html").read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_cli_invalid_study_writes_nothing(tmp_path: Path) -> None:
    study = tmp_path / "study"
    shutil.copytree(EXAMPLE, study)
    with (study / "codings.csv").open("a", encoding="utf-8") as handle:
        handle.write("P99,pain,made up,x.txt,1,2,coder_a\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["report", str(study), "-o", str(out), "--format", "html"])
    assert result.exit_code == 1
    assert "Error: codings.csv:" in result.output and "P99" in result.output
    assert not out.exists()


def test_cli_report_html(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["report", str(EXAMPLE), "-o", str(out), "--format", "html", "--engine", "pandoc"]
    )
    assert result.exit_code == 0, result.output
    assert f"html: {out / 'report.html'}" in result.output
    assert (out / "report.qmd").read_text(encoding="utf-8").count("::: {.figure #fig-") == 4


def test_cli_compare_html(tmp_path: Path) -> None:
    other = REPO / "examples" / "erythromelalgia"
    if not (other / "study.yml").is_file():
        pytest.skip("examples/erythromelalgia missing")
    out = tmp_path / "cmp"
    result = CliRunner().invoke(
        main,
        [
            "report",
            "--compare",
            str(EXAMPLE),
            str(other),
            "--crosswalk",
            str(REPO / "examples" / "crosswalk.csv"),
            "-o",
            str(out),
            "--format",
            "html",
        ],
    )
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    table = pl.read_csv(out / "comparison.csv")
    cohorts = table.filter(pl.col("cohort") != "pooled", pl.col("prevalence").is_not_null())
    assert cohorts.height > 3
    for row in cohorts.iter_rows(named=True):
        assert tables.pct(row["prevalence"], n=row["denominator"]) in html
    # Two cohorts: no pooled estimate, said in words (issue 12).
    assert "No pooled estimate" in html
    assert "Not compared" in html or "not compared" in html.lower()
    assert "SYNTHETIC DATA" in html


def test_quarto_engine(tmp_path: Path) -> None:
    from toolkit.report.render import quarto_executable

    if quarto_executable() is None:
        pytest.skip(
            "no quarto executable on PATH (QUARTO_PATH unset): the Quarto path is untested here"
        )
    from toolkit.report.build import render_study

    done = render_study(EXAMPLE, out_dir=tmp_path / "q", formats="html,pdf,docx", engine="quarto")
    assert all(path.is_file() for path in done.files.values())
