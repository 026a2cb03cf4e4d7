"""REFI-QDA: the exchange standard of NVivo, ATLAS.ti, MAXQDA, QualCoder, Taguette, f4.

Reads a project (``.qdpx``: a zip holding ``project.qde`` and a ``sources/`` folder; or a bare
``.qde``) and a codebook (``.qdc``) into the canonical frames of :mod:`toolkit.model`.

What real files show, and what this reader does about it:

- Namespace versions vary (``1.0``, ``1:0``, ``0:4``): elements are matched by local name and
  an unexpected namespace is a warning, not a refusal.
- The sources folder is ``sources/`` or ``Sources/``; paths are ``internal://``,
  ``relative://`` or ``absolute://``. Only internal sources are read (from the archive, or from
  a sources folder beside a bare ``.qde``); a project never makes raremix read elsewhere.
- Positions count Unicode code points (the standard), except that NVivo counts UTF-16 code
  units, which differ after every character outside the Basic Multilingual Plane (emoji).
  Where a source holds such characters the counting is chosen from the selections' own text
  where they carry it, else from the program that wrote the file, and the import says so.
- Text files may start with a byte-order mark and use CRLF line ends: the mark is not part of
  the text; CRLF counts as two characters (as the programs count it).
- The quote of a coded segment is the source text between the positions, else the
  selection's ``PlainTextContent``, else its ``name`` (ATLAS.ti truncates it with an ellipsis).
  Where the selection carries text of its own it is compared with the source text, and a
  mismatch is a warning naming the selection.
- Participants, in order of preference: Cases (with ``SourceRef``/``SelectionRef``); Codes whose
  GUID equals a Case's (NVivo's case nodes); ATLAS.ti's document groups as Sets ("Mabel",
  with "gender: male", "age: 67" as attribute sets); otherwise each text source is one
  participant, and a warning says so.

Modules, lower first: :mod:`~toolkit.io.refi.project` (the parsed project),
:mod:`~toolkit.io.refi.text` (text positions and quotes), :mod:`~toolkit.io.refi.codes`
(the codebook), :mod:`~toolkit.io.refi.parse` (XML parsing, as a stream),
:mod:`~toolkit.io.refi.files` (reading archives and files),
:mod:`~toolkit.io.refi.participants` (who each selection belongs to),
:mod:`~toolkit.io.refi.convert` (canonical frames).
"""

from toolkit.io.refi.convert import (
    code_ids,
    codebook_frame,
    project_tables,
    read_codebook,
    read_refi,
)
from toolkit.io.refi.files import read_project_file, read_qde, read_qdpx
from toolkit.io.refi.parse import parse_project
from toolkit.io.refi.participants import attribute_column
from toolkit.io.refi.project import (
    RefiCase,
    RefiCode,
    RefiCoding,
    RefiProject,
    RefiSelection,
    RefiSet,
    RefiSource,
    RefiVariable,
)
from toolkit.io.refi.text import decode_text, utf16_to_codepoints

__all__ = [
    "RefiCase",
    "RefiCode",
    "RefiCoding",
    "RefiProject",
    "RefiSelection",
    "RefiSet",
    "RefiSource",
    "RefiVariable",
    "attribute_column",
    "code_ids",
    "codebook_frame",
    "decode_text",
    "parse_project",
    "project_tables",
    "read_codebook",
    "read_project_file",
    "read_qde",
    "read_qdpx",
    "read_refi",
    "utf16_to_codepoints",
]
