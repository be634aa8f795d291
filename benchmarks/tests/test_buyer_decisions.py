"""benchmarks/buyer_decisions.py: the shipped model reads a buyer's hand-written decision the right way round,
and the check itself puts its close ask where it should."""

import pytest

from benchmarks.buyer_decisions import CLOSE_ASK, NO, POINTS, YES, decision_points, probability_after
from salesrl.agent.sales_agent import SalesAgent


@pytest.fixture(scope="module")
def agent():
    return SalesAgent.load()


@pytest.mark.slow
def test_a_buyer_saying_yes_scores_above_a_buyer_saying_no_in_words_no_template_wrote(agent):
    """The synthetic test set measures the generator's own language; a buyer's plain decision, hand-written, must
    be read the right way round at every point too (benchmarks/buyer_decisions.py prints the figures)."""
    for row in decision_points(probability_after(agent)):
        assert row["ordered"] == 1.0, row
        assert row["no_move"] < row["yes_move"], row


def test_the_decision_check_can_put_a_close_ask_just_before_the_decision() -> None:
    scored: list[list] = []

    def final(turns):
        scored.append(turns)
        return float(len(turns))

    rows = decision_points(final, CLOSE_ASK)
    assert len(rows) == len(POINTS) and len(scored) == len(POINTS) * (1 + len(YES) + len(NO))
    before = scored[0]
    assert (before[-1].role, before[-1].text) == ("rep", CLOSE_ASK)
    assert [t.text for t in scored[1][:-1]] == [t.text for t in before] and scored[1][-1].text == YES[0]
    assert all(r["yes_move"] == r["no_move"] == 1.0 for r in rows)  # moves are from the ask: one turn on from it
