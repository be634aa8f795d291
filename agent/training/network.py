"""The policy network: an ensemble of small MLPs evaluated in one batched pass.

Output column 0 is the logit of the conversion probability (the state value); columns 1.. are the
logits of the action values, one per rep move class.

Each member adds its learned multiples of the state's lexical and sequence scores (two logits,
agent.lexical and agent.sequence: the skip block) to every output: the MLP learns what the rest of the
state adds to what the words say, and starts out as one of the two scores itself (multiples 1 and 0,
last layer near 0; agent.training.td picks the one that does better on held-out calls). Without this
skip, the MLP scored worse than its own lexical input on new calls.

Every logit then goes through a calibration fitted on held-out calls after training (see
agent.training.td.fit_calibration) that depends on how far along the call is:
logit * (a0 + a1 u + a2 u^2) + (b0 + b1 u + b2 u^2), u = the state's log turn index (the square lets
the first turns, where little has been said, be treated apart from the rest). While training it is
the identity.

The same weights are written into the ONNX graph by agent.training.export, so the network here and
the shipped model compute the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class NetConfig:
    state_dim: int
    outputs: int
    members: int
    hidden1: int = 128
    hidden2: int = 64
    dropout: float = 0.1
    position_col: int = 0  # state column of the log turn index, which the calibration reads
    skip_col: int = 0  # state column of the lexical score; the sequence score is the next one
    skip_init: tuple[float, ...] = (1.0, 0.0)  # the multiples of the two (SKIP_WIDTH) scores to start from


SKIP_WIDTH = 2  # the lexical and the sequence score
IDENTITY_CALIBRATION = (1.0, 0.0, 0.0, 0.0, 0.0, 0.0)  # a0, a1, a2, b0, b1, b2


def calibrate(logits: torch.Tensor, u: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """logits (members, n, outputs), u (n,) -> logits * (a0 + a1 u + a2 u^2) + (b0 + b1 u + b2 u^2)."""
    u = u[None, :, None]
    return logits * (c[0] + c[1] * u + c[2] * u * u) + (c[3] + c[4] * u + c[5] * u * u)


class EnsembleNet(nn.Module):
    # buffers (register_buffer below): saved with the weights, not trained
    skip_col: torch.Tensor
    calibration: torch.Tensor
    calibration_col: torch.Tensor
    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, cfg: NetConfig, mean: np.ndarray, std: np.ndarray, seed: int = 0):
        super().__init__()
        self.cfg = cfg
        g = torch.Generator().manual_seed(seed)
        e, d, h1, h2, o = cfg.members, cfg.state_dim, cfg.hidden1, cfg.hidden2, cfg.outputs

        def init(*shape: int, fan_in: int) -> nn.Parameter:
            return nn.Parameter(torch.randn(*shape, generator=g) * (2.0 / fan_in) ** 0.5)

        self.w1, self.b1 = init(e, d, h1, fan_in=d), nn.Parameter(torch.zeros(e, 1, h1))
        self.w2, self.b2 = init(e, h1, h2, fan_in=h1), nn.Parameter(torch.zeros(e, 1, h2))
        self.w3, self.b3 = init(e, h2, o, fan_in=h2) * 0.1, nn.Parameter(torch.zeros(e, 1, o))
        self.w3 = nn.Parameter(self.w3.detach())
        self.skip_weight = nn.Parameter(torch.tensor(cfg.skip_init, dtype=torch.float32).repeat(e, 1)[:, :, None])
        self.register_buffer("skip_col", torch.tensor(cfg.skip_col))
        self.register_buffer("calibration", torch.tensor(IDENTITY_CALIBRATION))
        self.register_buffer("calibration_col", torch.tensor(cfg.position_col))
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(n, state_dim) -> calibrated logits (members, n, outputs)."""
        return calibrate(self.raw_logits(x), x[:, self.calibration_col], self.calibration)

    def raw_logits(self, x: torch.Tensor) -> torch.Tensor:
        skip = torch.matmul(x[:, self.skip_col:self.skip_col + SKIP_WIDTH], self.skip_weight)  # (members, n, 1)
        x = (x - self.mean) / self.std
        h = torch.relu(torch.einsum("nd,edh->enh", x, self.w1) + self.b1)
        h = torch.relu(torch.bmm(self.drop(h), self.w2) + self.b2)
        return torch.bmm(self.drop(h), self.w3) + self.b3 + skip

    @torch.no_grad()
    def probabilities(self, x: np.ndarray, batch: int = 8192) -> np.ndarray:
        """Member-wise sigmoid outputs as numpy, (members, n, outputs), in eval mode."""
        was = self.training
        self.eval()
        out = [torch.sigmoid(self(torch.from_numpy(x[i:i + batch]))).numpy() for i in range(0, len(x), batch)]
        self.train(was)
        return np.concatenate(out, axis=1)

    def weights(self) -> dict[str, np.ndarray]:
        return {k: v.detach().numpy().copy() for k, v in self.state_dict().items()}
