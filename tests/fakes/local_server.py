"""What every fake HTTP server here shares: a real server on 127.0.0.1 at a free port, served from a daemon
thread while the fake is started, and a quiet HTTP/1.1 handler.

    class FakeThing(LocalServer):
        def __init__(self) -> None:
            super().__init__(_Handler)       # a QuietHandler; it reaches the fake as `self.fake`
    with FakeThing() as fake:
        requests.get(fake.origin + "/path")  # "http://127.0.0.1:<port>"
"""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class QuietHandler(BaseHTTPRequestHandler):
    """Keeps connections open between requests, as the real APIs do, and writes no log line per request."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # `format`: the base class's name
        pass  # keep test output clean

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status: int, body: bytes = b"", content_type: str = "application/json",
             headers: dict[str, str] | None = None) -> None:
        """A whole answer: status, headers, and `body` with its Content-Length."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class LocalServer:
    """A fake's server: `start()` (or `with`) binds a free port on 127.0.0.1 and serves it from a daemon
    thread until `stop()`; with `tls` it speaks HTTPS. Each request is answered by a `handler`, which reaches
    the fake as `self.fake`."""

    def __init__(self, handler: type[QuietHandler], *, tls: ssl.SSLContext | None = None) -> None:
        self._handler = handler
        self._tls = tls
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> Self:
        handler = type("Handler", (self._handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        if self._tls is not None:
            self._server.socket = self._tls.wrap_socket(self._server.socket, server_side=True)
        # a short poll interval: stop() returns within 10 ms rather than after up to half a second (the
        # default); every end-to-end test stops one, and the thread idles in select() in between
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
                         name=type(self).__name__, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the fake first"
        return self._server.server_address[1]

    @property
    def origin(self) -> str:
        """Scheme, host and port, without a trailing slash: "http://127.0.0.1:<port>"."""
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"
