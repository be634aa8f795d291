"""`salesrl eval`: the metrics against hand-computed values and scikit-learn, the TF-IDF baseline, and the
command end to end on a tiny model trained in the test."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from salesrl.agent.dataset import Conversation
from salesrl.agent.training.evaluate import (
    accuracy, auc, average_ranks, brier, brier_gap, ece, expected_brier_gap, log_loss, reliability,
    selective_accuracy, stage_turn,
)
from salesrl.agent.types import Turn

sklearn_metrics = pytest.importorskip("sklearn.metrics")


# --------------------------------------------------------------------------------------------- metrics

def test_ranks_share_the_mean_of_tied_positions():
    assert average_ranks(np.array([0.3, 0.1, 0.3, 0.2])).tolist() == [3.5, 1.0, 3.5, 2.0]


def test_auc_by_hand_with_a_tie():
    # pairs (pos, neg): (0.8,0.2) win, (0.8,0.4) win, (0.4,0.2) win, (0.4,0.4) tie -> 3.5 / 4
    assert auc([1, 1, 0, 0], [0.8, 0.4, 0.4, 0.2]) == pytest.approx(0.875)
    assert auc([1, 0], [0.1, 0.9]) == 0.0
    assert math.isnan(auc([1, 1], [0.2, 0.3]))


def test_brier_gap_by_hand_with_its_interval():
    y, p, o = np.array([1.0, 0.0, 1.0]), np.array([0.9, 0.2, 0.4]), np.array([1.0, 0.0, 0.5])
    d = np.array([0.01, 0.04, 0.36 - 0.25])
    gap, half_width = brier_gap(y, p, o)
    assert gap == pytest.approx(d.mean())
    assert half_width == pytest.approx(1.96 * d.std(ddof=1) / math.sqrt(3))


def test_expected_brier_gap_is_the_measured_gap_averaged_over_the_outcomes_coin():
    rng = np.random.default_rng(0)
    final = rng.uniform(0.05, 0.95, 400)  # each call's outcome is drawn with this
    oracle = np.clip(final + rng.normal(0, 0.1, 400), 0.01, 0.99)  # the latent earlier in the call
    p = np.clip(oracle + rng.normal(0, 0.1, 400), 0.01, 0.99)
    measured = [brier_gap((rng.random(400) < final).astype(float), p, oracle)[0] for _ in range(4000)]
    expected, half_width = expected_brier_gap(p, oracle, final)
    assert np.mean(measured) == pytest.approx(expected, abs=3 * np.std(measured) / math.sqrt(4000))
    assert half_width < 1.96 * np.std(measured)  # the coin's noise is gone


def test_brier_logloss_accuracy_by_hand():
    y, p = [1, 0, 1], [0.9, 0.2, 0.4]
    assert brier(y, p) == pytest.approx((0.01 + 0.04 + 0.36) / 3)
    assert log_loss(y, p) == pytest.approx(-(math.log(0.9) + math.log(0.8) + math.log(0.4)) / 3)
    assert accuracy(y, p) == pytest.approx(2 / 3)
    assert accuracy([1], [0.5]) == 1.0  # 0.5 counts as "converts"
    assert math.isfinite(log_loss([1], [0.0]))  # clipped, not infinite


def test_ece_by_hand():
    # bin [0.1,0.2): p 0.1, 0.1, y 0, 1 -> |0.1 - 0.5| = 0.4, weight 2/4; bin [0.9,1]: p 0.9, 1.0, y 1, 1 -> 0.05
    y, p = [0, 1, 1, 1], [0.1, 0.1, 0.9, 1.0]
    assert ece(y, p) == pytest.approx(0.5 * 0.4 + 0.5 * 0.05)
    r = reliability(y, p)
    assert r.count[1] == 2 and r.count[9] == 2 and sum(r.count) == 4
    assert r.mean_probability[0] is None


def test_selective_accuracy_keeps_the_least_uncertain():
    y = [1, 1, 0, 0, 1]
    p = [0.9, 0.2, 0.1, 0.8, 0.7]  # right, wrong, right, wrong, right
    u = [0.01, 0.5, 0.02, 0.4, 0.03]  # the three right ones are the most certain
    assert selective_accuracy(y, p, u, 0.5) == 1.0  # keeps ceil(2.5) = 3
    assert selective_accuracy(y, p, u, 0.8) == pytest.approx(3 / 4)  # keeps 4: adds the 0.4 one
    assert selective_accuracy(y, p, u, 1.0) == pytest.approx(3 / 5)
    assert selective_accuracy(y, p, [-v for v in u], 0.4) == 0.0  # the two wrong ones, now most certain


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_agree_with_sklearn_on_random_data(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 300)
    p = np.round(rng.random(300), 2)  # rounding makes ties
    assert auc(y, p) == pytest.approx(sklearn_metrics.roc_auc_score(y, p))
    assert brier(y, p) == pytest.approx(sklearn_metrics.brier_score_loss(y, p))
    q = np.clip(p, 0.01, 0.99)
    assert log_loss(y, q) == pytest.approx(sklearn_metrics.log_loss(y, q))
    assert accuracy(y, p) == pytest.approx(sklearn_metrics.accuracy_score(y, p >= 0.5))


def test_stage_turn_is_ceil_of_the_share_and_at_least_one():
    assert [stage_turn(1, s) for s in (0.25, 0.5, 0.75, 1.0)] == [1, 1, 1, 1]
    assert [stage_turn(4, s) for s in (0.25, 0.5, 0.75, 1.0)] == [1, 2, 3, 4]
    assert [stage_turn(7, s) for s in (0.25, 0.5, 0.75, 1.0)] == [2, 4, 6, 7]


# -------------------------------------------------------------------------------------------- baseline

FILLER = ("pricing", "timeline", "team", "budget", "integration", "security", "demo", "contract", "onboarding",
          "support", "roadmap", "pilot", "renewal", "users", "reports")


def keyword_conversations(n: int, seed: int) -> list[Conversation]:
    """The prospect's last turn says 'approved' when the deal converts and 'declined' when it does not."""
    rng = np.random.default_rng(seed)
    convs = []
    for i in range(n):
        outcome = int(rng.random() < 0.5)
        k = int(rng.integers(4, 9))
        turns = []
        for j in range(k):
            role = "rep" if j % 2 == 0 else "prospect"
            words = " ".join(rng.choice(FILLER, 4))
            turns.append(Turn(speaker=role.title(), role=role, text=f"let us talk about {words}"))
        turns.append(Turn(speaker="Prospect", role="prospect",
                          text=f"the budget is {'approved' if outcome else 'declined'} for this"))
        convs.append(Conversation(id=f"c{seed}-{i}", outcome=outcome, turns=tuple(turns)))
    return convs


def test_baseline_learns_a_deciding_keyword():
    from salesrl.agent.training.baseline import TfidfBaseline, prefix_text

    train, test = keyword_conversations(120, seed=1), keyword_conversations(60, seed=2)
    bl = TfidfBaseline().fit(train)
    probs = bl.predict_stages(test)
    y = np.array([c.outcome for c in test])
    assert set(probs) == {0.25, 0.5, 0.75, 1.0}
    assert auc(y, probs[1.0]) > 0.95  # the full conversation holds the keyword
    assert 0.3 < auc(y, probs[0.25]) < 0.7  # the first quarter is filler: chance
    assert bl.c_ in bl.cs and bl.cv_log_loss_
    assert prefix_text(test[0], 2).startswith("rep: let us talk about") and " prospect: " in prefix_text(test[0], 2)


# ---------------------------------------------------------------------------------------- end to end

RECIPES = ("preheat the oven to two hundred degrees", "whisk three eggs with the sugar until pale",
           "fold in the flour and a pinch of salt", "bake for twenty minutes until golden",
           "let the cake cool on a wire rack", "dust with icing sugar before serving")


def with_p_true(conv: Conversation) -> Conversation:
    """The latent probability a generator would know: a coin flip until the deciding last turn."""
    p = tuple([0.5] * (len(conv.turns) - 1) + [0.95 if conv.outcome else 0.05])
    return Conversation(conv.id, conv.outcome, conv.turns, p_true=p)


def recipe_conversations(n: int) -> list[Conversation]:
    return [Conversation(f"r{i}", None, tuple(Turn("Cook", "other", RECIPES[(i + j) % len(RECIPES)])
                                              for j in range(4))) for i in range(n)]


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    from salesrl.bot.cli import main

    code = 0
    try:
        main(argv)
    except SystemExit as e:
        code = int(e.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A model trained in seconds with the real embedder on keyword conversations, and the files to evaluate."""
    pytest.importorskip("torch")
    from salesrl.agent.dataset import write_dataset
    from salesrl.agent.embedder import load_embedder
    from salesrl.agent.training.config import TrainingConfig
    from salesrl.agent.training.pipeline import run

    d = tmp_path_factory.mktemp("eval")
    write_dataset([with_p_true(c) for c in keyword_conversations(80, seed=3)], d / "train.jsonl")
    write_dataset([with_p_true(c) for c in keyword_conversations(40, seed=4)], d / "test.jsonl")
    write_dataset(recipe_conversations(20), d / "recipes.jsonl")
    run(str(d / "train.jsonl"), str(d / "model"), TrainingConfig(epochs=2, members=2), load_embedder(None), "test")
    return d


@pytest.mark.slow
def test_eval_json_has_every_stage_metric_baseline_oracle_and_ood(tiny, capsys):
    code, out, err = run_cli(["eval", "--model", str(tiny / "model"), "--data", str(tiny / "test.jsonl"),
                              "--train", str(tiny / "train.jsonl"), "--ood", str(tiny / "recipes.jsonl"),
                              "--format", "json", "--min-conversations", "10"], capsys)
    assert code == 0, err
    report = json.loads(out)
    assert list(report["stages"]) == ["25%", "50%", "75%", "100%"]
    for entry in report["stages"].values():
        for who in ("model", "baseline", "oracle"):
            assert entry[who]["n"] == 40
            assert set(entry[who]) == {"n", "auc", "brier", "log_loss", "accuracy", "ece"}
            assert 0.0 <= entry[who]["auc"] <= 1.0 and 0.0 <= entry[who]["brier"] <= 1.0
        assert set(entry["selective_accuracy"]) == {"50%", "80%", "100%"}
        assert set(entry["gap_to_oracle"]) == {"auc", "brier", "brier_ci95", "brier_expected",
                                               "brier_expected_ci95", "log_loss"}
        gap = entry["gap_to_oracle"]
        assert gap["brier_ci95"] > gap["brier_expected_ci95"] > 0  # the outcomes' coin flips are averaged out
    # The oracle knows the outcome at the last turn and nothing before it.
    assert report["stages"]["100%"]["oracle"]["auc"] == 1.0
    assert report["stages"]["25%"]["oracle"]["brier"] == 0.25
    assert [r["turn"] for r in report["per_turn"]][:5] == [1, 2, 3, 4, 5]
    for row in report["per_turn"]:  # the baseline is read on the same prefixes, turn by turn
        assert row["baseline"]["n"] == row["n"] and 0.0 <= row["baseline"]["brier"] <= 1.0
    assert report["ood"]["conversations"] == 20
    assert report["ood"]["auroc"] > 0.9  # recipes sit far further from the training states than sales calls
    lat = report["latency"]
    assert lat["turns"] > 0 and lat["total_ms"] >= lat["step_ms"] >= lat["policy_ms"] > 0


@pytest.mark.slow
def test_eval_markdown_gives_the_gap_to_the_oracle_with_its_interval(tiny, capsys):
    code, out, err = run_cli(["eval", "--model", str(tiny / "model"), "--data", str(tiny / "test.jsonl"),
                              "--min-conversations", "10"], capsys)
    assert code == 0, err
    header = "| stage | AUC below | Brier above | Brier above, expected | log-loss above |"
    rows = out.split(header)[1].split("\n\n")[0].strip().splitlines()[1:]
    assert [r.split(" | ")[0] for r in rows] == ["| 25%", "| 50%", "| 75%", "| 100%"]
    for row in rows:
        assert row.count(" ± ") == 2


@pytest.mark.slow
def test_scored_dataset_matches_what_score_prints(tiny):
    from salesrl.agent.dataset import read_dataset
    from salesrl.agent.sales_agent import SalesAgent
    from salesrl.agent.training.evaluate import score_dataset
    from salesrl.agent.types import Transcript

    agent = SalesAgent.load(tiny / "model")
    convs = read_dataset(tiny / "test.jsonl")[:5]
    for conv, scored in zip(convs, score_dataset(agent, convs)):
        result = agent.score(Transcript(conv.turns, "dataset", "given by the file"))
        np.testing.assert_allclose(scored.probability, result.probabilities, atol=1e-6)
        np.testing.assert_allclose(scored.in_distribution, [p.in_distribution for p in result.points], atol=1e-6)
        assert scored.ood_distance.shape == (len(conv.turns),) and np.all(scored.ood_distance >= 0)


@pytest.mark.slow
def test_eval_markdown_and_reliability_png(tiny, capsys):
    png = tiny / "reliability.png"
    code, out, err = run_cli(["eval", "--model", str(tiny / "model"), "--data", str(tiny / "test.jsonl"),
                              "--png", str(png)], capsys)
    assert code == 0, err
    assert "## By stage" in out and "| 100% | model | 40 |" in out and "## Latency" in out
    assert "baseline" not in out.split("## Selective")[0].split("## By stage")[1]  # no --train, no baseline rows
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_eval_refuses_an_unlabelled_dataset_in_one_line(tiny, capsys):
    code, out, err = run_cli(["eval", "--model", str(tiny / "model"), "--data", str(tiny / "recipes.jsonl")], capsys)
    assert code == 2 and "has no outcome" in err and "Traceback" not in err and out == ""


def test_eval_refuses_a_missing_file_and_an_unknown_format(tmp_path, capsys):
    code, _, err = run_cli(["eval", "--data", str(tmp_path / "nope.jsonl")], capsys)
    assert code == 2 and "no such file" in err
    code, _, err = run_cli(["eval", "--data", str(tmp_path), "--format", "xml"], capsys)
    assert code == 2 and "--format" in err


def test_eval_of_a_directory_or_to_an_unwritable_png_fails_in_one_line_before_any_work(tmp_path, capsys):
    code, out, err = run_cli(["eval", "--data", str(tmp_path)], capsys)
    assert (code, out) == (2, "") and err.strip() == f"salesrl: --data {tmp_path} is a directory; give a file"
    data = tmp_path / "calls.jsonl"
    data.write_text("not even JSON\n")  # never read: the --png is checked first
    png = tmp_path / "no such dir" / "reliability.png"
    code, out, err = run_cli(["eval", "--data", str(data), "--png", str(png)], capsys)
    assert (code, out) == (2, "") and err.strip().startswith(f"salesrl: --png {png}: cannot write")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls.jsonl"]
