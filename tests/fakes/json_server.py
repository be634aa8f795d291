"""The part the JSON API fakes (HubSpot, Salesforce, OpenAI) share: a threaded HTTP(S) server on 127.0.0.1
that records each request and can answer the next ones with a failure.

    class FakeThing(JsonServer):
        def handle(self, request: Request) -> Reply: ...
    with FakeThing() as fake:
        fake.fail_next(429, headers={"Retry-After": "1"})
"""

from __future__ import annotations

import json
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Callable

from tests.fakes.local_server import LocalServer, QuietHandler


@dataclass
class Request:
    method: str
    path: str  # without the query string
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float = field(default_factory=time.monotonic)  # when it arrived

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-encoded unless bytes
    headers: dict[str, str] = field(default_factory=dict)


class JsonServer(LocalServer):
    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(_JsonHandler, tls=tls)
        self.requests: list[Request] = []
        self._failures: list[tuple[Callable[[Request], bool], Reply]] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return self.origin

    def fail_next(self, status: int, body: Any = None, *, headers: dict[str, str] | None = None, times: int = 1,
                  when: Callable[[Request], bool] = lambda r: True) -> None:
        """The next `times` requests that `when` accepts get this answer instead."""
        with self._lock:
            for _ in range(times):
                self._failures.append((when, Reply(status, body, headers or {})))

    def _answer(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            failure = next((f for f in self._failures if f[0](request)), None)
            if failure is not None:
                self._failures.remove(failure)
                return failure[1]
        return self.handle(request)

    def handle(self, request: Request) -> Reply:  # pragma: no cover - each fake answers
        raise NotImplementedError


class _JsonHandler(QuietHandler):
    fake: JsonServer

    def _serve(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        request = Request(self.command, url.path, dict(urllib.parse.parse_qsl(url.query)),
                          {k.lower(): v for k, v in self.headers.items()}, self.read_body())
        reply = self.fake._answer(request)
        body = reply.body if isinstance(reply.body, bytes) else (
            b"" if reply.body is None else json.dumps(reply.body).encode())
        headers = dict(reply.headers)
        content_type = headers.pop("Content-Type", "application/json")
        self.send(reply.status, body, content_type, headers)

    do_GET = do_POST = do_PATCH = do_DELETE = _serve
