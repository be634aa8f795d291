"""Checking a request's Slack signature, and refusing a signed request sent a second time.

Slack signs each request with the app's signing secret over its timestamp and body; a request
whose signature does not verify, or whose timestamp is more than five minutes off, is refused
(`ReplayGuard.is_signed`; Bolt checks again behind it). Within those five minutes an exact copy of
a request (someone who captured one, replaying it) would still verify. `ReplayGuard.first_time`
records the SHA-256 of every valid request's signature in the database (`store.events.first_time_request`)
and refuses a second one: a slash command or a button press is acted on once, however often it is
sent and to however many `salesrl serve` processes sharing the database.

Slack's own retries of an event carry ``X-Slack-Retry-Num``; a retry that is an exact copy gets
200 (so Slack stops retrying) and is not handled again (the server decides that). A request not
answered with 2xx is forgotten (`forget`), so Slack's retry of it gets through. Slack re-signs its
retries under a new timestamp; those are handled once by their event id (bot.slack.listeners.workspace).

A request first seen at time S carries a timestamp within five minutes of S, and a copy verifies
only until five minutes after that timestamp: ten minutes after S no copy verifies, and the record
can go (the clocks of the processes sharing the database are taken to agree). Each process deletes
expired records at most once a minute, after recording a request, so the table holds about ten
minutes of requests whether or not the scheduler runs and without a job of its own.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from datetime import timedelta
from typing import Mapping

from slack_sdk.signature import SignatureVerifier

from salesrl.bot.store import Store
from salesrl.bot.store.errors import StoreError

log = logging.getLogger(__name__)

WINDOW_S = 5 * 60  # Slack's (and Bolt's) tolerance for a request's timestamp
KEEP_FOR = timedelta(seconds=2 * WINDOW_S)  # either side of the window: see the module's docstring
PRUNE_EVERY_S = 60


def _signature(headers: Mapping[str, str]) -> str:
    return headers.get("x-slack-signature", "")


def _digest(signature: str) -> str:
    return hashlib.sha256(signature.encode()).hexdigest()


class ReplayGuard:
    def __init__(self, signing_secret: str, store: Store) -> None:
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self._store = store
        self._next_prune = 0.0  # time.monotonic() after which expired records are deleted again
        self._lock = threading.Lock()

    def is_signed(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """The request carries a valid signature under a timestamp less than five minutes off.
        Anything malformed (a timestamp that is not a number, a signature not in ASCII, a body not
        in UTF-8) is not."""
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = _signature(headers)
        if self._verifier is None or not signature:
            return False
        try:
            return self._verifier.is_valid(body, timestamp, signature)
        except (ValueError, TypeError):  # int(timestamp), body.decode() fail; compare_digest refuses non-ASCII
            return False

    def first_time(self, headers: Mapping[str, str]) -> bool:
        """False when this signed request was already received (by any process on the database)
        while a copy of it still verifies. Call it only for a request `is_signed` accepted. Raises
        DatabaseUnavailable when the request cannot be recorded."""
        first = self._store.events.first_time_request(_digest(_signature(headers)))
        self._prune_now_and_then()
        return first

    def forget(self, headers: Mapping[str, str]) -> None:
        """A request that failed (not acknowledged with 2xx) may come again: Slack retries it."""
        try:
            self._store.events.forget_request(_digest(_signature(headers)))
        except StoreError as e:
            log.warning("could not forget a failed request, so a copy of it will be refused: %s", e)

    def _prune_now_and_then(self) -> None:
        with self._lock:
            now = time.monotonic()
            if now < self._next_prune:
                return
            self._next_prune = now + PRUNE_EVERY_S
        try:
            self._store.events.prune_seen_requests(KEEP_FOR)
        except StoreError as e:  # the request itself was recorded; the next prune catches up
            log.warning("could not delete expired request records: %s", e)
