"""What every listener needs, handed to it explicitly: the bot's parts and who is asking."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from salesrl.bot.settings import Settings
from salesrl.bot.slack.templates import Templates
from salesrl.bot.slack.workers import WorkerPool
from salesrl.bot.store import Store

if TYPE_CHECKING:  # the agent pulls in onnxruntime; only its type is needed here
    from salesrl.agent.sales_agent import SalesAgent
    from salesrl.bot.answers.service import Answerer
    from salesrl.bot.live.sessions import LiveSessions
    from salesrl.bot.slack.membership import Membership
    from salesrl.bot.slack.pending import PendingCalls

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BotContext:
    """The long-lived parts of one bot process, built once by `bot.slack.app.build_app`."""

    settings: Settings
    store: Store
    agent: "SalesAgent"
    templates: Templates
    workers: WorkerPool  # scoring and charts
    listener_threads: ThreadPoolExecutor  # Bolt's threads for lazy listeners
    live: "LiveSessions | None" = None  # live sessions held by this process (bot.live)
    answerer: "Answerer | None" = None  # questions about deals (bot.answers)
    membership: "Membership | None" = None  # who may see a deal's data (bot.slack.membership)
    pending: "PendingCalls | None" = None  # calls accepted and not yet answered (bot.slack.pending)

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


@dataclass(frozen=True)
class Asker:
    """Who asked for something, and where the answer goes."""

    team_id: str
    user_id: str
    channel_id: str | None  # where the request came from (a channel, a DM, or none for App Home)
    response_url: str | None = None  # for ephemeral replies to commands, shortcuts and modals
    thread_ts: str | None = None  # reply inside this thread (file shares, message shortcuts)
