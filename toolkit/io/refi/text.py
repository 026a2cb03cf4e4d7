"""Text positions: decoding source texts, counting in code points or UTF-16 units, quotes."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from typing import Literal

from toolkit.io.refi.project import RefiProject, RefiSelection

_ELLIPSIS = ("…", "...")

Units = Literal["codepoints", "utf16"]


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


def resolve_quotes(project: RefiProject) -> None:
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
            lost = 0
            for selection in selections:
                selection.quote = selection.own_text or _fallback_name(selection)
                lost += selection.quote is None
            if lost:
                project.warnings.append(
                    f"{project.file}: the text of {lost} coded segment(s) in source "
                    f"'{source.name}' cannot be recovered (the source file is not in the project "
                    "and the selections carry no text of their own): they count, without a quote"
                )
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


#: A selection name that only says where the selection is ("line:409", "para 3", "12-40"),
#: which some programs write when they have no text: not a quotation.
PLACEHOLDER_NAME = re.compile(
    r"^(?:(?:line|lines|para|paragraph|par|pos|position|char|chars|page|p|seg|segment|"
    r"selection|sel)\s*[:#.]?\s*)?\d+(?:\s*[-–:,/]\s*\d+)*$",
    re.IGNORECASE,
)


def _fallback_name(selection: RefiSelection) -> str | None:
    name = (selection.name or "").strip()
    if not name or PLACEHOLDER_NAME.match(name):
        return None
    return name


def _label(selection: RefiSelection) -> str:
    name = (selection.name or "").strip()
    return f"{selection.guid} '{name[:40]}'" if name else selection.guid
