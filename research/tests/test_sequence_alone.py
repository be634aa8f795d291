"""research/sequence_alone.py: measures a model's sequence score on its own."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from salesrl.agent.dataset import write_dataset
from salesrl.agent.training.config import SequenceSettings
from salesrl.agent.synth.generator import generate
from research import sequence_alone

MODEL = Path(__file__).resolve().parents[2] / "models" / "policy"


def test_the_shipped_score_alone_reads_every_buyer_decision_the_right_way_round(tmp_path, monkeypatch, capsys):
    test = tmp_path / "test.jsonl"
    write_dataset(generate(40, seed=9), test)
    monkeypatch.setattr(sys, "argv", ["sequence_alone.py", "--model", str(MODEL), "--test", str(test)])
    sequence_alone.main()
    out = capsys.readouterr().out
    gaps = out.split("expected Brier gap on")[1].splitlines()[0]
    assert [part.split()[0] for part in gaps.split(": ", 1)[1].split(" / ")] == ["25%", "50%", "75%", "100%"]
    assert out.strip().endswith("pairs the right way round: 1.00 / 1.00 / 1.00 / 1.00")


def test_set_changes_one_setting_of_the_fit_and_refuses_anything_else():
    settings = sequence_alone.with_setting(SequenceSettings(), "dropout=0.5")
    assert settings == SequenceSettings(dropout=0.5)
    assert sequence_alone.with_setting(settings, "members=3") == SequenceSettings(dropout=0.5, members=3)
    for bad in ("NOPE=1", "dropout", "DROPOUT=0.5", "log=1"):
        with pytest.raises(SystemExit, match="NAME=VALUE"):
            sequence_alone.with_setting(settings, bad)
