"""Live sessions with the shipped model and a real database: incremental (one embedding per new turn,
nothing rescored), identical to scoring the whole conversation, carried on by another process, and
saved as a call exactly once."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from salesrl.agent.types import Turn
from salesrl.bot.flags.thresholds import Thresholds
from salesrl.bot.live.sessions import LiveSessions
from salesrl.bot.store import Store

RULE = Thresholds(below=0.35)
MESSAGES = [
    [Turn("Ana", "rep", "Hi Ben, thanks for the time. How is the quarter going?")],
    [Turn("Ben", "prospect", "Busy. Our reps lose hours every week on manual reporting.")],
    [Turn("Ana", "rep", "What does that cost you in hours per rep?"),
     Turn("Ben", "prospect", "About six hours each, forty reps.")],
    [Turn("Notes", "other", "he sounds keen, asked about the rollout twice", is_note=True)],
    [Turn("Ben", "prospect", "But honestly the budget is frozen until next year.")],
    [Turn("Ana", "rep", "Understood. Who else would weigh in on this?"),
     Turn("Ben", "prospect", "Our CFO signs off on anything like this.")],
]


class CountingEmbedder:
    """The real embedder, counting the texts it embeds."""

    def __init__(self, inner) -> None:
        self.inner, self.texts = inner, 0
        self.id, self.dim, self.checksum = inner.id, inner.dim, inner.checksum

    def embed(self, texts):
        self.texts += len(texts)
        return self.inner.embed(texts)


@pytest.fixture(scope="module")
def agent():
    from salesrl.agent.sales_agent import SalesAgent
    from salesrl.bot.settings import get_settings

    real = SalesAgent.load(get_settings().model_dir)  # the shipped model, or SALESRL_MODEL_DIR
    return SalesAgent(real.policy, CountingEmbedder(real.embedder), real.head, real.prior)


@pytest.fixture
def store(tmp_path):
    s = Store.open(f"sqlite:///{tmp_path / 'live.db'}")
    yield s
    s.close()


def start(store: Store, live: LiveSessions):
    deal = store.deals.get_or_create("T1", "Acme")
    session = store.live.start("T1", deal.id, channel_id="C1", thread_ts="1.0", card_ts="1.0",
                                       started_by="U1", reps=["Ana"])
    live.begin(session)
    return session


def feed(live: LiveSessions, session, messages, first_ts: int = 2):
    return [live.add_turns(session, m, event_ts=f"{first_ts + i}.0", posted_by="U1", thresholds=RULE)
            for i, m in enumerate(messages)]


def test_each_message_costs_one_embedding_per_new_turn_and_matches_scoring_it_whole(agent, store):
    live = LiveSessions(store, agent)
    session = start(store, live)
    before = agent.embedder.texts
    updates = feed(live, session, MESSAGES)
    turns = [t for m in MESSAGES for t in m]
    assert agent.embedder.texts - before == len(turns)  # nothing embedded twice, nothing rescored
    assert [len(u.points) for u in updates] == [1, 2, 4, 5, 6, 8]
    whole = agent.score(turns)
    assert np.allclose([p.probability for p in updates[-1].points], whole.probabilities, atol=1e-6)
    stored = store.live.turns("T1", session.id)
    assert [t.text for t in stored] == [t.text for t in turns]
    assert [t.event_ts for t in stored] == ["2.0", "3.0", "4.0", "4.0", "5.0", "6.0", "7.0", "7.0"]


def test_another_process_rebuilds_the_session_once_from_stored_embeddings_and_carries_on(agent, store):
    one = LiveSessions(store, agent)
    session = start(store, one)
    feed(one, session, MESSAGES[:3])
    two = LiveSessions(store, agent)  # a second `salesrl serve` behind the load balancer
    before = agent.embedder.texts
    (from_two,) = feed(two, session, MESSAGES[3:4], first_ts=5)
    assert agent.embedder.texts - before == 1  # only the new note: stored turns were not embedded again
    assert two.rebuilds == 1
    (again,) = feed(two, session, MESSAGES[4:5], first_ts=6)
    assert two.rebuilds == 1  # held in memory from then on
    (back_in_one,) = feed(one, session, MESSAGES[5:6], first_ts=7)  # one is behind: it catches up
    assert one.rebuilds == 1
    whole = agent.score([t for m in MESSAGES for t in m])
    assert np.allclose([p.probability for p in back_in_one.points], whole.probabilities, atol=1e-6)
    assert store.live.get("T1", session.id).turn_count == 8


def test_ending_saves_one_call_even_when_two_processes_end_it_at_once(agent, store):
    one, two = LiveSessions(store, agent), LiveSessions(store, agent)
    session = start(store, one)
    feed(one, session, MESSAGES)
    results: list = []
    threads = [threading.Thread(target=lambda live=live: results.append(live.end(session))) for live in (one, two)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ended = [r for r in results if r is not None]
    assert len(ended) == 1
    (call,) = store.calls.of_deal("T1", session.deal_id)
    assert call.id == ended[0].call_id and call.source == "live_session" and call.turn_count == 8
    assert store.deals.get("T1", "Acme").call_count == 1
    assert feed(one, session, MESSAGES[:1], first_ts=50) == [None]  # the session takes no more turns
    detail = store.calls.get("T1", call.id)
    assert [t.is_note for t in detail.turns].count(True) == 1 and detail.tips


def test_a_session_ended_without_turns_saves_nothing(agent, store):
    live = LiveSessions(store, agent)
    session = start(store, live)
    ended = live.end(session)
    assert ended is not None and ended.result is None and ended.call_id is None
    assert store.calls.of_deal("T1", session.deal_id) == []
