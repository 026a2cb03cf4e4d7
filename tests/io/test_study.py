"""load_study on study folders whose study.yml names vendor files directly (no import step)."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import yaml
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.io import importers
from toolkit.io.study import load_study
from toolkit.testing import make_manifest

# The order of simple_dictionary.csv's choices for ethnicity ("0, Unknown / Not Reported |
# 1, NOT Hispanic or Latino | 2, Hispanic or Latino"), which is not alphabetical.
ETHNICITY = ("Unknown / Not Reported", "NOT Hispanic or Latino", "Hispanic or Latino")


def _redcap_study(tmp_path: Path, fixtures_dir: Path, *, name_dictionary: bool) -> Path:
    folder = tmp_path / "study"
    folder.mkdir()
    for name in ("simple_data.csv", "simple_dictionary.csv"):
        shutil.copy(fixtures_dir / "redcap" / name, folder / name)
    pl.DataFrame(
        {"participant_id": ["1", "2", "2"], "code_id": ["pain", "pain", "fear"]}
    ).write_csv(folder / "codings.csv")
    document = make_manifest()
    document["inputs"] = {"participants": "simple_data.csv", "codings": "codings.csv"}
    if name_dictionary:
        document["inputs"]["dictionary"] = "simple_dictionary.csv"
    (folder / "study.yml").write_text(yaml.safe_dump(document), encoding="utf-8")
    return folder


def test_redcap_export_keeps_dictionary_order_and_reports_what_was_left_out(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    study = load_study(_redcap_study(tmp_path, fixtures_dir, name_dictionary=True))
    assert study.attributes["ethnicity"].levels == ETHNICITY
    assert study.attributes["age"].type == "numeric"
    assert any("left out (file upload): mugshot" in w for w in study.warnings)


def test_redcap_export_finds_its_dictionary_beside_it(tmp_path: Path, fixtures_dir: Path) -> None:
    study = load_study(_redcap_study(tmp_path, fixtures_dir, name_dictionary=False))
    assert study.participants.height == 5
    assert study.attributes["ethnicity"].levels == ETHNICITY
    assert "simple_data.csv: data dictionary read from simple_dictionary.csv" in study.warnings


def test_validate_prints_reader_warnings_and_prevalence_uses_dictionary_order(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    folder = _redcap_study(tmp_path, fixtures_dir, name_dictionary=False)
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    assert "Warning: simple_data.csv: data dictionary read from simple_dictionary.csv" in (
        result.stderr
    )
    assert "Warning: simple_data.csv: left out (file upload): mugshot" in result.stderr
    result = CliRunner().invoke(
        main, ["prevalence", str(folder), "--by", "ethnicity", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(result.stdout.encode(), infer_schema=False)
    values = frame.filter(pl.col("code_id") == "pain")["stratum_value"].drop_nulls().to_list()
    assert tuple(values) == ETHNICITY


def test_one_role_readers_return_the_readers_warnings(fixtures_dir: Path) -> None:
    segments = importers.read_codings_file(
        fixtures_dir / "exports" / "qualcoder-coded-text-FG06-FG11.csv"
    )
    assert segments.frame.height == 235
    assert any("participants are the 2 value(s) of column 'File'" in w for w in segments.warnings)
    taguette = importers.read_codebook_file(fixtures_dir / "taguette" / "sample-project.sqlite3")
    assert taguette.frame.height == 6
    assert any("Taguette has no cases" in w for w in taguette.warnings)
