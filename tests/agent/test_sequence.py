"""The sequence score: the numpy GRU computes what the trained torch GRUs compute, the reader reads a turn alone as
it reads it in a batch, the model survives a save and a load, and fitting learns the labels out of fold."""

import json

import numpy as np
import pytest

from salesrl.agent.dataset import parse_conversation
from salesrl.agent.errors import DatasetError, ModelError
from salesrl.agent.sequence import FILE_NAME, SequenceModel
from salesrl.agent.synth.generator import generate

torch = pytest.importorskip("torch", reason="training needs the [train] extra")

from salesrl.agent.training.pipeline import split  # noqa: E402
from salesrl.agent.training.sequence_fit import (  # noqa: E402
    fit_sequence, network, read_turns, recurrent_of, turn_labels,
)
from salesrl.agent.lexical import terms, turn_words  # noqa: E402


@pytest.fixture(scope="module")
def fitted():
    convs = generate(80, seed=4)
    train_idx, val_idx = split(len(convs), 0.1, 0)
    return convs, train_idx, val_idx, fit_sequence(convs, train_idx, val_idx, seed=0, target="expected")


def test_numpy_gru_computes_what_the_torch_gru_computes():
    inputs = 7
    nets = [network(inputs, seed=k).eval() for k in range(3)]
    assert not torch.equal(nets[0].gru.weight_hh_l0, nets[1].gru.weight_hh_l0)  # three members, not one thrice
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, inputs)).astype(np.float32)
    mean, std = rng.normal(size=inputs).astype(np.float32), (rng.random(inputs) + 0.5).astype(np.float32)
    recurrent = recurrent_of(nets, mean, std)
    with torch.no_grad():
        expected = np.mean([net(torch.from_numpy((x - mean) / std)[None])[0][0].numpy() for net in nets], axis=0)
    h, got = recurrent.start(), []
    for row in x:
        logit, h = recurrent.step(row, h)
        got.append(logit)
    np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.slow
def test_fit_reads_the_labels_and_scores_training_calls_out_of_fold(fitted):
    convs, train_idx, val_idx, fit = fitted
    reader = fit.model.reader
    assert reader.names[0] == "move" and {"intent", "tone", "persona"} <= set(reader.names)
    held_out = [t for i in val_idx for t in convs[i].turns]
    read = read_turns(reader, [terms(turn_words(t), None) for t in held_out])
    one_by_one = np.array([reader.read(t) for t in held_out])
    np.testing.assert_allclose(one_by_one, read, atol=1e-6)
    for a, b in zip(reader.bounds[:-1], reader.bounds[1:]):
        np.testing.assert_allclose(read[:, a:b].sum(axis=1), 1.0, atol=1e-5)
    moves = [(turn_labels(convs[i])[k].get("move"), k) for i in val_idx for k in range(len(convs[i].turns))]
    rows = [r for r, (move, _) in enumerate(moves) if move]
    hits = [reader.values[0][read[r, :len(reader.values[0])].argmax()] == moves[r][0] for r in rows]
    assert np.mean(hits) > 0.8  # 9 move classes: chance is far below
    assert all(fit.per_conversation[i] is fit.model for i in val_idx)
    assert all(fit.per_conversation[i] is not fit.model for i in train_idx)
    assert len({id(fit.per_conversation[i]) for i in train_idx}) == fit.info["folds"] == 2


@pytest.mark.slow
def test_saved_and_loaded_model_scores_identically(fitted, tmp_path):
    convs, _, val_idx, fit = fitted
    fit.model.save(tmp_path)
    again = SequenceModel.load(tmp_path)
    for i in val_idx:
        a, b = fit.model.tracker(), again.tracker()
        assert [a.add(t) for t in convs[i].turns] == pytest.approx([b.add(t) for t in convs[i].turns], abs=1e-6)
    (tmp_path / FILE_NAME).write_bytes(b"not a model")
    with pytest.raises(ModelError, match="sequence model"):
        SequenceModel.load(tmp_path)


def test_calls_without_labels_get_a_constant_score():
    convs = [parse_conversation({"id": i, "outcome": int(i % 3 == 0), "turns": [{"role": "rep", "text": "hello"}]})
             for i in range(1, 13)]
    fit = fit_sequence(convs, np.arange(10), np.arange(10, 12), seed=0, target="outcome")
    assert fit.model.is_constant and fit.info["labels"] == {}
    tracker = fit.model.tracker()
    assert tracker.add(convs[0].turns[0]) == pytest.approx(np.log(3 / 7))  # calls 3, 6 and 9 of the ten won


def test_dataset_labels_are_validated_and_written_back():
    line = {"id": "a", "outcome": 1, "turns": [{"role": "prospect", "text": "We hurt.", "labels": {"tone": "high"}}]}
    conv = parse_conversation(line)
    assert conv.labels == ({"tone": "high"},)
    assert conv.to_json()["turns"][0]["labels"] == {"tone": "high"}
    for bad in ({"tone": 3}, ["high"], {"move": "close"}):
        with pytest.raises(DatasetError, match="turn 0"):
            parse_conversation(json.loads(json.dumps({**line, "turns": [{**line["turns"][0], "labels": bad}]})))


@pytest.mark.slow
def test_calls_of_its_own_train_the_score_and_it_scores_every_training_call():
    """`--sequence-data`: the reader and GRU learn from other calls, so the policy's calls need no labels and no
    folds; every one of them, training or held out, is scored by the model that ships."""
    from dataclasses import replace

    own = generate(60, seed=5)
    convs = [replace(c, actions=(), labels=()) for c in generate(30, seed=6)]
    train_idx, val_idx = split(len(convs), 0.2, 0)
    fit = fit_sequence(convs, train_idx, val_idx, seed=0, target="expected", sequence_calls=own)
    assert not fit.model.is_constant and fit.model.reader.names[0] == "move"
    assert fit.info["own_calls"] and fit.info["calls"] == 60 and fit.info["folds"] == 0
    assert all(m is fit.model for m in fit.per_conversation)
    # Without them the same unlabelled calls have nothing to read.
    assert fit_sequence(convs, train_idx, val_idx, seed=0, target="expected").model.is_constant


def test_grus_trained_side_by_side_are_the_ones_trained_alone():
    from salesrl.agent.training.sequence_fit import Calls, fit_grus

    rng = np.random.default_rng(3)

    def calls(n: int) -> Calls:
        lengths = rng.integers(3, 9, size=n)
        return Calls([rng.normal(size=(k, 5)).astype(np.float32) for k in lengths], rng.random(n),
                     [np.full(k, np.nan, dtype=np.float32) for k in lengths])

    empty = Calls([], np.zeros(0), [])
    a, b = calls(40), calls(30)
    together = fit_grus([(a, empty, 1, 2), (b, empty, 2, 1)])
    alone = fit_grus([(b, empty, 2, 1)])
    for name in ("w_ih", "w_hh", "w_out"):
        np.testing.assert_array_equal(getattr(together[1][0], name), getattr(alone[0][0], name))
    assert not np.array_equal(together[0][0].w_hh[0], together[0][0].w_hh[1])  # members differ
