"""Crashes, with real processes: `salesrl serve` is killed with SIGKILL while it scores a call, while it
posts a scored call, and while it posts a digest; a new process is started on the same database.

What must hold afterwards (the design is in bot.slack.pending and bot.digest.runner):
- no half-saved call: every call row has all its turns (a call is saved in one transaction), and a
  deal counts exactly the calls it has;
- a call killed before it was saved, even right after Slack got its 200, is scored again by the next
  process and answered once;
- a call killed after it was saved is not saved twice; the asker is told once: by the result if
  Slack got it (the process died before hearing back), else by a line saying where it is;
- a digest killed between its claim and its post is posted exactly once: the next process
  re-claims it after the lease and first looks in the channel for the post the dead one made.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest
import requests
import sqlalchemy as sa

from salesrl.bot.store import Store
from salesrl.bot.store.engine import make_engine
from salesrl.bot.store.tables import DIGEST_RUNS, DIGEST_SUBSCRIPTIONS, utcnow
from salesrl.bot.store.digests import DEFAULT_DIGEST_LEASE
from tests.e2e.conftest import PROXY_VARIABLES, TRANSCRIPT
from tests.e2e.slack_requests import SIGNING_SECRET, SlackSender
from tests.fakes.slack_server import FakeSlack
from tests.waiting import wait_until

pytestmark = pytest.mark.slow  # `salesrl serve` processes started and killed

SALESRL = Path(sys.executable).parent / "salesrl"
LINES = TRANSCRIPT.strip().splitlines()
LONG_CALL = "\n".join(f"{line} ({i})" for i in range(100) for line in LINES)  # 1,000 turns: 1-2 s to score


class Served:
    """One `salesrl serve` process on a free port."""

    def __init__(self, fake: FakeSlack, database_url: str, **env: str) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        environ = {k: v for k, v in os.environ.items()
                   if k not in PROXY_VARIABLES and not k.startswith(("SLACK_", "SALESRL_")) or k == "SALESRL_MODEL_DIR"}
        environ.update(SLACK_BOT_TOKEN=fake.bot_token, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake.api_url,
                       SALESRL_DATABASE_URL=database_url, SALESRL_BOT_WORKERS="1", **env)
        self.process = subprocess.Popen([str(SALESRL), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                                         "--log-level", "warning"], env=environ,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        self.slack = SlackSender(self.url)

    def wait_up(self) -> "Served":
        http = requests.Session()
        http.trust_env = False
        deadline = time.monotonic() + 90
        while True:
            assert self.process.poll() is None, "salesrl serve exited"
            try:
                if http.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "salesrl serve did not come up"
            time.sleep(0.05)

    def kill9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)  # reaped: the process is gone, as after a crash

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def processes() -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for served in started:
        served.stop()


@pytest.fixture
def fake(fake_slack: FakeSlack) -> FakeSlack:
    fake_slack.member_channels.add("C0MGMT")
    return fake_slack



def assert_no_half_saved_call(url: str) -> None:
    engine = make_engine(url)
    with engine.connect() as conn:
        half = conn.execute(sa.text(
            "SELECT c.id FROM calls c LEFT JOIN turn_scores t ON t.call_id = c.id "
            "GROUP BY c.id, c.turn_count HAVING count(t.idx) <> c.turn_count")).all()
        miscounted = conn.execute(sa.text(
            "SELECT d.name FROM deals d WHERE d.call_count <> (SELECT count(*) FROM calls c WHERE c.deal_id = d.id)")).all()
    engine.dispose()
    assert half == [] and miscounted == []


def summaries(fake: FakeSlack, deal: str) -> list[dict]:
    return [m for m in fake.messages("C0SALES") if "likely to convert" in m.get("text", "") and deal in m["text"]]


def pending_rows(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM pending_calls")).scalar_one()
    engine.dispose()
    return count


def notices(fake: FakeSlack, name: str) -> list[str]:
    """What the asker was told privately through the response URL `name`."""
    return [c.params["text"] for c in fake.calls_to("response_url") if c.path.endswith("/" + name)]


def test_killed_while_scoring_or_posting_a_call_nothing_is_half_saved_or_lost(fake, tmp_path, processes):
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    first = Served(fake, url, SALESRL_DIGEST_SCHEDULER="false")
    processes.append(first)
    first.wait_up()

    # 1. killed while scoring a long call, the instant Slack got the 200 of another (queued behind it):
    # nothing is saved, the next process scores both and answers each once
    first.slack.command(f"score Longcall :: {LONG_CALL}", response_url=fake.response_url("long"))
    fake.wait_for("users.info")  # the worker has started on it; scoring takes about two seconds
    acked = first.slack.command(f"score Quickcall :: {TRANSCRIPT}", response_url=fake.response_url("quick"))
    first.kill9()
    assert "Scoring" in acked.json()["text"]
    with Store.open(url) as store:
        assert store.deals.get("T0TEAM", "Longcall") is None  # killed before the save
    assert_no_half_saved_call(url)
    assert pending_rows(url) == 2  # the call acknowledged last was recorded before its 200

    second = Served(fake, url, SALESRL_DIGEST_SCHEDULER="false")
    processes.append(second)
    second.wait_up()  # its first sweep finds the dead process's calls
    # A bound on liveness, not a speed test: on an AVX2-only machine under load the second process's start-up and
    # two calls' scoring took over the default 60 s.
    wait_until(lambda: summaries(fake, "Longcall") and summaries(fake, "Quickcall"), timeout=180,
               what="both calls to be scored again and answered")
    with Store.open(url) as store:
        assert store.deals.get("T0TEAM", "Longcall").call_count == 1
        (call,) = store.calls.of_deal("T0TEAM", store.deals.get("T0TEAM", "Longcall").id)
        assert call.turn_count == 1000
        assert store.deals.get("T0TEAM", "Quickcall").call_count == 1
    wait_until(lambda: pending_rows(url) == 0, what="both answers to be finished")
    assert len(summaries(fake, "Longcall")) == 1 and len(summaries(fake, "Quickcall")) == 1
    assert notices(fake, "long") == [] and notices(fake, "quick") == []

    # 2. killed while posting a saved call, Slack never got the post: not saved twice, and the asker
    # is told where it is
    fake.delays["chat.postMessage"] = 3.0
    fake.drop_next("chat.postMessage")  # after its delay: the post is lost with the process
    second.slack.command(f"score Shortcall :: {TRANSCRIPT}", response_url=fake.response_url("short"))
    wait_until(lambda: any("Shortcall" in c.params.get("text", "") for c in fake.calls_to("chat.postMessage")),
               what="the result's post")
    second.kill9()
    wait_until(lambda: not fake.http_failures["chat.postMessage"], what="Slack to drop the post the dead process sent")
    fake.delays.clear()
    assert_no_half_saved_call(url)

    third = Served(fake, url, SALESRL_DIGEST_SCHEDULER="false")
    processes.append(third)
    third.wait_up()
    wait_until(lambda: notices(fake, "short"), what="the notice")
    (notice,) = notices(fake, "short")
    assert "the bot restarted before the result was posted" in notice and "/salesrl deal Shortcall" in notice
    assert summaries(fake, "Shortcall") == []
    with Store.open(url) as store:
        assert store.deals.get("T0TEAM", "Shortcall").call_count == 1
    assert pending_rows(url) == 0
    assert_no_half_saved_call(url)

    # 3. killed after Slack took the result's post but before the process heard back: the asker is
    # told once, by the result (found by its tag), not a second time by a notice
    fake.delays["chat.postMessage"] = 1.0
    third.slack.command(f"score Postedcall :: {TRANSCRIPT}", response_url=fake.response_url("posted"))
    wait_until(lambda: any("Postedcall" in c.params.get("text", "") for c in fake.calls_to("chat.postMessage")),
               what="the result's post")
    third.kill9()
    wait_until(lambda: summaries(fake, "Postedcall"), what="Slack to finish the post the dead process sent")
    fake.delays.clear()

    fourth = Served(fake, url, SALESRL_DIGEST_SCHEDULER="false")
    processes.append(fourth)
    fourth.wait_up()
    wait_until(lambda: pending_rows(url) == 0, what="the saved call to be taken over and closed")
    assert len(summaries(fake, "Postedcall")) == 1 and notices(fake, "posted") == []
    with Store.open(url) as store:
        assert store.deals.get("T0TEAM", "Postedcall").call_count == 1
    assert_no_half_saved_call(url)


def test_killed_between_claiming_and_posting_a_digest_it_is_posted_exactly_once(fake, tmp_path, processes):
    url = f"sqlite:///{tmp_path / 'digest.db'}"
    with Store.open(url) as store:
        deal = store.deals.get_or_create("T0TEAM", "Acme", owner_id="U0ANA")
        from tests.conftest import make_score_result

        store.calls.save("T0TEAM", deal.id, make_score_result([0.3, 0.5, 0.7]), "slash_command", "Ana: hi",
                        user_id="U0ANA")
        # The slot is this hour's, read once: the test may run across an hour (or a day) boundary, and
        # the slot stays the same one (due until the grace window passes), so does its date.
        slot = utcnow()
        got = store.digests.add_subscription("T0TEAM", "C0SALES", cadence="daily", weekday=None, hour=slot.hour)
        lost = store.digests.add_subscription("T0TEAM", "C0MGMT", cadence="daily", weekday=None, hour=slot.hour)
    engine = make_engine(url)
    # Subscribed a day ago, so the slot is due now. The bot runs in other processes, whose clock a test
    # cannot travel: the subscription is back-dated instead.
    with engine.begin() as conn:
        conn.execute(sa.update(DIGEST_SUBSCRIPTIONS).values(created_at=slot - timedelta(days=1)))

    def age_claims() -> None:
        """The lease passes (15 minutes), as it would for a claim whose process died."""
        runs = DIGEST_RUNS
        with engine.begin() as conn:
            conn.execute(sa.update(runs).where(runs.c.state == "claimed")
                         .values(claimed_at=utcnow() - DEFAULT_DIGEST_LEASE - timedelta(minutes=1)))

    def digest_posts(channel: str) -> list[dict]:
        return [m for m in fake.messages(channel) if (m.get("metadata") or {}).get("event_type") == "salesrl_digest"]

    # 1. Slack receives the post, but the process dies before it hears back and records it
    fake.delays["chat.postMessage"] = 1.0
    one = Served(fake, url)
    processes.append(one)
    wait_until(lambda: fake.calls_to("chat.postMessage"), what="the first digest post")
    one.kill9()
    first_channel = fake.calls_to("chat.postMessage")[0].params["channel"]
    wait_until(lambda: digest_posts(first_channel), what="Slack to finish the post the dead process sent")
    # 2. the next process dies while Slack is failing the other digest's post (it never lands)
    age_claims()
    fake.fail_next("chat.postMessage", "internal_error")
    two = Served(fake, url)
    processes.append(two)
    wait_until(lambda: len(fake.calls_to("chat.postMessage")) >= 2, what="the second digest post")
    second_call = fake.calls_to("chat.postMessage")[1]
    two.kill9()
    fake.delays.clear()
    wait_until(lambda: not fake.failures.get("chat.postMessage"), what="the fake to fail the dead request's post")
    # 3. after the lease, a third process posts what is missing, and nothing twice
    age_claims()
    three = Served(fake, url)
    processes.append(three)
    three.wait_up()
    wait_until(lambda: digest_posts("C0SALES") and digest_posts("C0MGMT"), what="both digests")
    with Store.open(url) as store:
        wait_until(lambda: all(store.digests.get_run("T0TEAM", s.id, slot.date().isoformat()).state == "posted"
                               for s in (got, lost)), what="both runs recorded")
    three.stop()  # it finishes what it had taken on before it exits: nothing can be posted after this
    assert len(digest_posts("C0SALES")) == 1 and len(digest_posts("C0MGMT")) == 1
    assert second_call.params["channel"] != first_channel or len(fake.calls_to("chat.postMessage")) >= 3
    engine.dispose()
