"""What Zoom's event subscription sends to the bot, signed exactly as Zoom signs it: x-zm-request-timestamp
(seconds) and x-zm-signature = "v0=" + hex HMAC-SHA256(secret token, "v0:{timestamp}:{body}")."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import requests

ZOOM_SECRET = "zoom-secret-token-for-tests"


def zoom_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Written out here as Zoom documents it, not taken from the bot, so that the two can disagree."""
    return "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()


def vtt(lines: list[tuple[str, str]]) -> bytes:
    """A transcript as Zoom writes it: numbered cues, "Name: text"."""
    cues = [f"{i}\n00:00:{2 * i:02d}.000 --> 00:00:{2 * i + 2:02d}.000\n{who}: {text}\n"
            for i, (who, text) in enumerate(lines, start=1)]
    return ("WEBVTT\n\n" + "\n".join(cues)).encode()


def transcript_completed(file_id: str, download_url: str, *, topic: str, host_email: str | None = "ana@example.com",
                         download_token: str | None = None, account_id: str = "acct-fake") -> dict[str, Any]:
    """A recording.transcript_completed event as Zoom sends it (the fields SalesRL reads, and some it does not)."""
    event: dict[str, Any] = {
        "event": "recording.transcript_completed",
        "event_ts": int(time.time() * 1000),
        "payload": {"account_id": account_id, "object": {
            "id": 81234567890, "uuid": "4444AAAiAAAAAiAiAiiAii==", "host_id": "x1yCzABCDEfg23HiJKl4mN",
            "account_id": account_id, "topic": topic, "type": 2, "start_time": "2026-12-06T14:00:00Z",
            "timezone": "Europe/Berlin", "duration": 30, "total_size": 2048, "recording_count": 1,
            **({"host_email": host_email} if host_email else {}),
            "recording_files": [
                {"id": "audio-" + file_id, "file_type": "M4A", "file_extension": "M4A", "status": "completed",
                 "download_url": download_url.replace(file_id, "audio"), "recording_type": "audio_only"},
                {"id": file_id, "meeting_id": "4444AAAiAAAAAiAiAiiAii==", "file_type": "TRANSCRIPT",
                 "file_extension": "VTT", "file_size": 2048, "status": "completed", "download_url": download_url,
                 "recording_type": "audio_transcript"},
            ]}},
    }
    if download_token:
        event["download_token"] = download_token
    return event


class ZoomSender:
    """Sends Zoom's webhooks to the bot at `base_url` (POST /zoom/events)."""

    def __init__(self, base_url: str, secret: str = ZOOM_SECRET) -> None:
        self.url = base_url.rstrip("/") + "/zoom/events"
        self.secret = secret
        self.http = requests.Session()
        self.http.trust_env = False

    def post(self, event: dict[str, Any] | bytes, *, timestamp: int | None = None, secret: str | None = None,
             ) -> requests.Response:
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {"Content-Type": "application/json; charset=utf-8", "x-zm-request-timestamp": ts,
                   "x-zm-signature": zoom_signature(secret or self.secret, ts, body),
                   "User-Agent": "Zoom Marketplace/1.0a", "x-zm-trackingid": "v=2.0&s=1&c=test"}
        return self.http.post(self.url, data=body, headers=headers, timeout=30)

    def validate(self, plain_token: str, **kw: Any) -> requests.Response:
        return self.post({"event": "endpoint.url_validation", "event_ts": int(time.time() * 1000),
                          "payload": {"plainToken": plain_token}}, **kw)
