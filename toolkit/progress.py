"""Progress on a terminal for long operations; silence everywhere else.

Use it around anything that can take more than a moment on a large input (reading files,
computing over millions of codings, rendering)::

    from toolkit.progress import progress

    with progress("Reading codings.parquet"):
        frame = pl.read_parquet(path)

    with progress("Rendering", total=len(formats)) as bar:
        for fmt in formats:
            render(fmt)
            bar.advance()

On a terminal (standard error is a TTY) this shows a rich spinner, or a bar when ``total`` is
given, with the elapsed time, and clears it when the block ends. When standard error is not a
terminal (pipes, files, CI logs, tests) nothing at all is written. ``RAREMIX_PROGRESS=0``
switches it off on a terminal too; ``RAREMIX_PROGRESS=1`` forces it on.

Nested calls share one display (one line per operation), so a command can show "Computing
prevalence" while the reader inside shows "Reading codings.parquet". rich is imported only
when something is shown.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import IO, Any


class Progress:
    """Handle of one running operation. Its methods do nothing when progress is hidden."""

    def __init__(self, display: Any = None, task: Any = None) -> None:
        self._display = display
        self._task = task

    @property
    def shown(self) -> bool:
        """Whether anything is being drawn."""
        return self._display is not None

    def advance(self, amount: float = 1) -> None:
        """Move the bar forward by ``amount`` units of ``total``."""
        if self._display is not None:
            self._display.advance(self._task, amount)

    def update(self, description: str | None = None, *, total: float | None = None) -> None:
        """Change the text or the total of this operation."""
        if self._display is not None:
            fields: dict[str, Any] = {}
            if description is not None:
                fields["description"] = description
            if total is not None:
                fields["total"] = total
            self._display.update(self._task, **fields)


# The rich display currently on screen, shared by nested operations.
_active: Any = None


def enabled_for(stream: IO[str]) -> bool:
    """Whether progress should be drawn on ``stream`` (a TTY, unless RAREMIX_PROGRESS says)."""
    setting = os.environ.get("RAREMIX_PROGRESS", "").strip()
    if setting == "0":
        return False
    if setting == "1":
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@contextlib.contextmanager
def progress(
    description: str, *, total: float | None = None, stream: IO[str] | None = None
) -> Iterator[Progress]:
    """Show ``description`` (with a bar when ``total`` is given) while the block runs.

    Args:
        description: what is happening, in a few words ("Reading codings.parquet").
        total: number of units the block will :meth:`Progress.advance` through, or None for
            a spinner.
        stream: where to draw; default: standard error. Nothing is drawn unless it is a
            terminal (or ``RAREMIX_PROGRESS=1``).

    Yields:
        A :class:`Progress` handle; its methods are harmless no-ops when nothing is shown.
    """
    global _active
    out = stream if stream is not None else sys.stderr
    if _active is not None:
        task = _active.add_task(description, total=total)
        try:
            yield Progress(_active, task)
        finally:
            _active.remove_task(task)
        return
    if not enabled_for(out):
        yield Progress()
        return

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        SpinnerColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import Progress as RichProgress

    display = RichProgress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=Console(file=out, force_terminal=True),
        transient=True,
    )
    task = display.add_task(description, total=total)
    _active = display
    try:
        with display:
            yield Progress(display, task)
    finally:
        _active = None
