"""The thread-answer set's labels are well formed, and the grader applies them as its README says."""

from __future__ import annotations

import json

import pytest

from benchmarks.answers import DATA, SPLITS, grade, main

MARKERS = ["nothing in", "no one has said"]


def test_the_set_is_well_formed_and_split_by_deal():
    data = json.loads((DATA / "set.json").read_text())
    deals = {d["name"]: d for d in data["deals"]}
    assert {d["split"] for d in deals.values()} == set(SPLITS)
    assert all((DATA / "calls" / c).is_file() for d in deals.values() for c in d["calls"])
    ids = [q["id"] for q in data["questions"]]
    assert len(ids) == len(set(ids)) and 115 <= len(ids) <= 135
    for q in data["questions"]:
        assert q["deal"] in deals, q["id"]
        assert q.get("answerable", True) == bool(q.get("require")), q["id"]  # facts exactly when answerable


def test_the_grades():
    budget = {"require": [["forty thousand", "40k"], ["CFO"]], "forbid": ["Samsara"]}
    assert grade(budget, "Priya: 40K approved; the CFO signs", MARKERS) == ("correct", "")
    assert grade(budget, "Priya: 40k approved", MARKERS)[0] == "unhelpful"
    assert grade(budget, "40k, the CFO, and Samsara", MARKERS)[0] == "wrong"
    unknown = {"answerable": False}
    assert grade(unknown, "Nothing in Acme's stored calls is about that.", MARKERS) == ("honest", "")
    assert grade(unknown, "call 1, turn 2, Ben: “we run twelve trucks”", MARKERS)[0] == "wrong"


@pytest.mark.parametrize("split", ["test", "all"])
def test_the_test_split_is_shown_in_totals_only(split, monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["answers.py", "--split", split, "--show", "failures"])
    with pytest.raises(SystemExit):
        main()
    assert "totals only" in capsys.readouterr().err
