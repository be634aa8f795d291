"""The hand-labelled coaching set loads: every label's quote is in a turn of its file, every state is one the
README allows, and the split holds half of the calls and half of the note sets on each side."""

from benchmarks.coaching_set import ITEMS, load


def test_every_label_points_at_a_turn_that_says_it():
    items = load()
    assert len(items) == 50 and len({i.id for i in items}) == 50
    for item in items:
        assert set(item.states) == set(ITEMS)
        for name, turn in item.turns.items():
            assert 0 <= turn < len(item.transcript.turns), (item.id, name)
        assert set(item.turns) == {k for k, v in item.states.items() if v != "not_raised"}


def test_the_split_keeps_calls_and_notes_on_both_sides():
    for split in ("tune", "held-out"):
        ids = [i.id for i in load(split)]
        assert sum(i.startswith("c") for i in ids) == 15 and sum(i.startswith("n") for i in ids) == 10
