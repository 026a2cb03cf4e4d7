"""Output folders: the one rule for every command that writes a folder (report, demo, import).

A folder is written whole into a staging folder beside it and moved into place at the end,
so an interrupted run leaves the previous folder as it was. Before anything is computed, and
again right before the move, the destination is checked:

- it may not exist yet, or be an empty folder;
- or it may be a folder raremix itself wrote: it holds a marker file (:data:`MARKER`) naming
  the command that wrote it and every file it wrote with its SHA-256, and it holds nothing
  else, unchanged. A file added or edited since (notes, an edited study.yml) keeps the folder;
- never the study folder, an input file, or a folder that holds an input (``protect``).

Anything else is a :class:`~toolkit.errors.UsageError` (exit 1), and nothing is touched.

Staging folders are named ``.<name>.raremix-<pid>@<host>.<random>.tmp`` and hold a
:data:`STAGING_MARKER`; one left behind by a run on this machine that was killed (its
process is gone) is removed the next time a folder of that name is written. A staging folder
of another machine (a shared drive) is never judged from here.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import itertools
import json
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from toolkit.errors import UsageError

MARKER = ".raremix-written"
_WRITE_ERRORS = {errno.ENOSPC, errno.EACCES, errno.EROFS, errno.EDQUOT, errno.EPERM, errno.EFBIG}
STAGING_MARKER = ".raremix-staging"
_STALE = re.compile(
    r"^\.(?P<name>.+)\.raremix-(?P<pid>\d+)@(?P<host>[A-Za-z0-9-]*)\.[^.]+\.(?P<kind>tmp|old)$"
)


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(folder: Path) -> Iterator[Path]:
    """Every entry below ``folder`` that is not a folder (links are entries, never followed)."""
    for root, dirs, names in os.walk(folder, followlinks=False):
        base = Path(root)
        for name in names:
            yield base / name
        for name in dirs:
            if (base / name).is_symlink():
                yield base / name


def _marker_files(folder: Path) -> Mapping[str, str] | None:
    marker = folder / MARKER
    if not marker.is_file() or marker.is_symlink():
        return None
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
        files = data["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(files, dict):
        return None
    return {str(k): str(v) for k, v in files.items()}


def _foreign(folder: Path) -> str | None:
    """Why ``folder`` (an existing folder) is not one raremix wrote, or None when it is.

    Without a marker only the top level is looked at (``-o ~`` must not walk a home folder).
    """
    top = sorted(p.name for p in itertools.islice(folder.iterdir(), 1000))
    if not top:
        return None
    written = _marker_files(folder)
    if written is None:
        more = f" and {len(top) - 1} more" if len(top) > 1 else ""
        return f"holds '{top[0]}'{more}, which raremix did not write"
    for path in _files(folder):
        relative = path.relative_to(folder).as_posix()
        if relative == MARKER:
            continue
        if path.is_symlink() or not path.is_file() or relative not in written:
            return f"holds '{relative}', which raremix did not write there"
        if _digest(path) != written[relative]:
            return f"'{relative}' was changed after raremix wrote it"
    return None


def _encloses(folder: Path, path: Path) -> bool:
    return path == folder or folder in path.parents


def check_output_folder(target: Path, *, protect: Iterable[Path] = ()) -> Path:
    """Check that ``target`` may be written (see the module's rule); return it resolved.

    Args:
        target: the folder a command is about to write.
        protect: the study folders and input files of the run; the target may be none of
            them and hold none of them.

    Raises:
        UsageError: the target is a file, holds an input, or holds anything raremix did not
            write (or changed since).
    """
    resolved = Path(target).resolve()
    for path in protect:
        if _encloses(resolved, Path(path).resolve()):
            raise UsageError(
                f"{target} is or holds the input '{path}'; raremix never replaces its own "
                "inputs: give a new folder with -o"
            )
    if resolved.exists() and not resolved.is_dir():
        raise UsageError(f"{target} exists and is not a folder; give a new folder with -o")
    if resolved.is_dir():
        try:
            why = _foreign(resolved)
        except OSError as error:
            raise UsageError(f"{target} cannot be read ({error.strerror or error})") from None
        if why is not None:
            raise UsageError(
                f"{target} {why}; raremix replaces only a folder it wrote itself and nothing "
                "was added to: give a new folder with -o, or empty this one"
            )
    return resolved


def write_marker(folder: Path, command: str) -> None:
    """Record in ``folder`` what wrote it and every file it holds, with their SHA-256."""
    from toolkit import __version__

    files = {
        p.relative_to(folder).as_posix(): _digest(p)
        for p in sorted(_files(folder))
        if p.name not in (MARKER, STAGING_MARKER) or p.parent != folder
    }
    document = {"written_by": f"raremix {__version__} {command}", "files": files}
    (folder / MARKER).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True


def remove_stale(target: Path) -> None:
    """Remove staging folders and files a killed run left beside ``target``.

    Only entries named as raremix names them for this very target, whose process is gone: a
    staging folder must also hold :data:`STAGING_MARKER`. A previous folder set aside by a run
    killed mid-swap is put back when the target is missing, else removed.
    """
    parent = target.parent
    if not parent.is_dir():
        return
    with contextlib.suppress(OSError):
        for entry in parent.iterdir():
            match = _STALE.match(entry.name)
            if (
                match is None
                or match["name"] != target.name
                or match["host"] != _host()
                or _alive(int(match["pid"]))
            ):
                continue
            if entry.is_symlink():
                continue
            if match["kind"] == "old" and entry.is_dir():
                if (entry / MARKER).is_file() and not target.exists():
                    entry.rename(target)
                elif (entry / MARKER).is_file() or not any(entry.iterdir()):
                    shutil.rmtree(entry, ignore_errors=True)
            elif entry.is_dir() and (entry / STAGING_MARKER).is_file():
                shutil.rmtree(entry, ignore_errors=True)
            elif entry.is_file():
                entry.unlink(missing_ok=True)


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40]


def temporary_name(target: Path, *, pid: int | None = None) -> str:
    """The prefix of a staging entry beside ``target`` (recognised by :func:`remove_stale`)."""
    return f".{target.name}.raremix-{os.getpid() if pid is None else pid}@{_host()}."


def writable_error(target: Path, error: OSError) -> UsageError:
    """A clear error for a folder that cannot be written (read-only, no permission, full)."""
    return UsageError(
        f"cannot write {target}: {error.strerror or error}; choose a folder you can write to"
    )


@contextlib.contextmanager
def staged_folder(target: Path, *, command: str, protect: Iterable[Path] = ()) -> Iterator[Path]:
    """Yield a staging folder; on success it replaces ``target`` (checked by the rule).

    On any exception, or a signal turned into one, the staging folder is removed and
    ``target`` is left as it was.
    """
    protect = tuple(protect)
    target = check_output_folder(target, protect=protect)
    remove_stale(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(
            tempfile.mkdtemp(prefix=temporary_name(target), suffix=".tmp", dir=target.parent)
        )
    except OSError as error:
        raise writable_error(target.parent, error) from None
    try:
        (staging / STAGING_MARKER).write_text(str(os.getpid()), encoding="utf-8")
        staging.chmod(0o755)  # mkdtemp makes it private; an output folder is an ordinary one
        yield staging
        (staging / STAGING_MARKER).unlink()
        write_marker(staging, command)
        check_output_folder(target, protect=protect)  # nothing changed while we computed
        _swap(staging, target)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        if error.errno in _WRITE_ERRORS:  # a full disk, a read-only place: not a bug
            raise writable_error(target, error) from None
        raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap(staging: Path, target: Path) -> None:
    """Move ``staging`` onto ``target``, keeping the old ``target`` until the move worked."""
    backup: Path | None = None
    if target.exists():
        backup = Path(
            tempfile.mkdtemp(prefix=temporary_name(target), suffix=".old", dir=target.parent)
        )
        backup.rmdir()
        target.rename(backup)
    try:
        staging.rename(target)
    except BaseException:
        if backup is not None:
            backup.rename(target)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
