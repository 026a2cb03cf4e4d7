"""Reading canonical tables from CSV, TSV, XLSX and Parquet, and the errors for bad files."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
import pytest

from toolkit.errors import InputError
from toolkit.io.tables import read_table

ROWS = [["participant_id", "age", "sex"], ["007", "41", "Female"], ["P2", "", "Male"]]


def as_text(rows: list[list[str]], sep: str = ",") -> str:
    return "\n".join(sep.join(r) for r in rows) + "\n"


def check_frame(frame: pl.DataFrame) -> None:
    assert frame.columns == ["_row", "participant_id", "age", "sex"]
    assert frame["_row"].to_list() == [2, 3]
    assert frame["participant_id"].to_list() == ["007", "P2"]  # ids stay strings
    assert frame["age"].to_list() == ["41", None]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("p.csv", as_text(ROWS).encode()),
        ("p.csv", b"\xef\xbb\xbf" + as_text(ROWS).encode()),  # Excel's "CSV UTF-8" BOM
        ("p.csv", as_text(ROWS).replace("\n", "\r\n").encode()),  # Windows line ends
        ("p.csv", as_text(ROWS, ";").encode()),  # European-locale spreadsheets
        ("p.tsv", as_text(ROWS, "\t").encode()),
    ],
)
def test_text_tables(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    check_frame(read_table(path))


def test_xlsx_reads_cells_as_text(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["participant_id", "age", "sex"])
    sheet.append(["007", 41, "Female"])
    sheet.append(["P2", None, "Male"])
    book.save(tmp_path / "p.xlsx")
    frame = read_table(tmp_path / "p.xlsx")
    assert frame["participant_id"].to_list() == ["007", "P2"]
    assert frame["_row"].to_list() == [2, 3]
    assert float(frame["age"][0]) == 41 and frame["age"][1] is None


def test_parquet_keeps_types_and_numbers_rows(tmp_path: Path) -> None:
    pl.DataFrame({"participant_id": ["a", "b"], "age": [40.0, None]}).write_parquet(
        tmp_path / "p.parquet"
    )
    frame = read_table(tmp_path / "p.parquet")
    assert frame["_row"].to_list() == [1, 2]
    assert frame["age"].dtype == pl.Float64


def test_quoted_newlines_count_as_one_spreadsheet_row(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text('participant_id,quote\nP1,"two\nlines"\nP2,x\n')
    assert read_table(tmp_path / "c.csv")["_row"].to_list() == [2, 3]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "é,b\n1,2\n".encode("latin-1"),
            "c.csv:1: the file is not UTF-8 (byte 0xe9 cannot be decoded)",
        ),
        ("a,b\n1,2\n".encode("utf-16"), "c.csv: the file is UTF-16 encoded; save it as UTF-8"),
        (b"", "c.csv: the file is empty"),
        (b"   \n\n", "c.csv: the file is empty"),
        (b"a,a\n1,2\n", "c.csv:1: the header names column 'a' 2 times"),
        (b"a,,c\n1,2,3\n", "c.csv:1: column 2 of the header has no name"),
        (b"a,b\n1,2\n3,4,5\n", "c.csv:3: this row has 3 fields but the header has 2"),
        (b"a,b\n1\n", "c.csv:2: this row has 1 fields but the header has 2"),
        (
            b'a,b\n1,"open\n2,3\n',
            'c.csv:2: cannot read this row: a double quote (") opens a quoted value',
        ),
    ],
)
def test_bad_text_files_are_located(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_table(path)
    assert caught.value.lines()[0].startswith(expected), caught.value.lines()


def test_unknown_extension_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_table(tmp_path / "nope.csv")
    (tmp_path / "x.sav").write_bytes(b"\x00")
    with pytest.raises(InputError, match=r"cannot read '\.sav' files here; use one of \.csv"):
        read_table(tmp_path / "x.sav")


def test_damaged_spreadsheet(tmp_path: Path) -> None:
    (tmp_path / "p.xlsx").write_bytes(b"not a zip")
    with pytest.raises(InputError, match=r"p\.xlsx: cannot read the spreadsheet"):
        read_table(tmp_path / "p.xlsx")


# Spreadsheet line numbers and header problems (blank rows, repeated or blank names).


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


def test_blank_lines_are_not_rows_and_keep_line_numbers(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("participant_id,age\nP1,3\n\n,\nP2,4\n")
    frame = read_table(tmp_path / "p.csv")
    assert frame["participant_id"].to_list() == ["P1", "P2"]
    assert frame["_row"].to_list() == [2, 5]
