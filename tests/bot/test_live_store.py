"""Live sessions and workspace configuration in the database, on SQLite and PostgreSQL: what lets
several bot processes carry one live conversation on, and end it exactly once."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from salesrl.bot.store import InvalidValue
from salesrl.bot.store.live import LiveSessionExists, LiveTurn


def live_turn(index: int, text: str = "hello", ts: str = "1.0") -> LiveTurn:
    emb = np.full(4, index + 0.5, dtype=np.float32)
    return LiveTurn(index=index, event_ts=ts, posted_by="U0ANA", speaker="Ben", role="prospect", text=text,
                    is_note=False, probability=0.5, uncertainty=0.1, in_distribution=0.9,
                    action_values=(0.4, 0.6), embedding=emb)


@pytest.fixture
def session(store):
    deal = store.deals.get_or_create("T1", "Acme")
    return store.live.start("T1", deal.id, channel_id="C1", thread_ts="100.1", card_ts="100.1",
                                    started_by="U0ANA", reps=["Ana Lopez"])


def test_turns_come_back_with_their_embeddings_in_order(store, session):
    assert store.live.append("T1", session.id, [live_turn(0), live_turn(1)], expected_count=0) == "appended"
    assert store.live.append("T1", session.id, [live_turn(2, ts="2.0")], expected_count=2,
                                   alert_turn=2) == "appended"
    turns = store.live.turns("T1", session.id)
    assert [t.index for t in turns] == [0, 1, 2]
    assert turns[2].embedding.tolist() == [2.5] * 4 and turns[0].action_values == (0.4, 0.6)
    assert [t.index for t in store.live.turns("T1", session.id, from_index=1)] == [1, 2]
    found = store.live.find("T1", "C1", "100.1")
    assert (found.turn_count, found.last_event_ts, found.last_alert_turn, found.deal_name) == (3, "2.0", 2, "Acme")
    assert found.reps == ("Ana Lopez",)


def test_a_process_that_is_behind_is_told_so_and_appends_nothing(store, session):
    store.live.append("T1", session.id, [live_turn(0)], expected_count=0)
    assert store.live.append("T1", session.id, [live_turn(0, "late")], expected_count=0) == "behind"
    assert [t.text for t in store.live.turns("T1", session.id)] == ["hello"]
    with pytest.raises(InvalidValue):
        store.live.append("T1", session.id, [live_turn(5)], expected_count=1)


def test_concurrent_appends_on_one_session_never_lose_or_duplicate_a_turn(store, session):
    def append_ten(worker: int) -> None:
        done = 0
        while done < 10:
            count = store.live.get("T1", session.id).turn_count
            if store.live.append("T1", session.id, [live_turn(count, f"w{worker}-{done}")],
                                       expected_count=count) == "appended":
                done += 1

    threads = [threading.Thread(target=append_ten, args=(w,)) for w in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    turns = store.live.turns("T1", session.id)
    assert [t.index for t in turns] == list(range(30))
    assert len({t.text for t in turns}) == 30


def test_a_session_ends_exactly_once_and_then_takes_no_turns(store, session):
    store.live.append("T1", session.id, [live_turn(0)], expected_count=0)
    assert store.live.claim_end("T1", session.id)
    assert not store.live.claim_end("T1", session.id)
    assert store.live.append("T1", session.id, [live_turn(1)], expected_count=1) == "closed"
    store.live.finish("T1", session.id, None)
    assert store.live.find("T1", "C1", "100.1") is None
    ended = store.live.find("T1", "C1", "100.1", include_ended=True)
    assert ended.state == "ended" and ended.ended_at is not None
    assert store.live.turns("T1", session.id) == []  # the call holds the turns now


def test_a_failed_save_reopens_the_session(store, session):
    assert store.live.claim_end("T1", session.id)
    store.live.release_end("T1", session.id)
    assert store.live.append("T1", session.id, [live_turn(0)], expected_count=0) == "appended"


def test_one_open_session_per_thread_but_a_new_one_after_the_end(store, session):
    with pytest.raises(LiveSessionExists):
        store.live.start("T1", session.deal_id, channel_id="C1", thread_ts="100.1", card_ts="100.5")
    store.live.claim_end("T1", session.id)
    store.live.finish("T1", session.id, None)
    again = store.live.start("T1", session.deal_id, channel_id="C1", thread_ts="100.1", card_ts="100.9")
    assert store.live.find("T1", "C1", "100.1").id == again.id != session.id


def test_another_workspace_sees_no_session(store, session):
    assert store.live.find("T2", "C1", "100.1") is None
    assert store.live.get("T2", session.id) is None
    assert store.live.turns("T2", session.id) == []
    assert not store.live.claim_end("T2", session.id)


def test_workspace_config_defaults_updates_and_bounds(store):
    config = store.config.get("T1")
    assert (config.review_channel_id, config.flag_threshold, config.drop_threshold) == (None, None, None)
    store.config.update("T1", review_channel_id="C0REVIEW", updated_by="U0ANA")
    config = store.config.update("T1", flag_threshold=0.3)
    assert (config.review_channel_id, config.flag_threshold, config.drop_threshold) == ("C0REVIEW", 0.3, None)
    assert store.config.get("T2").review_channel_id is None
    with pytest.raises(InvalidValue):
        store.config.update("T1", drop_threshold=0.0)
    with pytest.raises(InvalidValue):
        store.config.update("T1", flag_threshold=1.5)
    assert store.config.update("T1", flag_threshold=None).flag_threshold is None


def test_workspace_admins_are_added_once_removed_and_checked(store):
    assert store.config.get("T1").admin_user_ids == ()
    store.config.change_admins("T1", add=["U0CARL", "U0NIA", "U0CARL"], updated_by="U0ANA")
    config = store.config.update("T1", flag_threshold=0.3)  # other settings leave the list alone
    assert config.admin_user_ids == ("U0CARL", "U0NIA") and config.flag_threshold == 0.3
    assert store.config.change_admins("T1", remove=["U0CARL", "U0GONE"]).admin_user_ids == ("U0NIA",)
    assert store.config.get("T2").admin_user_ids == ()
    with pytest.raises(InvalidValue):
        store.config.change_admins("T1", add=["<!everyone>"])
    assert store.config.update("T1", admin_user_ids=[]).admin_user_ids == ()
