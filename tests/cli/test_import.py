"""`raremix import` end to end: real exports in, a study folder out that `raremix validate` accepts."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import polars as pl
import pytest
import yaml
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.text import plural

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures"


@pytest.fixture
def fixtures_dir() -> Path:
    path = FIXTURES.resolve()
    if not (path / "PROVENANCE.md").is_file():
        pytest.skip(f"shared fixtures not found at {path}")
    return path


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("relative", "participants", "codes", "codings"),
    [
        ("qda/atlasti-8.4-standard-project.qdpx", 2, 14, 6),
        ("qda/hand-authored-with-cases.qde", 1, 4, 3),
        ("qda/nvivo-12.6-win-oltas.qdpx", 1, 60, 97),
        ("qda/f4analyse-2025-valid-document.qde", 4, 1, 2),
        ("qualcoder/mannheimer-recoded.qda", 30, 285, 753),
        ("taguette/sample-project.sqlite3", 10, 6, 24),
        ("exports/maxqda-coded-segments-polish.xls", 39, 7, 402),
        ("exports/qualcoder-coded-text-FG06-FG11.csv", 2, 13, 235),
    ],
)
def test_import_then_validate(
    tmp_path: Path, fixtures_dir: Path, relative: str, participants: int, codes: int, codings: int
) -> None:
    out = tmp_path / "study"
    code, stdout, stderr = _run("import", str(fixtures_dir / relative), "-o", str(out))
    assert code == 0, stderr
    counts = ", ".join(
        [plural(participants, "participant"), plural(codes, "code"), plural(codings, "coding")]
    )
    assert counts in stdout
    assert pl.read_csv(out / "participants.csv", infer_schema=False).height == participants
    assert pl.read_csv(out / "codebook.csv", infer_schema=False).height == codes
    frame = pl.read_csv(out / "codings.csv", infer_schema=False)
    assert frame.height == codings
    assert frame.columns[:2] == ["participant_id", "code_id"]
    manifest = yaml.safe_load((out / "study.yml").read_text(encoding="utf-8"))
    assert manifest["study"]["synthetic"] is False
    assert "edit study.yml" in manifest["study"]["condition"]["name"]
    code, stdout, stderr = _run("validate", str(out))
    assert code == 0, stderr
    assert "valid" in stdout and plural(participants, "participant") in stdout


def test_import_redcap_declares_levels(tmp_path: Path, fixtures_dir: Path) -> None:
    out = tmp_path / "redcap"
    code, _, stderr = _run(
        "import", str(fixtures_dir / "redcap" / "simple_data.csv"), "-o", str(out)
    )
    assert code == 0, stderr
    assert "Warning:" in stderr and "left out (identifier)" in stderr
    manifest = yaml.safe_load((out / "study.yml").read_text(encoding="utf-8"))
    assert manifest["attributes"]["sex"] == {"type": "categorical", "levels": ["Female", "Male"]}
    assert manifest["attributes"]["race_white"] == {"type": "categorical", "levels": ["No", "Yes"]}
    assert manifest["attributes"]["bmi"] == {"type": "numeric"}
    people = pl.read_csv(out / "participants.csv", infer_schema=False)
    assert "email" not in people.columns and people.height == 5
    assert _run("validate", str(out))[0] == 0


def test_refuses_a_non_empty_folder_unless_forced(tmp_path: Path, fixtures_dir: Path) -> None:
    out = tmp_path / "study"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    source = str(fixtures_dir / "qda" / "hand-authored-with-cases.qde")
    code, _, stderr = _run("import", source, "-o", str(out))
    assert code == 1 and "is not empty" in stderr and "--force" in stderr
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    # Issue 14: --force never replaces a folder holding files raremix did not write.
    code, _, stderr = _run("import", source, "-o", str(out), "--force")
    assert code == 1 and "Error:" in stderr and "notes.txt" in stderr
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    (out / "notes.txt").unlink()
    assert _run("import", source, "-o", str(out))[0] == 0
    code, _, stderr = _run("import", source, "-o", str(out))
    assert code == 1 and "is not empty" in stderr
    code, _, stderr = _run("import", source, "-o", str(out), "--force")
    assert code == 0, stderr
    assert sorted(p.name for p in out.iterdir()) == [
        ".raremix-written",
        "codebook.csv",
        "codings.csv",
        "participants.csv",
        "study.yml",
    ]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left
    # An edited study.yml is the user's work now: --force keeps it.
    with (out / "study.yml").open("a", encoding="utf-8") as handle:
        handle.write("# my note\n")
    code, _, stderr = _run("import", source, "-o", str(out), "--force")
    assert code == 1 and "study.yml' was changed" in stderr
    assert (out / "study.yml").read_text(encoding="utf-8").endswith("# my note\n")


def test_a_hostile_file_leaves_nothing(tmp_path: Path) -> None:
    bomb = tmp_path / "slip.qdpx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", "<Project/>")
        archive.writestr("../../escape.txt", b"x")
    out = tmp_path / "study"
    code, _, stderr = _run("import", str(bomb), "-o", str(out))
    assert code == 1
    assert stderr.startswith("Error: slip.qdpx: refused: archive member '../../escape.txt'")
    assert "Traceback" not in stderr and not out.exists()


def test_unknown_layout_error(tmp_path: Path) -> None:
    sheet = tmp_path / "segments.csv"
    sheet.write_text("Doc,Theme,Text\nA,pain,ouch\n", encoding="utf-8")
    code, _, stderr = _run("import", str(sheet), "-o", str(tmp_path / "s"))
    assert code == 1 and "Columns found: 'Doc', 'Theme', 'Text'" in stderr
    code, stdout, stderr = _run(
        "import",
        str(sheet),
        "-o",
        str(tmp_path / "s"),
        "--column",
        "participant_id=Doc",
        "--column",
        "code_id=Theme",
        "--column",
        "quote=Text",
    )
    assert code == 0, stderr
    assert "1 participant, 1 code, 1 coding" in stdout


def test_study_yml_can_name_the_vendor_files_directly(tmp_path: Path, fixtures_dir: Path) -> None:
    from toolkit.io.study import load_study

    shutil.copy(fixtures_dir / "qda" / "hand-authored-with-cases.qde", tmp_path / "project.qde")
    (tmp_path / "study.yml").write_text(
        "study: {id: direct, title: Direct, condition: {name: Test}}\ninputs: {project: project.qde}\n",
        encoding="utf-8",
    )
    study = load_study(tmp_path)
    assert study.participants["participant_id"].to_list() == ["Participant 1"]
    assert study.attributes["age"].type == "numeric"
    assert study.codebook.height == 4

    other = tmp_path / "segments"
    other.mkdir()
    shutil.copy(
        fixtures_dir / "exports" / "maxqda-coded-segments-polish.xls", other / "segments.xls"
    )
    from toolkit.io.exports import read_export

    people = read_export(other / "segments.xls").participants.with_columns(
        pl.lit("x").alias("site")
    )
    people.write_csv(other / "participants.csv")
    (other / "study.yml").write_text(
        "study: {id: direct-2, title: Direct, condition: {name: Test}}\n"
        "inputs: {participants: participants.csv, codings: segments.xls, format: maxqda}\n",
        encoding="utf-8",
    )
    study = load_study(other)
    assert study.codings.height == 402 and study.n_participants == 39


def test_codebook_exchange_file(tmp_path: Path, fixtures_dir: Path) -> None:
    from toolkit.io.study import load_study

    out = tmp_path / "cb"
    code, stdout, stderr = _run(
        "import", str(fixtures_dir / "qda" / "qualcoder-3.8.2-codebook.qdc"), "-o", str(out)
    )
    assert code == 0, stderr
    assert "0 participants, 38 codes, 0 codings" in stdout
    assert "add participants.csv and codings.csv" in stderr
    codebook = pl.read_csv(out / "codebook.csv", infer_schema=False)
    study = tmp_path / "s"
    study.mkdir()
    shutil.copy(fixtures_dir / "qda" / "qualcoder-3.8.2-codebook.qdc", study / "codes.qdc")
    leaf = codebook.filter(pl.col("label") == "Curriculum fidelity")["code_id"].item()
    (study / "participants.csv").write_text("participant_id\nP1\nP2\n", encoding="utf-8")
    (study / "codings.csv").write_text(f"participant_id,code_id\nP1,{leaf}\n", encoding="utf-8")
    (study / "study.yml").write_text(
        "study: {id: qdc, title: Q, condition: {name: Test}}\n"
        "inputs: {participants: participants.csv, codebook: codes.qdc, codings: codings.csv}\n",
        encoding="utf-8",
    )
    loaded = load_study(study)
    assert loaded.codebook.height == 38 and loaded.codings.height == 1
