"""toolkit.io.safexml: untrusted XML as a stream, items handed on and forgotten, bounded."""

from __future__ import annotations

from xml.etree.ElementTree import Element

import pytest

from toolkit.errors import InputError
from toolkit.io.safexml import StreamTarget, XmlLimits, parse_xml_stream

DOCUMENT = (
    b'<?xml version="1.0"?><Project><CodeBook><Codes><Code guid="a"><Code guid="b"/></Code>'
    b"</Codes></CodeBook><Sources><TextSource guid='s1'><Sel/></TextSource>"
    b"<TextSource guid='s2'/></Sources><Notes><Note>a note</Note></Notes></Project>"
)


def _target(seen: list[tuple[str, str, int]], **limits: int) -> StreamTarget:
    def on_item(section: str, element: Element) -> None:
        seen.append((section, element.get("guid") or element.tag, len(element)))

    def on_section(element: Element) -> None:
        # Items already handed on are gone; a kept section arrives whole.
        seen.append(("section", element.tag, len(list(element.iter())) - 1))

    return StreamTarget(
        on_root=lambda root: seen.append(("root", root.tag, 0)),
        on_item=on_item,
        on_section=on_section,
        keep=("CodeBook",),
        file="p.qde",
        limits=XmlLimits(**limits),
    )


def _chunks(data: bytes, size: int = 7) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_items_are_handed_on_in_order_and_forgotten() -> None:
    seen: list[tuple[str, str, int]] = []
    parse_xml_stream(_chunks(DOCUMENT), file="p.qde", target=_target(seen))
    assert seen == [
        ("root", "Project", 0),
        ("section", "CodeBook", 3),  # kept: Codes, Code, Code
        ("Sources", "s1", 1),
        ("Sources", "s2", 0),
        ("section", "Sources", 0),  # its items were dropped as they ended
        ("Notes", "Note", 0),
        ("section", "Notes", 0),
    ]


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"max_elements": 5}, "more than 5 XML elements"),
        ({"max_text": 3}, "a text of more than 3 characters"),
    ],
)
def test_limits_stop_a_crafted_document(limits: dict[str, int], message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_xml_stream(_chunks(DOCUMENT), file="p.qde", target=_target([], **limits))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa">]><Project>&a;</Project>',
            "declares a document type",
        ),
        (b"<Project><Sources></Project>", "not well-formed XML at line 1"),
    ],
)
def test_unsafe_or_broken_xml_is_refused_while_streaming(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_xml_stream(_chunks(data), file="p.qde", target=_target([]))
