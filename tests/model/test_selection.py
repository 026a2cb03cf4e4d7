"""Missing-value codes, rosters and ``inputs.where``; bins labelled by their true bounds."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from toolkit.errors import InputError
from toolkit.io.study import load_study
from toolkit.testing import make_study, write_study


def test_declared_missing_values_become_missing() -> None:
    study = make_study(
        {
            "participant_id": ["A", "B", "C", "D", "E"],
            "age": ["34", "-99", "51", "na", "-99.0"],
            "sex": ["Female", "unknown", "Male", ".", "NA"],
        },
        {"code_id": ["x"]},
        {"participant_id": ["A"], "code_id": ["x"]},
        attributes={"age": {"type": "numeric", "missing_values": [-99]}},
        extra={"inputs": {**_inputs(), "missing_values": ["na", "unknown", "."]}},
    )
    assert study.participants["age"].to_list() == [34.0, None, 51.0, None, None]
    assert study.participants["sex"].to_list() == ["Female", None, "Male", None, None]
    assert study.attributes["sex"].levels == ("Female", "Male")
    assert any("missing-value codes" in w and "age 3" in w for w in study.warnings)


def test_missing_key_is_still_rejected_with_its_line(tmp_path: Path) -> None:
    folder = write_study(
        tmp_path / "s",
        {"participant_id": ["A"]},
        {"code_id": ["x"]},
        {"participant_id": ["A"], "code_id": ["x"]},
    )
    text = (folder / "study.yml").read_text()
    (folder / "study.yml").write_text(text.replace("inputs:\n", "inputs:\n  missing: [na]\n"))
    with pytest.raises(InputError) as error:
        load_study(folder)
    problem = error.value.problems[0]
    assert "unknown key 'missing'" in problem.message and problem.line is not None


def _inputs() -> dict[str, str]:
    return {"participants": "p.csv", "codebook": "c.csv", "codings": "k.csv"}


PEOPLE = {
    "participant_id": [f"R{i:03d}" for i in range(1, 21)],
    "interviewed": ["Yes" if i % 4 == 0 else "No" for i in range(1, 21)],
}


def test_where_keeps_the_interviewed_and_reports_the_rest() -> None:
    study = make_study(
        PEOPLE,
        {"code_id": ["x"]},
        {"participant_id": ["R004", "R008"], "code_id": ["x", "x"]},
        extra={"inputs": {**_inputs(), "where": {"interviewed": [True]}}},
    )
    # YAML reads an unquoted Yes as a boolean: it still matches the cells "Yes".
    assert study.participants["participant_id"].to_list() == [
        "R004",
        "R008",
        "R012",
        "R016",
        "R020",
    ]
    assert len(study.excluded) == 15
    assert any("15 of 20 records left out" in w for w in study.warnings)


def test_coding_of_someone_left_out_is_an_error() -> None:
    with pytest.raises(InputError) as error:
        make_study(
            PEOPLE,
            {"code_id": ["x"]},
            {"participant_id": ["R004", "R005"], "code_id": ["x", "x"]},
            extra={"inputs": {**_inputs(), "where": {"interviewed": ["Yes"]}}},
        )
    (problem,) = error.value.problems
    assert "'R005' is coded but left out" in problem.message
    assert problem.line == 3 and problem.column == "participant_id"


def test_roster_restricts_participants(tmp_path: Path) -> None:
    folder = write_study(
        tmp_path / "s",
        PEOPLE,
        {"code_id": ["x"]},
        {"participant_id": ["R001"], "code_id": ["x"]},
        manifest=None,
    )
    pl.DataFrame({"participant_id": ["R001", "R002", "R003"]}).write_csv(folder / "roster.csv")
    text = (folder / "study.yml").read_text()
    (folder / "study.yml").write_text(
        text.replace("  codings: codings.csv\n", "  codings: codings.csv\n  roster: roster.csv\n")
    )
    study = load_study(folder)
    # R002 and R003 were not coded: they stay in the denominator.
    assert study.participants["participant_id"].to_list() == ["R001", "R002", "R003"]
    assert study.excluded == tuple(f"R{i:03d}" for i in range(4, 21))


def test_roster_id_unknown_is_located(tmp_path: Path) -> None:
    folder = write_study(
        tmp_path / "s", PEOPLE, {"code_id": ["x"]}, {"participant_id": ["R001"], "code_id": ["x"]}
    )
    (folder / "roster.csv").write_text("participant_id\nR001\nR999\n")
    text = (folder / "study.yml").read_text()
    (folder / "study.yml").write_text(
        text.replace("  codings: codings.csv\n", "  codings: codings.csv\n  roster: roster.csv\n")
    )
    with pytest.raises(InputError) as error:
        load_study(folder)
    (problem,) = error.value.problems
    assert problem.file == "roster.csv" and problem.line == 3 and "R999" in problem.message


def test_bins_are_labelled_by_their_true_bounds() -> None:
    from toolkit.stats.strata import stratum_frame

    study = make_study(
        {"participant_id": ["A", "B", "C"], "bmi": ["22.1", "49.65", "50"]},
        {"code_id": ["x"]},
        {"participant_id": ["A"], "code_id": ["x"]},
        attributes={"bmi": {"type": "numeric", "bins": [0, 50, 100]}},
    )
    frame, levels = stratum_frame(study, "bmi")
    assert levels == ["[0, 50)", "[50, 100]"]
    assert frame["stratum_value"].to_list() == ["[0, 50)", "[0, 50)", "[50, 100]"]


@pytest.mark.parametrize(
    ("edit", "key", "words"),
    [
        ("participant_unit: group\n", "participant_unit", "'case', 'source', 'speaker' or 'user'"),
        ("inputs:\n  speakers:\n    pattern: '([a-z'\n", "pattern", "not a regular expression"),
        ("inputs:\n  speakers:\n    pattern: '^P\\d+:'\n", "pattern", "needs one group"),
        ("inputs:\n  repeating: middle\n", "repeating", "'refuse', 'first' or 'last'"),
    ],
)
def test_new_keys_are_checked_with_their_line(
    tmp_path: Path, edit: str, key: str, words: str
) -> None:
    from toolkit.errors import InputError
    from toolkit.manifest import read_manifest

    path = tmp_path / "study.yml"
    text = (
        "study:\n  id: s\n  title: T\n  condition: {name: C}\n"
        "inputs:\n  participants: p.csv\n  codings: k.csv\n"
    )
    if edit.startswith("inputs:"):
        text = text.replace("inputs:\n", edit)
    else:
        text += edit
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_manifest(path)
    (problem,) = error.value.problems
    assert key in problem.message and words in problem.message, problem.message
    assert problem.line is not None
    assert text.splitlines()[problem.line - 1].strip().startswith(key)
