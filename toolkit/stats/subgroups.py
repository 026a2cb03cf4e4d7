"""Subgroup differences in theme prevalence, with intervals, exact p-values and BH adjustment.

For an attribute with levels L0, L1, …, Lk (declared order; L0 is the reference), every
codebook node gets one row per comparison Lj vs L0: the prevalence in each group (from
:func:`toolkit.stats.prevalence.prevalence`, so x and n are exactly those of the prevalence
table), the difference p(Lj) − p(L0) with its confidence interval
(:func:`toolkit.stats.differences.difference_ci`), Fisher's exact two-sided p-value, and the
Benjamini–Hochberg adjusted p-value across the nodes of that comparison.

Participants with no value for the attribute form the "missing" group of the prevalence
table; they are not compared with anyone, and the ``note`` column says how many there are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import polars as pl

from toolkit.errors import UsageError
from toolkit.model import MISSING, Study
from toolkit.stats.differences import DIFFERENCE_METHODS, difference_ci

COLUMNS = (
    "code_id",
    "label",
    "parent_id",
    "depth",
    "stratum_variable",
    "comparison",
    "level",
    "reference",
    "participants_level",
    "denominator_level",
    "prevalence_level",
    "participants_reference",
    "denominator_reference",
    "prevalence_reference",
    "difference",
    "ci_lower",
    "ci_upper",
    "ci_method",
    "ci_level",
    "p_value",
    "p_adjusted",
    "small_sample",
    "caution",
    "note",
    "suppressed",
)

SMALL_GROUP = 10  # groups under this size get a caution
SMALL_EXPECTED = 5.0  # classic rule: an expected cell count under 5


def benjamini_hochberg(p_values: Sequence[float] | npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Benjamini–Hochberg (1995) adjusted p-values (step-up, false discovery rate).

    ``p_adj(i) = min over j ≥ i of (m / j) · p(j)`` for p sorted ascending, capped at 1.
    NaN entries are left NaN and do not count towards m.
    """
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    valid = ~np.isnan(p)
    m = int(valid.sum())
    if m == 0:
        return out
    values = p[valid]
    order = np.argsort(values, kind="mergesort")
    ranked = values[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    result = np.empty(m)
    result[order] = np.minimum(adjusted, 1.0)
    out[valid] = result
    return out


def _log_choose(n: int, k: npt.NDArray[np.int64] | int) -> npt.NDArray[np.float64]:
    """log C(n, k) for each k, from the standard library's log-gamma (tables here are small)."""
    ks = np.atleast_1d(np.asarray(k, dtype=np.int64))
    return np.array(
        [math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1) for j in ks.tolist()],
        dtype=np.float64,
    )


def _fisher_one(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided p of one table: the total probability, under the hypergeometric law of x1
    given the margins, of tables no more likely than the one observed (the convention of
    R's fisher.test and scipy, with the same relative tolerance of 1e-7 for ties)."""
    total, voiced = n1 + n2, x1 + x2
    low, high = max(0, n1 - (total - voiced)), min(voiced, n1)
    support = np.arange(low, high + 1, dtype=np.int64)
    log_pmf = (
        _log_choose(voiced, support)
        + _log_choose(total - voiced, n1 - support)
        - _log_choose(total, n1)
    )
    pmf = np.exp(log_pmf)
    observed = pmf[x1 - low]
    return float(min(1.0, pmf[pmf <= observed * (1 + 1e-7)].sum()))


def fisher_two_sided(
    x1: npt.ArrayLike, n1: npt.ArrayLike, x2: npt.ArrayLike, n2: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Fisher's exact two-sided p-value for each 2 × 2 table [[x1, n1−x1], [x2, n2−x2]].

    Computed from the hypergeometric distribution directly (the standard library's
    log-gamma), which avoids importing scipy.stats: that import alone costs about a second
    per command.
    """
    a, b, c, d = (np.asarray(v, dtype=np.int64) for v in (x1, n1, x2, n2))
    return np.array(
        [
            _fisher_one(int(p), int(q), int(r), int(s))
            for p, q, r, s in zip(a, b, c, d, strict=True)
        ],
        dtype=np.float64,
    )


def _caution(x1: int, n1: int, x2: int, n2: int, level: str, reference: str) -> str | None:
    reasons = []
    for name, n in ((level, n1), (reference, n2)):
        if n < SMALL_GROUP:
            reasons.append(f"only {n} participant(s) in {name}")
    total = n1 + n2
    voiced = x1 + x2
    expected = [n1 * voiced / total, n1 * (total - voiced) / total, n2 * voiced / total]
    expected.append(n2 * (total - voiced) / total)
    if min(expected) < SMALL_EXPECTED:
        reasons.append(f"an expected count of {min(expected):.1f} (< {SMALL_EXPECTED:g})")
    if not reasons:
        return None
    return "small sample: " + "; ".join(reasons) + ": read the interval, not the p-value"


def differences(
    study: Study,
    *,
    by: str,
    method: str = "newcombe",
    level: float = 0.95,
    coder: str | None = None,
) -> pl.DataFrame:
    """Difference in prevalence between levels of one attribute, for every codebook node.

    Args:
        study: a loaded study.
        by: a categorical attribute, or a numeric one with bins.
        method: difference CI method: ``newcombe``, ``newcombe_cc``, ``miettinen_nurminen``,
            ``wald`` or ``agresti_caffo``.
        level: confidence level.
        coder: use only this coder's codings (None: every coding).

    Returns:
        One row per node and comparison (nodes in codebook preorder within each comparison,
        comparisons in level order). Columns:

        - ``code_id``, ``label``, ``parent_id``, ``depth``: the node (depth 0 at a root).
        - ``stratum_variable``: the attribute ``by``.
        - ``comparison``: "<level> vs <reference>"; ``level`` and ``reference``: the two
          groups (the reference is the first declared level).
        - ``participants_level``, ``denominator_level``, ``prevalence_level``: x, n and
          x / n in the compared level; ``participants_reference``,
          ``denominator_reference``, ``prevalence_reference``: the same in the reference.
        - ``difference``: prevalence_level − prevalence_reference (−1 to 1).
        - ``ci_lower``, ``ci_upper``, ``ci_method``, ``ci_level``: its confidence interval.
        - ``p_value``: Fisher's exact test, two-sided.
        - ``p_adjusted``: Benjamini–Hochberg adjusted p across all nodes of this comparison.
        - ``small_sample``: True when either group has fewer than 10 participants or an
          expected 2 × 2 cell count is below 5; ``caution`` says which, in words.
        - ``note``: participants not compared because their value is missing, if any.
        - ``suppressed``: false here (raw counts); the disclosure gate
          (:func:`toolkit.privacy.suppress_differences`) blanks small cells.

        Rows whose level has no participants keep x = n = 0, null estimates, and a note.

    Raises:
        UsageError: unknown attribute, a numeric attribute without bins, fewer than two
            levels with participants, an unknown method or a level outside (0, 1).
    """
    from toolkit.stats.prevalence import prevalence
    from toolkit.stats.strata import stratum_frame

    if method not in DIFFERENCE_METHODS:
        raise UsageError(
            f"unknown difference method '{method}'; choose one of {', '.join(DIFFERENCE_METHODS)}"
        )
    strata, levels = stratum_frame(study, by)
    sizes = dict(strata.group_by("stratum_value").len().iter_rows())
    declared = [value for value in levels if value != MISSING]
    populated = [value for value in declared if sizes.get(value, 0) > 0]
    if len(populated) < 2:
        shown = ", ".join(f"{value} ({sizes.get(value, 0)})" for value in declared) or "none"
        raise UsageError(
            f"attribute '{by}' has fewer than two levels with participants ({shown}); "
            "a difference needs two groups to compare"
        )
    reference = declared[0]
    if sizes.get(reference, 0) == 0:
        raise UsageError(
            f"the reference level '{reference}' of attribute '{by}' (its first declared level) "
            f"has no participants; list a level that has participants first under attributes.{by}.levels"
        )
    n_missing = int(sizes.get(MISSING, 0))
    note = (
        f"{n_missing} participant(s) without a value for '{by}' are not compared"
        if n_missing
        else None
    )

    table = prevalence(study, by=[by], level=level, coder=coder).filter(
        pl.col("stratum_variable") == by
    )
    ref_rows = table.filter(pl.col("stratum_value") == reference).select(
        "code_id",
        pl.col("participants").alias("participants_reference"),
        pl.col("denominator").alias("denominator_reference"),
    )
    parts = []
    for value in declared[1:]:
        rows = (
            table.filter(pl.col("stratum_value") == value)
            .select(
                "code_id",
                "label",
                "parent_id",
                "depth",
                pl.col("participants").alias("participants_level"),
                pl.col("denominator").alias("denominator_level"),
            )
            .join(ref_rows, on="code_id", how="left", maintain_order="left")
        )
        parts.append(
            _compare(
                rows,
                by=by,
                level_name=value,
                reference=reference,
                method=method,
                level=level,
                note=note,
            )
        )
    frame = pl.concat(parts).with_columns(pl.lit(False).alias("suppressed"))
    return frame.select(COLUMNS)


def _compare(
    rows: pl.DataFrame,
    *,
    by: str,
    level_name: str,
    reference: str,
    method: str,
    level: float,
    note: str | None,
) -> pl.DataFrame:
    x1 = rows.get_column("participants_level").to_numpy().astype(np.float64)
    n1 = rows.get_column("denominator_level").to_numpy().astype(np.float64)
    x2 = rows.get_column("participants_reference").to_numpy().astype(np.float64)
    n2 = rows.get_column("denominator_reference").to_numpy().astype(np.float64)
    size = len(x1)
    difference = np.full(size, np.nan)
    lower = np.full(size, np.nan)
    upper = np.full(size, np.nan)
    p_value = np.full(size, np.nan)
    p1 = np.full(size, np.nan)
    p2 = np.where(n2 > 0, x2 / np.where(n2 > 0, n2, 1), np.nan)
    notes: list[str | None] = [note] * size
    cautions: list[str | None] = [None] * size
    small: list[bool | None] = [None] * size
    if size and n1[0] > 0:  # every node of one level shares its n
        p1 = x1 / n1
        difference = p1 - p2
        lower, upper = difference_ci(x1, n1, x2, n2, method=method, level=level)
        p_value = fisher_two_sided(x1, n1, x2, n2)
        cautions = [
            _caution(int(a), int(b), int(c), int(d), level_name, reference)
            for a, b, c, d in zip(x1, n1, x2, n2, strict=True)
        ]
        small = [c is not None for c in cautions]
    else:
        empty = f"no participants in '{level_name}': nothing to compare"
        notes = [empty if note is None else f"{empty}; {note}"] * size
    return rows.with_columns(
        pl.lit(by).alias("stratum_variable"),
        pl.lit(f"{level_name} vs {reference}").alias("comparison"),
        pl.lit(level_name).alias("level"),
        pl.lit(reference).alias("reference"),
        pl.Series("prevalence_level", p1).fill_nan(None),
        pl.Series("prevalence_reference", p2).fill_nan(None),
        pl.Series("difference", difference).fill_nan(None),
        pl.Series("ci_lower", lower).fill_nan(None),
        pl.Series("ci_upper", upper).fill_nan(None),
        pl.lit(method).alias("ci_method"),
        pl.lit(float(level)).alias("ci_level"),
        pl.Series("p_value", p_value).fill_nan(None),
        pl.Series("p_adjusted", benjamini_hochberg(p_value)).fill_nan(None),
        pl.Series("small_sample", small, dtype=pl.Boolean),
        pl.Series("caution", cautions, dtype=pl.String),
        pl.Series("note", notes, dtype=pl.String),
    )
