"""The paper's formulation with stable-baselines3 PPO, done properly.

Each episode is one training conversation read turn by turn. The observation is the prefix-only
state (the agent's own previous outputs included); the action is the logit of the conversion
probability p_t; the reward at every turn is the negative Brier score -(p_t - outcome)^2, a strictly
proper scoring rule, so the optimal policy outputs the calibrated probability. As for td, the outcome is
replaced by its expectation where the data records one (`target`, agent.training.states.call_targets).
Nothing about the outcome, the conversation's length or later turns is in the observation.

The trained actor's mean is written into the same ensemble layout as the TD network (one member per
seed), so export and runtime are shared.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from salesrl.agent.features import past_features
from salesrl.agent.training.network import EnsembleNet, NetConfig
from salesrl.agent.training.reward import brier_reward
from salesrl.agent.training.states import StateTable

log = logging.getLogger(__name__)
LOGIT_BOUND = 8.0


@dataclass(frozen=True)
class PPOConfig:
    target: str  # as TDConfig's; its default lives in agent.training.config.TrainingConfig
    members: int = 3
    steps: int = 150_000
    learning_rate: float = 3e-4
    n_steps: int = 2048
    batch_size: int = 256
    gamma: float = 0.9
    seed: int = 0


class ConversationEnv(gym.Env):
    """One conversation per episode; reward -(p - target)^2 at every turn (`targets`: one per conversation)."""

    def __init__(self, table: StateTable, convs: np.ndarray, mean: np.ndarray, std: np.ndarray, seed: int,
                 targets: np.ndarray):
        self.table, self.convs, self.mean, self.std, self.targets = table, convs, mean, std, targets
        self.rng = np.random.default_rng(seed)
        d = table.states.shape[1]
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (d,), np.float32)
        self.action_space = gym.spaces.Box(-LOGIT_BOUND, LOGIT_BOUND, (1,), np.float32)

    def _obs(self) -> np.ndarray:
        s = self.table.states[self.row].copy()
        s[self.table.past_slice] = past_features(self.history)
        return ((s - self.mean) / self.std).astype(np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.conv = int(self.rng.choice(self.convs))
        self.row, self.t, self.history = int(self.table.starts[self.conv]), 0, []
        return self._obs(), {}

    def step(self, action):
        p = 1.0 / (1.0 + np.exp(-float(np.clip(action[0], -LOGIT_BOUND, LOGIT_BOUND))))
        y = float(self.targets[self.conv])
        reward = float(brier_reward(p, y))
        self.history.append(p)
        self.t += 1
        self.row += 1
        done = self.t >= int(self.table.lengths[self.conv])
        obs = np.zeros(self.observation_space.shape, np.float32) if done else self._obs()
        return obs, reward, done, False, {}


def train_ppo(table: StateTable, train_convs: np.ndarray, val_convs: np.ndarray, cfg: PPOConfig,
              progress: Callable[[int, dict], None] | None = None) -> tuple[dict[str, np.ndarray], dict]:
    from stable_baselines3 import PPO

    rows = np.nonzero(np.isin(table.conv_of_row, train_convs))[0]
    mean = table.states[rows].mean(axis=0)
    std = np.maximum(table.states[rows].std(axis=0), 1e-3)
    members = []
    targets = table.targets(cfg.target)
    for m in range(cfg.members):
        env = ConversationEnv(table, train_convs, mean, std, seed=cfg.seed + m, targets=targets)
        model = PPO("MlpPolicy", env, learning_rate=cfg.learning_rate, n_steps=cfg.n_steps,
                    batch_size=cfg.batch_size, gamma=cfg.gamma, seed=cfg.seed + m, verbose=0, device="cpu",
                    policy_kwargs=dict(net_arch=dict(pi=[128, 64], vf=[128, 64]), activation_fn=nn.ReLU,
                                       log_std_init=-0.5))
        model.learn(total_timesteps=cfg.steps)
        pi = model.policy.mlp_extractor.policy_net
        linear = [layer for layer in pi if isinstance(layer, nn.Linear)]
        action = model.policy.action_net
        assert isinstance(action, nn.Linear), "the head of a Box action space is one Linear layer"
        layers = [*linear, action]
        members.append([(layer.weight.detach().numpy().T.copy(), layer.bias.detach().numpy().copy())
                        for layer in layers])
        if progress:
            progress(m + 1, {"member": m + 1, "steps": cfg.steps})

    def stack(i: int, j: int) -> np.ndarray:
        return np.stack([mem[i][j] for mem in members])

    # The actor has no skip (agent.training.network): it sees the lexical and sequence scores as inputs only.
    net = EnsembleNet(NetConfig(table.states.shape[1], 1, cfg.members, dropout=0.0, position_col=table.position_col,
                                skip_col=table.skip_col), mean, std)
    with torch.no_grad():
        for name, value in (("w1", stack(0, 0)), ("b1", stack(0, 1)[:, None, :]), ("w2", stack(1, 0)),
                            ("b2", stack(1, 1)[:, None, :]), ("w3", stack(2, 0)), ("b3", stack(2, 1)[:, None, :])):
            getattr(net, name).copy_(torch.from_numpy(value))
        net.skip_weight.zero_()
    weights = net.weights()
    # The sigmoid of the actor's mean logit is the probability; run it like the TD net to score it.
    table.refresh_past(lambda x, convs: net.probabilities(x)[:, :, 0].mean(axis=0))
    val_rows = np.nonzero(np.isin(table.conv_of_row, val_convs))[0]
    p = net.probabilities(table.states[val_rows])[:, :, 0].mean(axis=0)
    val = float(np.mean((p - targets[table.conv_of_row[val_rows]]) ** 2)) if len(val_rows) else None
    return weights, {"epochs": [{"epoch": 1, "val_brier": val}], "best_epoch": 1, "config": cfg.__dict__}
