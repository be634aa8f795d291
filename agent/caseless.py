"""Case-insensitive regular expressions at the cost of case-sensitive ones.

re.IGNORECASE turns off re's quick search for a pattern's possible first characters, so a pattern of many
alternatives ("too expensive|pricey|over our budget|...") costs about five times as much with it. A `Caseless`
pattern is the same pattern lower-cased, searched in the case-folded text (`fold`): the same answers as
re.IGNORECASE on the text as written (tests/agent/test_caseless.py tries every code point), at the speed of a
case-sensitive search. A pattern with a case-sensitive word ("(?-i:May)", the month) runs with re.IGNORECASE
on a text where that word is written so, and on any other text the faster way without it (there it cannot match).
"""

from __future__ import annotations

import re

# The only characters that re.IGNORECASE matches to a lower-case ASCII letter and str.lower() does not turn
# into that letter; str.lower() also keeps every other character one character, in its class (\w, \s, \d).
_FOLDS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})
_UPPER_ESCAPE = re.compile(r"\\[A-Z]")
_CASED_WORD = re.compile(r"\(\?-i:([\w ]+)\)")


def fold(text: str) -> str:
    """`text` lower-cased, one character for one, so that spans line up with the text's."""
    return (text if text.isascii() else text.translate(_FOLDS)).lower()


class Caseless:
    """`re.compile(pattern, re.IGNORECASE)` with the same `search`, `match` and `findall` answers, faster. A
    match's span is the text's; its groups may be lower-cased."""

    def __init__(self, pattern: str):
        if _UPPER_ESCAPE.search(pattern):
            raise ValueError(f"an upper-case escape would change meaning when lower-cased: {pattern!r}")
        self.pattern = pattern
        self._words = _CASED_WORD.findall(pattern)
        caseless = _CASED_WORD.sub("(?!)", pattern)  # (?!) never matches
        if "(?-i" in caseless:
            raise ValueError(f"only whole words can be case-sensitive: {pattern!r}")
        self._rx = re.compile(caseless.lower())
        self._cased = re.compile(pattern, re.IGNORECASE) if self._words else None

    def _pick(self, text: str) -> tuple[re.Pattern[str], str]:
        if self._cased is not None and any(word in text for word in self._words):
            return self._cased, text
        return self._rx, fold(text)

    def search(self, text: str) -> re.Match[str] | None:
        rx, text = self._pick(text)
        return rx.search(text)

    def match(self, text: str) -> re.Match[str] | None:
        rx, text = self._pick(text)
        return rx.match(text)

    def findall(self, text: str) -> list[str]:
        rx, text = self._pick(text)
        return rx.findall(text)
