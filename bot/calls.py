"""The one path from a transcript to a saved call: parse -> redact -> score -> save.

Slack (bot.slack.scoring), the command line (`salesrl score FILE --deal NAME`) and the end of a
live session (bot.live.sessions) all save a call through here, so a call is redacted and stored
the same way wherever it comes from:

- `read_transcript` parses text or a file's bytes into turns and, unless SALESRL_REDACT=false,
  redacts them (turns, speakers, and how roles were decided, which names speakers) before anything
  is scored: an OpenAI embedder sends every turn out, and tips quote turns;
- `score_and_save` reads, scores and saves a transcript;
- `save_scored` is the last step alone, for a live session, whose turns were read (and redacted)
  message by message and scored turn by turn as the call went on.

The stored text is the scored (redacted) turns, one "Speaker: text" line each: it parses back to
them. Nothing here knows about Slack.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from salesrl.agent.redact import redact_transcript
from salesrl.agent.transcript import parse_transcript, require_conversation
from salesrl.agent.types import ScoreResult, Transcript
from salesrl.bot.settings import Settings
from salesrl.bot.store import Deal, Store

if TYPE_CHECKING:  # the agent pulls in onnxruntime; only its type is needed here
    from salesrl.agent.sales_agent import SalesAgent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SavedCall:
    """A scored call as saved: its id, its result, and its deal as it is after the save."""

    call_id: int
    result: ScoreResult
    deal: Deal | None


def parse_for_scoring(source: str | bytes, settings: Settings, *, reps: Sequence[str] = (),
                      known_reps: Sequence[str] = (), filename: str | None = None) -> Transcript:
    """Parse `source` into the turns of a conversation to score (one person alone speaking is refused:
    agent.transcript.require_conversation) within the configured limits. Raises TranscriptError."""
    return require_conversation(parse_transcript(source, reps=reps, known_reps=known_reps, filename=filename,
                                                 max_chars=settings.max_chars, max_turns=settings.max_turns))


def read_transcript(source: str | bytes, settings: Settings, *, reps: Sequence[str] = (),
                    known_reps: Sequence[str] = (), filename: str | None = None) -> Transcript:
    """`parse_for_scoring`, redacted unless settings.redact is off."""
    transcript = parse_for_scoring(source, settings, reps=reps, known_reps=known_reps, filename=filename)
    return redact_transcript(transcript) if settings.redact else transcript


def score_and_save(store: Store, agent: "SalesAgent", settings: Settings, workspace_id: str,
                   source: str | bytes, *, origin: str, reps: Sequence[str] = (), known_reps: Sequence[str] = (),
                   filename: str | None = None, deal: Deal | None = None, deal_name: str | None = None,
                   user_id: str | None = None, channel_id: str | None = None,
                   pending_id: int | None = None) -> SavedCall:
    """Read, score and save one call (`origin` is the store's call source: "slash_command", "cli"...).
    It goes under `deal`, or the deal called `deal_name` (made if new, owned by `user_id`, only once
    the call is scored: a transcript that cannot be read makes no deal), or none."""
    transcript = read_transcript(source, settings, reps=reps, known_reps=known_reps, filename=filename)
    result = agent.score(transcript)
    if deal is None and deal_name:
        deal = store.deals.get_or_create(workspace_id, deal_name, owner_id=user_id, channel_id=channel_id)
    call_id = save_scored(store, workspace_id, result, origin=origin, deal_id=deal.id if deal else None,
                          user_id=user_id, channel_id=channel_id, pending_id=pending_id)
    # the deal as the call left it (latest probability, trend, call count), for the reply
    return SavedCall(call_id, result, store.deals.get_by_id(workspace_id, deal.id) if deal else None)


def save_scored(store: Store, workspace_id: str, result: ScoreResult, *, origin: str, deal_id: int | None,
                user_id: str | None = None, channel_id: str | None = None, thread_ts: str | None = None,
                pending_id: int | None = None) -> int:
    """Save a scored call (its turns were read through `read_transcript`, or redacted as a live
    session's are) in one transaction, marking its pending row `pending_id` (bot.slack.pending);
    returns its id."""
    text = "\n".join(f"{t.speaker}: {t.text}" for t in result.transcript.turns)
    call_id = store.calls.save(workspace_id, deal_id, result, origin, text, user_id=user_id, channel_id=channel_id,
                              thread_ts=thread_ts, pending_id=pending_id)
    log.info("saved call %s (%s): %d turns, final %.2f", call_id, origin, len(result.points),
             result.final.probability)
    return call_id
