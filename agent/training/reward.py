"""The agent's reward: a strictly proper scoring rule of its probability against the outcome.

For an outcome y ~ Bernoulli(q), the expected reward E[r(p, y)] is maximised only at p = q, so the
reward-maximising policy is the calibrated probability: no incentive to hedge or to exaggerate.
PPO is rewarded with the Brier score; TD's loss is the log score (binary cross-entropy).
"""

from __future__ import annotations

import numpy as np

EPS = 1e-6


def brier_reward(p: float | np.ndarray, y: float | np.ndarray) -> float | np.ndarray:
    return -((np.asarray(p) - y) ** 2)


def log_reward(p: float | np.ndarray, y: float | np.ndarray) -> float | np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), EPS, 1 - EPS)
    return y * np.log(p) + (1 - y) * np.log(1 - p)
