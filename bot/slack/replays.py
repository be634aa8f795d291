"""Refusing a signed request sent a second time.

Slack signs each request with the app's signing secret over its timestamp and body, and Bolt
refuses a bad signature or a timestamp more than five minutes off. Within those five minutes an
exact copy of a request (someone who captured one, replaying it) would still verify. `ReplayGuard`
remembers the signature of every valid request for that window and refuses a second one: a slash
command or a button press is acted on once, however often it is sent.

Slack's own retries of an event carry ``X-Slack-Retry-Num``; a retry that is an exact copy gets
200 (so Slack stops retrying) and is not handled again; Slack events are also handled once across
processes by their event id (bot.slack.listeners.workspace). The memory is per process: copies
sent to two processes behind a load balancer are caught there only for events (their ids are
shared through the database); TLS keeps others from capturing requests to copy in the first place.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import Mapping

from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

WINDOW_S = 5 * 60  # Slack's (and Bolt's) tolerance for a request's timestamp
MAX_REMEMBERED = 200_000  # about 30 MB at most: far above any real app's five minutes of requests


class ReplayGuard:
    def __init__(self, signing_secret: str, window_s: float = WINDOW_S, max_remembered: int = MAX_REMEMBERED) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self._window = window_s
        self._max = max_remembered
        self._seen: OrderedDict[str, float] = OrderedDict()  # signature -> when it was first seen
        self._lock = threading.Lock()

    def first_time(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """False when this exact signed request was already received in the last five minutes.
        A request whose signature is not valid is not remembered (Bolt refuses it with 401)."""
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not signature or not self._verifier.is_valid(body, timestamp, signature):
            return True
        now = time.monotonic()
        with self._lock:
            while self._seen and (next(iter(self._seen.values())) < now - self._window or len(self._seen) >= self._max):
                self._seen.popitem(last=False)
            if signature in self._seen:
                return False
            self._seen[signature] = now
        return True

    def forget(self, headers: Mapping[str, str]) -> None:
        """A request that failed (not acknowledged with 2xx) may come again: Slack retries it."""
        with self._lock:
            self._seen.pop(headers.get("x-slack-signature", ""), None)
