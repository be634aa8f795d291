"""Signals are matched on the case-folded text with lower-case patterns: the same answers as the patterns
compiled with re.IGNORECASE on the text as written, only faster."""

from __future__ import annotations

import re
import string
import sys
from pathlib import Path

import pytest

from salesrl.agent import signals
from salesrl.agent.signals import count_questions, detect, fold_case
from salesrl.agent.transcript import parse_transcript

ROOT = Path(__file__).resolve().parents[2]
EVERY_CHARACTER = "".join(map(chr, range(sys.maxunicode + 1)))


def example_texts() -> list[str]:
    return [t.text for p in sorted((ROOT / "examples").iterdir()) if p.name != "README.md"
            for t in parse_transcript(p.read_bytes(), filename=p.name).turns]


def test_the_patterns_are_lower_case() -> None:
    # an upper-case letter would never match the folded text (and \W or \S would become \w or \s)
    for name, pattern in signals._PATTERNS.items():
        assert pattern == pattern.lower(), name


def test_a_folded_character_is_a_patterns_character_where_ignorecase_matches_it() -> None:
    folded = fold_case(EVERY_CHARACTER)
    assert len(folded) == len(EVERY_CHARACTER)  # one character for one: positions line up
    for char in sorted(set(string.printable) - set(string.ascii_uppercase)):  # what the patterns are made of
        expected = [m.start() for m in re.finditer(re.escape(char), EVERY_CHARACTER, re.IGNORECASE)]
        assert [m.start() for m in re.finditer(re.escape(char), folded)] == expected, repr(char)
    for cls in (r"\w", r"\s", r"\d", r"\b"):
        rx = re.compile(cls)
        assert [m.start() for m in rx.finditer(EVERY_CHARACTER)] == [m.start() for m in rx.finditer(folded)], cls


@pytest.mark.parametrize("text", [
    *example_texts(),
    "THE PRICE IS STEEP", "We're Over Our Budget", "Next Steps: PİLOT in Q3", "ſchedule a call", "Kelvin: K1",
    "What's the Timeline? By The End Of March.", "Can You Walk Me Through It. How long", "",
])
def test_the_same_signals_and_questions_as_ignorecase(text: str) -> None:
    expected = frozenset(name for name, p in signals._PATTERNS.items() if re.search(p, text, re.IGNORECASE))
    assert detect(text) == expected
    openers = re.compile(signals._QUESTION_OPENERS.pattern, re.IGNORECASE)
    assert count_questions(text) == (text.count("?") or len(openers.findall(text)))
