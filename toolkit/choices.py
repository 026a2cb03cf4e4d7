"""Every closed list of choices, declared once.

The manifest (``study.yml`` validation), the command-line options and the statistics all
take their allowed values from here, so a method added in one place is offered everywhere.
This module imports only the standard library: the CLI reads it while building ``--help``,
which must stay fast (``tests/bench/test_startup.py``).

The first entry of each method list is its default.
"""

from __future__ import annotations

CI_METHODS: tuple[str, ...] = (
    "wilson",
    "wilson_cc",
    "clopper_pearson",
    "jeffreys",
    "agresti_coull",
    "wald",
    "hypergeometric",
)
"""Confidence interval methods for one proportion (``toolkit.stats.intervals``);
``hypergeometric`` is for a sample from a finite population of known size
(``study.population``)."""

DIFFERENCE_METHODS: tuple[str, ...] = (
    "newcombe",
    "newcombe_cc",
    "miettinen_nurminen",
    "wald",
    "agresti_caffo",
)
"""Confidence interval methods for a difference of two proportions
(``toolkit.stats.differences``)."""

POOLING_METHODS: tuple[str, ...] = ("glmm", "dl", "reml")
"""Random-effects models for pooling proportions across cohorts (``toolkit.stats.meta``):
the binomial-normal GLMM by maximum likelihood, or the two-step logit model with τ² by
DerSimonian–Laird or restricted maximum likelihood."""

OUTPUT_FORMATS: tuple[str, ...] = ("table", "csv", "json", "parquet")
"""Formats of a command's one output table (``toolkit.output.emit_frame``)."""

REPORT_FORMATS: tuple[str, ...] = ("html", "pdf", "docx")
"""Formats of a rendered report, in the order they are built."""

ENGINES: tuple[str, ...] = ("quarto", "pandoc")
"""Report rendering engines (``toolkit.report.render``)."""

PARTICIPANT_UNITS: tuple[str, ...] = ("case", "source", "speaker", "user")
"""Who a participant is in a coded project (``participant_unit`` in ``study.yml``): a case
(REFI-QDA Cases, NVivo cases), a source (one interview per document), a speaker (focus-group
turns tagged "P1: ..."), or a user (each coder's own account, as in a diary study)."""

REPEATING_INSTANCES: tuple[str, ...] = ("refuse", "first", "last")
"""What to do with REDCap repeating instruments (``inputs.repeating``): refuse the export,
or keep each record's first or last instance."""

MATRIX_FORMATS: tuple[str, ...] = ("csv", "xlsx", "parquet", "sav", "dta")
"""Formats of the codes-by-cases matrix (``raremix matrix``)."""

META_INFERENCES: tuple[str, ...] = ("confirms", "expands", "discordant")
"""How a theme's numbers and words relate in the joint display (``inputs.meta_inferences``;
Fetters, Curry and Creswell 2013)."""
