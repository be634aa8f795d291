"""The mixed-load benchmark (benchmarks/load_mixed.py) run briefly at a low rate, so it keeps working:
every request answered, no error of any kind. The five-minute figures are in BENCHMARKS.md."""

from __future__ import annotations

import pytest

from benchmarks.load_mixed import run

pytestmark = pytest.mark.slow  # eight seconds of traffic, by design

def test_eight_seconds_of_mixed_traffic_are_all_answered_without_errors():
    result = run(seconds=8, rate=3, warmup=2)
    assert result["requests"] == 24
    assert result["unanswered"] == 0 and result["errors"] == 0, result
    sent = {kind: k["requests"] for kind, k in result["by_kind"].items()}
    assert sent["score"] and sent["live"] and sent["home"], sent  # the mix reached each part of the bot
    assert result["ack_ms"]["p99"] < 3000
