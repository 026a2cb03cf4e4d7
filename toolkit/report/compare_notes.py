"""A comparison's comparability notes, as sentences (for the CLI, JSON output and the report).

:class:`toolkit.compare.Comparison` carries the facts (settings, per-cohort strata, coder and
attributes, unmapped themes and codes); this module words them. :func:`notes_frame` gives one
row per note (:data:`NOTE_COLUMNS`): ``kind`` (``matching``, ``pooling``, ``not_comparable``,
``unused_theme``, ``double_mapping``, ``not_compared``, ``ci_settings``, ``strata``,
``coder``, ``suppression``, ``synthetic``), ``theme_id`` and ``cohort`` where the note is
about one, and ``message``.
"""

from __future__ import annotations

import polars as pl

from toolkit.compare import POOLED, Comparison
from toolkit.model import AttributeSpec
from toolkit.privacy import min_cell_disagreement
from toolkit.stats.meta import METHOD_NAMES
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
        f"Pooled rows: random-effects meta-analysis of proportions on the logit scale, "
        f"tau² by {METHOD_NAMES[comparison.pooling_method]}, 0.5 added to both cells only for "
        "a cohort with 0 or all participants voicing the theme. With few cohorts, tau² and I² "
        "are very imprecise; the cohorts are purposive interview samples of different "
        "conditions, so the pooled value describes these cohorts, not a population.",
    )


def _not_comparable(comparison: Comparison) -> list[Note]:
    missing = comparison.prevalence.filter((pl.col("cohort") != POOLED) & ~pl.col("mapped"))
    notes: list[Note] = []
    for cohort in comparison.cohorts:
        lacking = missing.filter(pl.col("cohort") == cohort)["theme_id"].to_list()
        if lacking:
            shown = ", ".join(lacking[:12]) + (
                f", … ({len(lacking)} in all)" if len(lacking) > 12 else ""
            )
            notes.append(
                (
                    "not_comparable",
                    None,
                    cohort,
                    f"{cohort} has no code for {plural(len(lacking), 'theme')}, which are therefore not "
                    f"compared there (a theme not in a codebook is not a theme nobody voiced): {shown}",
                )
            )
    return notes


def _crosswalk(comparison: Comparison) -> list[Note]:
    notes: list[Note] = []
    if comparison.unused_themes:
        notes.append(
            (
                "unused_theme",
                None,
                None,
                "No study maps any code to these framework themes: "
                + ", ".join(comparison.unused_themes),
            )
        )
    for study_id, code_id, theme_ids in comparison.double_mappings:
        notes.append(
            (
                "double_mapping",
                None,
                study_id,
                f"{study_id}: code '{code_id}' is mapped to {len(theme_ids)} themes "
                f"({', '.join(theme_ids)}); its participants count in each of them",
            )
        )
    for key, group in comparison.not_compared.group_by("study_id", maintain_order=True):
        cohort = str(key[0])
        notes.append(
            (
                "not_compared",
                None,
                cohort,
                f"{cohort}: {plural(group.height, 'code')} reach no theme and are not compared: "
                f"{', '.join(group['code_id'].to_list())}",
            )
        )
    return notes


def _settings(comparison: Comparison) -> list[Note]:
    notes: list[Note] = []
    used = {c.cohort: f"{c.ci_method} {c.ci_level:.0%}" for c in comparison.settings.cohorts}
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
        f.cohort: [displays[f.cohort].get(s, s.replace("_", " ")) for s in f.strata]
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
    return notes + _attributes(comparison)


def _attributes(comparison: Comparison) -> list[Note]:
    specs = {f.cohort: {a.name: a for a in f.attributes} for f in comparison.facts}
    shared = set.intersection(*(set(s) for s in specs.values()))
    notes: list[Note] = []
    for name in sorted(shared):
        described = {sid: describe_attribute(s.get(name)) for sid, s in specs.items()}
        if len(set(described.values())) > 1:
            notes.append(
                (
                    "strata",
                    None,
                    None,
                    f"Attribute '{name}' is defined differently ("
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
                    f"{cohort.cohort} counts only the codings of coder '{cohort.coder}'.",
                )
            )
    return notes


def _suppression(comparison: Comparison) -> Note:
    min_cell = comparison.min_cell
    if min_cell <= 1:
        text = "No small-cell suppression (min_cell = 0): every count is shown, however small."
        own = {c.cohort: c.min_cell for c in comparison.settings.cohorts}
        return ("suppression", None, None, f"{text} {min_cell_disagreement(0, own)}".strip())
    rows = comparison.prevalence.filter((pl.col("cohort") != POOLED) & pl.col("suppressed"))
    hidden = rows.height
    text = (
        f"Small-cell suppression: counts of 1 to {min_cell - 1} participants are suppressed "
        f"(min_cell = {min_cell}; change it with --min-cell, 0 to switch it off), with the "
        "pooled estimates, differences and segment counts from which one could be derived"
    )
    text += f"; {plural(hidden, 'cohort count')} suppressed here." if hidden else "; none is here."
    own = {c.cohort: c.min_cell for c in comparison.settings.cohorts}
    disagreement = min_cell_disagreement(min_cell, own)
    return ("suppression", None, None, f"{text} {disagreement}".strip())


def notes(comparison: Comparison) -> list[Note]:
    """The comparability notes of ``comparison``, in reading order: (kind, theme, cohort, text)."""
    out = [_matching(comparison), _pooling(comparison), *_not_comparable(comparison)]
    if comparison.matching == "crosswalk":
        out += _crosswalk(comparison)
    out += _settings(comparison)
    out.append(_suppression(comparison))
    synthetic = [f.cohort for f in comparison.facts if f.synthetic]
    if synthetic:
        text = f"SYNTHETIC DATA: {', '.join(synthetic)} (invented, not real)"
        out.append(("synthetic", None, None, text))
    return out


def notes_frame(comparison: Comparison) -> pl.DataFrame:
    """:func:`notes` as a frame (:data:`NOTE_COLUMNS`)."""
    return pl.DataFrame(
        notes(comparison), schema=dict.fromkeys(NOTE_COLUMNS, pl.String), orient="row"
    )


def messages(comparison: Comparison) -> list[str]:
    """The notes' sentences, in order."""
    return [text for *_, text in notes(comparison)]
