"""agent.turn_reader and its fit: the reader names an item's state only when it is sure, the tracker asks it only
about what its patterns left unsettled, and a model directory reads back as it was written."""

import json

import numpy as np
import pytest

from salesrl.agent.errors import ModelError, SalesRLError
from salesrl.agent.tracker import PhraseBank, track
from salesrl.agent.training.reader_fit import load_rep_turns, load_turns, load_turns_by_author
from salesrl.agent.turn_reader import ASKS, STATES, TurnReader
from salesrl.agent.types import Turn

DIM = 4
ROWS = sum(len(s) for s in STATES.values())


def reader_that_reads(item: str, state: str, strength: float, threshold: float = 0.6, asks: str = "budget") -> TurnReader:
    """A reader whose first embedding component votes for `state` of `item` with `strength`, and whose second says
    a rep's turn asks about `asks`."""
    weights = np.zeros((ROWS, DIM), dtype=np.float32)
    row = sum(len(s) for i, s in STATES.items() if list(STATES).index(i) < list(STATES).index(item))
    weights[row + STATES[item].index(state), 0] = strength
    asks_weights = np.zeros((len(ASKS), DIM), dtype=np.float32)
    asks_weights[ASKS.index(asks), 1] = 6.0
    return TurnReader("test-embedder", weights, np.zeros(ROWS, dtype=np.float32), threshold,
                      asks_weights, np.full(len(ASKS), -3.0, dtype=np.float32), 0.5)


def test_the_reader_names_a_state_only_when_it_is_sure():
    e = np.array([1, 0, 0, 0], dtype=np.float32)
    assert reader_that_reads("budget", "agreed", 8.0).read(e) == {"budget": ("agreed", pytest.approx(0.998, abs=1e-3))}
    assert reader_that_reads("budget", "agreed", 1.0).read(e) == {}  # 1 in 4 states at e^1: 0.48 < 0.6
    assert reader_that_reads("competitor", "answered", 8.0).read(-e) == {}  # "none" is likelier
    asking = np.array([0, 1, 0, 0], dtype=np.float32)
    assert reader_that_reads("budget", "agreed", 8.0, asks="timeline").asks(asking) == ("timeline",)  # sigmoid(3)
    assert reader_that_reads("budget", "agreed", 8.0, asks="timeline").asks(e) == ()  # sigmoid(-3)


def test_a_reader_reads_back_as_written_and_a_wrong_directory_is_one_clear_error(tmp_path):
    reader = reader_that_reads("timeline", "negative", 3.0, threshold=0.55)
    reader.save(tmp_path / "r", {"turns": 1})
    back = TurnReader.load(tmp_path / "r")
    assert back.embedder_id == "test-embedder" and back.threshold == 0.55
    assert np.array_equal(back.weights, reader.weights) and np.array_equal(back.bias, reader.bias)
    assert np.array_equal(back.asks_weights, reader.asks_weights) and back.asks_threshold == 0.5
    with pytest.raises(ModelError, match="not a turn reader"):
        TurnReader.load(tmp_path / "missing")
    meta = json.loads((tmp_path / "r" / "metadata.json").read_text())
    meta["states"]["budget"] = ["none", "answered"]
    (tmp_path / "r" / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="other states"):
        TurnReader.load(tmp_path / "r")


def test_the_tracker_asks_the_reader_only_about_what_its_patterns_left():
    bank = PhraseBank("test-embedder", {"objection": np.zeros((1, DIM), np.float32), "pain": np.zeros((1, DIM), np.float32)},
                      {"objection": 2.0, "pain": 2.0}, reader_that_reads("budget", "negative", 8.0))
    e = np.array([1, 0, 0, 0], dtype=np.float32)
    unsaid = track([Turn("Ben", "prospect", "The coffers are empty until spring.")], [e], bank)
    assert unsaid.items["budget"].state == "negative"
    spelled = track([Turn("Ben", "prospect", "Budget is approved for this.")], [e], bank)
    assert spelled.items["budget"].state == "agreed"  # the pattern's reading stands
    assert track([Turn("Ben", "prospect", "The coffers are empty until spring.")], None, bank).items[
        "budget"].state == "not_raised"  # no embedding, nothing to read


def test_a_reply_to_a_question_no_pattern_knows_answers_it():
    bank = PhraseBank("test-embedder", {"objection": np.zeros((1, DIM), np.float32), "pain": np.zeros((1, DIM), np.float32)},
                      {"objection": 2.0, "pain": 2.0}, reader_that_reads("budget", "negative", 8.0, asks="budget"))
    turns = [Turn("Ana", "rep", "so um how would you be paying for something like this"),
             Turn("Ben", "prospect", "Forty-ish, out of ops.")]
    asked, said = np.array([0, 1, 0, 0], np.float32), np.array([0, 0, 1, 0], np.float32)
    assert track(turns, [asked, said], bank).items["budget"].state == "answered"
    assert track(turns, [said, said], bank).items["budget"].state == "not_raised"  # the reader heard no question


def test_a_bad_training_turn_is_named_by_file_and_line(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"text": "we have 20k", "kind": "call", "labels": {"budget": "answered"}}\n'
                                      '{"text": "sure", "kind": "call", "labels": {"budget": "maybe"}}\n')
    with pytest.raises(SalesRLError, match=r"a\.jsonl, line 2"):
        load_turns(tmp_path)
    (tmp_path / "a.jsonl").write_text('{"text": "we have 20k", "kind": "note", "labels": {"budget": "answered"}}\n')
    assert load_turns(tmp_path) == [{"text": "we have 20k", "kind": "note", "labels": {"budget": "answered"}}]
    (tmp_path / "a.jsonl").write_text('{"text": "who signs?", "asks": ["decision"]}\n{"text": "hm", "asks": ["mood"]}\n')
    with pytest.raises(SalesRLError, match=r"a\.jsonl, line 2: expected text and asks among"):
        load_rep_turns(tmp_path)


def test_turns_by_author_keep_each_file_apart_and_lose_none(tmp_path):
    (tmp_path / "turns-a.jsonl").write_text('{"text": "we have 20k", "kind": "call", "labels": {"budget": "answered"}}\n'
                                            '\n{"text": "cool", "kind": "call", "labels": {}}\n')
    (tmp_path / "turns-b.jsonl").write_text('{"text": "CFO signs", "kind": "note", "labels": {"decision": "answered"}}\n')
    by_author = load_turns_by_author(tmp_path)
    assert {name: [r["text"] for r in rows] for name, rows in by_author.items()} == {
        "turns-a.jsonl": ["we have 20k", "cool"], "turns-b.jsonl": ["CFO signs"]}
    assert [r for rows in by_author.values() for r in rows] == load_turns(tmp_path)
    (tmp_path / "turns-b.jsonl").write_text('{"text": "maybe", "kind": "call", "labels": {"budget": "maybe"}}\n')
    with pytest.raises(SalesRLError, match=r"turns-b\.jsonl, line 1"):
        load_turns_by_author(tmp_path)


def test_the_shipped_reader_settles_what_no_pattern_spells_out():
    """Words from no training turn and no pattern: the call's coaching claims no gap the buyer closed."""
    from salesrl.agent.sales_agent import SalesAgent
    from salesrl.agent.transcript import parse_transcript

    call = parse_transcript("Rep: What would the rollout look like on your side?\n"
                            "Ben: Ops has roughly 60k ring-fenced for it.\n"
                            "Rep: And how is it done today?\n"
                            "Ben: Our field techs re-enter every job sheet twice, it eats two days a week.\n", reps=["Rep"])
    agent = SalesAgent.load()
    patterns_alone = track(call.turns)
    assert patterns_alone.items["budget"].state == patterns_alone.items["pain"].state == "not_raised"
    result = agent.score(call)
    gaps = [tip.text for tip in result.tips if tip.kind == "gap"]
    assert not any("budget" in g.casefold() for g in gaps) and gaps  # the budget was given; other gaps stand


def test_the_reps_answer_to_the_buyers_question_is_not_a_question_the_buyer_then_answers():
    bank = PhraseBank("test-embedder", {"objection": np.zeros((1, DIM), np.float32), "pain": np.zeros((1, DIM), np.float32)},
                      {"objection": 2.0, "pain": 2.0}, reader_that_reads("budget", "negative", 8.0, asks="budget"))
    asked, said = np.array([0, 1, 0, 0], np.float32), np.array([0, 0, 1, 0], np.float32)
    # the reader hears a budget question in the rep's words either way; only the first follows a question of the buyer's
    answer = [Turn("Ben", "prospect", "Is that per seat or per site?"), Turn("Ana", "rep", "Per site, billed each quarter"),
              Turn("Ben", "prospect", "Our bigger headache is moving the old records.")]
    assert track(answer, [said, asked, said], bank).items["budget"].state == "not_raised"
    question = [Turn("Ben", "prospect", "We looked at this last spring."),
                Turn("Ana", "rep", "so what would you be paying for it out of"), Turn("Ben", "prospect", "Ops, mostly.")]
    assert track(question, [said, asked, said], bank).items["budget"].state == "answered"
