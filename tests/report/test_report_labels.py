"""Issue 13's smaller report defects: a root-level code with no children is a theme in the
prevalence figure; two codes with one label are told apart by their parent; a label
starting "2." never turns into a numbered list in the PDF (typst) or elsewhere."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from toolkit.report.qmd import escape, templates_dir
from toolkit.testing import write_study

PEOPLE = [f"P{i:02d}" for i in range(1, 13)]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from toolkit.report.build import render_study

    root = tmp_path_factory.mktemp("labels")
    codings: dict[str, list[str]] = {"participant_id": [], "code_id": [], "quote": []}
    for i, person in enumerate(PEOPLE):
        chosen = ["alone"] + (["other_b"] if i % 2 else ["other_m", "pain"])
        for code in chosen:
            codings["participant_id"].append(person)
            codings["code_id"].append(code)
            codings["quote"].append(f"What {person} said about {code}.")
    folder = write_study(
        root / "study",
        {"participant_id": PEOPLE, "sex": ["Female", "Male"] * 6},
        {
            "code_id": ["body", "pain", "other_b", "mind", "other_m", "alone"],
            "label": ["Body", "Pain", "Other", "Mind", "Other", "2. Standing alone"],
            "parent_id": ["", "body", "body", "", "mind", ""],
        },
        codings,
        attributes={"sex": {"type": "categorical", "levels": ["Female", "Male"]}},
    )
    out = root / "report"
    render_study(folder, out_dir=out, formats="html,pdf,docx", engine="pandoc")
    return out


def _figure_labels(html: str, name: str) -> list[str]:
    start = html.index(f'id="plot-{name}"')
    data = re.search(
        r"Plotly\.newPlot\(\s*\"plot-" + name + r"\",\s*(\[.*?\]),\s*\{", html[start:], re.S
    )
    assert data is not None
    layout = html[start:][data.end() - 1 :]
    ticks = re.search(r'"ticktext":\s*(\[[^\]]*\])', layout)
    assert ticks is not None
    return [re.sub(r"</?b>", "", t) for t in json.loads(ticks.group(1))]


def test_childless_root_and_repeated_labels_in_the_prevalence_figure(rendered: Path) -> None:
    html = (rendered / "report.html").read_text(encoding="utf-8")
    labels = _figure_labels(html, "prevalence")
    assert "2. Standing alone" in labels
    assert "Other (Body)" in labels and "Other (Mind)" in labels
    assert labels.count("Other") == 0


def test_key_findings_name_the_childless_theme_without_a_list(rendered: Path) -> None:
    pdf = subprocess.run(
        ["pdftotext", "-layout", str(rendered / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert re.search(r"• 2\. Standing alone was the most often voiced theme", pdf)
    qmd = (rendered / "report.qmd").read_text(encoding="utf-8")
    assert "- 2\\. Standing alone was the most often voiced theme" in qmd


def test_typst_escapes_list_markers_at_any_line_start() -> None:
    import pypandoc

    text = "- " + escape("2. Standing alone " + "word " * 20 + "3. more - and + so")
    typst = subprocess.run(
        [
            pypandoc.get_pandoc_path(),
            "--from",
            "markdown",
            "--to",
            "typst",
            "--lua-filter",
            str(templates_dir() / "filters" / "when-format.lua"),
        ],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "- 2\\. Standing" in typst and "3\\. more" in typst
    for line in typst.splitlines()[1:]:
        assert not re.match(r"\s*(\d+\.|[-+])\s", line), line


def test_double_dash_is_not_an_en_dash() -> None:
    assert escape("--min-cell 5") == "-\\-min-cell 5"
