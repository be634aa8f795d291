"""A tiny training run learns, the exported ONNX policy is what was trained, and it reloads exactly."""

import json
import shutil

import numpy as np
import pytest

pytest.importorskip("torch", reason="training needs the [train] extra")

from salesrl.agent.dataset import write_dataset
from salesrl.agent.embedder import load_embedder
from salesrl.agent.errors import ModelError
from salesrl.agent.policy import Policy
from salesrl.agent.sales_agent import SalesAgent
from salesrl.agent.synth import generate
from salesrl.agent.training.evaluate import auc
from salesrl.agent.training.config import TrainingConfig
from salesrl.agent.training.pipeline import run


@pytest.fixture(scope="module")
def embedder():
    return load_embedder(None)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, embedder):
    d = tmp_path_factory.mktemp("train")
    write_dataset(generate(240, seed=11), d / "train.jsonl")
    out = d / "model"
    meta = run(str(d / "train.jsonl"), str(out), TrainingConfig(algo="td", epochs=4, members=3), embedder,
               command="pytest tiny run")
    return out, meta


@pytest.mark.slow
def test_tiny_td_run_learns_better_than_chance(tiny_model, embedder):
    out, meta = tiny_model
    agent = SalesAgent.load(out, embedder=embedder)
    test = generate(80, seed=99)
    finals = [agent.score(c.turns).final.probability for c in test]
    outcomes = [c.outcome for c in test]
    assert auc(outcomes, finals) > 0.65
    assert meta["algo"] == "td" and meta["action_values"] is True


@pytest.mark.slow
def test_saved_model_reloads_and_scores_identically(tiny_model, embedder, tmp_path):
    out, _ = tiny_model
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    conv = generate(1, seed=5)[0]
    a = SalesAgent.load(out, embedder=embedder).score(conv.turns)
    b = SalesAgent.load(copy, embedder=embedder).score(conv.turns)
    assert a.to_dict()["turns"] == b.to_dict()["turns"]
    assert all(0.0 <= p.probability <= 1.0 for p in a.points)


@pytest.mark.slow
def test_loading_a_policy_for_another_embedder_or_schema_is_a_clear_error(tiny_model, embedder, tmp_path):
    out, _ = tiny_model
    bad = tmp_path / "bad"
    shutil.copytree(out, bad)
    meta = json.loads((bad / "metadata.json").read_text())
    meta["embedder"]["id"] = "openai:text-embedding-3-large"
    (bad / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="trained with embedder openai:text-embedding-3-large"):
        SalesAgent.load(bad, embedder=embedder)
    meta["feature_schema_version"] = 999
    (bad / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="feature schema"):
        Policy.load(bad)
    with pytest.raises(ModelError, match="not a SalesRL model directory"):
        Policy.load(tmp_path)


@pytest.mark.slow
def test_in_distribution_score_flags_another_domain(tiny_model, embedder):
    out, _ = tiny_model
    agent = SalesAgent.load(out, embedder=embedder)
    sales = agent.score(generate(1, seed=3)[0].turns).final.in_distribution
    recipe = "\n".join(f"{'Chef' if i % 2 else 'Cook'}: {t}" for i, t in enumerate([
        "Preheat the oven to 200 degrees and grease the tin.", "Should I sift the flour first?",
        "Yes, then fold in the egg whites gently.", "How long does the sponge bake?",
        "About twenty five minutes, until a skewer comes out clean.", "And the icing, butter or cream cheese?"]))
    unfamiliar = agent.score(recipe, reps=["Chef"]).final.in_distribution
    assert unfamiliar < sales
    assert unfamiliar < 0.1


@pytest.mark.slow
def test_a_short_ppo_run_exports_a_policy_that_loads_and_scores(tmp_path, embedder):
    pytest.importorskip("stable_baselines3")
    write_dataset(generate(60, seed=12), tmp_path / "train.jsonl")
    out = tmp_path / "ppo"
    meta = run(str(tmp_path / "train.jsonl"), str(out), TrainingConfig(algo="ppo", members=1, ppo_steps=256),
               embedder, command="pytest ppo run")
    assert meta["algo"] == "ppo" and meta["action_values"] is False
    assert "not trained: PPO learns the probability only" in (out / "MODEL_CARD.md").read_text()
    result = SalesAgent.load(out, embedder=embedder).score(generate(1, seed=6)[0].turns)
    assert all(0.0 <= p.probability <= 1.0 for p in result.points)


def test_call_weighting_makes_each_call_weigh_the_same():
    from salesrl.agent.training.states import StateTable
    from salesrl.agent.training.td import row_shares

    lengths = np.array([2, 6, 4])
    rows = int(lengths.sum())
    table = StateTable(np.zeros((rows, 3), np.float32), np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths,
                       np.zeros(3, np.float32), np.full(rows, -1), np.full(rows, np.nan, np.float32), slice(0, 0), 0, 1)
    shares = row_shares(table, "call")
    assert shares.mean() == pytest.approx(1.0)
    per_call = np.bincount(table.conv_of_row, weights=shares)
    np.testing.assert_allclose(per_call, per_call[0])
    np.testing.assert_array_equal(row_shares(table, "turn"), np.ones(rows))
    with pytest.raises(ValueError, match="weighting"):
        row_shares(table, "deal")


def test_expected_targets_use_the_recorded_final_probability_and_fall_back_to_the_outcome():
    from salesrl.agent.training.states import StateTable, call_targets

    lengths = np.array([2, 3])
    p_true = np.array([0.2, 0.7, np.nan, np.nan, np.nan], np.float32)  # the second call has none (a real deal)
    table = StateTable(np.zeros((5, 3), np.float32), np.array([0, 2]), lengths, np.array([0.0, 1.0], np.float32),
                       np.full(5, -1), p_true, slice(0, 0), 0, 1)
    np.testing.assert_allclose(table.targets("expected"), [0.7, 1.0])
    np.testing.assert_array_equal(table.targets("outcome"), [0.0, 1.0])
    with pytest.raises(ValueError, match="expected or outcome"):
        call_targets(np.zeros(1), np.zeros(1), "p_true")


def test_soft_label_copies_let_a_classifier_fit_probabilities():
    from sklearn.linear_model import LogisticRegression

    from salesrl.agent.training.states import soft_label_copies

    x = np.repeat([[0.0], [1.0]], 50, axis=0)
    p = np.r_[np.full(50, 0.2), np.full(50, 0.7)]  # no row is 0 or 1: only the copies' weights carry the target
    labels, weights = soft_label_copies(p)
    fit = LogisticRegression(C=1e6).fit(np.r_[x, x], labels, sample_weight=weights)
    np.testing.assert_allclose(fit.predict_proba([[0.0], [1.0]])[:, 1], [0.2, 0.7], atol=1e-3)


def test_td_targets_end_in_the_terminal_target():
    from salesrl.agent.training.states import StateTable
    from salesrl.agent.training.td import lambda_returns

    lengths = np.array([3])
    table = StateTable(np.zeros((3, 3), np.float32), np.array([0]), lengths, np.array([1.0], np.float32),
                       np.full(3, -1), np.array([0.5, 0.6, 0.8], np.float32), slice(0, 0), 0, 1)
    values = np.array([[0.4, 0.5, 0.9]], np.float32)
    g = lambda_returns(table, values, 0.5, table.targets("expected"))
    # G_2 = 0.8 (the recorded final probability, not the outcome 1); G_1 = 0.5 * V_2 + 0.5 * G_2; G_0 likewise.
    np.testing.assert_allclose(g[0], [0.5 * 0.5 + 0.5 * 0.85, 0.5 * 0.9 + 0.5 * 0.8, 0.8], rtol=1e-6)


def test_the_lexical_score_learns_from_soft_labels():
    """A soft label is a probability, not a coin: calls that say "alpha" ended at 0.8, calls that say "beta"
    at 0.3, and the fitted score says so (rounded to won and lost, it would say 1 and 0)."""
    from salesrl.agent.training.lexical_fit import fit_model

    per_conv = [[["alpha"]]] * 20 + [[["beta"]]] * 20
    y = np.r_[np.full(20, 0.8), np.full(20, 0.3)]
    model = fit_model(per_conv, [[1]] * 40, y, c=1e4)
    for word, p in (("alpha", 0.8), ("beta", 0.3)):
        logit = model.coef[model.index[word]] + model.intercept  # a one-term prefix's vector is that term, at 1
        assert 1 / (1 + np.exp(-logit)) == pytest.approx(p, abs=0.01)
