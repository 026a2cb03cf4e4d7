"""`study.population`: prevalence intervals for a known, finite population (SYNTHETIC studies)."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from toolkit.analysis import analyse_prevalence, resolve_settings
from toolkit.errors import UsageError
from toolkit.io.crosswalk import read_crosswalk
from toolkit.io.study import load_study
from toolkit.stats.intervals import proportion_ci

REPO = Path(__file__).resolve().parents[2]
CALCI = REPO / "examples" / "calciphylaxis"
ERY = REPO / "examples" / "erythromelalgia"


def _with_population(tmp_path: Path, declaration: str) -> Path:
    folder = tmp_path / "calciphylaxis"
    shutil.copytree(CALCI, folder)
    manifest = folder / "study.yml"
    text = manifest.read_text(encoding="utf-8")
    marker = "  synthetic: true"
    assert marker in text
    manifest.write_text(
        text.replace(marker, f"  population: {declaration}\n{marker}", 1), encoding="utf-8"
    )
    return folder


def test_a_declared_population_makes_intervals_hypergeometric(tmp_path: Path) -> None:
    folder = _with_population(tmp_path, "{total: 60, strata: {sex: {Female: 35, Male: 25}}}")
    study = load_study(folder)
    settings = resolve_settings(study.manifest)
    assert settings.ci_method == "hypergeometric" and settings.population == 60
    frame = analyse_prevalence(study, settings, by=["sex"]).prevalence
    overall = frame.filter(pl.col("stratum_variable").is_null() & pl.col("ci_lower").is_not_null())
    assert set(overall["ci_method"].to_list()) == {"hypergeometric"}
    row = overall.row(0, named=True)
    expected = proportion_ci(
        row["participants"], row["denominator"], method="hypergeometric", population=60
    )
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx(expected)
    # Each stratum with a declared size uses its own N.
    women = frame.filter(
        (pl.col("stratum_value") == "Female") & pl.col("ci_lower").is_not_null()
    ).row(0, named=True)
    assert women["ci_method"] == "hypergeometric"
    assert (women["ci_lower"], women["ci_upper"]) == pytest.approx(
        proportion_ci(
            women["participants"], women["denominator"], method="hypergeometric", population=35
        )
    )
    # The same study without a population: the finite-population interval is narrower.
    plain = analyse_prevalence(load_study(CALCI), resolve_settings(load_study(CALCI).manifest))
    wide = plain.prevalence.filter(pl.col("code_id") == row["code_id"]).row(0, named=True)
    assert row["ci_upper"] - row["ci_lower"] <= wide["ci_upper"] - wide["ci_lower"]


def test_a_stratum_size_for_an_unknown_level_is_an_error(tmp_path: Path) -> None:
    folder = _with_population(tmp_path, "{total: 60, strata: {sex: {Woman: 35}}}")
    study = load_study(folder)
    with pytest.raises(UsageError, match="names Woman, not a level of 'sex'"):
        analyse_prevalence(study, resolve_settings(study.manifest), by=["sex"])


def test_population_smaller_than_the_sample_and_method_without_one(tmp_path: Path) -> None:
    study = load_study(_with_population(tmp_path, "10"))
    with pytest.raises(UsageError, match="at least n"):
        analyse_prevalence(study, resolve_settings(study.manifest))
    plain = load_study(CALCI)
    with pytest.raises(UsageError, match=r"needs study\.population"):
        resolve_settings(plain.manifest, ci_method="hypergeometric")


def test_compare_uses_each_cohorts_population(tmp_path: Path) -> None:
    from toolkit.compare import compare

    folder = _with_population(tmp_path, "60")
    studies = [load_study(folder), load_study(ERY)]
    result = compare(studies, crosswalk=read_crosswalk(REPO / "examples" / "crosswalk.csv"))
    rows = result.prevalence.filter(pl.col("cohort") == "calciphylaxis-synthetic")
    assert set(rows["ci_method"].to_list()) == {"hypergeometric"}
    assert result.settings.metadata()["ci"]["calciphylaxis-synthetic"]["population"] == 60
    shown = rows.filter(pl.col("participants").is_not_null()).row(0, named=True)
    assert (shown["ci_lower"], shown["ci_upper"]) == pytest.approx(
        proportion_ci(
            shown["participants"], shown["denominator"], method="hypergeometric", population=60
        )
    )
    with pytest.raises(UsageError, match="declares none"):
        compare(studies, method="hypergeometric")
