"""The canonical study model: participants, codebook and codings, and their validation.

Every reader in :mod:`toolkit.io` produces raw :class:`Tables`; :func:`build_study` validates
them into a :class:`Study`, which is all that statistics, comparison and reports read.

Modules, lower first (each imports only those above it):

- :mod:`~toolkit.model.schemas`: column names, frame schemas and the types (Study, Tables).
- :mod:`~toolkit.model.problems`: the collector of problems, so all are reported at once.
- :mod:`~toolkit.model.patterns`: study.yml's redaction patterns, compiled and checked.
- :mod:`~toolkit.model.attributes`: attribute typing, levels and bins.
- :mod:`~toolkit.model.selection`: missing-value codes, the roster and ``inputs.where``.
- :mod:`~toolkit.model.validation`: the checks of each raw table.
- :mod:`~toolkit.model.build`: :func:`build_study`, from raw tables to a Study.
"""

from toolkit.model.attributes import bin_labels
from toolkit.model.build import build_study
from toolkit.model.schemas import (
    CODE_ID,
    CODEBOOK_REQUIRED,
    CODEBOOK_SCHEMA,
    CODINGS_OPTIONAL,
    CODINGS_REQUIRED,
    CODINGS_SCHEMA,
    MISSING,
    PARTICIPANT_ID,
    ROW,
    AttributeSpec,
    CodingPositions,
    InputFile,
    Roster,
    Study,
    Tables,
)

__all__ = [
    "CODEBOOK_REQUIRED",
    "CODEBOOK_SCHEMA",
    "CODE_ID",
    "CODINGS_OPTIONAL",
    "CODINGS_REQUIRED",
    "CODINGS_SCHEMA",
    "MISSING",
    "PARTICIPANT_ID",
    "ROW",
    "AttributeSpec",
    "CodingPositions",
    "InputFile",
    "Roster",
    "Study",
    "Tables",
    "bin_labels",
    "build_study",
]
