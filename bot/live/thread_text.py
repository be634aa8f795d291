"""What one message in a live thread adds to the conversation.

- Lines like ``Name: text`` (and the other transcript formats agent.transcript reads: timestamps,
  VTT cues, bullets) become turns of those speakers; a line without a label continues the turn before.
- Anything else is a note typed during the call ("they went quiet when price came up"): one note turn
  about the prospect's side (role ``other``, speaker "Notes"), as the agent's state builder expects.
  Only the person who started the session takes notes; anyone else's free words are comments, which
  bot.live.slack_thread leaves out of the call.

Roles are the session's, not the transcript heuristics' (one message rarely shows who asks the
questions): a speaker named like one of the session's reps is the rep, note speakers are ``other``,
everyone else the prospect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from salesrl.agent.errors import TranscriptError
from salesrl.agent.redact import redact_turns
from salesrl.agent.transcript import NOTES_SPEAKER, OTHER_SPEAKERS, clean_text, parse_transcript
from salesrl.agent.types import Turn

MAX_MESSAGE_TURNS = 200  # a pasted chunk longer than this is refused; paste it in parts


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


@dataclass(frozen=True)
class RepNames:
    """The names the session's rep goes by ("Ana Lopez" also matches a speaker "Ana" or "ana l.")."""

    names: tuple[str, ...]

    def match(self, speaker: str) -> bool:
        key = _key(speaker)
        if not key:
            return False
        first = key.split()[0]
        for name in self.names:
            rep = _key(name)
            if rep and (key == rep or first == rep.split()[0]):
                return True
        return False


def role_of(speaker: str, is_note: bool, reps: RepNames) -> str:
    if is_note or _key(speaker) in OTHER_SPEAKERS:
        return "other"
    return "rep" if reps.match(speaker) else "prospect"


def turns_from_message(text: str, reps: Sequence[str], *, redact_text: bool = True,
                       max_chars: int = 20_000) -> list[Turn]:
    """The turns one thread message adds (none for an empty message), with the session's roles.
    Contact details are redacted, in the text and the speakers' names, before anything is scored or
    stored, unless `redact_text` is off."""
    text = text.strip()
    if not text:
        return []
    if len(text) > max_chars:
        raise TranscriptError(f"that message is {len(text):,} characters; paste at most {max_chars:,} at a time")
    try:
        parsed = parse_transcript(text, max_chars=max_chars, max_turns=MAX_MESSAGE_TURNS)
        raw = [(t.speaker, t.text, t.is_note or t.speaker == NOTES_SPEAKER) for t in parsed.turns]
    except TranscriptError as e:
        if "the limit is" in str(e):
            raise TranscriptError(f"that message holds too many turns: paste at most {MAX_MESSAGE_TURNS} "
                                  "at a time") from None
        raw = [(NOTES_SPEAKER, clean_text(text), True)]  # not a transcript: a note, cleaned as turns are
    names = RepNames(tuple(reps))
    turns = [Turn(speaker=speaker, role=role_of(speaker, is_note, names), text=body,  # type: ignore[arg-type]
                  is_note=is_note)
             for speaker, body, is_note in raw if body.strip()]
    # Roles come from the names as written; then speakers are redacted like the text (redact_turns).
    return list(redact_turns(turns)) if redact_text else turns
