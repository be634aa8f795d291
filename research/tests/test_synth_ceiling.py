"""The words-only perfect reader of research/synth_ceiling.py is told a prospect turn's engagement level, and
how much the pain it describes hurts, only where the template writer put them into words: the level always
for an acknowledgement, never for a rep turn or for an intent whose phrases do not depend on it, and for the
others as the writer chose; the severity only ever for a pain."""

from __future__ import annotations

import numpy as np

from salesrl.agent.synth.buyer import MOVE_NOISE, PROSPECT_DRIFT
from salesrl.agent.synth.generator import iter_plans
from salesrl.agent.synth.template_writer import TemplateWriter
from research.synth_ceiling import features, plans_with_visible_log_odds, visible_prior, worded_traits

NEVER_WORDED = {"hello", "greeting", "small_talk", "backchannel", "accept_close", "reject_close", "end_call",
                "goodbye"}
SOMETIMES = {"pain", "objection", "signal", "question", "deflect", "resolved", "unconvinced", "agree_next_step",
             "tentative", "defer_close"}


def test_engagement_and_severity_are_known_exactly_where_the_words_show_them():
    writer = TemplateWriter()
    seen = {True: set(), False: set()}
    severity_seen = set()
    for plan in iter_plans(80, seed=9):
        worded = worded_traits(plan, writer)
        for turn, level, severity in zip(plan.turns, worded["engagement"], worded["severity"]):
            if turn.role == "rep" or turn.intent in NEVER_WORDED:
                assert not level, turn
            elif turn.intent == "ack":
                assert level, turn
            seen[level].add(turn.intent)
            assert not severity or turn.intent == "pain", turn
            if turn.intent == "pain":
                severity_seen.add(severity)
    assert SOMETIMES <= seen[True] and SOMETIMES <= seen[False]  # a tone remark or an opener on some only
    assert severity_seen == {True, False}  # short answers leave it out now and then


def test_the_all_readers_noise_is_only_the_generators_noise():
    """The `all` reader's last two columns are the hidden fit and the noise so far, so that with the visible
    log-odds (recomputed from the generator's own move effects) they add up to logit(p_true). If the
    recomputation missed or misplaced an effect, the noise column would jump by it: every step must look
    like the generator's own Gaussian noise, MOVE_NOISE on a rep turn and PROSPECT_DRIFT on a prospect's."""
    writer = TemplateWriter()
    steps = {"rep": [], "prospect": []}
    without_prior = [visible for _, visible in plans_with_visible_log_odds(40, seed=4, with_prior=False)]
    for (plan, visible), moved in zip(plans_with_visible_log_odds(40, seed=4), without_prior):
        worded = worded_traits(plan, writer)
        rows = features(plan, visible, "all", worded)
        assert np.all(rows[:, -2] == plan.scenario.fit)
        noise = np.concatenate([[0.0], rows[:, -1]])
        for turn, step in zip(plan.turns, np.diff(noise)):
            steps[turn.role].append(step)
        words = features(plan, visible, "words", worded)
        np.testing.assert_array_equal(words, rows[:, :-2])
        effects = features(plan, moved, "effects", worded)
        np.testing.assert_allclose(effects[:, 0], words[:, 0] - visible_prior(plan.scenario))
        np.testing.assert_array_equal(effects[:, 1:], words[:, 1:])
    for role, sd in (("rep", MOVE_NOISE), ("prospect", PROSPECT_DRIFT)):
        s = np.array(steps[role])
        assert len(s) > 300 and np.max(np.abs(s)) < 5 * sd, role
        assert abs(s.std() / sd - 1) < 0.15, (role, s.std())
