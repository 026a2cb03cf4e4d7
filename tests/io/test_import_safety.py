"""Hostile inputs: each refused with a clear error naming the file, nothing read or written."""

from __future__ import annotations

import sqlite3
import struct
import zipfile
from pathlib import Path

import pytest

from toolkit.errors import InputError
from toolkit.io import refi
from toolkit.io.safety import ZipLimits, connect_sqlite, open_zip, parse_xml

CODEBOOK = '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="a" name="{name}" isCodable="true"/></Codes></CodeBook>'


def test_xxe_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    path = tmp_path / "evil.qdc"
    path.write_text(
        f'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x SYSTEM "file://{secret}">]>'
        + CODEBOOK.format(name="&x;"),
        encoding="utf-8",
    )
    with pytest.raises(InputError) as error:
        refi.read_codebook(path)
    assert error.value.problems[0].file == "evil.qdc"
    assert "refused" in str(error.value) and "TOP SECRET" not in str(error.value)


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    # Each entity is ten of the previous one: l9 would expand to 10**9 'ha'.
    entities = '<!ENTITY l0 "ha">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    )
    document = f'<?xml version="1.0"?><!DOCTYPE c [{entities}]>' + CODEBOOK.format(name="&l9;")
    with pytest.raises(InputError, match="declares a document type or entities"):
        parse_xml(document.encode(), file="laughs.qdc")


def test_external_dtd_is_refused() -> None:
    document = (
        '<?xml version="1.0"?><!DOCTYPE c SYSTEM "http://example.invalid/evil.dtd">'
        + CODEBOOK.format(name="x")
    )
    with pytest.raises(InputError, match="refused"):
        parse_xml(document.encode(), file="dtd.qdc")


def test_malformed_xml_gives_line_and_column() -> None:
    with pytest.raises(InputError, match=r"not well-formed XML at line 2"):
        parse_xml(b"<a>\n<b></a>", file="broken.qde")


def _project() -> str:
    return '<Project xmlns="urn:QDA-XML:project:1.0"><CodeBook><Codes/></CodeBook></Project>'


@pytest.mark.parametrize(
    "member", ["../../etc/evil.txt", "/etc/evil.txt", "sources/../../evil.txt", "C:/evil.txt"]
)
def test_zip_slip_is_refused(tmp_path: Path, member: str) -> None:
    path = tmp_path / "slip.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", _project())
        archive.writestr(zipfile.ZipInfo(member), b"x")
    with pytest.raises(InputError) as error:
        refi.read_refi(path)
    assert error.value.problems[0].file == "slip.qdpx"
    assert f"'{member}'" in str(error.value)
    assert not (tmp_path.parent / "etc").exists()


def test_zip_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    path = tmp_path / "bomb.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", _project())
        archive.writestr("sources/big.txt", b"\0" * (50 * 1024 * 1024))
    assert path.stat().st_size < 200_000
    with pytest.raises(InputError, match="looks like a zip bomb"):
        refi.read_refi(path)


def test_size_limits(tmp_path: Path) -> None:
    path = tmp_path / "big.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("project.qde", _project())
        archive.writestr("sources/a.txt", b"a" * 5000)
    with (
        pytest.raises(InputError, match=r"would inflate to 5,000 bytes \(limit 4,000\)"),
        open_zip(path, limits=ZipLimits(max_member=4000)),
    ):
        pass
    with (
        pytest.raises(InputError, match="in all"),
        open_zip(path, limits=ZipLimits(max_total=4999)),
    ):
        pass


def test_member_larger_than_declared_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "liar.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", _project())
        archive.writestr("sources/a.txt", b"b" * 100_000)
    data = bytearray(path.read_bytes())
    # Patch the uncompressed size of sources/a.txt in its central directory entry to 10 bytes.
    at = data.rfind(b"PK\x01\x02")
    assert data[at + 46 : at + 46 + 13] == b"sources/a.txt"
    data[at + 24 : at + 28] = struct.pack("<I", 10)
    path.write_bytes(bytes(data))
    with open_zip(path) as archive, pytest.raises(InputError, match=r"liar\.qdpx"):
        archive.read("sources/a.txt")


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "fake.qdpx"
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(InputError, match="not a readable zip archive"):
        refi.read_refi(path)


def test_sqlite_is_opened_read_only(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    setup = sqlite3.connect(path)
    setup.execute("CREATE TABLE t (a)")
    setup.commit()
    setup.close()
    connection = connect_sqlite(path)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        connection.execute("INSERT INTO t VALUES (1)")
    connection.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db.sqlite3"]
