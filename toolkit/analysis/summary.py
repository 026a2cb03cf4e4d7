"""The one-line summary of a loaded study that ``raremix validate`` prints."""

from __future__ import annotations

import polars as pl

from toolkit.analysis.results import SYNTHETIC_NOTE
from toolkit.model import Study
from toolkit.stats.hierarchy import tree_order
from toolkit.text import plural


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
