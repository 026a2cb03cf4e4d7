"""`raremix differences`, `cooccurrence`, `saturation` and `agreement` through CliRunner.

The studies written into tmp_path here are SYNTHETIC (invented participants and codes).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.io.study import load_study
from toolkit.stats.agreement import AGREEMENT_COLUMNS
from toolkit.stats.cooccurrence import PARTICIPANT_COLUMNS, SEGMENT_COLUMNS
from toolkit.stats.saturation import CURVE_COLUMNS
from toolkit.stats.subgroups import COLUMNS as DIFFERENCE_COLUMNS
from toolkit.stats.subgroups import differences

METHOD_COMMANDS = ("differences", "cooccurrence", "saturation", "agreement")


def run(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def csv_frame(text: str) -> pl.DataFrame:
    return pl.read_csv(io.StringIO(text), infer_schema_length=None)


def write_study(root: Path, *, participants: str, codings: str, attributes: str = "") -> Path:
    """A small SYNTHETIC study folder."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "participants.csv").write_text(participants)
    (root / "codebook.csv").write_text(
        "code_id,label,parent_id\nbody,Body,\npain,Pain,body\nmind,Mind,\nfear,Fear,mind\n"
    )
    (root / "codings.csv").write_text(codings)
    (root / "study.yml").write_text(
        "study:\n  id: synthetic-cli\n  title: Synthetic CLI study\n"
        "  condition: {name: Testing}\n  synthetic: true\n"
        "inputs: {participants: participants.csv, codebook: codebook.csv, codings: codings.csv}\n"
        + (f"attributes:\n{attributes}" if attributes else "")
    )
    return root


@pytest.fixture
def plain_study(tmp_path: Path) -> Path:
    """One coder, no positions, an attribute with a single populated level."""
    return write_study(
        tmp_path / "plain",
        participants="participant_id,sex\nP1,Female\nP2,Female\nP3,Female\n",
        codings="participant_id,code_id\nP1,pain\nP2,fear\n",
        attributes="  sex: {type: categorical, levels: [Female, Male]}\n",
    )


@pytest.mark.parametrize("command", METHOD_COMMANDS)
def test_help(command: str) -> None:
    code, out, _ = run(command, "--help")
    assert code == 0
    assert "Usage:" in out and "Example" in out
    assert "--format" in out and "--output" in out


def test_differences_csv_matches_the_library(calciphylaxis: Path) -> None:
    code, out, err = run("differences", calciphylaxis, "--by", "disease_status", "--format", "csv")
    assert code == 0, err
    frame = csv_frame(out)
    assert frame.columns == list(DIFFERENCE_COLUMNS)
    expected = differences(load_study(calciphylaxis), by="disease_status")
    assert frame["difference"].to_list() == pytest.approx(expected["difference"].to_list())
    assert frame["p_adjusted"].to_list() == pytest.approx(expected["p_adjusted"].to_list())


def test_differences_options_and_json_file(calciphylaxis: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "sex.json"
    code, _, err = run(
        "differences",
        calciphylaxis,
        "--by",
        "sex",
        "--method",
        "miettinen_nurminen",
        "--ci-level",
        "0.9",
        "-o",
        target,
    )
    assert code == 0, err
    assert f"Wrote {target}" in err
    document = json.loads(target.read_text())
    assert document["synthetic"] is True and document["by"] == "sex"
    assert {row["ci_method"] for row in document["rows"]} == {"miettinen_nurminen"}
    assert {row["ci_level"] for row in document["rows"]} == {0.9}


def test_differences_table(calciphylaxis: Path) -> None:
    code, out, _ = run("differences", calciphylaxis, "--by", "disease_status", "--format", "table")
    assert code == 0
    assert "SYNTHETIC DATA" in out and "Remission vs Active" in out and "Fisher exact" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--by", "colour"),
            "Error: unknown attribute 'colour' in study 'synthetic-cli'; known attributes: sex",
        ),
        (
            ("--by", "sex"),
            "Error: attribute 'sex' has fewer than two levels with participants (Female (3), Male (0))",
        ),
        # settings are resolved (and checked) once, before any computing
        (("--by", "sex", "--ci-level", "1.5"), "Error: level must be between 0 and 1"),
    ],
)
def test_differences_bad_input(
    plain_study: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    target = tmp_path / "never.csv"
    code, out, err = run("differences", plain_study, *args, "-o", target)
    assert code == 1
    assert err.startswith(message)
    assert "Traceback" not in err and out == ""
    assert not target.exists()


def test_differences_bad_level_and_method(calciphylaxis: Path) -> None:
    code, _, err = run("differences", calciphylaxis, "--by", "sex", "--ci-level", "1.5")
    assert code == 1 and err.startswith("Error: level must be between 0 and 1")
    code, _, err = run("differences", calciphylaxis, "--by", "sex", "--method", "score")
    assert code == 2 and "Invalid value for '--method'" in err
    code, _, err = run("differences", calciphylaxis)
    assert code == 2 and "Missing option '--by'" in err


def test_differences_missing_study(tmp_path: Path) -> None:
    code, _, err = run("differences", tmp_path / "nowhere", "--by", "sex")
    assert code == 1 and err.startswith("Error: ") and "study" in err


def test_cooccurrence_both_levels(calciphylaxis: Path, tmp_path: Path) -> None:
    code, out, err = run("cooccurrence", calciphylaxis, "--format", "csv")
    assert code == 0, err
    frame = csv_frame(out)
    assert frame.columns == list(PARTICIPANT_COLUMNS)
    assert frame["depth"].unique().to_list() == [1]
    code, out, err = run(
        "cooccurrence", calciphylaxis, "--depth", "2", "--level", "segment", "--format", "csv"
    )
    assert code == 0, err
    frame = csv_frame(out)
    assert frame.columns == list(SEGMENT_COLUMNS) and frame["depth"].unique().to_list() == [2]
    code, out, _ = run("cooccurrence", calciphylaxis, "--format", "table")
    assert code == 0 and "Jaccard" in out and "SYNTHETIC DATA" in out


def test_cooccurrence_bad_input(plain_study: Path) -> None:
    code, _, err = run("cooccurrence", plain_study, "--level", "segment")
    assert code == 1
    assert err.startswith(
        "Error: segment-level co-occurrence needs coded segments with 'source', 'start' and 'end'"
    )
    code, _, err = run("cooccurrence", plain_study, "--depth", "3")
    assert code == 1 and err.startswith("Error: depth 3 is not in the codebook")
    code, _, err = run("cooccurrence", plain_study, "--level", "sentence")
    assert code == 2


def test_saturation(calciphylaxis: Path, tmp_path: Path) -> None:
    code, out, err = run("saturation", calciphylaxis, "--format", "csv")
    assert code == 0
    frame = csv_frame(out)
    # interviews are named by pseudonyms, never by the files' participant ids
    assert frame.columns == ["pseudonym" if c == "participant_id" else c for c in CURVE_COLUMNS]
    assert frame.height == load_study(calciphylaxis).n_participants
    assert (
        err.startswith("Saturation: saturation at n = ")
        and "(base 4, run 2, ≤5% new information" in err
    )
    target = tmp_path / "sat.json"
    code, _, err = run(
        "saturation",
        calciphylaxis,
        "--base",
        "3",
        "--run",
        "3",
        "--threshold",
        "0",
        "--depth",
        "2",
        "-o",
        target,
    )
    assert code == 0, err
    document = json.loads(target.read_text())
    assert (document["base"], document["run"], document["threshold"], document["depth"]) == (
        3,
        3,
        0.0,
        2,
    )
    assert document["statement"] in err and "≤0% new information" in document["statement"]
    code, out, err = run("saturation", calciphylaxis, "--format", "table")
    assert code == 0 and "saturation at n" in out and err == ""


def test_saturation_bad_input(calciphylaxis: Path) -> None:
    code, _, err = run("saturation", calciphylaxis, "--threshold", "5")
    assert code == 1 and err.startswith("Error: threshold is a fraction between 0 and 1")
    code, _, err = run("saturation", calciphylaxis, "--run", "0")
    assert code == 1 and err.startswith("Error: run length must be at least 1")


def test_agreement(calciphylaxis: Path) -> None:
    code, out, err = run("agreement", calciphylaxis, "--format", "csv")
    assert code == 0, err
    frame = csv_frame(out)
    assert frame.columns == list(AGREEMENT_COLUMNS)
    assert frame["coders"].unique().to_list() == [2]
    code, out, _ = run("agreement", calciphylaxis, "--format", "table")
    assert code == 0 and "Krippendorff" in out and "SYNTHETIC DATA" in out


def test_agreement_table_is_readable_in_80_columns(calciphylaxis: Path) -> None:
    # Long notes used to squeeze every column to an ellipsis ("agre…", "und…").
    result = CliRunner().invoke(
        main, ["agreement", str(calciphylaxis), "--format", "table"], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0, result.output
    assert "…" not in result.stdout
    undefined = "undefined: no variation (every coder gave every unit the same value)"
    assert f"* {undefined}" in " ".join(result.stdout.split())
    rows = [line for line in result.stdout.splitlines() if line.startswith("│   Pain ")]
    assert rows and rows[0].rstrip("│ ").endswith("*")


def test_agreement_without_coders(plain_study: Path, tmp_path: Path) -> None:
    target = tmp_path / "agreement.csv"
    code, out, err = run("agreement", plain_study, "-o", target)
    assert code == 1
    assert err.startswith(
        "Error: agreement needs codings from at least two coders in the 'coder' column of codings.csv; "
        "found no coder"
    )
    assert not target.exists() and out == ""


@pytest.mark.parametrize(
    "command",
    [
        ["prevalence"],
        ["differences", "--by", "sex"],
        ["cooccurrence"],
        ["saturation"],
    ],
)
def test_a_study_with_no_codes_is_a_clear_error(tmp_path: Path, command: list[str]) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "participants.csv").write_text("participant_id,sex\nP1,F\nP2,M\nP3,F\n")
    (folder / "codings.csv").write_text("participant_id,code_id\n")
    (folder / "study.yml").write_text(
        "study: {id: synthetic-empty, title: Synthetic empty, condition: {name: Test}, synthetic: true}\n"
        "inputs: {participants: participants.csv, codings: codings.csv}\n"
    )
    result = CliRunner().invoke(main, [command[0], str(folder), *command[1:]])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("Error: codings.csv: there are no codes to analyse")
    assert result.stdout == ""
    # validate accepts the folder (participants first, codings later) but says so.
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 0
    assert "Warning: codings.csv has no codings and no codebook is named" in result.stderr


def test_saturation_shows_raw_ids_only_when_asked(tmp_path: Path) -> None:
    """Issue 14 item 7: pseudonyms unless the user asks for raw ids explicitly."""
    ids = [f"MRN-{40000 + i}" for i in range(6)]
    folder = write_study(
        tmp_path / "s",
        participants="participant_id\n" + "\n".join(ids) + "\n",
        codings="participant_id,code_id\n" + "".join(f"{p},pain\n{p},fear\n" for p in ids),
    )
    for fmt in ("csv", "json", "table"):
        code, out, err = run("saturation", folder, "--format", fmt)
        assert code == 0, err
        assert not any(i in out or i in err for i in ids), fmt
    code, out, _ = run("saturation", folder, "--format", "csv", "--raw-ids")
    frame = csv_frame(out)
    assert code == 0 and sorted(frame["participant_id"].to_list()) == sorted(ids)
    assert frame.columns[1:3] == ["pseudonym", "participant_id"]
