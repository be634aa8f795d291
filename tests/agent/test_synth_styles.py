"""salesrl synth --style: the same calls as huddle notes and as a Slack thread, with the same outcomes and each
note keeping the latent probability of the turn it comes from (issue 30 section 4)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from salesrl.agent.dataset import read_dataset
from salesrl.agent.synth import generate
from salesrl.agent.synth.styles import as_chat, as_notes, restyle
from salesrl.agent.transcript import parse_transcript
from salesrl.bot.cli import main


def test_notes_are_third_person_note_turns_that_keep_the_outcome_and_the_probabilities():
    for conv in generate(30, seed=11):
        notes = as_notes(conv, random.Random(0))
        assert notes is not None and notes.outcome == conv.outcome
        assert all(t.is_note and t.role == "other" for t in notes.turns)
        assert set(notes.p_true) <= set(conv.p_true) and len(notes.turns) < len(conv.turns)
        assert not any(a for a in notes.actions)  # a note is not a rep's move


def test_a_buyers_agreement_is_still_in_the_notes():
    convs = generate(200, seed=5)
    agreed = [c for c in convs if any(lab.get("intent") == "agree_next_step" for lab in c.labels)]
    assert agreed
    for conv in agreed[:10]:
        i = next(i for i, lab in enumerate(conv.labels) if lab.get("intent") == "agree_next_step")
        notes = as_notes(conv, random.Random(1))
        assert notes is not None
        j = next(k for k, lab in enumerate(notes.labels) if lab.get("intent") == "agree_next_step")
        assert notes.p_true[j] == conv.p_true[i]


def test_chat_drops_small_talk_and_keeps_who_said_what():
    conv = generate(1, seed=2)[0]
    chat = as_chat(conv, random.Random(0))
    assert chat.outcome == conv.outcome and {t.role for t in chat.turns} <= {"rep", "prospect"}
    assert all(" " not in t.speaker for t in chat.turns) and len(chat.turns) <= len(conv.turns)
    assert "rapport" not in chat.actions


def test_notes_written_out_read_back_as_notes(tmp_path: Path):
    notes = restyle(generate(1, seed=3)[0], "notes", random.Random(0))
    text = "Huddle — call with the buyer\n" + "".join(f"- {t.text}\n" for t in notes.turns)
    parsed = parse_transcript(text)
    assert parsed.format == "notes" and [t.text for t in parsed.turns] == [t.text for t in notes.turns]


def test_the_cli_writes_the_style_asked_for_and_the_same_calls(tmp_path: Path):
    calls, mixed = tmp_path / "calls.jsonl", tmp_path / "mixed.jsonl"
    for args in (["-o", str(calls)], ["--style", "mixed", "-o", str(mixed)]):
        with pytest.raises(SystemExit) as e:
            main(["synth", "--n", "40", "--seed", "9", *args])
        assert e.value.code == 0
    plain, styled = read_dataset(calls), read_dataset(mixed)
    assert [c.outcome for c in plain] == [c.outcome for c in styled]
    styles = {c.meta.get("style", "calls") for c in styled}
    assert styles == {"calls", "notes", "chat"}
    assert any(t.is_note for c in styled for t in c.turns)
