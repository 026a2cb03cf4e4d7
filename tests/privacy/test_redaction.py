"""Tests for toolkit.privacy.redaction: the default rules, names, places, patterns."""

from __future__ import annotations

import re

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.errors import InputError
from toolkit.manifest import Redaction
from toolkit.privacy import (
    redact_quotes,
    redact_text,
    redaction_rules,
)

# ------------------------------------------------------------------------------------------
# Redaction
# ------------------------------------------------------------------------------------------


DEFAULT_RULES = redaction_rules(Redaction())


@pytest.mark.parametrize(
    "text",
    [
        "seen on 2023-04-17 at the clinic",
        "since 17/04/2023 it hurts",
        "on 4.7.23 they said",
        "on 17 April 2023",
        "on the 3rd of March",
        "in March 2021",
        "by Sept. 12, 2020",
        "mail me at jane.doe+x@example.org please",
        "call +44 20 7946 0958",
        "call (0161) 496 0000",
        "phone 555-123-4567 anytime",
    ],
)
def test_default_rules_catch_dates_emails_phones(text: str) -> None:
    counts: dict[str, int] = {}
    out = redact_text(text, DEFAULT_RULES, counts=counts)
    assert "[redacted]" in out and sum(counts.values()) >= 1
    assert not re.search(r"\d{2}", out), out


@pytest.mark.parametrize(
    "text",
    [
        "I was 62 when it started",
        "three times in 2019 and 2020",
        "a 10 out of 10 pain",
        "May I say something",
    ],
)
def test_default_rules_leave_ordinary_numbers(text: str) -> None:
    assert redact_text(text, DEFAULT_RULES) == text


def test_names_and_places_whole_words_case_insensitive_with_counts() -> None:
    rules = Redaction(names=["Ann", "Dr Smith"], places=["Leeds"], patterns={"mrn": r"MRN\d+"})
    codings = pl.DataFrame(
        {
            "participant_id": ["a", "b", "c"],
            "quote": ["ann told DR SMITH in leeds", "Annette from Leedsville, MRN12345", None],
        }
    )
    out, counts = redact_quotes(codings, rules)
    assert out["quote"].to_list() == [
        "[redacted] told [redacted] in [redacted]",
        "Annette from Leedsville, [redacted]",
        None,
    ]
    assert dict(counts.iter_rows()) == {
        "emails": 0,
        "dates": 0,
        "phones": 0,
        "names": 2,
        "places": 1,
        "patterns.mrn": 1,
    }


def test_invalid_pattern_names_its_key() -> None:
    with pytest.raises(InputError) as info:
        redaction_rules(Redaction(patterns={"ok": "x+", "bad": "([a-z", "empty": "a*"}))
    lines = info.value.lines()
    assert len(lines) == 2
    assert "privacy.redact.patterns.bad" in lines[0] and "regular expression" in lines[0]
    assert "privacy.redact.patterns.empty" in lines[1]
    # Checking a study.yml skips compiling the built-in rules, and finds the same problems.
    with pytest.raises(InputError) as checked:
        redaction_rules(
            Redaction(patterns={"ok": "x+", "bad": "([a-z", "empty": "a*"}), builtin=False
        )
    assert checked.value.lines() == lines
    assert [r.name for r in redaction_rules(Redaction(names=["Ann"]), builtin=False)] == ["names"]


@given(
    text=st.one_of(
        st.text(alphabet=list("abn AN0123456789-/.:@+()[]redact,\n"), max_size=80),
        st.text(max_size=40),
    ),
    names=st.lists(st.sampled_from(["an", "Ann", "red", "act", "1"]), max_size=3),
    pattern=st.sampled_from(["", r"\d", r"re\w", r"\]", r"a\W"]),
)
def test_redaction_is_idempotent(text: str, names: list[str], pattern: str) -> None:
    redaction = Redaction(names=names, patterns={"p": pattern} if pattern else {})
    rules = redaction_rules(redaction)
    once = redact_text(text, rules)
    counts: dict[str, int] = {}
    assert redact_text(once, rules, counts=counts) == once
    assert sum(counts.values()) == 0
