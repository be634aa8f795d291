"""The key a CRM deal's name and a SalesRL deal's name are matched by: "ACME, Inc." and "Acme" are one
key, "Acme Labs" another. Two names are matched only when their keys are equal; nothing is guessed.

    match_key("Acme Corp., Ltd.")  -> "acme"
"""

from __future__ import annotations

import re
import unicodedata

# Legal forms dropped from the end of a name (as many as there are: "Acme Co., Ltd.").
LEGAL_SUFFIXES = frozenset(
    "inc incorporated corp corporation co company llc llp lp ltd limited plc gmbh ag kg ug sa sas sarl srl spa "
    "bv nv oy ab as aps pty pte kk".split()
)
_NOT_WORD = re.compile(r"[\W_]+")


def match_key(name: str) -> str:
    """Casefolded words of the name without punctuation or trailing legal forms ("" for no words)."""
    text = unicodedata.normalize("NFKC", name).casefold().replace("&", " and ")
    words = _NOT_WORD.sub(" ", text.replace(".", "")).split()  # "S.A." is "sa", not "s a"
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)
