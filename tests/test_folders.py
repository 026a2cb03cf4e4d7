"""toolkit.folders: the one rule for output folders (issue 14, items 1 and 3)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from toolkit.errors import UsageError
from toolkit.folders import (
    MARKER,
    STAGING_MARKER,
    check_output_folder,
    remove_stale,
    staged_folder,
    temporary_name,
)


def _write(target: Path, files: dict[str, str], protect: tuple[Path, ...] = ()) -> None:
    with staged_folder(target, command="test", protect=protect) as staging:
        for name, text in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_text(text, encoding="utf-8")


def test_a_folder_raremix_wrote_is_replaced_and_lists_its_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write(out, {"a.csv": "1", "figures/f.pdf": "2"})
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    assert set(marker["files"]) == {"a.csv", "figures/f.pdf"}
    assert marker["written_by"].endswith(" test")
    _write(out, {"b.csv": "3"})
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "b.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging, no backup left


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda out: (out / "notes.txt").write_text("mine"), "holds 'notes.txt'"),
        (lambda out: (out / "a.csv").write_text("edited"), "'a.csv' was changed"),
        (lambda out: (out / MARKER).unlink(), "holds 'a.csv'"),
    ],
)
def test_a_folder_with_anything_of_the_users_is_kept(tmp_path: Path, change, message) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    _write(out, {"a.csv": "1"})
    change(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(UsageError, match=message):
        _write(out, {"b.csv": "2"})
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_never_an_input_or_a_folder_holding_one(tmp_path: Path) -> None:
    study = tmp_path / "study"
    study.mkdir()
    data = study / "codings.csv"
    data.write_text("x", encoding="utf-8")
    for target in (study, tmp_path, data):
        with pytest.raises(UsageError, match="holds the input"):
            check_output_folder(target, protect=(study, data))
    # A folder inside the study (study/reports) holds no input: allowed.
    assert check_output_folder(study / "reports", protect=(study, data)) == study / "reports"


def _dead_pid() -> int:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child exits at once
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_a_killed_runs_leftovers_are_cleaned_and_nothing_else(tmp_path: Path) -> None:
    dead = _dead_pid()
    target = tmp_path / "out"
    mine = temporary_name(target, pid=dead)  # ".out.raremix-<pid>@<host>."
    staging = tmp_path / f"{mine}abc.tmp"
    staging.mkdir()
    (staging / STAGING_MARKER).write_text(str(dead))
    unmarked = tmp_path / f"{mine}def.tmp"  # no staging marker: not ours
    unmarked.mkdir()
    temporary = tmp_path / f"{mine}ghi.tmp"  # an atomic file's temporary
    temporary.write_text("half")
    alive = tmp_path / f"{temporary_name(target)}jkl.tmp"  # a run still going
    alive.mkdir()
    (alive / STAGING_MARKER).write_text(str(os.getpid()))
    other = tmp_path / f"{temporary_name(tmp_path / 'other', pid=dead)}mno.tmp"  # another's
    elsewhere = tmp_path / f".out.raremix-{dead}@another-machine.stu.tmp"  # a shared drive
    elsewhere.mkdir()
    (elsewhere / STAGING_MARKER).write_text(str(dead))
    other.mkdir()
    (other / STAGING_MARKER).write_text(str(dead))
    # Killed between moving the old folder aside and moving the new one in: put it back.
    backup = tmp_path / f"{mine}pqr.old"
    backup.mkdir()
    (backup / MARKER).write_text(json.dumps({"files": {}}))
    remove_stale(target)
    assert not staging.exists() and not temporary.exists() and not backup.exists()
    assert unmarked.is_dir() and alive.is_dir() and other.is_dir() and elsewhere.is_dir()
    assert (target / MARKER).is_file()  # the previous folder is back in place
