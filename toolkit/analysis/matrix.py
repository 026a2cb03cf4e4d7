"""The disclosure rule of the codes-by-cases matrix (``raremix matrix``).

A matrix row is one participant: their attributes and, per node, whether (or how often) they
voiced it. With ``min_cell`` k ≥ 2 the matrix shows nothing the study's other outputs hide:

- an attribute level held by 1..k−1 participants reads ``suppressed``, with the levels that
  would give it away (the rule of the participants table, :func:`toolkit.analysis.gate.hidden_sizes`);
  a numeric attribute without bins is left out (each value is one participant's);
- a node is left out when the prevalence table of the same results hides one of its counts
  (overall or in a level of a kept attribute), when its count among the participants of a
  shown attribute level is 1..k−1, and when a node below it is left out (its column would
  give the hidden one away);
- participants are named by pseudonyms.

What was left out is said in the results' notes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import polars as pl

from toolkit import privacy
from toolkit.analysis.results import Results
from toolkit.errors import ImplementationError
from toolkit.model import CODE_ID, PARTICIPANT_ID
from toolkit.stats.hierarchy import closure
from toolkit.stats.matrix import attribute_column_name

#: An attribute value the matrix may not show.
SUPPRESSED = "suppressed"


#: The rule that hides small subgroups with their complements (``gate.hidden_sizes``).
SizesRule = Callable[[int, Sequence[int], int], list[bool]]


def _hide_levels(
    matrix: pl.DataFrame, column: str, min_cell: int, sizes_rule: SizesRule
) -> pl.DataFrame:
    values = matrix[column]
    groups = values.value_counts(sort=True)
    names = groups[column].to_list()
    sizes = [int(n) for n in groups["count"].to_list()]
    hidden = sizes_rule(matrix.height, sizes, min_cell)
    gone = [name for name, hide in zip(names, hidden, strict=True) if hide]
    if not gone:
        return matrix
    return matrix.with_columns(
        pl.when(pl.col(column).is_in(gone))
        .then(pl.lit(SUPPRESSED))
        .otherwise(pl.col(column))
        .alias(column)
    )


def _small_somewhere(matrix: pl.DataFrame, node: str, groups: Sequence[str], min_cell: int) -> bool:
    voiced = pl.col(node) > 0
    if privacy.is_small(int(matrix.select(voiced.sum()).item()), min_cell):
        return True
    for column in groups:
        counts = matrix.group_by(column).agg(voiced.sum().alias("n"))["n"].to_list()
        if any(privacy.is_small(int(n), min_cell) for n in counts):
            return True
    return False


def protect_matrix(results: Results, sizes_rule: SizesRule) -> Results:
    """Apply the matrix's disclosure rule (module docstring); pseudonyms always.

    Args:
        results: through suppression and pseudonyms already: its ``prevalence`` is the
            protected table whose hidden cells the matrix must not reveal, ``pseudonyms``
            the mapping.
        sizes_rule: which subgroup sizes to hide (the participants table's rule).

    Raises:
        ImplementationError: the results carry no matrix or no pseudonyms.
    """
    matrix, mapping = results.matrix, results.pseudonyms
    if matrix is None or mapping is None:
        raise ImplementationError("protect_matrix needs a matrix and the pseudonym mapping")
    study, settings = results.study, results.settings
    nodes = study.codebook[CODE_ID].to_list()
    notes: list[str] = []
    if settings.suppressing:
        min_cell = settings.min_cell
        kept: list[str] = []
        for name, spec in study.attributes.items():
            column = attribute_column_name(name, nodes)
            if not spec.stratifiable:
                matrix = matrix.drop(column)
                notes.append(
                    f"Matrix: attribute '{name}' left out (each value is one participant's; "
                    f"give it bins to show it in groups)"
                )
                continue
            matrix = _hide_levels(matrix, column, min_cell, sizes_rule)
            kept.append(column)
        hidden_codes = {code for code, _, _ in privacy.hidden_cells(results.need("prevalence"))}
        dropped = {
            n for n in nodes if n in hidden_codes or _small_somewhere(matrix, n, kept, min_cell)
        }
        if dropped:
            above = closure(study.codebook).filter(pl.col(CODE_ID).is_in(sorted(dropped)))
            dropped |= set(above["ancestor_id"].to_list())
            matrix = matrix.drop([n for n in nodes if n in dropped])
            notes.append(
                f"Matrix: {len(dropped)} of {len(nodes)} nodes left out: a count under "
                f"min_cell {min_cell} (or a node below it with one) would show"
            )
    matrix = privacy.apply_pseudonyms(matrix, mapping).rename({PARTICIPANT_ID: "pseudonym"})
    matrix = matrix.sort("pseudonym")
    return replace(results, matrix=matrix, notes=(*results.notes, *notes))
