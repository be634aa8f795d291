"""Calls accepted but not yet answered, kept in the database so that a crash loses none of them.

A call's pending row is written before Slack is told the call was accepted (`accept`, called in
the ack: the request's HTTP 200, or "Scoring your call…", goes out only after the row is saved):
who asked, where, the deal, and the pasted transcript (redacted; a file is downloaded from Slack
again instead). When the row cannot be written the asker is told at once that the call was not
saved. The transaction that saves the scored call marks the row with the call's id; the row is
deleted when the answer is delivered, or the asker was told why not. So at any moment a process is
killed, one of these holds:

- the call was not saved (nothing half-saved: the save is one transaction) and the row has no call
  id: another process, or this one restarted, scores it again and answers as usual;
- the call was saved (the row has its id): if its result is in Slack (the call records where, or a
  message tagged with the call's id is found where the asker asked), nothing more is said; else
  the asker is told it was scored and where to find it (`/salesrl deal NAME`). Nothing is saved twice.

Who takes a row over: each process has an owner id (host, pid, a random part) and renews the claim
on its rows every `SWEEP_S`; every process looks every `SWEEP_S` (and at start-up) for rows whose
owner stopped renewing them for `LEASE_S`, or whose owner was a process on this host that no longer
exists (a restart after a crash is then picked up at once). A process also goes back to its own
rows that a job left open because the database failed under it: a call not yet saved is scored
again (the asker was told it is delayed, never that it failed), and a row whose asker has their
answer is closed. A row tried `MAX_ATTEMPTS` times is given up, and the asker is told to send the
call again.

This module keeps the rows and their claims, and knows nothing of scoring: what to do with a row
taken over (score the call again, or tell its asker where the saved result is) is the function
passed to `sweep` (bot.slack.scoring.resume_call, wired in bot.server), which the process's
scheduler runs at start-up and every `SWEEP_S` (bot.scheduler). Scoring, in
turn, closes a row here once its call is answered.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from datetime import timedelta
from typing import Any, Callable, Sequence

from slack_sdk import WebClient

from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.outbox import reply_privately
from salesrl.bot.slack.templates import SlackMessage, Templates
from salesrl.bot.store import DatabaseUnavailable, Store
from salesrl.bot.store.pending import PendingCall
from salesrl.bot.store.tables import utcnow

log = logging.getLogger(__name__)

SWEEP_S = 30.0
LEASE_S = 120.0
MAX_ATTEMPTS = 3

ClientLookup = Callable[[str], "WebClient | None"]
# What to do with a row taken over (bot.slack.scoring.resume_call): score the call again, or tell
# the asker where its saved result is. Passed in by whoever runs the sweep: this module knows
# nothing of scoring, which closes rows here when a call is answered.
Resume = Callable[[WebClient, PendingCall], None]

NOT_SAVED = "SalesRL's database is unavailable; your call was not saved, please send it again in a minute."
DELAYED = ("SalesRL's database is unavailable right now: I will score {label} and post the result "
           "as soon as it is back.")


def process_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def is_dead_here(owner: str) -> bool:
    """True when `owner` was a process on this host that no longer runs (so its rows are free now)."""
    try:
        host, pid_text, _ = owner.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return False
    if host != socket.gethostname() or pid == os.getpid() or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class PendingCalls:
    """This process's pending calls, and the sweep that takes over those of dead processes (run by
    bot.scheduler)."""

    def __init__(self, store: Store, templates: Templates) -> None:
        self.store = store
        self.templates = templates
        self.owner = process_owner()
        # Rows of this process that no job works on any more (pending id -> workspace): to score again
        # (the database failed before the call was saved), or only to close (the asker has the answer).
        self._lock = threading.Lock()
        self._to_retry: dict[int, str] = {}
        self._to_close: dict[int, str] = {}
        self._told_delayed: set[int] = set()

    # --- the life of one call ------------------------------------------------------------------
    def accept(self, team_id: str, calls: Sequence[tuple[dict[str, Any], str | None]]) -> list[int]:
        """Write the calls' rows (all or none: each a request, and a pasted transcript already
        redacted) before the work starts, and before Slack is told they were accepted. Raises
        DatabaseUnavailable, saying they were not saved, if the database fails."""
        try:
            return self.store.pending.add(team_id, list(calls), self.owner)
        except DatabaseUnavailable:
            raise DatabaseUnavailable(NOT_SAVED) from None

    def finish(self, team_id: str, pending_id: int | None) -> None:
        """Close the row: the asker has their answer, or was told why not."""
        if pending_id is None:
            return
        with self._lock:
            self._told_delayed.discard(pending_id)
        try:
            self.store.pending.finish(team_id, pending_id)
        except Exception as e:  # closed by the next sweep; until then the row is this process's
            log.warning("could not close pending call %s (%s); closing it later", pending_id, type(e).__name__)
            with self._lock:
                self._to_close[pending_id] = team_id

    def retry_later(self, client: WebClient, asker: Asker, pending_id: int, label: str) -> None:
        """The database failed before the call was saved: the next sweep that can reach it scores the
        call again. The asker hears, once, that the answer is delayed (not that it failed)."""
        with self._lock:
            self._to_retry[pending_id] = asker.team_id
            told = pending_id in self._told_delayed
            self._told_delayed.add(pending_id)
        if not told:
            self._say(client, asker, pending_id, DELAYED.format(label=label))

    # --- taking over ---------------------------------------------------------------------------
    def sweep(self, clients: ClientLookup, resume: Resume) -> list[PendingCall]:
        """Renew this process's claims; close or resume the rows its jobs left open; take over
        abandoned rows and resume them. Returns the rows resumed."""
        store = self.store
        store.pending.touch(self.owner)
        with self._lock:
            to_close, to_retry = dict(self._to_close), dict(self._to_retry)
        for pending_id, team_id in to_close.items():
            store.pending.finish(team_id, pending_id)
            with self._lock:
                self._to_close.pop(pending_id, None)
        taken: list[PendingCall] = []
        for pending_id, team_id in to_retry.items():
            again = store.pending.retry(team_id, pending_id, self.owner)
            with self._lock:
                self._to_retry.pop(pending_id, None)
            if again is not None:  # else another process took it over while this one had lost the database
                taken.append(again)
        for workspace in store.workspaces.list():
            dead = [o for o in store.pending.owners(workspace.id) if o != self.owner and is_dead_here(o)]
            taken += store.pending.claim(workspace.id, self.owner,
                                               stale_before=utcnow() - timedelta(seconds=LEASE_S), dead_owners=dead)
        for pending in taken:
            log.warning("resuming pending call %s (attempt %d)", pending.id, pending.attempts)
            try:
                self._resume(pending, clients, resume)
            except Exception:  # Slack or the database failing just now: the row is this process's, so
                log.exception("pending call %s could not be resumed; trying again at the next sweep", pending.id)
                with self._lock:
                    self._to_retry[pending.id] = pending.workspace_id
        return taken

    def _resume(self, pending: PendingCall, clients: ClientLookup, resume: Resume) -> None:
        client = clients(pending.workspace_id)
        if client is None:
            log.warning("pending call %s: the app is not installed in %s any more", pending.id, pending.workspace_id)
            self.finish(pending.workspace_id, pending.id)
            return
        resume(client, pending)

    def tell(self, client: WebClient, asker: Asker, pending: PendingCall, line: str) -> None:
        """Say `line` privately to the asker, and close the row: that was their answer."""
        self._say(client, asker, pending.id, line)
        self.finish(pending.workspace_id, pending.id)

    def _say(self, client: WebClient, asker: Asker, pending_id: int, line: str) -> None:
        try:
            message = self.templates.message("slack/user_error.json.j2", message=line)
        except Exception:
            message = SlackMessage(text=line)
        try:
            reply_privately(client, asker, message)
        except Exception as e:
            log.error("could not tell user %s about pending call %s (%s)", asker.user_id, pending_id, type(e).__name__)
