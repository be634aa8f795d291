"""A written synthetic call in the other shapes the product takes in (issue 30 section 4): huddle notes (the
rep's third-person bullets, fragments, shorthand, the odd quoted `Name: "..."` line) and a Slack-thread chat
(short first-name messages). Same call, same latent outcome: every note or message keeps the p_true of the turn it
comes from, so a model trained on all three learns that an agreed next step written as a bullet is still one.

The buyer's meaning stays in the buyer's words: a note quotes or clips what was said and says who said it; only
the frame around it (the rep's shorthand, what the rep did) is written here.
"""

from __future__ import annotations

import random
import re

from salesrl.agent.dataset import Conversation
from salesrl.agent.types import Turn

STYLES: tuple[str, ...] = ("calls", "notes", "chat", "mixed")
MIXED = (("calls", 0.5), ("notes", 0.3), ("chat", 0.2))  # what --style mixed draws per call
NOTES_SPEAKER = "Notes"

# The frame of a note on a buyer turn, by the buyer's intent; {n} is the buyer's first name, {q} a clip of the turn.
_BUYER_NOTES: dict[str, tuple[str, ...]] = {
    "pain": ("pain: {q}", "{n}: “{q}”", "{n} says “{q}”", "{q}"),
    "objection": ("{n} pushed back: “{q}”", "concern: {q}", "pushback from {n} — {q}", "{n}: “{q}”"),
    "unconvinced": ("{n} still not sold: “{q}”", "still pushing back — {q}", "{n} not convinced: {q}"),
    "resolved": ("{n} ok with our answer: “{q}”", "concern addressed, {n} said “{q}”", "{q} (concern settled)"),
    "signal": ("{n}: “{q}”", "good sign — {q}", "{q}", "{n} says “{q}”"),
    "question": ("{n} asked: {q}", "q from {n}: {q}", "{n} wants to know: {q}"),
    "deflect": ("{n} dodged: “{q}”", "no real answer — {q}"),
    "accept_close": ("verbal yes from {n}: “{q}”", "{n} said yes — {q}", "YES: {q}"),
    "defer_close": ("{n} wants to wait: “{q}”", "not yet — {q}", "{n} pushed the decision: {q}"),
    "reject_close": ("{n} said no: “{q}”", "no from {n} — {q}", "lost? {n}: “{q}”"),
    "agree_next_step": ("Agreed next step: {q}", "next step agreed w/ {n}: {q}", "next: {q} (confirmed)"),
    "tentative": ("{n} maybe on a next step: “{q}”", "next step tbd — {q}"),
}
# What the rep did, by move; moves a rep's notes leave out (small talk, discovery questions) are not here.
_REP_NOTES: dict[str, tuple[str, ...]] = {
    "present_pricing": ("walked through pricing: {q}", "pricing shared — {q}", "gave the price: {q}"),
    "propose_next_step": ("suggested {q}", "proposed next step: {q}", "we offered: {q}"),
    "ask_for_close": ("asked for the close", "asked {n} for the commitment", "asked for the go-ahead"),
    "quantify_value": ("showed the ROI math", "ran the numbers with {n}", "value case: {q}"),
    "social_proof": ("shared a customer story", "told them about a similar customer"),
    "handle_objection": ("answered the concern: {q}", "addressed it — {q}"),
}
_FILLER = re.compile(r"\b(?:um+|uh+|you know|I mean|like,|sort of|kind of|honestly|basically)\b,?\s*", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def clip(text: str, rng: random.Random, limit: int = 90) -> str:
    """A note-sized clip of a turn: usually its longest sentence (the content, not the "Yep." before it or the
    check-in after it), fillers out."""
    text = " ".join(_FILLER.sub("", text).split())
    sentences = [s for s in _SENTENCE.split(text) if len(s.split()) >= 3] or [text]
    s = max(sentences, key=len) if rng.random() < 0.8 else rng.choice(sentences)
    s = s.rstrip(".!")
    if len(s) > limit:
        s = s[: limit].rsplit(" ", 1)[0] + "…"
    return s[:1].lower() + s[1:] if rng.random() < 0.5 and not s[:2].isupper() else s


def _first(name: str) -> str:
    return name.split()[0] if name.split() else name


def as_notes(conv: Conversation, rng: random.Random) -> Conversation | None:
    """The call as the rep's huddle notes, or None when it leaves nothing worth a note."""
    buyer = next((_first(t.speaker) for t in conv.turns if t.role == "prospect"), "they")
    turns: list[Turn] = []
    p_true: list[float | None] = []
    labels: list[dict[str, str]] = []
    for i, t in enumerate(conv.turns):
        turn_labels = conv.labels[i] if conv.labels else {}
        if t.role == "prospect":
            frames = _BUYER_NOTES.get(turn_labels.get("intent", ""))
        else:
            action = conv.actions[i] if conv.actions else None
            frames = _REP_NOTES.get(action or "")
            if frames is not None and rng.random() < 0.3:
                frames = None  # reps leave out some of what they did
        if frames is None:
            continue
        text = rng.choice(frames).format(n=buyer, q=clip(t.text, rng))
        if t.role == "prospect" and rng.random() < 0.1:
            text = f"{_first(t.speaker)}: “{clip(t.text, rng)}”"  # the odd quoted line
        turns.append(Turn(NOTES_SPEAKER, "other", text, is_note=True))
        p_true.append(conv.p_true[i] if conv.p_true else None)
        labels.append(turn_labels)
    if not turns:
        return None
    return Conversation(conv.id + "-notes", conv.outcome, tuple(turns), (None,) * len(turns), tuple(p_true),
                        tuple(labels), {**conv.meta, "style": "notes"})


def as_chat(conv: Conversation, rng: random.Random) -> Conversation:
    """The call as a Slack thread: first names, one short message a turn, small talk dropped."""
    keep = [i for i, t in enumerate(conv.turns)
            if (conv.labels[i].get("intent") if conv.labels else None) not in ("greeting", "small_talk", "backchannel")
            and (conv.actions[i] if conv.actions else None) != "rapport"]
    turns = tuple(Turn(_first(conv.turns[i].speaker), conv.turns[i].role, clip(conv.turns[i].text, rng, limit=160))
                  for i in keep)
    return Conversation(conv.id + "-chat", conv.outcome, turns,
                        tuple(conv.actions[i] for i in keep) if conv.actions else (),
                        tuple(conv.p_true[i] for i in keep) if conv.p_true else (),
                        tuple(conv.labels[i] for i in keep) if conv.labels else (), {**conv.meta, "style": "chat"})


def restyle(conv: Conversation, style: str, rng: random.Random) -> Conversation:
    """`conv` in `style` ("mixed" draws one per call); a call with nothing worth a note stays a call."""
    if style == "mixed":
        style = rng.choices([s for s, _ in MIXED], [w for _, w in MIXED])[0]
    if style == "notes":
        return as_notes(conv, rng) or conv
    if style == "chat":
        return as_chat(conv, rng)
    if style != "calls":
        raise ValueError(f"unknown style {style!r}; expected one of {', '.join(STYLES)}")
    return conv
