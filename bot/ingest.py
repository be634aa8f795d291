"""`POST /ingest`: a transcript from anywhere (Zapier, Make, n8n, Gong or Chorus webhooks, a team's own
scripts), with a workspace's API token (`salesrl ingest token create --workspace T`).

    curl -H "Authorization: Bearer srl_…" -H "Content-Type: application/json" \\
         -d '{"transcript": "Ana: Hi Ben…", "deal": "Acme", "rep_email": "ana@acme.io", "channel": "C0SALES"}' \\
         https://salesrl.example.com/ingest

The call takes the one path to a saved call (bot.calls: the same limits and redaction as Slack input),
under the deal named (in the channel given, whose members then see it; without a channel the deal is
the workspace's, as the command line's are). The answer is 202 with the call id and its probability;
when a channel is given, the result is then posted there as a scored call is in Slack. The rep is
found in Slack by e-mail (users.lookupByEmail), so calls per rep and the rep's role are right.
Errors are one line: 401 for a missing or unknown token, 400 for unreadable input, 413 for too large.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from salesrl.agent.errors import SalesRLError
from salesrl.bot.calls import SavedCall, score_and_save
from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.outbox import Undelivered
from salesrl.bot.slack.profiles import user_with_email
from salesrl.bot.slack.scoring import CallToScore, reply_with_score

log = logging.getLogger(__name__)

INGEST_PATH = "/ingest"

_CHANNEL = re.compile(r"^[CG][A-Z0-9]{6,}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class IngestError(SalesRLError):
    """The request cannot be taken as it is; the message says why, in one line."""


@dataclass(frozen=True)
class Ingested:
    transcript: str
    filename: str | None
    deal: str | None
    rep_email: str | None
    channel: str | None


def read_request(body: bytes, content_type: str, query: dict[str, str]) -> Ingested:
    """JSON ({"transcript": …, "filename", "deal", "rep_email", "channel"}), or the transcript as the
    body (text/plain, or a file's bytes) with the other fields in the query string."""
    if content_type.split(";")[0].strip().lower() == "application/json":
        try:
            data = json.loads(body)
        except ValueError:
            raise IngestError("the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise IngestError("the JSON body must be an object with a \"transcript\"")
        fields: dict[str, Any] = data
    else:
        try:
            fields = {**query, "transcript": body.decode("utf-8")}
        except UnicodeDecodeError:
            raise IngestError("the transcript is not UTF-8 text") from None
    text = fields.get("transcript")
    if not isinstance(text, str) or not text.strip():
        raise IngestError("no transcript: send it as \"transcript\" in a JSON body, or as the body itself")
    values = {k: fields.get(k) for k in ("filename", "deal", "rep_email", "channel")}
    for key, value in values.items():
        if value is not None and not isinstance(value, str):
            raise IngestError(f"\"{key}\" must be a string")
    channel, email = values["channel"], values["rep_email"]
    if channel and not _CHANNEL.match(channel):
        raise IngestError("\"channel\" must be a Slack channel id (C… or G…)")
    if email and not _EMAIL.match(email):
        raise IngestError("\"rep_email\" is not an e-mail address")
    return Ingested(text, values["filename"] or None, (values["deal"] or "").strip() or None, email or None,
                    channel or None)


def ingest(ctx: BotContext, client: WebClient | None, workspace: str, body: bytes, content_type: str,
           query: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """Take one call for `workspace` (its token checked by the caller): the HTTP status and JSON answer.
    `client` is the workspace's Slack client (None when the app is not installed there)."""
    try:
        incoming = read_request(body, content_type, query)
        rep = user_with_email(client, incoming.rep_email)
        scored = score_and_save(ctx.store, ctx.agent, ctx.settings, workspace, incoming.transcript,
                                origin="ingest", filename=incoming.filename, deal_name=incoming.deal,
                                user_id=rep, channel_id=incoming.channel)
    except SalesRLError as e:  # unreadable input, too many turns, a bad deal name: the one line
        return 400, {"error": str(e)}
    posted_to = incoming.channel if client is not None else None
    if client is not None and posted_to:
        asker = Asker(team_id=workspace, user_id=rep or "", channel_id=posted_to)
        ctx.workers.submit(lambda: _post(ctx, client, asker, scored))
    log.info("ingest: call %s saved in %s (%d turns)", scored.call_id, workspace, len(scored.result.points))
    return 202, {"call_id": scored.call_id, "deal": scored.deal.name if scored.deal else None,
                 "probability": round(scored.result.final.probability, 4), "status": scored.result.status,
                 "posted_to": posted_to}


def _post(ctx: BotContext, client: WebClient, asker: Asker, scored: SavedCall) -> None:
    """The result in the channel, as a call scored in Slack gets it; the call is saved whatever happens."""
    try:
        reply_with_score(ctx, client, asker, CallToScore(source="ingest", label="the ingest API"), scored)
    except Undelivered as e:
        log.warning("ingest: call %s saved, its result not posted (ref %s)", scored.call_id, e.reference)
    except Exception:
        log.exception("ingest: call %s saved, its result not posted", scored.call_id)
