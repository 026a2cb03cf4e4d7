"""Disclosure control for small cohorts: the parts of the one disclosure gate.

- :mod:`toolkit.privacy.cells`: the small-cell solver (:class:`Equation`,
  :func:`protect_equations`): which cells to hide so that no small count is shown or derivable.
- :mod:`toolkit.privacy.suppression`: small-cell suppression of output frames (prevalence,
  differences, co-occurrence, comparisons).
- :mod:`toolkit.privacy.pseudonyms`: pseudonyms P01, P02, … for participant ids.
- :mod:`toolkit.privacy.redaction`: redaction of quotes by the study's rules.
- :mod:`toolkit.privacy.disclosure`: checks: small counts in rendered text, k-anonymity.

Public API::

    from toolkit.privacy import suppress, pseudonyms, redact_quotes, k_anonymity
"""

from toolkit.io.audit import natural_key
from toolkit.privacy.cells import Equation, check_min_cell, derivable, is_small, protect_equations
from toolkit.privacy.disclosure import (
    find_small_cells,
    k_anonymity,
    quasi_identifier_values,
    report_elements,
)
from toolkit.privacy.pseudonyms import apply_pseudonyms, pseudonyms
from toolkit.privacy.redaction import (
    DATE_PATTERN,
    EMAIL_PATTERN,
    PHONE_MIN_DIGITS,
    PHONE_PATTERN,
    Rule,
    id_rule,
    normalise,
    redact_quotes,
    redact_text,
    redaction_rules,
)
from toolkit.privacy.suppression import (
    DEFAULT_COMPARE_MIN_CELL,
    comparison_warning,
    hidden_cells,
    min_cell_disagreement,
    suppress,
    suppress_comparison,
    suppress_counts,
    suppress_differences,
)

__all__ = [
    "DATE_PATTERN",
    "DEFAULT_COMPARE_MIN_CELL",
    "EMAIL_PATTERN",
    "PHONE_MIN_DIGITS",
    "PHONE_PATTERN",
    "Equation",
    "Rule",
    "apply_pseudonyms",
    "check_min_cell",
    "comparison_warning",
    "derivable",
    "find_small_cells",
    "hidden_cells",
    "id_rule",
    "is_small",
    "k_anonymity",
    "min_cell_disagreement",
    "natural_key",
    "normalise",
    "protect_equations",
    "pseudonyms",
    "quasi_identifier_values",
    "redact_quotes",
    "redact_text",
    "redaction_rules",
    "report_elements",
    "suppress",
    "suppress_comparison",
    "suppress_counts",
    "suppress_differences",
]
