"""`salesrl train` end to end: a tiny model from the command line, its defaults, and bad input."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from salesrl.agent.dataset import write_dataset
from salesrl.agent.training.config import LexicalSettings, SequenceSettings, TrainingConfig
from tests.agent.test_evaluate import keyword_conversations, run_cli


@pytest.mark.slow
def test_train_writes_a_model_that_scores(tmp_path, capsys):
    pytest.importorskip("torch")
    from salesrl.agent.sales_agent import SalesAgent
    from salesrl.agent.synth.generator import generate

    write_dataset(keyword_conversations(60, seed=5), tmp_path / "deals.jsonl")
    write_dataset(generate(40, seed=7), tmp_path / "labelled.jsonl")  # trains the sequence score alone
    code, out, err = run_cli(["train", "--data", str(tmp_path / "deals.jsonl"), "--out", str(tmp_path / "model"),
                              "--members", "2", "--epochs", "1", "--seed", "3",
                              "--sequence-data", str(tmp_path / "labelled.jsonl")], capsys)
    assert code == 0, err
    assert f"wrote {tmp_path / 'model'}" in out
    meta = json.loads((tmp_path / "model" / "metadata.json").read_text())
    options = meta["training_config"]
    assert meta["ensemble"] == 2 and options["members"] == 2 and options["epochs"] == 1 and options["seed"] == 3
    # What was not given on the command line takes TrainingConfig's default. (That the CLI reads it from there
    # rather than keeping an equal copy is in the code, not something this test can tell apart.)
    assert options["lam"] == TrainingConfig().lam and options["algo"] == TrainingConfig().algo
    # ... the fits' settings too: metadata.json records every setting of the run.
    as_json = json.loads(json.dumps({"sequence": asdict(SequenceSettings()), "lexical": asdict(LexicalSettings())}))
    assert {"sequence": options["sequence"], "lexical": options["lexical"]} == as_json
    # The recorded command spells out every option, so it means the same after a default changes.
    assert meta["training"]["command"] == (
        f"salesrl train --data {tmp_path / 'deals.jsonl'} --out {tmp_path / 'model'} --algo td --seed 3 "
        f"--epochs 1 --members 2 --lambda {TrainingConfig().lam} --target {TrainingConfig().target} "
        f"--prior shipped --sequence-data {tmp_path / 'labelled.jsonl'}")
    assert meta["training"]["sequence_data_summary"]["conversations"] == 40
    assert meta["sequence"]["own_calls"] and meta["sequence"]["calls"] == 40
    assert "40 calls of its own" in (tmp_path / "model" / "MODEL_CARD.md").read_text()
    scored = SalesAgent.load(tmp_path / "model").score("Rep: hi\nProspect: the budget is approved for this")
    assert 0.0 < scored.points[-1].probability < 1.0


@pytest.mark.parametrize("lines, message", [
    (None, "no such file"),
    (['{"id": "a", "outcome": 1, "turns": []}'], "deals.jsonl:1: 'turns' must be a non-empty list"),
])
def test_train_refuses_bad_data_in_one_line(tmp_path, capsys, lines, message):
    pytest.importorskip("torch")
    data = tmp_path / "deals.jsonl"
    if lines is not None:
        data.write_text("\n".join(lines) + "\n")
    code, out, err = run_cli(["train", "--data", str(data), "--out", str(tmp_path / "model")], capsys)
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "model").exists()


def test_train_refuses_a_directory_and_a_file_in_utf16_in_one_line(tmp_path, capsys):
    pytest.importorskip("torch")
    code, _, err = run_cli(["train", "--data", str(tmp_path), "--out", str(tmp_path / "model")], capsys)
    assert code == 2 and err.strip() == f"salesrl: {tmp_path} is a directory; give a file"
    data = tmp_path / "deals.jsonl"
    write_dataset(keyword_conversations(60, seed=5), data)
    data.write_bytes(data.read_text().encode("utf-16"))  # as Windows tools save "Unicode" text
    code, _, err = run_cli(["train", "--data", str(data), "--out", str(tmp_path / "model")], capsys)
    assert code == 2 and err.strip().startswith(f"salesrl: {data}:1: not UTF-8 text") and "Traceback" not in err
    assert not (tmp_path / "model").exists()


def test_train_refuses_an_out_it_cannot_write_and_a_prior_that_is_not_a_model_before_training(tmp_path, capsys):
    """Both used to fail (or be dropped with a note) only after the calls were embedded and fitted."""
    pytest.importorskip("torch")
    data = tmp_path / "deals.jsonl"
    write_dataset(keyword_conversations(60, seed=5), data)
    (tmp_path / "model.txt").write_text("keep me")
    for out in (tmp_path / "model.txt", tmp_path / "model.txt" / "model"):
        code, stdout, err = run_cli(["train", "--data", str(data), "--out", str(out)], capsys)
        assert (code, stdout) == (2, "") and len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert err.startswith(f"salesrl: --out {out}")
    assert (tmp_path / "model.txt").read_text() == "keep me"
    (tmp_path / "not a model").mkdir()
    code, stdout, err = run_cli(["train", "--data", str(data), "--out", str(tmp_path / "m"),
                                 "--prior", str(tmp_path / "not a model")], capsys)
    assert (code, stdout) == (2, "") and err.startswith(f"salesrl: --prior {tmp_path / 'not a model'}: ")
    assert "not a SalesRL model directory" in err and not (tmp_path / "m").exists()


@pytest.mark.parametrize("option, value, message", [
    ("--algo", "magic", "--algo must be one of td, ppo, supervised"),
    ("--target", "p_true", "--target must be one of expected, outcome"),
])
def test_train_refuses_an_unknown_choice(tmp_path, capsys, option, value, message):
    pytest.importorskip("torch")
    write_dataset(keyword_conversations(4, seed=5), tmp_path / "deals.jsonl")
    code, _, err = run_cli(["train", "--data", str(tmp_path / "deals.jsonl"), "--out", str(tmp_path / "m"),
                            option, value], capsys)
    assert code == 2 and message in err
    assert not (tmp_path / "m").exists()


def test_sequence_data_without_labels_is_refused_in_one_line(tmp_path, capsys):
    pytest.importorskip("torch")
    write_dataset(keyword_conversations(60, seed=5), tmp_path / "deals.jsonl")  # enough won and lost calls
    write_dataset(keyword_conversations(20, seed=6), tmp_path / "plain.jsonl")
    code, _, err = run_cli(["train", "--data", str(tmp_path / "deals.jsonl"), "--out", str(tmp_path / "m"),
                            "--sequence-data", str(tmp_path / "plain.jsonl")], capsys)
    assert code == 2 and "plain.jsonl: no turn records a move" in err and "Traceback" not in err
    assert not (tmp_path / "m").exists()


@pytest.mark.slow
def test_a_retrain_that_fails_midway_leaves_the_previous_model_byte_for_byte(tmp_path, capsys, monkeypatch):
    pytest.importorskip("torch")
    from salesrl.agent.sales_agent import SalesAgent
    from salesrl.agent.sequence import SequenceModel

    write_dataset(keyword_conversations(60, seed=5), tmp_path / "deals.jsonl")
    model = tmp_path / "model"
    args = ["train", "--data", str(tmp_path / "deals.jsonl"), "--out", str(model), "--members", "2", "--epochs", "1",
            "--prior", "none"]
    code, _, err = run_cli(args + ["--seed", "3"], capsys)
    assert code == 0, err
    before = {p.name: p.read_bytes() for p in model.iterdir() if p.is_file()}
    assert {"policy.onnx", "lexical.npz", "sequence.npz", "metadata.json"} <= set(before)

    def fail_after_some_files(self, directory):  # policy.onnx and lexical.npz are written by then
        assert (directory / "policy.onnx").is_file() and (directory / "lexical.npz").is_file()
        raise RuntimeError("injected")

    monkeypatch.setattr(SequenceModel, "save", fail_after_some_files)
    with pytest.raises(RuntimeError, match="injected"):
        run_cli(args + ["--seed", "4", "--force"], capsys)
    assert {p.name: p.read_bytes() for p in model.iterdir() if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deals.jsonl", "model"]  # no temporary directory left

    monkeypatch.undo()
    code, out, err = run_cli(args + ["--seed", "4", "--force"], capsys)
    assert code == 0 and f"wrote {model}" in out, err
    assert json.loads((model / "metadata.json").read_text())["training_config"]["seed"] == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deals.jsonl", "model"]
    scored = SalesAgent.load(model).score("Rep: hi\nProspect: the budget is approved for this")
    assert 0.0 < scored.points[-1].probability < 1.0
