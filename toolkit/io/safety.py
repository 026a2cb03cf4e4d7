"""Reading files that come from other people, safely.

Project files travel between teams by e-mail and shared drives; raremix must never let one of
them read local files, fetch URLs, exhaust memory or write outside the study folder.

- XML is parsed with :mod:`defusedxml` (:mod:`toolkit.io.safexml`): no DTD, no entity
  declarations (neither XXE nor "billion laughs"), no external references; project files as a
  stream, so memory follows the codings, not the document's size.
- Inputs that are FIFOs, devices or sockets are refused before anything reads them, and a
  link never makes raremix read outside a project folder.
- Zip archives (``.qdpx``) are read in memory, never extracted: member names that are
  absolute or climb out with ``..`` are refused, and the uncompressed size of each member, of
  the whole archive, and the compression ratio are bounded (a "zip bomb" is refused before it
  is inflated, and a member that inflates beyond its declared size is refused while reading).
- SQLite databases (QualCoder, Taguette) are opened read-only (``mode=ro``), and ``immutable``
  where the file or its folder is read-only, so SQLite creates no journal beside them.

Every refusal is an :class:`~toolkit.errors.InputError` naming the file.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import urllib.parse
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from toolkit.errors import InputError, Problem
from toolkit.io.safexml import local_name, namespace, parse_xml

__all__ = [
    "SafeZip",
    "ZipLimits",
    "connect_sqlite",
    "file_chunks",
    "inside",
    "local_name",
    "namespace",
    "open_zip",
    "parse_xml",
    "query",
    "refuse_special",
    "special_file",
    "sql_position",
    "sql_text",
    "sqlite_tables",
]

MiB = 1024 * 1024
MAX_MEMBER_BYTES = 512 * MiB
MAX_TOTAL_BYTES = 2048 * MiB
MAX_RATIO = 200.0
# Tiny members compress absurdly well (a file of 1,000 spaces); the ratio is judged only above this.
RATIO_FLOOR_BYTES = 1 * MiB
_CHUNK = 1 * MiB


def file_chunks(path: Path, *, file: str) -> Iterator[bytes]:
    """A regular file in pieces of 1 MiB; an unreadable file is an InputError naming it."""
    refuse_special(path, file=file)
    try:
        with path.open("rb") as handle:
            yield from iter(lambda: handle.read(_CHUNK), b"")
    except OSError as error:
        raise InputError(
            Problem(file, f"cannot read the file: {error.strerror or error}")
        ) from None


def special_file(path: Path) -> str | None:
    """What ``path`` is when it is neither a regular file nor a folder, else None.

    A FIFO, a device (``/dev/zero``) or a socket never ends or blocks when read: inputs are
    checked with this before anything reads or hashes them. Links are followed.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def refuse_special(path: Path, *, file: str | None = None) -> None:
    """Raise an InputError naming ``path`` when it is a FIFO, a device or a socket."""
    kind = special_file(path)
    if kind is not None:
        raise InputError(
            Problem(
                file or str(path),
                f"is {kind}, not a file: raremix reads only regular files (a FIFO or a device "
                "would block or never end); save the data to a file and name that",
            )
        )


def inside(path: Path, folder: Path) -> bool:
    """True when ``path`` (links resolved) lies in ``folder`` (links resolved)."""
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


@dataclass(frozen=True)
class ZipLimits:
    """Bounds on what a zip archive may inflate to."""

    max_member: int = MAX_MEMBER_BYTES
    max_total: int = MAX_TOTAL_BYTES
    max_ratio: float = MAX_RATIO
    ratio_floor: int = RATIO_FLOOR_BYTES


def _unsafe_member(name: str) -> str | None:
    """Why a member name is unsafe, or None."""
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or (len(normalized) > 1 and normalized[1] == ":"):
        return "is an absolute path"
    if ".." in PurePosixPath(normalized).parts:
        return "climbs out of the archive with '..'"
    if "\x00" in name:
        return "contains a NUL character"
    return None


class SafeZip:
    """A zip archive read in memory with checked member names and bounded sizes.

    Use :func:`open_zip`. Members are read with :meth:`read`; nothing is written to disk.
    """

    def __init__(self, archive: zipfile.ZipFile, *, file: str, limits: ZipLimits) -> None:
        self._zip = archive
        self.file = file
        self.limits = limits
        self._members = {info.filename: info for info in archive.infolist() if not info.is_dir()}

    @property
    def names(self) -> list[str]:
        """Member file names (folders left out), in archive order."""
        return list(self._members)

    def find(self, name: str) -> str | None:
        """The member whose name equals ``name`` ignoring case and ``\\`` vs ``/``, or None."""
        wanted = name.replace("\\", "/").casefold()
        for member in self._members:
            if member.replace("\\", "/").casefold() == wanted:
                return member
        return None

    def size(self, name: str) -> int:
        """The declared uncompressed size of one member (checked again while reading)."""
        return self._members[name].file_size

    def read(self, name: str) -> bytes:
        """Read one member, refusing it if it inflates beyond its declared or allowed size."""
        return b"".join(self.chunks(name))

    def chunks(self, name: str) -> Iterator[bytes]:
        """One member in pieces of 1 MiB, bounded as :meth:`read`: for a streaming parser."""
        info = self._members[name]
        cap = min(info.file_size, self.limits.max_member)
        size = 0
        try:
            with self._zip.open(info) as stream:
                while True:
                    chunk = stream.read(_CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > cap:
                        raise InputError(
                            Problem(
                                self.file,
                                f"refused: archive member '{name}' inflates beyond "
                                f"{cap:,} bytes (its declared size or the limit); the archive "
                                "is damaged or hostile",
                            )
                        )
                    yield chunk
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as error:
            raise InputError(
                Problem(self.file, f"archive member '{name}' cannot be read: {error}")
            ) from None
        except NotImplementedError as error:
            raise InputError(
                Problem(
                    self.file, f"archive member '{name}' uses an unsupported compression: {error}"
                )
            ) from None
        except RuntimeError as error:  # encrypted members
            raise InputError(
                Problem(
                    self.file,
                    f"archive member '{name}' cannot be read ({error}); export it without a password",
                )
            ) from None


def check_zip(archive: zipfile.ZipFile, *, file: str, limits: ZipLimits) -> None:
    """Refuse unsafe member names, oversized members and suspicious compression ratios."""
    problems: list[Problem] = []
    total = 0
    for info in archive.infolist():
        why = _unsafe_member(info.filename)
        if why is not None:
            problems.append(Problem(file, f"refused: archive member '{info.filename}' {why}"))
            continue
        if info.is_dir():
            continue
        total += info.file_size
        if info.file_size > limits.max_member:
            problems.append(
                Problem(
                    file,
                    f"refused: archive member '{info.filename}' would inflate to "
                    f"{info.file_size:,} bytes (limit {limits.max_member:,})",
                )
            )
        elif info.file_size > limits.ratio_floor:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                problems.append(
                    Problem(
                        file,
                        f"refused: archive member '{info.filename}' is compressed {ratio:,.0f} to 1 "
                        f"(limit {limits.max_ratio:,.0f}): this looks like a zip bomb",
                    )
                )
    if total > limits.max_total:
        problems.append(
            Problem(
                file,
                f"refused: the archive would inflate to {total:,} bytes in all (limit {limits.max_total:,})",
            )
        )
    if problems:
        raise InputError(problems)


@contextlib.contextmanager
def open_zip(
    path: Path, *, file: str | None = None, limits: ZipLimits | None = None
) -> Iterator[SafeZip]:
    """Open a zip archive for safe in-memory reading.

    Args:
        path: the archive.
        file: the name to use in error messages (default: the file name).
        limits: size bounds (default: :class:`ZipLimits`).

    Raises:
        InputError: the file is not a zip archive, or a member is unsafe or too large.
    """
    name = file or path.name
    limits = limits or ZipLimits()
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise InputError(
            Problem(
                name,
                f"not a readable zip archive ({error}); a .qdpx file is a zip: export it again",
            )
        ) from None
    with archive:
        check_zip(archive, file=name, limits=limits)
        yield SafeZip(archive, file=name, limits=limits)


def _read_only_place(path: Path) -> bool:
    """True when the database or its folder cannot be written (so SQLite may treat it as immutable)."""
    for target in (path, path.parent):
        try:
            mode = target.stat().st_mode
        except OSError:
            return True
        # Mode bits, not os.access: root passes os.access on a read-only folder.
        if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(
            target, os.W_OK
        ):
            return True
    return False


def connect_sqlite(path: Path, *, file: str | None = None) -> sqlite3.Connection:
    """Open an SQLite database read-only and check that it is one.

    Args:
        path: the database file.
        file: the name to use in error messages (default: the file name).

    Raises:
        InputError: the file is missing or is not an SQLite database.
    """
    name = file or path.name
    refuse_special(path, file=name)
    if not path.is_file():
        raise InputError(Problem(name, "database file not found"))
    uri = "file:" + urllib.parse.quote(str(path.resolve())) + "?mode=ro"
    if _read_only_place(path):
        uri += "&immutable=1"
    try:
        connection = sqlite3.connect(uri, uri=True)
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as error:
        raise InputError(Problem(name, f"not a readable SQLite database ({error})")) from None
    return connection


def sqlite_tables(
    connection: sqlite3.Connection, *, file: str = "database"
) -> dict[str, list[str]]:
    """Table name -> column names (a table named with quotes or SQL is only a name here)."""
    tables: dict[str, list[str]] = {}
    try:
        names = list(connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
        for (table,) in names:
            columns = connection.execute(
                "SELECT name FROM pragma_table_info(?)", (str(table),)
            ).fetchall()
            tables[str(table)] = [str(c) for (c,) in columns]
    except sqlite3.DatabaseError as error:
        raise InputError(
            Problem(file, f"cannot read the database ({error}); is it damaged?")
        ) from None
    return tables


MAX_POSITION = 2**63 - 1


def sql_position(value: Any, *, file: str, what: str) -> int | None:
    """A text position stored in a database: a whole number from 0 to 2^63-1, or None.

    SQLite stores whatever it is given: text, a BLOB, a float or a number beyond int64 is
    an InputError naming ``what`` (for example ``code_text ctid 7: pos0``), never a crash.
    """
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    if number is None or not 0 <= number <= MAX_POSITION:
        shown = f"a BLOB of {len(value)} bytes" if isinstance(value, bytes) else repr(value)[:40]
        raise InputError(
            Problem(file, f"{what}: {shown} is not a position in a text (a whole number ≥ 0)")
        )
    return number


def sql_text(value: Any) -> str | None:
    """A name or text stored in a database: NULL stays None (never the text "None"), a BLOB
    is decoded as UTF-8 with replacement characters."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def query(connection: sqlite3.Connection, sql: str, *, file: str) -> list[tuple[Any, ...]]:
    """Run a read query; a database error becomes an InputError naming the file."""
    try:
        return list(connection.execute(sql))
    except sqlite3.DatabaseError as error:
        raise InputError(
            Problem(file, f"cannot read the database ({error}); is it damaged?")
        ) from None
