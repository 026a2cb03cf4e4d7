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


def _write(tmp_path: Path, fmt: str, show: str, *extra: str) -> tuple[dict[str, Any], pl.DataFrame]:
    out = tmp_path / f"{show}.{fmt}"
    args = ["compare", str(CALCI), str(ERY), "--crosswalk", str(CROSSWALK), "--show", show]
    result = CliRunner().invoke(main, [*args, *extra, "-o", str(out)])
    assert result.exit_code == 0, result.output
    if fmt == "json":
        document = json.loads(out.read_text(encoding="utf-8"))
        return document, pl.DataFrame(document["rows"], infer_schema_length=None)
    meta = json.loads(pl.read_parquet_metadata(out)["raremix"])
    return meta, pl.read_parquet(out)


@pytest.mark.parametrize("fmt", ["json", "parquet"])
def test_metadata_agrees_with_the_rows(fmt: str, tmp_path: Path) -> None:
    extra = ("--ci-method", "jeffreys", "--ci-level", "0.9", "--pooling", "reml")
    meta, rows = _write(tmp_path, fmt, "prevalence", *extra)
    cohorts = rows.filter(pl.col("status").is_in(["compared", "not mapped"]))
    assert set(cohorts["ci_method"].to_list()) == {"jeffreys"} == {meta["ci_method"]}
    assert set(cohorts["ci_level"].to_list()) == {0.9} == {meta["ci_level"]}
    for cohort in meta["cohorts"]:
        assert meta["ci"][cohort] == {"method": "jeffreys", "level": 0.9}
    pooled = rows.filter(pl.col("status") == "pooled")
    assert set(pooled["ci_level"].to_list()) == {meta["level"]} == {0.9}
    assert meta["pooling"] == "reml"
    assert set(pooled["method"].drop_nulls().to_list()) == {"REML"}
    assert meta["matching"] == "crosswalk" and meta["crosswalk"] == "crosswalk.csv"

    meta, diffs = _write(tmp_path, fmt, "differences", *extra)
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
