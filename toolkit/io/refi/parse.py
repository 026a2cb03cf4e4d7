"""XML parsing: a REFI-QDA project (root ``Project``) or codebook (root ``CodeBook``).

Elements are matched by local name; an unexpected namespace is a warning, not a refusal.
Source texts come from a reader of ``internal://`` files (see :mod:`toolkit.io.refi.files`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from xml.etree.ElementTree import Element

from toolkit.errors import InputError, Problem
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
from toolkit.io.refi.text import decode_text, resolve_quotes
from toolkit.io.safety import local_name, namespace

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
    resolve_quotes(project)
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


def parse_codebook(root: Element, *, file: str, warnings: list[str]) -> list[RefiCode]:
    """The codes of a parsed codebook (root ``CodeBook``) or project (root ``Project``).

    Args:
        root: the parsed XML root.
        file: the file name for messages.
        warnings: where a note on an unexpected namespace is added.

    Returns:
        The codes in file order.

    Raises:
        InputError: the root is neither <CodeBook> nor <Project>.
    """
    if local_name(root.tag) == "Project":
        codebook = _child(root, "CodeBook")
        return _parse_codes(_child(codebook, "Codes") if codebook is not None else None)
    if local_name(root.tag) == "CodeBook":
        _check_namespace(root, CODEBOOK_NS, file=file, warnings=warnings)
        return _parse_codes(_child(root, "Codes"))
    raise InputError(
        Problem(
            file,
            f"the root element is <{local_name(root.tag)}>, not <CodeBook>: not a REFI-QDA codebook",
        )
    )
