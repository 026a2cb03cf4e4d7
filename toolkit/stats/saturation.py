"""Thematic saturation after Guest, Namey and Chen (2020).

Guest G, Namey E, Chen M (2020). A simple method to assess and report thematic saturation in
qualitative research. PLoS ONE 15(5): e0232076. https://doi.org/10.1371/journal.pone.0232076

Their method has three parameters:

- **base size** (b): the number of consecutive interviews whose unique themes form the
  denominator ("the base");
- **run length** (r): the number of consecutive interviews, right after the base, in which
  new themes are looked for;
- **new-information threshold** (t): saturation is reached when the themes that appear for
  the first time in the run, divided by the unique themes in the base, are at most t
  (≤5% by default; 0% for the strictest reading).

The assessment moves forward one interview at a time: the first run starts right after
interviews 1..b, and while the threshold is not met base and run both move on by one
interview. When the run after interviews ..k meets the threshold, saturation is reported at
n = k: the run's r interviews confirm it (Guest et al. report "n interviews, plus r to
confirm"). Themes are counted once per interview (a theme voiced by a participant, on the
node or any of its descendants, as in prevalence); "new" means not voiced in any earlier
interview. Interviews follow the ``order_by`` attribute (``analysis.order_by``), else an ``interview_order`` attribute,
else a date attribute (name containing "date"), else the participants table order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from toolkit.errors import UsageError
from toolkit.model import Study

CURVE_COLUMNS = (
    "interview",
    "participant_id",
    "order_value",
    "themes_voiced",
    "new_themes",
    "cumulative_themes",
    "base_themes",
    "run_new_themes",
    "new_information",
    "meets_threshold",
)


@dataclass(frozen=True)
class Saturation:
    """The saturation assessment of a study.

    Attributes:
        curve: one row per interview in order; columns

            - ``interview``: position 1..N in the order used.
            - ``participant_id``; ``order_value``: the ordering value as text (empty when
              participant order is used).
            - ``themes_voiced``: themes voiced in this interview.
            - ``new_themes``: of those, themes not voiced in any earlier interview.
            - ``cumulative_themes``: distinct themes voiced so far (non-decreasing).
            - ``base_themes``: unique themes in the base ending at this interview (the b
              interviews up to and including it); null before interview b.
            - ``run_new_themes``: new themes in the run of the next r interviews; null when
              fewer than r interviews follow.
            - ``new_information``: run_new_themes / base_themes (0–1; null where undefined).
            - ``meets_threshold``: new_information ≤ threshold.
        point: the saturation point n (interviews before the confirming run), or None.
        base, run, threshold: the parameters used.
        depth: codebook depth of the nodes counted as themes (with ``level`` "codes": the
            deepest depth of the codebook).
        order_by: the attribute that ordered the interviews, or None (participant order).
        themes_total: distinct themes voiced in the whole study (the curve's end).
        statement: the result in words, as Guest et al. recommend reporting it.
        level: "themes" (codebook nodes at ``depth``, codings rolled up to them) or "codes"
            (every code as coded, at whatever depth: saturation at code level).
    """

    curve: pl.DataFrame
    point: int | None
    base: int
    run: int
    threshold: float
    depth: int
    order_by: str | None
    themes_total: int
    statement: str
    level: str = "themes"

    def meta(self) -> dict[str, Any]:
        """The assessment without its curve, as plain values (output metadata)."""
        return {
            "statement": self.statement,
            "saturation_point": self.point,
            "base": self.base,
            "run": self.run,
            "threshold": self.threshold,
            "depth": self.depth,
            "level": self.level,
            "order_by": self.order_by,
            "themes_total": self.themes_total,
        }


def _percent(threshold: float) -> str:
    value = threshold * 100
    return f"{value:.0f}%" if abs(value - round(value)) < 1e-9 else f"{value:g}%"


def _as_text(column: pl.Series) -> pl.Series:
    """Ordering values as text; whole numbers without a trailing '.0'."""
    if column.dtype.is_float():
        return pl.Series(
            column.name,
            [
                None if v is None else (str(int(v)) if float(v).is_integer() else str(v))
                for v in column.to_list()
            ],
            dtype=pl.String,
        )
    return column.cast(pl.String)


def interview_order(study: Study, order_by: str | None = None) -> tuple[pl.DataFrame, str | None]:
    """Participants in interview order: ``(frame participant_id, order_value; attribute)``.

    ``order_by`` names the ordering attribute; None: an ``interview_order`` attribute, else
    the first attribute whose name contains "date", else the first numeric attribute whose
    name contains "interview" (an interview number), else the participants table order.

    Raises:
        UsageError: the ordering attribute is unknown, has missing values, or holds dates
            that cannot be read.
    """
    participants = study.participants
    chosen = order_by
    if chosen is None:
        if "interview_order" in study.attributes:
            chosen = "interview_order"
        else:
            dates = [name for name in study.attributes if "date" in name.lower()]
            numbers = [
                name
                for name, spec in study.attributes.items()
                if "interview" in name.lower() and spec.type == "numeric"
            ]
            found: list[str] = dates or numbers
            chosen = found[0] if found else None
    if chosen is None:
        frame = participants.select(
            "participant_id", pl.lit(None, dtype=pl.String).alias("order_value")
        )
        return frame, None
    study.attribute(chosen)  # UsageError naming the known attributes
    column = participants.get_column(chosen)
    missing = participants.filter(column.is_null()).get_column("participant_id").to_list()
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        raise UsageError(
            f"attribute '{chosen}' orders the interviews for saturation but is missing for "
            f"{len(missing)} participant(s): {shown}; fill it in, or set analysis.order_by"
        )
    key: pl.Series
    if column.dtype.is_numeric():
        key = column.cast(pl.Float64)
    else:
        text = column.cast(pl.String)
        parsed = text.str.to_date(strict=False)
        if parsed.null_count() == 0:
            key = parsed
        elif "date" in chosen.lower():
            bad = participants.filter(parsed.is_null()).get_column("participant_id").to_list()
            raise UsageError(
                f"attribute '{chosen}' holds values that are not dates (YYYY-MM-DD) for "
                f"participant(s) {', '.join(bad[:5])}; write them as 2024-03-01"
            )
        else:
            key = text
    frame = (
        participants.select("participant_id")
        .with_columns(key.alias("_key"), _as_text(column).alias("order_value"))
        .with_row_index("_pos")
        .sort("_key", "_pos")  # ties keep the participants table order
        .select("participant_id", "order_value")
    )
    return frame, chosen


def saturation(
    study: Study,
    *,
    base: int = 4,
    run: int = 2,
    threshold: float = 0.05,
    depth: int | None = None,
    order_by: str | None = None,
    coder: str | None = None,
    level: str = "themes",
) -> Saturation:
    """Assess thematic saturation (Guest, Namey and Chen 2020).

    Args:
        study: a loaded study.
        base: base size b.
        run: run length r.
        threshold: new-information threshold t as a fraction (0.05 for ≤5%).
        depth: codebook depth of the nodes counted as themes (default 1 when the codebook
            has it, else 0).
        order_by: the attribute that orders the interviews (see :func:`interview_order`).
        coder: use only this coder's codings (None: every coding).
        level: "themes" (the nodes at ``depth``) or "codes" (every code as coded, so a new
            code under a known theme is new information: saturation at code level, which
            COREQ item 22 asks about; ``depth`` is then ignored).

    Returns:
        A :class:`Saturation` with the per-interview curve, the point and the statement.

    Raises:
        UsageError: a parameter out of range, a bad depth, or an unusable order attribute.
    """
    from toolkit.stats.cooccurrence import analysis_codings, resolve_depth, rolled_codings

    if base < 1:
        raise UsageError(f"base size must be at least 1 interview, not {base}")
    if run < 1:
        raise UsageError(f"run length must be at least 1 interview, not {run}")
    if not 0 <= threshold <= 1:
        raise UsageError(
            f"threshold is a fraction between 0 and 1 (0.05 for ≤5% new information), not {threshold}"
        )
    if level not in ("themes", "codes"):
        raise UsageError(f"saturation level is 'themes' or 'codes', not '{level}'")
    if level == "codes":
        from toolkit.stats.hierarchy import tree_order

        tree = tree_order(study.codebook)
        nodes = tree.select("code_id", "label", "order")
        depth = int(tree.get_column("depth").cast(pl.Int64).max() or 0)  # type: ignore[arg-type]
    else:
        nodes, depth = resolve_depth(study, depth)
    order, order_by = interview_order(study, order_by)
    codings = analysis_codings(study, coder)
    voiced = (
        codings.select("participant_id", pl.col("code_id").alias("node")).unique()
        if level == "codes"  # each code as coded, not rolled up to its ancestors
        else rolled_codings(study, nodes, codings).select("participant_id", "node").unique()
    )
    by_participant: dict[str, set[str]] = {}
    for pid, node in voiced.iter_rows():
        by_participant.setdefault(pid, set()).add(node)

    ids = order.get_column("participant_id").to_list()
    theme_sets = [by_participant.get(pid, set()) for pid in ids]
    seen: set[str] = set()
    new_sets: list[set[str]] = []
    for themes in theme_sets:
        new_sets.append(themes - seen)
        seen |= themes
    cumulative = []
    running = 0
    for new in new_sets:
        running += len(new)
        cumulative.append(running)

    total = len(ids)
    base_themes: list[int | None] = []
    run_new: list[int | None] = []
    ratio: list[float | None] = []
    meets: list[bool | None] = []
    point: int | None = None
    for k in range(1, total + 1):  # k: interviews up to the end of the base
        if k < base:
            base_themes.append(None)
            run_new.append(None)
            ratio.append(None)
            meets.append(None)
            continue
        in_base = len(set().union(*theme_sets[k - base : k]))
        base_themes.append(in_base)
        if k + run > total:
            run_new.append(None)
            ratio.append(None)
            meets.append(None)
            continue
        new_in_run = sum(len(s) for s in new_sets[k : k + run])
        run_new.append(new_in_run)
        # With no theme in the base, only "nothing new" can be called saturated.
        value = (0.0 if new_in_run == 0 else None) if in_base == 0 else new_in_run / in_base
        ratio.append(value)
        ok = value is not None and value <= threshold + 1e-12
        meets.append(ok)
        if ok and point is None:
            point = k

    curve = pl.DataFrame(
        {
            "interview": list(range(1, total + 1)),
            "participant_id": ids,
            "order_value": order.get_column("order_value").to_list(),
            "themes_voiced": [len(s) for s in theme_sets],
            "new_themes": [len(s) for s in new_sets],
            "cumulative_themes": cumulative,
            "base_themes": base_themes,
            "run_new_themes": run_new,
            "new_information": ratio,
            "meets_threshold": meets,
        },
        schema={
            "interview": pl.Int64,
            "participant_id": pl.String,
            "order_value": pl.String,
            "themes_voiced": pl.Int64,
            "new_themes": pl.Int64,
            "cumulative_themes": pl.Int64,
            "base_themes": pl.Int64,
            "run_new_themes": pl.Int64,
            "new_information": pl.Float64,
            "meets_threshold": pl.Boolean,
        },
    )
    settings_text = f"base {base}, run {run}, ≤{_percent(threshold)} new information"
    if not seen:
        # Nothing new after nothing at all is not saturation: there are no themes yet.
        point = None
        curve = curve.with_columns(pl.lit(None, dtype=pl.Boolean).alias("meets_threshold"))
        statement = f"not assessable: no theme was coded in any of the {total} interview(s) ({settings_text})"
    elif point is not None:
        statement = (
            f"saturation at n = {point} ({settings_text}; "
            f"confirmed by interviews {point + 1}–{point + run})"
            if run > 1
            else f"saturation at n = {point} ({settings_text}; confirmed by interview {point + 1})"
        )
    elif total < base + run:
        statement = f"not assessable: {total} interview(s), fewer than base + run = {base + run} ({settings_text})"
    else:
        statement = f"saturation not reached in {total} interviews ({settings_text})"
    return Saturation(
        curve=curve.select(CURVE_COLUMNS),
        point=point,
        base=base,
        run=run,
        threshold=threshold,
        depth=depth,
        order_by=order_by,
        themes_total=len(seen),
        statement=statement if level == "themes" else f"code level: {statement}",
        level=level,
    )
