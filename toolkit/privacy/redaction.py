"""Quote redaction: the study's rules (e-mails, dates, phones, names, places, patterns).

The rules come from ``privacy.redact`` in study.yml; :func:`redact_quotes` applies them to
every quote, with the quote's own participant id, and counts the redactions per rule for the
provenance.

Rules match a *normalised* copy of the text (:func:`normalise`: Unicode NFKC, soft hyphens
and zero-width characters dropped, every run of whitespace and line breaks one space, curly
apostrophes straight, dash-like hyphens "-"), so "Dr  Ferris" across a line break, "O’Brien"
listed as "O'Brien" or a soft hyphen inside a name are found; each match is mapped back to
the span of the original text it came from, and that span is replaced.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from toolkit.model.patterns import compile_patterns

if TYPE_CHECKING:
    from toolkit.manifest import Redaction

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
DATE_PATTERN = (
    r"(?<![\w+])(?:"
    r"\d{4}[./-]\d{1,2}[./-]\d{1,2}"  # 2024-03-05, 2023/04/17
    r"|\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})"  # 05/03/2024, 5.3.24, 05-03-2024
    rf"|{_DAY}[./-]{_MONTHS}[./-](?:\d{{4}}|\d{{2}})"  # 17-Apr-2023
    rf"|{_DAY}\s+(?:of\s+)?{_MONTHS}(?:,?\s+\d{{4}})?"  # 5 March 2024, 5th of March
    rf"|{_MONTHS}\s+{_DAY}(?:,?\s+\d{{4}})?"  # March 5, 2024
    rf"|{_MONTHS}\s+\d{{4}}"  # March 2024
    r")(?!\w)(?![./-]\d)"
)
EMAIL_PATTERN = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
PHONE_PATTERN = (
    r"(?<![\w+])(?:"
    r"(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,5}\)[\s.-]?)?\d{2,6}(?:[\s.-]\d{2,6}){1,5}"  # grouped
    r"|\+\d{8,15}|0\d{9,11}"  # +447700900123, 07700900123
    r")(?![\w])"
)
PHONE_MIN_DIGITS = 7


@dataclass(frozen=True)
class Rule:
    """One redaction rule: a name (as counted in the provenance) and a compiled pattern."""

    name: str
    pattern: re.Pattern[str]
    accept: Callable[[str], bool] | None = None


def _phone_like(text: str) -> bool:
    return sum(ch.isdigit() for ch in text) >= PHONE_MIN_DIGITS


#: Dropped before matching: soft hyphen, zero-width space/joiners, word joiner, BOM.
_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")
_SAME = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u02bc\u2032\u0060\u00b4", "'"),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2212", "-"),
    }
)


def normalise(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The text rules are matched against, and where each of its characters came from.

    Unicode NFKC (per character with its combining marks), soft hyphens and zero-width
    characters dropped, each run of whitespace (line breaks included) one space, curly
    apostrophes straight, dash-like hyphens "-".

    Returns:
        ``(normalised, spans)``: ``spans[i]`` is the ``(start, end)`` of the original text
        that normalised character ``i`` came from.
    """
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    size = len(text)
    position = 0
    # Plain printable ASCII between the characters that need work is copied as it is.
    for match in _SPECIAL.finditer(text):
        i = match.start()
        if i < position:
            continue
        if i > position:
            out.append(text[position:i])
            spans.extend(zip(range(position, i), range(position + 1, i + 1), strict=True))
        ch = text[i]
        if ch in _INVISIBLE:
            position = i + 1
            continue
        if ch.isspace():
            j = i
            while j < size and (text[j].isspace() or text[j] in _INVISIBLE):
                j += 1
            if out and out[-1].endswith(" "):  # after a space NFKC made ("¸" is " ̧")
                spans[-1] = (spans[-1][0], j)
            else:
                out.append(" ")
                spans.append((i, j))
            position = j
            continue
        first = i
        plain_before = (
            spans and spans[-1] == (i - 1, i) and (len(spans) < 2 or spans[-2] != (i - 1, i))
        )
        if unicodedata.combining(ch) and plain_before and out[-1]:
            # A mark on the plain character before it: normalised together ("e" + "́").
            first = i - 1
            out[-1] = out[-1][:-1]
            spans.pop()
        j = i + 1
        while j < size and unicodedata.combining(text[j]):
            j += 1
        piece = unicodedata.normalize("NFKC", text[first:j]).translate(_SAME)
        for char in piece:
            if char.isspace() and out and out[-1].endswith(" "):
                spans[-1] = (spans[-1][0], j)
                continue
            out.append(" " if char.isspace() else char)
            spans.append((first, j))
        position = j
    if position < size:
        out.append(text[position:])
        spans.extend(zip(range(position, size), range(position + 1, size + 1), strict=True))
    return "".join(out), spans


#: Characters :func:`normalise` must look at: whitespace, anything beyond printable ASCII,
#: the backtick (an apostrophe).
_SPECIAL = re.compile(r"[^\x21-\x5f\x61-\x7e]")


def _normalised_value(value: str) -> str:
    return normalise(value.strip())[0]


def _words(values: Sequence[str]) -> str:
    escaped = sorted(
        (re.escape(_normalised_value(v)) for v in values if v.strip()), key=len, reverse=True
    )
    return r"(?<!\w)(?:" + "|".join(escaped) + r")(?!\w)"


def id_rule(participant_id: str) -> Rule | None:
    """A rule finding a participant's own raw id in a quote ("MRN-48207", "mrn 48207").

    Only ids of 3 characters or more with a digit in them: "a" or "JD" would redact ordinary
    words. Separators inside the id match any separator (or none).
    """
    value = _normalised_value(participant_id)
    if len(value) < 3 or not any(ch.isdigit() for ch in value):
        return None
    parts = [re.escape(p) for p in re.split(r"[\s\-_./:#]+", value) if p]
    if not parts:
        return None
    pattern = r"(?<!\w)" + r"[\s\-_./:#]?".join(parts) + r"(?!\w)"
    return Rule(ID_RULE, re.compile(pattern, re.IGNORECASE))


#: The counted name of the rule that redacts a quote's own participant id.
ID_RULE = "participant ids"


def redaction_rules(
    redaction: Redaction, *, file: str = "study.yml", builtin: bool = True
) -> list[Rule]:
    """Compile ``privacy.redact`` into rules, in the order they are applied.

    Order: e-mail addresses, dates, phone numbers (the defaults, when ``defaults`` is true),
    then ``names`` and ``places`` (whole words, case-insensitive), then each entry of
    ``patterns`` (named by its key, ``patterns.<key>``).

    ``builtin=False`` leaves out the three default rules (fixed patterns that always
    compile): enough to check a study.yml, without the cost of compiling them.

    Raises:
        InputError: a pattern is not a valid regular expression, or matches empty text;
            the problem names its key (``privacy.redact.patterns.<key>``).
    """
    rules: list[Rule] = []
    if redaction.defaults and builtin:
        rules.append(Rule("emails", re.compile(EMAIL_PATTERN)))
        rules.append(Rule("dates", re.compile(DATE_PATTERN, re.IGNORECASE)))
        rules.append(Rule("phones", re.compile(PHONE_PATTERN), accept=_phone_like))
    if [n for n in redaction.names if n.strip()]:
        rules.append(Rule("names", re.compile(_words(redaction.names), re.IGNORECASE)))
    if [p for p in redaction.places if p.strip()]:
        rules.append(Rule("places", re.compile(_words(redaction.places), re.IGNORECASE)))
    # The study's own patterns, checked once with the messages validation gives.
    compiled = compile_patterns(redaction.patterns, file=file)
    rules.extend(Rule(f"patterns.{key}", pattern) for key, pattern in compiled.items())
    return rules


#: Text that needs no normalisation: printable ASCII (no backtick) and single spaces.
_NEEDS_NORMALISING = re.compile(r"[^\x21-\x5f\x61-\x7e ]| {2}")


def _redact_piece(
    text: str, rules: Sequence[Rule], replacement: str, counts: dict[str, int]
) -> str:
    """Apply the rules in order to the normalised text, each to what earlier rules left
    (a match is never looked at again), and replace the original spans they matched.

    The text is normalised once (not at all when it is plain ASCII with single spaces): a
    quotation costs a few regular-expression passes, as without normalisation.
    """
    if not rules or not text:
        return text
    if _NEEDS_NORMALISING.search(text) is None:
        normalised, spans = text, None
    else:
        normalised, spans = normalise(text)
    segments = [(0, len(normalised))]
    cuts: list[tuple[int, int]] = []
    for rule in rules:
        found = 0
        remaining: list[tuple[int, int]] = []
        for low, high in segments:
            # A slice of its own, as if the text around it were already replaced: a
            # lookbehind at its start sees nothing, as it would see "[redacted]".
            position = low
            for match in rule.pattern.finditer(normalised[low:high]):
                if match.end() == match.start():
                    continue
                if rule.accept is not None and not rule.accept(match.group(0)):
                    continue
                remaining.append((position, low + match.start()))
                cuts.append((low + match.start(), low + match.end()))
                position = low + match.end()
                found += 1
            remaining.append((position, high))
        segments = [(a, b) for a, b in remaining if b > a]
        counts[rule.name] = counts.get(rule.name, 0) + found
    if not cuts:
        return text
    out: list[str] = []
    position = 0
    for start, end in sorted(cuts):
        if spans is not None:
            start, end = spans[start][0], spans[end - 1][1]
        out.append(text[position:start])
        out.append(replacement)
        position = end
    out.append(text[position:])
    return "".join(out)


def redact_text(
    text: str,
    rules: Sequence[Rule],
    *,
    replacement: str = "[redacted]",
    counts: dict[str, int] | None = None,
) -> str:
    """Redact one text; idempotent.

    Text already replaced is never looked at again (the text is split on ``replacement``),
    and the rules are applied until nothing changes, so redacting twice equals redacting once.
    """
    tally = counts if counts is not None else {}
    for rule in rules:
        tally.setdefault(rule.name, 0)
    while True:
        pieces = text.split(replacement) if replacement else [text]
        new = replacement.join(_redact_piece(p, rules, replacement, tally) for p in pieces)
        if new == text:
            return new
        text = new


def redact_quotes(
    codings: pl.DataFrame, redaction: Redaction, *, column: str = "quote", file: str = "study.yml"
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Apply the study's redaction rules to every quote, and its own participant's raw id.

    Args:
        codings: a frame with a ``quote`` column (null quotes stay null), and
            ``participant_id`` (raw ids: each quote's own id is redacted, see :func:`id_rule`).
        redaction: ``study.manifest.privacy.redact``.
        column: the text column to redact.
        file: the manifest name for error messages.

    Returns:
        ``(redacted frame, counts)`` where counts is a frame ``rule, redactions`` with one row
        per rule in the order applied (zero counts included, for the provenance), then
        ``participant ids`` when the frame has participant ids.

    Raises:
        InputError: an invalid pattern in study.yml (see :func:`redaction_rules`).
    """
    rules = redaction_rules(redaction, file=file)
    counts: dict[str, int] = {rule.name: 0 for rule in rules}
    has_ids = "participant_id" in codings.columns
    if has_ids:
        counts[ID_RULE] = 0
    if column in codings.columns:
        owners = codings["participant_id"].to_list() if has_ids else [None] * codings.height
        own: dict[str, Rule | None] = {}
        values: list[str | None] = []
        for value, owner in zip(codings[column].to_list(), owners, strict=True):
            if value is None:
                values.append(None)
                continue
            extra: list[Rule] = []
            if owner is not None:
                if owner not in own:
                    own[owner] = id_rule(str(owner))
                found = own[owner]
                extra = [] if found is None else [found]
            values.append(
                redact_text(
                    value, [*rules, *extra], replacement=redaction.replacement, counts=counts
                )
            )
        codings = codings.with_columns(pl.Series(column, values, dtype=pl.String))
    tally = pl.DataFrame(
        {"rule": list(counts), "redactions": list(counts.values())},
        schema={"rule": pl.String, "redactions": pl.Int64},
    )
    return codings, tally
