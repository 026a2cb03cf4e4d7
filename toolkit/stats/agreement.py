"""Agreement between coders: percent agreement, Cohen's kappa and Krippendorff's alpha.

The unit of agreement is a participant × codebook node: did this coder code this participant
with this node (or any of its descendants)? A coder who coded a participant at all is taken
to have read that whole interview, so a node the coder did not use for that participant is
"absent" (0); a participant a coder did not code at all is "not coded by that coder"
(missing), never "absent". Every unit with values from at least two coders is compared.

- Percent agreement: the share of compared units on which every coder who coded the
  participant gave the same value.
- Cohen's kappa (Cohen 1960): (p_o − p_e) / (1 − p_e) from the 2 × 2 table of the two
  coders; only when the study has exactly two coders.
- Krippendorff's alpha, nominal (Krippendorff 2011, "Computing Krippendorff's
  Alpha-Reliability", https://repository.upenn.edu/asc_papers/43): 1 − D_o / D_e from the
  coincidence matrix; any number of coders, missing values allowed.

Kappa and alpha are undefined (null, with a note) when there is no variation to agree on,
for example when every coder left a node unused for every participant, and are not given
from a single double-coded participant (one unit: any disagreement reads as 0.00, any
agreement as undefined); below :data:`FEW_UNITS` participants the note cautions that they
rest on very few.

Uncertainty: percentile bootstrap intervals for kappa and alpha, resampling participants
(the units) with replacement, :data:`RESAMPLES` times by default, from a fixed seed so the
same study gives the same interval (Efron & Tibshirani 1993; Zapf et al. 2016, BMC Med Res
Methodol 16:93, recommend it for alpha). One resampling of participants serves every node.
A resample in which a statistic is undefined (no variation) is left out of its interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from toolkit.errors import UsageError
from toolkit.model import Study

FloatArray = npt.NDArray[np.float64]

AGREEMENT_COLUMNS = (
    "code_id",
    "label",
    "parent_id",
    "depth",
    "coders",
    "units",
    "units_present",
    "percent_agreement",
    "kappa",
    "alpha",
    "pairable_values",
    "note",
    "kappa_lower",
    "kappa_upper",
    "alpha_lower",
    "alpha_upper",
)

FEW_UNITS = 10
"""Below this many double-coded participants the note cautions that kappa and alpha rest on
very few."""
RESAMPLES = 2000
"""Bootstrap resamples of participants for the intervals of kappa and alpha."""
SEED = 20_150_301
"""The bootstrap's fixed seed: the same study gives the same intervals."""
SINGLE_UNIT = (
    "only 1 participant was coded by two coders: kappa and alpha need at least 2 "
    "(percent agreement shown)"
)


def cohen_kappa(a: Sequence[Any] | npt.ArrayLike, b: Sequence[Any] | npt.ArrayLike) -> float:
    """Cohen's kappa for two coders' nominal values on the same units.

    Args:
        a: the first coder's values, one per unit.
        b: the second coder's values on the same units.

    Returns:
        kappa, or NaN when chance agreement is 1 (both coders used one and the same value
        throughout, so there is nothing to agree on beyond chance).
    """
    first = np.asarray(a, dtype=object)
    second = np.asarray(b, dtype=object)
    if first.shape != second.shape or first.ndim != 1:
        raise UsageError("cohen_kappa needs two sequences of the same length")
    total = len(first)
    if total == 0:
        return float("nan")
    categories = sorted(set(first.tolist()) | set(second.tolist()), key=str)
    observed = float(np.mean(first == second))
    expected = sum(float(np.mean(first == c)) * float(np.mean(second == c)) for c in categories)
    if expected >= 1.0:
        return float("nan")
    return (observed - expected) / (1.0 - expected)


def krippendorff_alpha_nominal(data: npt.ArrayLike) -> tuple[float, int]:
    """Krippendorff's alpha for nominal data, any number of coders, missing values allowed.

    Args:
        data: a coders × units matrix of numeric codes; NaN marks a missing value.

    Returns:
        ``(alpha, n)``: alpha (NaN when expected disagreement is 0) and n, the number of
        pairable values it rests on (values in units coded by at least two coders).
    """
    matrix = np.asarray(data, dtype=np.float64)
    if matrix.ndim != 2:
        raise UsageError("krippendorff_alpha_nominal needs a coders × units matrix")
    present = ~np.isnan(matrix)
    per_unit = present.sum(axis=0)
    pairable = per_unit >= 2
    matrix = matrix[:, pairable]
    present = present[:, pairable]
    per_unit = per_unit[pairable]
    values = np.unique(matrix[present])
    if values.size == 0:
        return float("nan"), 0
    # counts[c, u]: how many coders gave value c to unit u
    counts = np.stack([((matrix == v) & present).sum(axis=0) for v in values]).astype(np.float64)
    # coincidences o[c, k] = Σ_u n_cu (n_ku − [c = k]) / (m_u − 1)
    weights = 1.0 / (per_unit - 1.0)
    coincidence = (counts * weights) @ counts.T - np.diag((counts * weights).sum(axis=1))
    n_c = coincidence.sum(axis=1)
    n = float(n_c.sum())
    observed_disagreement = float(coincidence.sum() - np.trace(coincidence))
    expected_disagreement = float(n_c.sum() ** 2 - (n_c**2).sum())
    if expected_disagreement == 0:
        return float("nan"), round(n)
    alpha = 1.0 - (n - 1.0) * observed_disagreement / expected_disagreement
    return alpha, round(n)


def presence_matrix(study: Study, *, closure: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """Per node, participant and coder: 1 (coded), 0 (coded the participant, not this node)
    or null (did not code the participant).

    Returns:
        A frame ``code_id, participant_id, <coder>...`` (one column per coder) over the
        participants coded by at least one coder, and the list of coders.
    """
    codings = study.codings
    coders_found = (
        codings.get_column("coder").drop_nulls().n_unique() if "coder" in codings.columns else 0
    )
    if coders_found < 2:
        found = (
            "no coder (the 'coder' column is missing or empty)"
            if coders_found == 0
            else "only one coder"
        )
        raise UsageError(
            f"agreement needs codings from at least two coders in the 'coder' column of "
            f"{study.files.get('codings', 'the codings')}; found {found}. Name in a 'coder' "
            "column who coded each segment, and double-code some interviews to measure agreement"
        )
    coded = codings.filter(pl.col("coder").is_not_null()).select(
        "participant_id", "code_id", "coder"
    )
    coders = sorted(coded.get_column("coder").unique().to_list())
    covered = coded.select("participant_id", "coder").unique()
    rolled = (
        coded.join(closure, on="code_id")
        .select("participant_id", pl.col("ancestor_id").alias("code_id"), "coder")
        .unique()
        .with_columns(pl.lit(1, dtype=pl.Int8).alias("value"))
    )
    nodes = study.codebook.select("code_id")
    grid = nodes.join(covered, how="cross").join(
        rolled, on=["code_id", "participant_id", "coder"], how="left"
    )
    grid = grid.with_columns(pl.col("value").fill_null(0))
    wide = grid.pivot(
        on="coder", index=["code_id", "participant_id"], values="value", sort_columns=True
    )
    for coder in coders:
        if coder not in wide.columns:  # pragma: no cover - every coder covers someone
            wide = wide.with_columns(pl.lit(None, dtype=pl.Int8).alias(coder))
    return wide.select("code_id", "participant_id", *coders), coders


def agreement(
    study: Study, *, resamples: int = RESAMPLES, seed: int = SEED, level: float = 0.95
) -> pl.DataFrame:
    """Coder agreement per codebook node, at participant level.

    Args:
        study: a loaded study whose codings carry a ``coder`` column with at least two
            coders (rows without a coder are left out of the comparison).
        resamples: bootstrap resamples of participants (0: no intervals).
        seed: the bootstrap's seed.
        level: the intervals' level.

    Returns:
        One row per codebook node, in codebook order, with columns

        - ``code_id``, ``label``, ``parent_id``, ``depth``: the node (depth 0 at a root).
        - ``coders``: number of coders in the study.
        - ``units``: participants with a value from at least two coders (the units that
          percent agreement, kappa and alpha rest on).
        - ``units_present``: of those, participants at least one coder coded with the node.
        - ``percent_agreement``: share of units on which all their coders agree (0–1).
        - ``kappa``: Cohen's kappa (exactly two coders only; null otherwise or undefined).
        - ``alpha``: Krippendorff's alpha, nominal (null where undefined).
        - ``pairable_values``: the number of values alpha rests on (Krippendorff's n).
        - ``note``: why a statistic is missing, a caution when it rests on fewer than
          :data:`FEW_UNITS` participants, or empty.
        - ``kappa_lower``, ``kappa_upper``, ``alpha_lower``, ``alpha_upper``: percentile
          bootstrap intervals (participants resampled; null where the statistic is).

    Raises:
        UsageError: no ``coder`` column, fewer than two coders, a level outside (0, 1) or a
            negative number of resamples.
    """
    from toolkit.stats.intervals import check_level

    check_level(level)
    if resamples < 0:
        raise UsageError(f"resamples must be 0 or more, got {resamples}")
    from toolkit.stats.hierarchy import closure as hierarchy_closure
    from toolkit.stats.hierarchy import tree_order

    # each coded code with its ancestors (itself included): no pairs for codes never coded
    coded = study.codings.get_column("code_id").unique().to_list()
    closure = hierarchy_closure(study.codebook, codes=coded)
    wide, coders = presence_matrix(study, closure=closure)
    # Participants in a fixed order, so that one seed draws the same resamples every time.
    wide = wide.sort("participant_id")
    order = tree_order(study.codebook)
    weights = None
    rows = []
    for code_id, label, parent_id, depth in order.select(
        "code_id", "label", "parent_id", "depth"
    ).iter_rows():
        block = wide.filter(pl.col("code_id") == code_id)
        matrix = block.select(coders).to_numpy().astype(np.float64).T  # coders × participants
        stats = _node_stats(matrix)
        compared = matrix[:, (~np.isnan(matrix)).sum(axis=0) >= 2]
        if weights is None and resamples > 0 and compared.shape[1] >= 2:
            # The same participants are double-coded for every node: one resampling for all.
            rng = np.random.default_rng(seed)
            units = compared.shape[1]
            weights = rng.multinomial(units, np.full(units, 1.0 / units), size=resamples)
        stats |= _bootstrap(compared, weights, stats, level)
        rows.append(
            {"code_id": code_id, "label": label, "parent_id": parent_id, "depth": int(depth)}
            | stats
        )
    frame = pl.DataFrame(
        rows,
        schema={
            "code_id": pl.String,
            "label": pl.String,
            "parent_id": pl.String,
            "depth": pl.Int64,
            "coders": pl.Int64,
            "units": pl.Int64,
            "units_present": pl.Int64,
            "percent_agreement": pl.Float64,
            "kappa": pl.Float64,
            "alpha": pl.Float64,
            "pairable_values": pl.Int64,
            "note": pl.String,
            "kappa_lower": pl.Float64,
            "kappa_upper": pl.Float64,
            "alpha_lower": pl.Float64,
            "alpha_upper": pl.Float64,
        },
    )
    return frame.select(AGREEMENT_COLUMNS)


def _binary_kappa(a: FloatArray, b: FloatArray, weights: FloatArray) -> FloatArray:
    """Cohen's kappa of two coders' 0/1 values for every resample (rows of ``weights``)."""
    total = weights.sum(axis=1)
    observed = weights @ (a == b).astype(np.float64) / total
    p_a, p_b = weights @ a / total, weights @ b / total
    expected = p_a * p_b + (1 - p_a) * (1 - p_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(expected < 1.0, (observed - expected) / (1.0 - expected), np.nan)


def _binary_alpha(matrix: FloatArray, weights: FloatArray) -> FloatArray:
    """Krippendorff's alpha (nominal) of 0/1 values for every resample, from per-unit sums:
    with m_u values in unit u, n1_u of them 1, the coincidences are sums over units."""
    present = ~np.isnan(matrix)
    m = present.sum(axis=0).astype(np.float64)
    ones = np.nansum(matrix, axis=0)
    zeros = m - ones
    cross = ones * zeros / (m - 1.0)  # o_01 contribution of each unit
    n = weights @ m
    n1, n0 = weights @ ones, weights @ zeros
    observed = 2.0 * (weights @ cross)
    expected = n * n - n1 * n1 - n0 * n0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(expected > 0, 1.0 - (n - 1.0) * observed / expected, np.nan)


def _percentiles(values: FloatArray, level: float) -> tuple[float | None, float | None]:
    kept = values[~np.isnan(values)]
    if kept.size == 0:
        return None, None
    tail = 50.0 * (1.0 - level)
    low, high = np.percentile(kept, [tail, 100.0 - tail])
    return float(low), float(high)


def _bootstrap(
    compared: FloatArray, weights: Any, stats: dict[str, Any], level: float
) -> dict[str, float | None]:
    """Percentile intervals of kappa and alpha over the resamples (null where they are)."""
    out: dict[str, float | None] = dict.fromkeys(
        ("kappa_lower", "kappa_upper", "alpha_lower", "alpha_upper")
    )
    if weights is None:
        return out
    w = np.asarray(weights, dtype=np.float64)
    if stats["kappa"] is not None:
        kappa = _binary_kappa(compared[0], compared[1], w)
        out["kappa_lower"], out["kappa_upper"] = _percentiles(kappa, level)
    if stats["alpha"] is not None:
        out["alpha_lower"], out["alpha_upper"] = _percentiles(_binary_alpha(compared, w), level)
    return out


def _node_stats(matrix: FloatArray) -> dict[str, Any]:
    """Agreement statistics for one node from a coders × participants 0/1/NaN matrix."""
    n_coders = matrix.shape[0]
    present = ~np.isnan(matrix)
    compared = present.sum(axis=0) >= 2
    sub = matrix[:, compared]
    units = int(compared.sum())
    notes = []
    if units == 0:
        return {
            "coders": n_coders,
            "units": 0,
            "units_present": 0,
            "percent_agreement": None,
            "kappa": None,
            "alpha": None,
            "pairable_values": 0,
            "note": "no participant was coded by two coders",
        }
    agree = np.nanmax(sub, axis=0) == np.nanmin(sub, axis=0)
    units_present = int((np.nanmax(sub, axis=0) == 1).sum())
    if units == 1:
        return {
            "coders": n_coders,
            "units": 1,
            "units_present": units_present,
            "percent_agreement": float(agree.mean()),
            "kappa": None,
            "alpha": None,
            "pairable_values": int((~np.isnan(sub)).sum()),
            "note": SINGLE_UNIT,
        }
    kappa: float | None = None
    if n_coders == 2:
        value = cohen_kappa(sub[0], sub[1])
        kappa = None if np.isnan(value) else value
    alpha_value, pairable = krippendorff_alpha_nominal(sub)
    alpha = None if np.isnan(alpha_value) else alpha_value
    if alpha is None:
        notes.append("undefined: no variation (every coder gave every unit the same value)")
    elif n_coders == 2 and kappa is None:
        notes.append("kappa undefined: each coder used one value only")
    if units < FEW_UNITS and (kappa is not None or alpha is not None):
        notes.append(
            f"caution: only {units} participants were coded by two coders; kappa and alpha "
            "are very imprecise"
        )
    return {
        "coders": n_coders,
        "units": units,
        "units_present": units_present,
        "percent_agreement": float(agree.mean()),
        "kappa": kappa,
        "alpha": alpha,
        "pairable_values": pairable,
        "note": "; ".join(notes) or None,
    }
