"""Coder uncertainty and code-level saturation travel in Results, through the gate, into the
report and the command line (issue 15 item 5 and 6). The example study is SYNTHETIC."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from toolkit.analysis import analyse_study, load
from toolkit.cli import main
from toolkit.stats.coders import INTERSECTION, UNION, coder_prevalence
from toolkit.stats.saturation import saturation

REPO = Path(__file__).resolve().parents[2]
CALCI = REPO / "examples" / "calciphylaxis"


def test_study_results_carry_the_coder_band_and_code_saturation() -> None:
    study, settings = load(CALCI)
    results = analyse_study(study, settings)
    coders = results.coders
    assert coders is not None
    raw = coder_prevalence(study, method=settings.ci_method, level=settings.ci_level)
    assert coders.drop("suppressed").equals(raw)
    union = coders.filter(pl.col("coder") == UNION).select("code_id", "participants")
    prevalence = results.need("prevalence").filter(pl.col("stratum_variable").is_null())
    # the union is what prevalence counts
    joined = union.join(prevalence.select("code_id", "participants"), on="code_id", suffix="_p")
    assert (joined["participants"] == joined["participants_p"]).all()
    codes = results.code_saturation
    assert codes is not None and codes.level == "codes"
    expected = saturation(study, level="codes", order_by=settings.order_by)
    assert codes.statement == expected.statement
    assert "pseudonym" in codes.curve.columns and "participant_id" not in codes.curve.columns


@pytest.mark.parametrize("min_cell", [3, 5])
def test_the_gate_hides_small_coder_counts(min_cell: int) -> None:
    study, settings = load(CALCI, min_cell=min_cell)
    results = analyse_study(study, settings)
    coders = results.coders
    assert coders is not None
    shown = coders.filter(~pl.col("suppressed"))
    for column in ("participants", "denominator"):
        assert not shown[column].is_between(1, min_cell - 1).any(), column
    hidden = coders.filter(pl.col("suppressed"))
    assert hidden.height > 0 and hidden["prevalence"].null_count() == hidden.height
    overall = results.need("prevalence").filter(pl.col("stratum_variable").is_null())
    hidden_nodes = overall.filter(pl.col("participants").is_null())["code_id"].to_list()
    for code in hidden_nodes:
        rows = coders.filter((pl.col("code_id") == code) & (pl.col("coder") == INTERSECTION))
        assert rows["participants"].null_count() == rows.height


def test_saturation_level_codes_on_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "codes.json"
    result = CliRunner().invoke(
        main, ["saturation", str(CALCI), "--level", "codes", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["level"] == "codes"
    assert document["statement"].startswith("code level:")
    assert "Saturation: code level" in result.stderr


@pytest.mark.slow
def test_the_report_shows_the_band_and_code_level_saturation(tmp_path: Path) -> None:
    from toolkit.report.build import render_study
    from toolkit.report.coders import BAND_NAME

    study = tmp_path / "study"
    shutil.copytree(CALCI, study)
    render_study(study, out_dir=tmp_path / "report", formats="html")
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "Coder uncertainty" in html and "All coders agreed" in html
    assert BAND_NAME in html  # the band's legend entry in the figure's data
    assert "Code level: saturation" in html or "Code level: not" in html
    assert "coder_a" not in html and "coder_b" not in html  # coders numbered, never named
