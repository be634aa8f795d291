"""Typos in a question, corrected against the words of the deal's calls and the words the rules read.

People type fast in a thread ("waht did they say about pricng?", "who aproves it"): a word nobody said in
the deal and no rule knows, one edit (a letter left out, added, changed or two swapped) away from exactly one
word that is, is read as that word. Short words (under five letters) are left alone: too many are one edit
apart ("pilot" and "plot" are not, "cost" and "most" are).
"""

from __future__ import annotations

import functools
import re
from typing import Iterable

MIN_LENGTH = 5
_WORD = re.compile(r"[a-z]+")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"

# words the intent and topic rules read (bot.answers.intent, bot.answers.retrieval.TOPICS), so that a typo of
# one finds its rule even when no call of the deal has the word
RULE_WORDS = frozenset("""
    budget budgets pricing price prices expensive afford discount money spend payment payments
    decide decides decided decision decisions signs signing approve approves approval authority procurement buyer
    timeline deadline quarter launch timing schedule scheduled meeting meetings demo pilot trial follow visit booked
    competitor competitors competition alternative alternatives vendor vendors incumbent using currently tools
    security compliance privacy confidential protection integration integrate connect systems
    problem problems priority pain struggle issue issues slowing bottleneck frustrated headache broken
    concern concerns worried worry objection objections hesitant blocking pushback stuck
    flagged flag likely likelihood chances probability close closing trend changed moved next advice recommend
    suggest mention mentioned talk talked said think thought
""".split())


@functools.lru_cache(maxsize=65536)
def words_of(text: str) -> frozenset[str]:
    """A stored turn's words (kept: its text never changes, and every question about the deal reads it)."""
    return frozenset(_WORD.findall(text.casefold()))


def _edits(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return ({a + b[1:] for a, b in splits if b}
            | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
            | {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
            | {a + c + b for a, b in splits for c in _LETTERS})


def correct(text: str, texts: Iterable[str]) -> str:
    """`text` with each word that is a typo of exactly one word of `texts` or of the rules (the module's
    docstring) replaced by it; everything else as it was."""
    vocabulary: set[str] = set(RULE_WORDS)
    for t in texts:
        vocabulary |= words_of(t)

    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        folded = word.casefold()
        if len(folded) < MIN_LENGTH or folded in vocabulary:
            return word
        candidates = _edits(folded) & vocabulary
        return candidates.pop() if len(candidates) == 1 else word

    return re.sub(r"[A-Za-z]+", fix, text)
