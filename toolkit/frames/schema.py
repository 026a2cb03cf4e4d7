"""What an output schema is (ordered columns, dtypes, row rules), the rule builders the
declarations use, and :func:`check` / :func:`validate`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import polars as pl

from toolkit.errors import ImplementationError

EPSILON = 1e-9  # floating-point slack for comparisons of computed proportions
_SHOWN_ROWS = 3  # row numbers shown per broken rule


@dataclass(frozen=True)
class Rule:
    """A condition every row must meet; a null result (a missing value) counts as met.

    Attributes:
        text: the rule in words, as problems quote it.
        holds: builds the polars expression that is true on the rows that meet it.
    """

    text: str
    holds: Callable[[], pl.Expr]


@dataclass(frozen=True)
class FrameSchema:
    """An output frame: ordered columns with their polars dtypes, and row rules.

    Attributes:
        name: the frame's name in problems (``prevalence``, ``differences``, ...).
        columns: ``(column, dtype)`` in output order.
        rules: conditions on every row.
    """

    name: str
    columns: tuple[tuple[str, pl.DataType], ...]
    rules: tuple[Rule, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The column names in order."""
        return tuple(name for name, _ in self.columns)

    def dtypes(self) -> dict[str, pl.DataType]:
        """Column name to dtype, in order (usable as a polars schema)."""
        return dict(self.columns)

    def renamed(self, mapping: Mapping[str, str], *, name: str | None = None) -> FrameSchema:
        """The same schema with some columns renamed (rules must not name those columns).

        Args:
            mapping: old column name to new.
            name: the new schema's name (default: unchanged).
        """
        columns = tuple((mapping.get(column, column), dtype) for column, dtype in self.columns)
        return replace(self, name=name or self.name, columns=columns)


# --- rule builders (each returns a Rule on named columns) ------------------------------------------------------------------------


def col(name: str) -> pl.Expr:
    """The column ``name`` (an expression)."""
    return pl.col(name)


def at_most(lower: str, upper: str) -> Rule:
    """``lower ≤ upper`` row by row (with :data:`EPSILON` of slack)."""
    return Rule(f"{lower} ≤ {upper}", lambda: col(lower) <= col(upper) + EPSILON)


def between(column: str, low: float, high: float) -> Rule:
    """``low ≤ column ≤ high``."""
    return Rule(
        f"{low:g} ≤ {column} ≤ {high:g}",
        lambda: (col(column) >= low - EPSILON) & (col(column) <= high + EPSILON),
    )


def not_negative(*columns: str) -> Rule:
    """Every one of ``columns`` is at least 0."""
    return Rule(
        f"{', '.join(columns)} ≥ 0",
        lambda: pl.all_horizontal([col(c).fill_null(0) >= 0 for c in columns]),
    )


def inside(estimate: str, lower: str = "ci_lower", upper: str = "ci_upper") -> Rule:
    """The interval ``[lower, upper]`` contains ``estimate``."""
    return Rule(
        f"{lower} ≤ {estimate} ≤ {upper}",
        lambda: (col(lower) <= col(estimate) + EPSILON) & (col(estimate) <= col(upper) + EPSILON),
    )


def ratio(result: str, numerator: str, denominator: str) -> Rule:
    """``result = numerator / denominator`` wherever the denominator is positive."""
    return Rule(
        f"{result} = {numerator} / {denominator}",
        lambda: (
            pl.when(col(denominator) > 0)
            .then((col(result) - col(numerator) / col(denominator)).abs() <= EPSILON)
            .otherwise(pl.lit(True))
        ),
    )


def one_of(column: str, values: Sequence[str]) -> Rule:
    """``column`` takes only ``values`` (a list from :mod:`toolkit.choices`)."""
    return Rule(f"{column} is one of {', '.join(values)}", lambda: col(column).is_in(values))


def level() -> Rule:
    """The confidence level ``ci_level`` is strictly between 0 and 1."""
    return Rule("0 < ci_level < 1", lambda: (col("ci_level") > 0) & (col("ci_level") < 1))


def hidden_when_suppressed(*columns: str) -> Rule:
    """Rows flagged ``suppressed`` show none of ``columns``."""
    return Rule(
        f"suppressed rows show no {', '.join(columns)}",
        lambda: ~col("suppressed") | pl.all_horizontal([col(c).is_null() for c in columns]),
    )


def one_side_hidden(side: str) -> Rule:
    """A suppressed comparison row hides ``participants_<side>`` or the reference's count."""
    counts = (f"participants_{side}", "participants_reference")
    return Rule(
        f"suppressed rows hide {counts[0]} or {counts[1]}",
        lambda: ~col("suppressed") | pl.any_horizontal([col(c).is_null() for c in counts]),
    )


def hidden_with_its_count(side: str) -> Rule:
    """Where ``participants_<side>`` is hidden, ``prevalence_<side>`` is hidden too."""
    count, share = f"participants_{side}", f"prevalence_{side}"
    return Rule(
        f"a hidden {count} hides {share} too",
        lambda: col(count).is_not_null() | col(share).is_null(),
    )


# The dtypes of output columns: text, counts, reals (proportions, statistics), flags.
S, N, F, B = pl.String(), pl.Int64(), pl.Float64(), pl.Boolean()


# --- checking -----------------------------------------------------------------------------


def _column_problems(frame: pl.DataFrame, schema: FrameSchema) -> list[str]:
    problems = []
    expected = schema.names
    missing = [c for c in expected if c not in frame.columns]
    extra = [c for c in frame.columns if c not in expected]
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    if extra:
        problems.append(f"unexpected columns: {', '.join(extra)}")
    if not missing and not extra and tuple(frame.columns) != expected:
        order = ", ".join(frame.columns)
        problems.append(f"columns out of order: {order}; expected {', '.join(expected)}")
    for column, dtype in schema.columns:
        actual = frame.schema.get(column)
        # An all-null column read back from a CSV has no type to check.
        if actual is not None and actual != dtype and actual != pl.Null:
            problems.append(f"column {column} is {actual}, expected {dtype}")
    return problems


def _rule_problem(frame: pl.DataFrame, rule: Rule) -> str | None:
    try:
        held = frame.select(rule.holds().fill_null(True).alias("held")).get_column("held")
    except pl.exceptions.PolarsError as error:
        return f"rule '{rule.text}' cannot be checked: {error}"
    broken = (~held).arg_true()
    if broken.len() == 0:
        return None
    rows = ", ".join(str(i + 1) for i in broken.head(_SHOWN_ROWS).to_list())
    more = " …" if broken.len() > _SHOWN_ROWS else ""
    return f"{broken.len()} row(s) break '{rule.text}' (rows {rows}{more})"


def check(frame: pl.DataFrame, schema: FrameSchema) -> list[str]:
    """Every way ``frame`` departs from ``schema``; empty when it conforms.

    Args:
        frame: an output frame.
        schema: its declared schema (for example :data:`PREVALENCE`).

    Returns:
        Problems in words, each prefixed with the schema's name; rows are numbered from 1.
    """
    problems = _column_problems(frame, schema)
    for rule in schema.rules:
        problem = _rule_problem(frame, rule)
        if problem is not None:
            problems.append(problem)
    return [f"{schema.name}: {problem}" for problem in problems]


def validate(frame: pl.DataFrame, schema: FrameSchema) -> pl.DataFrame:
    """``frame`` unchanged if it conforms to ``schema``.

    Args:
        frame: an output frame.
        schema: its declared schema.

    Returns:
        ``frame``.

    Raises:
        ImplementationError: the frame breaks its schema (a bug in raremix).
    """
    problems = check(frame, schema)
    if problems:
        raise ImplementationError("; ".join(problems))
    return frame
