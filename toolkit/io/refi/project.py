"""A REFI-QDA project as parsed: codes, sources, selections, cases and sets, by GUID."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


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


def unique_names(
    items: list[tuple[str, str]], *, what: str, file: str, warnings: list[str]
) -> dict[str, str]:
    """guid -> a human id: the name when unique, else the name with the GUID's start.

    Args:
        items: ``(guid, name)`` pairs, in order.
        what: what the items are ("code", "case", ...), for the warning.
        file: the file the items come from, for the warning.
        warnings: where a warning about repeated names is added.
    """
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
