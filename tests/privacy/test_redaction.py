"""Tests for toolkit.privacy.redaction: the default rules, names, places, patterns."""

from __future__ import annotations

import itertools
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
        "participant ids": 0,
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


# ------------------------------------------------------------------------------------------
# Issue 14 item 8: what redaction missed
# ------------------------------------------------------------------------------------------

LISTED = redaction_rules(Redaction(names=["Dr Ferris", "O'Brien", "Tamsin"], places=["St Mary's"]))


@pytest.mark.parametrize(
    ("text", "left"),
    [
        ("then Dr  Ferris said", "then [redacted] said"),
        ("then Dr\nFerris said", "then [redacted] said"),
        ("then Dr \r\n  Ferris said", "then [redacted] said"),
        ("Mrs O\u2019Brien came", "Mrs [redacted] came"),
        ("at St Mary\u2019s ward", "at [redacted] ward"),
        ("Tam\u00adsin rang", "[redacted] rang"),
        ("Tam\u200bsin rang", "[redacted] rang"),
        ("\uff34amsin rang", "[redacted] rang"),  # fullwidth T: NFKC
        ("Dr\u00a0Ferris", "[redacted]"),  # no-break space
    ],
)
def test_names_are_found_in_normalised_text_and_replaced_in_the_original(
    text: str, left: str
) -> None:
    assert redact_text(text, LISTED) == left


@pytest.mark.parametrize(
    "text",
    [
        "ring 07700 900123 tonight",
        "ring +44 7700 900123 tonight",
        "ring 07700900123 tonight",
        "ring +447700900123 tonight",
        "ring +44-20-7946-0958 tonight",
        "ring (020) 7946 0958 tonight",
        "seen 2023/04/17 in clinic",
        "seen 17-Apr-2023 in clinic",
        "seen 17.Apr.23 in clinic",
    ],
)
def test_uk_phones_and_more_dates_are_redacted_whole(text: str) -> None:
    out = redact_text(text, DEFAULT_RULES)
    assert out.startswith(("ring [redacted] tonight", "seen [redacted] in clinic")), out
    assert not re.search(r"\d", out), out


def test_the_participants_own_raw_id_is_redacted() -> None:
    codings = pl.DataFrame(
        {
            "participant_id": ["MRN-48207", "MRN-48207", "a", "P7"],
            "quote": [
                "my number is MRN-48207, write it down",
                "they said mrn 48207 at the desk",
                "a is a letter",
                "P7 is too short to be sure",
            ],
        }
    )
    out, counts = redact_quotes(codings, Redaction())
    assert out["quote"].to_list() == [
        "my number is [redacted], write it down",
        "they said [redacted] at the desk",
        "a is a letter",
        "P7 is too short to be sure",
    ]
    assert dict(counts.iter_rows())["participant ids"] == 2


def test_normalise_maps_back_to_the_original() -> None:
    from toolkit.privacy import normalise

    text = "O\u2019Bri\u00adan \n\n e\u0301"
    normalised, spans = normalise(text)
    assert normalised == "O'Brian \u00e9"
    assert len(spans) == len(normalised)
    assert text[spans[0][0] : spans[6][1]] == "O\u2019Bri\u00adan"
    assert spans[7] == (8, 12) and spans[8] == (12, 14)


@given(text=st.text(max_size=60))
def test_normalise_spans_cover_the_text_in_order(text: str) -> None:
    from toolkit.privacy import normalise

    normalised, spans = normalise(text)
    assert len(spans) == len(normalised)
    assert all(0 <= a < b <= len(text) for a, b in spans)
    assert all(x[0] <= y[0] for x, y in itertools.pairwise(spans))
    assert "  " not in normalised and "\u00ad" not in normalised


def test_plain_quotes_are_not_normalised_and_others_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What keeps redaction cheap (its speed is measured in bench/redaction.py, not here):
    plain ASCII quotations are never normalised; any other is normalised a bounded number of
    times: once, and once more for the text left around a redaction when the fixed-point pass
    checks that nothing else changes."""
    from toolkit.privacy import redaction

    calls: list[str] = []
    real = redaction.normalise

    def counting(text: str) -> tuple[str, list[tuple[int, int]]]:
        calls.append(text)
        return real(text)

    rules = redaction_rules(Redaction(names=["Odile", "Ferris"], places=["Leeds"]))
    monkeypatch.setattr(redaction, "normalise", counting)
    plain = ["they said it would be fine, and Dr Ferris said so"] * 200
    assert all(redact_text(t, rules) == plain[0].replace("Ferris", "[redacted]") for t in plain)
    assert calls == []
    curly = ["they said it’d be fine, but it wasn’t, and Dr  Ferris said so"] * 200
    out = [redact_text(t, rules) for t in curly]
    assert out[0] == "they said it’d be fine, but it wasn’t, and Dr  [redacted] said so"
    assert len(curly) <= len(calls) <= 2 * len(curly)
