"""The "Score a call" modal: building it, and reading what the user submitted."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from salesrl.agent.errors import SalesRLError
from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.files import TRANSCRIPT_EXTENSIONS, SlackFile
from salesrl.bot.slack.request_shapes import slack_id

log = logging.getLogger(__name__)

CALLBACK_ID = "score_modal"
TEXT_INPUT_MAX = 3000  # Slack's limit for a plain-text input
TRIGGER_ERRORS = ("expired_trigger_id", "invalid_trigger_id", "trigger_exchanged")
MAX_DEAL_ID = 2**31 - 1  # the database's integer ids


class FormNotOpened(SalesRLError):
    """Slack did not open the form: its trigger expired, or was not one of Slack's."""


def open_score_modal(ctx: BotContext, client: WebClient, asker: Asker, trigger_id: str | None) -> None:
    """views.open with the user's open deals to pick from. Call it inside the ack: the trigger expires."""
    deals = ctx.store.deals.list(asker.team_id, owner_id=asker.user_id, status="open")
    rep_name = ctx.store.workspaces.user_names(asker.team_id, [asker.user_id]).get(asker.user_id)
    metadata = json.dumps({"channel_id": asker.channel_id, "response_url": asker.response_url})
    view = ctx.templates.view("slack/score_modal.json.j2", deals=deals, rep_name=rep_name, metadata=metadata,
                              max_text=TEXT_INPUT_MAX, filetypes=TRANSCRIPT_EXTENSIONS)
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as e:
        error = e.response.get("error")
        if error not in TRIGGER_ERRORS:
            raise
        # the ack came too late (or the trigger was never Slack's): the asker can only try again
        log.warning("views.open refused the trigger (%s): the form did not open", error)
        raise FormNotOpened("the form did not open in time: run /salesrl score again "
                            "(or paste the call after it: /salesrl score Acme :: Ana: Hi…)") from None


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


def _deal_id(value: Any) -> int | None:
    """The id of the deal picked from the list we sent (an option's value is a string), if it can be one."""
    if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10):
        return None
    return int(value) if int(value) <= MAX_DEAL_ID else None


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
    return ModalSubmission(
        deal_id=_deal_id(picked) if not new_name else None,
        deal_name=new_name,
        rep_name=rep,
        text=text,
        files=files,
        channel_id=slack_id(metadata.get("channel_id")),
        response_url=_text(metadata.get("response_url")),
    )
