"""Plain-language facts about a loaded study, for the command line and output metadata."""

from __future__ import annotations

from typing import Any

import polars as pl

from toolkit import __version__
from toolkit.model import Study
from toolkit.stats.hierarchy import tree_order

SYNTHETIC_NOTE = "SYNTHETIC DATA: invented for demonstration, not from any real study"


def plural(count: int, noun: str) -> str:
    """``1 participant``, ``2 participants``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def study_summary(study: Study) -> str:
    """One line: participants, codes, segments, coders, and whether the data are synthetic."""
    tree = tree_order(study.codebook)
    depth = max(tree["depth"].to_list(), default=-1) + 1
    coders = study.codings["coder"].drop_nulls().n_unique()
    uncoded = study.participants.join(
        study.codings.select("participant_id").unique(), on="participant_id", how="anti"
    ).height
    parts = [
        f"{study.id}: valid",
        f"{plural(study.n_participants, 'participant')} ({uncoded} with no coding)",
        f"{plural(tree.height, 'code')} ({plural(tree.filter(pl.col('depth') == 0).height, 'root')}, depth {depth})",
        f"{plural(study.codings.height, 'coded segment')}",
        plural(coders, "coder") if coders else "no coder column",
    ]
    line = ", ".join(parts)
    if study.synthetic:
        line += f". {SYNTHETIC_NOTE}."
    return line


def result_meta(study: Study) -> dict[str, Any]:
    """Study-level facts stored with JSON and Parquet results."""
    analysis = study.manifest.analysis
    return {
        "study_id": study.id,
        "title": study.title,
        "condition": study.manifest.study.condition.name,
        "synthetic": study.synthetic,
        **({"note": SYNTHETIC_NOTE} if study.synthetic else {}),
        "ci_method": analysis.ci.method,
        "ci_level": analysis.ci.level,
        "min_cell": analysis.min_cell,
        "raremix_version": __version__,
    }
