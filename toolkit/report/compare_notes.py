"""A comparison's comparability notes, as sentences (for the CLI, JSON output and the report).

:class:`toolkit.compare.Comparison` carries the facts (settings, per-cohort strata, coder and
attributes, unmapped themes and codes); this module words them. :func:`notes_frame` gives one
row per note (:data:`NOTE_COLUMNS`): ``kind`` (``matching``, ``pooling``, ``not_comparable``,
``unused_theme``, ``double_mapping``, ``not_compared``, ``ci_settings``, ``strata``,
``coder``, ``suppression``, ``synthetic``), ``theme_id`` and ``cohort`` where the note is
about one, and ``message``.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from toolkit.compare import POOLED, Comparison
from toolkit.model import AttributeSpec
from toolkit.privacy import min_cell_disagreement
from toolkit.report.tables import METHOD_NAMES as METHOD_LABELS
from toolkit.text import plural

NOTE_COLUMNS = ("kind", "theme_id", "cohort", "message")

Note = tuple[str, str | None, str | None, str]


def describe_attribute(spec: AttributeSpec | None) -> str:
    """How an attribute is defined, in a few words ("absent", "bins [...]", "levels [...]")."""
    if spec is None:
        return "absent"
    if spec.bins is not None:
        return "bins " + ", ".join(f"{b:g}" if isinstance(b, float) else str(b) for b in spec.bins)
    if spec.levels is not None:
        return "levels " + ", ".join(str(v) for v in spec.levels)
    return spec.type


def _matching(comparison: Comparison) -> Note:
    if comparison.matching == "crosswalk":
        text = f"Codes are matched to shared themes by the crosswalk {comparison.settings.crosswalk_file}."
    else:
        text = (
            "No crosswalk: codes with identical code ids are treated as the same theme "
            "(labels from the first study that has the code). Give --crosswalk to map "
            "codes that mean the same under different ids."
        )
    return ("matching", None, None, text)


def _pooling(comparison: Comparison) -> Note:
    if len(comparison.cohorts) < 3:
        return (
            "pooling",
            None,
            None,
            f"No pooled estimate in the report: {len(comparison.cohorts)} cohorts are fewer "
            "than 3, too few to estimate the variance between cohorts; the cohorts are shown "
            "side by side.",
        )
    return (
        "pooling",
        None,
        None,
        f"Pooled rows: {comparison.settings.pooling_description}. With few cohorts, tau² and I² "
        "are very imprecise; the cohorts are purposive interview samples of different "
        "conditions, so the pooled value describes these cohorts, not a population.",
    )


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


class _Words:
    """Display words for a comparison's ids: cohorts by their names, themes and codes by
    their labels (a note never prints a raw id where a label exists)."""

    def __init__(self, comparison: Comparison, names: Mapping[str, str] | None) -> None:
        self.names = dict(names or {})
        self.themes = dict(
            comparison.prevalence.select("theme_id", "label")
            .unique(maintain_order=True)
            .iter_rows()
        )
        self.themes.update(
            comparison.mappings.select("theme_id", "theme_label")
            .unique(maintain_order=True)
            .iter_rows()
        )
        self.codes = {
            (r[0], r[1]): r[2]
            for r in comparison.mappings.select("study_id", "code_id", "code_label").iter_rows()
        }
        self.codes.update(
            {
                (r[0], r[1]): r[2]
                for r in comparison.not_compared.select("study_id", "code_id", "label").iter_rows()
            }
        )

    def cohort(self, cohort: str) -> str:
        return self.names.get(cohort, cohort)

    def theme(self, theme_id: str) -> str:
        # A framework theme no study maps has no label here: its id made readable.
        return str(self.themes.get(theme_id) or theme_id.replace("_", " ").capitalize())

    def code(self, cohort: str, code_id: str) -> str:
        return str(self.codes.get((cohort, code_id)) or code_id)


def _not_comparable(comparison: Comparison, words: _Words) -> list[Note]:
    missing = comparison.prevalence.filter((pl.col("cohort") != POOLED) & ~pl.col("mapped"))
    notes: list[Note] = []
    for cohort in comparison.cohorts:
        lacking = [
            words.theme(t) for t in missing.filter(pl.col("cohort") == cohort)["theme_id"].to_list()
        ]
        if lacking:
            shown = _and(lacking[:12]) + (
                f", … ({len(lacking)} in all)" if len(lacking) > 12 else ""
            )
            which = "which is" if len(lacking) == 1 else "which are"
            notes.append(
                (
                    "not_comparable",
                    None,
                    cohort,
                    f"{words.cohort(cohort)} has no code for {plural(len(lacking), 'theme')}, "
                    f"{which} therefore not compared there (a theme not in a codebook is not a "
                    f"theme nobody voiced): {shown}.",
                )
            )
    return notes


def _crosswalk(comparison: Comparison, words: _Words) -> list[Note]:
    notes: list[Note] = []
    if comparison.unused_themes:
        notes.append(
            (
                "unused_theme",
                None,
                None,
                "No study maps any code to "
                + (
                    "this framework theme: "
                    if len(comparison.unused_themes) == 1
                    else "these framework themes: "
                )
                + _and([words.theme(t) for t in comparison.unused_themes])
                + ".",
            )
        )
    for study_id, code_id, theme_ids in comparison.double_mappings:
        notes.append(
            (
                "double_mapping",
                None,
                study_id,
                f"{words.cohort(study_id)}: the code {words.code(study_id, code_id)} is mapped to "
                f"{len(theme_ids)} themes ({_and([words.theme(t) for t in theme_ids])}); its "
                "participants count in each of them.",
            )
        )
    for key, group in comparison.not_compared.group_by("study_id", maintain_order=True):
        cohort = str(key[0])
        verb = "reaches no theme and is" if group.height == 1 else "reach no theme and are"
        notes.append(
            (
                "not_compared",
                None,
                cohort,
                f"{words.cohort(cohort)}: {plural(group.height, 'code')} {verb} not compared: "
                f"{_and([words.code(cohort, c) for c in group['code_id'].to_list()])}.",
            )
        )
    return notes


def _settings(comparison: Comparison, words: _Words) -> list[Note]:
    notes: list[Note] = []
    used = {
        words.cohort(c.cohort): f"{METHOD_LABELS.get(c.ci_method, c.ci_method)} {c.ci_level:.0%}"
        for c in comparison.settings.cohorts
    }
    if len(set(used.values())) > 1:
        notes.append(
            (
                "ci_settings",
                None,
                None,
                "The cohorts use different confidence-interval settings ("
                + "; ".join(f"{sid}: {s}" for sid, s in used.items())
                + "); give --ci-method and --ci-level to use one setting for all.",
            )
        )
    displays = {
        f.cohort: {a.name: a.display.lower() for a in f.attributes} for f in comparison.facts
    }
    strata = {
        words.cohort(f.cohort): [displays[f.cohort].get(s, s.replace("_", " ")) for s in f.strata]
        for f in comparison.facts
    }
    if len({tuple(v) for v in strata.values()}) > 1:
        notes.append(
            (
                "strata",
                None,
                None,
                "The studies break themes down by different attributes ("
                + "; ".join(f"{sid}: {', '.join(v) or 'none'}" for sid, v in strata.items())
                + "); their subgroup results are not comparable one to one.",
            )
        )
    return notes + _attributes(comparison, words)


def _attributes(comparison: Comparison, words: _Words) -> list[Note]:
    specs = {f.cohort: {a.name: a for a in f.attributes} for f in comparison.facts}
    shared = set.intersection(*(set(s) for s in specs.values()))
    notes: list[Note] = []
    for name in sorted(shared):
        described = {words.cohort(sid): describe_attribute(s.get(name)) for sid, s in specs.items()}
        display = next(s[name].display for s in specs.values())
        if len(set(described.values())) > 1:
            notes.append(
                (
                    "strata",
                    None,
                    None,
                    f"The attribute {display} is defined differently ("
                    + "; ".join(f"{sid}: {d}" for sid, d in described.items())
                    + ").",
                )
            )
    for cohort in comparison.settings.cohorts:
        if cohort.coder is not None:
            notes.append(
                (
                    "coder",
                    None,
                    cohort.cohort,
                    f"{words.cohort(cohort.cohort)} counts only the codings of one coder.",
                )
            )
    return notes


def _suppression(comparison: Comparison, words: _Words) -> Note:
    min_cell = comparison.min_cell
    if min_cell <= 1:
        text = "No small-cell suppression (min_cell = 0): every count is shown, however small."
        own = {words.cohort(c.cohort): c.min_cell for c in comparison.settings.cohorts}
        return ("suppression", None, None, f"{text} {min_cell_disagreement(0, own)}".strip())
    rows = comparison.prevalence.filter((pl.col("cohort") != POOLED) & pl.col("suppressed"))
    hidden = rows.height
    text = (
        f"Small-cell suppression: counts of 1 to {min_cell - 1} participants are suppressed "
        f"(min_cell = {min_cell}; change it with --min-cell, 0 to switch it off), with the "
        "pooled estimates, differences and segment counts from which one could be derived"
    )
    text += f"; {plural(hidden, 'cohort count')} suppressed here." if hidden else "; none is here."
    own = {words.cohort(c.cohort): c.min_cell for c in comparison.settings.cohorts}
    disagreement = min_cell_disagreement(min_cell, own)
    return ("suppression", None, None, f"{text} {disagreement}".strip())


def notes(comparison: Comparison, names: Mapping[str, str] | None = None) -> list[Note]:
    """The comparability notes of ``comparison``, in reading order: (kind, theme, cohort, text).

    Args:
        comparison: the comparison.
        names: study id -> the name a reader knows the cohort by (default: the study id);
            themes and codes are named by their labels.
    """
    words = _Words(comparison, names)
    out = [_matching(comparison), _pooling(comparison), *_not_comparable(comparison, words)]
    if comparison.matching == "crosswalk":
        out += _crosswalk(comparison, words)
    out += _settings(comparison, words)
    out.append(_suppression(comparison, words))
    synthetic = [words.cohort(f.cohort) for f in comparison.facts if f.synthetic]
    if synthetic:
        text = f"SYNTHETIC DATA: {_and(synthetic)} (invented, not real)."
        out.append(("synthetic", None, None, text))
    return out


def notes_frame(comparison: Comparison, names: Mapping[str, str] | None = None) -> pl.DataFrame:
    """:func:`notes` as a frame (:data:`NOTE_COLUMNS`)."""
    return pl.DataFrame(
        notes(comparison, names), schema=dict.fromkeys(NOTE_COLUMNS, pl.String), orient="row"
    )


def messages(comparison: Comparison, names: Mapping[str, str] | None = None) -> list[str]:
    """The notes' sentences, in order."""
    return [text for *_, text in notes(comparison, names)]
