"""Time quote redaction: 20,000 quotations, plain ASCII and with curly apostrophes.

Redaction matches a normalised copy of each quotation (NFKC, whitespace, apostrophes, soft
hyphens) and maps matches back; plain ASCII needs no normalising. Prints one Markdown row
per kind for bench/README.md (median of ``--runs``, in-process: redaction only).

    .venv/bin/python -m bench.redaction [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from toolkit.manifest import Redaction
from toolkit.privacy import redact_text, redaction_rules

QUOTES = 20_000
KINDS = {
    "plain ASCII": "they said it would be fine, and Dr Ferris said so",
    "curly apostrophes, double space": "they said it’d be fine, but it wasn’t, and Dr  Ferris said so",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    rules = redaction_rules(Redaction(names=["Odile", "Ferris"], places=["Leeds"]))
    print("| quotations | kind | seconds (median) |")
    print("|---:|---|---:|")
    for kind, text in KINDS.items():
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            for _ in range(QUOTES):
                redact_text(text, rules)
            times.append(time.perf_counter() - started)
        print(f"| {QUOTES:,} | {kind} | {statistics.median(times):.2f} s |")


if __name__ == "__main__":
    main()
