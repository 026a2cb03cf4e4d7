"""QualCoder projects: the real Mannheimer project, and a hand-made one with cases."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import polars as pl
import pytest

from toolkit.errors import InputError
from toolkit.io.qualcoder import read_qualcoder


def test_mannheimer_project(fixtures_dir: Path) -> None:
    folder = fixtures_dir / "qualcoder" / "mannheimer-recoded.qda"
    before = sorted(p.name for p in folder.iterdir())
    tables = read_qualcoder(folder)
    assert (
        sorted(p.name for p in folder.iterdir()) == before
    )  # read-only: no journal left beside it
    assert tables.participants.height == 30  # no cases: one participant per source
    codebook = tables.codebook
    assert codebook.height == 230 + 55
    assert codebook.filter(pl.col("code_id").str.starts_with("cat:")).height == 55
    assert codebook.filter(pl.col("code_id").str.starts_with("code:")).height == 230
    assert codebook["code_id"].n_unique() == codebook.height
    known = set(codebook["code_id"].to_list())
    assert all(p is None or p in known for p in codebook["parent_id"].to_list())
    assert tables.codings.height == 753
    assert set(tables.codings["coder"].to_list()) == {"saramannheimer"}
    # Independent check of pos1 being exclusive: the stored text equals fulltext[pos0:pos1].
    connection = sqlite3.connect(f"file:{folder / 'data.qda'}?mode=ro&immutable=1", uri=True)
    fulltext = dict(connection.execute("SELECT name, fulltext FROM source"))
    connection.close()
    for row in tables.codings.head(50).iter_rows(named=True):
        assert fulltext[row["source"]][row["start"] : row["end"]] == row["quote"]
    assert any("no cases" in w for w in tables.warnings)


def _make_project(folder: Path) -> Path:
    folder.mkdir()
    db = folder / "data.qda"
    c = sqlite3.connect(db)
    c.executescript(
        """
        CREATE TABLE source (id integer primary key, name text, fulltext text, mediapath text);
        CREATE TABLE code_cat (catid integer primary key, name text, supercatid integer, memo text);
        CREATE TABLE code_name (cid integer primary key, name text, catid integer, memo text, color text);
        CREATE TABLE code_text (ctid integer primary key, cid integer, fid integer, seltext text,
                                pos0 integer, pos1 integer, owner text);
        CREATE TABLE cases (caseid integer primary key, name text);
        CREATE TABLE case_text (id integer primary key, caseid integer, fid integer, pos0 integer, pos1 integer);
        CREATE TABLE attribute_type (name text primary key, caseOrFile text, valuetype text);
        CREATE TABLE attribute (attrid integer primary key, name text, attr_type text, value text, id integer);
        INSERT INTO source VALUES (1, 'group', 'AA: pain at night. BB: tired.', NULL);
        INSERT INTO code_cat VALUES (1, 'Burden', NULL, 'domain');
        INSERT INTO code_name VALUES (1, 'Pain', 1, NULL, '#ff0000'), (2, 'Fatigue', 1, NULL, NULL);
        INSERT INTO code_text VALUES (1, 1, 1, 'pain at night', 4, 17, 'ana'),
                                     (2, 2, 1, 'tired', 23, 28, 'ben');
        INSERT INTO cases VALUES (1, 'AA'), (2, 'BB'), (3, 'CC');
        INSERT INTO case_text VALUES (1, 1, 1, 0, 18), (2, 2, 1, 19, 29);
        INSERT INTO attribute_type VALUES ('Age', 'case', 'numeric'), ('Sex', 'case', 'character');
        INSERT INTO attribute VALUES (1, 'Age', 'case', '44', 1), (2, 'Age', 'case', '71', 2),
                                     (3, 'Sex', 'case', 'F', 1), (4, 'Sex', 'case', '', 3);
        """
    )
    c.commit()
    c.close()
    return folder


def test_cases_and_attributes(tmp_path: Path) -> None:
    tables = read_qualcoder(_make_project(tmp_path / "demo.qda"))
    assert tables.participants.to_dicts() == [
        {"participant_id": "AA", "age": 44.0, "sex": "F"},
        {"participant_id": "BB", "age": 71.0, "sex": None},
        {"participant_id": "CC", "age": None, "sex": None},
    ]
    assert tables.attribute_types == {"age": "numeric", "sex": "categorical"}
    assert tables.codings.select("participant_id", "code_id", "coder").rows() == [
        ("AA", "code:1", "ana"),
        ("BB", "code:2", "ben"),
    ]
    assert tables.codebook.select("code_id", "parent_id").rows() == [
        ("cat:1", None),
        ("code:2", "cat:1"),
        ("code:1", "cat:1"),
    ]


def test_not_a_qualcoder_database(tmp_path: Path) -> None:
    folder = tmp_path / "x.qda"
    folder.mkdir()
    sqlite3.connect(folder / "data.qda").execute("CREATE TABLE t (a)").connection.commit()
    with pytest.raises(InputError, match="not a QualCoder database"):
        read_qualcoder(folder)
    (folder / "data.qda").write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(InputError, match="not a readable SQLite database"):
        read_qualcoder(folder)
