"""The one disclosure gate: statistics are raw, the analysis layer suppresses once.

The example study is SYNTHETIC.
"""

from __future__ import annotations

import ast
from pathlib import Path

import polars as pl
import pytest

from toolkit import privacy
from toolkit.analysis import (
    analyse_cooccurrence,
    analyse_differences,
    analyse_prevalence,
    analyse_study,
    load,
)
from toolkit.stats.prevalence import prevalence
from toolkit.stats.subgroups import differences

REPO = Path(__file__).resolve().parents[2]
CALCI = REPO / "examples" / "calciphylaxis"


@pytest.mark.parametrize("min_cell", [0, 3, 5])
def test_statistics_are_raw_and_the_gate_suppresses(min_cell: int) -> None:
    study, settings = load(CALCI, min_cell=min_cell)
    raw = prevalence(study, by=["sex"])
    assert not raw["suppressed"].any()
    assert raw["participants"].null_count() == 0
    protected = analyse_prevalence(study, settings, by=["sex"]).need("prevalence")
    expected = privacy.suppress(raw.drop("suppressed"), min_cell=min_cell).select(raw.columns)
    assert protected.equals(expected)
    if min_cell > 1:
        shown = protected.filter(~pl.col("suppressed"))["participants"]
        assert not shown.is_between(1, min_cell - 1).any()
        assert protected["suppressed"].any()  # the example has small cells at 3 and 5


def test_differences_hide_what_the_prevalence_of_the_same_results_hides() -> None:
    study, settings = load(CALCI, min_cell=5)
    results = analyse_differences(study, settings, by="sex")
    hidden = privacy.hidden_cells(results.need("prevalence"))
    frame = results.need("differences")
    for row in frame.iter_rows(named=True):
        cells = {
            (row["code_id"], "sex", row["level"]),
            (row["code_id"], "sex", row["reference"]),
        }
        if cells & hidden:
            assert row["suppressed"] and row["participants_level"] is None
    raw = differences(study, by="sex")
    assert not raw["suppressed"].any() and frame.height == raw.height


def test_cooccurrence_hides_themes_hidden_overall() -> None:
    study, settings = load(CALCI, min_cell=5)
    results = analyse_cooccurrence(study, settings)
    hidden = {
        c for c, variable, _ in privacy.hidden_cells(results.need("prevalence")) if not variable
    }
    frame = results.need("cooccurrence")
    involved = frame.filter(
        pl.col("code_a").is_in(sorted(hidden)) | pl.col("code_b").is_in(sorted(hidden))
    )
    assert involved["participants_both"].null_count() == involved.height


def test_study_results_name_no_raw_participant_id(tmp_path: Path) -> None:
    study, settings = load(CALCI)
    results = analyse_study(study, settings)
    assert "participant_id" not in results.need("quotes").columns
    assert results.saturation is not None
    assert "participant_id" not in results.saturation.curve.columns


def _reads_manifest(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "manifest"
    ]


@pytest.mark.parametrize("layer", ["stats", "privacy", "report", "cli"])
def test_layers_below_and_above_analysis_never_read_the_manifest(layer: str) -> None:
    """Settings come from the analysis layer's Settings, resolved once."""
    found = [
        hit
        for path in sorted((REPO / "toolkit" / layer).rglob("*.py"))
        for hit in _reads_manifest(path)
    ]
    assert not found, found


# ------------------------------------------------------------------------------------------
# Issue 14 items 4 and 5: agreement counts and the words of suppressed differences
# ------------------------------------------------------------------------------------------


def test_agreement_counts_go_through_the_gate() -> None:
    """agreement.csv gave units_present equal to the hidden count of 11 of 11 hidden themes."""
    from toolkit.analysis import analyse_agreement

    study, settings = load(CALCI, min_cell=5)
    results = analyse_agreement(study, settings)
    frame = results.need("agreement")
    overall = results.need("prevalence").filter(pl.col("stratum_variable").is_null())
    hidden = set(overall.filter(pl.col("participants").is_null())["code_id"].to_list())
    assert hidden
    for row in frame.iter_rows(named=True):
        if row["code_id"] in hidden:
            assert row["units_present"] is None and row["kappa"] is None
            assert row["percent_agreement"] is None and row["alpha"] is None
            assert row["note"].startswith("suppressed")
        elif row["units_present"] is not None:
            assert not 1 <= row["units_present"] < 5
    raw, _ = load(CALCI, min_cell=0)
    assert analyse_agreement(raw, _).need("agreement")["units_present"].null_count() == 0


def test_suppressed_difference_rows_carry_no_words_from_hidden_counts() -> None:
    study, settings = load(CALCI, min_cell=5)
    frame = analyse_differences(study, settings, by="sex").need("differences")
    hidden = frame.filter(pl.col("suppressed"))
    assert hidden.height > 0
    assert hidden["caution"].null_count() == hidden.height
    assert hidden["note"].null_count() == hidden.height


def test_a_note_never_counts_a_hidden_missing_stratum() -> None:
    from toolkit.analysis import Settings
    from toolkit.testing import make_study

    ids = [f"s{i:02d}" for i in range(14)]
    sex = ["Female"] * 6 + ["Male"] * 6 + [None, None]
    study = make_study(
        participants={"participant_id": ids, "sex": sex},
        codebook={"code_id": ["t"], "label": ["T"]},
        codings={"participant_id": ids[:9], "code_id": ["t"] * 9},
        attributes={"sex": {"type": "categorical", "levels": ["Female", "Male"]}},
    )
    open_rows = analyse_differences(study, Settings(min_cell=0), by="sex").need("differences")
    assert "2 participant(s) without a value for 'sex'" in open_rows["note"][0]
    shown = analyse_differences(study, Settings(min_cell=3), by="sex").need("differences")
    for note in shown["note"].drop_nulls():
        assert "2 participant" not in note
