"""The queries behind a digest: calls of the period, movers, calls per rep, open flags."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from salesrl.bot.digest import queries
from salesrl.bot.store.tables import utcnow

W = "T0DIG"


def days_ago(days: float) -> time_machine.travel:
    """The clock `days` ago, for rows the store stamps with 'now'."""
    return time_machine.travel(utcnow() - timedelta(days=days), tick=False)


def test_calls_between_lists_the_period_newest_first(store, score_result):
    acme = store.deals.get_or_create(W, "Acme", owner_id="U1", channel_id="C1")
    with days_ago(10):
        store.calls.save(W, acme.id, score_result([0.5, 0.4]), "cli", "t")
    a = store.calls.save(W, acme.id, score_result([0.5, 0.6]), "slash_command", "t", user_id="U1")
    loose = store.calls.save(W, None, score_result([0.5, 0.7]), "shortcut", "t", channel_id="C2")
    since = utcnow() - timedelta(days=7)
    rows = queries.calls_between(store, W, since)
    assert [r.call_id for r in rows] == [loose, a]
    assert rows[1].deal_name == "Acme" and rows[0].deal_name is None
    assert [r.call_id for r in queries.calls_between(store, W, since, channel_ids=["C1"])] == [a]
    assert [r.call_id for r in queries.calls_between(store, W, since, channel_ids=["C2"])] == [loose]
    assert [r.call_id for r in queries.calls_between(store, W, since, owner_id="U1")] == [a]


def test_movers_compare_with_the_last_call_before_the_period(store, score_result):
    up = store.deals.get_or_create(W, "Up")
    with days_ago(9):
        store.calls.save(W, up.id, score_result([0.5, 0.30]), "cli", "t")
    store.calls.save(W, up.id, score_result([0.3, 0.50]), "cli", "t")
    store.calls.save(W, up.id, score_result([0.5, 0.70]), "cli", "t")
    new = store.deals.get_or_create(W, "New")  # one call, in the period: nothing to move from
    store.calls.save(W, new.id, score_result([0.60, 0.50]), "cli", "t")
    second = store.deals.get_or_create(W, "Second")  # two calls in the period: from the first one's end
    store.calls.save(W, second.id, score_result([0.42, 0.60]), "cli", "t")
    store.calls.save(W, second.id, score_result([0.60, 0.45]), "cli", "t")
    quiet = store.deals.get_or_create(W, "Quiet")  # nothing this week: not a mover
    with days_ago(20):
        store.calls.save(W, quiet.id, score_result([0.5, 0.9]), "cli", "t")

    moves = queries.deal_movers(store, W, utcnow() - timedelta(days=7))
    assert [(m.deal_name, round(m.before, 2), round(m.after, 2), m.calls_in_period) for m in moves] == [
        ("Up", 0.30, 0.70, 2),
        ("Second", 0.60, 0.45, 2),
    ]
    assert moves[0].change == pytest.approx(0.40)
    assert len(queries.deal_movers(store, W, utcnow() - timedelta(days=7), limit=1)) == 1
    # the same boundaries as the counts: a call after the period's end does not move it
    assert queries.deal_movers(store, W, utcnow() - timedelta(days=7), utcnow() - timedelta(days=1)) == []


def test_calls_per_rep_names_the_reps(store, score_result):
    store.workspaces.ensure_user(W, "U1", "Ana")
    deal = store.deals.get_or_create(W, "Acme", owner_id="U2")
    store.calls.save(W, deal.id, score_result([0.5, 0.6]), "cli", "t", user_id="U1")
    store.calls.save(W, deal.id, score_result([0.5, 0.8]), "cli", "t", user_id="U1")
    store.calls.save(W, deal.id, score_result([0.5, 0.4]), "cli", "t")  # falls to the owner
    reps = queries.calls_per_rep(store, W, utcnow() - timedelta(days=7))
    assert [(r.user_id, r.display_name, r.calls) for r in reps] == [("U1", "Ana", 2), ("U2", None, 1)]
    assert reps[0].average_final_probability == pytest.approx(0.7)


def test_open_flags_by_owner(store, score_result):
    mine = store.deals.get_or_create(W, "Mine", owner_id="U1")
    theirs = store.deals.get_or_create(W, "Theirs", owner_id="U2")
    store.flags.add(W, reason="stalled", deal_id=mine.id)
    store.flags.add(W, reason="pricing", deal_id=theirs.id)
    assert [f.deal_name for f in store.flags.list_open(W, owner_id="U1")] == ["Mine"]
    assert len(store.flags.list_open(W)) == 2

