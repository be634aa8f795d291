"""How people actually talk: fillers, false starts, interruptions, and joining sentence parts with the right case."""

from __future__ import annotations

import random

START_FILLERS: tuple[str, ...] = (
    "Um, ", "Uh, ", "So, ", "Yeah, so ", "I mean, ", "Okay so ", "Well, ", "Like, ", "Uh, yeah, ", "Hm, ",
)
MID_FILLERS: tuple[str, ...] = (
    "you know,", "like,", "um,", "uh,", "I mean,", "basically,", "honestly,", "uh, sorry,", "you know, like,",
)
INTERRUPTIONS: tuple[str, ...] = (
    "Sorry, go ahead. ", "Oh sorry, you go. ", "Sorry, you cut out for a second. ", "Sorry, I was on mute. ",
    "Sorry, what was that? Oh, okay. ", "Oh, go ahead. ",
)
_FUNCTION_WORDS = frozenset(
    "the a an we it that this our you your they i it's we're that's there to for with because and but".split()
)
_KEEP_CASE = {"I", "I'm", "I'd", "I've", "I'll", "OK"}


def _keeps_case(word: str, protected: frozenset[str]) -> bool:
    bare = word.strip(",.?!:;'\"")
    if bare in _KEEP_CASE or bare in protected:
        return True
    return sum(c.isupper() for c in bare) >= 2  # acronyms and CamelCase names


def lower_first(text: str, protected: frozenset[str] = frozenset()) -> str:
    """Lower-case the first letter unless the first word is "I", a name or an acronym."""
    if not text:
        return text
    first = text.split(" ", 1)[0]
    if _keeps_case(first, protected) or not first[:1].isupper():
        return text
    return text[0].lower() + text[1:]


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def join(prefix: str, text: str, protected: frozenset[str] = frozenset()) -> str:
    """Put `prefix` before `text`: a whole sentence ("Got it.") or the start of one ("So ", "Sure, ")."""
    if not prefix:
        return text
    if prefix.rstrip()[-1:] in ".?!:":
        return prefix.rstrip() + " " + text
    if not prefix.endswith(" "):
        prefix += " "
    last = prefix.split()[-1].strip(",").lower()
    first, _, rest = text.partition(" ")
    if first.strip(",").lower() == last and rest:  # "So " + "So pricing is ..." -> "So pricing is ..."
        text = rest
    return prefix + lower_first(text, protected)


def disfluent(text: str, rate: float, rng: random.Random, protected: frozenset[str] = frozenset()) -> str:
    """With probability `rate`, add one spoken-language imperfection; rarely a second one."""
    for _ in range(2):
        if rng.random() >= rate:
            break
        text = _one_disfluency(text, rng, protected)
        rate *= 0.3
    return text


def _one_disfluency(text: str, rng: random.Random, protected: frozenset[str]) -> str:
    words = text.split(" ")
    kind = rng.random()
    if kind < 0.4 or len(words) < 4:
        return join(rng.choice(START_FILLERS), text, protected)
    if kind < 0.7:
        # a filler before a function word or after a comma, never across a sentence end
        spots = [i for i in range(1, len(words) - 1)
                 if words[i - 1][-1:] not in ".?!" and (words[i - 1][-1:] == "," or words[i].lower() in _FUNCTION_WORDS)]
        if not spots:
            return join(rng.choice(START_FILLERS), text, protected)
        i = rng.choice(spots)
        return " ".join(words[:i] + [rng.choice(MID_FILLERS)] + words[i:])
    if kind < 0.9:
        n = 1 if rng.random() < 0.6 or len(words) < 6 else 2
        start = " ".join(words[:n]).rstrip(",.?!")
        return f"{start}— {lower_first(text, protected)}"
    return rng.choice(INTERRUPTIONS) + text
