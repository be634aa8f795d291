"""A fake Slack Web API: a real HTTP server on 127.0.0.1 that records every call and answers the
methods the bot uses, with Slack's shapes and error codes.

    with FakeSlack() as slack:
        client = WebClient(token=slack.bot_token, base_url=slack.api_url)
        ...
        posted = slack.wait_for("chat.postMessage")

What it models (enough to catch real mistakes, nothing more):
- tokens: every Web API call needs ``Authorization: Bearer <a token it issued>``, else ``invalid_auth``;
- channels: posting into a channel the bot is not a member of fails with ``not_in_channel``;
  ``conversations.members`` lists every known user unless ``set_members`` chose a channel's people;
  ``chat.getPermalink`` links a posted message; ``users.lookupByEmail`` finds ``name@example.com``;
  ``conversations.list`` lists the channels named with ``add_channel`` (private ones the bot is in), in
  pages of ``limit``;
  posting to a user id (``U...``) lands in that user's DM with the bot (``D...``);
- threads: messages and completed file uploads keep their ``thread_ts``; ``conversations.replies``
  returns a thread as Slack would, oldest first, in pages of ``limit`` (``cursor`` for the next); a
  completed upload is a ``file_share`` message whose ``files`` carry their ``name`` and ``title``;
- files: ``add_file`` registers a file with a ``url_private_download`` that serves its bytes only
  with a bot token (without it Slack answers a HTML sign-in page, and so does this fake); uploads
  go through ``files.getUploadURLExternal`` -> POST to the upload URL -> ``files.completeUploadExternal``;
- triggers: ``new_trigger_id()`` issues a trigger that ``views.open`` accepts for 3 seconds, after that
  ``expired_trigger_id``;
- response URLs: ``response_url()`` gives a URL whose POSTs are recorded as the method ``response_url``;
- OAuth: ``oauth.v2.access`` exchanges a code from ``new_oauth_code(team_id)`` for a new bot token;
- HTTP faults: ``fail_http_next(method, status, retry_after=...)`` answers one call with an HTTP error
  (429 with ``Retry-After``, 500, 503) and ``drop_next(method)`` closes the connection without an
  answer, as a network failure would; ``down_for(method, seconds)`` does that to every call for a while;
  ``lose_answer_next(method, after=...)`` carries the call out (the message is posted) and then loses
  its answer: the connection is closed, `after` seconds later (past the client's timeout, if longer);
- Socket Mode: ``apps.connections.open`` (with the app token) hands out a ``ws://`` URL of this server;
  ``socket_mode_send(type, payload)`` delivers an envelope over the WebSocket and the client's
  acknowledgement is recorded as the method ``socket_mode_ack``.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.local_server import LocalServer, QuietHandler

TRIGGER_LIFETIME_S = 3.0
WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
SLACK_JSON = "application/json; charset=utf-8"  # the Content-Type of Slack's Web API answers


@dataclass
class Call:
    """One request that reached the fake."""

    method: str  # Web API method ("chat.postMessage"), or "upload", "download", "response_url"
    params: dict[str, Any]  # query string, form fields and JSON body merged
    headers: dict[str, str]
    at: float  # time.monotonic() when it arrived
    body: bytes = b""
    path: str = ""

    def json_param(self, name: str) -> Any:
        """A parameter that slack-sdk sends either as JSON or as a JSON-encoded form field."""
        value = self.params.get(name)
        return json.loads(value) if isinstance(value, str) else value


@dataclass
class FakeUser:
    id: str
    name: str
    real_name: str
    display_name: str = ""
    tz: str = "UTC"
    is_bot: bool = False
    is_admin: bool = False  # a workspace admin (users.info); set it on what add_user returns
    is_owner: bool = False

    @property
    def email(self) -> str:  # users.lookupByEmail finds a user by this
        return f"{self.name}@example.com"


@dataclass
class _State:
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # channel -> messages
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # file id -> file object
    file_bytes: dict[str, bytes] = field(default_factory=dict)
    triggers: dict[str, float] = field(default_factory=dict)
    oauth_codes: dict[str, str] = field(default_factory=dict)  # code -> team id
    views: dict[str, dict[str, Any]] = field(default_factory=dict)


class FakeSlack(LocalServer):
    def __init__(self, *, team_id: str = "T0TEAM", bot_user_id: str = "U0BOT", bot_id: str = "B0BOT",
                 bot_token: str = "xoxb-fake-bot-token", app_token: str = "xapp-fake-app-token",
                 member_channels: tuple[str, ...] = ("C0SALES",),
                 client_id: str = "111.222", client_secret: str = "fake-client-secret") -> None:
        super().__init__(_Handler)
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.bot_token = bot_token
        self.app_token = app_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.member_channels: set[str] = set(member_channels)
        self.channel_members: dict[str, set[str]] = {}  # channel -> its people, when set_members chose them
        self.channel_names: dict[str, tuple[str, bool]] = {}  # channel -> (name, is_private), from add_channel
        self.tokens: dict[str, str] = {bot_token: team_id}  # token -> team
        self.users: dict[str, FakeUser] = {}
        self.calls: list[Call] = []
        self.failures: dict[str, list[str]] = {}  # method -> errors to answer, one per call
        self.delays: dict[str, float] = {}  # method -> seconds to wait before answering
        self.http_failures: dict[str, list[tuple[int, dict[str, str]]]] = {}  # method -> (status, headers); 0 drops
        self.down_until: dict[str, float] = {}  # method -> time.monotonic() until which every call is dropped
        self.lost_answers: dict[str, list[float]] = {}  # method -> seconds after which a done call's answer is lost
        self._state = _State()
        self._lock = threading.Condition()
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._sockets: list[_WebSocket] = []

    @property
    def url(self) -> str:
        return self.origin + "/"

    @property
    def api_url(self) -> str:
        """What to give WebClient(base_url=...) or SLACK_API_URL."""
        return self.url + "api/"

    # --- test set-up -------------------------------------------------------------------------------
    def add_user(self, user_id: str, real_name: str, display_name: str = "", tz: str = "UTC") -> FakeUser:
        user = FakeUser(user_id, real_name.split()[0].lower(), real_name, display_name, tz)
        self.users[user_id] = user
        return user

    def add_file(self, name: str, content: bytes, *, user: str = "U0ANA", filetype: str | None = None) -> dict[str, Any]:
        """Registers a file as Slack would hold it; returns its file object (as in events)."""
        file_id = f"F{next(self._ids):07d}"
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else "text"
        quoted = urllib.parse.quote(name)
        obj = {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": "text/plain",
            "filetype": filetype or ext,
            "size": len(content),
            "user": user,
            "url_private": f"{self.url}files-pri/{self.team_id}-{file_id}/{quoted}",
            "url_private_download": f"{self.url}files-pri/{self.team_id}-{file_id}/download/{quoted}",
        }
        with self._lock:
            self._state.files[file_id] = obj
            self._state.file_bytes[file_id] = content
        return dict(obj)

    def new_trigger_id(self) -> str:
        trigger = f"{next(self._ids)}.{int(time.time())}.fake-trigger"
        with self._lock:
            self._state.triggers[trigger] = time.monotonic()
        return trigger

    def response_url(self, name: str = "") -> str:
        return f"{self.url}response/{name or next(self._ids)}"

    def new_oauth_code(self, team_id: str) -> str:
        code = f"code-{next(self._ids)}"
        with self._lock:
            self._state.oauth_codes[code] = team_id
        return code

    def socket_mode_send(self, kind: str, payload: dict[str, Any], timeout: float = 10.0) -> str:
        """Deliver an envelope ("slash_commands", "interactive", "events_api") to the connected
        Socket Mode client; returns its envelope_id (its ack arrives as a `socket_mode_ack` call)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not self._sockets:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no Socket Mode client connected")
                self._lock.wait(left)
            ws = self._sockets[-1]
        envelope_id = f"env-{next(self._ids)}"
        ws.send_text(json.dumps({"envelope_id": envelope_id, "type": kind, "payload": payload,
                                 "accepts_response_payload": kind != "events_api", "retry_attempt": 0,
                                 "retry_reason": ""}))
        return envelope_id

    def set_members(self, channel: str, user_ids: list[str] | tuple[str, ...]) -> None:
        """The people in `channel` (conversations.members); channels never set hold every known user."""
        with self._lock:
            self.channel_members[channel] = set(user_ids)

    def add_channel(self, channel: str, name: str, *, private: bool = False) -> None:
        """A named channel for conversations.list (a private one is listed only while the bot is in it)."""
        with self._lock:
            self.channel_names[channel] = (name, private)

    def fail_next(self, method: str, error: str) -> None:
        """The next call of `method` answers {"ok": false, "error": error}."""
        with self._lock:
            self.failures.setdefault(method, []).append(error)

    def fail_http_next(self, method: str, status: int, *, retry_after: int | None = None) -> None:
        """The next call of `method` answers HTTP `status` (429 carries `Retry-After: retry_after`)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        with self._lock:
            self.http_failures.setdefault(method, []).append((status, headers))

    def drop_next(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` get no answer: the connection is closed."""
        with self._lock:
            self.http_failures.setdefault(method, []).extend([(0, {})] * times)

    def lose_answer_next(self, method: str, *, after: float = 0.0) -> None:
        """The next call of `method` is carried out, but its answer never arrives: `after` seconds later
        the connection is closed without one (Slack acted, then the network failed or the client timed out)."""
        with self._lock:
            self.lost_answers.setdefault(method, []).append(after)

    def _lost_answer(self, method: str) -> float | None:
        with self._lock:
            pending = self.lost_answers.get(method)
            return pending.pop(0) if pending else None

    def down_for(self, method: str, seconds: float) -> None:
        """Every call of `method` ("*" for all) in the next `seconds` gets its connection closed."""
        with self._lock:
            self.down_until[method] = time.monotonic() + seconds

    def _http_failure(self, method: str) -> tuple[int, dict[str, str]] | None:
        with self._lock:
            until = max(self.down_until.get(method, 0.0), self.down_until.get("*", 0.0))
            if time.monotonic() < until:
                return 0, {}
            pending = self.http_failures.get(method)
            return pending.pop(0) if pending else None

    # --- assertions --------------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 20.0) -> list[Call]:
        """Waits until `count` calls of `method` have arrived; returns them (AssertionError on timeout)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self.calls if c.method == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = sorted({c.method for c in self.calls})
                    raise AssertionError(f"{len(found)} of {count} {method} calls within {timeout}s; saw {seen}")
                self._lock.wait(left)

    def messages(self, channel: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self._state.messages.get(channel, [])]

    def dm_with(self, user_id: str) -> str:
        """The id of the bot's DM with a user (where posts to the user's id land)."""
        return self._dm_channel(user_id)

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The parent message and its replies, oldest first."""
        return [m for m in self.messages(channel) if m["ts"] == ts or m.get("thread_ts") == ts]

    def uploaded_bytes(self, file_id: str) -> bytes:
        with self._lock:
            return self._state.file_bytes[file_id]

    def view(self, view_id: str) -> dict[str, Any]:
        with self._lock:
            return self._state.views[view_id]

    # --- request handling (called by the HTTP handler threads) --------------------------------------
    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.{next(self._ids):06d}"

    def _dm_channel(self, user_id: str) -> str:
        return "D" + user_id[1:]

    def _channel_for_post(self, channel: str) -> tuple[str | None, str | None]:
        """The channel a message lands in, or an error code."""
        if not channel:
            return None, "channel_not_found"
        if channel[0] in "UW":
            return self._dm_channel(channel), None
        if channel[0] == "D":
            return channel, None
        if channel not in self.member_channels:
            return None, "not_in_channel"
        return channel, None

    def _post(self, channel: str, message: dict[str, Any]) -> dict[str, Any]:
        msg = {"type": "message", "ts": self._next_ts(), "user": self.bot_user_id, "bot_id": self.bot_id, **message}
        with self._lock:
            self._state.messages.setdefault(channel, []).append(msg)
        return msg

    def api(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        with self._lock:
            pending = self.failures.get(method)
            error = pending.pop(0) if pending else None
        if error:
            return {"ok": False, "error": error}
        if method == "oauth.v2.access":
            return self._oauth_v2_access(params)
        if method == "apps.connections.open":
            if token != self.app_token:
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": f"ws://{self.url[len('http://'):]}socket-mode?ticket={next(self._ids)}"}
        if token not in self.tokens:
            return {"ok": False, "error": "not_authed" if not token else "invalid_auth"}
        team = self.tokens[token]
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        return handler(params, team)

    def _m_auth_test(self, p: dict[str, Any], team: str) -> dict[str, Any]:
        return {"ok": True, "url": f"https://{team.lower()}.slack.com/", "team": f"Team {team}", "user": "salesrl",
                "team_id": team, "user_id": self.bot_user_id, "bot_id": self.bot_id, "is_enterprise_install": False}

    def _m_chat_postMessage(self, p: dict[str, Any], team: str) -> dict[str, Any]:
        if not p.get("text") and not p.get("blocks") and not p.get("attachments"):
            return {"ok": False, "error": "no_text"}
        channel, error = self._channel_for_post(str(p.get("channel", "")))
        if error:
            return {"ok": False, "error": error}
        fields = {k: _maybe_json(p[k]) for k in ("text", "blocks", "thread_ts", "attachments", "metadata") if p.get(k)}
        msg = self._post(channel, fields)
        return {"ok": True, "channel": channel, "ts": msg["ts"], "message": msg}

    def _m_chat_update(self, p: dict[str, Any], team: str) -> dict[str, Any]:
        channel, ts = str(p.get("channel", "")), str(p.get("ts", ""))
        with self._lock:
            for msg in self._state.messages.get(channel, []):
                if msg["ts"] == ts:
                    msg.update({k: _maybe_json(p[k]) for k in ("text", "blocks") if k in p})
                    return {"ok": True, "channel": channel, "ts": ts, "text": msg.get("text", "")}
        return {"ok": False, "error": "message_not_found"}

    def _m_chat_postEphemeral(self, p: dict[str, Any], team: str) -> dict[str, Any]:
        channel = str(p.get("channel", ""))
        if channel[:1] in ("C", "G") and channel not in self.member_channels:
            return {"ok": False, "error": "not_in_channel"}
        if not p.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _m_views_open(self, p: dict[str, Any], team: str) -> dict[str, Any]:
        trigger = str(p.get("trigger_id", ""))
        with self._lock:
            issued = self._state.triggers.get(trigger)
        if issued is None:
            return {"ok": False, "error": "invalid_trigger_id"}
        if time.monotonic() - issued > TRIGGER_LIFETIME_S:
            return {"ok": False, "error": "expired_trigger_id"}
        return self._store_view(_maybe_json(p.get("view")), None)

    def _m_views_update(self, p: dict[str, Any], team: str) -> dict[str, Any]:
        view_id = str(p.get("view_id", ""))
        with self._lock:
            known = view_id in self._state.views
        if not known:
            return {"ok": False, "error": "not_found"}
        return self._store_view(_maybe_json(p.get("view")), view_id)

    def _m_views_publish(self, p: dict[str, Any], team: str) -> dict[str, Any]:
        if not p.get("user_id"):
            return {"ok": False, "error": "invalid_arguments"}
        return self._store_view(_maybe_json(p.get("view")), f"VHOME{p['user_id']}")

    def _store_view(self, view: Any, view_id: str | None) -> dict[str, Any]:
        if not isinstance(view, dict) or "type" not in view:
            return {"ok": False, "error": "invalid_arguments"}
        view = {**view, "id": view_id or f"V{next(self._ids):07d}"}
        with self._lock:
            self._state.views[view["id"]] = view
        return {"ok": True, "view": view}

    def _m_users_lookupByEmail(self, p: dict[str, Any], team: str) -> dict[str, Any]:
        email = str(p.get("email", "")).lower()
        user = next((u for u in self.users.values() if u.email == email), None)
        if user is None:
            return {"ok": False, "error": "users_not_found"}
        return {"ok": True, "user": {"id": user.id, "team_id": team, "name": user.name, "real_name": user.real_name}}

    def _m_users_info(self, p: dict[str, Any], team: str) -> dict[str, Any]:
        user = self.users.get(str(p.get("user", "")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": {
            "id": user.id, "team_id": team, "name": user.name, "real_name": user.real_name, "tz": user.tz,
            "is_bot": user.is_bot, "is_admin": user.is_admin, "is_owner": user.is_owner,
            "is_primary_owner": False,
            "profile": {"real_name": user.real_name, "display_name": user.display_name},
        }}

    def _m_files_info(self, p: dict[str, Any], team: str) -> dict[str, Any]:
        with self._lock:
            obj = self._state.files.get(str(p.get("file", "")))
        if obj is None:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": dict(obj)}

    def _m_files_getUploadURLExternal(self, p: dict[str, Any], team: str) -> dict[str, Any]:
        if not p.get("filename") or not str(p.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ids):07d}"
        with self._lock:
            self._state.files[file_id] = {"id": file_id, "name": p["filename"], "title": p["filename"],
                                          "size": int(p["length"]), "alt_txt": p.get("alt_txt"),
                                          "uploaded": False, "complete": False}
        return {"ok": True, "upload_url": f"{self.url}upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, p: dict[str, Any], team: str) -> dict[str, Any]:
        files = _maybe_json(p.get("files"))
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        channel_id = p.get("channel_id")
        landed = None
        if channel_id:
            landed, error = self._channel_for_post(str(channel_id))
            if error:
                return {"ok": False, "error": error}
        done = []
        with self._lock:
            for f in files:
                obj = self._state.files.get(f.get("id", ""))
                if obj is None or not obj["uploaded"]:
                    return {"ok": False, "error": "file_not_found"}
                obj.update(complete=True, title=f.get("title") or obj["name"])
                done.append(dict(obj))
        if landed:
            fields: dict[str, Any] = {"files": done, "text": p.get("initial_comment") or "", "subtype": "file_share"}
            if p.get("thread_ts"):
                fields["thread_ts"] = p["thread_ts"]
            self._post(landed, fields)
        return {"ok": True, "files": done}

    def _m_conversations_replies(self, p: dict[str, Any], team: str) -> dict[str, Any]:
        channel, ts = str(p.get("channel", "")), str(p.get("ts", ""))
        if channel[:1] in ("C", "G") and channel not in self.member_channels:
            return {"ok": False, "error": "not_in_channel"}
        found = self.thread(channel, ts)
        if not found:
            return {"ok": False, "error": "thread_not_found"}
        # oldest first, `limit` a page (all of them unless asked), the next page's cursor as Slack gives it
        start = int(p.get("cursor") or 0)
        limit = int(p.get("limit") or len(found))
        more = start + limit < len(found)
        return {"ok": True, "messages": found[start:start + limit], "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _m_conversations_history(self, p: dict[str, Any], team: str) -> dict[str, Any]:
        """Top-level messages newest first, from `oldest` on; message metadata only when asked for
        with include_all_metadata, as Slack does."""
        channel = str(p.get("channel", ""))
        if channel[:1] in ("C", "G") and channel not in self.member_channels:
            return {"ok": False, "error": "not_in_channel"}
        oldest = float(p.get("oldest") or 0)
        with_metadata = str(p.get("include_all_metadata", "")).lower() in ("1", "true")
        found = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"}
                 for m in self.messages(channel) if float(m["ts"]) >= oldest and m.get("thread_ts", m["ts"]) == m["ts"]]
        limit = int(p.get("limit") or 100)
        return {"ok": True, "messages": found[::-1][:limit], "has_more": len(found) > limit}

    def _m_conversations_info(self, p: dict[str, Any], team: str) -> dict[str, Any]:
        channel = str(p.get("channel", ""))
        return {"ok": True, "channel": {"id": channel, "is_member": channel in self.member_channels,
                                        "is_im": channel.startswith("D")}}

    def _m_conversations_members(self, p: dict[str, Any], team: str) -> dict[str, Any]:
        channel = str(p.get("channel", ""))
        with self._lock:
            people = sorted(self.channel_members[channel]) if channel in self.channel_members else list(self.users)
        members = people + ([self.bot_user_id] if channel in self.member_channels else [])
        return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}

    def _m_chat_getPermalink(self, p: dict[str, Any], team: str) -> dict[str, Any]:
        channel, ts = str(p.get("channel", "")), str(p.get("message_ts", ""))
        if not any(m["ts"] == ts for m in self.messages(channel)):
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel,
                "permalink": f"https://fake.slack.com/archives/{channel}/p{ts.replace('.', '')}"}

    def _m_conversations_list(self, p: dict[str, Any], team: str) -> dict[str, Any]:
        with self._lock:
            visible = [{"id": c, "name": name, "is_private": private} for c, (name, private) in self.channel_names.items()
                       if not private or c in self.member_channels]
        start, limit = int(p.get("cursor") or 0), int(p.get("limit") or 100)
        after = start + limit
        return {"ok": True, "channels": visible[start:after],
                "response_metadata": {"next_cursor": str(after) if after < len(visible) else ""}}

    def _oauth_v2_access(self, p: dict[str, Any]) -> dict[str, Any]:
        if p.get("client_id") != self.client_id or p.get("client_secret") != self.client_secret:
            return {"ok": False, "error": "invalid_client_id"}
        with self._lock:
            team = self._state.oauth_codes.pop(str(p.get("code", "")), None)
        if team is None:
            return {"ok": False, "error": "invalid_code"}
        token = f"xoxb-{team.lower()}-{next(self._ids)}"
        self.tokens[token] = team
        return {
            "ok": True, "app_id": "A0SALESRL", "authed_user": {"id": "U0INSTALLER"},
            "scope": "commands,chat:write", "token_type": "bot", "access_token": token,
            "bot_user_id": self.bot_user_id, "team": {"id": team, "name": f"Team {team}"},
            "enterprise": None, "is_enterprise_install": False,
        }

    def upload(self, file_id: str, data: bytes) -> int:
        with self._lock:
            obj = self._state.files.get(file_id)
            if obj is None or obj["uploaded"]:
                return 404
            if len(data) != obj["size"]:
                return 400
            obj["uploaded"] = True
            self._state.file_bytes[file_id] = data
        return 200

    def download(self, file_id: str, token: str | None) -> tuple[int, str, bytes]:
        if token not in self.tokens:
            # Slack serves its sign-in page, with status 200, to a request without a valid token
            return 200, "text/html; charset=utf-8", b"<!DOCTYPE html><html><body>Sign in to Slack</body></html>"
        with self._lock:
            data = self._state.file_bytes.get(file_id)
        if data is None:
            return 404, "text/plain", b"not found"
        return 200, "application/octet-stream", data


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class _Handler(QuietHandler):
    fake: FakeSlack

    def _token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        return auth[7:] if auth.startswith("Bearer ") else None

    def _params(self, body: bytes) -> dict[str, Any]:
        url = urllib.parse.urlsplit(self.path)
        params: dict[str, Any] = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        ctype = self.headers.get("Content-Type", "")
        if body and "application/json" in ctype:
            data = json.loads(body)
            if isinstance(data, dict):
                params.update(data)
        elif body and "application/x-www-form-urlencoded" in ctype:
            params.update(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):  # oauth.v2.access sends client credentials this way
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            params.setdefault("client_id", user)
            params.setdefault("client_secret", password)
        return params

    def _hang_up(self) -> None:
        """Close the connection without an answer."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:  # the client gave up and closed it first
            pass

    def do_POST(self) -> None:
        body = self.read_body()
        path = urllib.parse.urlsplit(self.path).path
        headers = {k: v for k, v in self.headers.items()}
        if path.startswith("/api/"):
            method = path[len("/api/"):]
            params = self._params(body)
            self.fake._record(Call(method, params, headers, time.monotonic(), body, self.path))
            delay = self.fake.delays.get(method)
            if delay:
                time.sleep(delay)
            failure = self.fake._http_failure(method)
            if failure is not None:
                status, extra = failure
                if status == 0:  # as if the network failed: no answer at all
                    self._hang_up()
                    return
                error = {"ok": False, "error": "ratelimited" if status == 429 else "fatal_error"}
                self.send(status, json.dumps(error).encode(), SLACK_JSON, extra)
                return
            answer = self.fake.api(method, params, self._token() or params.get("token"))
            lost_after = self.fake._lost_answer(method)
            if lost_after is not None:
                time.sleep(lost_after)
                self._hang_up()
                return
            self.send(200, json.dumps(answer).encode(), SLACK_JSON)
        elif path.startswith("/upload/"):
            file_id = path.rsplit("/", 1)[-1]
            self.fake._record(Call("upload", {"file_id": file_id}, headers, time.monotonic(), body, self.path))
            status = self.fake.upload(file_id, body)
            self.send(status, b"OK - %d" % len(body), "text/plain")
        elif path.startswith("/response/"):
            params = self._params(body)
            self.fake._record(Call("response_url", params, headers, time.monotonic(), body, self.path))
            self.send(200, b"ok", "text/plain")
        else:
            self.send(404, b"not found", "text/plain")

    def do_GET(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        headers = {k: v for k, v in self.headers.items()}
        if path == "/socket-mode" and self.headers.get("Upgrade", "").lower() == "websocket":
            self._socket_mode()
        elif path.startswith("/files-pri/"):
            file_id = path.split("/")[2].split("-", 1)[-1]
            self.fake._record(Call("download", {"file_id": file_id}, headers, time.monotonic(), b"", self.path))
            status, ctype, data = self.fake.download(file_id, self._token())
            self.send(status, data, ctype)
        else:
            self.send(404, b"not found", "text/plain")

    def _socket_mode(self) -> None:
        key = self.headers["Sec-WebSocket-Key"]
        accept = base64.b64encode(hashlib.sha1((key + WEBSOCKET_GUID).encode()).digest()).decode()
        self.wfile.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        self.wfile.flush()
        ws = _WebSocket(self.rfile, self.wfile)
        ws.send_text(json.dumps({"type": "hello", "num_connections": 1,
                                 "debug_info": {"host": "fake", "approximate_connection_time": 18060},
                                 "connection_info": {"app_id": "A0SALESRL"}}))
        with self.fake._lock:
            self.fake._sockets.append(ws)
            self.fake._lock.notify_all()
        try:
            while True:
                opcode, data = ws.read_frame()
                if opcode == 0x8:  # close
                    ws.send_frame(0x8, data[:2])
                    break
                if opcode == 0x9:  # ping
                    ws.send_frame(0xA, data)
                elif opcode == 0x1:
                    message = json.loads(data)
                    params = {"envelope_id": message.get("envelope_id"), "payload": message.get("payload")}
                    self.fake._record(Call("socket_mode_ack", params, {}, time.monotonic(), data, self.path))
        except (ConnectionError, OSError, ValueError):
            pass
        finally:
            with self.fake._lock:
                if ws in self.fake._sockets:
                    self.fake._sockets.remove(ws)
            self.close_connection = True


class _WebSocket:
    """The server side of RFC 6455 framing, as much as Socket Mode uses (text, ping, pong, close)."""

    def __init__(self, rfile: Any, wfile: Any) -> None:
        self.rfile, self.wfile = rfile, wfile
        self.lock = threading.Lock()

    def _read(self, n: int) -> bytes:
        data = self.rfile.read(n)
        if len(data) < n:
            raise ConnectionError("WebSocket closed")
        return data

    def read_frame(self) -> tuple[int, bytes]:
        first, second = self._read(2)
        opcode, masked, length = first & 0x0F, second & 0x80, second & 0x7F
        if length == 126:
            length = int.from_bytes(self._read(2), "big")
        elif length == 127:
            length = int.from_bytes(self._read(8), "big")
        mask = self._read(4) if masked else b"\0\0\0\0"
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self._read(length)))
        return opcode, payload

    def send_frame(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([n])
        elif n < 65536:
            head += bytes([126]) + n.to_bytes(2, "big")
        else:
            head += bytes([127]) + n.to_bytes(8, "big")
        with self.lock:
            self.wfile.write(head + payload)
            self.wfile.flush()

    def send_text(self, text: str) -> None:
        self.send_frame(0x1, text.encode())
