"""`POST /zoom/events`: what Zoom's event subscription sends, answered at once.

Checked in this order, each refusal one line of JSON and nothing of the body logged: a request not
signed with ZOOM_SECRET_TOKEN within five minutes (401: bot.zoom.signing), a body that is not a JSON
event (400). Then:

- `endpoint.url_validation` (Zoom checking the endpoint is ours): {plainToken, encryptedToken};
- `recording.transcript_completed`: each transcript file is claimed in the database (bot.store.zoom),
  so a retry or a duplicate delivery, to any replica, is taken once; the answer (200) goes back as soon
  as the claim is made, and the download, scoring and posting go on after it (bot.zoom.recordings).
  When the database cannot record the claim, 503: Zoom delivers the event again later;
- any other event: 200, ignored (the subscription may send more than SalesRL reads).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Mapping

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from salesrl.agent.errors import SalesRLError
from salesrl.bot.store.errors import StoreError
from salesrl.bot.zoom.matching import Meeting
from salesrl.bot.zoom.recordings import TranscriptReady, ZoomCalls
from salesrl.bot.zoom.signing import is_signed, url_validation

log = logging.getLogger(__name__)

ZOOM_EVENTS_PATH = "/zoom/events"
URL_VALIDATION = "endpoint.url_validation"
TRANSCRIPT_COMPLETED = "recording.transcript_completed"


class ZoomEventError(SalesRLError):
    """A signed event SalesRL cannot read; the message says why, in one line."""


def _error(status: int, text: str) -> Response:
    return JSONResponse({"error": text}, status_code=status)


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ZoomEventError(f"{what} is not an object")
    return value


def _text(value: Any, what: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ZoomEventError(f"{what} is missing or not a string of at most {limit} characters")
    return value


def transcripts_in(event: dict[str, Any]) -> list[TranscriptReady]:
    """The transcript files of a recording.transcript_completed event."""
    recording = _object(_object(event.get("payload"), "payload").get("object"), "payload.object")
    files = recording.get("recording_files")
    if not isinstance(files, list):
        raise ZoomEventError("payload.object.recording_files is not a list")
    token = event.get("download_token")
    host_email, uuid = recording.get("host_email"), recording.get("uuid")
    meeting = Meeting(topic=str(recording.get("topic") or "")[:300],
                      host_email=host_email if isinstance(host_email, str) and host_email else None,
                      uuid=uuid if isinstance(uuid, str) and 0 < len(uuid) <= 200 else None)
    found = []
    for file in files:
        file = _object(file, "a recording file")
        if str(file.get("file_type", "")).upper() != "TRANSCRIPT":
            continue
        found.append(TranscriptReady(recording_id=_text(file.get("id"), "a transcript file's id", 200),
                                     download_url=_text(file.get("download_url"), "a transcript's download_url", 2000),
                                     download_token=token if isinstance(token, str) and token else None,
                                     meeting=meeting))
    return found


class ZoomWebhook:
    def __init__(self, secret_token: str, calls: ZoomCalls, account_id: str | None = None) -> None:
        self._secret = secret_token
        self._calls = calls
        self._account_id = account_id

    async def answer(self, body: bytes, headers: Mapping[str, str]) -> Response:
        if not is_signed(self._secret, headers, body):
            log.info("refused a request without a valid Zoom signature (%d bytes)", len(body))
            return _error(401, "invalid signature or timestamp")
        try:
            event = _object(json.loads(body), "the body")
            name = _text(event.get("event"), "event", 100)
            if name == URL_VALIDATION:
                plain = _text(_object(event.get("payload"), "payload").get("plainToken"), "plainToken", 200)
                return JSONResponse(url_validation(self._secret, plain))
            if name != TRANSCRIPT_COMPLETED:
                log.info("ignored a Zoom %s event", name[:60])
                return Response(status_code=200)
            transcripts = transcripts_in(event)
            if self._account_id and event["payload"].get("account_id") != self._account_id:
                log.warning("ignored a Zoom recording of another account than ZOOM_ACCOUNT_ID")
                return Response(status_code=200)
        except ValueError:  # json's errors, ZoomEventError is no ValueError
            log.warning("refused a signed Zoom request whose body is not JSON")
            return _error(400, "the body is not JSON")
        except ZoomEventError as e:
            log.warning("refused a signed Zoom event: %s", e)
            return _error(400, str(e))
        for ready in transcripts:
            try:
                row_id = await run_in_threadpool(self._calls.take, ready)
            except StoreError as e:
                log.warning("a Zoom transcript was not taken, the database cannot record it: %s", e)
                return _error(503, "service unavailable")  # Zoom sends it again; what was claimed stays claimed
            if row_id is None:
                log.info("zoom: a copy of an event for a recording taken already was ignored")
                continue
            self._calls.start(row_id, ready)
        return Response(status_code=200)
