"""The queries behind a digest: calls of the period, movers, stale deals, calls per rep,
open flags, calibration of closed deals."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from salesrl.bot.store.models import utcnow

W = "T0DIG"


def days_ago(days: float) -> time_machine.travel:
    """The clock `days` ago, for rows the store stamps with 'now'."""
    return time_machine.travel(utcnow() - timedelta(days=days), tick=False)


def test_calls_between_lists_the_period_newest_first(store, score_result):
    acme = store.get_or_create_deal(W, "Acme", owner_id="U1", channel_id="C1")
    with days_ago(10):
        store.save_call(W, acme.id, score_result([0.5, 0.4]), "cli", "t")
    a = store.save_call(W, acme.id, score_result([0.5, 0.6]), "slash_command", "t", user_id="U1")
    loose = store.save_call(W, None, score_result([0.5, 0.7]), "shortcut", "t", channel_id="C2")
    since = utcnow() - timedelta(days=7)
    rows = store.calls_between(W, since)
    assert [r.call_id for r in rows] == [loose, a]
    assert rows[1].deal_name == "Acme" and rows[0].deal_name is None
    assert [r.call_id for r in store.calls_between(W, since, channel_ids=["C1"])] == [a]
    assert [r.call_id for r in store.calls_between(W, since, channel_ids=["C2"])] == [loose]
    assert [r.call_id for r in store.calls_between(W, since, owner_id="U1")] == [a]


def test_movers_compare_with_the_last_call_before_the_period(store, score_result):
    up = store.get_or_create_deal(W, "Up")
    with days_ago(9):
        store.save_call(W, up.id, score_result([0.5, 0.30]), "cli", "t")
    store.save_call(W, up.id, score_result([0.3, 0.50]), "cli", "t")
    store.save_call(W, up.id, score_result([0.5, 0.70]), "cli", "t")
    new = store.get_or_create_deal(W, "New")  # first call in the period: from its first turn
    store.save_call(W, new.id, score_result([0.60, 0.50]), "cli", "t")
    quiet = store.get_or_create_deal(W, "Quiet")  # nothing this week: not a mover
    with days_ago(20):
        store.save_call(W, quiet.id, score_result([0.5, 0.9]), "cli", "t")

    moves = store.deal_movers(W, utcnow() - timedelta(days=7))
    assert [(m.deal_name, round(m.before, 2), round(m.after, 2), m.calls_in_period) for m in moves] == [
        ("Up", 0.30, 0.70, 2),
        ("New", 0.60, 0.50, 1),
    ]
    assert moves[0].change == pytest.approx(0.40)
    assert len(store.deal_movers(W, utcnow() - timedelta(days=7), limit=1)) == 1


def test_stale_deals_are_open_deals_without_activity(store, score_result):
    store.get_or_create_deal(W, "Idle")
    closed = store.get_or_create_deal(W, "Closed")
    store.record_outcome(W, "Closed", won=False)
    later = utcnow() + timedelta(days=15)
    assert [d.name for d in store.stale_deals(W, 14, now=later)] == ["Idle"]
    assert store.stale_deals(W, 14) == []
    assert closed.id not in [d.id for d in store.stale_deals(W, 14, now=later)]


def test_calls_per_rep_names_the_reps(store, score_result):
    store.ensure_user(W, "U1", "Ana")
    deal = store.get_or_create_deal(W, "Acme", owner_id="U2")
    store.save_call(W, deal.id, score_result([0.5, 0.6]), "cli", "t", user_id="U1")
    store.save_call(W, deal.id, score_result([0.5, 0.8]), "cli", "t", user_id="U1")
    store.save_call(W, deal.id, score_result([0.5, 0.4]), "cli", "t")  # falls to the owner
    reps = store.calls_per_rep(W, utcnow() - timedelta(days=7))
    assert [(r.user_id, r.display_name, r.calls) for r in reps] == [("U1", "Ana", 2), ("U2", None, 1)]
    assert reps[0].average_final_probability == pytest.approx(0.7)


def test_open_flags_by_owner_and_calibration_of_closed_deals(store, score_result):
    mine = store.get_or_create_deal(W, "Mine", owner_id="U1")
    theirs = store.get_or_create_deal(W, "Theirs", owner_id="U2")
    store.add_flag(W, reason="stalled", deal_id=mine.id)
    store.add_flag(W, reason="pricing", deal_id=theirs.id)
    assert [f.deal_name for f in store.list_open_flags(W, owner_id="U1")] == ["Mine"]
    assert len(store.list_open_flags(W)) == 2

    store.save_call(W, mine.id, score_result([0.5, 0.8]), "cli", "t")
    store.record_outcome(W, "Mine", won=True)
    store.record_outcome(W, "Theirs", won=False)
    forecasts = store.closed_deal_forecasts(W, utcnow() - timedelta(days=7))
    assert [(f.deal_name, f.won, f.latest_probability) for f in forecasts] == [
        ("Mine", True, pytest.approx(0.8)),
        ("Theirs", False, None),
    ]
