"""A fake Zoom: a real HTTP server on 127.0.0.1 with Zoom's OAuth token endpoint, recording downloads and
past meetings' participants, as the bot uses them.

    with FakeZoom() as zoom:
        url = zoom.add_transcript("file-1", vtt_bytes)       # a recording event's download_url
        Settings(zoom_oauth_url=zoom.url, zoom_api_url=zoom.api_url, zoom_account_id=zoom.account_id, ...)

What it models:
- `POST /oauth/token?grant_type=account_credentials&account_id=…` with the client id and secret as basic
  auth issues a bearer token lasting `token_lifetime` seconds (Zoom: 3600); anything else gets Zoom's 400/401;
- `GET /rec/download/<id>` with `Authorization: Bearer <an issued, unexpired token or a download token from
  new_download_token()>` redirects (302) to a signed file URL that serves the bytes without a token, as
  Zoom's storage does; a bad token gets 401, an unknown file 404;
- `GET /v2/past_meetings/<meeting UUID>/participants?page_size=…&next_page_token=…` with an issued OAuth
  token (a download token is refused) pages through `add_participants`' people ({"participants": [{id, name,
  user_email, …}], "next_page_token": …}); the UUID must be URL-encoded, and twice when it starts with "/" or
  holds "//" (as Zoom says; once only is a 404 there), an unknown meeting is Zoom's 404 (code 3001);
- faults: `fail_next(kind, times, status)` answers the next `times` requests of a kind ("token",
  "download" or "participants") with that HTTP status (0 closes the connection without an answer);
- every request is counted by kind in `requests` ("token", "download", "file", "participants").
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import urllib.parse
from collections import Counter
from typing import Any

from tests.fakes.local_server import LocalServer, QuietHandler


class FakeZoom(LocalServer):
    def __init__(self, *, account_id: str = "acct-fake", client_id: str = "zoom-client-id",
                 client_secret: str = "zoom-client-secret", token_lifetime: float = 3600) -> None:
        super().__init__(_Handler)
        self.account_id, self.client_id, self.client_secret = account_id, client_id, client_secret
        self.token_lifetime = token_lifetime
        self.requests: Counter[str] = Counter()
        self.tokens: dict[str, float] = {}  # access token -> when it expires (time.time())
        self.download_tokens: set[str] = set()
        self.files: dict[str, bytes] = {}
        self.participants: dict[str, list[dict[str, Any]]] = {}  # meeting UUID -> its participants
        self.failures: dict[str, list[int]] = {}
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        """ZOOM_OAUTH_URL: where oauth/token is, and the host of download URLs."""
        return self.origin + "/"

    @property
    def api_url(self) -> str:
        return self.url + "v2/"

    def add_transcript(self, file_id: str, content: bytes) -> str:
        """A recording file; returns its download_url."""
        with self.lock:
            self.files[file_id] = content
        return f"{self.url}rec/download/{urllib.parse.quote(file_id)}"

    def add_participants(self, meeting_uuid: str, emails: list[str]) -> None:
        """People who took part in a past meeting, with these e-mail addresses ("" for a guest without one)."""
        with self.lock:
            people = self.participants.setdefault(meeting_uuid, [])
            people.extend({"id": secrets.token_hex(6), "user_id": str(16778240 + len(people)),
                           "name": f"Participant {len(people) + i}", "user_email": email,
                           "join_time": "2026-12-06T14:00:05Z", "leave_time": "2026-12-06T14:29:40Z",
                           "duration": 1775, "status": "in_meeting"} for i, email in enumerate(emails))

    def meeting_of(self, segment: str) -> str | None:
        """The meeting a path segment names, decoded as Zoom decodes it."""
        once = urllib.parse.unquote(segment)
        twice = urllib.parse.unquote(once)
        with self.lock:
            if once in self.participants and not _needs_double_encoding(once):
                return once
            if twice in self.participants and _needs_double_encoding(twice):
                return twice
        return None

    def new_download_token(self) -> str:
        token = "dl-" + secrets.token_urlsafe(16)
        with self.lock:
            self.download_tokens.add(token)
        return token

    def fail_next(self, kind: str, times: int, status: int = 503) -> None:
        with self.lock:
            self.failures.setdefault(kind, []).extend([status] * times)

    def _failure(self, kind: str) -> int | None:
        with self.lock:
            self.requests[kind] += 1
            queued = self.failures.get(kind)
            return queued.pop(0) if queued else None

    def _valid(self, token: str) -> bool:
        with self.lock:
            return token in self.download_tokens or self.tokens.get(token, 0) > time.time()


def _needs_double_encoding(uuid: str) -> bool:
    return uuid.startswith("/") or "//" in uuid


class _Handler(QuietHandler):
    fake: FakeZoom

    def _failed(self, kind: str) -> bool:
        status = self.fake._failure(kind)
        if status is None:
            return False
        if status == 0:
            self.close_connection = True
            self.connection.close()
        else:
            self.send(status, b'{"reason":"fault injected by the test"}')
        return True

    def do_POST(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        self.read_body()
        if url.path != "/oauth/token":
            return self.send(404, b'{"reason":"Not found"}')
        if self._failed("token"):
            return
        query = dict(urllib.parse.parse_qsl(url.query))
        expected = base64.b64encode(f"{self.fake.client_id}:{self.fake.client_secret}".encode()).decode()
        if self.headers.get("Authorization") != f"Basic {expected}":
            return self.send(401, b'{"reason":"Invalid client_id or client_secret","error":"invalid_client"}')
        if query.get("grant_type") != "account_credentials" or query.get("account_id") != self.fake.account_id:
            return self.send(400, b'{"reason":"Invalid request","error":"invalid_request"}')
        token = "zat-" + secrets.token_urlsafe(16)
        with self.fake.lock:
            self.fake.tokens[token] = time.time() + self.fake.token_lifetime
        body = (f'{{"access_token":"{token}","token_type":"bearer","expires_in":{int(self.fake.token_lifetime)},'
                f'"scope":"cloud_recording:read:list_recording_files:admin"}}')
        self.send(200, body.encode())

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/files/"):  # the signed storage URL a download redirects to
            self.fake._failure("file")
            file_id = urllib.parse.unquote(url.path.removeprefix("/files/"))
            content = self.fake.files.get(file_id)
            return self.send(200, content, "text/vtt") if content is not None else self.send(404)
        parts = url.path.split("/")  # "", "v2", "past_meetings", <uuid>, "participants"
        if len(parts) == 5 and parts[1:3] == ["v2", "past_meetings"] and parts[4] == "participants":
            return self._participants(parts[3], dict(urllib.parse.parse_qsl(url.query)))
        if not url.path.startswith("/rec/download/"):
            return self.send(404, b'{"reason":"Not found"}')
        if self._failed("download"):
            return
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not self.fake._valid(auth.removeprefix("Bearer ")):
            return self.send(401, b'{"code":124,"message":"Invalid access token."}')
        file_id = urllib.parse.unquote(url.path.removeprefix("/rec/download/"))
        if file_id not in self.fake.files:
            return self.send(404, b'{"code":3301,"message":"This recording does not exist."}')
        signed = f"/files/{urllib.parse.quote(file_id)}?sig={secrets.token_urlsafe(8)}"
        self.send(302, headers={"Location": signed})

    def _participants(self, segment: str, query: dict[str, str]) -> None:
        if self._failed("participants"):
            return
        auth = self.headers.get("Authorization", "").removeprefix("Bearer ")
        with self.fake.lock:
            issued = self.fake.tokens.get(auth, 0) > time.time()
        if not issued:
            return self.send(401, b'{"code":124,"message":"Invalid access token."}')
        meeting = self.fake.meeting_of(segment)
        if meeting is None:
            return self.send(404, b'{"code":3001,"message":"Meeting does not exist."}')
        size = min(int(query.get("page_size") or 30), 300)
        start = int(query.get("next_page_token") or 0)
        with self.fake.lock:
            people = self.fake.participants[meeting]
            page = people[start:start + size]
        following = str(start + size) if start + size < len(people) else ""
        body = {"page_count": -(-len(people) // size), "page_size": size, "total_records": len(people),
                "next_page_token": following, "participants": page}
        self.send(200, json.dumps(body).encode())
