"""The state is prefix-only, and training and inference compute the same vector for the same prefix."""

import numpy as np
import pytest

from salesrl.agent.dataset import Conversation
from salesrl.agent.features import PAST_K, StateBuilder, feature_schema, past_features, state_dim
from salesrl.agent.lexical import LexicalModel
from salesrl.agent.sequence import LabelReader, Recurrent, SequenceModel
from salesrl.agent.signals import detect
from salesrl.agent.training.states import build_state_table
from salesrl.agent.types import Turn

DIM = 16
LEX = LexicalModel(("budget", "too expensive", "prospect honestly", "pilot", "salesforce"),
                   np.array([1.0, 2.0, 1.5, 1.0, 1.2]), np.array([0.8, -2.0, -0.5, 1.5, -0.7]), 0.1)



def _sequence_model(seed: int = 0, members: int = 2, hidden: int = 3) -> SequenceModel:
    """A small reader and GRU with random weights: enough to show what depends on what."""
    rng = np.random.default_rng(seed)
    reader = LabelReader(("move", "tone"), (("close", "discovery", "pitch"), ("high", "low")),
                         ("budget", "pilot", "salesforce", "prospect", "too expensive"), rng.random(5) + 1.0,
                         rng.normal(size=(5, 5)).astype(np.float32), rng.normal(size=5).astype(np.float32))
    inputs = reader.width + 2

    def w(*shape: int) -> np.ndarray:
        return rng.normal(size=shape).astype(np.float32)

    return SequenceModel(reader, Recurrent(w(inputs), np.abs(w(inputs)) + 0.5, w(members, inputs, hidden),
                                           w(members, hidden), w(members, hidden, 3 * hidden), w(members, 3 * hidden),
                                           w(members, hidden, 3 * hidden), w(members, 3 * hidden), w(members, hidden),
                                           w(members)))


SEQ = _sequence_model()


def _turns(n: int, seed: int = 0) -> list[Turn]:
    rng = np.random.default_rng(seed)
    lines = ["What is your budget for this?", "Honestly it's too expensive for us.", "Can we book a pilot next week?",
             "Our CFO has the final say.", "We already use Salesforce.", "Let me show you the dashboard features."]
    return [Turn("Ana" if i % 2 == 0 else "Ben", "rep" if i % 2 == 0 else "prospect", lines[int(rng.integers(len(lines)))])
            for i in range(n)]


def _states(turns, emb, probs):
    b = StateBuilder(DIM, LEX, SEQ)
    out = []
    for t, e, p in zip(turns, emb, probs):
        out.append(b.push(t, e))
        b.record(p)
    return np.stack(out)


def test_changing_later_turns_never_changes_earlier_states():
    rng = np.random.default_rng(1)
    turns = _turns(12)
    emb = rng.normal(size=(12, DIM)).astype(np.float32)
    probs = rng.random(12)
    a = _states(turns, emb, probs)
    other_turns = turns[:6] + _turns(20, seed=7)[6:]
    other_emb = np.concatenate([emb[:6], rng.normal(size=(14, DIM)).astype(np.float32)])
    b = _states(other_turns, other_emb, np.concatenate([probs[:6], rng.random(14)]))
    np.testing.assert_array_equal(a[:6], b[:6])
    assert not np.allclose(a[6], b[6])


def test_training_and_inference_build_the_same_state_for_the_same_prefix():
    rng = np.random.default_rng(2)
    turns = _turns(9)
    emb = rng.normal(size=(9, DIM)).astype(np.float32)
    conv = Conversation("c", 1, tuple(turns))
    other = Conversation("d", 0, tuple(_turns(5, seed=3)))
    table = build_state_table([other, conv], np.concatenate([rng.normal(size=(5, DIM)), emb]).astype(np.float32), DIM,
                              [LEX, LEX], [SEQ, SEQ])
    weights = rng.normal(size=table.states.shape[1]).astype(np.float32)

    def predict(x, rows=None):
        return 1 / (1 + np.exp(-(x @ weights) / 10))

    table.refresh_past(predict)
    # Inference: the live path feeds back the same model's probabilities.
    b = StateBuilder(DIM, LEX, SEQ)
    rows = table.starts[1] + np.arange(9)
    for t, e, row in zip(turns, emb, rows):
        s = b.push(t, e)
        np.testing.assert_allclose(s, table.states[row], rtol=1e-6, atol=1e-6)
        b.record(float(predict(s[None, :])[0]))


def test_workers_build_the_same_table_as_one_process():
    from salesrl.agent.training.states import PARALLEL_FROM

    rng = np.random.default_rng(4)
    convs = [Conversation(f"c{i}", i % 2, tuple(_turns(3 + i % 7, seed=i))) for i in range(PARALLEL_FROM + 1)]
    emb = rng.normal(size=(sum(len(c.turns) for c in convs), DIM)).astype(np.float32)
    other = _sequence_model(seed=1)
    sequence = [SEQ if i % 3 else other for i in range(len(convs))]
    one = build_state_table(convs, emb, DIM, [LEX] * len(convs), sequence, workers=1)
    two = build_state_table(convs, emb, DIM, [LEX] * len(convs), sequence, workers=2)
    np.testing.assert_array_equal(two.states, one.states)
    assert np.abs(one.states).sum() > 0 and (two.starts == one.starts).all()
    with pytest.raises(IndexError):  # a worker's error reaches the caller
        build_state_table(convs, emb[:-1], DIM, [LEX] * len(convs), sequence, workers=2)


def test_state_layout_and_past_block():
    schema = feature_schema(DIM)
    assert schema["rep_context"] == [0, DIM]
    assert schema["past"][1] == state_dim(DIM)
    assert list(past_features([])) == [0.5] * PAST_K
    assert list(past_features([0.1, 0.2, 0.3, 0.9])) == pytest.approx([0.9, 0.3, 0.2])


def test_state_does_not_depend_on_conversation_length():
    rng = np.random.default_rng(4)
    turns = _turns(30)
    emb = rng.normal(size=(30, DIM)).astype(np.float32)
    probs = rng.random(30)
    long = _states(turns, emb, probs)
    short = _states(turns[:10], emb[:10], probs[:10])
    np.testing.assert_array_equal(long[:10], short)


def test_signals_are_detected():
    assert "price" in detect("Honestly, that's too expensive for us")
    assert "decision_maker" in detect("Our CFO has the final say on this")
    assert "next_step" in detect("Can we schedule a pilot for next week?")
    assert not detect("Thanks, good to meet you")
