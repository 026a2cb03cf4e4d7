"""Quote redaction: the study's rules (e-mails, dates, phones, names, places, patterns).

The rules come from ``privacy.redact`` in study.yml; :func:`redact_quotes` applies them to
every quote and counts the redactions per rule for the provenance.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from toolkit.errors import InputError, Problem

if TYPE_CHECKING:
    from toolkit.manifest import Redaction

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
DATE_PATTERN = (
    r"(?<!\w)(?:"
    r"\d{4}-\d{1,2}-\d{1,2}"  # 2024-03-05
    r"|\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})"  # 05/03/2024, 5.3.24, 05-03-2024
    rf"|{_DAY}\s+(?:of\s+)?{_MONTHS}(?:,?\s+\d{{4}})?"  # 5 March 2024, 5th of March
    rf"|{_MONTHS}\s+{_DAY}(?:,?\s+\d{{4}})?"  # March 5, 2024
    rf"|{_MONTHS}\s+\d{{4}}"  # March 2024
    r")(?!\w)"
)
EMAIL_PATTERN = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
PHONE_PATTERN = (
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,5}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,5}){1,5}(?![\w])"
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


def _words(values: Sequence[str]) -> str:
    escaped = sorted((re.escape(v.strip()) for v in values if v.strip()), key=len, reverse=True)
    return r"(?<!\w)(?:" + "|".join(escaped) + r")(?!\w)"


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
    problems = []
    for key, source in redaction.patterns.items():
        column = f"privacy.redact.patterns.{key}"
        try:
            compiled = re.compile(source)
        except re.error as error:
            problems.append(
                Problem(
                    file,
                    f"not a valid regular expression ({error}); fix or remove it",
                    column=column,
                )
            )
            continue
        if compiled.search("") is not None:
            problems.append(
                Problem(
                    file,
                    "the pattern matches empty text, so it would redact everywhere; make it match at least one character",
                    column=column,
                )
            )
            continue
        rules.append(Rule(f"patterns.{key}", compiled))
    if problems:
        raise InputError(problems)
    return rules


def _redact_piece(
    text: str, rules: Sequence[Rule], replacement: str, counts: dict[str, int]
) -> str:
    for rule in rules:
        found = 0

        def substitute(match: re.Match[str], rule: Rule = rule) -> str:
            nonlocal found
            if rule.accept is not None and not rule.accept(match.group(0)):
                return match.group(0)
            found += 1
            return replacement

        text = rule.pattern.sub(substitute, text)
        counts[rule.name] += found
    return text


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
    """Apply the study's redaction rules to every quote.

    Args:
        codings: a frame with a ``quote`` column (null quotes stay null).
        redaction: ``study.manifest.privacy.redact``.
        column: the text column to redact.
        file: the manifest name for error messages.

    Returns:
        ``(redacted frame, counts)`` where counts is a frame ``rule, redactions`` with one row
        per rule in the order applied (zero counts included, for the provenance).

    Raises:
        InputError: an invalid pattern in study.yml (see :func:`redaction_rules`).
    """
    rules = redaction_rules(redaction, file=file)
    counts: dict[str, int] = {rule.name: 0 for rule in rules}
    if column in codings.columns:
        values = [
            None
            if v is None
            else redact_text(v, rules, replacement=redaction.replacement, counts=counts)
            for v in codings[column].to_list()
        ]
        codings = codings.with_columns(pl.Series(column, values, dtype=pl.String))
    tally = pl.DataFrame(
        {"rule": list(counts), "redactions": list(counts.values())},
        schema={"rule": pl.String, "redactions": pl.Int64},
    )
    return codings, tally
