"""Requests to the bot built and signed exactly as Slack builds and signs them.

Slack signs `v0:<timestamp>:<raw body>` with HMAC-SHA256 under the app's signing secret and sends
`X-Slack-Signature: v0=<hex digest>` and `X-Slack-Request-Timestamp: <timestamp>`. Slash commands
arrive as form bodies, interactivity as a form with one `payload=<json>` field, events as JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import requests

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
_ids = itertools.count(1)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(body: bytes, content_type: str, *, secret: str = SIGNING_SECRET,
                   timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature(secret, ts, body)}


@dataclass
class Sent:
    response: requests.Response
    sent_at: float  # time.monotonic() before sending
    answered_at: float  # time.monotonic() when the response was in

    @property
    def seconds(self) -> float:
        return self.answered_at - self.sent_at

    def json(self) -> Any:
        return self.response.json() if self.response.content else None


class SlackSender:
    """Sends what Slack would send to the bot at `base_url` (POST /slack/events)."""

    def __init__(self, base_url: str, *, team_id: str = "T0TEAM", secret: str = SIGNING_SECRET) -> None:
        self.url = base_url.rstrip("/") + "/slack/events"
        self.team_id = team_id
        self.secret = secret
        self.http = requests.Session()
        self.http.trust_env = False  # never a proxy between the test and 127.0.0.1

    def post(self, body: bytes, content_type: str, *, timestamp: int | None = None, secret: str | None = None,
             extra_headers: dict[str, str] | None = None) -> Sent:
        headers = signed_headers(body, content_type, secret=secret or self.secret, timestamp=timestamp)
        headers.update(extra_headers or {})
        start = time.monotonic()
        response = self.http.post(self.url, data=body, headers=headers, timeout=30)
        return Sent(response, start, time.monotonic())

    def command(self, text: str, *, user_id: str = "U0ANA", channel_id: str = "C0SALES", response_url: str,
                trigger_id: str = "0.0.unused", team_id: str | None = None, **kw: Any) -> Sent:
        form = {
            "token": "legacy-unused", "team_id": team_id or self.team_id, "team_domain": "acme",
            "channel_id": channel_id, "channel_name": "sales", "user_id": user_id, "user_name": "ana",
            "command": "/salesrl", "text": text, "api_app_id": "A0SALESRL", "is_enterprise_install": "false",
            "response_url": response_url, "trigger_id": trigger_id,
        }
        return self.post(urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded", **kw)

    def interaction(self, payload: dict[str, Any], **kw: Any) -> Sent:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, "application/x-www-form-urlencoded", **kw)

    def message(self, text: str, *, channel: str = "C0SALES", user: str = "U0ANA", thread_ts: str | None = None,
                mention_of: str | None = None, **kw: Any) -> Sent:
        """Someone writes `text` in a channel (in `thread_ts`'s thread when given). With `mention_of` (the
        bot's user id) the text mentions the bot and Slack sends the app_mention event; the message event
        Slack also sends for it is the caller's to send."""
        self._last_ts = max(time.time(), getattr(self, "_last_ts", 0.0) + 1e-6)  # unique and increasing, as Slack's
        ts = self.last_message_ts = f"{self._last_ts:.6f}"  # replies to it are threaded under this ts
        event: dict[str, Any] = {"type": "app_mention" if mention_of else "message", "channel": channel,
                                 "user": user, "text": (f"<@{mention_of}> " if mention_of else "") + text,
                                 "ts": ts, "event_ts": ts, "channel_type": "channel", "team": self.team_id}
        if thread_ts:
            event["thread_ts"] = thread_ts
        extra = kw.pop("event_fields", None) or {}
        event.update(extra)
        return self.event(event, **kw)

    def event(self, event: dict[str, Any], *, event_id: str | None = None, team_id: str | None = None,
              retry_num: int | None = None, **kw: Any) -> Sent:
        team = team_id or self.team_id
        envelope = {
            "token": "legacy-unused", "team_id": team, "api_app_id": "A0SALESRL", "event": event,
            "type": "event_callback", "event_id": event_id or f"Ev{next(_ids):08d}",
            "event_time": int(time.time()), "event_context": "4-fake",
            "authorizations": [{"team_id": team, "user_id": "U0BOT", "is_bot": True, "enterprise_id": None}],
            "is_ext_shared_channel": False,
        }
        headers = dict(kw.pop("extra_headers", None) or {})
        if retry_num is not None:
            headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"})
        return self.post(json.dumps(envelope).encode(), "application/json", extra_headers=headers, **kw)
