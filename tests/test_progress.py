"""toolkit.progress: drawn on a terminal, silent elsewhere, nested operations share a display."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit import progress as progress_module
from toolkit.progress import enabled_for, progress


class FakeTerminal(io.StringIO):
    """A text stream that says it is a terminal, to see what a user would see."""

    def isatty(self) -> bool:
        return True


def test_silent_when_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAREMIX_PROGRESS", raising=False)
    stream = io.StringIO()
    with progress("Reading codings.parquet", total=3, stream=stream) as bar:
        assert not bar.shown
        for _ in range(3):
            bar.advance()
        bar.update("still reading", total=4)
    assert stream.getvalue() == ""


def test_drawn_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAREMIX_PROGRESS", raising=False)
    stream = FakeTerminal()
    with progress("Reading codings.parquet", total=2, stream=stream) as bar:
        assert bar.shown
        bar.advance(2)
    assert "Reading codings.parquet" in stream.getvalue()
    assert progress_module._active is None


def test_environment_switches_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAREMIX_PROGRESS", "0")
    assert not enabled_for(FakeTerminal())
    stream = FakeTerminal()
    with progress("Computing", stream=stream):
        pass
    assert stream.getvalue() == ""
    monkeypatch.setenv("RAREMIX_PROGRESS", "1")
    assert enabled_for(io.StringIO())


def test_nested_operations_share_one_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAREMIX_PROGRESS", raising=False)
    stream = FakeTerminal()
    with progress("Computing prevalence", stream=stream) as outer:
        with progress("Reading codings.parquet") as inner:
            assert inner.shown
            assert inner._display is outer._display
            inner.advance()
        assert len(outer._display.tasks) == 1
    assert progress_module._active is None


def test_display_is_released_after_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAREMIX_PROGRESS", raising=False)
    with pytest.raises(ValueError, match="boom"), progress("Rendering", stream=FakeTerminal()):
        raise ValueError("boom")
    assert progress_module._active is None


def _prevalence_stderr(study: Path, tmp_path: Path, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "toolkit", "prevalence", str(study), "-o", str(tmp_path / "p.csv")],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
        timeout=120,
    )
    return done.stderr


def test_commands_are_quiet_in_pipes_and_show_progress_on_a_terminal(
    calciphylaxis: Path, tmp_path: Path
) -> None:
    quiet = _prevalence_stderr(calciphylaxis, tmp_path, RAREMIX_PROGRESS="")
    assert "Computing prevalence" not in quiet and "\x1b[" not in quiet
    # RAREMIX_PROGRESS=1 draws as a terminal would (stderr here is a pipe)
    shown = _prevalence_stderr(calciphylaxis, tmp_path, RAREMIX_PROGRESS="1")
    assert "Reading" in shown and "Computing prevalence" in shown
