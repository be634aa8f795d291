"""Pending calls in the database (SQLite and PostgreSQL): a living process keeps its rows, a dead
one's are taken over once, by one process."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

from bot.slack.pending import is_dead_here, process_owner
from bot.store.models import utcnow

REQUEST = {"asker": {"team_id": "T0TEAM", "user_id": "U0ANA", "channel_id": "C0SALES", "response_url": None,
                     "thread_ts": None}, "source": "slash_command", "label": "pasted text", "deal_name": "Acme",
           "deal_id": None, "reps": [], "file": None}


def test_rows_are_taken_over_only_when_abandoned_and_only_once(store):
    alive, dead = "elsewhere:101:aaaa", "elsewhere:102:bbbb"
    kept = store.add_pending_call("T0TEAM", REQUEST, "Ana: hi [email]", alive)
    orphan = store.add_pending_call("T0TEAM", REQUEST, "Ana: hello", dead)
    elsewhere = store.add_pending_call("T0OTHER", REQUEST, "Boris: hi", dead)  # another workspace's
    lease_ago = utcnow() - timedelta(seconds=120)
    assert store.claim_pending_calls("T0TEAM", "me:1:cccc", stale_before=lease_ago) == []  # both renewed just now
    (taken,) = store.claim_pending_calls("T0TEAM", "me:1:cccc", stale_before=lease_ago, dead_owners=[dead])
    assert (taken.id, taken.owner, taken.attempts, taken.text) == (orphan, "me:1:cccc", 2, "Ana: hello")
    assert taken.request == REQUEST
    assert store.pending_call_owners("T0OTHER") == [dead] and store.get_pending_call("T0TEAM", elsewhere) is None
    # the living owner renews its claim; once it stops for the lease, the row goes to one claimer only
    assert store.touch_pending_calls(alive) == 1
    assert store.claim_pending_calls("T0TEAM", "you:2:dddd", stale_before=lease_ago) == []
    later = utcnow() + timedelta(seconds=121)
    store.touch_pending_calls("me:1:cccc", now=later)  # "me" lives on and renews the row it took
    first = store.claim_pending_calls("T0TEAM", "you:2:dddd", stale_before=later - timedelta(seconds=120), now=later)
    second = store.claim_pending_calls("T0TEAM", "me:1:cccc", stale_before=later - timedelta(seconds=120), now=later)
    assert [p.id for p in first] == [kept] and second == []
    store.finish_pending_call("T0TEAM", kept)
    assert store.get_pending_call("T0TEAM", kept) is None


def test_a_saved_call_marks_its_pending_row_in_the_same_transaction(store, score_result):
    pending = store.add_pending_call("T0TEAM", REQUEST, "Ana: hi", process_owner())
    call_id = store.save_call("T0TEAM", None, score_result(), "slash_command", "Ana: hi", pending_id=pending)
    assert store.get_pending_call("T0TEAM", pending).call_id == call_id


def test_a_process_of_this_host_that_exited_is_dead():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    host = socket.gethostname()
    assert is_dead_here(f"{host}:{child.pid}:abcd")
    assert not is_dead_here(process_owner())  # this very process
    assert not is_dead_here(f"another-host:{child.pid}:abcd")  # only the lease can tell
    assert not is_dead_here("garbage")
