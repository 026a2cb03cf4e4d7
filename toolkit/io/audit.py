"""The input audit: every input row of a study accounted for (used, left out, and why).

``raremix validate --explain`` shows it. :func:`natural_key` lives here, the lowest layer that
sorts participant ids; pseudonyms use the same order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from toolkit.model import Study


def natural_key(value: str) -> tuple[Any, ...]:
    """Sort key that orders ``P2`` before ``P10`` (digit runs compare as numbers)."""
    parts = re.split(r"([0-9]+)", value)
    key = tuple(
        (0, int(p), p) if p.isascii() and p.isdigit() else (1, p.casefold(), p) for p in parts if p
    )
    return (key, value)


def reconcile(study: Study, *, coder: str | None = None) -> pl.DataFrame:
    """Account for every input row: what the analysis uses, what it leaves out, and why.

    Args:
        study: a loaded study.
        coder: the coder whose codings prevalence uses (default ``analysis.coder``; None: all).

    Returns:
        Frame ``table, status, reason, rows, examples``; for each table the ``used`` and
        ``left out`` rows add up to the rows read, and a ``read`` row states that total.
        Reader notes (an importer leaving out segments of deleted codes, for example) appear
        as ``note`` rows with the importer's own message.
    """
    coder = study.manifest.analysis.coder if coder is None else coder
    files = study.files
    rows: list[dict[str, Any]] = []

    def add(
        table: str, status: str, reason: str, count: int | None, examples: Sequence[str] = ()
    ) -> None:
        shown = ", ".join(str(e) for e in list(examples)[:5])
        if len(examples) > 5:
            shown += f", … ({len(examples)} in all)"
        rows.append(
            {"table": table, "status": status, "reason": reason, "rows": count, "examples": shown}
        )

    participants = study.participants
    codings = study.codings
    codings_file = files.get("codings", "codings")
    participants_file = files.get("participants", "participants")
    codebook_file = files.get("codebook", "codebook")

    # codings
    add(codings_file, "read", "coded segments in the input", codings.height)
    _skipped_lines(codings, codings_file, add)
    if coder is not None:
        used = codings.filter(pl.col("coder") == coder)
        others = codings.filter((pl.col("coder") != coder) | pl.col("coder").is_null())
        add(codings_file, "used", f"coded by '{coder}' (analysis.coder)", used.height)
        for name, count in (
            others.group_by("coder", maintain_order=True).len().sort("coder").iter_rows()
        ):
            reason = (
                f"coder '{name}' is not analysis.coder '{coder}'"
                if name is not None
                else f"no coder named; analysis.coder is '{coder}'"
            )
            add(
                codings_file,
                "left out",
                reason,
                count,
                _lines(others.filter(pl.col("coder").eq_missing(name))),
            )
    else:
        add(codings_file, "used", "every coding (no analysis.coder)", codings.height)
    chosen = codings if coder is None else codings.filter(pl.col("coder") == coder)
    located = chosen.filter(pl.col("start").is_not_null())
    keys = ["participant_id", "code_id", "source", "start", "end"]
    repeated = located.filter(located.select(keys).is_duplicated())
    if repeated.height:
        add(
            codings_file,
            "note",
            "same segment coded more than once (several coders?): "
            "one participant, several segments",
            repeated.height,
            _lines(repeated),
        )

    # participants
    add(participants_file, "read", "participants in the input", participants.height)
    used_codings = codings if coder is None else codings.filter(pl.col("coder") == coder)
    voiced = set(used_codings["participant_id"].to_list())
    ids = participants["participant_id"].to_list()
    without = [i for i in ids if i not in voiced]
    add(participants_file, "used", "with at least one coding", participants.height - len(without))
    add(
        participants_file,
        "used",
        "without codings: in every denominator, in no numerator",
        len(without),
        sorted(without, key=natural_key),
    )
    _skipped_lines(participants, participants_file, add)

    # codebook
    codebook = study.codebook
    add(codebook_file, "read", "codebook nodes", codebook.height)
    coded = set(used_codings["code_id"].to_list())
    parents = set(codebook["parent_id"].drop_nulls().to_list())
    never = [c for c in codebook["code_id"].to_list() if c not in coded and c not in parents]
    add(
        codebook_file,
        "used",
        "nodes with codings of their own",
        len(coded & set(codebook["code_id"].to_list())),
    )
    add(
        codebook_file,
        "used",
        "leaf codes never coded: shown with prevalence 0",
        len(never),
        never,
    )
    for warning in study.warnings:
        add("(reader)", "note", warning, None)
    return pl.DataFrame(
        rows,
        schema={
            "table": pl.String,
            "status": pl.String,
            "reason": pl.String,
            "rows": pl.Int64,
            "examples": pl.String,
        },
    )


def _lines(frame: pl.DataFrame) -> list[str]:
    if "_row" not in frame.columns:
        return []
    return [f"line {r}" for r in frame["_row"].drop_nulls().to_list()]


def _skipped_lines(frame: pl.DataFrame, file: str, add: Callable[..., None]) -> None:
    """Lines between the header and the last row that the reader did not turn into rows."""
    if "_row" not in frame.columns or frame.height == 0:
        return
    lines = frame["_row"].drop_nulls()
    if lines.is_empty():
        return
    present = set(lines.to_list())
    missing = [n for n in range(2, int(lines.max()) + 1) if n not in present]  # type: ignore[arg-type]
    if missing:
        add(file, "left out", "blank lines", len(missing), [f"line {n}" for n in missing])
