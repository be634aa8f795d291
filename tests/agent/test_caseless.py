"""Caseless patterns (the signals' and the tracker's) give the same answers as re.IGNORECASE on the text as
written: the folding is checked on every code point, each pattern on the examples and on awkward texts."""

from __future__ import annotations

import re
import string
import sys
from pathlib import Path

import pytest

from salesrl.agent import signals, tracker
from salesrl.agent.caseless import Caseless, fold
from salesrl.agent.transcript import parse_transcript

ROOT = Path(__file__).resolve().parents[2]
EVERY_CHARACTER = "".join(map(chr, range(sys.maxunicode + 1)))
AWKWARD = ["THE PRICE IS STEEP", "We're Over Our Budget", "Next Steps: PİLOT in Q3", "ſchedule a call", "Kelvin: K1",
           "What's the Timeline? By The End Of March.", "Can You Walk Me Through It. how long", "I'LL SIGN, send the PO",
           "We go live in May.", "you may want to call me", "ı", "", "Ärger: NO BUDGET this year", "Ok, Let's Do It"]


def example_texts() -> list[str]:
    return [t.text for p in sorted((ROOT / "examples").iterdir()) if p.name != "README.md"
            for t in parse_transcript(p.read_bytes(), filename=p.name).turns]


def product_patterns() -> list[Caseless]:
    found = [*signals._COMPILED.values(), signals._QUESTION_OPENERS, *tracker._REP_TOPIC.values(),
             *(rx for rules in tracker._BUYER.values() for _, rx in rules)]
    found += [v for v in vars(tracker).values() if isinstance(v, Caseless)]
    return found


def test_a_folded_character_is_a_patterns_character_where_ignorecase_matches_it() -> None:
    folded = fold(EVERY_CHARACTER)
    assert len(folded) == len(EVERY_CHARACTER)  # one character for one: spans line up
    for char in sorted(set(string.printable) - set(string.ascii_uppercase)):  # what lower-case patterns are made of
        expected = [m.start() for m in re.finditer(re.escape(char), EVERY_CHARACTER, re.IGNORECASE)]
        assert [m.start() for m in re.finditer(re.escape(char), folded)] == expected, repr(char)
    for cls in (r"\w", r"\s", r"\d", r"\b"):
        rx = re.compile(cls)
        assert [m.start() for m in rx.finditer(EVERY_CHARACTER)] == [m.start() for m in rx.finditer(folded)], cls


def test_every_pattern_answers_as_ignorecase_does() -> None:
    patterns = product_patterns()
    assert len(patterns) > 40
    for text in [*example_texts(), *AWKWARD]:
        for p in patterns:
            rx = re.compile(p.pattern, re.IGNORECASE)
            assert bool(p.search(text)) == bool(rx.search(text)), (p.pattern, text)
            assert bool(p.match(text)) == bool(rx.match(text)), (p.pattern, text)
            assert len(p.findall(text)) == len(rx.findall(text)), (p.pattern, text)


def test_a_case_sensitive_word_stays_case_sensitive() -> None:
    may = Caseless(r"\bin (?:june|(?-i:May))\b")
    assert may.search("We go live IN May.") and may.search("IN JUNE, or in May") and may.search("in June")
    assert not may.search("in may be") and not may.search("in MAY") and not may.search("May")


@pytest.mark.parametrize("pattern", [r"\W+", r"(?-i:[A-Z]+)", r"(?-i)may"])
def test_what_lower_casing_would_change_is_refused(pattern: str) -> None:
    with pytest.raises(ValueError):
        Caseless(pattern)
