"""Reading REFI-QDA files: a ``.qdpx`` archive (in memory), a bare ``.qde``, a ``.qdc``.

Source texts are read only from inside the project: the archive, or a ``sources/`` (or
``Sources/``) folder beside a bare ``.qde``; a project never makes raremix read elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from toolkit.errors import InputError, Problem
from toolkit.io.refi.codes import parse_codebook_stream
from toolkit.io.refi.parse import parse_project_stream
from toolkit.io.refi.project import RefiCode, RefiProject
from toolkit.io.safety import (
    SafeZip,
    file_chunks,
    inside,
    open_zip,
    refuse_special,
    special_file,
)
from toolkit.io.safexml import MAX_XML_TEXT


def _sources_dir_reader(folder: Path, file: str) -> Callable[[str], bytes | None]:
    candidates = [folder / "sources", folder / "Sources"]

    def read(member: str) -> bytes | None:
        for base in candidates:
            path = base / member
            if not path.is_file() and special_file(path) is None:
                continue
            # A link (or a linked sources folder) may point anywhere: never read outside.
            if not inside(path, folder):
                raise InputError(
                    Problem(
                        file,
                        f"refused: '{base.name}/{member}' is a link to a file outside the "
                        "project folder, and a project never makes raremix read elsewhere; "
                        "copy the file into the sources folder",
                    )
                )
            refuse_special(path, file=f"{file}: {base.name}/{member}")
            _check_size(path.stat().st_size, f"{base.name}/{member}", file)
            return path.read_bytes()
        return None

    return read


def _check_size(size: int, member: str, file: str) -> None:
    """A source text larger than any transcript (a crafted project) is refused unread."""
    if size > MAX_XML_TEXT:
        raise InputError(
            Problem(
                file,
                f"refused: source text '{member}' is {size:,} bytes (limit {MAX_XML_TEXT:,}); "
                "no interview transcript is this large",
            )
        )


def member_index(names: Iterable[str]) -> dict[str, str]:
    """Archive member names by their lookup key (case folded, ``\\`` as ``/``), built once.

    The first member with a key wins, as :meth:`SafeZip.find` (a scan per lookup) would
    choose; one dictionary keeps reading every source of a project linear in its size.
    """
    index: dict[str, str] = {}
    for name in names:
        index.setdefault(_key(name), name)
    return index


def _key(name: str) -> str:
    return name.replace("\\", "/").casefold()


def _zip_reader(archive: SafeZip) -> Callable[[str], bytes | None]:
    index = member_index(archive.names)

    def read(member: str) -> bytes | None:
        for candidate in ("sources/" + member, member):
            name = index.get(_key(candidate))
            if name is not None:
                _check_size(archive.size(name), name, archive.file)
                return archive.read(name)
        return None

    return read


def read_qdpx(path: Path, *, file: str | None = None) -> RefiProject:
    """Parse a ``.qdpx`` archive (read in memory, never extracted)."""
    name = file or path.name
    with open_zip(path, file=name) as archive:
        qde = [n for n in archive.names if n.lower().endswith(".qde") and "/" not in n.strip("/")]
        if not qde:
            qde = [n for n in archive.names if n.lower().endswith(".qde")]
        if not qde:
            raise InputError(
                Problem(
                    name,
                    f"no project.qde inside the archive (found: {', '.join(archive.names[:5]) or 'nothing'})",
                )
            )
        return parse_project_stream(
            archive.chunks(qde[0]),
            file=name,
            xml_file=f"{name}/{qde[0]}",
            read_internal=_zip_reader(archive),
        )


def read_qde(path: Path, *, file: str | None = None) -> RefiProject:
    """Parse a bare ``project.qde``; source texts are looked for in a sources folder beside it."""
    name = file or path.name
    return parse_project_stream(
        file_chunks(path, file=name),
        file=name,
        read_internal=_sources_dir_reader(path.parent, name),
    )


def read_project_file(path: Path, *, file: str | None = None) -> RefiProject:
    """Parse a ``.qdpx`` or ``.qde`` file."""
    if path.suffix.lower() == ".qdpx":
        return read_qdpx(path, file=file)
    return read_qde(path, file=file)


def read_codebook_file(path: Path, *, file: str) -> tuple[list[RefiCode], list[str]]:
    """Parse a codebook file (``.qdc``; a project file's codebook is read as well).

    Args:
        path: the file.
        file: the file name for messages.

    Returns:
        The codes in file order and the warnings.

    Raises:
        InputError: the file cannot be read, or its root is neither <CodeBook> nor <Project>.
    """
    warnings: list[str] = []
    codes = parse_codebook_stream(file_chunks(path, file=file), file=file, warnings=warnings)
    return codes, warnings
