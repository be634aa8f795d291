"""A probability curve as one line of block characters, for terminals and Slack messages."""

from __future__ import annotations

from typing import Sequence

BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], width: int = 60) -> str:
    """Probabilities in [0, 1] -> bars on a fixed 0..1 scale (so curves compare across calls).
    Longer curves are resampled to `width` characters."""
    vals = [min(max(float(v), 0.0), 1.0) for v in values]
    if len(vals) > width:
        vals = [vals[int(i * len(vals) / width)] for i in range(width)]
    return "".join(BARS[min(int(v * len(BARS)), len(BARS) - 1)] for v in vals)
