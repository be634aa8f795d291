"""`salesrl score` and SalesAgent with the shipped model: what a user sees."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from salesrl.agent.errors import TranscriptError
from salesrl.agent.sales_agent import SalesAgent
from salesrl.bot.cli import main
from salesrl.bot.store import LOCAL_WORKSPACE, Store

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def agent():
    return SalesAgent.load()


def run_cli(args, capsys, stdin: bytes | None = None, monkeypatch=None):
    if stdin is not None:
        import io
        monkeypatch.setattr(sys, "stdin", type("S", (), {"buffer": io.BytesIO(stdin)})())
    with pytest.raises(SystemExit) as e:
        main(args)
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


def test_a_clearly_winning_call_scores_above_a_clearly_losing_one(agent):
    strong = agent.score((EXAMPLES / "strong_call.txt").read_text())
    weak = agent.score((EXAMPLES / "weak_call.txt").read_text())
    assert strong.final.probability > weak.final.probability + 0.2
    assert strong.status == "likely"
    assert weak.status in ("at risk", "toss-up")


def test_json_output_matches_the_schema(capsys, tmp_path):
    code, out, err = run_cli(["score", str(EXAMPLES / "discovery_call.vtt"), "--format", "json"], capsys)
    assert code in (0, None), err
    doc = json.loads(out)
    assert set(doc) >= {"turns", "final", "tips", "model"}
    assert set(doc["final"]) == {"probability", "uncertainty", "range", "in_distribution", "status", "call_ended"}
    low, high = doc["final"]["range"]  # the 80% range: probability +- uncertainty, within [0, 1]
    assert 0.0 <= low <= doc["final"]["probability"] <= high <= 1.0
    for t in doc["turns"]:
        assert set(t) == {"index", "speaker", "role", "text", "probability", "uncertainty", "in_distribution"}
        assert 0.0 <= t["probability"] <= 1.0 and 0.0 <= t["in_distribution"] <= 1.0 and t["uncertainty"] >= 0.0
    assert [t["index"] for t in doc["turns"]] == list(range(len(doc["turns"])))
    for tip in doc["tips"]:
        assert set(tip) == {"kind", "turn", "text"} and tip["text"]


def test_a_monologue_is_refused_in_one_line_and_huddle_notes_still_score(capsys, tmp_path, agent, monkeypatch):
    monkeypatch.setenv("SALESRL_DATA_DIR", str(tmp_path))  # --deal's history database
    voicemail = tmp_path / "voicemail.txt"
    voicemail.write_text("Ana: Hi Ben, it's Ana from Acme, following up on the proposal.\n"
                         "Ana: Give me a call back when you get a chance. Thanks!\n")
    for args in (["score", str(voicemail)], ["score", str(voicemail), "--deal", "Acme"]):
        code, out, err = run_cli(args, capsys)
        assert code == 2 and not out
        assert err == "salesrl: only Ana speaks in this text, so there is no conversation to score: paste the call " \
                      "with the buyer's side too, or notes as '- ' bullets\n"
    with Store.open() as store:
        assert store.deals.get(LOCAL_WORKSPACE, "Acme") is None
    with pytest.raises(TranscriptError, match="^only Ana speaks"):  # the Python API says the same
        agent.score(voicemail.read_text())
    code, out, err = run_cli(["score", str(EXAMPLES / "huddle_notes.md"), "--format", "json"], capsys)
    assert code in (0, None), err
    assert json.loads(out)["format"] == "notes"


def test_changing_later_turns_never_changes_earlier_probabilities(agent):
    from salesrl.agent.types import Turn

    turns = list(agent.score((EXAMPLES / "strong_call.txt").read_text()).transcript.turns[:10])
    lost = Turn("Buyer", "prospect", "Honestly this is too expensive and we will stay with our spreadsheets.")
    won = Turn("Buyer", "prospect", "Great, send the order form and let's book the kickoff.")
    a, b = agent.score(turns + [lost]), agent.score(turns + [won])
    assert [p.probability for p in a.points[:10]] == [p.probability for p in b.points[:10]]
    assert a.points[10].probability < b.points[10].probability


def test_live_session_matches_whole_transcript_scoring(agent):
    text = (EXAMPLES / "weak_call.txt").read_text()
    whole = agent.score(text)
    live = agent.session()
    points = [live.add_turn(t) for t in whole.transcript.turns]
    assert [round(p.probability, 6) for p in points] == [round(p.probability, 6) for p in whole.points]


@pytest.mark.slow  # a `python -m salesrl` process each
@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"\x00\x01\x02binary\x00", "binary"),
    (b"just one line with no speaker at all", "no turns"),
])
def test_bad_input_is_one_clear_line_and_exit_code_2(tmp_path, content, message):
    f = tmp_path / "bad.txt"
    f.write_bytes(content)
    r = subprocess.run([sys.executable, "-m", "salesrl", "score", str(f)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2
    assert r.stderr.startswith("salesrl: ") and len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr
    assert message in r.stderr.lower()


@pytest.mark.slow
def test_missing_file_and_bad_model_dir_are_clear_errors(tmp_path):
    r = subprocess.run([sys.executable, "-m", "salesrl", "score", str(tmp_path / "nope.vtt")], capture_output=True, text=True,
                       cwd=ROOT)
    assert r.returncode == 2 and "no such file" in r.stderr
    r = subprocess.run([sys.executable, "-m", "salesrl", "score", str(EXAMPLES / "strong_call.txt"), "--model", str(tmp_path)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "not a SalesRL model directory" in r.stderr and "Traceback" not in r.stderr


def test_batch_scores_every_conversation_with_its_id(capsys, tmp_path):
    from salesrl.agent.dataset import write_dataset
    from salesrl.agent.synth import generate

    data = tmp_path / "calls.jsonl"
    write_dataset(generate(3, seed=4), data)
    code, out, err = run_cli(["score", "--batch", str(data), "--format", "jsonl"], capsys)
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == [c.id for c in generate(3, seed=4)]
    assert all(0 <= r["final"]["probability"] <= 1 for r in rows)


def test_png_curve_is_written(capsys, tmp_path):
    png = tmp_path / "curve.png"
    run_cli(["score", str(EXAMPLES / "pricing_call.srt"), "--png", str(png), "--format", "json"], capsys)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("ended, said", [(None, False), (0.605, False), (0.8, True)])
def test_a_finished_calls_final_is_explained_when_it_reads_otherwise_than_the_last_turn(ended, said):
    """The table's last row reads 60%: a final of 80% from the finished call's own fit says what the last turn read;
    one that is shown as the same 60% (0.605), or a call without such a fit, says nothing more."""
    from dataclasses import replace
    from io import StringIO

    from rich.console import Console

    from salesrl.bot.cli_score import print_result
    from tests.conftest import make_score_result

    result = make_score_result([0.3, 0.5, 0.6])
    if ended is not None:
        result = replace(result, ended=replace(result.points[-1], probability=ended))
    out = StringIO()
    print_result(result, Console(file=out, width=120))
    text = out.getvalue()
    assert f"final probability {round(100 * (ended or 0.6))}%" in text
    assert ("scored as a finished call (turn by turn, its last turn read 60%)" in text) == said


def test_a_directory_is_named_as_one(capsys, tmp_path):
    code, out, err = run_cli(["score", str(tmp_path)], capsys)
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [f"salesrl: {tmp_path} is a directory; give a transcript file"]


@pytest.mark.parametrize("where", ["missing dir/curve.png", "a dir"])
def test_a_png_that_cannot_be_written_fails_in_one_line_before_scoring_and_leaves_nothing(capsys, tmp_path, where):
    (tmp_path / "a dir").mkdir()
    png = tmp_path / where
    before = sorted(tmp_path.rglob("*"))
    code, out, err = run_cli(["score", str(EXAMPLES / "strong_call.txt"), "--png", str(png)], capsys)
    assert code == 2 and out == ""  # nothing scored, nothing printed
    assert len(err.strip().splitlines()) == 1 and err.startswith(f"salesrl: --png {png}") and "Traceback" not in err
    assert sorted(tmp_path.rglob("*")) == before


def test_a_png_is_written_whole_with_no_partial_file_beside_it(capsys, tmp_path):
    png = tmp_path / "curve.png"
    png.write_bytes(b"an older curve")
    code, _, err = run_cli(["score", str(EXAMPLES / "weak_call.txt"), "--png", str(png), "--format", "json"], capsys)
    assert code in (0, None), err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["curve.png"]


def _dataset(tmp_path, lines):
    from salesrl.agent.dataset import write_dataset
    from salesrl.agent.synth import generate

    good = tmp_path / "good.jsonl"
    write_dataset(generate(3, seed=4), good)
    calls = good.read_text().splitlines()
    path = tmp_path / "calls.jsonl"
    path.write_text("\n".join(calls[i] if isinstance(i, int) else i for i in lines) + "\n")
    return path


@pytest.mark.parametrize("bad, message", [
    ('{"id": "x", "turns": oops', "calls.jsonl:3: not valid JSON"),
    ('{"id": "y", "outcome": 1, "turns": []}', "calls.jsonl:3: 'turns' must be a non-empty list"),
])
def test_batch_with_a_bad_line_prints_nothing_and_names_the_line(capsys, tmp_path, bad, message):
    data = _dataset(tmp_path, [0, 1, bad, 2])
    code, out, err = run_cli(["score", "--batch", str(data), "--format", "jsonl"], capsys)
    assert code == 2 and out == ""  # no half of the file's results that looks like all of them
    assert len(err.strip().splitlines()) == 1 and message in err


def test_batch_of_an_empty_file_is_an_error_not_silence(capsys, tmp_path):
    data = tmp_path / "calls.jsonl"
    data.write_text("\n\n")
    code, out, err = run_cli(["score", "--batch", str(data), "--format", "jsonl"], capsys)
    assert (code, out) == (2, "") and err.strip() == f"salesrl: {data}: no conversations"


def test_batch_refuses_options_it_would_ignore(capsys, tmp_path):
    data = _dataset(tmp_path, [0])
    code, out, err = run_cli(["score", str(EXAMPLES / "strong_call.txt"), "--batch", str(data), "--format", "jsonl",
                              "--deal", "Acme", "--png", str(tmp_path / "c.png")], capsys)
    assert (code, out) == (2, "")
    assert err.strip() == ("salesrl: --batch scores a dataset file's conversations as they are; leave out the "
                           "transcript file, --png, --deal")
    assert not (tmp_path / "c.png").exists()
