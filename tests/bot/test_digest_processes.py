"""Two bot processes against one PostgreSQL database, each with its own scheduler, tick at the same
moment: every due digest is posted once (real OS processes, the real slack-sdk client, one fake
Slack Web API)."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from typing import Callable, Iterator

import pytest
import sqlalchemy as sa

from salesrl.bot.store import Store
from salesrl.bot.store.engine import make_engine
from salesrl.bot.store.tables import DIGEST_SUBSCRIPTIONS, utcnow
from salesrl.bot.store.schema import upgrade
from tests.fakes.slack_server import FakeSlack

pytestmark = [pytest.mark.postgres, pytest.mark.slow]  # spawned processes

W = "T0TEAM"
CHANNELS = ("C0SALES", "C0MGMT", "C0EMEA", "C0APAC", "C0AMER", "C0LEAD")
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXIES:  # the child processes inherit this environment
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def database(postgres_schema_factory: Callable[[], str]) -> str:
    """A fresh, migrated schema of its own."""
    url = postgres_schema_factory()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(team_id=W, member_channels=CHANNELS) as fake:
        fake.delays["chat.postMessage"] = 0.2  # posting takes a while: the processes overlap
        yield fake


def _bot_process(url: str, api_url: str, token: str, barrier) -> None:  # type: ignore[no-untyped-def]
    """A bot process: its scheduler on the shared database, then one tick when all are ready."""
    import threading

    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
    from slack_sdk import WebClient

    from salesrl.bot.digest.runner import DigestRunner
    from salesrl.bot.scheduler import DIGEST_JOB_ID, start_scheduler, stop_scheduler
    from salesrl.bot.digest.slack_clients import one_client
    from salesrl.bot.settings import Settings

    store = Store.open(url)
    client = WebClient(token=token, base_url=api_url)
    settings = Settings(database_url=url, slack_bot_token=token, slack_api_url=api_url)
    runner = DigestRunner(store, one_client(client), with_chart=False)
    scheduler = start_scheduler(settings, store, one_client(client), runner=runner)
    done = threading.Event()
    scheduler.add_listener(lambda event: done.set() if event.job_id == "tick-now" else None,
                           EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    tick = scheduler.get_job(DIGEST_JOB_ID)
    try:
        barrier.wait(timeout=60)
        # a one-off copy of the minute tick, in both processes at once
        scheduler.add_job(tick.func, args=tick.args, id="tick-now", next_run_time=utcnow())
        assert done.wait(60), "the tick did not run"
    finally:
        stop_scheduler(scheduler)
        store.close()


def test_two_scheduler_processes_post_each_due_digest_once(database, slack):
    store = Store.open(database)
    try:
        store.deals.get_or_create(W, "Acme", owner_id="U0ANA")
        store.deals.update(W, "Acme", amount=1000)
        now = utcnow()
        ids = [store.digests.add_subscription(W, c, cadence="daily", weekday=None, hour=now.hour).id for c in CHANNELS]
    finally:
        store.close()
    # Subscribed yesterday, so the slot of `now`'s hour is due. The schedulers run in spawned processes,
    # whose clock a test cannot travel: the subscription is back-dated instead.
    engine = make_engine(database)
    subs = DIGEST_SUBSCRIPTIONS
    with engine.begin() as conn:
        conn.execute(sa.update(subs).where(subs.c.id.in_(ids)).values(created_at=now - timedelta(days=1)))

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_bot_process, args=(database, slack.api_url, slack.bot_token, barrier))
             for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=180)
    assert [p.exitcode for p in procs] == [0, 0]

    for channel in CHANNELS:
        assert len(slack.messages(channel)) == 1, channel
    assert len(slack.calls_to("chat.postMessage")) == len(CHANNELS)
    with engine.connect() as conn:
        states = conn.execute(sa.text("SELECT state, count(*) FROM digest_runs GROUP BY state")).all()
    engine.dispose()
    assert states == [("posted", len(CHANNELS))]
