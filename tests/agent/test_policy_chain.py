"""Policy.predict_chain scores a conversation's states in one call with the outputs of one call a turn."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from salesrl.agent.embedder import load_embedder
from salesrl.agent.features import PAST_K, StateBuilder
from salesrl.agent.policy import Policy, PolicyOutput
from salesrl.agent.transcript import parse_transcript

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "discovery_call.vtt"
FIELDS = ("probability", "uncertainty", "in_distribution", "ood_distance", "action_values")


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.load()


@pytest.fixture(scope="module")
def older_graph(tmp_path_factory: pytest.TempPathFactory, policy: Policy) -> Policy:
    """The shipped model as graphs exported before `chain` existed take it: the states alone."""
    onnx = pytest.importorskip("onnx")
    model_dir = tmp_path_factory.mktemp("older") / "policy"
    shutil.copytree(policy.model_dir, model_dir)
    model = onnx.load(str(model_dir / "policy.onnx"))
    (chain,) = [i for i in model.graph.input if i.name == "chain"]
    model.graph.input.remove(chain)
    model.graph.initializer.append(onnx.numpy_helper.from_array(np.array(False), "chain"))
    onnx.save(model, str(model_dir / "policy.onnx"))
    older = Policy.load(model_dir)
    assert not older.can_chain
    return older


@pytest.fixture(scope="module")
def turn_by_turn(policy: Policy) -> tuple[np.ndarray, list[PolicyOutput]]:
    """The example's states as a live session builds them, and the policy's output for each, one call a turn."""
    turns = parse_transcript(EXAMPLE.read_bytes(), filename=EXAMPLE.name).turns
    embeddings = load_embedder(policy.embedder["id"]).embed([t.text for t in turns])
    builder = StateBuilder(embeddings.shape[1], policy.lexical, policy.sequence)
    states, outputs = [], []
    for turn, emb in zip(turns, embeddings):
        states.append(builder.push(turn, emb))
        outputs.append(policy.predict(states[-1]))
        builder.record(float(outputs[-1].probability[0]))
    return np.stack(states), outputs


def assert_same(chained: PolicyOutput, outputs: list[PolicyOutput]) -> None:
    for name in FIELDS:
        np.testing.assert_allclose(getattr(chained, name), np.concatenate([getattr(o, name) for o in outputs]),
                                   atol=1e-6, rtol=0, err_msg=name)


def test_the_shipped_graph_chains_in_one_call(policy: Policy) -> None:
    assert policy.can_chain


@pytest.mark.parametrize("graph", ["current", "older"], ids=["in the graph", "one call a turn (older graphs)"])
def test_a_chain_feeds_back_its_own_probabilities(graph: str, policy: Policy, older_graph: Policy,
                                                  turn_by_turn) -> None:
    chaining = policy if graph == "current" else older_graph
    states, outputs = turn_by_turn
    blanked = states.copy()
    blanked[1:, -PAST_K:] = 0.0  # only the first state's `past` block is read
    assert_same(chaining.predict_chain(blanked), outputs)
    # Started part-way through a call, the first state's `past` block carries the turns before it.
    assert_same(chaining.predict_chain(np.r_[states[7:8], blanked[8:]]), outputs[7:])
    assert_same(chaining.predict_chain(states[:1]), outputs[:1])
