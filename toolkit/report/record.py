"""The record of how the report was made: the provenance (input files and settings).

It reads the settings from ``results.settings``, the settings every number was computed
with. The reporting checklists are in :mod:`toolkit.report.checklists`.
"""

from __future__ import annotations

import datetime as dt

from toolkit import __version__
from toolkit.analysis import Results
from toolkit.model import Study
from toolkit.report import tables
from toolkit.report.sentences import analysis_notes
from toolkit.report.spec import Block, Note, Section, Table


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
