"""XML parsing: a REFI-QDA project (root ``Project``) or codebook (root ``CodeBook``).

Elements are matched by local name; an unexpected namespace is a warning, not a refusal.
Source texts come from a reader of ``internal://`` files (see :mod:`toolkit.io.refi.files`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import PurePosixPath
from xml.etree.ElementTree import Element

from toolkit.errors import InputError, Problem
from toolkit.io.refi.codes import (
    PROJECT_NS,
    check_namespace,
    children,
    first_child,
    parse_codes,
    text_of,
)
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
from toolkit.io.safexml import StreamTarget, local_name, parse_xml_stream

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


def _int(value: str | None, *, file: str, what: str) -> int | None:
    if value is None or value.strip() == "":
        return None
    try:
        number = int(value.strip())
    except ValueError:
        raise InputError(
            Problem(file, f"{what}: '{value[:40]}' is not a whole number", column=what)
        ) from None
    if not 0 <= number < 2**63:
        raise InputError(
            Problem(file, f"{what}: {value.strip()[:40]} is not a position in a text", column=what)
        )
    return number


class _Builder:
    """A project assembled from its root's sections, one finished item at a time."""

    def __init__(self, *, file: str, read_internal: Callable[[str], bytes | None]) -> None:
        self.file = file
        self.read_internal = read_internal
        self.warnings: list[str] = []
        self.name: str | None = None
        self.origin: str | None = None
        self.users: dict[str, str] = {}
        self.codes: list[RefiCode] | None = None
        self.variables: dict[str, RefiVariable] = {}
        self.cases: list[RefiCase] = []
        self.sources: list[RefiSource] = []
        self.selections: list[RefiSelection] = []
        self.sets: list[RefiSet] = []
        self.missing: list[str] = []
        self.external: list[str] = []

    def root(self, root: Element) -> None:
        if local_name(root.tag) != "Project":
            raise InputError(
                Problem(
                    self.file,
                    f"the root element is <{local_name(root.tag)}>, not <Project>: "
                    "this is not a REFI-QDA project (a codebook is a .qdc file)",
                )
            )
        check_namespace(root, PROJECT_NS, file=self.file, warnings=self.warnings)
        self.name, self.origin = root.get("name"), root.get("origin")

    def section(self, element: Element) -> None:
        if local_name(element.tag) == "CodeBook" and self.codes is None:
            self.codes = parse_codes(first_child(element, "Codes"))

    def item(self, section: str, element: Element) -> None:
        kind = local_name(element.tag)
        if section == "Users" and kind == "User":
            self.users[element.get("guid") or ""] = (
                element.get("name") or element.get("id") or element.get("guid") or ""
            )
        elif section == "Variables" and kind == "Variable":
            guid = element.get("guid") or ""
            self.variables[guid] = RefiVariable(
                guid=guid,
                name=(element.get("name") or "").strip(),
                type=element.get("typeOfVariable") or "Text",
            )
        elif section == "Cases" and kind == "Case":
            self.cases.append(_case(element))
        elif section == "Sources" and kind in SOURCE_KINDS:
            self._source(element, kind)
        elif section == "Sets" and kind == "Set":
            self.sets.append(_set(element))

    def _source(self, element: Element, kind: str) -> None:
        guid = element.get("guid") or ""
        path = element.get("plainTextPath") if kind == "TextSource" else element.get("path")
        source = RefiSource(
            guid=guid, kind=kind, name=(element.get("name") or guid).strip(), path=path
        )
        self.sources.append(source)
        if kind == "TextSource":
            source.text = _source_text(
                path,
                file=self.file,
                read_internal=self.read_internal,
                warnings=self.warnings,
                missing=self.missing,
                external=self.external,
            )
        _collect_selections(
            element,
            source,
            self.selections,
            file=self.file,
            read_internal=self.read_internal,
            warnings=self.warnings,
            missing=self.missing,
            external=self.external,
        )

    def finish(self) -> RefiProject:
        file, warnings = self.file, self.warnings
        if self.missing:
            warnings.append(
                f"{file}: {len(self.missing)} source text file(s) are not in the project "
                f"(for example '{self.missing[0]}'): quotes come from the selections' own text "
                "or names"
            )
        if self.external:
            warnings.append(
                f"{file}: {len(self.external)} source(s) live outside the project "
                f"({self.external[0]}, …) and are not read from disk: quotes come from the "
                "selections' own text or names"
            )
        project = RefiProject(
            file=file,
            name=self.name,
            origin=self.origin,
            users=self.users,
            codes=self.codes or [],
            sources=self.sources,
            selections=self.selections,
            variables=self.variables,
            cases=self.cases,
            sets=self.sets,
            warnings=warnings,
        )
        resolve_quotes(project)
        return project


def _case(case: Element) -> RefiCase:
    values = []
    for value in children(case, "VariableValue"):
        ref = first_child(value, "VariableRef")
        target = ref.get("targetGUID") if ref is not None else None
        for kind in VALUE_KINDS:
            text = text_of(value, kind)
            if target and text is not None:
                values.append((target, kind, text.strip()))
    return RefiCase(
        guid=case.get("guid") or "",
        name=(case.get("name") or case.get("guid") or "").strip(),
        description=text_of(case, "Description"),
        source_refs=tuple(r.get("targetGUID") or "" for r in children(case, "SourceRef")),
        selection_refs=tuple(r.get("targetGUID") or "" for r in children(case, "SelectionRef")),
        code_refs=tuple(r.get("targetGUID") or "" for r in children(case, "CodeRef")),
        values=tuple(values),
    )


def _set(item: Element) -> RefiSet:
    return RefiSet(
        guid=item.get("guid") or "",
        name=(item.get("name") or "").strip(),
        sources=tuple(m.get("targetGUID") or "" for m in children(item, "MemberSource")),
        codes=tuple(m.get("targetGUID") or "" for m in children(item, "MemberCode")),
    )


def parse_project(
    root: Element,
    *,
    file: str,
    read_internal: Callable[[str], bytes | None],
) -> RefiProject:
    """Parse the root ``Project`` element of a ``project.qde`` (already a whole tree).

    Args:
        root: the parsed XML root.
        file: the file name for messages.
        read_internal: returns the bytes of an ``internal://`` file name, or None when absent.
    """
    builder = _Builder(file=file, read_internal=read_internal)
    builder.root(root)
    for section in root:
        if local_name(section.tag) != "CodeBook":
            for item in section:
                builder.item(local_name(section.tag), item)
        builder.section(section)
    return builder.finish()


def parse_project_stream(
    chunks: Iterable[bytes],
    *,
    file: str,
    xml_file: str | None = None,
    read_internal: Callable[[str], bytes | None],
) -> RefiProject:
    """Parse a ``project.qde`` fed in pieces: each source, case or user is read when its
    element ends and then dropped, so memory follows the codings, not the file's size.

    Args:
        chunks: the document's bytes in pieces.
        file: the file name for messages.
        xml_file: the name for XML syntax errors (default ``file``).
        read_internal: returns the bytes of an ``internal://`` file name, or None when absent.

    Raises:
        InputError: the XML is unsafe, malformed, too large, or not a REFI-QDA project.
    """
    builder = _Builder(file=file, read_internal=read_internal)
    target = StreamTarget(
        on_root=builder.root,
        on_item=builder.item,
        on_section=builder.section,
        keep=("CodeBook",),
        file=xml_file or file,
    )
    parse_xml_stream(chunks, file=xml_file or file, target=target)
    return builder.finish()


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
    scheme, separator, rest = path.partition("://")
    if not separator:  # "sources/x.txt" or "x.txt": a file of the project, no scheme written
        scheme, rest = "internal", path
    member = PurePosixPath(rest.replace("\\", "/")).name
    # Only ever read inside the project: a relative:// or absolute:// path is looked up by
    # its file name in the project's sources, never followed.
    data = read_internal(member)
    if data is None:
        if scheme.lower() == "internal":
            missing.append(member)
        else:
            external.append(path)
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
) -> None:
    """Selections anywhere under a source (a PDF's Representation, a video's Transcript).

    Walked with a stack, in file order: a crafted nesting has no depth limit.
    """
    stack: list[tuple[Iterator[Element], str | None]] = [(iter(element), source.text)]
    while stack:
        child = next(stack[-1][0], None)
        if child is None:
            stack.pop()
            continue
        own_text = stack[-1][1]
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
                nested = text_of(child, "PlainTextContent")
            stack.append((iter(child), source.text if nested is None else nested))
            continue
        if kind in SELECTION_KINDS:
            out.append(_selection(child, kind, source, own_text, file=file))


def _selection(
    child: Element, kind: str, source: RefiSource, own_text: str | None, *, file: str
) -> RefiSelection:
    guid = child.get("guid") or ""
    representation = first_child(child, "Representation")
    plain = kind == "PlainTextSelection"
    selection = RefiSelection(
        guid=guid,
        kind=kind,
        name=child.get("name"),
        source=source.guid,
        start=_int(child.get("startPosition"), file=file, what=f"startPosition of selection {guid}")
        if plain
        else None,
        end=_int(child.get("endPosition"), file=file, what=f"endPosition of selection {guid}")
        if plain
        else None,
        own_text=text_of(representation, "PlainTextContent") or text_of(child, "PlainTextContent"),
        user=child.get("creatingUser"),
    )
    selection.quote = own_text  # provisional: the text this selection's positions index
    for coding in children(child, "Coding"):
        ref = first_child(coding, "CodeRef")
        selection.codings.append(
            RefiCoding(
                guid=coding.get("guid") or "",
                code=(ref.get("targetGUID") or "") if ref is not None else "",
                user=coding.get("creatingUser") or child.get("creatingUser"),
                selection=guid,
            )
        )
    return selection
