"""The long-lived parts of one bot process, handed explicitly to every listener and feature.

It names the features' parts (live sessions, answers, pending calls), so it belongs to the wiring
with bot.slack.app, not to the transport: the transport's modules take only the parts they use.
Who is asking is a bot.slack.asker.Asker."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from salesrl.bot.answers.service import Answerer
from salesrl.bot.live.sessions import LiveSessions
from salesrl.bot.settings import Settings
from salesrl.bot.slack.membership import Membership
from salesrl.bot.slack.pending import PendingCalls
from salesrl.bot.slack.templates import Templates
from salesrl.bot.slack.workers import WorkerPool
from salesrl.bot.store import Store

if TYPE_CHECKING:  # the agent pulls in onnxruntime; only its type is needed here
    from salesrl.agent.sales_agent import SalesAgent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BotContext:
    """The long-lived parts of one bot process, built once by `bot.slack.app.build_app`; passed around
    as `ctx` (not `context`: that is Bolt's per-request BoltContext, which listeners also take)."""

    settings: Settings
    store: Store
    agent: "SalesAgent"
    templates: Templates
    workers: WorkerPool  # scoring and charts
    listener_threads: ThreadPoolExecutor  # Bolt's threads for lazy listeners
    live: LiveSessions  # live sessions held by this process (bot.live)
    membership: Membership  # who may see a deal's data (bot.slack.membership)
    pending: PendingCalls  # calls accepted and not yet answered (bot.slack.pending)
    answerer: Answerer | None  # questions about deals (bot.answers); None for an app built without an agent

    def after_ack(self, job: Callable[[], None]) -> None:
        """Run `job` in the listener threads, so that a Slack call made by an ack function (telling the
        asker something) never holds the ack up. A failure is logged."""
        def run() -> None:
            try:
                job()
            except Exception:
                log.exception("a reply after the ack failed")

        self.listener_threads.submit(run)

    def shutdown(self) -> None:
        """Finish what was accepted: lazy listeners first (they may still queue jobs), then the jobs."""
        self.listener_threads.shutdown(wait=True)
        self.workers.shutdown(wait=True)
