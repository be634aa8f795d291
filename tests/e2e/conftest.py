"""End-to-end fixtures: the real bot (Bolt app, Starlette, uvicorn) over real HTTP, talking to a
fake Slack Web API, a temporary SQLite database, and the shipped model."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import uvicorn

from salesrl.bot.settings import Settings
from salesrl.bot.store import Store
from tests.e2e.slack_requests import SIGNING_SECRET, SlackSender
from tests.fakes.slack_server import FakeSlack

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
SLACK_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID",
                   "SLACK_CLIENT_SECRET", "SLACK_API_URL")

TRANSCRIPT = """\
Ana: Hi Ben, thanks for making time today. How is the quarter going for your team?
Ben: Busy. We are losing deals because our reps spend hours on manual reporting.
Ana: What does that cost you today, roughly, in hours per rep each week?
Ben: About six hours each, and we have forty reps.
Ana: If we cut that in half, what would that be worth to you?
Ben: Honestly a lot. But the price has to work, our budget for this is tight.
Ana: Understood. Who else would be involved in deciding on this?
Ben: Our VP of sales signs off, and she wants to see a pilot first.
Ana: Then let's set up a two-week pilot with your team. Could we start on Monday the 12th?
Ben: That works. Send me the details and I will loop in our VP.
"""


@pytest.fixture(autouse=True)
def no_proxies_no_stray_slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack-sdk honours HTTP(S)_PROXY and ignores NO_PROXY; Bolt reads SLACK_* itself."""
    for name in PROXY_VARIABLES + SLACK_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def agent():
    """The shipped model (or SALESRL_MODEL_DIR), loaded once for the whole session, as `salesrl serve`
    loads it once per process."""
    from salesrl.agent.sales_agent import SalesAgent
    from salesrl.bot.settings import get_settings

    return SalesAgent.load(get_settings().model_dir)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_user("U0ANA", "Ana Lopez", "ana").is_admin = True  # a workspace admin: may change settings
        fake.add_user("U0CARL", "Carl Ng", "carl")
        yield fake


class PromptlyStoppedServer(uvicorn.Server):
    """uvicorn's server, whose main loop waits for stop() rather than looking at should_exit every
    0.1 s: the tests start and stop a server for each test, and that polling was most of the time
    a stop took. Its shutdown (connections closed, lifespan shutdown run) is uvicorn's own."""

    async def startup(self, sockets: Any = None) -> None:
        # made before `started` is set, so stop() always finds them
        self.loop = asyncio.get_running_loop()
        self.stop_requested = asyncio.Event()
        await super().startup(sockets)

    async def main_loop(self) -> None:
        await self.on_tick(0)  # what uvicorn's loop does first: the response headers (Date)
        await self.stop_requested.wait()

    def stop(self) -> None:
        """From any thread: the server shuts down as a signal would make it."""
        self.should_exit = True
        self.loop.call_soon_threadsafe(self.stop_requested.set)


class ServedApp:
    """A uvicorn server running the bot's ASGI app in a thread, on a free port."""

    def __init__(self, asgi: Any) -> None:
        self.server = PromptlyStoppedServer(uvicorn.Config(asgi, host="127.0.0.1", port=0, log_level="warning",
                                                           lifespan="on", access_log=False))
        self.thread = threading.Thread(target=self.server.run, name="uvicorn-under-test", daemon=True)

    def start(self) -> "ServedApp":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    @property
    def url(self) -> str:
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.stop()
        self.thread.join(timeout=30)


class IdleProbe:
    """Everything a bot runs in the background: Bolt's lazy listeners and the replies sent after an
    ack (its listener threads), and the scoring jobs (its worker pool). Neither pool says how many of
    its tasks are still running, so each one's submit is wrapped to keep the futures it returns."""

    def __init__(self, bot: Any) -> None:
        self._futures: list[Future[Any]] = []
        for pool in (bot.listener_threads, bot.workers):
            pool.submit = self._keeping_futures(pool.submit)

    def _keeping_futures(self, submit: Callable[..., Future[Any]]) -> Callable[..., Future[Any]]:
        def submit_and_keep(*args: Any, **kwargs: Any) -> Future[Any]:
            future = submit(*args, **kwargs)
            self._futures.append(future)
            return future
        return submit_and_keep

    def idle(self) -> bool:
        """Nothing running and nothing queued. A task submits its follow-ups before it is done, so if
        every task seen is done and none was added meanwhile, none can be added any more."""
        seen = list(self._futures)
        return all(future.done() for future in seen) and len(self._futures) == len(seen)


@dataclass
class BotUnderTest:
    url: str
    slack: SlackSender
    fake: FakeSlack
    store: Store
    settings: Settings
    bot: Any  # bot.slack.context.BotContext
    probe: IdleProbe  # made before the app is served: its startup may already submit work

    def wait_idle(self, timeout: float = 30) -> None:
        """Until the bot has finished everything it accepted: lazy listeners (which may queue scoring
        jobs) and the worker pool. A request's lazy listeners are started before its HTTP response, so
        after the response this also covers what the request set off: "nothing happened" is then
        checked once the bot has finished, rather than after a guessed sleep."""
        deadline = time.monotonic() + timeout
        while not self.probe.idle():
            assert time.monotonic() < deadline, "the bot is still working"
            time.sleep(0.02)

    def reply_at(self, name: str) -> dict:
        """The first private reply through the response URL named `name` (FakeSlack.response_url(name)),
        once it comes and the bot is idle again: its parameters."""
        count = 1
        while True:
            replies = self.fake.wait_for("response_url", count)
            mine = [c for c in replies if c.path.endswith("/" + name)]
            if mine:
                self.wait_idle()
                return mine[0].params
            count = len(replies) + 1


def bot_settings(fake: FakeSlack, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(slack_bot_token=fake.bot_token, slack_signing_secret=SIGNING_SECRET,
                                  slack_api_url=fake.api_url, database_url=database_url, redact=True,
                                  bot_workers=2, digest_scheduler=False)  # the digest tests post digests themselves
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def start_bot(agent, fake_slack: FakeSlack, tmp_path: Path,
              sqlite_url_in: Callable[[Path], str]) -> Iterator[Callable[..., BotUnderTest]]:
    """start_bot(**settings) -> a running bot; several may share one database (database_url=...);
    with_agent=... runs it with another agent than the shipped one."""
    from salesrl.bot.server import create_asgi_app
    from salesrl.bot.slack.app import build_app

    started: list[tuple[ServedApp, Store]] = []

    def start(*, database_url: str | None = None, with_agent: Any = None, **overrides: Any) -> BotUnderTest:
        url = database_url or sqlite_url_in(tmp_path)
        settings = bot_settings(fake_slack, url, **overrides)
        store = Store.open(url)
        app, bot = build_app(settings, store, with_agent or agent)
        probe = IdleProbe(bot)
        served = ServedApp(create_asgi_app(app, bot)).start()
        started.append((served, store))
        return BotUnderTest(served.url, SlackSender(served.url), fake_slack, store, settings, bot, probe)

    yield start
    for served, store in started:
        served.stop()
        store.close()


@pytest.fixture
def running_bot(start_bot: Callable[..., BotUnderTest]) -> BotUnderTest:
    return start_bot()
