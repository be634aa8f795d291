"""research/sequence_probe.py's label inputs: each turn gets the labels the generator wrote it from."""

from __future__ import annotations

import numpy as np

from salesrl.agent.synth.generator import generate
from research.sequence_probe import COLUMNS, LABELS, NO_LABEL, one_hot, plan_labels

NAMES = list(LABELS)


def test_each_turn_gets_its_own_labels():
    convs = generate(30, seed=5)
    for c in convs:
        labels = plan_labels(c)
        assert labels.shape == (len(c.turns), len(LABELS))
        for turn, action, row in zip(c.turns, c.actions, labels):
            move = row[NAMES.index("move")]
            if turn.role == "rep":
                assert LABELS["move"][move] == action  # the move the dataset records for the turn
                assert all(row[NAMES.index(n)] == NO_LABEL for n in ("intent", "tone", "length", "pain"))
            else:
                assert move == NO_LABEL
                assert row[NAMES.index("intent")] != NO_LABEL and row[NAMES.index("tone")] != NO_LABEL
        # The persona and the company size are the call's, on every turn.
        for name in ("persona", "size"):
            assert len(set(labels[:, NAMES.index(name)])) == 1 and labels[0, NAMES.index(name)] != NO_LABEL
    pains = np.concatenate([plan_labels(c)[:, NAMES.index("pain")] for c in convs])
    assert (pains != NO_LABEL).any() and (pains == NO_LABEL).any()  # only a pain the prospect tells has one


def test_one_hot_sets_one_value_per_label_a_turn_has_and_can_leave_the_tone_out():
    labels = plan_labels(generate(1, seed=6)[0])
    hot = one_hot(labels)
    assert hot.shape == (len(labels), sum(len(v) for v in LABELS.values()))
    assert np.array_equal(hot.sum(axis=1), (labels != NO_LABEL).sum(axis=1))
    tone = COLUMNS["tone"]
    assert tone.stop - tone.start == len(LABELS["tone"])
    assert hot[:, tone].sum() > 0
    quiet = one_hot(labels, skip=("tone",))
    assert quiet[:, tone].sum() == 0
    assert np.array_equal(np.delete(quiet, np.r_[tone], axis=1), np.delete(hot, np.r_[tone], axis=1))
