"""Calls accepted but not yet answered, kept in the database so that a crash loses none of them.

When a call is accepted ("Scoring your call…"), a pending row is written: who asked, where, the
deal, and the pasted transcript (redacted; a file is downloaded from Slack again instead). The
transaction that saves the scored call marks the row with the call's id; the row is deleted when
the answer is delivered, or the asker was told why not. So at any moment a process is killed, one
of these holds:

- the call was not saved (nothing half-saved: the save is one transaction) and the row has no call
  id: another process, or this one restarted, scores it again and answers as usual;
- the call was saved (the row has its id) but perhaps not posted: the asker is told it was scored
  and where to find it (`/salesrl deal NAME`), and nothing is saved twice.

Who takes a row over: each process has an owner id (host, pid, a random part) and renews the claim
on its rows every `SWEEP_S`; every process looks every `SWEEP_S` (and at start-up) for rows whose
owner stopped renewing them for `LEASE_S`, or whose owner was a process on this host that no longer
exists (a restart after a crash is then picked up at once). A row tried `MAX_ATTEMPTS` times is
given up, and the asker is told to send the call again.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from dataclasses import asdict
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable

from slack_sdk import WebClient

from agent.redact import redact
from bot.slack.context import Asker
from bot.slack.replies import reply_privately
from bot.slack.templates import SlackMessage
from bot.store.models import utcnow
from bot.store.pending_calls import PendingCall

if TYPE_CHECKING:
    from bot.slack.context import BotContext
    from bot.slack.scoring import CallToScore

log = logging.getLogger(__name__)

SWEEP_S = 30.0
LEASE_S = 120.0
MAX_ATTEMPTS = 3

ClientLookup = Callable[[str], "WebClient | None"]


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


def request_of(asker: Asker, call: "CallToScore") -> dict[str, Any]:
    return {"asker": asdict(asker), "source": call.source, "label": call.label, "deal_name": call.deal_name,
            "deal_id": call.deal_id, "reps": list(call.reps), "file": asdict(call.file) if call.file else None}


class PendingCalls:
    """This process's pending calls, and the sweep that takes over those of dead processes."""

    def __init__(self) -> None:
        self._bot: "BotContext | None" = None
        self.owner = process_owner()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def bind(self, bot: "BotContext") -> None:
        """The bot this serves (built after this object, which it holds)."""
        self._bot = bot

    @property
    def bot(self) -> "BotContext":
        assert self._bot is not None, "build_app binds the pending calls to their bot"
        return self._bot

    # --- the life of one call ------------------------------------------------------------------
    def accept(self, asker: Asker, call: "CallToScore") -> int | None:
        """Write the row before the work starts; None (the work goes on unrecorded) if the database fails."""
        text = call.text
        if text is not None and self.bot.settings.redact:
            text = redact(text)
        try:
            return self.bot.store.add_pending_call(asker.team_id, request_of(asker, call), text, self.owner)
        except Exception as e:
            log.warning("could not record a pending call (%s); scoring it anyway", type(e).__name__)
            return None

    def finish(self, team_id: str, pending_id: int | None) -> None:
        if pending_id is None:
            return
        try:
            self.bot.store.finish_pending_call(team_id, pending_id)
        except Exception as e:  # the row then gets taken over later: the asker hears about the call twice
            log.warning("could not close pending call %s (%s)", pending_id, type(e).__name__)

    # --- taking over ---------------------------------------------------------------------------
    def start(self, clients: ClientLookup) -> None:
        """Sweep now, then every SWEEP_S in a daemon thread, until `stop`."""
        def loop() -> None:
            while True:
                try:
                    self.sweep(clients)
                except Exception:
                    log.exception("the sweep of pending calls failed")
                if self._stop.wait(SWEEP_S):
                    return

        self._thread = threading.Thread(target=loop, name="salesrl-pending-calls", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def sweep(self, clients: ClientLookup) -> list[PendingCall]:
        """Renew this process's claims; take over abandoned rows and resume them. Returns those taken."""
        store = self.bot.store
        store.touch_pending_calls(self.owner)
        taken: list[PendingCall] = []
        for workspace in store.list_workspaces():
            dead = [o for o in store.pending_call_owners(workspace.id) if o != self.owner and is_dead_here(o)]
            taken += store.claim_pending_calls(workspace.id, self.owner,
                                               stale_before=utcnow() - timedelta(seconds=LEASE_S), dead_owners=dead)
        for pending in taken:
            log.warning("taking over pending call %s of %s (attempt %d)", pending.id, pending.owner, pending.attempts)
            try:
                self._resume(pending, clients)
            except Exception:
                log.exception("pending call %s could not be resumed", pending.id)
        return taken

    def _resume(self, pending: PendingCall, clients: ClientLookup) -> None:
        from bot.slack.files import SlackFile
        from bot.slack.scoring import CallToScore, score_and_reply

        bot, request = self.bot, pending.request
        asker = Asker(**request["asker"])
        client = clients(pending.workspace_id)
        if client is None:
            log.warning("pending call %s: the app is not installed in %s any more", pending.id, pending.workspace_id)
            self.finish(pending.workspace_id, pending.id)
            return
        if pending.call_id is not None:
            self._tell(client, asker, pending, self._saved_line(pending))
            return
        if pending.attempts > MAX_ATTEMPTS:
            self._tell(client, asker, pending, f"I could not score {request['label']} after {MAX_ATTEMPTS} tries "
                                               "(the bot kept restarting). Please send it again.")
            return
        file = request.get("file")
        call = CallToScore(source=request["source"], label=request["label"], text=pending.text,
                           file=SlackFile(**file) if file else None, deal_name=request.get("deal_name"),
                           deal_id=request.get("deal_id"), reps=tuple(request.get("reps") or ()))
        bot.workers.submit(lambda: score_and_reply(bot, client, asker, call, pending_id=pending.id))

    def _saved_line(self, pending: PendingCall) -> str:
        detail = self.bot.store.get_call(pending.workspace_id, pending.call_id) if pending.call_id else None
        deal = self.bot.store.get_deal_by_id(pending.workspace_id, detail.call.deal_id) \
            if detail and detail.call.deal_id else None
        where = f"`/salesrl deal {deal.name}` shows it" if deal else "it is saved"
        ending = f", ending at {detail.call.final_probability:.0%}" if detail else ""
        return (f"I scored {pending.request['label']}{ending}, but the bot restarted before the result was "
                f"posted: {where}.")

    def _tell(self, client: WebClient, asker: Asker, pending: PendingCall, line: str) -> None:
        try:
            message = self.bot.templates.message("slack/user_error.json.j2", message=line)
        except Exception:
            message = SlackMessage(text=line)
        try:
            reply_privately(client, asker, message)
        except Exception as e:
            log.error("could not tell user %s about pending call %s (%s)", asker.user_id, pending.id, type(e).__name__)
        self.finish(pending.workspace_id, pending.id)
