"""Run one command and report its wall time and peak memory as JSON (used by bench/run.py).

    python -I bench/measure.py -- COMMAND [ARG...]

prints ``{"seconds": ..., "max_rss_kib": ..., "status": ...}`` on standard output; the
command's standard output is discarded and its standard error passed through.

Why a separate small process: Linux counts, in a child's peak resident memory, the memory of
the process it was forked from up to the moment it starts the new program. Measured from the
harness (which has read Parquet files and holds results), every command would look as big
as the harness. This wrapper imports nothing heavy, so what it adds is a few MiB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print("usage: measure.py -- COMMAND [ARG...]", file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1 :]
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    # wait4 reports the resource usage of this one child (ru_maxrss in KiB on Linux).
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    result = {"seconds": seconds, "max_rss_kib": usage.ru_maxrss, "status": child.returncode}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
