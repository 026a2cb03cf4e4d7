"""The record of how the report was made: the COREQ checklist and the provenance.

Both read the settings from ``results.settings`` (the settings every number was computed
with) and the subgroup sizes from the protected participants' characteristics
(``results.cohort``), so they hide what the participants and prevalence tables hide.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from toolkit import __version__
from toolkit.analysis import Results
from toolkit.model import Study
from toolkit.report import tables
from toolkit.report.sentences import analysis_notes
from toolkit.report.spec import Block, Note, Section, Table


def coreq_table(study: Study, results: Results) -> Table:
    """The COREQ items (Tong, Sainsbury and Craig 2007) that the data can answer."""
    from toolkit.stats.hierarchy import tree_order

    codebook = study.codebook

    depths = tree_order(codebook)["depth"].to_list()
    levels = [sum(1 for d in depths if d == k) for k in range(max(depths, default=-1) + 1)]
    level_names = ["domains", "themes", "codes", "sub-codes"]
    tree = ", ".join(
        f"{n} {level_names[k] if k < len(level_names) else f'level-{k} nodes'}"
        for k, n in enumerate(levels)
    )
    coders = (
        sorted({c for c in study.codings["coder"].to_list() if c is not None})
        if "coder" in study.codings.columns
        else []
    )
    descriptions = []
    for attribute in results.settings.strata:
        spec = study.attribute(attribute)
        # the same subgroups as the participants and prevalence tables hide
        groups = (
            results.need("cohort")
            .filter(pl.col("by") == attribute)
            .select("group", "group_size")
            .unique(subset="group", maintain_order=True)
            .rows()[1:]
        )
        descriptions.append(
            f"{spec.display}: "
            + ", ".join(
                f"{level} {tables.SUPPRESSED if size is None else size}" for level, size in groups
            )
        )
    sat = results.saturation
    rows = [
        ("12. Sample size", f"{study.n_participants} participants."),
        (
            "16. Description of sample",
            ("; ".join(descriptions) + ". See the participants table.")
            if descriptions
            else "See the participants table.",
        ),
        ("22. Data saturation", sat.statement if sat is not None else "Not assessed."),
        (
            "24. Number of data coders",
            f"{len(coders)} ({', '.join(coders)})." if coders else "Not recorded in the codings.",
        ),
        (
            "25. Description of the coding tree",
            f"{tree}; shown in full in the theme prevalence table.",
        ),
        (
            "27. Software",
            f"Analysis and report: raremix {__version__}. The coding software is not recorded in the inputs.",
        ),
        (
            "29. Quotations presented",
            f"Yes: up to {results.settings.quotes_per_theme} per theme in the joint display, each "
            "identified by a pseudonym and descriptors.",
        ),
    ]
    return tables.key_value_table(
        rows,
        name="coreq",
        caption="COREQ items (Tong, Sainsbury and Craig 2007) that the data can answer.",
        header=("COREQ item", "Answer"),
    )


def provenance_section(study: Study, results: Results, rendered_at: dt.datetime) -> Section:
    """Input files with their checksums, and the settings the results were computed with."""
    files = tuple((f"{item.role}: {item.display}", item.sha256) for item in study.inputs)
    settings = results.settings
    setting_rows = [
        ("Study id", study.id),
        ("Strata", ", ".join(settings.strata) or "none"),
        ("Confidence intervals", f"{settings.ci_method}, level {settings.ci_level:g}"),
        ("Difference intervals", settings.difference_method),
        ("Minimum cell size", str(settings.min_cell)),
        ("Coder", settings.coder or "all coders"),
        (
            "Saturation",
            f"base {settings.saturation.base}, run {settings.saturation.run}, threshold {settings.saturation.threshold:g}",
        ),
        ("Theme depth", str(results.depth)),
        ("raremix version", __version__),
        ("Rendered at", rendered_at.isoformat(timespec="seconds")),
    ]
    if results.need("redactions").height:
        setting_rows.append(
            (
                "Quote redactions",
                ", ".join(f"{r} {n}" for r, n in results.need("redactions").iter_rows()),
            )
        )
    blocks: list[Block] = [
        Table(
            name="inputs",
            caption="Input files and their SHA-256 checksums.",
            columns=("Input", "SHA-256"),
            rows=files or (("(none recorded)", ""),),
            align=("l", "l"),
        ),
        tables.key_value_table(
            setting_rows,
            name="settings",
            caption="Settings used for this report.",
            header=("Setting", "Value"),
        ),
    ]
    blocks += [Note(w) for w in (*study.warnings, *analysis_notes(results))]
    return Section("provenance", "Provenance", tuple(blocks))
