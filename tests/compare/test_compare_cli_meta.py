"""`raremix compare` metadata (JSON, Parquet) states the settings the rows were computed with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from toolkit.cli import main

REPO = Path(__file__).resolve().parents[2]
CALCI = REPO / "examples" / "calciphylaxis"
ERY = REPO / "examples" / "erythromelalgia"
CROSSWALK = REPO / "examples" / "crosswalk.csv"


def _write(
    tmp_path: Path, fmt: str, show: str, *extra: str, third: tuple[Path, Path] | None = None
) -> tuple[dict[str, Any], pl.DataFrame]:
    out = tmp_path / f"{show}.{fmt}"
    folders, crosswalk = [str(CALCI), str(ERY)], CROSSWALK
    if third is not None:
        folders.append(str(third[0]))
        crosswalk = third[1]
    args = ["compare", *folders, "--crosswalk", str(crosswalk), "--show", show]
    result = CliRunner().invoke(main, [*args, *extra, "-o", str(out)])
    assert result.exit_code == 0, result.output
    if fmt == "json":
        document = json.loads(out.read_text(encoding="utf-8"))
        return document, pl.DataFrame(document["rows"], infer_schema_length=None)
    meta = json.loads(pl.read_parquet_metadata(out)["raremix"])
    return meta, pl.read_parquet(out)


@pytest.mark.parametrize("fmt", ["json", "parquet"])
def test_metadata_agrees_with_the_rows(
    fmt: str, tmp_path: Path, third_cohort: tuple[Path, Path]
) -> None:
    extra = ("--ci-method", "jeffreys", "--ci-level", "0.9", "--pooling", "reml", "--hksj")
    meta, rows = _write(tmp_path, fmt, "prevalence", *extra, third=third_cohort)
    cohorts = rows.filter(pl.col("status").is_in(["compared", "not mapped"]))
    assert set(cohorts["ci_method"].to_list()) == {"jeffreys"} == {meta["ci_method"]}
    assert set(cohorts["ci_level"].to_list()) == {0.9} == {meta["ci_level"]}
    for cohort in meta["cohorts"]:
        assert meta["ci"][cohort] == {"method": "jeffreys", "level": 0.9}
    pooled = rows.filter(pl.col("status") == "pooled")
    assert set(pooled["ci_level"].to_list()) == {meta["level"]} == {0.9}
    assert meta["pooling"] == "reml" and meta["hksj"] is True
    assert meta["pooling_method"].startswith("inverse-variance random-effects model")
    assert "Hartung-Knapp-Sidik-Jonkman" in meta["pooling_method"]
    assert set(pooled["method"].drop_nulls().to_list()) == {"REML"}
    assert set(pooled["ci_method"].to_list()) == {"random effects, logit (REML, HKSJ)"}
    assert pooled["pi_lower"].drop_nulls().len() > 10
    assert meta["matching"] == "crosswalk" and meta["crosswalk"] == "crosswalk.csv"

    meta, diffs = _write(tmp_path, fmt, "differences", *extra, third=third_cohort)
    assert set(diffs["ci_method"].to_list()) == {meta["difference_method"]}
    assert set(diffs["ci_level"].to_list()) == {meta["level"]} == {0.9}


@pytest.mark.parametrize("fmt", ["json", "parquet"])
def test_default_metadata_is_each_studys_own_setting(fmt: str, tmp_path: Path) -> None:
    meta, rows = _write(tmp_path, fmt, "prevalence")
    cohorts = rows.filter(pl.col("status").is_in(["compared", "not mapped"]))
    for cohort, ci in meta["ci"].items():
        own = cohorts.filter(pl.col("cohort") == cohort)
        assert set(own["ci_method"].to_list()) == {ci["method"]}
        assert set(own["ci_level"].to_list()) == {ci["level"]}
    if meta["ci_method"] is not None:
        assert set(cohorts["ci_method"].to_list()) == {meta["ci_method"]}
    assert meta["min_cell"] == 5
    assert meta["pooling"] == "glmm" and meta["hksj"] is False and meta["min_cohorts_pooled"] == 3
    assert "maximum likelihood" in meta["pooling_method"]
