"""The floor: polars alone reading the codings Parquet and counting distinct (participant, code).

No validation, no codebook, no strata, no intervals: the least work any prevalence
computation must do (read two columns, find the distinct pairs, count them per code). raremix
aims to stay within 2x of it.

    python -m bench.floor CODINGS.parquet
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl


def distinct_pairs_per_code(codings: Path) -> pl.DataFrame:
    """Participants per code (distinct (participant_id, code_id) pairs, counted per code)."""
    return (
        pl.scan_parquet(codings)
        .select("participant_id", "code_id")
        .unique()
        .group_by("code_id")
        .len(name="participants")
        .collect()
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("codings", type=Path)
    args = parser.parse_args(argv)
    counts = distinct_pairs_per_code(args.codings)
    print(
        f"{counts.height} codes, {counts['participants'].sum()} distinct (participant, code) pairs"
    )


if __name__ == "__main__":
    main()
