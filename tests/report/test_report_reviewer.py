"""Issue 12's reviewer rules, read back from the rendered HTML, the PDF's text (pdftotext)
and the Word document's XML, for the study and the comparison report; and the phone-width
layout in a real Chromium (playwright)."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from toolkit.report.checklists import COREQ, SRQR

REPO = Path(__file__).resolve().parents[2]
STUDY = REPO / "examples" / "calciphylaxis"
STUDIES = [STUDY, REPO / "examples" / "erythromelalgia"]
CROSSWALK = REPO / "examples" / "crosswalk.csv"
NBSP = "\u00a0"


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _html_text(path: Path) -> str:
    source = path.read_text(encoding="utf-8")
    source = re.sub(r"<script.*?</script>", " ", source, flags=re.S)
    return _squash(re.sub(r"<[^>]+>", " ", source))


def _pdf_pages(path: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")


def _docx_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("word/document.xml").decode("utf-8")


def _docx_text(xml: str) -> str:
    return _squash(" ".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", xml)))


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from toolkit.report.build import render_study

    out = tmp_path_factory.mktemp("reviewer") / "study"
    render_study(STUDY, out_dir=out, formats="html,pdf,docx", engine="pandoc")
    return out


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from toolkit.report.build import render_comparison

    out = tmp_path_factory.mktemp("reviewer") / "compare"
    render_comparison(
        STUDIES, crosswalk=CROSSWALK, out_dir=out, formats="html,pdf,docx", engine="pandoc"
    )
    return out


def _texts(folder: Path) -> dict[str, str]:
    return {
        "html": _html_text(folder / "report.html"),
        "pdf": _squash(" ".join(_pdf_pages(folder / "report.pdf"))),
        "docx": _docx_text(_docx_xml(folder / "report.docx")),
    }


def test_key_findings_are_descriptive_in_every_format(study: Path) -> None:
    for fmt, text in _texts(study).items():
        findings = text[text.index("Key findings") : text.index("These are counts")]
        # Ties said as ties; no ranking of differences; groups under 10 not summarised.
        assert "were tied as the most often voiced themes" in findings, fmt
        assert "differed most" not in findings and "excludes zero" not in findings, fmt
        assert "fewer than 10 participants" in findings, fmt
        assert "p =" not in findings, fmt


def test_tables_and_figures_numbered_alike_in_every_format(study: Path) -> None:
    texts = _texts(study)
    numbers = {
        fmt: (re.findall(r"Table (\d+)\. ", t), re.findall(r"Figure (\d+)\. ", t))
        for fmt, t in texts.items()
    }
    tables_html, figures_html = numbers["html"]
    assert tables_html == [str(i) for i in range(1, len(tables_html) + 1)]
    assert figures_html == [str(i) for i in range(1, len(figures_html) + 1)]
    assert len(tables_html) >= 8 and len(figures_html) == 4
    # pdftotext repeats nothing; Word and PDF carry the same numbers in the same order.
    assert numbers["pdf"][0] == tables_html and numbers["docx"][0] == tables_html
    assert numbers["pdf"][1] == figures_html and numbers["docx"][1] == figures_html


def test_pdf_table_captions_stay_with_their_tables(study: Path) -> None:
    for page in _pdf_pages(study / "report.pdf"):
        lines = [line for line in page.splitlines() if line.strip()]
        body = lines[:-1]  # the last line is the footer (raremix version, page number)
        for i, line in enumerate(body):
            if re.match(r"\s*Table \d+\. ", line):
                # Something of the table follows the caption on the same page.
                assert i + 2 < len(body), f"caption alone at the foot of a page: {line.strip()}"


def test_percentages_whole_below_100_and_missing_note(study: Path) -> None:
    html = _html_text(study / "report.html")
    assert "(93%; 95% CI 70–99%)" in html
    # The key findings, participants and prevalence tables (the joint display is P12p's).
    shown = html[: html.index("Subgroup differences")]
    assert not re.search(r"\d\.\d%", shown)
    assert "Missing: participants with no recorded value" in html or "missing" not in shown
    assert "Percentages are whole numbers when the denominator is below 100" in html


def test_docx_indents_by_style_not_spaces_and_describes_figures(study: Path) -> None:
    xml = _docx_xml(study / "report.docx")
    assert 'w:pStyle w:val="TableLevel1"' in xml and 'w:pStyle w:val="TableLevel2"' in xml
    assert NBSP * 3 not in xml
    descriptions = re.findall(r'<wp:docPr [^>]*descr="([^"]*)"', xml)
    assert len(descriptions) == 4
    assert any(d.startswith("Dot plot of") for d in descriptions)
    assert all(not d.startswith("Figure") for d in descriptions)


def test_html_figures_have_alt_text_and_no_cloud_button(study: Path) -> None:
    source = (study / "report.html").read_text(encoding="utf-8")
    labels = re.findall(r'role="figure" aria-label="([^"]*)"', source)
    assert len(labels) == 4 and all(label.startswith("Figure ") for label in labels)
    assert '"showSendToCloud": false' in source and '"sendDataToCloud"' in source


def test_prose_has_no_raw_ids_lists_or_plural_s(study: Path, comparison: Path) -> None:
    for folder in (study, comparison):
        for fmt, text in _texts(folder).items():
            prose = text[: text.index("Provenance")]
            assert "(s)" not in prose, fmt
            assert "disease_status" not in prose, fmt
            assert not re.search(r"\[['\d]", prose), fmt  # a Python list
            assert "–min-cell" not in text, fmt
        # Sentences (paragraphs and list items, not table cells) name no snake_case id (a
        # theme, code or attribute id); setting names such as min_cell are allowed.
        source = (folder / "report.html").read_text(encoding="utf-8")
        source = source[: source.index('id="provenance"')]
        sentences = " ".join(re.findall(r"<(?:p|li)>(.*?)</(?:p|li)>", source, re.S))
        xml = _docx_xml(folder / "report.docx")
        xml = re.sub(r"<w:tbl>.*?</w:tbl>", " ", xml, flags=re.S)
        for fmt, words in (("html", re.sub(r"<[^>]+>", " ", sentences)), ("docx", _docx_text(xml))):
            words = words[: words.index("Provenance")] if "Provenance" in words else words
            ids = set(re.findall(r"(?<![.\w])[a-z]+(?:_[a-z]+)+\b", words)) - {"min_cell"}
            assert not ids, (folder.name, fmt, ids)


def test_references_and_methods(study: Path) -> None:
    for fmt, text in _texts(study).items():
        for author in (
            "Wilson EB",
            "Newcombe RG",
            "Fisher RA",
            "Benjamini Y",
            "Guest G",
            "Cohen J",
            "Krippendorff K",
            "Tong A",
            "O'Brien BC" if fmt != "html" else "BC, Harris IB",
        ):
            assert author in text.replace("’", "'"), (fmt, author)
        assert "two-sided" in text and "upper bound" in text, fmt
        assert "CITATION.cff" in text, fmt


def test_every_checklist_item_with_where_reported(study: Path) -> None:
    texts = _texts(study)
    for fmt, text in texts.items():
        checklists = text[text.index("Reporting checklists") : text.index("References")]
        for number, topic, _ in (*COREQ, *SRQR):
            assert f"{number}. {topic.split()[0]}" in checklists, (fmt, number, topic)
        assert checklists.count("For the authors:") >= 32 + 21 - 20, fmt
    # PDF: filled items name the page, and that page holds the section.
    pdf = texts["pdf"]
    pages = _pdf_pages(study / "report.pdf")
    found = re.findall(r"12\. Sample size 15 participants\. p\. (\d+)", pdf)
    assert found and "Participants" in pages[int(found[0]) - 1]
    # HTML: the answer links to the section.
    source = (study / "report.html").read_text(encoding="utf-8")
    assert '<a href="#cohort">Participants</a>' in source
    # Word: an internal hyperlink to the section's bookmark.
    assert 'w:anchor="cohort"' in _docx_xml(study / "report.docx")


def test_comparison_has_no_pooled_estimate_with_two_cohorts(comparison: Path) -> None:
    for fmt, text in _texts(comparison).items():
        assert "No pooled estimate" in text, fmt
        assert "Pooled (" not in text and "pooled estimate (black diamond)" not in text, fmt
        assert "Study code" in text and "Shared theme" in text, fmt  # the crosswalk table
    xml = _docx_xml(comparison / "report.docx")
    assert "diamond" not in " ".join(re.findall(r'descr="([^"]*)"', xml))


def test_phone_width_never_scrolls_sideways(study: Path, comparison: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").is_file():
        pytest.skip("no Chromium at /usr/bin/chromium")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            for folder in (study, comparison):
                page.goto((folder / "report.html").as_uri())
                page.wait_for_selector("svg.main-svg")
                width = page.evaluate("document.scrollingElement.scrollWidth")
                assert width == 390, f"{folder.name}: page is {width} px wide at a 390 px phone"
                # A legend never lies under the toolbar; no Chart Studio button exists.
                assert page.locator("[data-title='Edit in Chart Studio']").count() == 0
                figures = page.locator(".plot[role='figure']").count()
                assert figures >= 3
                # No legend overlaps its figure's toolbar (the toolbar shows on hover).
                overlaps = page.evaluate(
                    """() => [...document.querySelectorAll('.js-plotly-plot')].filter(plot => {
                        const bar = plot.querySelector('.modebar');
                        const legend = plot.querySelector('.legend');
                        if (!bar || !legend) return false;
                        const a = bar.getBoundingClientRect(), b = legend.getBoundingClientRect();
                        return a.left < b.right && b.left < a.right
                            && a.top < b.bottom && b.top < a.bottom;
                    }).map(plot => plot.id)"""
                )
                assert not overlaps, overlaps
        finally:
            browser.close()


def test_citation_file_names_this_version() -> None:
    import yaml

    from toolkit import __version__

    citation = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    for key in ("cff-version", "message", "title", "authors", "version", "type"):
        assert citation.get(key), key
    assert str(citation["version"]) == __version__


def test_three_cohorts_pool_with_k_tau_i2_q_in_the_table(tmp_path: Path) -> None:
    import shutil

    import polars as pl

    from toolkit.report.build import render_comparison

    third = tmp_path / "third"
    shutil.copytree(STUDY, third)
    manifest = third / "study.yml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace(
            "id: calciphylaxis-synthetic", "id: calciphylaxis-again-synthetic"
        ),
        encoding="utf-8",
    )
    crosswalk = pl.read_csv(CROSSWALK)
    again = crosswalk.filter(pl.col("study_id") == "calciphylaxis-synthetic").with_columns(
        pl.lit("calciphylaxis-again-synthetic").alias("study_id")
    )
    pl.concat([crosswalk, again]).write_csv(tmp_path / "crosswalk.csv")
    out = tmp_path / "report"
    render_comparison(
        [*STUDIES, third],
        crosswalk=tmp_path / "crosswalk.csv",
        out_dir=out,
        formats="html",
        engine="pandoc",
    )
    source = (out / "report.html").read_text(encoding="utf-8")
    header = re.search(
        r"<thead>(.*?)</thead>", source[source.index("Theme prevalence in each") :], re.S
    )
    assert header is not None
    cells = re.findall(r"<th[^>]*>(.*?)</th>", header.group(1))
    assert cells[-5:-1] == ["k", "τ²", "I²", "Q (p)"] or cells[-4:] == ["k", "τ²", "I²", "Q (p)"]
    text = _html_text(out / "report.html")
    assert "No pooled estimate" not in text
    pooled = pl.read_csv(out / "comparison.csv").filter(
        (pl.col("cohort") == "pooled") & pl.col("k").is_not_null()
    )
    assert pooled.filter(pl.col("k") == 3).height > 5
    # A theme only two cohorts have gets no pooled estimate either.
    if pooled.filter(pl.col("k") == 2).height:
        assert "none (k = 2)" in text
    # Every theme over the I² threshold is listed, not only the first few.
    over = pooled.filter((pl.col("i2") >= 0.5) & (pl.col("k") >= 3))["label"].to_list()
    summary = text[text.index("Summary") : text.index("Each cohort is a small purposive")]
    assert all(label in summary for label in over)
