"""One Chromium session (through kaleido) that draws static figures, with bounded waits.

Chromium runs under an asyncio loop in a daemon thread; the caller waits for it with a
timeout, never forever. A browser that fails to start (missing, crashing, or hanging) ends
in an :class:`~toolkit.errors.EnvironmentProblem` that says what to do, and the browser
process is stopped. ``RAREMIX_BROWSER_TIMEOUT`` (seconds, default 60) bounds the start and
each figure.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import signal
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from toolkit.errors import EnvironmentProblem

TIMEOUT_ENV = "RAREMIX_BROWSER_TIMEOUT"
DEFAULT_TIMEOUT = 60.0

CHROMIUM_HELP = (
    "PDF and DOCX reports need Chromium to draw their figures, and none was found: "
    "install it with `apt-get install chromium` (or run `make demo`, which installs it), "
    "or render only HTML with --format html"
)


def timeout() -> float:
    """Seconds to wait for Chromium to start, and for each figure (``RAREMIX_BROWSER_TIMEOUT``)."""
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    try:
        value = float(text) if text else DEFAULT_TIMEOUT
    except ValueError:
        value = DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


def _failed(detail: str) -> EnvironmentProblem:
    where = os.environ.get("BROWSER_PATH")
    browser = f"the browser at BROWSER_PATH={where}" if where else "Chromium"
    return EnvironmentProblem(
        f"{browser} {detail}. Check that `chromium --headless --version` works (reinstall it "
        f"with `apt-get install chromium`), set {TIMEOUT_ENV} to wait longer on a slow "
        "machine, or render only HTML with --format html"
    )


def _kill(process: Any) -> None:
    """Kill the browser and everything it started (it runs in a session of its own)."""
    if process is None:
        return
    with contextlib.suppress(OSError):
        os.killpg(process.pid, signal.SIGKILL)
    if process.poll() is None:
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait(timeout=5)


class Browser:
    """A Chromium started in the background; :meth:`write` waits for it with a timeout."""

    def __init__(self, mathjax: str) -> None:
        self.timeout = timeout()
        self._kaleido: Any = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="raremix-chromium", daemon=True
        )
        self._thread.start()
        self._started = False
        # The browser's own chatter ("Wait expired, …") is not raremix's message to the user.
        for name in ("choreographer", "kaleido", "logistro"):
            logging.getLogger(name).setLevel(logging.ERROR)
        self._opening = asyncio.run_coroutine_threadsafe(self._open_safely(mathjax), self._loop)

    async def _open_safely(self, mathjax: str) -> BaseException | None:
        """Open, returning the failure instead of raising it: a cancelled start must not
        leave a task whose exception asyncio later prints as a traceback."""
        try:
            await self._open(mathjax)
        except BaseException as error:
            return error
        return None

    async def _open(self, mathjax: str) -> None:
        import kaleido
        import plotly.graph_objects as go

        self._kaleido = kaleido.Kaleido(mathjax=mathjax, timeout=self.timeout)
        await self._kaleido.open()
        # One tiny figure loads plotly.js into the page while the caller computes.
        with tempfile.TemporaryDirectory() as scratch:
            await self._kaleido.write_fig_from_object(
                [
                    {
                        "fig": go.Figure().to_dict(),
                        "path": Path(scratch) / "warm.pdf",
                        "opts": {"format": "pdf"},
                    }
                ],
                cancel_on_error=True,
            )

    def _ready(self) -> Any:
        from kaleido.errors import ChromeNotFoundError

        try:
            error = self._opening.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError:
            raise _failed(f"did not start within {self.timeout:g} s") from None
        except concurrent.futures.CancelledError:
            raise _failed("was stopped while starting") from None
        if isinstance(error, ChromeNotFoundError):
            raise EnvironmentProblem(CHROMIUM_HELP)
        if isinstance(error, Exception):  # choreographer's BrowserFailedError and kin
            raise _failed(f"failed to start ({type(error).__name__})")
        if error is not None:  # KeyboardInterrupt, SystemExit, cancellation inside the loop
            raise _failed("was stopped while starting")
        self._started = True
        return self._kaleido

    def write(self, specs: Sequence[dict[str, Any]]) -> None:
        """Draw every figure in ``specs`` (kaleido's figure dicts) to its path.

        Raises:
            EnvironmentProblem: Chromium is missing, did not start, or hangs.
        """
        session = self._ready()
        future = asyncio.run_coroutine_threadsafe(
            session.write_fig_from_object(list(specs), cancel_on_error=True), self._loop
        )
        try:
            future.result(timeout=self.timeout * (len(specs) + 1))
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise _failed(f"did not draw {len(specs)} figure(s) in time") from None
        except RuntimeError as error:
            if "chrom" in str(error).lower() or "browser" in str(error).lower():
                raise _failed(f"stopped while drawing the figures ({error})") from None
            raise

    def close(self) -> None:
        """Stop the browser and its loop; never waits more than a few seconds."""
        self._opening.cancel()
        session = self._kaleido
        process = getattr(session, "subprocess", None)
        if not self._started:  # failed or hanging: no polite goodbye
            _kill(process)
        if session is not None and self._loop.is_running():
            closing = asyncio.run_coroutine_threadsafe(session.close(), self._loop)
            with contextlib.suppress(Exception):
                closing.result(timeout=10)
        _kill(process)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
