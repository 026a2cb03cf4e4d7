"""Time ``raremix report examples/calciphylaxis`` (HTML, PDF and DOCX) as a whole process.

What a user waits for: the command from start to exit, loading, validating, computing,
drawing the four figures in Chromium (kaleido), pandoc and typst. One unmeasured warm-up
run first (Chromium's and Python's files in the page cache), then the median of ``--runs``
runs. Prints one Markdown table row for the README's benchmark section.

    .venv/bin/python bench/report.py [--runs 3] [--study examples/calciphylaxis]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_once(raremix: Path, study: Path, out: Path, formats: str = "html,pdf,docx") -> float:
    """Seconds for one ``raremix report`` process; raises if it fails."""
    started = time.perf_counter()
    done = subprocess.run(
        [str(raremix), "report", str(study), "-o", str(out), "--format", formats],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"raremix report failed:\n{done.stdout}{done.stderr}")
    return elapsed


def timings(
    formats: str, runs: int, study: Path = REPO / "examples" / "calciphylaxis"
) -> list[float]:
    """Seconds of ``runs`` report processes in ``formats``, after one unmeasured warm-up."""
    raremix = Path(sys.executable).parent / "raremix"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report"
        run_once(raremix, study, out, formats)
        return [run_once(raremix, study, out, formats) for _ in range(runs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--study", type=Path, default=REPO / "examples" / "calciphylaxis")
    args = parser.parse_args()
    raremix = Path(sys.executable).parent / "raremix"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report"
        run_once(raremix, args.study, out)  # warm-up, not measured
        times = [run_once(raremix, args.study, out) for _ in range(args.runs)]
    median = statistics.median(times)
    spread = ", ".join(f"{t:.2f}" for t in times)
    cores = os.cpu_count() or 0
    print(
        f"| `raremix report {args.study.relative_to(REPO) if args.study.is_relative_to(REPO) else args.study}`"
        f" (HTML + PDF + DOCX, whole process, Chromium warm) | {median:.2f} s "
        f"| median of {args.runs} ({spread} s), {cores} cores |"
    )


if __name__ == "__main__":
    main()
