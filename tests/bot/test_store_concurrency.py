"""Several bot processes share one database: their updates must not lose each other, and
claims must go to exactly one of them. Threads with separate Store instances stand in for
processes; one test uses real processes."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Callable, TypeVar

import pytest

from salesrl.agent.types import ScorePoint, ScoreResult, Transcript, Turn
from salesrl.bot.store import Store
from salesrl.bot.store.tables import utcnow

T = TypeVar("T")
WS = "T0CONC"


def _result(final: float) -> ScoreResult:
    turns = (Turn("Ana", "rep", "Hello"), Turn("Ben", "prospect", "Hi"))
    points = tuple(
        ScorePoint(index=i, speaker=t.speaker, role=t.role, text=t.text, probability=p, uncertainty=0.1, in_distribution=0.8)
        for i, (t, p) in enumerate(zip(turns, (0.5, final)))
    )
    return ScoreResult(transcript=Transcript(turns, "plain", "test"), points=points, tips=())


def _all_at_once(stores: list[Store], n: int, fn: Callable[[Store, int], T]) -> list[T]:
    """Run fn(store, i) for i in range(n) on n threads released together, alternating stores."""
    barrier = threading.Barrier(n)

    def run(i: int) -> T:
        barrier.wait(timeout=30)
        return fn(stores[i % len(stores)], i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


@pytest.fixture
def two_stores(database_url):  # type: ignore[no-untyped-def]
    first = Store.open(database_url)
    second = Store.open(database_url)
    yield [first, second]
    first.close()
    second.close()


def _assert_deal_consistent(store: Store, name: str, expected_calls: int) -> None:
    deal = store.deals.get(WS, name)
    calls = store.calls.of_deal(WS, deal.id)
    assert deal.call_count == len(calls) == expected_calls
    finals = [c.final_probability for c in calls]
    # the deal's latest probability and trend agree with its calls in the order they landed
    assert deal.latest_probability == pytest.approx(finals[-1])
    assert deal.trend == pytest.approx(finals[-1] - finals[-2])


def test_concurrent_saves_on_one_deal_all_land(two_stores):
    deal = two_stores[0].deals.get_or_create(WS, "Acme")

    def save(store: Store, i: int) -> list[int]:
        return [store.calls.save(WS, deal.id, _result(0.01 + 0.01 * (3 * i + k)), "slash_command", "t") for k in range(3)]

    ids = _all_at_once(two_stores, 8, save)
    assert len({i for batch in ids for i in batch}) == 24
    _assert_deal_consistent(two_stores[0], "Acme", 24)


def test_an_outcome_recorded_during_saves_is_not_lost(two_stores):
    deal = two_stores[0].deals.get_or_create(WS, "Acme")
    two_stores[0].calls.save(WS, deal.id, _result(0.4), "cli", "t")

    def work(store: Store, i: int) -> None:
        if i == 3:
            store.deals.record_outcome(WS, "Acme", won=True)
        else:
            store.calls.save(WS, deal.id, _result(0.1 + 0.05 * i), "cli", "t")

    _all_at_once(two_stores, 8, work)
    after = two_stores[1].deals.get(WS, "Acme")
    assert after.status == "won"
    _assert_deal_consistent(two_stores[1], "Acme", 8)


def test_concurrent_creation_of_one_deal_makes_one_deal(two_stores):
    ids = _all_at_once(two_stores, 8, lambda s, i: s.deals.get_or_create(WS, "New Deal" if i % 2 else "new  deal").id)
    assert len(set(ids)) == 1
    assert len(two_stores[0].deals.list(WS)) == 1


def test_a_digest_run_is_claimed_by_exactly_one_of_many(two_stores):
    sub = two_stores[0].digests.add_subscription(WS, "C1")
    wins = _all_at_once(two_stores, 12, lambda s, i: s.digests.claim_run(WS, sub.id, "2026-W48"))
    assert wins.count(True) == 1


def test_an_expired_claim_is_taken_over_by_exactly_one_of_many(two_stores):
    sub = two_stores[0].digests.add_subscription(WS, "C1")
    t0 = utcnow()
    assert two_stores[0].digests.claim_run(WS, sub.id, "2026-W48", now=t0)
    later = t0 + timedelta(minutes=20)
    wins = _all_at_once(two_stores, 12, lambda s, i: s.digests.claim_run(WS, sub.id, "2026-W48", now=later))
    assert wins.count(True) == 1
    assert two_stores[1].digests.get_run(WS, sub.id, "2026-W48").claim_count == 2


def test_a_slack_event_is_processed_once_across_processes(two_stores):
    assert two_stores[0].events.mark_processed(WS, "Ev123") is True
    assert two_stores[1].events.mark_processed(WS, "Ev123") is False
    firsts = _all_at_once(two_stores, 12, lambda s, i: s.events.mark_processed(WS, "Ev456"))
    assert firsts.count(True) == 1


def _save_in_process(url: str, deal_id: int, offset: int, n: int) -> None:
    store = Store.open(url)
    try:
        for k in range(n):
            store.calls.save(WS, deal_id, _result(0.01 * (offset + k + 1)), "live_session", "t")
    finally:
        store.close()


@pytest.mark.slow
def test_two_processes_saving_on_one_deal_both_land(store, database_url):
    deal = store.deals.get_or_create(WS, "Acme")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_save_in_process, args=(database_url, deal.id, 10 * p, 5)) for p in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0]
    _assert_deal_consistent(store, "Acme", 10)

