"""Zoom recordings are claimed once by their id, across threads and processes sharing the database."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from salesrl.bot.store import Store
from salesrl.bot.store.tables import utcnow
from salesrl.bot.store.zoom import STALE_CLAIM

T = "T0TEAM"


def test_a_recording_is_claimed_once_among_concurrent_deliveries(database_url: str):
    stores = [Store.open(database_url) for _ in range(4)]  # as replicas would, each with its own pool
    try:
        with ThreadPoolExecutor(8) as pool:
            claims = list(pool.map(lambda i: stores[i % 4].zoom_recordings.claim(T, "rec-1", "Acme :: weekly"),
                                   range(16)))
        taken = [c for c in claims if c is not None]
        assert len(taken) == 1
        assert stores[0].zoom_recordings.get(T, taken[0]).state == "claimed"
    finally:
        for s in stores:
            s.close()


def test_a_failed_or_stale_claim_is_taken_again_by_a_later_copy(store: Store):
    first = store.zoom_recordings.claim(T, "rec-1", "Acme")
    assert store.zoom_recordings.claim(T, "rec-1", "Acme") is None
    later = utcnow() + STALE_CLAIM + timedelta(seconds=1)
    assert store.zoom_recordings.claim(T, "rec-1", "Acme", now=later) == first  # its process died
    store.zoom_recordings.failed(T, first)
    assert store.zoom_recordings.claim(T, "rec-1", "Acme") == first
    assert store.zoom_recordings.claim("T0OTHER", "rec-1", "Acme") not in (None, first)  # another workspace's


def test_a_recording_awaiting_a_deal_is_taken_by_one_click_and_loses_its_text_once_filed(store: Store, score_result):
    row = store.zoom_recordings.claim(T, "rec-2", "Weekly sync")
    store.zoom_recordings.await_deal(T, row, "Ana: hi\nBen: hello", "U0ANA")
    assert store.zoom_recordings.claim(T, "rec-2", "Weekly sync") is None  # a copy of the event changes nothing
    taken = store.zoom_recordings.take_awaiting(T, row)
    assert taken is not None and taken.transcript_text == "Ana: hi\nBen: hello" and taken.host_user_id == "U0ANA"
    assert store.zoom_recordings.take_awaiting(T, row) is None  # a second click
    store.zoom_recordings.give_back(T, row)  # filing failed: the host may pick again
    assert store.zoom_recordings.take_awaiting(T, row) is not None
    call_id = store.calls.save(T, None, score_result(), "zoom", "Ana: hi\nBen: hello")
    store.zoom_recordings.filed(T, row, call_id)
    done = store.zoom_recordings.get(T, row)
    assert done.state == "filed" and done.call_id == call_id and done.transcript_text is None


def test_retention_drops_the_text_of_a_transcript_never_filed(store: Store):
    row = store.zoom_recordings.claim(T, "rec-3", "Weekly sync")
    store.zoom_recordings.await_deal(T, row, "Ana: hi\nBen: hello", "U0ANA")
    store.retention.purge_transcripts(30)
    assert store.zoom_recordings.get(T, row).transcript_text is not None  # not old yet
    store.retention.purge_transcripts(30, now=utcnow() + timedelta(days=31))
    gone = store.zoom_recordings.get(T, row)
    assert gone.transcript_text is None and gone.state == "failed"
    assert store.zoom_recordings.take_awaiting(T, row) is None  # a click now files nothing
