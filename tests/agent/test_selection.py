"""Model selection in `salesrl train` (agent.training.selection) and the head it exports (agent.head)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from salesrl.agent.dataset import write_dataset
from salesrl.agent.head import Head, head_inputs, percent_range
from salesrl.agent.training.evaluate import STAGES, brier
from tests.agent.test_evaluate import keyword_conversations, run_cli


def synthetic_values(n_calls: int, seed: int, turns: int = 6):
    """Calls of `turns` rows each: `lexical` carries the outcome's signal, `td` is pure noise."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n_calls) < 0.5).astype(float)
    conv_of_row = np.repeat(np.arange(n_calls), turns)
    t = np.tile(np.arange(1, turns + 1), n_calls)
    lexical = (2 * y[conv_of_row] - 1) * 0.4 * t + rng.normal(0, 1.5, len(t))
    noise = rng.random(len(t)) * 0.8 + 0.1
    values = head_inputs(noise, lexical, np.zeros(len(t)), np.log1p(t) / np.log1p(40), None)
    starts = np.arange(n_calls) * turns
    rows_at = {s: starts + int(np.ceil(s * turns)) - 1 for s in STAGES}
    return values, y, conv_of_row, rows_at


def mean_stage_brier(y, by_stage):
    return np.mean([brier(y, by_stage[s]) for s in STAGES])


def test_folds_keep_every_prefix_of_a_call_together():
    from salesrl.agent.training.selection import FOLDS, fold_of_calls

    lengths = np.array([3, 5, 1, 4] * 10)
    conv_of_row = np.repeat(np.arange(len(lengths)), lengths)
    folds = fold_of_calls(len(lengths), seed=0)
    row_fold = folds[conv_of_row]
    assert set(folds) == set(range(FOLDS))
    for k in range(FOLDS):
        train_calls = set(conv_of_row[row_fold != k])
        held_calls = set(conv_of_row[row_fold == k])
        assert held_calls and not train_calls & held_calls


def test_the_stack_is_no_worse_than_its_best_candidate_when_one_is_noise():
    pytest.importorskip("sklearn")
    from salesrl.agent.training.selection import cross_validate_heads, fold_of_calls

    values, y, conv_of_row, rows_at = synthetic_values(300, seed=1)
    folds = fold_of_calls(300, seed=0)
    cv = cross_validate_heads(values, y[conv_of_row], folds, rows_at, ["td_by_position", "lexical_by_position", "stack"])
    scores = {name: mean_stage_brier(y, by_stage) for name, by_stage in cv.items()}
    assert scores["td_by_position"] > scores["lexical_by_position"] + 0.02  # the noise candidate is bad ...
    assert scores["stack"] <= scores["lexical_by_position"] + 0.003  # ... and the stack does not follow it


def test_the_range_widens_when_the_training_set_shrinks():
    pytest.importorskip("sklearn")
    from salesrl.agent.training.selection import final_head

    widths = {}
    for n in (40, 400):
        values, y, conv_of_row, rows_at = synthetic_values(n, seed=2)
        head = final_head("stack", values, y[conv_of_row], rows_at, seed=0)
        probe, _, _, _ = synthetic_values(100, seed=3)
        widths[n] = float(np.mean(head.half_width(probe, np.zeros(600), np.ones(600))))
    assert widths[40] > 1.5 * widths[400] > 0


def test_a_saved_head_scores_exactly_as_the_fitted_one(tmp_path):
    rng = np.random.default_rng(0)
    head = Head("stack", ("td", "lexical", "position"), rng.normal(size=4), rng.normal(size=(5, 4)))
    head.save(tmp_path)
    loaded = Head.load(tmp_path)
    values = head_inputs(rng.random(50), rng.normal(size=50), np.zeros(50), rng.random(50), None)
    assert loaded is not None and loaded.recipe == "stack"
    assert np.allclose(loaded.probability(values), head.probability(values), atol=1e-6, rtol=0)
    spread, familiar = rng.random(50) * 0.01, np.ones(50)
    assert np.allclose(loaded.half_width(values, spread, familiar), head.half_width(values, spread, familiar),
                       atol=1e-6, rtol=0)
    # beyond every training state, the range is wider
    assert (head.half_width(values, spread, np.zeros(50)) > head.half_width(values, spread, familiar)).all()


@pytest.mark.parametrize("refits", [1, 2, 5, 40])
def test_the_range_is_the_refits_10th_to_90th_percentile(refits):
    rng = np.random.default_rng(refits)
    head = Head("stack", ("td", "lexical"), rng.normal(size=3), rng.normal(size=(refits, 3)))
    values = head_inputs(rng.random(30), rng.normal(size=30), np.zeros(30), rng.random(30), None)
    p = 1.0 / (1.0 + np.exp(-(head.design(values) @ head.members.T)))
    sampling = (np.percentile(p, 90, axis=1) - np.percentile(p, 10, axis=1)) / 2.0
    np.testing.assert_allclose(head.half_width(values, np.zeros(30), np.ones(30)), sampling, atol=1e-12, rtol=0)
    probability, half_width = head.probability_and_half_width(values, np.zeros(30), np.ones(30))
    assert np.array_equal(probability, head.probability(values))
    assert np.array_equal(half_width, head.half_width(values, np.zeros(30), np.ones(30)))


@pytest.mark.parametrize("p, half, shown", [(0.42, 0.07, (35, 49)), (0.5, 0.0, (49, 51)), (0.99, 0.05, (94, 100))])
def test_the_range_people_see_is_whole_percent_and_never_a_point(p, half, shown):
    assert percent_range(p, half) == shown


def test_too_few_won_or_lost_calls_is_one_line_and_exit_2(tmp_path, capsys):
    convs = [c for c in keyword_conversations(80, seed=4)]
    lost = [c for c in convs if c.outcome == 0][:12]
    write_dataset([c for c in convs if c.outcome == 1] + lost, tmp_path / "deals.jsonl")
    code, _, err = run_cli(["train", "--data", str(tmp_path / "deals.jsonl"), "--out", str(tmp_path / "m")], capsys)
    assert code == 2 and "12 lost calls; training needs at least 20 of each" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "m").exists()


@pytest.mark.slow
def test_train_selects_writes_the_table_and_keeps_a_better_model_without_force(tmp_path, capsys):
    pytest.importorskip("torch")
    from salesrl.agent.sales_agent import SalesAgent
    from salesrl.agent.synth.generator import generate
    from salesrl.agent.training.evaluate import score_dataset
    from salesrl.agent.training.selection import NEEDS_PRIOR

    write_dataset(generate(80, seed=21), tmp_path / "deals.jsonl")
    args = ["train", "--data", str(tmp_path / "deals.jsonl"), "--out", str(tmp_path / "model"),
            "--members", "2", "--epochs", "2"]
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    assert "| tfidf_baseline |" in out and "Chosen: " in out and "Brier gain over the TF-IDF baseline" in out
    model = tmp_path / "model"
    meta = json.loads((model / "metadata.json").read_text())
    chosen = meta["selection"]["chosen"]
    assert f"Chosen: {chosen}" in (model / "MODEL_CARD.md").read_text()
    assert json.loads((model / "head.json").read_text())["recipe"] == chosen
    assert (model / "prior").is_dir() == (chosen in NEEDS_PRIOR)

    agent = SalesAgent.load(model)
    familiar = agent.score(generate(1, seed=5)[0].turns)
    assert all(pt.uncertainty > 0 for pt in familiar.points)
    live = agent.session()  # the head (and prior) turn by turn give what one call a transcript gives
    for turn, scored in zip(generate(1, seed=5)[0].turns, familiar.points):
        point = live.add_turn(turn)
        assert (point.probability, point.uncertainty) == pytest.approx((scored.probability, scored.uncertainty),
                                                                      abs=1e-6)
    # and what `salesrl eval` and the learning curve score is that same model, head included
    scored = score_dataset(agent, [generate(1, seed=5)[0]])[0]
    np.testing.assert_allclose(scored.probability, familiar.probabilities, atol=1e-6)
    np.testing.assert_allclose(scored.uncertainty, [pt.uncertainty for pt in familiar.points], atol=1e-6)
    low, high = percent_range(familiar.final.probability, familiar.final.uncertainty)
    assert low < round(100 * familiar.final.probability) < high or high - low == 2
    odd = "\n".join(f"{who}: {text}" for who, text in [
        ("Rep", "The sourdough needs four hours at room temperature."),
        ("Prospect", "My grandmother folds the dough every thirty minutes."),
        ("Rep", "Then bake it at two hundred and fifty degrees with steam."),
        ("Prospect", "The crust crackles as it cools on the rack.")] * 3)
    unfamiliar = agent.score(odd)
    assert unfamiliar.final.uncertainty > familiar.final.uncertainty

    # The synthetic calls are the shipped model's own kind: when the team model does not beat it, an existing
    # model is kept unless --force.
    if meta["selection"]["better_than_shipped"] is False:
        before = (model / "metadata.json").read_text()
        code, out, _ = run_cli(args, capsys)
        assert code == 0 and "not written" in out and (model / "metadata.json").read_text() == before
        code, out, _ = run_cli(args + ["--force"], capsys)
        assert code == 0 and f"wrote {model}" in out


def test_the_head_knows_the_first_two_turns_from_the_states_position_column():
    from salesrl.agent.features import StateBuilder
    from salesrl.agent.lexical import LexicalModel
    from salesrl.agent.sequence import SequenceModel
    from salesrl.agent.types import Turn

    builder = StateBuilder(4, LexicalModel.constant(), SequenceModel.constant())
    position = [builder.push(Turn("Ana", "rep", f"turn {i}"), np.ones(4, dtype=np.float32))[builder.schema["position"][0]]
                for i in range(45)]
    values = head_inputs(np.full(45, 0.5), np.zeros(45), np.zeros(45), np.array(position), None)
    assert values["turn1"].tolist() == [1.0] + [0.0] * 44
    assert values["turn2"].tolist() == [0.0, 1.0] + [0.0] * 43


def calls_whose_length_tells_the_outcome(n_calls: int, seed: int):
    """Calls of 3-12 turns whose words (`lexical`) carry a weak signal and whose length a strong one: short calls
    mostly convert, long ones mostly do not (as Deal or No Deal's negotiations)."""
    from salesrl.agent.training.evaluate import stage_turn

    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, 13, n_calls)
    y = (rng.random(n_calls) < np.where(lengths <= 6, 0.9, 0.2)).astype(float)
    conv_of_row = np.repeat(np.arange(n_calls), lengths)
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    t = np.arange(len(conv_of_row)) - starts[conv_of_row] + 1
    lexical = (2 * y[conv_of_row] - 1) * 0.3 + rng.normal(0, 1.0, len(t))
    values = head_inputs(rng.random(len(t)) * 0.8 + 0.1, lexical, np.zeros(len(t)), np.log1p(t) / np.log1p(40), None)
    rows_at = {s: starts + np.array([stage_turn(int(n), s) for n in lengths]) - 1 for s in STAGES}
    return values, y, conv_of_row, rows_at


def test_the_ended_fit_wins_at_the_end_of_calls_whose_length_tells_the_outcome():
    pytest.importorskip("sklearn")
    from salesrl.agent.training.selection import Selection, cross_validate_ended, cross_validate_heads, fold_of_calls, \
        stage_metrics

    values, y, conv_of_row, rows_at = calls_whose_length_tells_the_outcome(400, seed=5)
    folds = fold_of_calls(400, seed=0)
    every_stage = cross_validate_heads(values, y[conv_of_row], folds, rows_at, ["stack"])["stack"][1.0]
    at_the_end = cross_validate_ended(values, y[conv_of_row], folds, rows_at, "stack")
    assert brier(y, at_the_end) < brier(y, every_stage) - 0.01
    stats = {"stack": stage_metrics(y, {s: at_the_end if s == 1.0 else every_stage for s in STAGES})}
    stats["stack"]["100%"] = stage_metrics(y, {1.0: every_stage})["100%"]
    stats["tfidf_baseline"] = stage_metrics(y, {s: np.full(len(y), y.mean()) for s in STAGES})
    selection = Selection(400, int(y.sum()), stats, {"stack": 0.2, "tfidf_baseline": 0.25}, "stack", {}, None, None,
                          ended=stage_metrics(y, {1.0: at_the_end})["100%"])
    assert selection.uses_ended and "used." in selection.report()
    worse = Selection(400, int(y.sum()), stats, {"stack": 0.2, "tfidf_baseline": 0.25}, "stack", {}, None, None,
                      ended={**stats["stack"]["100%"], "brier": stats["stack"]["100%"]["brier"] + 0.01})
    assert not worse.uses_ended and "not used" in worse.report()


def test_a_saved_head_keeps_its_ended_fit(tmp_path):
    from dataclasses import replace

    rng = np.random.default_rng(1)
    head = Head("stack", ("td", "lexical", "position"), rng.normal(size=4), rng.normal(size=(5, 4)))
    head = replace(head, ended=Head("stack", head.inputs, rng.normal(size=4), rng.normal(size=(5, 4))))
    head.save(tmp_path)
    loaded = Head.load(tmp_path)
    assert loaded is not None and loaded.ended is not None
    values = head_inputs(rng.random(20), rng.normal(size=20), np.zeros(20), rng.random(20), None)
    assert np.array_equal(loaded.ended.probability(values), head.ended.probability(values))
    assert np.array_equal(loaded.probability(values), head.probability(values))


def test_a_whole_transcript_is_scored_as_a_call_that_is_over(tmp_path):
    """With an `ended` fit in head.json, `score` reports the last turn through it (ScoreResult.ended, `final`), and
    leaves every turn's point as a live session gives it; a live call not yet over has no such view."""
    import shutil
    from dataclasses import replace
    from pathlib import Path

    from salesrl.agent.policy import DEFAULT_MODEL_DIR
    from salesrl.agent.sales_agent import SalesAgent

    model, without = tmp_path / "model", tmp_path / "without"
    shutil.copytree(DEFAULT_MODEL_DIR, model)
    shutil.copytree(DEFAULT_MODEL_DIR, without)
    head = Head.load(model)
    assert head is not None
    shifted = Head(head.recipe, head.inputs, head.coef + np.r_[np.zeros(len(head.inputs)), 1.5],
                   head.members + np.r_[np.zeros(len(head.inputs)), 1.5])
    replace(head, ended=shifted).save(model)
    replace(head, ended=None).save(without)

    text = (Path(__file__).resolve().parents[2] / "examples" / "strong_call.txt").read_text()
    plain, over = SalesAgent.load(without).score(text), SalesAgent.load(model).score(text)
    assert plain.ended is None and plain.final == plain.points[-1]
    assert over.points == plain.points and over.ended is not None and over.final == over.ended
    assert over.to_dict()["final"]["call_ended"] and not plain.to_dict()["final"]["call_ended"]
    # the ended fit on the last turn's numbers: here the same head with its intercept 1.5 higher
    last = plain.final.probability
    expected = 1.0 / (1.0 + np.exp(-(np.log(last / (1 - last)) + 1.5)))
    assert over.final.probability == pytest.approx(expected, abs=1e-6)
    assert over.final.probability > last and over.final.uncertainty > 0

    agent = SalesAgent.load(model)
    live = agent.session(reps=[plain.points[0].speaker])
    for turn in plain.transcript.turns:
        live.add_turn(turn)
    assert live.result().ended is None and live.result(ended=True).final.probability == pytest.approx(
        over.final.probability, abs=1e-6)
    # `salesrl eval` and the learning curve read that same view at 100% of a call, and the live one before
    from salesrl.agent.dataset import Conversation
    from salesrl.agent.training.evaluate import at_stage, score_dataset, stage_turn

    scored = score_dataset(agent, [Conversation("c", 1, plain.transcript.turns)])
    assert at_stage(scored, 1.0, "probability")[0] == pytest.approx(over.final.probability, abs=1e-6)
    assert at_stage(scored, 1.0, "uncertainty")[0] == pytest.approx(over.final.uncertainty, abs=1e-6)
    three_quarters = over.points[stage_turn(len(over.points), 0.75) - 1]
    assert at_stage(scored, 0.75, "probability")[0] == pytest.approx(three_quarters.probability, abs=1e-6)
    np.testing.assert_allclose(scored[0].probability, plain.probabilities, atol=1e-6)


def stage_stats(auc, brier):
    return {f"{round(s * 100)}%": {"auc": a, "brier": b, "ece": 0.0} for s, a, b in zip(STAGES, auc, brier)}


def test_the_choice_is_level_with_the_baseline_at_every_stage_when_a_candidate_is():
    from salesrl.agent.training.selection import choose

    stats = {"tfidf_baseline": stage_stats([0.70, 0.75, 0.80, 0.82], [0.150, 0.138, 0.120, 0.110]),
             # lowest mean Brier, but ranks calls worse than the baseline half way through them
             "td_by_position": stage_stats([0.72, 0.74, 0.81, 0.84], [0.148, 0.137, 0.118, 0.097]),
             # level everywhere: at 25% 0.0015 worse in Brier, inside the slack
             "td_by_position_turn1": stage_stats([0.71, 0.76, 0.81, 0.84], [0.1515, 0.135, 0.118, 0.098]),
             # level in AUC, but 0.003 behind in Brier at 25%
             "td_by_position_smooth": stage_stats([0.70, 0.77, 0.81, 0.84], [0.153, 0.134, 0.118, 0.098])}
    scores = {n: float(np.mean([v["brier"] for v in s.values()])) for n, s in stats.items()}
    names = ["td_by_position", "td_by_position_turn1", "td_by_position_smooth"]
    assert scores["td_by_position"] < scores["td_by_position_turn1"]
    assert choose(names, stats, scores) == ("td_by_position_turn1", True)
    # none level with the baseline: the lowest mean Brier of all, and the selection says so
    assert choose(["td_by_position", "td_by_position_smooth"], stats, scores) == ("td_by_position", False)


def test_every_candidate_comes_with_the_first_two_turns_apart_the_first_only_or_neither():
    from salesrl.agent.training.selection import CANDIDATES, NEEDS_PRIOR, WHAT

    assert CANDIDATES["stack"] == ("td", "lexical", "position", "turn1", "turn2", "td_x_position", "td_x_turn1",
                                   "td_x_turn2", "lexical_x_position", "lexical_x_turn1", "lexical_x_turn2", "sequence")
    assert CANDIDATES["stack_turn1"] == ("td", "lexical", "position", "turn1", "td_x_position", "td_x_turn1",
                                         "lexical_x_position", "lexical_x_turn1", "sequence")
    assert CANDIDATES["td_by_position_smooth"] == ("td", "position", "td_x_position")
    assert list(CANDIDATES)[:5] == ["td_by_position", "lexical_by_position", "stack", "stack_prior", "prior_by_position"]
    assert set(WHAT) == set(CANDIDATES) and len(NEEDS_PRIOR) == 6
