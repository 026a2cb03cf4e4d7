"""What a file is, told from its first bytes, so that a wrong ``--format`` gets a clear answer.

``raremix import survey.mex --format taguette`` used to be read as a spreadsheet and answered
with spreadsheet extensions. Here the file's own signature says what it is, and the message
names the ``--format`` that fits.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.errors import InputError, Problem
from toolkit.io.dedoose import is_dedoose
from toolkit.io.tables import read_table
from toolkit.model import ROW

SQLITE_MAGIC = b"SQLite format 3\x00"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old Excel (.xls)


def what_is(path: Path) -> tuple[str, str] | None:
    """``(description, the --format that reads it)`` from the file's name and first bytes."""
    if path.is_dir():
        return None
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError:
        return None
    suffix = path.suffix.lower()
    if head.startswith(SQLITE_MAGIC):
        if suffix == ".mex":
            return "a MAXQDA exchange file (.mex, an SQLite database)", "mex"
        if suffix in (".qda",) or path.name == "data.qda":
            return "a QualCoder project database", "qualcoder"
        return "an SQLite database (Taguette keeps its projects in one)", "taguette"
    if head.startswith(ZIP_MAGIC):
        if suffix in (".xlsx", ".xlsm"):
            return "an Excel workbook", "maxqda, qualcoder, taguette, dedoose or canonical"
        return "a zip archive (a REFI-QDA .qdpx is one)", "refi"
    if head.startswith(b"<?xml") or head.lstrip().startswith(b"<"):
        return "an XML file (a REFI-QDA .qde or .qdc is one)", "refi"
    if head.startswith(OLE_MAGIC):
        return "an old Excel workbook (.xls)", "maxqda, qualcoder, taguette, dedoose or canonical"
    return None


def refuse_mismatch(path: Path, fmt: str) -> None:
    """Raise when ``path`` is plainly not a spreadsheet, which ``--format fmt`` (a layout of
    coded segments) reads, naming what the file is and the ``--format`` that fits."""
    found = what_is(path)
    if found is None or "Excel" in found[0]:
        return
    description, fits = found
    raise InputError(
        Problem(
            path.name,
            f"--format {fmt} does not read this file: it is {description}. Use --format {fits}, "
            "or leave --format out to let raremix tell",
        )
    )


def dedoose_header(path: Path) -> bool:
    """A spreadsheet whose header is Dedoose's excerpts export."""
    try:
        header = [c for c in read_table(path, display=path.name).columns if c != ROW]
    except InputError:
        return False
    return is_dedoose(header)
