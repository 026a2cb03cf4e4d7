"""The one exception root of raremix, split by who must act.

- :class:`InputError`: the user's files are wrong (bad rows, missing files, bad manifest).
  It carries every :class:`Problem` found, not only the first.
- :class:`UsageError`: the user asked for something that cannot be done with these inputs
  (an unknown attribute for ``--by``, an unknown CI method).
- :class:`EnvironmentProblem`: the machine lacks something (Chromium for static figures).
- :class:`ImplementationError`: a bug in raremix itself.

The command line catches :class:`ToolkitError` in one place and prints one ``Error:`` line
per problem; any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Every character str.splitlines() breaks on, shown escaped.
_LINE_BREAKS = {ord(c): ascii(c)[1:-1] for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as the input allows.

    Attributes:
        file: file name as the user knows it (relative to the study folder where possible).
        message: what is wrong and what to do about it.
        line: 1-based row number as a spreadsheet shows it (header = line 1), or None.
        column: column name (or XML element / manifest key), or None.
    """

    file: str
    message: str
    line: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.column is not None:
            text = f"{where}: column '{self.column}': {self.message}"
        else:
            text = f"{where}: {self.message}"
        # One problem, one line: values quoted from the input may hold line breaks.
        return text.translate(_LINE_BREAKS)


class ToolkitError(Exception):
    """Root of every error raremix raises on purpose."""

    def lines(self) -> list[str]:
        """The message as one line per problem, for the command line."""
        return [str(self)]


class InputError(ToolkitError):
    """One or more problems in the user's input files; carries all of them."""

    def __init__(self, problems: Problem | Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = (
            (problems,) if isinstance(problems, Problem) else tuple(problems)
        )
        if not self.problems:
            raise ImplementationError("InputError raised with no problems")
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class UsageError(ToolkitError):
    """A request that cannot be met with these inputs (unknown attribute, bad option)."""


class EnvironmentProblem(ToolkitError):
    """Something the machine lacks (a browser, a renderer); the message says how to get it."""


class ImplementationError(ToolkitError):
    """A bug in raremix. Please report it."""


def raise_if(problems: Sequence[Problem]) -> None:
    """Raise :class:`InputError` with all ``problems`` if there are any."""
    if problems:
        raise InputError(problems)
