"""Participants of a REFI-QDA project: by Cases, by document sets, else one per source.

Also the attributes of each participant (Cases' variables, or sets named "attribute: value")
with the types the project declares.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from toolkit.errors import InputError, Problem
from toolkit.io.refi.project import RefiProject, unique_names

NUMERIC_VARIABLES = ("Integer", "Float")
_ATTRIBUTE_SET = re.compile(r"^\s*([^:]+?)\s*:\s*(.+?)\s*$")


@dataclass
class Assignment:
    """Who each selection belongs to."""

    mode: str
    participants: list[str]  # participant ids, in order
    attributes: dict[str, dict[str, str | float | None]]  # column -> participant -> value
    types: dict[str, Literal["numeric", "categorical"]]
    of_selection: dict[str, str]  # selection guid -> participant id
    extra_codings: list[tuple[str, str]] = field(default_factory=list)  # (participant, code guid)
    case_codes: set[str] = field(default_factory=set)
    # A selection in several cases' turns (a focus-group segment covering two speakers)
    # counts for each: the owners after the first.
    also_of: dict[str, list[str]] = field(default_factory=dict)


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


def _assign_by_cases(project: RefiProject, warnings: list[str]) -> Assignment | None:
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
    ids = unique_names(
        [(c.guid, c.name) for c in project.cases], what="case", file=project.file, warnings=warnings
    )
    selections = {s.guid: s for s in project.selections}
    of_selection: dict[str, str] = {}
    also_of: dict[str, list[str]] = {}
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
            if ref in of_selection and of_selection[ref] != ids[case.guid]:
                also_of.setdefault(ref, []).append(ids[case.guid])
            else:
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
                # The selection counts for every case whose range it overlaps (speakers'
                # turns), the largest overlap first.
                owners = list(dict.fromkeys(cid for _, cid in best))
                owner = owners[0]
                if len(owners) > 1:
                    also_of[selection.guid] = owners[1:]
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
    columns = unique_names(
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
    return Assignment(
        mode, participants, attributes, types, of_selection, extra, case_codes, also_of
    )


def _assign_by_sets(project: RefiProject, warnings: list[str]) -> Assignment | None:
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
    ids = unique_names(
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
    return Assignment("sets", participants, attributes, types, of_selection)


def _assign_by_source(project: RefiProject, warnings: list[str]) -> Assignment:
    text_sources = [s for s in project.sources if s.kind == "TextSource"]
    ids = unique_names(
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
    return Assignment("sources", participants, {}, {}, of_selection)


def assign_participants(project: RefiProject, warnings: list[str]) -> Assignment:
    """Who each selection belongs to: by Cases, else by document sets, else by source.

    Args:
        project: the parsed project.
        warnings: where notes on how participants were found are added.

    Raises:
        InputError: a numeric variable holds a value that is not a number, or a participant
            set is in two sets for the same attribute.
    """
    return (
        _assign_by_cases(project, warnings)
        or _assign_by_sets(project, warnings)
        or _assign_by_source(project, warnings)
    )
