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
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal
from xml.etree.ElementTree import Element

import polars as pl

from toolkit.errors import InputError, Problem
from toolkit.io.safety import SafeZip, local_name, namespace, open_zip, parse_xml
from toolkit.model import CODEBOOK_SCHEMA, CODINGS_SCHEMA, Tables

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
SOURCE_KINDS = ("TextSource", "PDFSource", "PictureSource", "AudioSource", "VideoSource")
SELECTION_KINDS = (
    "PlainTextSelection",
    "PDFSelection",
    "PictureSelection",
    "AudioSelection",
    "VideoSelection",
    "TranscriptSelection",
)
VALUE_KINDS = {
    "TextValue": "Text",
    "BooleanValue": "Boolean",
    "IntegerValue": "Integer",
    "FloatValue": "Float",
    "DateValue": "Date",
    "DateTimeValue": "DateTime",
}
NUMERIC_VARIABLES = ("Integer", "Float")
_ATTRIBUTE_SET = re.compile(r"^\s*([^:]+?)\s*:\s*(.+?)\s*$")
_ELLIPSIS = ("…", "...")

Units = Literal["codepoints", "utf16"]


# --- the parsed project ---------------------------------------------------------------------


@dataclass(frozen=True)
class RefiCode:
    guid: str
    name: str
    parent: str | None
    codable: bool
    description: str | None
    color: str | None


@dataclass(frozen=True)
class RefiCoding:
    guid: str
    code: str
    user: str | None
    selection: str


@dataclass
class RefiSelection:
    guid: str
    kind: str
    name: str | None
    source: str
    start: int | None
    end: int | None
    own_text: str | None  # PlainTextContent of the selection's Representation
    quote: str | None = None
    user: str | None = None
    codings: list[RefiCoding] = field(default_factory=list)


@dataclass
class RefiSource:
    guid: str
    kind: str
    name: str
    path: str | None
    text: str | None = None


@dataclass(frozen=True)
class RefiVariable:
    guid: str
    name: str
    type: str


@dataclass(frozen=True)
class RefiCase:
    guid: str
    name: str
    description: str | None
    source_refs: tuple[str, ...]
    selection_refs: tuple[str, ...]
    code_refs: tuple[str, ...]
    values: tuple[tuple[str, str, str], ...]  # (variable guid, value kind, text)


@dataclass(frozen=True)
class RefiSet:
    guid: str
    name: str
    sources: tuple[str, ...]
    codes: tuple[str, ...]


@dataclass
class RefiProject:
    """A REFI-QDA project as parsed, before it becomes canonical frames."""

    file: str
    name: str | None
    origin: str | None
    users: dict[str, str]
    codes: list[RefiCode]
    sources: list[RefiSource]
    selections: list[RefiSelection]
    variables: dict[str, RefiVariable]
    cases: list[RefiCase]
    sets: list[RefiSet]
    warnings: list[str]

    @property
    def codings(self) -> list[RefiCoding]:
        return [coding for selection in self.selections for coding in selection.codings]


# --- XML helpers ----------------------------------------------------------------------------


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if local_name(child.tag) == name]


def _child(element: Element, name: str) -> Element | None:
    for child in element:
        if local_name(child.tag) == name:
            return child
    return None


def _text_of(element: Element | None, name: str) -> str | None:
    if element is None:
        return None
    child = _child(element, name)
    if child is None or child.text is None:
        return None
    return child.text


def _int(value: str | None, *, file: str, what: str) -> int | None:
    if value is None or value.strip() == "":
        return None
    try:
        return int(value.strip())
    except ValueError:
        raise InputError(
            Problem(file, f"{what}: '{value}' is not a whole number", column=what)
        ) from None


def _check_namespace(root: Element, expected: str, *, file: str, warnings: list[str]) -> None:
    found = namespace(root.tag)
    if found != expected:
        shown = f"'{found}'" if found else "no namespace"
        warnings.append(
            f"{file}: namespace {shown} instead of '{expected}'; read as REFI-QDA 1.0 by element names"
        )


def decode_text(data: bytes, *, file: str, member: str, warnings: list[str]) -> str | None:
    """Decode a plain-text source: UTF-8 (a byte-order mark is dropped) or UTF-16 with a mark."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        warnings.append(
            f"{file}: source text '{member}' is not UTF-8 (byte {error.start}); "
            "its quotes are taken from the project file instead"
        )
        return None


# --- parsing --------------------------------------------------------------------------------


def _parse_codes(codes: Element | None) -> list[RefiCode]:
    out: list[RefiCode] = []

    def walk(parent_element: Element, parent: str | None) -> None:
        for element in _children(parent_element, "Code"):
            guid = element.get("guid") or ""
            out.append(
                RefiCode(
                    guid=guid,
                    name=element.get("name") or guid,
                    parent=parent,
                    codable=(element.get("isCodable", "true").strip().lower() != "false"),
                    description=_text_of(element, "Description"),
                    color=element.get("color"),
                )
            )
            walk(element, guid)

    if codes is not None:
        walk(codes, None)
    return out


def _parse_sets(element: Element | None) -> list[RefiSet]:
    if element is None:
        return []
    sets = []
    for item in _children(element, "Set"):
        sets.append(
            RefiSet(
                guid=item.get("guid") or "",
                name=(item.get("name") or "").strip(),
                sources=tuple(m.get("targetGUID") or "" for m in _children(item, "MemberSource")),
                codes=tuple(m.get("targetGUID") or "" for m in _children(item, "MemberCode")),
            )
        )
    return sets


def parse_project(
    root: Element,
    *,
    file: str,
    read_internal: Callable[[str], bytes | None],
) -> RefiProject:
    """Parse the root ``Project`` element of a ``project.qde``.

    Args:
        root: the parsed XML root.
        file: the file name for messages.
        read_internal: returns the bytes of an ``internal://`` file name, or None when absent.
    """
    if local_name(root.tag) != "Project":
        raise InputError(
            Problem(
                file,
                f"the root element is <{local_name(root.tag)}>, not <Project>: "
                "this is not a REFI-QDA project (a codebook is a .qdc file)",
            )
        )
    warnings: list[str] = []
    _check_namespace(root, PROJECT_NS, file=file, warnings=warnings)
    users = {
        u.get("guid") or "": u.get("name") or u.get("id") or u.get("guid") or ""
        for users in _children(root, "Users")
        for u in _children(users, "User")
    }
    codebook = _child(root, "CodeBook")
    codes = _parse_codes(_child(codebook, "Codes") if codebook is not None else None)
    variables = {
        v.get("guid") or "": RefiVariable(
            guid=v.get("guid") or "",
            name=(v.get("name") or "").strip(),
            type=v.get("typeOfVariable") or "Text",
        )
        for block in _children(root, "Variables")
        for v in _children(block, "Variable")
    }
    cases = []
    for block in _children(root, "Cases"):
        for case in _children(block, "Case"):
            values = []
            for value in _children(case, "VariableValue"):
                ref = _child(value, "VariableRef")
                target = ref.get("targetGUID") if ref is not None else None
                for kind in VALUE_KINDS:
                    text = _text_of(value, kind)
                    if target and text is not None:
                        values.append((target, kind, text.strip()))
            cases.append(
                RefiCase(
                    guid=case.get("guid") or "",
                    name=(case.get("name") or case.get("guid") or "").strip(),
                    description=_text_of(case, "Description"),
                    source_refs=tuple(
                        r.get("targetGUID") or "" for r in _children(case, "SourceRef")
                    ),
                    selection_refs=tuple(
                        r.get("targetGUID") or "" for r in _children(case, "SelectionRef")
                    ),
                    code_refs=tuple(r.get("targetGUID") or "" for r in _children(case, "CodeRef")),
                    values=tuple(values),
                )
            )
    sources: list[RefiSource] = []
    selections: list[RefiSelection] = []
    missing_files: list[str] = []
    external: list[str] = []
    for block in _children(root, "Sources"):
        for element in block:
            kind = local_name(element.tag)
            if kind not in SOURCE_KINDS:
                continue
            guid = element.get("guid") or ""
            path = element.get("plainTextPath") if kind == "TextSource" else element.get("path")
            source = RefiSource(
                guid=guid, kind=kind, name=(element.get("name") or guid).strip(), path=path
            )
            sources.append(source)
            if kind == "TextSource":
                source.text = _source_text(
                    path,
                    file=file,
                    read_internal=read_internal,
                    warnings=warnings,
                    missing=missing_files,
                    external=external,
                )
            _collect_selections(
                element,
                source,
                selections,
                file=file,
                read_internal=read_internal,
                warnings=warnings,
                missing=missing_files,
                external=external,
            )
    if missing_files:
        warnings.append(
            f"{file}: {len(missing_files)} source text file(s) are not in the project "
            f"(for example '{missing_files[0]}'): quotes come from the selections' own text or names"
        )
    if external:
        warnings.append(
            f"{file}: {len(external)} source(s) live outside the project ({external[0]}, …) and are "
            "not read from disk: quotes come from the selections' own text or names"
        )
    project = RefiProject(
        file=file,
        name=root.get("name"),
        origin=root.get("origin"),
        users=users,
        codes=codes,
        sources=sources,
        selections=selections,
        variables=variables,
        cases=cases,
        sets=_parse_sets(_child(root, "Sets")),
        warnings=warnings,
    )
    _resolve_quotes(project)
    return project


def _source_text(
    path: str | None,
    *,
    file: str,
    read_internal: Callable[[str], bytes | None],
    warnings: list[str],
    missing: list[str],
    external: list[str],
) -> str | None:
    if not path:
        return None
    scheme, _, rest = path.partition("://")
    if scheme.lower() != "internal":
        external.append(path)
        return None
    member = PurePosixPath(rest.replace("\\", "/")).name
    data = read_internal(member)
    if data is None:
        missing.append(member)
        return None
    return decode_text(data, file=file, member=member, warnings=warnings)


def _collect_selections(
    element: Element,
    source: RefiSource,
    out: list[RefiSelection],
    *,
    file: str,
    read_internal: Callable[[str], bytes | None],
    warnings: list[str],
    missing: list[str],
    external: list[str],
    text: str | None = None,
) -> None:
    """Selections anywhere under a source (a PDF's Representation, a video's Transcript)."""
    own_text = source.text if text is None else text
    for child in element:
        kind = local_name(child.tag)
        if kind in ("Representation", "Transcript"):
            nested = _source_text(
                child.get("plainTextPath"),
                file=file,
                read_internal=read_internal,
                warnings=warnings,
                missing=missing,
                external=[],
            )
            if nested is None:
                nested = _text_of(child, "PlainTextContent")
            _collect_selections(
                child,
                source,
                out,
                file=file,
                read_internal=read_internal,
                warnings=warnings,
                missing=missing,
                external=external,
                text=nested,
            )
            continue
        if kind not in SELECTION_KINDS:
            continue
        guid = child.get("guid") or ""
        representation = _child(child, "Representation")
        selection = RefiSelection(
            guid=guid,
            kind=kind,
            name=child.get("name"),
            source=source.guid,
            start=_int(
                child.get("startPosition"), file=file, what=f"startPosition of selection {guid}"
            )
            if kind == "PlainTextSelection"
            else None,
            end=_int(child.get("endPosition"), file=file, what=f"endPosition of selection {guid}")
            if kind == "PlainTextSelection"
            else None,
            own_text=_text_of(representation, "PlainTextContent")
            or _text_of(child, "PlainTextContent"),
            user=child.get("creatingUser"),
        )
        selection.quote = own_text  # provisional: the text this selection's positions index
        for coding in _children(child, "Coding"):
            ref = _child(coding, "CodeRef")
            selection.codings.append(
                RefiCoding(
                    guid=coding.get("guid") or "",
                    code=(ref.get("targetGUID") or "") if ref is not None else "",
                    user=coding.get("creatingUser") or child.get("creatingUser"),
                    selection=guid,
                )
            )
        out.append(selection)


def _normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _reference(selection: RefiSelection) -> tuple[str, bool] | None:
    """Text the selection carries itself, and whether it is only a prefix (truncated name)."""
    if selection.own_text and selection.own_text.strip():
        return _normal(selection.own_text), False
    name = (selection.name or "").strip()
    if not name:
        return None
    for mark in _ELLIPSIS:
        if name.endswith(mark):
            return _normal(name[: -len(mark)]), True
    return _normal(name), False


def _agrees(quote: str, reference: tuple[str, bool]) -> bool:
    text, prefix = reference
    got = _normal(quote)
    return got.startswith(text) if prefix else got == text


def utf16_to_codepoints(text: str) -> list[int]:
    """Map each UTF-16 offset (0..len16) to the code-point offset at or before it."""
    mapping: list[int] = []
    for index, char in enumerate(text):
        mapping.append(index)
        if ord(char) > 0xFFFF:
            mapping.append(index)  # the low surrogate falls inside this code point
    mapping.append(len(text))
    return mapping


def _slice(
    text: str, start: int, end: int, units: Units, mapping: list[int] | None = None
) -> str | None:
    if units == "utf16":
        mapping = mapping if mapping is not None else utf16_to_codepoints(text)
        if not 0 <= start <= end < len(mapping):
            return None
        return text[mapping[start] : mapping[end]]
    if not 0 <= start <= end <= len(text):
        return None
    return text[start:end]


def _resolve_quotes(project: RefiProject) -> None:
    """Fill each selection's quote from its source text, choosing the counting per source."""
    by_guid = {s.guid: s for s in project.sources}
    per_source: dict[str, list[RefiSelection]] = defaultdict(list)
    for selection in project.selections:
        if selection.kind == "PlainTextSelection":
            per_source[selection.source].append(selection)
    nvivo = "nvivo" in (project.origin or "").lower()
    for source_guid, selections in per_source.items():
        source = by_guid[source_guid]
        text = source.text
        if text is None:
            for selection in selections:
                selection.quote = selection.own_text or _fallback_name(selection)
            continue
        units: Units = "codepoints"
        if any(ord(c) > 0xFFFF for c in text):
            units = _choose_units(text, selections, nvivo=nvivo)
            if units == "utf16":
                project.warnings.append(
                    f"{project.file}: positions in source '{source.name}' count UTF-16 units "
                    "(as NVivo writes them), not code points; converted"
                )
        mapping = utf16_to_codepoints(text) if units == "utf16" else None
        mismatched: list[str] = []
        for selection in selections:
            quote = (
                _slice(text, selection.start, selection.end, units, mapping)
                if selection.start is not None and selection.end is not None
                else None
            )
            reference = _reference(selection)
            if quote is None:
                mismatched.append(
                    f"{_label(selection)} (positions {selection.start}-{selection.end} "
                    f"outside the text of {len(text)} characters)"
                )
                selection.quote = selection.own_text or _fallback_name(selection)
                continue
            if reference is not None and not _agrees(quote, reference):
                mismatched.append(
                    f"{_label(selection)} (text at its positions differs from the selection's own)"
                )
            if mapping is not None and selection.start is not None and selection.end is not None:
                selection.start, selection.end = mapping[selection.start], mapping[selection.end]
            selection.quote = quote
        for item in mismatched:
            project.warnings.append(f"{project.file}: selection {item} in source '{source.name}'")


def _choose_units(text: str, selections: list[RefiSelection], *, nvivo: bool) -> Units:
    scores: dict[Units, int] = {"codepoints": 0, "utf16": 0}
    mapping = utf16_to_codepoints(text)
    all_units: tuple[Units, ...] = ("codepoints", "utf16")
    for units in all_units:
        for selection in selections:
            reference = _reference(selection)
            if reference is None or selection.start is None or selection.end is None:
                continue
            quote = _slice(text, selection.start, selection.end, units, mapping)
            if quote is not None and _agrees(quote, reference):
                scores[units] += 1
    if scores["utf16"] != scores["codepoints"]:
        return "utf16" if scores["utf16"] > scores["codepoints"] else "codepoints"
    return "utf16" if nvivo else "codepoints"


def _fallback_name(selection: RefiSelection) -> str | None:
    name = (selection.name or "").strip()
    return name or None


def _label(selection: RefiSelection) -> str:
    name = (selection.name or "").strip()
    return f"{selection.guid} '{name[:40]}'" if name else selection.guid


# --- reading files --------------------------------------------------------------------------


def _sources_dir_reader(folder: Path) -> Callable[[str], bytes | None]:
    candidates = [folder / "sources", folder / "Sources"]

    def read(member: str) -> bytes | None:
        for base in candidates:
            path = base / member
            if path.is_file():
                return path.read_bytes()
        return None

    return read


def _zip_reader(archive: SafeZip) -> Callable[[str], bytes | None]:
    def read(member: str) -> bytes | None:
        for folder in ("sources", "Sources"):
            name = archive.find(f"{folder}/{member}")
            if name is not None:
                return archive.read(name)
        name = archive.find(member)
        return archive.read(name) if name is not None else None

    return read


def read_qdpx(path: Path, *, file: str | None = None) -> RefiProject:
    """Parse a ``.qdpx`` archive (read in memory, never extracted)."""
    name = file or path.name
    with open_zip(path, file=name) as archive:
        qde = [n for n in archive.names if n.lower().endswith(".qde") and "/" not in n.strip("/")]
        if not qde:
            qde = [n for n in archive.names if n.lower().endswith(".qde")]
        if not qde:
            raise InputError(
                Problem(
                    name,
                    f"no project.qde inside the archive (found: {', '.join(archive.names[:5]) or 'nothing'})",
                )
            )
        root = parse_xml(archive.read(qde[0]), file=f"{name}/{qde[0]}")
        return parse_project(root, file=name, read_internal=_zip_reader(archive))


def read_qde(path: Path, *, file: str | None = None) -> RefiProject:
    """Parse a bare ``project.qde``; source texts are looked for in a sources folder beside it."""
    name = file or path.name
    root = parse_xml(_read_bytes(path, name), file=name)
    return parse_project(root, file=name, read_internal=_sources_dir_reader(path.parent))


def _read_bytes(path: Path, name: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(
            Problem(name, f"cannot read the file: {error.strerror or error}")
        ) from None


def read_project_file(path: Path, *, file: str | None = None) -> RefiProject:
    """Parse a ``.qdpx`` or ``.qde`` file."""
    if path.suffix.lower() == ".qdpx":
        return read_qdpx(path, file=file)
    return read_qde(path, file=file)


# --- canonical frames -----------------------------------------------------------------------


def _unique_names(
    items: list[tuple[str, str]], *, what: str, file: str, warnings: list[str]
) -> dict[str, str]:
    """guid -> a human id: the name when unique, else the name with the GUID's start."""
    counts = Counter(name for _, name in items)
    ids: dict[str, str] = {}
    clashes = []
    for guid, name in items:
        if counts[name] > 1:
            ids[guid] = f"{name} [{guid[:8]}]"
            clashes.append(name)
        else:
            ids[guid] = name
    if clashes:
        warnings.append(
            f"{file}: {len(set(clashes))} {what} name(s) are used more than once "
            f"(for example '{clashes[0]}'): their ids carry the start of their GUID"
        )
    return ids


def codebook_frame(
    codes: list[RefiCode], *, file: str, warnings: list[str], drop: Iterable[str] = ()
) -> pl.DataFrame:
    """Codes -> codebook frame (code_id, label, parent_id, description, color), in file order.

    Codes in ``drop`` (case nodes) are left out; their children move up to their parent.
    """
    dropped = set(drop)
    parent_of = {c.guid: c.parent for c in codes}

    def kept_parent(guid: str | None) -> str | None:
        seen = set()
        while guid is not None and guid in dropped and guid not in seen:
            seen.add(guid)
            guid = parent_of.get(guid)
        return guid

    kept = [c for c in codes if c.guid not in dropped]
    ids = code_ids(kept, file=file, warnings=warnings)
    rows = {
        "code_id": [ids[c.guid] for c in kept],
        "label": [c.name for c in kept],
        "parent_id": [
            ids.get(p) if (p := kept_parent(c.parent)) is not None else None for c in kept
        ],
        "description": [c.description.strip() if c.description else None for c in kept],
        "color": [c.color for c in kept],
    }
    return pl.DataFrame(rows, schema={**CODEBOOK_SCHEMA, "color": pl.String})


def code_ids(codes: list[RefiCode], *, file: str, warnings: list[str]) -> dict[str, str]:
    """guid -> code_id: the code's name where unique in the codebook."""
    return _unique_names(
        [(c.guid, c.name) for c in codes], what="code", file=file, warnings=warnings
    )


def read_codebook(path: Path, *, file: str | None = None) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Read a REFI-QDA codebook (``.qdc``), or the codebook of a ``.qdpx``/``.qde`` project.

    Returns:
        The codebook frame and the warnings.
    """
    name = file or path.name
    if path.suffix.lower() in (".qdpx", ".qde"):
        project = read_project_file(path, file=name)
        warnings = list(project.warnings)
        return codebook_frame(project.codes, file=name, warnings=warnings), tuple(warnings)
    root = parse_xml(_read_bytes(path, name), file=name)
    warnings = []
    if local_name(root.tag) == "Project":
        codebook = _child(root, "CodeBook")
        codes = _parse_codes(_child(codebook, "Codes") if codebook is not None else None)
    elif local_name(root.tag) == "CodeBook":
        _check_namespace(root, CODEBOOK_NS, file=name, warnings=warnings)
        codes = _parse_codes(_child(root, "Codes"))
    else:
        raise InputError(
            Problem(
                name,
                f"the root element is <{local_name(root.tag)}>, not <CodeBook>: not a REFI-QDA codebook",
            )
        )
    return codebook_frame(codes, file=name, warnings=warnings), tuple(warnings)


@dataclass
class _Assignment:
    """Who each selection belongs to."""

    mode: str
    participants: list[str]  # participant ids, in order
    attributes: dict[str, dict[str, str | float | None]]  # column -> participant -> value
    types: dict[str, Literal["numeric", "categorical"]]
    of_selection: dict[str, str]  # selection guid -> participant id
    extra_codings: list[tuple[str, str]] = field(default_factory=list)  # (participant, code guid)
    case_codes: set[str] = field(default_factory=set)


def attribute_column(name: str) -> str:
    """A variable name as an attribute column: lowercase words joined by '_' ("Age group" -> age_group)."""
    slug = re.sub(
        r"[^0-9a-z]+",
        "_",
        unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower(),
    )
    slug = slug.strip("_")
    return slug or "attribute"


def _typed(values: Mapping[str, str | None], *, numeric: bool) -> dict[str, str | float | None]:
    if not numeric:
        return dict(values)
    return {k: (float(v) if v is not None else None) for k, v in values.items()}


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _assign_by_cases(project: RefiProject, warnings: list[str]) -> _Assignment | None:
    if not project.cases:
        return None
    code_guids = {c.guid for c in project.codes}
    case_codes = {case.guid for case in project.cases if case.guid in code_guids}
    has_refs = any(case.source_refs or case.selection_refs for case in project.cases)
    if not has_refs and not case_codes:
        warnings.append(
            f"{project.file}: the project has {len(project.cases)} Case(s) but none refers to a source, "
            "a selection or a code: cases ignored"
        )
        return None
    ids = _unique_names(
        [(c.guid, c.name) for c in project.cases], what="case", file=project.file, warnings=warnings
    )
    selections = {s.guid: s for s in project.selections}
    of_selection: dict[str, str] = {}
    # Ranges of a source that belong to one case: from SelectionRefs and from case-code codings.
    ranges: dict[str, list[tuple[tuple[int, int], str]]] = defaultdict(list)
    whole_source: dict[str, set[str]] = defaultdict(set)
    for case in project.cases:
        for ref in case.selection_refs:
            selection = selections.get(ref)
            if selection is None:
                warnings.append(
                    f"{project.file}: case '{case.name}' refers to unknown selection {ref}"
                )
                continue
            of_selection[ref] = ids[case.guid]
            if selection.start is not None and selection.end is not None:
                ranges[selection.source].append(((selection.start, selection.end), ids[case.guid]))
        for ref in case.source_refs:
            whole_source[ref].add(ids[case.guid])
    for selection in project.selections:
        for coding in selection.codings:
            if coding.code in case_codes:
                case_id = ids[coding.code]
                of_selection.setdefault(selection.guid, case_id)
                if selection.start is not None and selection.end is not None:
                    ranges[selection.source].append(((selection.start, selection.end), case_id))
                else:
                    whole_source[selection.source].add(case_id)
    ambiguous: list[str] = []
    for selection in project.selections:
        if selection.guid in of_selection:
            continue
        owner: str | None = None
        if selection.start is not None and selection.end is not None:
            span = (selection.start, selection.end)
            best = sorted(
                (
                    (_overlap(span, r), cid)
                    for r, cid in ranges.get(selection.source, [])
                    if _overlap(span, r) > 0
                ),
                reverse=True,
            )
            if best:
                top = {cid for size, cid in best if size == best[0][0]}
                owner = best[0][1] if len(top) == 1 else None
                if owner is None:
                    ambiguous.append(selection.guid)
        if owner is None and selection.guid not in ambiguous:
            candidates = whole_source.get(selection.source, set())
            case_ranges = {cid for _, cid in ranges.get(selection.source, [])}
            if len(candidates) == 1:
                owner = next(iter(candidates))
            elif not candidates and len(case_ranges) == 1:
                owner = next(iter(case_ranges))
            elif len(candidates) > 1 and selection.codings:
                ambiguous.append(selection.guid)
        if owner is not None:
            of_selection[selection.guid] = owner
    if ambiguous:
        warnings.append(
            f"{project.file}: {len(ambiguous)} coded selection(s) lie in a source shared by several cases "
            f"and cannot be given to one (for example {ambiguous[0]}): they are left out"
        )
    participants = [ids[c.guid] for c in project.cases]
    attributes: dict[str, dict[str, str | float | None]] = {}
    types: dict[str, Literal["numeric", "categorical"]] = {}
    columns = _unique_names(
        [(v.guid, attribute_column(v.name)) for v in project.variables.values()],
        what="variable",
        file=project.file,
        warnings=warnings,
    )
    for variable in project.variables.values():
        numeric = variable.type in NUMERIC_VARIABLES
        raw: dict[str, str | None] = dict.fromkeys(participants)
        for case in project.cases:
            for target, _kind, text in case.values:
                if target == variable.guid:
                    raw[ids[case.guid]] = text if text != "" else None
        if numeric:
            bad = [v for v in raw.values() if v is not None and not _is_number(v)]
            if bad:
                raise InputError(
                    Problem(
                        project.file,
                        f"variable '{variable.name}' is {variable.type} but has the value '{bad[0]}'",
                        column=variable.name,
                    )
                )
        column = columns[variable.guid]
        attributes[column] = _typed(raw, numeric=numeric)
        types[column] = "numeric" if numeric else "categorical"
    unknown_vars = {
        t for case in project.cases for t, _, _ in case.values if t not in project.variables
    }
    if unknown_vars:
        warnings.append(
            f"{project.file}: {len(unknown_vars)} case value(s) refer to undeclared Variables; ignored"
        )
    extra = [
        (ids[case.guid], ref)
        for case in project.cases
        for ref in case.code_refs
        if ref not in case_codes
    ]
    mode = "cases" if has_refs else "case codes"
    if case_codes:
        warnings.append(
            f"{project.file}: {len(case_codes)} code(s) share their GUID with a Case (case nodes): "
            "they give participants, not themes, and are left out of the codebook"
        )
    return _Assignment(mode, participants, attributes, types, of_selection, extra, case_codes)


def _assign_by_sets(project: RefiProject, warnings: list[str]) -> _Assignment | None:
    source_sets = [s for s in project.sets if s.sources and not s.codes]
    if not source_sets:
        return None
    attribute_sets = [(s, m) for s in source_sets if (m := _ATTRIBUTE_SET.match(s.name))]
    if not attribute_sets:
        return None  # groups of documents without attributes say nothing about who spoke
    named = [s for s in source_sets if not _ATTRIBUTE_SET.match(s.name)]
    attr_members = [set(s.sources) for s, _ in attribute_sets]
    # A participant set: attribute sets either hold all its sources or none (one person has one
    # gender), and at least one attribute set describes it.
    candidates = [
        s
        for s in named
        if all(
            set(s.sources) <= members or not set(s.sources) & members for members in attr_members
        )
        and any(set(s.sources) <= members for members in attr_members)
    ]
    owner_of_source: dict[str, str] = {}
    clash = []
    for s in candidates:
        for src in s.sources:
            if src in owner_of_source and owner_of_source[src] != s.name:
                clash.append(src)
            owner_of_source[src] = s.name
    if clash or not candidates:
        return None
    ids = _unique_names(
        [(s.guid, s.name) for s in candidates], what="set", file=project.file, warnings=warnings
    )
    participants = [ids[s.guid] for s in candidates]
    by_source = {src: ids[s.guid] for s in candidates for src in s.sources}
    attributes: dict[str, dict[str, str | float | None]] = {}
    values: dict[str, dict[str, str | None]] = {}
    for s, match in attribute_sets:
        column = attribute_column(match.group(1))
        column_values = values.setdefault(column, dict.fromkeys(participants))
        for candidate in candidates:
            if set(candidate.sources) <= set(s.sources):
                previous = column_values[ids[candidate.guid]]
                if previous is not None and previous != match.group(2):
                    raise InputError(
                        Problem(
                            project.file,
                            f"set '{candidate.name}' is in two sets for '{match.group(1)}': "
                            f"'{previous}' and '{match.group(2)}'",
                        )
                    )
                column_values[ids[candidate.guid]] = match.group(2)
    types: dict[str, Literal["numeric", "categorical"]] = {}
    for column, raw in values.items():
        numeric = all(v is None or _is_number(v) for v in raw.values())
        attributes[column] = _typed(raw, numeric=numeric)
        types[column] = "numeric" if numeric else "categorical"
    of_selection = {
        sel.guid: by_source[sel.source] for sel in project.selections if sel.source in by_source
    }
    others = [
        s.name for s in source_sets if s not in candidates and not _ATTRIBUTE_SET.match(s.name)
    ]
    warnings.append(
        f"{project.file}: no Cases; participants are the document sets {', '.join(repr(p) for p in participants)}"
        + (
            f" with attributes from the sets named 'attribute: value' ({', '.join(sorted(types))})"
            if types
            else ""
        )
        + (
            f"; the other sets ({', '.join(repr(o) for o in others)}) are document groups, not participants"
            if others
            else ""
        )
    )
    return _Assignment("sets", participants, attributes, types, of_selection)


def _assign_by_source(project: RefiProject, warnings: list[str]) -> _Assignment:
    text_sources = [s for s in project.sources if s.kind == "TextSource"]
    ids = _unique_names(
        [(s.guid, s.name) for s in text_sources],
        what="source",
        file=project.file,
        warnings=warnings,
    )
    participants = [ids[s.guid] for s in text_sources]
    of_selection = {sel.guid: ids[sel.source] for sel in project.selections if sel.source in ids}
    groups = [s.name for s in project.sets if s.sources]
    warnings.append(
        f"{project.file}: no Cases, case codes or participant sets: each of the {len(text_sources)} text "
        "source(s) is one participant (one interview each); check that this is so"
        + (
            f" (the sets {', '.join(repr(g) for g in groups)} were read as document groups)"
            if groups
            else ""
        )
    )
    return _Assignment("sources", participants, {}, {}, of_selection)


def project_tables(project: RefiProject) -> Tables:
    """Turn a parsed project into canonical :class:`~toolkit.model.Tables`."""
    warnings = list(project.warnings)
    assignment = (
        _assign_by_cases(project, warnings)
        or _assign_by_sets(project, warnings)
        or _assign_by_source(project, warnings)
    )
    codebook = codebook_frame(
        project.codes, file=project.file, warnings=warnings, drop=assignment.case_codes
    )
    kept_codes = [c for c in project.codes if c.guid not in assignment.case_codes]
    ids = code_ids(kept_codes, file=project.file, warnings=[])
    names = {s.guid: s.name for s in project.sources}
    rows: dict[str, list[object]] = {k: [] for k in CODINGS_SCHEMA}
    unknown_codes: Counter[str] = Counter()
    unassigned: Counter[str] = Counter()
    for selection in project.selections:
        owner = assignment.of_selection.get(selection.guid)
        for coding in selection.codings:
            if coding.code in assignment.case_codes:
                continue
            if coding.code not in ids:
                unknown_codes[coding.code] += 1
                continue
            if owner is None:
                unassigned[names.get(selection.source, selection.source)] += 1
                continue
            rows["participant_id"].append(owner)
            rows["code_id"].append(ids[coding.code])
            rows["quote"].append(selection.quote)
            rows["source"].append(names.get(selection.source))
            rows["start"].append(selection.start)
            rows["end"].append(selection.end)
            rows["coder"].append(
                project.users.get(coding.user or "", coding.user) if coding.user else None
            )
    for participant, code in assignment.extra_codings:
        if code in ids:
            for key, value in (("participant_id", participant), ("code_id", ids[code])):
                rows[key].append(value)
            for key in ("quote", "source", "start", "end", "coder"):
                rows[key].append(None)
    if assignment.extra_codings:
        warnings.append(
            f"{project.file}: {len(assignment.extra_codings)} code(s) applied to a whole Case "
            "are read as one coding each, without a quote"
        )
    if unknown_codes:
        warnings.append(
            f"{project.file}: {sum(unknown_codes.values())} coding(s) refer to codes not in the codebook "
            f"(for example {next(iter(unknown_codes))}); left out"
        )
    if unassigned:
        listed = ", ".join(f"'{name}' ({n})" for name, n in unassigned.most_common(5))
        warnings.append(
            f"{project.file}: {sum(unassigned.values())} coding(s) are in sources that belong to no "
            f"participant ({assignment.mode}) and are left out: {listed}"
        )
    codings = pl.DataFrame(rows, schema=CODINGS_SCHEMA)
    participants = pl.DataFrame(
        {"participant_id": assignment.participants}, schema={"participant_id": pl.String}
    )
    for column, values in assignment.attributes.items():
        dtype = pl.Float64 if assignment.types[column] == "numeric" else pl.String
        participants = participants.with_columns(
            pl.Series(column, [values.get(p) for p in assignment.participants], dtype=dtype)
        )
    return Tables(
        participants=participants,
        codebook=codebook,
        codings=codings,
        files={"participants": project.file, "codebook": project.file, "codings": project.file},
        attribute_types=dict(assignment.types),
        warnings=tuple(warnings),
    )


def read_refi(path: Path, *, file: str | None = None) -> Tables:
    """Read a REFI-QDA project (``.qdpx`` or ``.qde``) into canonical tables."""
    return project_tables(read_project_file(path, file=file))
