"""`raremix validate`, `prevalence` and `init` through click's CliRunner."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from toolkit.cli import COMMANDS, main
from toolkit.io.study import load_study
from toolkit.stats.prevalence import COLUMNS, prevalence


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_every_command_has_help() -> None:
    for name in COMMANDS:
        code, out, _ = run(name, "--help")
        assert code == 0, name
        assert "Usage: main " + name in out or f"Usage: raremix {name}" in out or "Usage:" in out
        assert len(out.splitlines()) > 3, name


def test_validate_prints_a_one_line_summary(calciphylaxis: Path) -> None:
    code, out, _ = run("validate", calciphylaxis)
    assert code == 0
    assert out.count("\n") == 1
    study = load_study(calciphylaxis)
    assert f"{study.n_participants} participants" in out
    assert f"{study.codings.height} coded segments" in out
    assert "SYNTHETIC DATA" in out


def test_prevalence_csv_has_spec_columns_and_equals_the_library(calciphylaxis: Path) -> None:
    code, out, _ = run(
        "prevalence", calciphylaxis, "--by", "disease_status", "--by", "sex", "--format", "csv"
    )
    assert code == 0
    header = next(csv.reader(io.StringIO(out)))
    assert header == list(COLUMNS)
    from_cli = pl.read_csv(io.StringIO(out))
    expected = prevalence(load_study(calciphylaxis), by=["disease_status", "sex"])
    assert from_cli.height == expected.height
    assert from_cli["participants"].to_list() == expected["participants"].to_list()
    assert from_cli["ci_lower"].to_list() == pytest.approx(expected["ci_lower"].to_list())
    assert set(from_cli["stratum_variable"].drop_nulls()) == {"disease_status", "sex"}


def test_prevalence_formats_json_parquet_table(calciphylaxis: Path, tmp_path: Path) -> None:
    code, out, _ = run("prevalence", calciphylaxis, "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["synthetic"] is True and document["rows"][0]["code_id"]
    target = tmp_path / "prev.parquet"
    code, _, err = run("prevalence", calciphylaxis, "--by", "sex", "-o", target)
    assert code == 0 and "Wrote" in err
    frame = pl.read_parquet(target)
    assert frame.columns == list(COLUMNS)
    code, out, _ = run("prevalence", calciphylaxis, "--format", "table")
    assert (
        code == 0
        and "SYNTHETIC DATA" in out
        and "x/n" in out
        and "95% CI" in out
        and "CI: wilson" in out
    )


def test_ci_options_change_the_interval(calciphylaxis: Path) -> None:
    _, wilson, _ = run("prevalence", calciphylaxis, "--format", "csv")
    _, exact, _ = run(
        "prevalence",
        calciphylaxis,
        "--format",
        "csv",
        "--ci-method",
        "clopper_pearson",
        "--ci-level",
        "0.9",
    )
    a, b = pl.read_csv(io.StringIO(wilson)), pl.read_csv(io.StringIO(exact))
    assert set(b["ci_method"]) == {"clopper_pearson"} and set(b["ci_level"]) == {0.9}
    assert a["ci_lower"].to_list() != b["ci_lower"].to_list()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "nope"], "Error: unknown attribute 'nope' in study 'calciphylaxis-synthetic'"),
        (["--by", "interview_order"], "Error: numeric attribute 'interview_order' has no bins"),
        (["--ci-level", "2"], "Error: level must be between 0 and 1"),
        (["-o", "out.xyz"], "Error: cannot tell the format of 'out.xyz'"),
        (["--format", "parquet"], "Error: parquet is a binary format"),
    ],
)
def test_prevalence_usage_errors(calciphylaxis: Path, args: list[str], message: str) -> None:
    code, _, err = run("prevalence", calciphylaxis, *args)
    assert code == 1
    assert err.startswith(message), err
    assert "Traceback" not in err


def broken_copy(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "study"
    shutil.copytree(source, target)
    return target


def test_bad_study_exits_1_with_every_problem_and_writes_nothing(
    calciphylaxis: Path, tmp_path: Path
) -> None:
    study = broken_copy(calciphylaxis, tmp_path)
    codings = (study / "codings.csv").read_text().splitlines()
    first = codings[1].split(",", 1)
    codings[1] = "P99," + first[1]
    (study / "codings.csv").write_text("\n".join(codings) + "\n")
    with (study / "codebook.csv").open("a") as handle:
        handle.write("loop,Loop,loop,\n")
    target = tmp_path / "out.csv"
    for command in (["validate", study], ["prevalence", study, "-o", target]):
        code, _, err = run(*command)
        assert code == 1
        lines = err.strip().splitlines()
        assert (
            "Error: codings.csv:2: column 'participant_id': participant 'P99' is not in participants.csv"
            in lines[-1]
            or any(
                line.startswith("Error: codings.csv:2: column 'participant_id': participant 'P99'")
                for line in lines
            )
        )
        assert any("codebook.csv" in line and "cycle: loop → loop" in line for line in lines)
        assert "Traceback" not in err
    assert not target.exists()
    assert list(tmp_path.glob(".out.csv*")) == []


def test_prevalence_output_replaces_atomically(calciphylaxis: Path, tmp_path: Path) -> None:
    target = tmp_path / "p.csv"
    target.write_text("old contents\n")
    study = broken_copy(calciphylaxis, tmp_path)
    (study / "participants.csv").write_text("")
    code, _, err = run("prevalence", study, "-o", target)
    assert code == 1 and "participants.csv: the file is empty" in err
    assert target.read_text() == "old contents\n"
    code, _, _ = run("prevalence", calciphylaxis, "-o", target)
    assert code == 0 and target.read_text().startswith("code_id,label")


def test_missing_study_and_manifest_errors(tmp_path: Path) -> None:
    code, _, err = run("validate", tmp_path / "nowhere")
    assert code == 1 and "no such study folder" in err
    code, _, err = run("validate", tmp_path)
    assert code == 1 and "no study.yml here" in err
    (tmp_path / "study.yml").write_text("study: [unclosed\n")
    code, _, err = run("validate", tmp_path)
    assert code == 1 and "study.yml:2: not valid YAML" in err
    (tmp_path / "study.yml").write_text(
        "study: {id: Bad Id, title: t, condition: {name: c}, colour: red}\ninputs: {participants: p.csv, codings: c.csv}\n"
    )
    code, _, err = run("validate", tmp_path)
    assert code == 1
    assert "unknown key 'colour' under study" in err
    assert "'Bad Id' is not a slug" in err
    assert "inputs.participants names 'p.csv', which does not exist" not in err  # manifest first


def test_init_scaffolds_a_study_that_validate_explains(tmp_path: Path) -> None:
    target = tmp_path / "new-study"
    code, out, _ = run("init", target)
    assert code == 0 and "Created" in out
    assert sorted(p.name for p in target.iterdir()) == [
        "codebook.csv",
        "codings.csv",
        "participants.csv",
        "study.yml",
    ]
    assert (target / "codings.csv").read_text().startswith("participant_id,code_id")
    code, _, err = run("validate", target)
    assert code == 1 and "participants.csv: there are no participants" in err
    code, _, err = run("init", target)
    assert code == 1 and "already exists and is not empty" in err


def test_init_then_filled_tables_validate(tmp_path: Path) -> None:
    target = tmp_path / "s"
    run("init", target)
    (target / "participants.csv").write_text("participant_id,age,sex\nA,40,Female\nB,70,Male\n")
    (target / "codebook.csv").write_text(
        "code_id,label,parent_id,description\nt,Theme,,\nc,Code,t,\n"
    )
    (target / "codings.csv").write_text(
        "participant_id,code_id,quote,source,start,end,coder\nA,c,hello,,,,\n"
    )
    code, out, err = run("validate", target)
    assert code == 0, err
    assert "2 participants (1 with no coding)" in out
