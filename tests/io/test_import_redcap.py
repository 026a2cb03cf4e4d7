"""REDCap exports with their data dictionaries (the REDCapR test projects)."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from toolkit.errors import InputError
from toolkit.io import importers, redcap


def _pair(fixtures_dir: Path, name: str) -> tuple[Path, Path]:
    folder = fixtures_dir / "redcap"
    return folder / f"{name}_data.csv", folder / f"{name}_dictionary.csv"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_parse_choices() -> None:
    assert redcap.parse_choices("1, Female | 2, Male") == (("1", "Female"), ("2", "Male"))
    assert redcap.parse_choices("a, A|b, B, with comma") == (("a", "A"), ("b", "B, with comma"))


def test_simple(fixtures_dir: Path) -> None:
    data, dictionary = _pair(fixtures_dir, "simple")
    raw = _rows(data)
    assert len(raw) == 5 and len(raw[0]) == 24
    assert len(_rows(dictionary)) == 16
    result = redcap.read_redcap(data, dictionary)
    frame = result.frame
    assert frame["participant_id"].to_list() == [r["record_id"] for r in raw]
    # sex holds FALSE/TRUE (via R) for the codes 0/1: "0, Female | 1, Male".
    assert frame["sex"].to_list() == ["Female" if r["sex"] == "FALSE" else "Male" for r in raw]
    assert result.levels["sex"] == ("Female", "Male")
    assert result.levels["ethnicity"] == (
        "Unknown / Not Reported",
        "NOT Hispanic or Latino",
        "Hispanic or Latino",
    )
    # Checkbox race___5 (White) -> race_white, Yes/No from 1/0.
    assert frame["race_white"].to_list() == ["Yes" if r["race___5"] == "1" else "No" for r in raw]
    assert result.levels["race_white"] == ("No", "Yes")
    assert frame["bmi"].to_list() == [float(r["bmi"]) for r in raw]  # calc field: numeric
    assert result.types["age"] == "numeric" and frame["age"].dtype == pl.Float64
    for hidden in ("name_first", "email", "dob", "comments", "mugshot", "demographics_complete"):
        assert hidden not in frame.columns
    assert any("left out (file upload): mugshot" in w for w in result.warnings)
    assert any("TRUE/FALSE" in w for w in result.warnings)


def test_checkboxes_only(fixtures_dir: Path) -> None:
    data, dictionary = _pair(fixtures_dir, "checkboxes-1")
    raw = _rows(data)
    assert len(raw) == 4 and len(raw[0]) == 13 and len(_rows(dictionary)) == 4
    result = redcap.read_redcap(data, dictionary)
    expected_columns = [f"check_one_{w}" for w in ("one", "two", "three", "four")] + [
        f"check_two_{c}" for c in "abcde"
    ]
    assert [c for c in result.frame.columns if c.startswith("check_")] == expected_columns

    def never_filled(r: dict[str, str]) -> bool:
        # Issue 13: form_2 never filled (status 0, no value on it) -> missing, not "No".
        boxes = [v for k, v in r.items() if "___" in k]
        return r["form_2_complete"] in ("", "0") and not r["desired_result"] and set(boxes) <= {"0"}

    assert result.frame["check_two_c"].to_list() == [
        None if never_filled(r) else "Yes" if r["check_two___c"] == "1" else "No" for r in raw
    ]
    assert [never_filled(r) for r in raw] == [False, False, False, True]
    assert any("1 record(s) never filled the form 'form_2'" in w for w in result.warnings)


def test_survey_export(fixtures_dir: Path) -> None:
    data, dictionary = _pair(fixtures_dir, "survey")
    raw = _rows(data)
    assert len(raw) == 2 and len(raw[0]) == 33 and len(_rows(dictionary)) == 25
    result = redcap.read_redcap(data, dictionary)
    assert result.frame["participant_id"].to_list() == ["1", "2"]
    assert result.frame["has_diabetes"].to_list() == ["True", "False"]
    assert result.frame["consent_i_consent"].to_list() == ["Yes", "No"]
    assert not any(
        c.endswith("_timestamp") or c.startswith("redcap_") for c in result.frame.columns
    )


def test_repeating_instruments_are_refused(fixtures_dir: Path) -> None:
    data, dictionary = _pair(fixtures_dir, "repeating-instruments")
    assert len(_rows(data)) == 6 and len(_rows(dictionary)) == 11
    with pytest.raises(InputError) as error:
        redcap.read_redcap(data, dictionary)
    problem = error.value.problems[0]
    assert (
        problem.file == data.name
        and problem.line == 3
        and problem.column == "redcap_repeat_instrument"
    )
    assert "repeating instruments (bp)" in problem.message and "Export again" in problem.message


def test_longitudinal_is_collapsed(fixtures_dir: Path) -> None:
    data, dictionary = _pair(fixtures_dir, "longitudinal")
    raw = _rows(data)
    assert len(raw) == 18 and len(raw[0]) == 125 and len(_rows(dictionary)) == 95
    result = redcap.read_redcap(data, dictionary)
    assert result.frame["participant_id"].to_list() == ["100", "220", "304"]
    # Age is filled in one event per record: collapsed to that value.
    for record in ("100", "220", "304"):
        ages = {r["age"] for r in raw if r["study_id"] == record and r["age"]}
        assert result.frame.filter(pl.col("participant_id") == record)["age"].item() == float(
            ages.pop()
        )
    warning = next(w for w in result.warnings if "longitudinal" in w)
    assert "collapsed to one row per record" in warning and "pmq1" in warning
    assert "pmq1" not in result.frame.columns


def test_unknown_choice_code_names_line_and_column(tmp_path: Path, fixtures_dir: Path) -> None:
    data, dictionary = _pair(fixtures_dir, "checkboxes-1")
    bad = tmp_path / "bad_data.csv"
    lines = data.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[2].split(",")
    cells[header.index("check_one___2")] = "7"
    bad.write_text(
        "\n".join([lines[0], lines[1], ",".join(cells), *lines[3:]]) + "\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as error:
        redcap.read_redcap(bad, dictionary)
    problem = error.value.problems[0]
    assert (problem.line, problem.column) == (3, "check_one___2")
    assert "'7' is not one of the field's choices" in problem.message


def test_dictionary_found_beside_and_enum_levels(fixtures_dir: Path) -> None:
    data, _ = _pair(fixtures_dir, "simple")
    assert redcap.find_dictionary(data) == fixtures_dir / "redcap" / "simple_dictionary.csv"
    assert importers.detect(data) == "redcap"
    read = importers.read_participants_file(data)
    assert read.frame.schema["sex"] == pl.Enum(["Female", "Male"])
    assert "simple_data.csv: data dictionary read from simple_dictionary.csv" in read.warnings


def test_not_a_dictionary(tmp_path: Path, fixtures_dir: Path) -> None:
    data, _ = _pair(fixtures_dir, "simple")
    fake = tmp_path / "dict.csv"
    fake.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a REDCap data dictionary"):
        redcap.read_redcap(data, fake)
    other = fixtures_dir / "redcap" / "survey_dictionary.csv"
    with pytest.raises(InputError, match="is this the dictionary of this project"):
        redcap.read_redcap(data, other)


@pytest.mark.parametrize("how", ["first", "last"])
def test_repeating_instruments_first_or_last(fixtures_dir: Path, how: str) -> None:
    data, dictionary = _pair(fixtures_dir, "repeating-instruments")
    raw = _rows(data)
    instances: dict[str, list[dict[str, str]]] = {}
    for row in raw:
        if row["redcap_repeat_instrument"]:
            instances.setdefault(row["record_id"], []).append(row)
    result = redcap.read_redcap(data, dictionary, repeating=how)
    frame = result.frame
    assert frame["participant_id"].to_list() == ["1", "2"]
    for record, rows in instances.items():
        rows.sort(key=lambda r: int(r["redcap_repeat_instance"]))
        want = rows[0 if how == "first" else -1]
        got = frame.filter(pl.col("participant_id") == record).row(0, named=True)
        assert got["bp_systolic"] == float(want["bp_systolic"])
        assert got["bp_diastolic"] == float(want["bp_diastolic"])
    # The record's own fields stay (age from its own row).
    assert frame["age"].to_list() == [
        float(r["age"]) for r in raw if not r["redcap_repeat_instrument"]
    ]
    assert any(
        f"kept each record's {how} instance" in w and "2 other" in w for w in result.warnings
    )
    # Dates are named as dates, not "free text".
    assert any("left out (date): date_enrolled, date_bp" in w for w in result.warnings)
    assert not any("free text" in w and "date" in w for w in result.warnings)


def test_decimal_comma_numbers_are_numbers(tmp_path: Path) -> None:
    dictionary = tmp_path / "dictionary.csv"
    dictionary.write_text(
        '"Variable / Field Name","Form Name","Field Type","Field Label",'
        '"Text Validation Type OR Show Slider Number"\n'
        "record_id,f,text,ID,\n"
        "temperature,f,text,Temperature,number_1dp_comma_decimal\n"
        "phone,f,text,Phone,phone\n",
        encoding="utf-8",
    )
    data = tmp_path / "data.csv"
    data.write_text(
        'record_id,temperature,phone,f_complete\n1,"36,5",555-1234,2\n2,"38,0",,2\n3,,,0\n',
        encoding="utf-8",
    )
    result = redcap.read_redcap(data, dictionary)
    assert result.frame["temperature"].to_list() == [36.5, 38.0, None]
    assert result.types["temperature"] == "numeric"
    assert any("left out (phone number): phone" in w for w in result.warnings)
