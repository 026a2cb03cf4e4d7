"""Strata: each participant's group for a stratifying attribute, with a visible "missing"."""

from __future__ import annotations

import numpy as np
import polars as pl

from toolkit.errors import UsageError
from toolkit.model.attributes import bin_labels
from toolkit.model.schemas import MISSING, PARTICIPANT_ID, AttributeSpec, Study


def stratum_values(participants: pl.DataFrame, spec: AttributeSpec) -> tuple[pl.Series, list[str]]:
    """Each participant's stratum label for ``spec`` and the ordered list of levels.

    Categorical attributes use their levels; numeric ones their bins ("18–49", "50–64", …;
    the last bin is closed). Missing values form the level ``"missing"``, listed last and only
    when it occurs.
    """
    column = participants[spec.name]
    if spec.type == "categorical":
        levels = list(spec.levels or ())
        labels = column.cast(pl.String)
    else:
        if spec.bins is None:
            raise UsageError(
                f"numeric attribute '{spec.name}' has no bins, so it cannot form strata; "
                f"add attributes.{spec.name}.bins to study.yml (for example [18, 50, 65, 120])"
            )
        levels = bin_labels(spec.bins, whole_values=spec.whole)
        # Bins are [b0, b1), ..., [b_{k-1}, b_k]: a value's bin is the number of inner edges
        # at or below it. Validation has already refused values outside [b0, b_k].
        values = column.cast(pl.Float64).fill_null(np.nan).to_numpy()
        index = np.searchsorted(np.asarray(spec.bins[1:-1]), np.nan_to_num(values), side="right")
        names = np.asarray(levels, dtype=object)[index]
        names[np.isnan(values)] = None
        labels = pl.Series(spec.name, names.tolist(), dtype=pl.String)
    labels = labels.fill_null(MISSING).alias("stratum_value")
    if labels.null_count() == 0 and (labels == MISSING).any():
        levels = [*levels, MISSING]
    return labels, levels


def stratum_frame(study: Study, attribute: str) -> tuple[pl.DataFrame, list[str]]:
    """``(frame participant_id, stratum_value; ordered levels)`` for one attribute of a study.

    Raises:
        UsageError: unknown attribute, or a numeric attribute without bins.
    """
    spec = study.attribute(attribute)
    labels, levels = stratum_values(study.participants, spec)
    return pl.DataFrame([study.participants[PARTICIPANT_ID], labels]), levels
