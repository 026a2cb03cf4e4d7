"""Disclosure checks: small counts in rendered text, and the k-anonymity of quasi-identifiers.

:func:`find_small_cells` looks for what reads like a small count in a finished output;
:func:`k_anonymity` lists the combinations of attribute values (as the report shows them)
shared by fewer than k participants, with the report elements that would show them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import combinations
from math import comb
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from toolkit.errors import UsageError
from toolkit.io.audit import natural_key
from toolkit.privacy.cells import is_small
from toolkit.privacy.pseudonyms import pseudonyms
from toolkit.progress import progress
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


#: Largest combination of quasi-identifiers checked by default (as in sdcMicro's practice).
MAX_COMBINATION = 3

_SCHEMA = {
    "attributes": pl.String,
    "values": pl.String,
    "participants": pl.Int64,
    "pseudonyms": pl.String,
    "exposed_by": pl.String,
}


@dataclass(frozen=True)
class AnonymityCheck:
    """What a k-anonymity check examined.

    Attributes:
        quasi_identifiers: the attributes checked.
        max_combination: the largest combination of them checked.
        examined: attribute combinations whose cells were counted.
        pruned: combinations not counted because every participant already sits in a rare
            cell of a smaller combination inside them (no cell of theirs can be minimal).
        exhaustive: the combinations an exhaustive check of every size would count
            (2^q − 1 for q quasi-identifiers).
    """

    quasi_identifiers: tuple[str, ...] = ()
    max_combination: int = MAX_COMBINATION
    examined: int = 0
    pruned: int = 0
    exhaustive: int = 0

    def sentence(self) -> str:
        """What was checked, in words."""
        q = len(self.quasi_identifiers)
        if q == 0:
            return "No quasi-identifiers were checked."
        size = min(self.max_combination, q)
        return (
            f"Checked combinations of up to {size} of {q} quasi-identifiers "
            f"({', '.join(self.quasi_identifiers)}): {self.examined:,} counted, {self.pruned:,} "
            "skipped because a smaller combination inside them already made every participant "
            "rare"
            + ("" if size >= q else f"; combinations of more than {size} are not checked")
            + "."
        )


def k_anonymity(
    study: Study,
    *,
    quasi_identifiers: Sequence[str] | None = None,
    k: int = 3,
    elements: Sequence[tuple[str, frozenset[str]]] = (),
    max_combination: int = MAX_COMBINATION,
    mapping: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Combinations of quasi-identifier values shared by fewer than k participants.

    The frame of :func:`anonymity_check` (see there).
    """
    frame, _ = anonymity_check(
        study,
        quasi_identifiers=quasi_identifiers,
        k=k,
        elements=elements,
        max_combination=max_combination,
        mapping=mapping,
    )
    return frame


def anonymity_check(
    study: Study,
    *,
    quasi_identifiers: Sequence[str] | None = None,
    k: int = 3,
    elements: Sequence[tuple[str, frozenset[str]]] = (),
    max_combination: int = MAX_COMBINATION,
    mapping: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, AnonymityCheck]:
    """Combinations of quasi-identifier values shared by fewer than k participants.

    Quasi-identifiers (default: every stratifiable attribute) are taken as the report shows
    them: numeric attributes by their bins, a missing value as "missing". Every combination
    of one to ``max_combination`` of them is checked, smaller ones first; a combination of
    values is listed only when it is *minimal* (no smaller part of it is already rare), since
    any wider combination containing a rare one is rare too.

    The work is polynomial: at most C(q, 1) + … + C(q, max_combination) combinations of the
    q quasi-identifiers are counted, each over the participants not already in a rare cell of
    a smaller combination inside it (only they can be in a minimal cell), and a combination
    where no such participant is left is skipped (``pruned``). 60 attributes and 500
    participants take about a second.

    Args:
        study: a loaded study.
        quasi_identifiers: attribute names; default as above.
        k: the threshold.
        elements: the report elements and the attributes each shows jointly
            (:func:`report_elements`), to say which element exposes a combination.
        max_combination: the largest combination checked (≥ 1); set it to the number of
            quasi-identifiers for an exhaustive check.
        mapping: ``participant_id, pseudonym`` (None: the study's own, keyed by its secret).

    Returns:
        ``(frame, check)``. Frame ``attributes, values, participants, pseudonyms,
        exposed_by``: attribute names and their values joined by ", ", how many participants
        share them (1..k−1), their pseudonyms, and the report elements that would show the
        combination ("" when none does: then it is a risk only if the data themselves are
        shared). ``check``: what was examined (:class:`AnonymityCheck`).

    Raises:
        UsageError: k or max_combination below 1, an unknown attribute, or a numeric one
            without bins.
    """
    if isinstance(k, bool) or k < 1:
        raise UsageError(f"k must be a whole number ≥ 1 (got {k!r})")
    if isinstance(max_combination, bool) or max_combination < 1:
        raise UsageError(
            f"privacy.max_combination must be a whole number ≥ 1 (got {max_combination!r})"
        )
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
    check = AnonymityCheck(tuple(names), max_combination, 0, 0, 2 ** len(names) - 1)
    if not names or study.participants.height == 0:
        return pl.DataFrame(schema=_SCHEMA), check
    values = quasi_identifier_values(study, names)
    codes, labels = _encoded(values, names)
    ids = values["participant_id"].to_list()
    if mapping is None:
        from toolkit.io.secret import study_key

        mapping = pseudonyms(study.participants, key=study_key(study))
    names_of = dict(mapping.iter_rows())
    pseudonym = [names_of[i] for i in ids]
    rank = {name: r for r, name in enumerate(sorted(pseudonym, key=natural_key))}
    position = [rank[name] for name in pseudonym]
    found, examined, pruned = _minimal_rare_cells(codes, k, max_combination)
    exposed: dict[tuple[int, ...], str] = {}
    rows: list[dict[str, Any]] = []
    for combo, members in found:
        if combo not in exposed:
            attrs = {names[j] for j in combo}
            shown = [name for name, shows in elements if attrs <= shows]
            exposed[combo] = "; ".join(dict.fromkeys(shown))
        first = members[0]
        rows.append(
            {
                "attributes": ", ".join(names[j] for j in combo),
                "values": ", ".join(labels[j][codes[first, j]] for j in combo),
                "participants": len(members),
                "pseudonyms": ", ".join(
                    pseudonym[m] for m in sorted(members, key=position.__getitem__)
                ),
                "exposed_by": exposed[combo],
            }
        )
    check = replace(check, examined=examined, pruned=pruned)
    return pl.DataFrame(rows, schema=_SCHEMA), check


def _encoded(values: pl.DataFrame, names: Sequence[str]) -> tuple[np.ndarray, list[list[str]]]:
    """Each quasi-identifier's labels as small integers (participants × attributes)."""
    codes = np.empty((values.height, len(names)), dtype=np.int64)
    labels: list[list[str]] = []
    for j, name in enumerate(names):
        column = values[name].cast(pl.String).fill_null("missing").to_list()
        index: dict[str, int] = {}
        codes[:, j] = [index.setdefault(v, len(index)) for v in column]
        labels.append(list(index))
    return codes, labels


def _minimal_rare_cells(
    codes: np.ndarray, k: int, max_combination: int
) -> tuple[list[tuple[tuple[int, ...], list[int]]], int, int]:
    """The minimal rare cells, smaller combinations first, each with its participants' rows.

    A participant is *covered* for a combination when it sits in a rare cell of that
    combination or of a smaller one inside it. The participants of one cell share its values,
    so either all of them are covered by a proper subset or none is: a rare cell is minimal
    exactly when its participants are not covered by any of the combination's subsets one
    smaller (which carry the coverage of theirs). A combination whose participants are all
    covered already has no minimal cell and is skipped (pruned).

    Combinations are taken in batches sharing all but their last attribute: one prefix, every
    later attribute at once, counted with one ``bincount``.

    Returns:
        ``(cells, combinations examined, combinations pruned)``.
    """
    n, q = codes.shape
    widths = (codes.max(axis=0) + 1).astype(np.int64)
    largest = min(max_combination, q)
    # covered[size][prefix][l]: coverage of the combination prefix + (l,), of that size.
    covered: list[dict[tuple[int, ...], np.ndarray]] = [{(): np.zeros((1, n), dtype=bool)}]
    found: list[tuple[tuple[int, ...], list[int]]] = []
    examined = pruned = 0
    total = sum(comb(q, size) for size in range(1, largest + 1))
    with progress("Re-identification check", total=total) as bar:
        for size in range(1, largest + 1):
            level: dict[tuple[int, ...], np.ndarray] = {}
            for prefix in combinations(range(q), size - 1):
                later = np.arange(prefix[-1] + 1 if prefix else 0, q)
                if later.size == 0:
                    continue
                below = np.zeros((later.size, n), dtype=bool)
                if prefix:
                    below |= covered[size - 1][prefix[:-1]][prefix[-1]]
                for drop in range(size - 1):
                    below |= covered[size - 1][prefix[:drop] + prefix[drop + 1 :]][later]
                active = ~below.all(axis=1)
                pruned += int(later.size - active.sum())
                examined += int(active.sum())
                bar.advance(later.size)
                rare = np.zeros_like(below)
                if active.any():
                    chosen = later[active]
                    small, keys = _rare(codes, widths, prefix, chosen, k)
                    rare[active] = small
                    for column, members in _cells(small & ~below[active], keys):
                        found.append(((*prefix, int(chosen[column])), members))
                if size < largest:
                    full = np.zeros((q, n), dtype=bool)
                    full[later] = below | rare
                    level[prefix] = full
            covered.append(level)
    return found, examined, pruned


#: Cells of one batch counted with one bincount up to this many possible cells, else sorted.
_BINCOUNT_LIMIT = 8_000_000


def _rare(
    codes: np.ndarray, widths: np.ndarray, prefix: tuple[int, ...], later: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """For each combination prefix + (l,): which rows sit in a cell of fewer than k
    participants, and each row's cell as an integer unique across the combinations."""
    n = codes.shape[0]
    base = _cell_keys(codes[:, list(prefix)], widths[list(prefix)]) if prefix else np.zeros(n)
    base = np.unique(base, return_inverse=True)[1].reshape(-1).astype(np.int64)
    span = int(base.max()) + 1 if n else 1
    ranges = span * widths[later]
    if int(ranges.sum()) <= _BINCOUNT_LIMIT:
        offsets = np.cumsum(ranges) - ranges
        flat = base[None, :] * widths[later][:, None] + codes[:, later].T + offsets[:, None]
        counts = np.bincount(flat.ravel(), minlength=int(ranges.sum()))
        return counts[flat] < k, flat
    small = np.empty((later.size, n), dtype=bool)
    flat = np.empty((later.size, n), dtype=np.int64)
    offset = 0
    for row, column in enumerate(later.tolist()):
        _, inverse, counts = np.unique(
            base * widths[column] + codes[:, column], return_inverse=True, return_counts=True
        )
        inverse = inverse.reshape(-1)
        small[row] = counts[inverse] < k
        flat[row] = inverse + offset
        offset += counts.size
    return small, flat


def _cells(marked: np.ndarray, keys: np.ndarray) -> list[tuple[int, list[int]]]:
    """The marked rows of each combination grouped by cell: ``(combination, rows)``, by
    combination, then cells in order of their first row."""
    columns, rows = np.nonzero(marked)  # by combination, then row
    if columns.size == 0:
        return []
    _, first, inverse, counts = np.unique(
        keys[columns, rows], return_index=True, return_inverse=True, return_counts=True
    )
    grouped = rows[np.argsort(inverse.reshape(-1), kind="stable")]
    starts = np.cumsum(counts) - counts
    return [
        (int(columns[first[c]]), grouped[starts[c] : starts[c] + counts[c]].tolist())
        for c in np.argsort(first)
    ]


def _cell_keys(codes: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """One integer per row naming its cell (the row's codes in mixed radix), never overflowing:
    when the radix would pass 2^62 the keys so far are renumbered densely first."""
    key = np.zeros(codes.shape[0], dtype=np.int64)
    span = 1
    for j, width in enumerate(widths.tolist()):
        if span * width >= 2**62:
            key = np.unique(key, return_inverse=True)[1].reshape(-1).astype(np.int64)
            span = int(key.max()) + 1
        key = key * width + codes[:, j]
        span *= width
    return key
