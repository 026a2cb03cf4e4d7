"""Participant attributes: their types (declared or inferred), levels, bins and checks."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Any, Literal

import polars as pl

from toolkit.errors import Problem
from toolkit.manifest import Manifest
from toolkit.model.problems import Collector
from toolkit.model.schemas import MISSING, PARTICIPANT_ID, ROW, AttributeSpec

MISSING_TOKENS = ("", "NA")


def _infer_type(values: pl.Series) -> Literal["numeric", "categorical"]:
    present = values.drop_nulls()
    if present.len() == 0:
        return "categorical"
    if present.dtype.is_numeric():
        return "numeric"
    text = present.cast(pl.String).str.strip_chars()
    text = text.filter(~text.is_in(list(MISSING_TOKENS)))
    if text.len() == 0:
        return "categorical"
    parsed = text.cast(pl.Float64, strict=False)
    return "numeric" if parsed.null_count() == 0 and parsed.is_finite().all() else "categorical"


def _enum_levels(dtype: pl.Enum) -> list[str]:
    """An Enum's categories in their declared order, stripped, without missing tokens."""
    levels: list[str] = []
    for category in dtype.categories.to_list():
        text = str(category).strip()
        if text and text not in MISSING_TOKENS and text not in levels:
            levels.append(text)
    return levels


def _natural_key(value: str) -> tuple[Any, ...]:
    return tuple(
        int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", value)
    )


def bin_labels(bins: tuple[float, ...], *, whole_values: bool = True) -> list[str]:
    """Human labels for [b0, b1), [b1, b2), ..., [b_{k-1}, b_k] (the last bin is closed).

    "18–49" says that 49 is the largest value in the bin, true only when every value is a
    whole number (``whole_values``); otherwise the bins read "[18, 50)", so that 49.65 is
    never shown in a bin labelled "18–49".
    """
    whole = whole_values and all(float(b).is_integer() for b in bins)
    labels = []
    for i, (low, high) in enumerate(itertools.pairwise(bins)):
        last = i == len(bins) - 2
        if whole:
            top = int(high) if last else int(high) - 1
            labels.append(f"{int(low)}–{top}")
        else:
            labels.append(f"[{low:g}, {high:g}{']' if last else ')'}")
    return labels


def type_attributes(
    frame: pl.DataFrame,
    manifest: Manifest,
    declared_types: Mapping[str, Literal["numeric", "categorical"]],
    file: str,
    out: Collector,
) -> tuple[pl.DataFrame, dict[str, AttributeSpec]]:
    """Type each attribute column: as study.yml declares, else as the source says, else inferred.

    Args:
        frame: the validated participants, attribute columns as read.
        manifest: the study's manifest (``attributes``).
        declared_types: types a typed source declares (REFI-QDA variables, REDCap).
        file: the participants' file, named in messages.
        out: collects the problems (values that are not numbers, outside the bins, ...).

    Returns:
        The participants with typed attribute columns, and the spec of each attribute.
    """
    specs: dict[str, AttributeSpec] = {}
    columns = [c for c in frame.columns if c not in (PARTICIPANT_ID, ROW)]
    for name in manifest.attributes:
        if name not in columns:
            out.add(
                Problem(
                    "study.yml",
                    f"attribute '{name}' is declared under 'attributes' but {file} has no such column; "
                    f"its columns are: {', '.join(columns) or 'none'}",
                )
            )
    # The message callbacks below run immediately inside out.rows, so they see this
    # iteration's loop variables (ruff's B023 warns about the general, deferred case).
    casts: list[pl.Series] = []
    for name in columns:
        declared = manifest.attributes.get(name)
        series = frame[name]
        kind = (
            (declared.type if declared else None)
            or declared_types.get(name)
            or (
                "numeric"
                if declared is not None and declared.bins is not None
                else "categorical"
                if isinstance(series.dtype, pl.Enum)
                else _infer_type(series)
            )
        )
        label = declared.label if declared else None
        if kind == "numeric":
            if series.dtype.is_numeric():
                numbers = series.cast(pl.Float64)
                text = series.cast(pl.String)
            else:
                text = series.cast(pl.String).str.strip_chars()
                text = pl.Series(name, text).replace(
                    list(MISSING_TOKENS), [None] * len(MISSING_TOKENS)
                )
                numbers = text.cast(pl.Float64, strict=False)
            bad = frame.select(ROW).with_columns(text.alias("value"), numbers.alias("number"))
            out.rows(
                bad.filter(pl.col("value").is_not_null() & pl.col("number").is_null()),
                file=file,
                column=name,
                message=(
                    f"'{{value}}' is not a number, but attribute '{name}' is numeric; "
                    "fix the value, leave it empty, list it under inputs.missing_values if it means "
                    "missing, or declare the attribute categorical"
                ),
                kind="a non-numeric value",
            )
            out.rows(
                bad.filter(pl.col("number").is_not_null() & ~pl.col("number").is_finite()),
                file=file,
                column=name,
                message=lambda r: (
                    f"'{r['value']}' is not a finite number; leave the cell empty if the value is missing"
                ),
                kind="a non-finite value",
            )
            bins = tuple(declared.bins) if declared and declared.bins else None
            if bins is not None:
                outside = bad.filter(
                    pl.col("number").is_finite()
                    & ((pl.col("number") < bins[0]) | (pl.col("number") > bins[-1]))
                )
                out.rows(
                    outside,
                    file=file,
                    column=name,
                    message=(
                        f"{{number:g}} is outside the bins of '{name}' ({bins[0]:g} to "
                        f"{bins[-1]:g}); widen attributes.{name}.bins in study.yml or correct the value"
                    ),
                    kind="a value outside the bins",
                )
            casts.append(numbers.alias(name))
            finite = numbers.filter(numbers.is_finite().fill_null(False))
            whole = bool((finite == finite.floor()).all())
            specs[name] = AttributeSpec(name, "numeric", bins=bins, label=label, whole=whole)
        else:
            text = series.cast(pl.String).str.strip_chars()
            text = pl.Series(name, text).replace(list(MISSING_TOKENS), [None] * len(MISSING_TOKENS))
            observed = sorted(set(text.drop_nulls().to_list()), key=_natural_key)
            if declared and declared.levels:
                levels = tuple(declared.levels)
            elif isinstance(series.dtype, pl.Enum):
                # A typed source (a REDCap dictionary) knows the order of its categories.
                levels = tuple(_enum_levels(series.dtype))
            else:
                levels = tuple(observed)
            if declared and declared.levels:
                allowed = set(levels)
                bad_rows = (
                    frame.select(ROW)
                    .with_columns(text.alias("value"))
                    .filter(pl.col("value").is_not_null() & ~pl.col("value").is_in(list(allowed)))
                )
                out.rows(
                    bad_rows,
                    file=file,
                    column=name,
                    message=(
                        f"'{{value}}' is not a declared level of '{name}' ({', '.join(levels)}); "
                        f"correct the value or add it to attributes.{name}.levels in study.yml"
                    ),
                    kind="an undeclared level",
                )
            if MISSING in levels:
                out.add(
                    Problem(
                        file,
                        f"attribute '{name}' has a value 'missing', which raremix uses for empty cells; "
                        "leave missing values empty or rename the value",
                        column=name,
                    )
                )
            casts.append(text.alias(name))
            specs[name] = AttributeSpec(name, "categorical", levels=levels, label=label)
    if casts:
        frame = frame.with_columns(casts)
    return frame, specs


def check_manifest_attributes(
    manifest: Manifest, specs: Mapping[str, AttributeSpec], out: Collector
) -> None:
    """Check that the attributes study.yml names exist, and can form strata where needed.

    Args:
        manifest: the study's manifest.
        specs: the typed attributes.
        out: collects the problems.
    """
    known = ", ".join(specs) or "none"

    def check(names: list[str] | None, key: str, *, stratify: bool = False) -> None:
        for name in names or []:
            spec = specs.get(name)
            if spec is None:
                out.add(
                    Problem(
                        "study.yml",
                        f"{key} names '{name}', which is not a participant attribute; known: {known}",
                    )
                )
            elif stratify and not spec.stratifiable:
                out.add(
                    Problem(
                        "study.yml",
                        f"{key} names numeric attribute '{name}', which needs bins to make strata: "
                        f"add attributes.{name}.bins (for example [18, 50, 65, 120])",
                    )
                )

    check(manifest.analysis.strata, "analysis.strata", stratify=True)
    check([manifest.analysis.order_by] if manifest.analysis.order_by else None, "analysis.order_by")
    check(manifest.report.descriptors, "report.descriptors")
    check(manifest.privacy.quasi_identifiers, "privacy.quasi_identifiers", stratify=True)
