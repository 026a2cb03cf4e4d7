"""Disclosure checks: small counts in rendered text, and the k-anonymity of quasi-identifiers.

:func:`find_small_cells` looks for what reads like a small count in a finished output;
:func:`k_anonymity` lists the combinations of attribute values (as the report shows them)
shared by fewer than k participants, with the report elements that would show them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any

import polars as pl

from toolkit.errors import UsageError
from toolkit.io.audit import natural_key
from toolkit.privacy.cells import is_small
from toolkit.privacy.pseudonyms import pseudonyms
from toolkit.stats.strata import stratum_values

if TYPE_CHECKING:
    from toolkit.model import Study

_FRACTION = re.compile(r"(?<![\d.])(\d+)\s*(?:/|of|out of)\s*(\d+)(?![\d.])")
_N_EQUALS = re.compile(r"\b[nNxX]\s*=\s*(\d+)(?![\d.])")
_PERCENT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s*%")


def find_small_cells(text: str, *, min_cell: int, denominators: Iterable[int] = ()) -> list[str]:
    """Find what looks like a small count in rendered text (HTML text, PDF text, CSV).

    Looks for fractions ``x/n`` or ``x of n`` with x in 1..k−1 and x ≤ n, and ``n = x`` or
    ``x = x`` with x in 1..k−1. With ``denominators`` (the study size and the stratum sizes
    shown), also for percentages equal (as printed, to their decimals) to x/n for a small x and
    one of those n, unless the same percentage is also some x/n with x ≥ k (then it cannot be
    told apart, and is not reported). Meant for tests and for a last check before writing a
    report; it reports candidates, each with a little context, not proof.

    Returns:
        One string per hit: the matched text with up to 20 characters either side.
    """
    if min_cell <= 1:
        return []
    hits: list[str] = []

    def context(match: re.Match[str]) -> str:
        return text[max(0, match.start() - 20) : match.end() + 20].replace("\n", " ")

    for match in _FRACTION.finditer(text):
        x, n = int(match.group(1)), int(match.group(2))
        if is_small(x, min_cell) and x <= n:
            hits.append(context(match))
    for match in _N_EQUALS.finditer(text):
        if is_small(int(match.group(1)), min_cell):
            hits.append(context(match))
    ns = sorted({int(d) for d in denominators if int(d) > 0})
    if ns:
        for match in _PERCENT.finditer(text):
            shown = match.group(1)
            decimals = len(shown.split(".")[1]) if "." in shown else 0
            value = float(shown)

            def shows(x: int, n: int, value: float = value, decimals: int = decimals) -> bool:
                return round(100 * x / n, decimals) == value

            small = any(shows(x, n) for n in ns for x in range(1, min(min_cell, n + 1)))
            large = any(shows(x, n) for n in ns for x in range(min_cell, n + 1)) or value == 0
            if small and not large:
                hits.append(context(match))
    return hits


def report_elements(
    study: Study,
    *,
    strata: Sequence[str] = (),
    descriptors: Sequence[str] = (),
    quotes_per_theme: int = 0,
) -> list[tuple[str, frozenset[str]]]:
    """The report elements that show participants' attributes jointly, with those attributes.

    A combination of attribute values is exposed by an element when the element shows the
    joint distribution of (at least) those attributes.

    Args:
        study: a loaded study.
        strata: the attributes the report breaks results down by.
        descriptors: the attributes that attribute a quotation.
        quotes_per_theme: quotations shown per theme (0: no attributions are shown).
    """
    chosen = [s for s in strata if s in study.attributes]
    categorical = [n for n, spec in study.attributes.items() if spec.type == "categorical"]
    elements: list[tuple[str, frozenset[str]]] = []
    if not chosen:
        elements += [("cohort table", frozenset({a})) for a in categorical]
    for s in chosen:
        elements += [(f"cohort table by {s}", frozenset({s, a})) for a in categorical if a != s]
        elements.append((f"cohort table by {s}", frozenset({s})))
        elements.append((f"prevalence and differences by {s}", frozenset({s})))
    shown = [n for n in descriptors if n in study.attributes]
    if shown and quotes_per_theme > 0:
        elements.append(("quote attributions", frozenset(shown)))
    return elements


def quasi_identifier_values(study: Study, names: Sequence[str]) -> pl.DataFrame:
    """``participant_id`` and each quasi-identifier as its shown label (bins, "missing").

    Raises:
        UsageError: an unknown attribute, or a numeric one without bins.
    """
    columns = [study.participants["participant_id"]]
    for name in names:
        labels, _ = stratum_values(study.participants, study.attribute(name))
        columns.append(labels.alias(name))
    return pl.DataFrame(columns)


def k_anonymity(
    study: Study,
    *,
    quasi_identifiers: Sequence[str] | None = None,
    k: int = 3,
    elements: Sequence[tuple[str, frozenset[str]]] = (),
    mapping: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Combinations of quasi-identifier values shared by fewer than k participants.

    Quasi-identifiers (default: every stratifiable attribute) are taken as the report shows them: numeric attributes by their bins, a missing
    value as "missing". Every combination of one or more of them is checked; a combination is
    listed only when it is *minimal* (no smaller part of it is already rare), since any wider
    combination containing a rare one is rare too.

    Args:
        study: a loaded study.
        quasi_identifiers: attribute names; default as above.
        k: the threshold.
        elements: the report elements and the attributes each shows jointly
            (:func:`report_elements`), to say which element exposes a combination.
        mapping: ``participant_id, pseudonym`` (None: the study's own, keyed by its secret).

    Returns:
        Frame ``attributes, values, participants, pseudonyms, exposed_by``: attribute names and
        their values joined by ", ", how many participants share them (1..k−1), their
        pseudonyms, and the report elements that would show the combination ("" when none
        does: then it is a risk only if the data themselves are shared).
    """
    if isinstance(k, bool) or k < 1:
        raise UsageError(f"k must be a whole number ≥ 1 (got {k!r})")
    if quasi_identifiers is None:
        quasi_identifiers = [n for n, spec in study.attributes.items() if spec.stratifiable]
    names = list(dict.fromkeys(quasi_identifiers))
    for name in names:
        spec = study.attribute(name)
        if not spec.stratifiable:
            raise UsageError(
                f"quasi-identifier '{name}' is numeric without bins; add attributes.{name}.bins "
                "to study.yml (the report can only show it by bins)"
            )
    schema = {
        "attributes": pl.String,
        "values": pl.String,
        "participants": pl.Int64,
        "pseudonyms": pl.String,
        "exposed_by": pl.String,
    }
    if not names or study.participants.height == 0:
        return pl.DataFrame(schema=schema)
    values = quasi_identifier_values(study, names)
    if mapping is None:
        from toolkit.io.secret import study_key

        mapping = pseudonyms(study.participants, key=study_key(study))
    names_of = dict(mapping.iter_rows())
    rare: set[frozenset[tuple[str, str]]] = set()
    rows: list[dict[str, Any]] = []
    for size in range(1, len(names) + 1):
        for combo in combinations(names, size):
            groups = values.group_by(list(combo), maintain_order=True).agg(pl.col("participant_id"))
            for row in groups.iter_rows(named=True):
                members = row["participant_id"]
                if len(members) >= k:
                    continue
                cell = frozenset((a, row[a]) for a in combo)
                rare.add(cell)
                if any(frozenset(sub) in rare for sub in _proper_subsets(cell)):
                    continue
                shown = [name for name, attrs in elements if set(combo) <= attrs]
                rows.append(
                    {
                        "attributes": ", ".join(combo),
                        "values": ", ".join(str(row[a]) for a in combo),
                        "participants": len(members),
                        "pseudonyms": ", ".join(
                            sorted((names_of[m] for m in members), key=natural_key)
                        ),
                        "exposed_by": "; ".join(dict.fromkeys(shown)),
                    }
                )
    return pl.DataFrame(rows, schema=schema)


def _proper_subsets(cell: frozenset[tuple[str, str]]) -> Iterable[tuple[tuple[str, str], ...]]:
    items = sorted(cell)
    for size in range(1, len(items)):
        yield from combinations(items, size)
