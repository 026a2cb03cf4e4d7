"""Validation of the canonical model: every problem found, located and explained."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import InputError
from toolkit.testing import make_study

GOOD_PEOPLE = {
    "participant_id": ["P1", "P2", "P3"],
    "sex": ["F", "M", "F"],
    "age": ["40", "61", ""],
}
GOOD_CODES = {"code_id": ["a", "b"], "label": ["A", "B"], "parent_id": [None, "a"]}
GOOD_CODINGS = {"participant_id": ["P1", "P2"], "code_id": ["a", "b"]}


def problems(**overrides: object) -> list[str]:
    args = {
        "participants": GOOD_PEOPLE,
        "codebook": GOOD_CODES,
        "codings": GOOD_CODINGS,
        "attributes": {
            "sex": {"levels": ["F", "M"]},
            "age": {"type": "numeric", "bins": [18, 65, 120]},
        },
    }
    args.update(overrides)
    with pytest.raises(InputError) as caught:
        make_study(
            args["participants"], args["codebook"], args["codings"], attributes=args["attributes"]
        )  # type: ignore[arg-type]
    return caught.value.lines()


def test_good_study_types_its_attributes() -> None:
    study = make_study(
        GOOD_PEOPLE, GOOD_CODES, GOOD_CODINGS, attributes={"sex": {"levels": ["F", "M"]}}
    )
    assert study.attributes["age"].type == "numeric"
    assert study.participants["age"].to_list() == [40.0, 61.0, None]
    assert study.attributes["sex"].levels == ("F", "M")


def test_all_problems_are_reported_at_once_with_lines_and_columns() -> None:
    lines = problems(
        participants={
            "participant_id": ["P1", "P1", ""],
            "sex": ["F", "X", "M"],
            "age": ["40", "old", "inf"],
        },
        codebook={"code_id": ["a", "a", "c"], "parent_id": [None, None, "zzz"]},
        codings={"participant_id": ["P1", "P9"], "code_id": ["a", "nope"]},
    )
    expected = [
        "participants.csv:4: column 'participant_id': empty participant id",
        "participants.csv:3: column 'participant_id': participant 'P1' appears again (first on line 2)",
        "participants.csv:3: column 'sex': 'X' is not a declared level of 'sex' (F, M)",
        "participants.csv:3: column 'age': 'old' is not a number",
        "participants.csv:4: column 'age': 'inf' is not a finite number",
        "codebook.csv:3: column 'code_id': code 'a' appears again (first on line 2)",
        "codebook.csv:4: column 'parent_id': parent 'zzz' of code 'c' is not a code in the codebook",
        "codings.csv:3: column 'participant_id': participant 'P9' is not in participants.csv",
        "codings.csv:3: column 'code_id': code 'nope' is not in codebook.csv",
    ]
    for fragment in expected:
        assert any(line.startswith(fragment) for line in lines), (fragment, lines)


def test_cycles_are_named() -> None:
    lines = problems(codebook={"code_id": ["a", "b", "c"], "parent_id": ["c", "a", "b"]})
    cycles = [line for line in lines if "cycle" in line]
    assert len(cycles) == 1
    assert (
        "a → c → b → a" in cycles[0] or "c → b → a → c" in cycles[0] or "b → a → c → b" in cycles[0]
    )


def test_missing_columns_list_what_is_there() -> None:
    lines = problems(codings={"person": ["P1"], "code": ["a"]})
    assert lines == [
        "codings.csv:1: missing required columns 'participant_id', 'code_id' for the codings table; "
        "found: 'person', 'code'; expected at least: 'participant_id', 'code_id' "
        "(or map your column names with inputs.columns in study.yml)"
    ]


def test_values_outside_bins_and_undeclared_attribute() -> None:
    lines = problems(
        participants={"participant_id": ["P1"], "sex": ["F"], "age": ["130"]},
        attributes={
            "age": {"type": "numeric", "bins": [18, 65, 120]},
            "site": {"type": "categorical"},
        },
    )
    assert any("130 is outside the bins of 'age' (18 to 120)" in line for line in lines)
    assert any(line.startswith("study.yml: attribute 'site' is declared") for line in lines)


def test_empty_tables() -> None:
    lines = problems(
        participants={"participant_id": []}, codings={"participant_id": [], "code_id": []}
    )
    assert any("there are no participants" in line for line in lines)


def test_many_bad_rows_are_capped_and_counted() -> None:
    people = {"participant_id": [f"P{i}" for i in range(100)]}
    codings = {"participant_id": [f"Q{i}" for i in range(100)], "code_id": ["a"] * 100}
    lines = problems(participants=people, codings=codings, attributes={})
    assert len([line for line in lines if "is not in participants.csv" in line]) == 25
    assert any("... and 75 more rows with an unknown participant" in line for line in lines)


def test_enum_attribute_keeps_its_category_order_when_no_levels_are_declared() -> None:
    # A typed source (REDCap's dictionary) gives categories in its own, meaningful order.
    import polars as pl

    from toolkit.manifest import parse_manifest
    from toolkit.model import Tables, build_study
    from toolkit.testing import make_manifest

    order = ["Never", "Sometimes", "Always"]
    people = pl.DataFrame(
        {"participant_id": ["P1", "P2", "P3"], "pain": ["Always", "Never", None]},
        schema_overrides={"pain": pl.Enum(order)},
    ).with_row_index("_row", offset=2)
    tables = Tables(
        participants=people.with_columns(pl.col("_row").cast(pl.Int64)),
        codebook=pl.DataFrame({"code_id": ["a"], "label": ["A"], "parent_id": [None]}),
        codings=pl.DataFrame({"participant_id": ["P1"], "code_id": ["a"]}),
    )
    study = build_study(parse_manifest(make_manifest()), tables, root=Path())
    assert study.attributes["pain"].type == "categorical"
    assert study.attributes["pain"].levels == tuple(order)
    assert study.participants["pain"].to_list() == ["Always", "Never", None]
    # Levels declared in study.yml still win over the source's order.
    declared = parse_manifest(
        make_manifest(attributes={"pain": {"levels": ["Always", "Sometimes", "Never"]}})
    )
    assert build_study(declared, tables, root=Path()).attributes["pain"].levels == (
        "Always",
        "Sometimes",
        "Never",
    )


def test_manifest_problems_name_the_line_and_the_value(tmp_path: Path) -> None:
    from toolkit.manifest import read_manifest

    path = tmp_path / "study.yml"
    path.write_text(
        "study:\n"
        "  id: s\n"
        "  title: t\n"
        "  condition: {name: c}\n"
        "  colour: red\n"
        "inputs: {participants: p.csv, codings: c.csv}\n"
        "analysis:\n"
        "  ci: {method: wilsonn, level: 95}\n"
        "  min_cell: lots\n"
    )
    with pytest.raises(InputError) as caught:
        read_manifest(path)
    lines = caught.value.lines()
    assert lines[0].startswith("study.yml:5: unknown key 'colour' under study")
    assert any(
        line.startswith("study.yml:8: analysis.ci.method:") and "(found 'wilsonn')" in line
        for line in lines
    )
    assert any(
        line.startswith("study.yml:8: analysis.ci.level:") and "(found 95)" in line
        for line in lines
    )
    assert any(line.startswith("study.yml:9: analysis.min_cell:") for line in lines)


def test_padded_and_unknown_coding_ids_are_cleaned_or_reported_as_before() -> None:
    """Ids that are not exactly a participant's or a code's take the row-by-row path."""
    study = make_study(
        GOOD_PEOPLE,
        GOOD_CODES,
        {"participant_id": [" P1", "P2 ", "P3"], "code_id": ["a ", " b", "a"]},
    )
    assert study.codings["participant_id"].to_list() == ["P1", "P2", "P3"]
    assert study.codings["code_id"].to_list() == ["a", "b", "a"]
    lines = problems(codings={"participant_id": [" P1", "P9", ""], "code_id": ["a", "b", " x "]})
    assert lines == [
        "codings.csv:4: column 'participant_id': empty participant id; every coding must name a participant",
        "codings.csv:3: column 'participant_id': participant 'P9' is not in participants.csv; "
        "add a row for them there or correct the id",
        "codings.csv:4: column 'code_id': code 'x' is not in codebook.csv; "
        "add it to the codebook or correct the id",
    ]


def test_coding_positions_point_at_each_codings_participant_and_code() -> None:
    import dataclasses

    codings = {"participant_id": ["P3", "P1", "P3", "P2"], "code_id": ["b", "a", "a", "b"]}
    study = make_study(GOOD_PEOPLE, GOOD_CODES, codings)
    participant, code = study.coding_positions()
    assert participant is not None and code is not None
    people = study.participants["participant_id"].to_list()
    codes = study.codebook["code_id"].to_list()
    assert [people[i] for i in participant.to_list()] == codings["participant_id"]
    assert [codes[i] for i in code.to_list()] == codings["code_id"]
    # Positions hold only for the frames they were found for.
    other = dataclasses.replace(study, codings=study.codings.reverse())
    assert other.coding_positions() == (None, None)
    # Padded ids are cleaned row by row; their positions are then left to the counting.
    padded = make_study(GOOD_PEOPLE, GOOD_CODES, {"participant_id": [" P1"], "code_id": ["a"]})
    assert padded.coding_positions()[0] is None
    assert padded.coding_positions()[1] is not None
