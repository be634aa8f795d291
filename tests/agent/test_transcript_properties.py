"""Whatever a user pastes, parse_transcript gives turns or one TranscriptError; nothing else escapes."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesrl.agent.errors import TranscriptError
from salesrl.agent.transcript import parse_transcript

NASTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(source) -> int:
    """Number of turns, or -1 for a TranscriptError. Any other exception fails the test."""
    try:
        t = parse_transcript(source)
    except TranscriptError as e:
        assert str(e) and "\n" not in str(e)
        return -1
    assert len(t.turns) >= 1
    assert all(turn.text.strip() and turn.role in ("rep", "prospect", "other") for turn in t.turns)
    return len(t.turns)


# Lines built from pieces of every format, so the search reaches the format-specific code paths.
PIECES = st.sampled_from([
    "WEBVTT", "NOTE", "STYLE", "1", "00:00:01.000 --> 00:00:02.000", "00:00:01,000 --> 00:0", "-->",
    "<v Ana>", "</v>", "Ana:", "Ben Ito:", "[00:01:23]", "00:01:23", "Ana (00:01:23):", "Ana  0:05",
    "Ben | 1:05", "- ", "* ", "• ", "# ", "{", "}", "[", "]", '"speaker"', '"text"', ":", ",", "?",
    "https://x.io", "Note:", "\u200b", "\ufeff", "\u200f", "\x00", "\x1b", "\r", "\t", "مرحبا", "👋🏽", " ",
])
LINES = st.lists(st.lists(PIECES | st.text(max_size=8), max_size=6).map("".join), max_size=20).map("\n".join)


@NASTY
@given(st.text(max_size=400))
def test_any_text_gives_turns_or_a_transcript_error(text):
    outcome(text)


@NASTY
@given(st.binary(max_size=400))
def test_any_bytes_give_turns_or_a_transcript_error(data):
    outcome(data)


@NASTY
@given(LINES)
def test_mixed_format_fragments_give_turns_or_a_transcript_error(text):
    outcome(text)
    outcome(text.encode("utf-8"))


# --- a nasty corpus -------------------------------------------------------------------------------

def test_a_thousand_speakers():
    text = "".join(f"Speaker {i}: Hello from number {i}?\n" for i in range(1000))
    t = parse_transcript(text)
    assert len(t.turns) == 1000 and len({x.speaker for x in t.turns}) == 1000
    assert sum(x.role == "rep" for x in t.turns) == 1


def test_one_turn_of_fifty_thousand_words():
    rng = random.Random(0)
    words = " ".join(rng.choice(["budget", "seats", "renewal", "why?", "ok"]) for _ in range(50_000))
    t = parse_transcript(f"Ana: {words}\nBen: Done.", max_chars=1_000_000)
    assert [x.speaker for x in t.turns] == ["Ana", "Ben"]
    assert len(t.turns[0].text.split()) == 50_000


def test_mixed_formats_in_one_paste():
    text = ("Call notes, pasted from three places\n"
            "[00:00:05] Ana: Hi, how are you?\n"
            "Ben: Good.\n"
            "- a bullet inside Ben's turn\n"
            "Ana (00:00:30): And the budget?\n"
            "{\"not\": \"json here\"}\n")
    t = parse_transcript(text)
    assert t.format == "timestamped"
    assert [(x.speaker, x.start) for x in t.turns] == [("Ana", 5), ("Ben", None), ("Ana", 30)]
    assert t.turns[1].text == "Good. - a bullet inside Ben's turn"


def test_vtt_of_only_empty_cues_has_no_turns():
    vtt = "WEBVTT\n\n" + "".join(f"{i}\n00:00:0{i}.000 --> 00:00:0{i}.500\n\n" for i in range(1, 6))
    try:
        parse_transcript(vtt)
    except TranscriptError as e:
        assert str(e).startswith("no turns found")
    else:
        raise AssertionError("a VTT without text must be refused")


def test_deeply_nested_json_is_refused_cleanly():
    try:
        parse_transcript("[" * 100_000 + "]" * 100_000, max_chars=1_000_000)
    except TranscriptError:
        pass
    else:
        raise AssertionError("nested lists hold no turns")
