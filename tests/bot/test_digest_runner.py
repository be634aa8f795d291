"""Posting due digests through the real slack-sdk WebClient against the fake Slack Web API, on
SQLite and PostgreSQL, with a controlled clock: each (subscription, period) posts once, across
restarts, failures, and a process that died between claiming and recording a post."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest
from slack_sdk import WebClient

from salesrl.bot.digest.runner import DIGEST_EVENT, RETRY_DELAY, DigestRunner, run_due
from salesrl.bot.store import Store
from salesrl.bot.store.digests import DEFAULT_DIGEST_LEASE
from tests.fakes.slack_server import FakeSlack

W = "T0TEAM"
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXIES:  # slack-sdk honours them and ignores NO_PROXY
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(team_id=W, member_channels=("C0SALES", "C0MGMT")) as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token=slack.bot_token, base_url=slack.api_url)


def next_monday_9() -> datetime:
    """The first Monday 09:00 UTC after the real clock: a slot after the subscription's creation, whose week holds
    the calls saved now. (Skipping today's slot, as this once did, left a Monday morning's calls out of the week.)"""
    now = datetime.now(timezone.utc)
    slot = datetime(now.year, now.month, now.day, 9, tzinfo=timezone.utc)
    while slot.weekday() != 0 or slot <= now:
        slot += timedelta(days=1)
    return slot


@pytest.fixture
def slot() -> datetime:
    return next_monday_9()


@pytest.fixture
def subscribed(store: Store, score_result) -> Store:  # type: ignore[no-untyped-def]
    deal = store.deals.get_or_create(W, "Acme", owner_id="U0ANA")
    store.calls.save(W, deal.id, score_result([0.5, 0.4]), "slash_command", "t", user_id="U0ANA")
    store.calls.save(W, deal.id, score_result([0.4, 0.5, 0.8]), "slash_command", "t", user_id="U0ANA")  # a mover
    store.digests.add_subscription(W, "C0SALES", cadence="weekly", weekday=0, hour=9, timezone="UTC")
    return store


def posts(slack: FakeSlack, channel: str = "C0SALES") -> list[dict]:
    return [m for m in slack.messages(channel) if "metadata" in m]


def test_a_due_digest_is_posted_with_its_chart_in_the_thread(subscribed, slack, client, slot):
    report = run_due(subscribed, client, slot + timedelta(minutes=1))
    (run,) = report.posted
    (message,) = slack.messages("C0SALES")[:1]
    assert message["metadata"] == {"event_type": DIGEST_EVENT,
                                   "event_payload": {"subscription_id": run.subscription_id, "period": run.period_key}}
    assert message["blocks"][0]["text"]["text"].startswith("Weekly pipeline digest · ")
    assert "Acme" in str(message["blocks"])
    (chart,) = slack.thread("C0SALES", message["ts"])[1:]
    assert chart["files"][0]["name"] == "pipeline-digest.png"
    assert slack.uploaded_bytes(chart["files"][0]["id"]).startswith(b"\x89PNG")
    stored = subscribed.digests.get_run(W, run.subscription_id, run.period_key)
    assert stored.state == "posted" and stored.message_ts == message["ts"]


def test_each_period_posts_once_across_ticks_and_restarts(subscribed, slack, client, slot):
    runner = DigestRunner(subscribed, client)
    assert len(runner.run_due(slot).posted) == 1
    for minutes in (1, 2, 30):
        assert runner.run_due(slot + timedelta(minutes=minutes)).posted == []
    restarted = DigestRunner(subscribed, client)  # a new process, same database
    assert restarted.run_due(slot + timedelta(hours=1)).posted == []
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert len(restarted.run_due(slot + timedelta(days=7)).posted) == 1  # next week's


def test_nothing_is_posted_before_the_slot(subscribed, slack, client, slot):
    assert run_due(subscribed, client, slot - timedelta(seconds=1)).posted == []
    assert not slack.calls_to("chat.postMessage")


def test_a_slot_missed_while_down_is_posted_after_restart_inside_the_grace_window(subscribed, slack, client, slot):
    assert len(run_due(subscribed, client, slot + timedelta(hours=5, minutes=59)).posted) == 1
    assert run_due(subscribed, client, slot + timedelta(hours=6)).posted == []
    assert len(posts(slack)) == 1


def test_a_slot_missed_beyond_the_grace_window_is_skipped_and_logged_once(subscribed, slack, client, slot, caplog):
    caplog.set_level(logging.WARNING, logger="salesrl.bot.digest.runner")
    runner = DigestRunner(subscribed, client)
    report = runner.run_due(slot + timedelta(hours=6, minutes=1))
    assert report.posted == [] and [r.period_key for r in report.skipped] == [report.skipped[0].period_key]
    assert runner.run_due(slot + timedelta(hours=6, minutes=2)).skipped == []
    skips = [r for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skips) == 1 and "grace window of 6.0 h" in skips[0].getMessage()
    assert not slack.calls_to("chat.postMessage")
    assert subscribed.digests.get_run(W, report.skipped[0].subscription_id, report.skipped[0].period_key) is None


def test_a_shorter_grace_window(subscribed, slack, client, slot):
    runner = DigestRunner(subscribed, client, grace=timedelta(minutes=30))
    assert runner.run_due(slot + timedelta(minutes=31)).posted == []
    assert not slack.calls_to("chat.postMessage")


def test_a_failed_post_is_released_and_retried_later(subscribed, slack, client, slot):
    runner = DigestRunner(subscribed, client)
    slack.fail_next("chat.postMessage", "ratelimited")
    (failed,) = runner.run_due(slot).failed
    assert failed.error == "Slack answered ratelimited"
    assert subscribed.digests.get_run(W, failed.subscription_id, failed.period_key) is None  # released
    assert runner.run_due(slot + timedelta(minutes=1)).posted == []  # waits RETRY_DELAY
    assert len(runner.run_due(slot + RETRY_DELAY).posted) == 1
    assert len(posts(slack)) == 1


def test_a_channel_the_bot_is_not_in_fails_with_slacks_reason(store, slack, client, slot):
    store.digests.add_subscription(W, "C0ELSEWHERE", cadence="weekly", weekday=0, hour=9)
    (failed,) = run_due(store, client, slot).failed
    assert failed.error == "Slack answered not_in_channel"


def test_a_failed_chart_upload_leaves_the_digest_posted(subscribed, slack, client, slot):
    slack.fail_next("files.getUploadURLExternal", "internal_error")
    (run,) = run_due(subscribed, client, slot).posted
    assert subscribed.digests.get_run(W, run.subscription_id, run.period_key).state == "posted"
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_a_crash_between_claim_and_post_is_retried_after_the_lease_never_doubled(subscribed, slack, client, slot):
    (sub,) = subscribed.digests.list_subscriptions(W)
    key = f"{slot.isocalendar()[0]}-W{slot.isocalendar()[1]:02d}"
    assert subscribed.digests.claim_run(W, sub.id, key, now=slot)  # a process claims it, then dies
    runner = DigestRunner(subscribed, client)
    assert runner.run_due(slot + timedelta(minutes=1)).posted == []  # the claim still holds
    assert runner.run_due(slot + DEFAULT_DIGEST_LEASE - timedelta(seconds=1)).posted == []
    (run,) = runner.run_due(slot + DEFAULT_DIGEST_LEASE).posted
    assert run.period_key == key
    stored = subscribed.digests.get_run(W, sub.id, key)
    assert (stored.state, stored.claim_count) == ("posted", 2)
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_a_crash_between_post_and_record_is_found_in_the_channel_not_posted_again(subscribed, slack, client, slot):
    (sub,) = subscribed.digests.list_subscriptions(W)
    key = f"{slot.isocalendar()[0]}-W{slot.isocalendar()[1]:02d}"
    assert subscribed.digests.claim_run(W, sub.id, key, now=slot)
    # the dead process got as far as chat.postMessage; someone chatted after it
    earlier = client.chat_postMessage(channel="C0SALES", text="digest", metadata={
        "event_type": DIGEST_EVENT, "event_payload": {"subscription_id": sub.id, "period": key}})
    client.chat_postMessage(channel="C0SALES", text="nice numbers")
    (run,) = run_due(subscribed, client, slot + DEFAULT_DIGEST_LEASE).posted
    assert run.message_ts == earlier["ts"]
    assert subscribed.digests.get_run(W, sub.id, key).message_ts == earlier["ts"]
    assert len(slack.calls_to("chat.postMessage")) == 2  # the two above, nothing more


def test_unsubscribed_and_paused_subscriptions_post_nothing(store, slack, client, slot):
    gone = store.digests.add_subscription(W, "C0SALES", cadence="weekly", weekday=0, hour=9)
    paused = store.digests.add_subscription(W, "C0MGMT", cadence="weekly", weekday=0, hour=9)
    store.digests.delete_subscription(W, gone.id)
    store.digests.update_subscription(W, paused.id, active=False)
    assert run_due(store, client, slot).posted == []
    assert not slack.calls_to("chat.postMessage")


def test_each_workspace_posts_with_its_own_client(store, slack, client, slot):
    store.digests.add_subscription(W, "C0SALES", cadence="daily", weekday=None, hour=9)
    store.digests.add_subscription("T0GONE", "C0SALES", cadence="daily", weekday=None, hour=9)
    report = run_due(store, lambda ws: client if ws == W else None, slot)
    assert [r.workspace_id for r in report.posted] == [W]
    assert [(r.workspace_id, r.error) for r in report.failed] == [
        ("T0GONE", "the app is not installed in this workspace any more")]


def test_daily_and_weekly_subscriptions_keep_separate_periods(store, slack, client, slot):
    store.digests.add_subscription(W, "C0SALES", cadence="daily", weekday=None, hour=9)
    store.digests.add_subscription(W, "C0MGMT", cadence="weekly", weekday=0, hour=9)
    report = run_due(store, client, slot)
    assert sorted(r.period_key for r in report.posted) == sorted([slot.date().isoformat(),
                                                                  f"{slot.year}-W{slot.isocalendar()[1]:02d}"])
    assert len(run_due(store, client, slot + timedelta(days=1)).posted) == 1  # the daily one
