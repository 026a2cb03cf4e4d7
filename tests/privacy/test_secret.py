"""The study secret and the keyed pseudonyms it gives (issue 12, privacy review).

Pseudonyms are a keyed random permutation: the key is ``.raremix-secret`` beside study.yml,
created on first use, stable across reruns, never in a report folder; the key file written by
``raremix privacy --write-key`` is the mapping every document of the study uses. The studies
are copies of the bundled SYNTHETIC example.
"""

from __future__ import annotations

import io
import shutil
import stat
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from toolkit.analysis import analyse_study, load
from toolkit.analysis.gate import pseudonym_mapping
from toolkit.cli import main
from toolkit.errors import EnvironmentProblem
from toolkit.io.secret import SECRET_FILE, study_key
from toolkit.testing import make_study


@pytest.fixture
def study_folder(calciphylaxis: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "study"
    shutil.copytree(calciphylaxis, folder, ignore=shutil.ignore_patterns(SECRET_FILE))
    return folder


def test_secret_created_on_first_use_private_and_stable(study_folder: Path) -> None:
    assert not (study_folder / SECRET_FILE).exists()
    study, _ = load(study_folder)
    key = study_key(study)
    secret = study_folder / SECRET_FILE
    assert secret.is_file()
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    again, _ = load(study_folder)
    assert study_key(again) == key
    assert pseudonym_mapping(again).equals(pseudonym_mapping(study))


def test_pseudonyms_do_not_follow_the_raw_ids(study_folder: Path) -> None:
    """In the demo the pseudonyms equalled the raw ids (P01..P15): never again."""
    study, _ = load(study_folder)
    mapping = pseudonym_mapping(study)
    same = mapping.filter(pl.col("participant_id") == pl.col("pseudonym")).height
    assert same < study.n_participants // 2
    by_id = mapping.sort("participant_id")["pseudonym"].to_list()
    assert by_id != sorted(by_id)


def test_another_secret_gives_other_pseudonyms(study_folder: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(study_folder, other)
    (other / SECRET_FILE).unlink(missing_ok=True)
    first, _ = load(study_folder)
    second, _ = load(other)
    assert not pseudonym_mapping(first).equals(pseudonym_mapping(second))


def test_a_damaged_secret_is_an_error_not_new_pseudonyms(study_folder: Path) -> None:
    (study_folder / SECRET_FILE).write_text("short\n", encoding="utf-8")
    study, _ = load(study_folder)
    with pytest.raises(EnvironmentProblem, match="not a raremix study secret"):
        study_key(study)


def test_in_memory_study_gets_a_stable_derived_key() -> None:
    study = make_study(
        participants={"participant_id": ["b", "a"]},
        codebook={"code_id": ["t"], "label": ["T"]},
        codings={"participant_id": ["a"], "code_id": ["t"]},
    )
    assert study_key(study) == study_key(study)
    assert pseudonym_mapping(study)["pseudonym"].to_list() == ["P01", "P02"]


def test_key_file_matches_every_document(study_folder: Path, tmp_path: Path) -> None:
    """`raremix privacy --write-key` writes the mapping the report's quotes use, and the
    secret itself goes into no output."""
    key = tmp_path / "key.csv"
    result = CliRunner().invoke(main, ["privacy", str(study_folder), "--write-key", str(key)])
    assert result.exit_code == 0, result.output
    written = pl.read_csv(io.StringIO(key.read_text(encoding="utf-8")))
    study, settings = load(study_folder)
    results = analyse_study(study, settings)
    assert results.need("pseudonyms").sort("participant_id").equals(written.sort("participant_id"))
    owners = (
        study.codings.select("participant_id", "quote")
        .unique()
        .group_by("quote")
        .agg(pl.col("participant_id"))
        .filter(pl.col("participant_id").list.len() == 1)
        .with_columns(pl.col("participant_id").list.first())
    )
    quotes = results.need("quotes").join(owners, on="quote", how="inner")
    lookup = dict(written.iter_rows())
    assert quotes.height > 0
    for row in quotes.select("participant_id", "pseudonym").unique().iter_rows():
        assert lookup[row[0]] == row[1]
    secret = (study_folder / SECRET_FILE).read_text(encoding="utf-8").splitlines()[-1]
    assert secret not in key.read_text(encoding="utf-8")


def test_outputs_naming_nobody_need_no_secret(study_folder: Path) -> None:
    """Prevalence names no participant: it neither creates nor needs the secret."""
    from toolkit.analysis import analyse_prevalence

    study, settings = load(study_folder)
    results = analyse_prevalence(study, settings, by=["sex"])
    assert results.pseudonyms is None
    assert not (study_folder / SECRET_FILE).exists()
    analyse_study(study, settings)
    assert (study_folder / SECRET_FILE).exists()
