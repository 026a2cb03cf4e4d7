"""Untrusted XML, parsed safely: whole (small files) or as a stream (project files).

Parsed with :mod:`defusedxml`: no DTD, no entity declarations (so neither external entities,
XXE, nor entity-expansion bombs, "billion laughs"), no external references. A project file is
fed to the parser in pieces and each finished item (a source, a case) is handed on and
forgotten, so memory follows the codings kept, not the size of the document; limits that no
real project reaches (:class:`XmlLimits`) stop a crafted one early.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

import defusedxml.ElementTree as DefusedET
from defusedxml import (
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
    NotSupportedError,
)
from defusedxml.ElementTree import DefusedXMLParser

from toolkit.errors import InputError, Problem

MiB = 1024 * 1024
# A real project has some thousands of codings (three elements each) and texts of a few MiB.
MAX_XML_ELEMENTS = 30_000_000
MAX_XML_TEXT = 64 * MiB


def local_name(tag: str) -> str:
    """``{urn:QDA-XML:project:1.0}Code`` -> ``Code``: namespace versions vary in real files."""
    return tag.rsplit("}", 1)[-1]


def namespace(tag: str) -> str | None:
    """The namespace of a ``{ns}name`` tag, or None."""
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else None


@contextlib.contextmanager
def _xml_errors(file: str) -> Iterator[None]:
    """Turn the XML parser's refusals into InputErrors naming ``file``."""
    try:
        yield
    except (
        DTDForbidden,
        EntitiesForbidden,
        ExternalReferenceForbidden,
        NotSupportedError,
    ) as error:
        kind = type(error).__name__
        raise InputError(
            Problem(
                file,
                f"refused: the XML declares a document type or entities ({kind}); REFI-QDA files "
                "never need them, and they can read local files or expand without bound. "
                "Export the project again from its program",
            )
        ) from None
    except ParseError as error:
        line, column = getattr(error, "position", (None, None))
        where = f" at line {line}, column {column}" if line is not None else ""
        raise InputError(
            Problem(
                file, f"not well-formed XML{where}: {error.msg if hasattr(error, 'msg') else error}"
            )
        ) from None
    except RecursionError:
        raise InputError(
            Problem(file, "refused: the XML nests elements too deeply to be a real project")
        ) from None


def parse_xml(data: bytes, *, file: str) -> Element:
    """Parse untrusted XML without DTDs, entities or external references.

    Args:
        data: the document's bytes (a UTF-8 byte-order mark is fine).
        file: the file name to put in error messages.

    Returns:
        The root element.

    Raises:
        InputError: the document declares a DTD or entities, refers to external resources,
            or is not well-formed XML (with the line and column the parser stopped at).
    """
    with _xml_errors(file):
        root: Element = DefusedET.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    return root


@dataclass(frozen=True)
class XmlLimits:
    """Bounds no real REFI-QDA project reaches, but a crafted one does."""

    max_elements: int = MAX_XML_ELEMENTS
    max_text: int = MAX_XML_TEXT


class StreamTarget:
    """A parser target that builds elements and hands each finished one on, then forgets it.

    ``on_item(section, element)`` is called for every finished grandchild of the root (an
    item of a section: a source, a case, a user) unless its section is listed in ``keep``;
    ``on_section(element)`` for every finished child of the root. Handed-on elements are
    removed from the tree, so memory stays proportional to one item (plus what the callbacks
    keep), not to the document.
    """

    def __init__(
        self,
        *,
        on_root: Callable[[Element], None],
        on_item: Callable[[str, Element], None],
        on_section: Callable[[Element], None],
        keep: tuple[str, ...] = (),
        file: str,
        limits: XmlLimits | None = None,
    ) -> None:
        self._tree = TreeBuilder()
        self._on_root, self._on_item, self._on_section = on_root, on_item, on_section
        self._keep = keep
        self._file = file
        self._limits = limits or XmlLimits()
        self._path: list[Element] = []
        self._depth = 0
        self._elements = 0
        self._text = 0

    def _refuse(self, what: str) -> InputError:
        return InputError(
            Problem(self._file, f"refused: {what}; no real project is this large. Export it again")
        )

    def start(self, tag: str, attrib: dict[str, str]) -> Element:
        self._elements += 1
        if self._elements > self._limits.max_elements:
            raise self._refuse(f"more than {self._limits.max_elements:,} XML elements")
        element = self._tree.start(tag, attrib)
        self._depth += 1
        self._text = 0
        if self._depth == 1:
            self._on_root(element)
        if self._depth <= 2:
            self._path.append(element)
        return element

    def data(self, text: str) -> None:
        self._text += len(text)
        if self._text > self._limits.max_text:
            raise self._refuse(f"a text of more than {self._limits.max_text:,} characters")
        self._tree.data(text)

    def end(self, tag: str) -> Element:
        element = self._tree.end(tag)
        self._text = 0
        if self._depth == 3:
            section = self._path[1]
            if local_name(section.tag) not in self._keep:
                self._on_item(local_name(section.tag), element)
                del section[:]
        elif self._depth == 2:
            self._on_section(element)
            del self._path[0][:]
            self._path.pop()
        self._depth -= 1
        return element

    def close(self) -> Element:
        return self._tree.close()


def parse_xml_stream(chunks: Iterable[bytes], *, file: str, target: StreamTarget) -> None:
    """Feed untrusted XML to ``target`` chunk by chunk (no DTDs, entities or external
    references, as :func:`parse_xml`); the document is never held whole in memory.

    Raises:
        InputError: as :func:`parse_xml`, or a limit of :class:`XmlLimits` is passed.
    """
    with _xml_errors(file):
        parser = DefusedXMLParser(
            target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
        for chunk in chunks:
            parser.feed(chunk)
        parser.close()
