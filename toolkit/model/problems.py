"""Problems found while validating a study, collected so that all are reported at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from toolkit.errors import Problem
from toolkit.model.schemas import ROW

MAX_EXAMPLES = 25  # rows listed per kind of problem; the rest are counted


class Collector:
    """Collects problems, listing at most MAX_EXAMPLES rows per kind and counting the rest."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def rows(
        self,
        frame: pl.DataFrame,
        *,
        file: str,
        column: str | None,
        message: str | Callable[[dict[str, Any]], str],
        kind: str,
    ) -> None:
        """One problem per offending row of ``frame`` (which carries ``_row``), capped.

        ``message`` is a function of the row, or a ``str.format`` template of its columns.
        """
        if frame.height == 0:
            return
        for record in frame.head(MAX_EXAMPLES).iter_rows(named=True):
            text = message.format_map(record) if isinstance(message, str) else message(record)
            self.add(Problem(file, text, line=record.get(ROW), column=column))
        if frame.height > MAX_EXAMPLES:
            self.add(
                Problem(
                    file,
                    f"... and {frame.height - MAX_EXAMPLES} more rows with {kind}",
                    column=column,
                )
            )
