import numpy as np
import pytest

from salesrl.agent.training.reward import brier_reward, log_reward


@pytest.mark.parametrize("reward", [brier_reward, log_reward])
@pytest.mark.parametrize("q", [0.05, 0.3, 0.5, 0.8])
def test_expected_reward_is_maximised_at_the_true_probability(reward, q):
    grid = np.linspace(0.001, 0.999, 999)
    expected = q * reward(grid, 1.0) + (1 - q) * reward(grid, 0.0)
    assert grid[int(np.argmax(expected))] == pytest.approx(q, abs=0.002)
