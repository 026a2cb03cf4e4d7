"""The integrated joint display: per theme, exemplar quotations and negative cases.

Guetterman, Fetters and Creswell (2015): a joint display integrates the numbers and the
words theme by theme. Computed here, after the rest of the disclosure gate (the quotes are
redacted and pseudonymous, the prevalence table and the participants' table protected), so
the report only lays it out:

- *Exemplars.* When the codings carry the optional ``exemplar`` column (true/false), the
  researcher's choice: the quotations marked true, and never one marked false. Otherwise
  spread over the participants: at most one quotation per participant per theme, no
  quotation (compared without case and spacing) twice anywhere in the display, and each pick
  from the participant who has supplied the fewest so far, so no participant supplies most
  of the display.
- *Attributions* show the pseudonym and the descriptors as the tables show them: a numeric
  attribute by its bins (never a value), nothing for a numeric one without bins or a missing
  value. With ``min_cell`` k: a value held by fewer than k participants, or whose count the
  participants' table or the prevalence table hides, is left out; so is, under a theme, a
  stratum's value whose cell the prevalence table hides for that theme (counting
  attributions would rebuild it).
- *Negative cases.* For a near-universal theme (voiced by at least
  :data:`NEAR_UNIVERSAL` of the participants, not all), the pseudonyms of those who did not
  voice it (the count is the shown n − x). With ``min_cell`` k they are withheld
  (``not_voiced_withheld``) when a reader who knows their attributes (from attributions)
  could work out a small count or a cell the prevalence table hides: each level's voicers
  are its size less its silent members.
- A theme whose overall count the prevalence table hides gets no quotations and no negative
  cases: how many were shown would tell the hidden count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl

from toolkit.analysis.results import Results
from toolkit.analysis.settings import Settings
from toolkit.model import Study

#: A theme voiced by at least this share of the participants (and not by all) lists who did
#: not voice it.
NEAR_UNIVERSAL = 0.8
#: One quotation of the display: who, what, and the attribution printed.
QUOTE_STRUCT = pl.Struct({"pseudonym": pl.String, "quote": pl.String, "attribution": pl.String})
JOINT_SCHEMA: dict[str, Any] = {
    "code_id": pl.String,
    "chosen_by": pl.String,
    "quotes": pl.List(QUOTE_STRUCT),
    "not_voiced": pl.List(pl.String),
    "near_universal": pl.Boolean,
    "not_voiced_withheld": pl.Boolean,
    "meta_inference": pl.String,
    "meta_note": pl.String,
}


def quote_descriptors(study: Study, settings: Settings) -> list[str]:
    """The attributes that attribute a quotation (``report.descriptors``).

    Default: age, sex or gender where present, then the strata.
    """
    names = settings.descriptors
    if names is None:
        names = tuple(n for n in ("age", "sex", "gender") if n in study.attributes) + tuple(
            s for s in settings.strata if s not in ("sex", "gender")
        )
    return [n for n in names if n in study.attributes]


def theme_rows(prevalence: pl.DataFrame, depth: int) -> pl.DataFrame:
    """The overall rows at the theme ``depth`` (and shallower codes with no children)."""
    whole = prevalence.filter(pl.col("stratum_variable").is_null())
    parents = set(whole["parent_id"].drop_nulls().to_list())
    return whole.filter(
        (pl.col("depth") == depth)
        | ((pl.col("depth") < depth) & ~pl.col("code_id").is_in(sorted(parents)))
    )


def _text_key(text: str) -> str:
    """The words of a quotation, lower case, punctuation and spacing ignored, padded."""
    return " " + " ".join(re.findall(r"\w+", text.casefold())) + " "


def _repeats(key: str, used: Sequence[str]) -> bool:
    """True when ``key`` is a quotation already shown, or one inside the other ("I am still
    scared" and "I would say I am still scared" are the same sentence)."""
    return any(key in other or other in key for other in used)


def descriptor_labels(results: Results, names: Sequence[str]) -> dict[str, dict[str, str]]:
    """Pseudonym -> descriptor -> the label an attribution may show (see the module)."""
    from toolkit.stats.strata import stratum_values

    study, settings = results.study, results.settings
    min_cell = settings.min_cell if settings.suppressing else 0
    mapping = results.need("pseudonyms")
    pseudonym_of = dict(mapping.iter_rows())
    hidden = _hidden_levels(results)
    labels: dict[str, dict[str, str]] = {p: {} for p in mapping["pseudonym"].to_list()}
    for name in names:
        spec = study.attributes.get(name)
        if spec is None or (spec.type != "categorical" and spec.bins is None):
            continue
        values, _ = stratum_values(study.participants, spec)
        ids = study.participants["participant_id"].to_list()
        counts: dict[str, int] = {}
        for value in values.to_list():
            counts[value] = counts.get(value, 0) + 1
        for pid, value in zip(ids, values.to_list(), strict=True):
            if value is None or value == "missing":
                continue
            if min_cell and (counts[value] < min_cell or (name, value) in hidden):
                continue
            shown = value.lower() if spec.type == "categorical" else value
            labels[pseudonym_of[pid]][name] = shown
    return labels


def _hidden_levels(results: Results) -> set[tuple[str, str]]:
    """(attribute, level) whose count the participants' or the prevalence table hides."""
    hidden: set[tuple[str, str]] = set()
    cohort = results.cohort
    if cohort is not None:
        rows = cohort.filter(
            (pl.col("group") == "Overall")
            & pl.col("count").is_null()
            & pl.col("level").is_not_null()
        )
        hidden |= set(rows.select("attribute", "level").iter_rows())
    prevalence = results.prevalence
    if prevalence is not None:
        rows = prevalence.filter(
            pl.col("stratum_variable").is_not_null() & pl.col("denominator").is_null()
        )
        hidden |= set(rows.select("stratum_variable", "stratum_value").iter_rows())
    return hidden


def _hidden_theme_cells(prevalence: pl.DataFrame) -> set[tuple[str, str, str]]:
    rows = prevalence.filter(
        pl.col("stratum_variable").is_not_null() & pl.col("participants").is_null()
    )
    return set(rows.select("code_id", "stratum_variable", "stratum_value").iter_rows())


def _attribution(
    pseudonym: str,
    code_id: str,
    labels: Mapping[str, Mapping[str, str]],
    names: Sequence[str],
    hidden_cells: set[tuple[str, str, str]],
) -> str:
    parts = [pseudonym]
    mine = labels.get(pseudonym, {})
    for name in names:
        value = mine.get(name)
        if value is None:
            continue
        if any(
            cell[0] == code_id and cell[1] == name and cell[2].lower() == value.lower()
            for cell in hidden_cells
        ):
            continue
        parts.append(value)
    return ", ".join(parts)


def _raw_levels(results: Results, names: Sequence[str]) -> dict[str, dict[str, str]]:
    """Attribute -> raw participant id -> the level the tables would show (bins, levels)."""
    from toolkit.stats.strata import stratum_values

    study = results.study
    ids = study.participants["participant_id"].to_list()
    out: dict[str, dict[str, str]] = {}
    for name in dict.fromkeys(names):
        spec = study.attributes.get(name)
        if spec is None or not spec.stratifiable:
            continue
        values, _ = stratum_values(study.participants, spec)
        out[name] = dict(zip(ids, values.to_list(), strict=True))
    return out


def _names_reveal_nothing(
    results: Results,
    code: str,
    silent: set[str],
    levels: Mapping[str, Mapping[str, str]],
    hidden_cells: set[tuple[str, str, str]],
) -> bool:
    """With small-cell suppression: may the pseudonyms of those who did not voice ``code``
    be listed? Readers can learn their attributes from attributions elsewhere; then each
    level's voicers are its size less its silent members. Listed only when, for every
    attribute the tables or the attributions show, no such count is small and no cell the
    prevalence table hides for this theme follows."""
    min_cell = results.settings.min_cell
    for name, of in levels.items():
        sizes: dict[str, int] = {}
        for value in of.values():
            sizes[value] = sizes.get(value, 0) + 1
        quiet: dict[str, int] = {}
        for pid in silent:
            quiet[of[pid]] = quiet.get(of[pid], 0) + 1
        for level, count in quiet.items():
            voicers = sizes[level] - count
            if 0 < voicers < min_cell or (code, name, level) in hidden_cells:
                return False
    return True


def _voiced(results: Results, themes: Sequence[str]) -> dict[str, set[str]]:
    """Theme -> raw ids of the participants who voiced it (a coding at or below it)."""
    from toolkit.stats.hierarchy import closure

    study, coder = results.study, results.settings.coder
    codings = study.codings
    if coder is not None and "coder" in codings.columns:
        codings = codings.filter(pl.col("coder") == coder)
    coded = codings.get_column("code_id").unique().to_list()  # no pairs of codes never coded
    pairs = closure(study.codebook, codes=coded).filter(pl.col("ancestor_id").is_in(list(themes)))
    joined = codings.select("participant_id", "code_id").join(pairs, on="code_id")
    out: dict[str, set[str]] = {theme: set() for theme in themes}
    for ancestor, pid in joined.select("ancestor_id", "participant_id").unique().iter_rows():
        out[ancestor].add(pid)
    return out


def joint_display(
    results: Results,
    *,
    descriptors: Sequence[str],
    meta_inferences: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per theme (in the prevalence table's order): the quotations chosen, who did not
    voice a near-universal theme, and the researcher's meta-inference.

    Args:
        results: protected results holding ``prevalence`` (overall), ``quotes`` (redacted,
            by pseudonym), ``pseudonyms`` and, when shown, the protected ``cohort``.
        descriptors: the attributes that attribute a quotation (``report.descriptors``).
        meta_inferences: ``code_id, meta_inference, note`` (validated), or None.

    Returns:
        A frame of :data:`JOINT_SCHEMA`: ``chosen_by`` is "researcher" (the ``exemplar``
        column) or "spread".
    """
    from toolkit.stats.hierarchy import closure

    study, settings = results.study, results.settings
    prevalence = results.need("prevalence")
    themes = theme_rows(prevalence, results.depth)
    codes = themes["code_id"].to_list()
    quotes = results.need("quotes")
    per_theme = settings.quotes_per_theme
    labels = descriptor_labels(results, descriptors)
    hidden_cells = _hidden_theme_cells(prevalence) if settings.suppressing else set()
    coded = quotes.get_column("code_id").unique().to_list()  # no pairs of codes never coded
    below = closure(study.codebook, codes=coded).filter(pl.col("ancestor_id").is_in(codes))
    mapping = dict(results.need("pseudonyms").iter_rows())
    rank = {p: i for i, p in enumerate(sorted(mapping.values(), key=lambda p: int(p[1:])))}
    voiced = _voiced(results, codes)
    levels = _raw_levels(results, [*settings.strata, *descriptors])
    everyone = set(mapping)
    has_flag = "exemplar" in quotes.columns
    # Each theme's quotations (codings at or below it), in the codings' order.
    joined = (
        quotes.with_row_index("_position")
        .join(below.select("ancestor_id", "code_id"), on="code_id")
        .sort("_position")
    )
    under: dict[str, list[dict[str, Any]]] = {c: [] for c in codes}
    for part in joined.partition_by("ancestor_id", maintain_order=True):
        under[part["ancestor_id"][0]] = part.to_dicts()
    used_texts: list[str] = []
    supplied: dict[str, int] = {}
    inferences = _inferences(meta_inferences)
    out: list[dict[str, Any]] = []
    for theme in themes.iter_rows(named=True):
        code = theme["code_id"]
        shown = theme["participants"] is not None
        candidates = under[code] if shown else []
        flagged = [r for r in candidates if has_flag and r.get("exemplar") is True]
        chosen_by = "researcher" if flagged else "spread"
        pool = flagged or [r for r in candidates if not (has_flag and r.get("exemplar") is False)]
        picks = _pick(pool, per_theme, used_texts, supplied, rank, keep_order=bool(flagged))
        near = bool(
            shown
            and theme["denominator"]
            and NEAR_UNIVERSAL <= theme["participants"] / theme["denominator"] < 1
        )
        silent = everyone - voiced[code]
        named = near and (
            not settings.suppressing
            or _names_reveal_nothing(results, code, silent, levels, hidden_cells)
        )
        missing = sorted((mapping[p] for p in silent), key=rank.__getitem__)
        out.append(
            {
                "code_id": code,
                "chosen_by": chosen_by,
                "quotes": [
                    {
                        "pseudonym": r["pseudonym"],
                        "quote": r["quote"],
                        "attribution": _attribution(
                            r["pseudonym"], code, labels, descriptors, hidden_cells
                        ),
                    }
                    for r in picks
                ],
                "not_voiced": missing if named else [],
                "near_universal": near,
                "not_voiced_withheld": near and not named,
                "meta_inference": inferences.get(code, (None, None))[0],
                "meta_note": inferences.get(code, (None, None))[1],
            }
        )
    return pl.DataFrame(out, schema=JOINT_SCHEMA)


def _pick(
    pool: Sequence[dict[str, Any]],
    count: int,
    used_texts: list[str],
    supplied: dict[str, int],
    rank: Mapping[str, int],
    *,
    keep_order: bool,
) -> list[dict[str, Any]]:
    """Up to ``count`` quotations from distinct participants, none used before; the least
    used participant first (or, for the researcher's choice, in the file's order)."""
    picks: list[dict[str, Any]] = []
    people: set[str] = set()
    while len(picks) < count:
        ordered: Iterable[dict[str, Any]] = (
            pool
            if keep_order
            else sorted(
                pool,
                key=lambda r: (
                    supplied.get(r["pseudonym"], 0),
                    rank[r["pseudonym"]],
                    r["_position"],
                ),
            )
        )
        best = next(
            (
                r
                for r in ordered
                if r["pseudonym"] not in people and not _repeats(_text_key(r["quote"]), used_texts)
            ),
            None,
        )
        if best is None:
            break
        picks.append(best)
        people.add(best["pseudonym"])
        used_texts.append(_text_key(best["quote"]))
        supplied[best["pseudonym"]] = supplied.get(best["pseudonym"], 0) + 1
    return picks


def _inferences(frame: pl.DataFrame | None) -> dict[str, tuple[str | None, str | None]]:
    if frame is None:
        return {}
    return {
        row["code_id"]: (row["meta_inference"], row.get("note"))
        for row in frame.iter_rows(named=True)
    }
