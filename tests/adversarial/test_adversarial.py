"""Every hostile or odd input of issue 14 (tests/adversarial/generate.py) through the CLI.

For each case: exit 1 with ``Error:`` lines that say what is wrong (or exit 0 with the right
result), never a traceback, nothing left behind (no staging file or folder), and nothing
outside the output path touched: the case's folder is compared file by file before and after.
Two cases need a process of their own: SIGTERM in the middle of a report, and the memory a
crafted large project.qde takes.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit.cli import main

HERE = Path(__file__).resolve().parent
SECRET = ".raremix-secret"


def _load_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("adversarial_generate", HERE / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["adversarial_generate"] = module
    spec.loader.exec_module(module)
    return module


generate = _load_generator()


def snapshot(folder: Path, *, skip: Path | None = None) -> dict[str, str]:
    """Every entry below ``folder`` (links and FIFOs by what they are, files by content)."""
    seen: dict[str, str] = {}
    for root, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            path = Path(root) / name
            if skip is not None and (path == skip or skip in path.parents):
                continue
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                kind = f"link -> {path.readlink()}"
            elif stat.S_ISREG(info.st_mode):
                kind = hashlib.sha256(path.read_bytes()).hexdigest()
            elif stat.S_ISDIR(info.st_mode):
                kind = "folder"
            else:
                kind = f"special {stat.S_IFMT(info.st_mode)}"
            seen[str(path.relative_to(folder))] = kind
    return seen


@contextlib.contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Raise TimeoutError in the main thread after ``seconds`` (SIGALRM)."""

    def expire(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"the command did not end within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _drain(fifo: Path, into: list[bytes]) -> threading.Thread:
    def read() -> None:
        with fifo.open("rb") as handle:
            into.append(handle.read())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("case", generate.CASES, ids=[c.name for c in generate.CASES])
def test_case(case, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "case"
    folder.mkdir()
    run = case.build(folder)
    for path in run.gone:
        assert path.exists()
    # A failure may change nothing at all; a success only its output path.
    skip = run.output if run.error is None else None
    before = {
        k: v
        for k, v in snapshot(folder, skip=skip).items()
        if not any(folder / k == p or p in (folder / k).parents for p in run.gone)
    }
    drained: list[bytes] = []
    reader = _drain(run.drain, drained) if run.drain is not None else None
    with _deadline(60):  # a regression that hangs fails here instead of hanging make test
        result = CliRunner().invoke(main, run.args, env=run.env)
    if reader is not None:
        reader.join(timeout=10)
    text = result.output
    assert "Traceback" not in text, text
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    if run.error is None:
        assert result.exit_code == 0, text
        assert not any(line.startswith("Error:") for line in lines), text
    else:
        assert result.exit_code == 1, f"exit {result.exit_code}: {text}"
        errors = [line for line in lines if line.startswith("Error: ")]
        assert errors, f"no Error: line in {lines}"
        assert all(line.startswith(("Error: ", "Warning: ")) for line in lines), lines
        assert any(re.search(run.error, line) for line in errors), (run.error, errors)
    if run.warning is not None:
        assert any(
            line.startswith("Warning: ") and re.search(run.warning, line) for line in lines
        ), (run.warning, lines)
    if run.drain is not None:
        assert drained and drained[0].startswith(b"code_id,"), drained
    after = snapshot(folder, skip=skip)
    # The one file raremix may add to a study folder: its pseudonym secret, made on first use
    # (docs/privacy.md). Created only; an existing one must be unchanged.
    after = {k: v for k, v in after.items() if not (k.endswith(SECRET) and k not in before)}
    assert after == before, sorted(set(after.items()) ^ set(before.items()))
    for path in run.gone:
        assert not path.exists(), f"{path} is still there"
    leftovers = [p.name for p in folder.rglob("*") if p.name.endswith((".tmp", ".old"))]
    assert not [p for p in leftovers if ".raremix-" in p], leftovers
    if run.check is not None:
        run.check()


def test_sigterm_in_the_middle_of_a_report_leaves_nothing(tmp_path: Path) -> None:
    """Item 3: a report waiting for its browser is stopped with SIGTERM: exit 143, its
    staging folder removed and the browser process ended."""
    folder = tmp_path / "case"
    folder.mkdir()
    root = generate.study(folder)
    pid_file = tmp_path / "browser.pid"
    browser = generate.failing_browser(folder, f"echo $$ > {pid_file}\nexec sleep 600")
    out = folder / "report"
    env = {**os.environ, "BROWSER_PATH": str(browser), "RAREMIX_BROWSER_TIMEOUT": "60"}
    process = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "report", str(root), "--format", "pdf", "-o", str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
        pid_file.is_file() and list(folder.glob(".report.raremix-*.tmp"))
    ):
        time.sleep(0.05)
    staging = list(folder.glob(".report.raremix-*.tmp"))
    assert staging, "the report never started its staging folder"
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 128 + signal.SIGTERM, err.decode()
    assert b"Traceback" not in err, err.decode()
    assert not staging[0].exists()
    assert not out.exists()
    browser_pid = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(browser_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(browser_pid, signal.SIGKILL)
        raise AssertionError("the browser outlived raremix")


MEASURE = """
import sys
from pathlib import Path
from toolkit.io.refi import read_qde

def peak_kib():
    # VmHWM: this process's own peak (ru_maxrss keeps the forking parent's peak across exec)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise SystemExit("no VmHWM in /proc/self/status")

before = peak_kib()
project = read_qde(Path(sys.argv[1]))
print(len(project.codes), peak_kib() - before)
"""


def test_a_crafted_large_project_qde_takes_memory_for_its_codings_not_its_size(
    tmp_path: Path,
) -> None:
    """Item 12: 12 MB of notes in a project.qde; the whole-tree parser grew by ~64 MiB, the
    streaming one by a few MiB (the peak resident size of a fresh process, in KiB)."""
    if not Path("/proc/self/status").is_file():
        pytest.skip("no /proc/self/status to read the peak memory from")
    qde = tmp_path / "project.qde"
    generate.crafted_qde(qde, 12 * 1024 * 1024)
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(qde)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    codes, grown_kib = map(int, done.stdout.split())
    assert codes == 1
    assert grown_kib < 12 * 1024, f"parsing 12 MB grew the process by {grown_kib / 1024:.0f} MiB"


def test_every_formula_start_is_neutralised_in_csv_and_nothing_else() -> None:
    """Item 11, the rule itself: = + - @ tab CR at the start of a text cell get a quote."""
    import polars as pl

    from toolkit.output import frame_to_csv, neutralise_formulas

    cells = ["=1+1", "+1", "-1", "@A1", "\tx", "\ry", "a=b", "", None, "'=already"]
    frame = pl.DataFrame({"text": cells, "number": [-1.5] * len(cells)})
    shown = neutralise_formulas(frame)
    assert shown["text"].to_list() == [
        "'=1+1", "'+1", "'-1", "'@A1", "'\tx", "'\ry", "a=b", "", None, "'=already"
    ]  # fmt: skip
    assert shown["number"].to_list() == frame["number"].to_list()
    assert frame_to_csv(frame, exact=True).startswith(b"text,number\n=1+1,-1.5\n")
