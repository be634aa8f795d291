"""The part the CRM fakes share: a threaded HTTP(S) server on 127.0.0.1 that records each request and can
answer the next ones with a failure.

    class FakeThing(JsonServer):
        def handle(self, request: Request) -> Reply: ...
    with FakeThing() as fake:
        fake.fail_next(429, headers={"Retry-After": "1"})
"""

from __future__ import annotations

import json
import ssl
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class Request:
    method: str
    path: str  # without the query string
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-encoded unless bytes
    headers: dict[str, str] = field(default_factory=dict)


class JsonServer:
    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[Request] = []
        self._failures: list[tuple[Callable[[Request], bool], Reply]] = []
        self._lock = threading.Lock()
        self._tls = tls
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parsed = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.command, parsed.path, dict(urllib.parse.parse_qsl(parsed.query)),
                                  {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))
                reply = fake._answer(request)
                body = reply.body if isinstance(reply.body, bytes) else (
                    b"" if reply.body is None else json.dumps(reply.body).encode())
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json", **reply.headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"

    def __enter__(self) -> "JsonServer":
        threading.Thread(target=self._server.serve_forever, name=type(self).__name__, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

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
