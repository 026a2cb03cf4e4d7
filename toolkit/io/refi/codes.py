"""REFI-QDA XML helpers and the codebook: ``<Codes>`` of a project or of a ``.qdc`` file.

Elements are matched by local name; an unexpected namespace is a warning, not a refusal.
Code nesting is walked with a stack, so a crafted depth is no RecursionError.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from xml.etree.ElementTree import Element

from toolkit.errors import InputError, Problem
from toolkit.io.refi.project import RefiCode
from toolkit.io.safexml import StreamTarget, local_name, namespace, parse_xml_stream

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"


def children(element: Element, name: str) -> list[Element]:
    return [child for child in element if local_name(child.tag) == name]


def first_child(element: Element, name: str) -> Element | None:
    for child in element:
        if local_name(child.tag) == name:
            return child
    return None


def text_of(element: Element | None, name: str) -> str | None:
    if element is None:
        return None
    child = first_child(element, name)
    if child is None or child.text is None:
        return None
    return child.text


def check_namespace(root: Element, expected: str, *, file: str, warnings: list[str]) -> None:
    found = namespace(root.tag)
    if found != expected:
        shown = f"'{found}'" if found else "no namespace"
        warnings.append(
            f"{file}: namespace {shown} instead of '{expected}'; read as REFI-QDA 1.0 by element names"
        )


# --- parsing --------------------------------------------------------------------------------


def parse_codes(codes: Element | None) -> list[RefiCode]:
    """Codes in file order (depth first), walked with a stack: nesting has no limit."""
    out: list[RefiCode] = []
    if codes is None:
        return out
    stack: list[tuple[Iterator[Element], str | None]] = [(iter(children(codes, "Code")), None)]
    while stack:
        element = next(stack[-1][0], None)
        if element is None:
            stack.pop()
            continue
        guid = element.get("guid") or ""
        out.append(
            RefiCode(
                guid=guid,
                name=element.get("name") or guid,
                parent=stack[-1][1],
                codable=(element.get("isCodable", "true").strip().lower() != "false"),
                description=text_of(element, "Description"),
                color=element.get("color"),
            )
        )
        stack.append((iter(children(element, "Code")), guid))
    return out


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
        codebook = first_child(root, "CodeBook")
        return parse_codes(first_child(codebook, "Codes") if codebook is not None else None)
    if local_name(root.tag) == "CodeBook":
        check_namespace(root, CODEBOOK_NS, file=file, warnings=warnings)
        return parse_codes(first_child(root, "Codes"))
    raise InputError(
        Problem(
            file,
            f"the root element is <{local_name(root.tag)}>, not <CodeBook>: not a REFI-QDA codebook",
        )
    )


def parse_codebook_stream(
    chunks: Iterable[bytes], *, file: str, warnings: list[str]
) -> list[RefiCode]:
    """:func:`parse_codebook` of a document fed in pieces; a project's sources, cases and
    the rest are dropped as they end, so only the codebook is ever held in memory."""
    found: list[list[RefiCode]] = []
    kind: list[str] = []

    def on_root(root: Element) -> None:
        kind.append(local_name(root.tag))
        if kind[0] == "CodeBook":
            check_namespace(root, CODEBOOK_NS, file=file, warnings=warnings)
        elif kind[0] != "Project":
            raise InputError(
                Problem(
                    file,
                    f"the root element is <{kind[0]}>, not <CodeBook>: not a REFI-QDA codebook",
                )
            )

    def on_section(element: Element) -> None:
        name = local_name(element.tag)
        if found:
            return
        if kind[0] == "CodeBook" and name == "Codes":
            found.append(parse_codes(element))
        elif kind[0] == "Project" and name == "CodeBook":
            found.append(parse_codes(first_child(element, "Codes")))

    target = StreamTarget(
        on_root=on_root,
        on_item=lambda _section, _element: None,
        on_section=on_section,
        keep=("CodeBook", "Codes"),
        file=file,
    )
    parse_xml_stream(chunks, file=file, target=target)
    return found[0] if found else []
