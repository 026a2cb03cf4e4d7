"""Spreadsheet reading: line numbers as the spreadsheet shows them, header problems reported."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from toolkit.errors import InputError
from toolkit.io.tables import read_table


def _xlsx(path: Path, cells: dict[str, object]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for ref, value in cells.items():
        sheet[ref] = value
    book.save(path)
    return path


def test_blank_rows_keep_the_line_numbers_of_the_spreadsheet(tmp_path: Path) -> None:
    # Row 3 is blank: the engine drops it, but P2 is still on line 4 and P3 on line 5.
    path = _xlsx(
        tmp_path / "p.xlsx",
        {"A1": "participant_id", "B1": "sex", "A2": "P1", "B2": "F", "A4": "P2", "A5": "P3"},
    )
    frame = read_table(path)
    assert frame["participant_id"].to_list() == ["P1", "P2", "P3"]
    assert frame["_row"].to_list() == [2, 4, 5]
    assert frame["sex"].to_list() == ["F", None, None]


def test_blank_rows_above_the_header_are_counted(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path / "p.xlsx",
        {"A3": "participant_id", "B3": "age", "A4": "P1", "B4": 40, "A5": "P2", "B5": 61.5},
    )
    frame = read_table(path)
    assert frame["_row"].to_list() == [4, 5]
    assert frame["age"].to_list() == ["40", "61.5"]


def test_repeated_and_blank_column_names_are_errors(tmp_path: Path) -> None:
    # The engine would rename the second 'sex' to 'sex_1' and invent '__UNNAMED__2'.
    repeated = _xlsx(
        tmp_path / "r.xlsx",
        {"A1": "participant_id", "B1": "sex", "C1": "sex", "A2": "P1", "B2": "F", "C2": "M"},
    )
    with pytest.raises(InputError) as caught:
        read_table(repeated)
    assert caught.value.lines() == [
        "r.xlsx:1: the header names column 'sex' 2 times; column names must be unique"
    ]
    blank = _xlsx(tmp_path / "b.xlsx", {"A1": "participant_id", "C1": "age", "A2": "P1", "B2": 3})
    with pytest.raises(InputError) as caught:
        read_table(blank)
    assert caught.value.lines() == [
        "b.xlsx:1: column 2 of the header has no name; give it one or delete the column"
    ]


def test_an_empty_unnamed_column_is_ignored(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "e.xlsx", {"A1": "participant_id", "C1": "age", "A2": "P1", "C2": 7})
    frame = read_table(path)
    assert frame.columns == ["_row", "participant_id", "age"]


def test_a_truncated_xls_is_one_clear_error_and_no_noise(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    source = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "exports"
    original = source / "maxqda-coded-segments-polish.xls"
    if not original.is_file():
        pytest.skip("shared fixtures not found")
    truncated = tmp_path / "segments.xls"
    truncated.write_bytes(original.read_bytes()[:2000])
    with pytest.raises(InputError) as caught:
        read_table(truncated)
    assert caught.value.lines()[0].startswith("segments.xls: cannot read the spreadsheet")
    out, err = capfd.readouterr()
    assert "WARNING" not in out + err
