"""The lexical score: the live tracker computes what the fitted regression computes on the same prefix,
it learns which words go with won deals, training calls are scored out of fold, and it saves exactly."""

import numpy as np
import pytest

pytest.importorskip("sklearn")

from salesrl.agent.dataset import Conversation
from salesrl.agent.errors import ModelError
from salesrl.agent.lexical import FILE_NAME, LexicalModel
from salesrl.agent.training.lexical_fit import conversation_terms, fit_lexical, prefix_matrix
from salesrl.agent.types import Turn

WON = ["Send over the paperwork and we will sign.", "The CFO approved the budget already.",
       "Let's book the rollout kickoff next Tuesday."]
LOST = ["Honestly this is too expensive for us.", "We are staying with our current vendor.",
        "I don't see us changing anything this year."]
FILLER = ["Thanks for making the time today.", "Could you walk me through the dashboard?",
          "Sure, happy to show you how reporting works.", "How many people are on your team?",
          "Around forty across two offices.", "Okay, that helps me understand."]


def _calls(n: int, seed: int = 0) -> list[Conversation]:
    rng = np.random.default_rng(seed)
    calls = []
    for i in range(n):
        outcome = int(rng.random() < 0.5)
        lines = list(rng.choice(FILLER, size=int(rng.integers(3, 7))))
        lines.insert(int(rng.integers(1, len(lines))), str(rng.choice(WON if outcome else LOST)))
        turns = tuple(Turn("Ana" if k % 2 == 0 else "Ben", "rep" if k % 2 == 0 else "prospect", text)
                      for k, text in enumerate(lines))
        calls.append(Conversation(f"c{i}", outcome, turns))
    return calls


def test_tracker_scores_each_prefix_as_the_regression_does():
    calls = _calls(200)
    fit = fit_lexical(calls, np.arange(200), seed=0, target="outcome")
    model = fit.model
    per_conv = [conversation_terms(c) for c in calls[:20]]
    cuts = [list(range(1, len(c.turns) + 1)) for c in calls[:20]]
    expected = prefix_matrix(per_conv, cuts, model.index, model.idf) @ model.coef + model.intercept
    live = []
    for c in calls[:20]:
        tracker = model.tracker()
        live.extend(tracker.add(t) for t in c.turns)
    np.testing.assert_allclose(live, expected, rtol=1e-9, atol=1e-9)


def test_it_learns_which_words_go_with_won_deals():
    calls = _calls(300)
    model = fit_lexical(calls, np.arange(300), seed=0, target="outcome").model
    won = model.tracker()
    lost = model.tracker()
    opening = Turn("Ana", "rep", FILLER[0])
    assert won.add(opening) == lost.add(opening)
    assert won.add(Turn("Ben", "prospect", WON[0])) > lost.add(Turn("Ben", "prospect", LOST[0])) + 1.0


def test_training_calls_are_scored_by_a_model_that_never_saw_them():
    # Calls 2j and 2j+1 share a word no other call says. A model that saw neither, or only one of them
    # (a term needs two calls), does not know it; one fitted on both does.
    calls = []
    for i, c in enumerate(_calls(100)):
        pair_word = Turn("Ben", "prospect", f"our code name is zz{i // 2}q")
        calls.append(Conversation(c.id, c.outcome, (*c.turns, pair_word)))
    train_idx = np.arange(80)
    fit = fit_lexical(calls, train_idx, seed=0, target="outcome")
    assert {f"zz{j}q" for j in range(40)} <= set(fit.model.terms)  # the shipped model saw every training call
    for i in train_idx:
        assert f"zz{i // 2}q" not in fit.per_conversation[i].index
    assert all(fit.per_conversation[i] is fit.model for i in range(80, 100))  # held out: the shipped model


def test_one_outcome_only_gives_a_constant_score():
    calls = [Conversation(c.id, 1, c.turns) for c in _calls(20)]
    model = fit_lexical(calls, np.arange(20), seed=0, target="outcome").model
    assert model.terms == () and model.intercept > 3


def test_saved_model_loads_identically_and_a_broken_file_is_a_model_error(tmp_path):
    model = fit_lexical(_calls(100), np.arange(100), seed=0, target="outcome").model
    model.save(tmp_path)
    again = LexicalModel.load(tmp_path)
    a, b = model.tracker(), again.tracker()
    for t in _calls(3, seed=5)[0].turns:
        assert a.add(t) == pytest.approx(b.add(t), abs=1e-5)  # stored as float32
    (tmp_path / FILE_NAME).write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="lexical"):
        LexicalModel.load(tmp_path)
