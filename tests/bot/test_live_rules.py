"""The rules of live sessions that need no model: when an alert is raised and which turn it blames,
what a thread message adds to the conversation, and the order a thread's messages are handled in."""

from __future__ import annotations

import threading
import time

import pytest

from salesrl.agent.errors import TranscriptError
from salesrl.agent.types import ScorePoint, Turn
from salesrl.bot.flags.drops import crossed_below, drop_at, largest_drop
from salesrl.bot.flags.reasons import call_flag
from salesrl.bot.flags.thresholds import Thresholds
from salesrl.bot.live.alerts import check_alert
from salesrl.bot.live.lanes import Lanes
from salesrl.bot.live.thread_text import turns_from_message

RULE = Thresholds(below=0.35, drop=0.15, window=5)


def curve(*ps: float, texts: dict[int, str] | None = None) -> tuple[list[Turn], list[ScorePoint]]:
    texts = texts or {}
    turns = [Turn("Ben" if i % 2 else "Ana", "prospect" if i % 2 else "rep", texts.get(i, f"turn {i}"))
             for i in range(len(ps))]
    points = [ScorePoint(i, t.speaker, t.role, t.text, p, 0.05, 0.9) for i, (t, p) in enumerate(zip(turns, ps))]
    return turns, points


def test_a_drop_of_the_threshold_within_five_turns_alerts_at_that_turn_and_blames_the_steepest_step():
    turns, points = curve(0.60, 0.70, 0.68, 0.62, 0.59, 0.54, 0.50,
                          texts={3: "Honestly it's too expensive for us"})
    alert = check_alert(turns, points, 0, RULE, None)
    assert alert is not None and alert.dropped and not alert.fell_below
    assert alert.at == 5  # 0.70 -> 0.54 is the first fall of 0.15 or more within 5 turns
    assert alert.cause == 3  # the steepest step down between the peak and there: 0.68 -> 0.62
    assert alert.before == pytest.approx(0.70) and alert.after == pytest.approx(0.54)
    assert alert.concern == "the buyer raised an objection" and alert.cause_text.startswith("Honestly")
    assert "concern" in alert.next_step.lower() or "objection" in alert.next_step.lower()  # answer it first


def test_the_alert_says_what_the_turn_did_as_the_tracker_read_it_never_from_a_stray_word():
    # the buyer mentions price while agreeing to it: no objection, whatever the word
    turns, points = curve(0.60, 0.70, 0.68, 0.62, 0.59, 0.54, 0.50,
                          texts={2: "The price is $40k a year.", 3: "Sounds good, same price as last year works."})
    alert = check_alert(turns, points, 0, RULE, None)
    assert alert is not None and alert.cause == 3
    assert alert.concern is None or "objection" not in alert.concern
    # a turn the tracker follows nothing in has no concern rather than a guessed one
    turns, points = curve(0.60, 0.70, 0.68, 0.62, 0.59, 0.54, 0.50, texts={3: "Hmm, right."})
    assert check_alert(turns, points, 0, RULE, None).concern is None


def test_a_slow_slide_over_more_than_five_turns_does_not_alert():
    turns, points = curve(0.70, 0.67, 0.64, 0.61, 0.58, 0.56, 0.54, 0.52)
    assert check_alert(turns, points, 0, RULE, None) is None


def test_falling_below_the_threshold_alerts_even_without_a_sharp_drop():
    turns, points = curve(0.40, 0.38, 0.36, 0.33)
    alert = check_alert(turns, points, 0, RULE, None)
    assert alert is not None and alert.fell_below and not alert.dropped and alert.at == alert.cause == 3


def test_one_bad_stretch_raises_one_alert():
    turns, points = curve(0.70, 0.50, 0.45, 0.40, 0.42, 0.41, 0.40, 0.39)
    first = check_alert(turns, points, 0, RULE, None)
    assert first is not None and first.at == 1
    assert check_alert(turns, points, first.at + 1, RULE, first.at) is None  # the same fall, not news


def test_a_new_fall_after_an_alert_is_measured_from_the_alerted_turn():
    turns, points = curve(0.70, 0.50, 0.45, 0.40, 0.30, 0.25, 0.24)
    alert = check_alert(turns, points, 2, RULE, 1)
    assert alert is not None and alert.at == 6 and alert.before == pytest.approx(0.50)  # not the 0.70 before it
    turns, points = curve(0.70, 0.50, 0.60, 0.62, 0.55, 0.50, 0.46)
    assert check_alert(turns, points, 2, RULE, 1).at == 6  # 0.62 -> 0.46 once the window moved on


def test_drop_helpers_on_exact_thresholds():
    assert drop_at([0.50, 0.35], 1, RULE) is not None  # exactly 0.15 counts
    assert drop_at([0.50, 0.36], 1, RULE) is None
    assert drop_at([0.9], 0, RULE) is None
    assert crossed_below([0.35, 0.34], 1, 0.35) and not crossed_below([0.34, 0.30], 1, 0.35)
    assert largest_drop([0.8, 0.6, 0.7, 0.4, 0.5], RULE).size == pytest.approx(0.4)


def test_a_finished_call_flags_with_reasons_and_the_turn_they_rest_on():
    _, points = curve(0.60, 0.62, 0.40, 0.30, texts={2: "We already use Salesforce"})
    found = call_flag(points, RULE)
    assert found is not None and found.turn_index == 2
    assert "dropped 32 pts within 5 turns" in found.reasons[0] and "turn 3" in found.reasons[0]
    assert "ended at 30%, below the 35% threshold" in found.reasons[1]
    _, steady = curve(0.60, 0.62, 0.61, 0.64)
    assert call_flag(steady, RULE) is None


def test_a_finished_call_is_flagged_for_a_drop_only_if_it_lasts():
    # the price said aloud, then talked through: a dip that recovers within three turns flags nothing
    _, dip = curve(0.60, 0.70, 0.50, 0.58, 0.66, 0.68, 0.70)
    assert call_flag(dip, RULE) is None
    _, lasting = curve(0.60, 0.70, 0.50, 0.52, 0.51, 0.53, 0.60)
    found = call_flag(lasting, RULE)
    assert found is not None and "stayed down for the next 3 turns" in found.reasons[0] and len(found.reasons) == 1
    _, at_the_end = curve(0.60, 0.70, 0.50)
    assert "stayed down to the end of the call" in call_flag(at_the_end, RULE).reasons[0]


# ------------------------------------------------------------------------------------ thread text

def test_name_lines_become_turns_of_those_speakers_with_the_sessions_rep():
    turns = turns_from_message("Ben: what does it cost?\nAna L.: about 20k a year\nfor forty seats", ["Ana Lopez"])
    assert [(t.speaker, t.role, t.text) for t in turns] == [
        ("Ben", "prospect", "what does it cost?"), ("Ana L.", "rep", "about 20k a year for forty seats")]


def test_anything_else_is_one_note_about_the_prospect():
    (note,) = turns_from_message("they went quiet when price came up", ["Ana Lopez"])
    assert (note.speaker, note.role, note.is_note) == ("Notes", "other", True)
    bullets = turns_from_message("- wants SSO\n- CFO signs", ["Ana"])
    assert [t.text for t in bullets] == ["wants SSO", "CFO signs"] and all(t.is_note for t in bullets)
    assert turns_from_message("   ", ["Ana"]) == []


def test_contact_details_are_redacted_before_scoring_unless_turned_off():
    (turn,) = turns_from_message("Ben: mail me at ben@globex.example", ["Ana"])
    assert turn.text == "mail me at [email]"
    (kept,) = turns_from_message("Ben: mail me at ben@globex.example", ["Ana"], redact_text=False)
    assert "ben@globex.example" in kept.text


def test_a_huge_paste_is_refused_in_one_line():
    with pytest.raises(TranscriptError, match="at most"):
        turns_from_message("\n".join(f"{'Ana' if i % 2 else 'Ben'}: line {i}" for i in range(300)), ["Ana"])


# ------------------------------------------------------------------------------------ lanes

def test_messages_queued_behind_a_running_one_run_in_timestamp_order():
    lanes, ran = Lanes(), []
    started, gate = threading.Event(), threading.Event()

    def first() -> None:
        started.set()
        gate.wait(5)
        ran.append("1.0")

    runner = threading.Thread(target=lanes.run, args=("thread-a", "1.0", first))
    runner.start()
    assert started.wait(5)  # the first message is being handled
    late = [threading.Thread(target=lanes.run, args=("thread-a", ts, lambda ts=ts: ran.append(ts)))
            for ts in ("3.0", "2.0")]  # arrive out of order
    for t in late:
        t.start()
    # Nothing public says a message has queued: if one had not yet when the gate opens, it would run
    # out of order and the test would fail, not pass vacuously.
    time.sleep(0.05)
    gate.set()
    for t in [runner, *late]:
        t.join(5)
    assert ran == ["1.0", "2.0", "3.0"]


def test_other_threads_do_not_wait_for_each_other():
    lanes, done = Lanes(), threading.Event()
    gate = threading.Event()
    blocked = threading.Thread(target=lanes.run, args=("thread-a", "1.0", lambda: gate.wait(5)))
    blocked.start()
    lanes.run("thread-b", "1.0", done.set)  # returns at once although thread-a is busy
    assert done.is_set()
    gate.set()
    blocked.join(5)
