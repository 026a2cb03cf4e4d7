"""Tests for toolkit.io.audit: every input row accounted for, and ``validate --explain``."""

from __future__ import annotations

from pathlib import Path

import polars as pl

# ------------------------------------------------------------------------------------------
# The input audit, on a SYNTHETIC study written here
# ------------------------------------------------------------------------------------------

STUDY_YML = """\
# SYNTHETIC test study
study: {id: privacy-synthetic, title: Privacy test (synthetic), condition: {name: Testitis}, synthetic: true}
inputs: {participants: participants.csv, codebook: codebook.csv, codings: codings.csv}
attributes:
  age: {type: numeric, bins: [18, 50, 65, 120]}
  sex: {type: categorical, levels: [Female, Male]}
  site: {type: categorical, levels: [North, South]}
analysis: {strata: [sex], coder: a}
privacy: {quasi_identifiers: [age, sex, site], k: 3, redact: {names: [Odile]}}
"""


def write_study(
    folder: Path, people: list[tuple[str, str, str, str]], codings: list[tuple[str, str, str, str]]
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "study.yml").write_text(STUDY_YML)
    (folder / "participants.csv").write_text(
        "participant_id,age,sex,site\n" + "".join(f"{p},{a},{s},{t}\n" for p, a, s, t in people)
    )
    (folder / "codebook.csv").write_text(
        "code_id,label,parent_id\nroot,Root,\npain,Pain,root\nfear,Fear,root\n"
    )
    (folder / "codings.csv").write_text(
        "participant_id,code_id,quote,coder\n"
        + "".join(f"{p},{c},{q},{w}\n" for p, c, q, w in codings)
    )
    return folder


PEOPLE = [
    ("s1", "30", "Female", "North"),
    ("s2", "35", "Female", "North"),
    ("s3", "40", "Female", "North"),
    ("s4", "55", "Female", "South"),
    ("s5", "58", "Male", "South"),
    ("s6", "70", "Male", "South"),
    ("s7", "", "Female", "South"),
    ("s10", "45", "Female", "North"),
]
CODINGS = [
    ("s1", "pain", "Odile said so", "a"),
    ("s1", "pain", "Odile said so", "b"),
    ("s2", "fear", "on 3 March 2021", "a"),
    ("s5", "pain", "it hurts", "b"),
]


def test_reconcile_accounts_for_every_row(tmp_path: Path) -> None:
    from toolkit.io.audit import reconcile
    from toolkit.io.study import load_study

    study = load_study(write_study(tmp_path / "s", PEOPLE, CODINGS))
    frame = reconcile(study)
    codings = frame.filter(pl.col("table") == "codings.csv")
    read = codings.filter(pl.col("status") == "read")["rows"].item()
    used = int(codings.filter(pl.col("status") == "used")["rows"].sum())
    left = int(codings.filter(pl.col("status") == "left out")["rows"].sum())
    assert read == 4 and used == 2 and left == 2 and used + left == read
    assert "coder 'b' is not analysis.coder 'a'" in codings["reason"].to_list()
    people = frame.filter((pl.col("table") == "participants.csv") & (pl.col("status") == "used"))
    assert people["rows"].sum() == len(PEOPLE)
    without = people.filter(pl.col("reason").str.starts_with("without"))
    assert without["rows"].item() == 6 and without["examples"].item().startswith("s3, s4")


def test_cli_validate_explain(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from toolkit.cli import main

    folder = write_study(tmp_path / "s", PEOPLE, CODINGS)
    result = CliRunner().invoke(main, ["validate", str(folder), "--explain"])
    assert result.exit_code == 0, result.output
    assert "accounted for" in result.stdout and "left out" in result.stdout
