"""A raremix bug (ImplementationError) keeps its traceback and asks for a bug report; a user's
mistake (any other ToolkitError) is one `Error:` line without a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit import __version__
from toolkit.cli import main
from toolkit.errors import ImplementationError, UsageError
from toolkit.io import study as study_module


def _raise(error: Exception) -> object:
    def broken(*args: object, **kwargs: object) -> object:
        raise error

    return broken


def test_an_implementation_error_asks_for_a_bug_report(
    calciphylaxis: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulates our own bug inside the library.
    monkeypatch.setattr(study_module, "load_study", _raise(ImplementationError("counts disagree")))
    result = CliRunner().invoke(main, ["validate", str(calciphylaxis)])
    assert result.exit_code == 1
    assert isinstance(result.exception, ImplementationError)
    assert str(result.exception) == "counts disagree"
    assert "Error:" not in result.stderr
    assert "bug" in result.stderr
    assert "report" in result.stderr
    assert __version__ in result.stderr
    # The traceback goes with it (click's runner keeps the exception's; the real command lets
    # Python print it).
    assert result.exc_info is not None
    assert result.exc_info[2] is not None


def test_a_usage_error_is_one_error_line_without_a_bug_report(
    calciphylaxis: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(study_module, "load_study", _raise(UsageError("choose one")))
    result = CliRunner().invoke(main, ["validate", str(calciphylaxis)])
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: choose one"
    assert isinstance(result.exception, SystemExit)
