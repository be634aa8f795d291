"""How well the agent's probabilities matched what happened: closed deals grouped by the probability
the agent last gave them ("deals we called about 30% closed 28% of the time"), and the Brier score
(mean squared error of the probability against the outcome: 0 is perfect, 0.25 is a coin toss)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

from salesrl.bot.store import Deal

BIN_WIDTH = 0.1  # "about 30%" = a last probability in [25%, 35%)


@dataclass(frozen=True)
class CalibrationBin:
    forecast: float  # the bin's centre: 0.0, 0.1, ... 1.0
    deals: int
    won: int

    @property
    def won_rate(self) -> float:
        return self.won / self.deals


# Below this many closed deals, "deals we called about 0% closed 0% of the time (1 deal)" says
# nothing: the digest says how many more it needs instead of showing the table.
MIN_DEALS = 20


@dataclass(frozen=True)
class Calibration:
    bins: tuple[CalibrationBin, ...]  # bins with deals, lowest forecast first
    deals: int  # closed deals in the calibration window with a probability
    brier: float
    period_deals: int  # of which closed in the digest's period
    period_brier: float | None  # None when none closed in the period
    window_days: int

    @property
    def enough(self) -> bool:
        """Whether there are enough closed deals for the figures to mean something (MIN_DEALS)."""
        return self.deals >= MIN_DEALS


def brier_score(pairs: Sequence[tuple[float, bool]]) -> float:
    if not pairs:
        raise ValueError("no forecasts to score")
    return sum((p - (1.0 if won else 0.0)) ** 2 for p, won in pairs) / len(pairs)


def calibration_bins(pairs: Iterable[tuple[float, bool]]) -> tuple[CalibrationBin, ...]:
    counts: dict[int, list[int]] = {}
    for p, won in pairs:
        k = math.floor(p / BIN_WIDTH + 0.5 + 1e-9)  # half up, despite binary floats: 0.25 is "about 30%"
        n = counts.setdefault(k, [0, 0])
        n[0] += 1
        n[1] += 1 if won else 0
    return tuple(
        CalibrationBin(forecast=round(k * BIN_WIDTH, 2), deals=n, won=w) for k, (n, w) in sorted(counts.items())
    )


def calibrate(closed: Iterable[Deal], since: datetime, period_start: datetime, period_end: datetime,
              window_days: int) -> Calibration | None:
    """Calibration over deals closed in [since, period_end) that the agent scored; None when there
    are none yet. The period's Brier score covers those closed in [period_start, period_end)."""
    window: list[tuple[float, bool]] = []
    period: list[tuple[float, bool]] = []
    for deal in closed:
        if deal.status not in ("won", "lost") or deal.latest_probability is None or deal.closed_at is None:
            continue
        if not since <= deal.closed_at < period_end:
            continue
        pair = (float(deal.latest_probability), deal.status == "won")
        window.append(pair)
        if deal.closed_at >= period_start:
            period.append(pair)
    if not window:
        return None
    return Calibration(
        bins=calibration_bins(window), deals=len(window), brier=brier_score(window),
        period_deals=len(period), period_brier=brier_score(period) if period else None, window_days=window_days,
    )
