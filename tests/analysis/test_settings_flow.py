"""Settings are resolved once and every output reads them from the results (issue 11).

`prevalence --ci-method jeffreys --ci-level 0.9 --format json` once wrote "wilson"/0.95 in its
metadata while every row said jeffreys/0.9. Here every command and machine format is run
with settings that differ from the study's own, and the metadata must agree with the rows.
The example study is SYNTHETIC.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from toolkit.analysis import Settings, analyse_prevalence, disclose, load, resolve_settings
from toolkit.cli import main
from toolkit.errors import ImplementationError, UsageError

REPO = Path(__file__).resolve().parents[2]
CALCI = REPO / "examples" / "calciphylaxis"


def _run(*args: object) -> None:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output


def _read(path: Path) -> tuple[dict[str, Any], pl.DataFrame]:
    if path.suffix == ".json":
        document = json.loads(path.read_text(encoding="utf-8"))
        return document, pl.DataFrame(document["rows"], infer_schema_length=None)
    return json.loads(pl.read_parquet_metadata(path)["raremix"]), pl.read_parquet(path)


@pytest.mark.parametrize("suffix", [".json", ".parquet"])
def test_prevalence_metadata_agrees_with_rows(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"p{suffix}"
    _run("prevalence", CALCI, "--ci-method", "jeffreys", "--ci-level", "0.9", "-o", out)
    meta, rows = _read(out)
    assert set(rows["ci_method"].to_list()) == {"jeffreys"} == {meta["ci_method"]}
    assert set(rows["ci_level"].to_list()) == {0.9} == {meta["ci_level"]}
    assert meta["synthetic"] is True and "SYNTHETIC" in meta["note"]


@pytest.mark.parametrize("suffix", [".json", ".parquet"])
def test_differences_metadata_agrees_with_rows(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"d{suffix}"
    _run("differences", CALCI, "--by", "sex", "--method", "wald", "--ci-level", "0.9", "-o", out)
    meta, rows = _read(out)
    assert set(rows["ci_method"].to_list()) == {"wald"} == {meta["difference_ci"]}
    assert set(rows["ci_level"].to_list()) == {0.9} == {meta["ci_level"]}
    assert meta["by"] == "sex"


@pytest.mark.parametrize("command", ["cooccurrence", "saturation", "agreement", "privacy"])
@pytest.mark.parametrize("suffix", [".json", ".parquet"])
def test_every_command_states_the_study_settings(tmp_path: Path, command: str, suffix: str) -> None:
    """A copy of the study with settings unlike the defaults: metadata says the copy's."""
    study = tmp_path / "study"
    shutil.copytree(CALCI, study)
    manifest = study / "study.yml"
    text = manifest.read_text(encoding="utf-8")
    assert "method: wilson" in text and "level: 0.95" in text
    manifest.write_text(
        text.replace("method: wilson", "method: clopper_pearson").replace(
            "level: 0.95", "level: 0.8"
        ),
        encoding="utf-8",
    )
    out = tmp_path / f"out{suffix}"
    _run(command, study, "-o", out)
    meta, _ = _read(out)
    expected = resolve_settings(load(study)[0].manifest)
    assert (meta["ci_method"], meta["ci_level"]) == ("clopper_pearson", 0.8)
    assert (meta["ci_method"], meta["ci_level"]) == (expected.ci_method, expected.ci_level)
    assert meta["min_cell"] == expected.min_cell


def test_overrides_replace_only_what_is_given() -> None:
    study, settings = load(CALCI, ci_level=0.9)
    own = resolve_settings(study.manifest)
    assert settings.ci_level == 0.9 and settings.ci_method == own.ci_method
    assert settings.with_overrides(ci_method=None) is settings
    assert settings.with_overrides(min_cell=5).min_cell == 5
    chosen = resolve_settings(study.manifest, saturation_run=3)
    assert chosen.saturation.run == 3 and chosen.saturation.base == own.saturation.base


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ci_method": "exact"}, "unknown CI method 'exact'"),
        ({"ci_level": 95}, "level must be between 0 and 1"),
        ({"difference_method": "score"}, "unknown difference method 'score'"),
        ({"min_cell": -1}, "min_cell must be a whole number"),
    ],
)
def test_bad_settings_are_usage_errors(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Settings(**overrides)


def test_results_carry_the_settings_they_were_computed_with() -> None:
    study, settings = load(CALCI, ci_method="agresti_coull", ci_level=0.8)
    results = analyse_prevalence(study, settings)
    assert results.settings is settings and results.protected
    frame = results.need("prevalence")
    assert set(frame["ci_method"].to_list()) == {"agresti_coull"}
    assert results.meta()["ci_method"] == "agresti_coull"
    with pytest.raises(ImplementationError):
        results.need("differences")


def test_the_gate_runs_once() -> None:
    study, settings = load(CALCI)
    results = analyse_prevalence(study, settings)
    with pytest.raises(ImplementationError, match="twice"):
        disclose(results)
