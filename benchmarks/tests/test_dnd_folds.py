"""The K-fold protocol of benchmarks/eval_dealornodeal.py, on synthetic calls (the corpus itself is never
needed by a test): every call is tested exactly once, each fold keeps the deal rate, and the reported
figures are the mean over the folds."""

from __future__ import annotations

import numpy as np
import pytest

from salesrl.agent.synth import generate
from benchmarks.eval_dealornodeal import mean_over_folds, stratified_folds


def test_every_call_is_tested_once_and_each_fold_keeps_the_deal_rate():
    convs = generate(203, seed=5)
    folds = stratified_folds(convs, 5)
    tested = [c.id for _, test in folds for c in test]
    assert sorted(tested) == sorted(c.id for c in convs)
    rate = np.mean([c.outcome for c in convs])
    for train, test in folds:
        assert not {c.id for c in train} & {c.id for c in test}
        assert len(train) + len(test) == len(convs)
        assert np.mean([c.outcome for c in test]) == pytest.approx(rate, abs=0.03)
    assert [c.id for _, t in stratified_folds(convs, 5) for c in t] == tested  # fixed by the seed


def test_the_folds_figures_are_their_mean_with_the_spread():
    def report(auc: float, brier: float) -> dict:
        return {"stages": {"25%": {"model": {"auc": auc, "brier": brier}, "baseline": {"auc": 0.5, "brier": 0.2}}}}

    mean = mean_over_folds([report(0.6, 0.20), report(0.8, 0.10)])
    assert mean["folds"] == 2
    model = mean["stages"]["25%"]["model"]
    assert model["auc"] == pytest.approx(0.7) and model["brier"] == pytest.approx(0.15)
    assert model["auc_sd"] == pytest.approx(np.std([0.6, 0.8], ddof=1))
    assert mean["stages"]["25%"]["baseline"]["auc_sd"] == 0.0
