"""The "Score a call" modal: building it, and reading what the user submitted."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot.slack.context import Asker, BotContext
from bot.slack.files import TRANSCRIPT_EXTENSIONS, SlackFile

CALLBACK_ID = "score_modal"
TEXT_INPUT_MAX = 3000  # Slack's limit for a plain-text input


def open_score_modal(bot: BotContext, client: WebClient, asker: Asker, trigger_id: str | None) -> None:
    """views.open with the user's open deals to pick from. Call it inside the ack: the trigger expires."""
    deals = bot.store.list_deals(asker.team_id, owner_id=asker.user_id, status="open")
    rep_name = bot.store.user_names(asker.team_id, [asker.user_id]).get(asker.user_id)
    metadata = json.dumps({"channel_id": asker.channel_id, "response_url": asker.response_url})
    view = bot.templates.view("slack/score_modal.json.j2", deals=deals, rep_name=rep_name, metadata=metadata,
                              max_text=TEXT_INPUT_MAX, filetypes=TRANSCRIPT_EXTENSIONS)
    client.views_open(trigger_id=trigger_id, view=view)


@dataclass(frozen=True)
class ModalSubmission:
    deal_id: int | None
    deal_name: str | None
    rep_name: str | None
    text: str | None
    files: tuple[SlackFile, ...]
    channel_id: str | None
    response_url: str | None

    def errors(self) -> dict[str, str]:
        """Per-block messages Slack shows under the inputs; empty when the submission is usable."""
        if not self.text and not self.files:
            return {"transcript_text": "Paste a transcript here, or attach a file below."}
        if self.text and self.files:
            return {"transcript_file": "Either paste text or attach a file, not both."}
        bad = [f.name for f in self.files if not f.is_transcript]
        if bad:
            return {"transcript_file": f"{bad[0]} is not a transcript: use .txt, .vtt, .srt or .json."}
        return {}


def _value(values: dict[str, Any], block: str, action: str) -> dict[str, Any]:
    return (values.get(block) or {}).get(action) or {}


def read_submission(view: dict[str, Any]) -> ModalSubmission:
    values = (view.get("state") or {}).get("values") or {}
    picked = (_value(values, "deal_pick", "deal").get("selected_option") or {}).get("value")
    new_name = " ".join(str(_value(values, "deal_new", "name").get("value") or "").split()) or None
    rep = " ".join(str(_value(values, "rep", "name").get("value") or "").split()) or None
    text = _value(values, "transcript_text", "text").get("value") or None
    files = tuple(SlackFile.from_dict(f) for f in _value(values, "transcript_file", "file").get("files") or ()
                  if isinstance(f, dict))
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        metadata = {}
    return ModalSubmission(
        deal_id=int(picked) if picked and str(picked).isdigit() and not new_name else None,
        deal_name=new_name,
        rep_name=rep,
        text=text if text and text.strip() else None,
        files=files,
        channel_id=metadata.get("channel_id"),
        response_url=metadata.get("response_url"),
    )
