"""Every report section reads its settings from the results, never from study.yml again.

A copy of the calciphylaxis example is set to Jeffreys intervals at the 90% level with
Miettinen–Nurminen differences; the study report (HTML) and the comparison report must say
so in their captions, methods and provenance, and the result CSVs must agree. Finally,
nothing in ``toolkit/report/`` reads ``.manifest``.
"""

from __future__ import annotations

import ast
import html
import re
import shutil
from pathlib import Path

import polars as pl
import pytest

REPO = Path(__file__).resolve().parents[2]
CALCI = REPO / "examples" / "calciphylaxis"
ERY = REPO / "examples" / "erythromelalgia"
CROSSWALK = REPO / "examples" / "crosswalk.csv"
REPORT = REPO / "toolkit" / "report"

pytestmark = pytest.mark.skipif(
    not (CALCI / "study.yml").is_file() or not (ERY / "study.yml").is_file(),
    reason="bundled examples missing",
)


@pytest.fixture(scope="module")
def jeffreys_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of calciphylaxis with ci jeffreys / 0.9 and Miettinen–Nurminen differences."""
    study = tmp_path_factory.mktemp("settings") / "calciphylaxis"
    shutil.copytree(CALCI, study)
    manifest = study / "study.yml"
    text = manifest.read_text(encoding="utf-8")
    assert "ci: {method: wilson, level: 0.95}" in text and "difference_ci: newcombe" in text
    text = text.replace(
        "ci: {method: wilson, level: 0.95}", "ci: {method: jeffreys, level: 0.9}"
    ).replace("difference_ci: newcombe", "difference_ci: miettinen_nurminen")
    manifest.write_text(text, encoding="utf-8")
    return study


def _text(page: Path) -> str:
    """The HTML page as plain text (tags dropped, entities decoded, spaces collapsed)."""
    raw = page.read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", raw)))


def _section(text: str, start: str, end: str) -> str:
    """The text from the heading ``start`` to the next heading ``end``."""
    begin = text.index(start)
    return text[begin : text.index(end, begin + len(start))]


@pytest.fixture(scope="module")
def study_report(jeffreys_study: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from toolkit.report.build import render_study

    out = tmp_path_factory.mktemp("study") / "report"
    render_study(jeffreys_study, out_dir=out, formats="html", engine="pandoc")
    return out


def test_study_report_captions_methods_and_provenance_name_the_settings(
    study_report: Path,
) -> None:
    text = _text(study_report / "report.html")
    assert "with 90% CIs (Jeffreys) and the number of coded segments" in text  # table caption
    assert "Theme Participants % 90% CI Segments" in text  # its header
    assert "95% CI" not in text and "Wilson" not in text and "Newcombe" not in text
    methods = _section(text, "Methods", "Reporting checklist")
    assert "Confidence intervals are Jeffreys intervals at the 90% level" in methods
    assert "with Miettinen–Nurminen score intervals for the difference" in methods
    assert "90% CI (Miettinen–Nurminen score), two-sided Fisher" in text  # differences caption
    provenance = text[text.rindex("Provenance") :]
    assert "Confidence intervals jeffreys, level 0.9" in provenance
    assert "Difference intervals miettinen_nurminen" in provenance


def test_study_report_csvs_agree_with_the_settings(study_report: Path) -> None:
    prevalence = pl.read_csv(study_report / "prevalence.csv")
    assert prevalence["ci_method"].unique().to_list() == ["jeffreys"]
    assert prevalence["ci_level"].unique().to_list() == [0.9]
    differences = pl.read_csv(study_report / "differences.csv")
    for column in ("ci_method", "method"):
        if column in differences.columns:
            assert differences[column].unique().to_list() == ["miettinen_nurminen"]
            break
    else:
        pytest.fail(f"differences.csv names no method: {differences.columns}")
    if "ci_level" in differences.columns:
        assert differences["ci_level"].unique().to_list() == [0.9]


@pytest.fixture(scope="module")
def comparison_report(jeffreys_study: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from toolkit.report.build import render_comparison

    out = tmp_path_factory.mktemp("compare") / "report"
    render_comparison(
        [jeffreys_study, ERY], crosswalk=CROSSWALK, out_dir=out, formats="html", engine="pandoc"
    )
    return out


def test_comparison_report_names_the_comparison_settings(comparison_report: Path) -> None:
    text = _text(comparison_report / "report.html")
    # Without --ci-level the comparison takes the first study's level: 90%.
    # Two cohorts: no pooled estimate (issue 12); the forest captions name the level.
    assert "Pooled (90% CI)" not in text and "No pooled estimate" in text
    assert "(participants (%)) with its 90% CI, for the themes" in text
    methods = _section(text, "Methods", "Provenance")
    assert "Jeffreys at the 90% level in Calciphylaxis" in methods
    assert "Wilson score at the 95% level in Primary erythromelalgia" in methods
    assert "at the 90% level, the differences with Miettinen–Nurminen score intervals" in methods
    assert "90% CI (Miettinen–Nurminen score)" in text  # differences captions
    provenance = text[text.rindex("Provenance") :]
    assert "Confidence level 0.9" in provenance
    assert "calciphylaxis-synthetic: jeffreys, level 0.9" in provenance
    assert "erythromelalgia-synthetic: wilson, level 0.95" in provenance

    table = pl.read_csv(comparison_report / "comparison.csv")
    cohorts = table.filter((pl.col("cohort") != "pooled") & pl.col("ci_method").is_not_null())
    by_cohort = dict(cohorts.select("cohort", "ci_method").unique(maintain_order=True).iter_rows())
    assert by_cohort == {
        "calciphylaxis-synthetic": "jeffreys",
        "erythromelalgia-synthetic": "wilson",
    }
    levels = dict(cohorts.select("cohort", "ci_level").unique(maintain_order=True).iter_rows())
    assert levels == {"calciphylaxis-synthetic": 0.9, "erythromelalgia-synthetic": 0.95}


def test_comparison_captions_follow_the_comparison_settings() -> None:
    """A difference method given to compare reaches the differences' captions and methods."""
    from toolkit.analysis import load
    from toolkit.compare import compare
    from toolkit.io.crosswalk import read_crosswalk
    from toolkit.report.comparison import build_comparison_report
    from toolkit.report.spec import Paragraph, Table

    studies = [load(CALCI)[0], load(ERY)[0]]
    comparison = compare(
        studies,
        crosswalk=read_crosswalk(CROSSWALK),
        level=0.8,
        method="agresti_coull",
        difference_method="miettinen_nurminen",
    )
    report = build_comparison_report(studies, comparison)
    blocks = {s.anchor: s.blocks for s in report.sections}
    captions = [b.caption for b in blocks["differences"] if isinstance(b, Table)]
    assert captions and all("80% CI (Miettinen–Nurminen score)" in c for c in captions)
    methods = " ".join(b.text for b in blocks["methods"] if isinstance(b, Paragraph))
    assert "Agresti–Coull intervals at the 80% level" in methods
    assert "Miettinen–Nurminen score intervals" in methods
    settings = next(
        b for b in blocks["provenance"] if isinstance(b, Table) and b.name == "settings"
    )
    assert ("Confidence level", "0.8") in settings.rows
    assert ("Difference intervals", "miettinen_nurminen") in settings.rows


def _manifest_reads(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "manifest":
            found.append(f"{path.name}:{node.lineno} .manifest")
        elif isinstance(node, ast.ImportFrom) and node.module == "toolkit.manifest":
            found.append(f"{path.name}:{node.lineno} from toolkit.manifest import")
        elif isinstance(node, ast.Import) and any(a.name == "toolkit.manifest" for a in node.names):
            found.append(f"{path.name}:{node.lineno} import toolkit.manifest")
    return found


def test_report_package_never_reads_the_manifest() -> None:
    """Settings reach the report through Results and Comparison, study facts through Study."""
    modules = sorted(REPORT.glob("*.py"))
    assert len(modules) > 5
    found = [hit for path in modules for hit in _manifest_reads(path)]
    assert not found, found
