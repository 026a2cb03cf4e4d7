"""Coded-segment spreadsheets and the Taguette project database."""

from __future__ import annotations

import csv
import sqlite3
from collections import Counter
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import xlrd

from toolkit.errors import InputError
from toolkit.io import exports, importers


def test_maxqda_polish_xls(fixtures_dir: Path) -> None:
    path = fixtures_dir / "exports" / "maxqda-coded-segments-polish.xls"
    tables = exports.read_export(path)
    assert tables.codings.height == 402
    # Independent reading with xlrd: document, code and segment columns, row by row.
    sheet = xlrd.open_workbook(str(path)).sheet_by_index(0)
    header = sheet.row_values(0)
    doc, code, seg, author = (
        header.index(h) for h in ("Nazwa dokumentu", "Kod", "Fragment", "Autor")
    )
    rows = [sheet.row_values(r) for r in range(1, sheet.nrows)]
    assert tables.codings["participant_id"].to_list() == [str(r[doc]) for r in rows]
    assert tables.codings["code_id"].to_list() == [r[code] for r in rows]
    assert tables.codings["quote"].to_list()[:3] == [r[seg] for r in rows[:3]]
    assert set(tables.codings["coder"].to_list()) == {r[author] for r in rows}
    assert tables.codebook.height == 7
    assert tables.participants.height == len({r[doc] for r in rows}) == 39
    assert tables.codings["_row"].to_list()[:2] == [2, 3]
    # MAXQDA's Begin/End are paragraphs, not characters: not read as offsets.
    assert tables.codings["start"].null_count() == 402


def test_qualcoder_coded_text_csv(fixtures_dir: Path) -> None:
    path = fixtures_dir / "exports" / "qualcoder-coded-text-FG06-FG11.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    tables = exports.read_export(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tables.codings.height == len(rows) == 235
    assert tables.codings["code_id"].n_unique() == 11
    assert Counter(tables.codings["participant_id"].to_list()) == Counter(r["File"] for r in rows)
    assert set(tables.codings["coder"].to_list()) == {"Ingrid"}
    categories = tables.codebook.filter(pl.col("code_id").str.starts_with("cat:"))
    assert sorted(categories["label"].to_list()) == ["8 Referências", "9 Abrangência"]
    assert tables.codebook.height == 11 + 2


def test_qualcoder_case_attribute_samples(fixtures_dir: Path) -> None:
    csv_frame = importers.read_participants_file(
        fixtures_dir / "exports" / "qualcoder-example-cases123.csv"
    ).frame
    assert csv_frame["participant_id"].to_list() == ["ID1", "ID2", "ID3"]
    assert csv_frame["Age"].to_list() == ["20", "22", "45"]
    xlsx = fixtures_dir / "exports" / "qualcoder-example-cases456.xlsx"
    frame = importers.read_participants_file(xlsx).frame
    sheet = openpyxl.load_workbook(xlsx, read_only=True).worksheets[0]
    expected = [str(r[0]) for r in list(sheet.iter_rows(values_only=True))[1:]]
    assert frame["participant_id"].to_list() == expected == ["ID4", "ID5", "ID6"]


def test_taguette_project_database(fixtures_dir: Path) -> None:
    path = fixtures_dir / "taguette" / "sample-project.sqlite3"
    tables = exports.read_taguette(path)
    assert tables.participants.height == 10
    assert tables.codebook.height == 6
    assert "deductive: autonomy" in tables.codebook["code_id"].to_list()
    assert tables.codings.height == 24  # one row per highlight and tag
    connection = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    assert connection.execute("SELECT count(*) FROM highlights").fetchone()[0] == 18
    connection.close()
    assert tables.codings.select(pl.struct("start", "end").n_unique()).item() == 18
    assert not any("<p>" in q for q in tables.codings["quote"].to_list())


def test_taguette_highlights_csv(tmp_path: Path) -> None:
    path = tmp_path / "highlights.csv"
    path.write_text(
        "id,document,tag,content\n"
        '1,P01 interview,pain,"It hurts, mostly at night"\n'
        "1,P01 interview,sleep,It hurts at night\n"
        "2,P02 interview,pain,Burning\n",
        encoding="utf-8",
    )
    tables = importers.read_project(path)
    assert tables.codings.select("participant_id", "code_id", "quote").rows() == [
        ("P01 interview", "pain", "It hurts, mostly at night"),
        ("P01 interview", "sleep", "It hurts at night"),
        ("P02 interview", "pain", "Burning"),
    ]
    assert tables.participants["participant_id"].to_list() == ["P01 interview", "P02 interview"]
    assert tables.codebook["code_id"].to_list() == ["pain", "sleep"]


def test_maxqda_english_xlsx_with_code_paths(tmp_path: Path) -> None:
    path = tmp_path / "segments.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        [
            "Color",
            "Comment",
            "Document group",
            "Document name",
            "Code",
            "Begin",
            "End",
            "Segment",
            "Created by",
        ]
    )
    sheet.append(["", "", "Active", "P01", "Burden\\Pain\\Night", 3, 3, "at night", "ana"])
    sheet.append(["", "", "Active", "P02", "Burden \\ Fatigue", 1, 2, "tired", "ana"])
    book.save(path)
    tables = exports.read_export(path, fmt="maxqda")
    assert tables.codebook.select("code_id", "label", "parent_id").rows() == [
        ("Burden", "Burden", None),
        ("Burden\\Pain", "Pain", "Burden"),
        ("Burden\\Pain\\Night", "Night", "Burden\\Pain"),
        ("Burden\\Fatigue", "Fatigue", "Burden"),
    ]
    assert tables.codings["code_id"].to_list() == ["Burden\\Pain\\Night", "Burden\\Fatigue"]


def test_generic_mapping_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "dedoose.csv"
    path.write_text(
        "Media Title,Code Applied,Excerpt,Start\nint-7,Pain,ouch,12\nint-8,Pain,hurt,x\n",
        encoding="utf-8",
    )
    columns = {
        "participant_id": "Media Title",
        "code_id": "Code Applied",
        "quote": "Excerpt",
        "start": "Start",
    }
    with pytest.raises(InputError) as error:
        exports.read_export(path, columns=columns)
    assert error.value.problems[0].line == 3 and error.value.problems[0].column == "Start"
    path.write_text(
        "Media Title,Code Applied,Excerpt,Start\nint-7,Pain,ouch,12\n", encoding="utf-8"
    )
    tables = exports.read_export(path, columns=columns)
    assert tables.codings.select("participant_id", "code_id", "quote", "start").rows() == [
        ("int-7", "Pain", "ouch", 12)
    ]


def test_unknown_layout_lists_columns_and_keys(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Who,What\nA,B\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        exports.read_export(path)
    message = str(error.value)
    assert "'Who', 'What'" in message
    assert "participant_id, code_id (required)" in message and "format:" in message
    with pytest.raises(InputError, match="not a known coded-segment layout"):
        exports.read_export(path, fmt="nvivo-classic")
    with pytest.raises(InputError, match="unknown key 'participant'"):
        exports.read_export(path, columns={"participant": "Who"})
    with pytest.raises(InputError, match="'Whom', which is not in the file"):
        exports.read_export(path, columns={"participant_id": "Whom", "code_id": "What"})
