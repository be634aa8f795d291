"""research/synth_move_labels.py rebuilds each synthetic call's plan from the seeds in its metadata; its
visible log-odds column must be the one the words reader of research/synth_ceiling.py gets for that call."""

from __future__ import annotations

import numpy as np

from salesrl.agent.synth.generator import generate
from research.synth_ceiling import plans_with_visible_log_odds, visible_prior
from research.synth_move_labels import log_odds_block


def test_the_log_odds_column_is_the_words_readers_for_each_call():
    convs = generate(25, seed=11)
    expected = list(plans_with_visible_log_odds(25, seed=11))
    with_prior = log_odds_block(convs, with_prior=True)[:, 0]
    effects_only = log_odds_block(convs, with_prior=False)[:, 0]
    assert len(with_prior) == sum(len(c.turns) for c in convs)
    np.testing.assert_allclose(with_prior, np.concatenate([v for _, v in expected]), rtol=1e-6)
    priors = np.concatenate([[visible_prior(plan.scenario)] * len(plan.turns) for plan, _ in expected])
    np.testing.assert_allclose(effects_only, with_prior - priors, atol=1e-5)
    assert np.ptp(effects_only) > 1.0  # the moves do move it
