"""The benchmark's peak-memory figures belong to the measured command, not to the harness."""

from __future__ import annotations

import sys
from pathlib import Path

from bench.run import run_once

REPO = Path(__file__).resolve().parents[2]
ALLOCATE = "import sys; block = bytearray(int(sys.argv[1]) * 2**20); block[::4096] = b'x' * len(block[::4096])"


def test_peak_memory_is_the_commands_own() -> None:
    seconds, small, status, _ = run_once([sys.executable, "-c", ALLOCATE, "1"], cwd=REPO)
    assert status == 0 and seconds > 0
    _, big, status, _ = run_once([sys.executable, "-c", ALLOCATE, "150"], cwd=REPO)
    assert status == 0
    assert 140 <= big - small <= 170  # the 150 MiB the command touched, give or take


def test_a_big_harness_does_not_inflate_a_small_command() -> None:
    ballast = bytearray(300 * 2**20)
    ballast[::4096] = b"x" * len(ballast[::4096])  # make the harness really hold 300 MiB
    _, peak, status, _ = run_once([sys.executable, "-c", "pass"], cwd=REPO)
    assert status == 0
    assert peak < 100
    del ballast


def test_a_failing_command_reports_its_status_and_error() -> None:
    _, _, status, tail = run_once(
        [sys.executable, "-c", "import sys; sys.exit('Error: no such study')"], cwd=REPO
    )
    assert status == 1
    assert "Error: no such study" in tail
