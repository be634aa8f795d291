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


def _dict(value: Any) -> dict[str, Any]:
    """Slack's payloads are dicts where we expect dicts; anything else reads as empty, never a crash."""
    return value if isinstance(value, dict) else {}


def _value(values: dict[str, Any], block: str, action: str) -> dict[str, Any]:
    return _dict(_dict(values.get(block)).get(action))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def read_submission(view: dict[str, Any]) -> ModalSubmission:
    values = _dict(_dict(view.get("state")).get("values"))
    picked = _dict(_value(values, "deal_pick", "deal").get("selected_option")).get("value")
    new_name = " ".join((_text(_value(values, "deal_new", "name").get("value")) or "").split()) or None
    rep = " ".join((_text(_value(values, "rep", "name").get("value")) or "").split()) or None
    text = _text(_value(values, "transcript_text", "text").get("value"))
    listed = _value(values, "transcript_file", "file").get("files")
    files = tuple(SlackFile.from_dict(f) for f in (listed if isinstance(listed, list) else ()) if isinstance(f, dict))
    try:
        metadata = _dict(json.loads(view.get("private_metadata") or "{}"))
    except (ValueError, TypeError):
        metadata = {}
    picked_id = str(picked) if picked is not None else ""
    return ModalSubmission(
        deal_id=int(picked_id) if picked_id.isascii() and picked_id.isdigit() and not new_name else None,
        deal_name=new_name,
        rep_name=rep,
        text=text,
        files=files,
        channel_id=_text(metadata.get("channel_id")),
        response_url=_text(metadata.get("response_url")),
    )
