"""The hand-labelled coaching set loads: every label's quote is in a turn of its file, every state is one the
README allows, the tune and held-out splits each hold half of the first author's calls and note sets, the
blind split holds the second author's, the fresh split the third author's, the final split the fourth's and
the sixth split the sixth author's."""

from benchmarks.coaching_set import ITEMS, load


def test_every_label_points_at_a_turn_that_says_it():
    items = load()
    assert len(items) == 144 and len({i.id for i in items}) == 144
    for item in items:
        assert set(item.states) == set(ITEMS)
        for name, turn in item.turns.items():
            assert 0 <= turn < len(item.transcript.turns), (item.id, name)
        assert set(item.turns) == {k for k, v in item.states.items() if v != "not_raised"}


def test_the_split_keeps_calls_and_notes_on_both_sides():
    for split, calls, notes in (("tune", 15, 10), ("held-out", 15, 10), ("blind", 16, 10), ("fresh", 14, 10),
                                ("final", 12, 8), ("sixth", 14, 10)):
        ids = [i.id for i in load(split)]
        assert sum(i.startswith("c") for i in ids) == calls and sum(i.startswith("n") for i in ids) == notes


def test_the_benchmark_reads_gaps_and_rules_out_moves_as_the_readme_says():
    from benchmarks.coaching import expected_gaps, f1, gap_item, ruled_out
    from salesrl.agent.types import Tip

    by_id = {i.id: i for i in load()}
    assert expected_gaps(by_id["c01"]) == set()  # the CFO approved $180K: nothing is missing
    assert expected_gaps(by_id["c04"]) == {"budget", "decision", "timeline", "next_step"}  # the refused demo too
    assert gap_item(Tip("gap", None, "No budget discussed yet: ask what is set aside")) == "budget"
    assert gap_item(Tip("gap", None, "No decision maker discussed yet: ask who signs off and how")) == "decision"
    assert ruled_out("discovery_question", by_id["c12"]) and not ruled_out("close", by_id["c12"])
    assert ruled_out("ask_for_close", by_id["c04"]) and ruled_out("objection", by_id["c12"])
    same = [(i.states, i.states) for i in load("tune")]
    assert f1(same)[0] == 1.0
