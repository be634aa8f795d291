"""Temporal-difference learning of the conversation's value, and of the rep move classes' values.

The agent's output at turn t is a probability p_t; its reward is a strictly proper scoring rule (the
log score) against the final outcome, so the best policy is the calibrated conversion probability.
With gamma = 1 and the outcome as the only reward, that probability is the value of the state, which
TD(lambda) learns by bootstrapping from its own next-turn estimate:

    G_t = outcome                                   at the last turn (or its expectation, below)
    G_t = (1 - lambda) * V(s_{t+1}) + lambda * G_{t+1}  otherwise

Each ensemble member trains on its own bootstrap resample of conversations against its own targets.

The state holds the agent's own previous probabilities. On a training conversation, a member that
has fitted it would feed back a memorised outcome, and the network would learn to trust its past
outputs far more than it can on new calls. So the past block of a training conversation is filled
with the out-of-bag ensemble: the members whose resample left that conversation out (every
conversation is left out by at least one member). New conversations use every member.
The bootstrap term V(s_{t+1}) of the TD target comes from the same out-of-bag ensemble, for the same
reason: a member's own value of a call it has memorised is too sure of that call's outcome, and
bootstrapping from it made early-turn probabilities overconfident on new calls.
lambda = 1 gives the Monte-Carlo target (the outcome at every turn): that is the supervised baseline,
the same network and the same loss without bootstrapping.

Each call weighs the same in the loss, the early stopping score and the calibration: a turn of a call
of n turns weighs 1/n (`weighting="call"`). With every turn weighing the same, long calls outweighed
short ones at every turn index, the model was calibrated for "a call that has reached turn t", and read
at a share of each call's length (a call pasted half-way, `salesrl eval`'s stages) it was off. Call weighting
lowered the stage ECE at every stage, at the price of the first turns' ECE by turn index (the figures:
BENCHMARKS.md, "Figures behind the training code").

The terminal target is, by default, the outcome's expectation where the data records it: a synthetic
call's outcome is a coin flip with the buyer's final latent probability, and that probability is the
target (`target="expected"`, StateTable.targets). Its expectation is the outcome's, so the value learned is
the same conversion probability; the coin flip's noise is gone. Calls without it (a team's closed deals,
real corpora) keep the outcome. The held-out Brier and the calibration use the same targets.

Action values: Q(s_t, a) is the value after the rep plays move a as the next turn; its target is
G_{t+1} on the rows where the next turn is a rep turn labelled with a move.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from salesrl.agent.moves import MOVES
from salesrl.agent.training.network import IDENTITY_CALIBRATION, SKIP_WIDTH, EnsembleNet, NetConfig, calibrate
from salesrl.agent.training.states import StateTable

log = logging.getLogger(__name__)


MIN_CALIBRATION_CALLS = 100  # fewer held-out calls than this cannot pin down the calibration
MIN_CALIBRATION_EACH = 10  # nor can held-out calls with fewer won (or lost) deals than this


def can_calibrate(outcomes: np.ndarray) -> bool:
    """Whether held-out calls with these outcomes can pin down a calibration. A team with few won deals
    can draw a held-out tenth with none, and a fit to it would push every probability towards 0."""
    won = int((outcomes == 1).sum())
    return len(outcomes) >= MIN_CALIBRATION_CALLS and min(won, len(outcomes) - won) >= MIN_CALIBRATION_EACH


@dataclass(frozen=True)
class TDConfig:
    lam: float  # the defaults of lam, members and target live in agent.training.config.TrainingConfig
    members: int
    # "expected": score the last state against the recorded final latent probability where there is one;
    # "outcome": against the outcome always (agent.training.states.call_targets).
    target: str
    epochs: int = 20
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 0.05  # strong: a call's turns are alike, so the net memorises calls easily
    dropout: float = 0.3
    hidden1: int = 64
    hidden2: int = 32
    # Early stopping: an epoch counts as better when it lowers the held-out Brier by min_improvement at least,
    # and training stops after `patience` epochs that are not. On the shipped recipe the later epochs' held-out
    # Brier differs by less than this step, so a longer patience with a finer step spent minutes of every run
    # choosing between equivalent models (the figures: BENCHMARKS.md, "Figures behind the training code").
    patience: int = 2
    min_improvement: float = 1e-4
    seed: int = 0
    # "call": each call weighs the same in total (1/length per turn), as when each call is read at a
    # random share of its length; "turn": every turn weighs the same, so long calls dominate.
    weighting: str = "call"
    # Fit the position-dependent calibration to the held-out calls after training. Off when a head is fitted on top
    # (agent.training.selection): the head calibrates on every call's out-of-bag values, and this calibration,
    # fitted to the early-stopping tenth alone (100 calls for a team of 1,000), mostly added noise there.
    calibrate: bool = True


def row_shares(table: StateTable, weighting: str) -> np.ndarray:
    """Per-row weights with mean 1 over all rows."""
    if weighting == "turn":
        return np.ones(len(table.states), dtype=np.float32)
    if weighting == "call":
        share = (table.lengths.mean() / table.lengths).astype(np.float32)
        return share[table.conv_of_row]
    raise ValueError(f"unknown weighting {weighting!r}: turn or call")


@dataclass
class TrainLog:
    epochs: list[dict] = field(default_factory=list)
    best_epoch: int = -1
    calibration: dict = field(default_factory=dict)
    # Per row of the table, the final policy's probability from the members that did not train on the row's call
    # (every member, for the held-out calls): what the past block was fed. The head is fitted on it
    # (agent.training.selection.chosen_head).
    out_of_bag: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))


def lambda_returns(table: StateTable, values: np.ndarray, lam: float, terminal: np.ndarray) -> np.ndarray:
    """values: (members, rows), terminal: (conversations,) -> lambda-returns (members, rows)."""
    g = np.zeros_like(values)
    for t in range(int(table.lengths.max()) - 1, -1, -1):
        convs, rows = table.rows_at_turn(t)
        last = table.lengths[convs] == t + 1
        g[:, rows[last]] = terminal[convs[last]]
        mid = rows[~last]
        g[:, mid] = (1.0 - lam) * values[:, mid + 1] + lam * g[:, mid + 1]
    return g


def _brier(member_values: np.ndarray, table: StateTable, rows: np.ndarray, shares: np.ndarray,
           terminal: np.ndarray) -> float:
    p = member_values[:, rows].mean(axis=0)
    y = terminal[table.conv_of_row[rows]]
    return float(np.average((p - y) ** 2, weights=shares[rows]))


def skip_start(table: StateTable, val_rows: np.ndarray, target: str) -> tuple[float, ...]:
    """The skip multiples to start from: 1 for whichever of the lexical and the sequence score has the lower
    log loss on the held-out calls' states against their targets, 0 for the other (the lexical score
    without held-out calls)."""
    if not len(val_rows):
        return (1.0, 0.0)
    y = table.targets(target)[table.conv_of_row[val_rows]]
    losses = [float(np.mean(np.logaddexp(0.0, z) - y * z))
              for z in (table.states[val_rows, table.skip_col + k].astype(np.float64) for k in range(SKIP_WIDTH))]
    best = int(np.argmin(losses))  # the first on a tie: the lexical score
    return tuple(float(k == best) for k in range(SKIP_WIDTH))


def train_td(table: StateTable, train_convs: np.ndarray, val_convs: np.ndarray, cfg: TDConfig,
             progress: Callable[[int, dict], None] | None = None) -> tuple[EnsembleNet, TrainLog]:
    """Trains on the conversations `train_convs`, stops early on the Brier score of `val_convs`."""
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    conv_of_row = table.conv_of_row
    in_train = np.isin(conv_of_row, train_convs)
    train_rows = np.nonzero(in_train)[0]
    val_rows = np.nonzero(np.isin(conv_of_row, val_convs))[0]

    xs = table.states[train_rows]
    mean, std = xs.mean(axis=0), np.maximum(xs.std(axis=0), 1e-3)
    net = EnsembleNet(NetConfig(table.states.shape[1], 1 + len(MOVES), cfg.members, cfg.hidden1, cfg.hidden2, cfg.dropout,
                                table.position_col, table.skip_col, skip_start(table, val_rows, cfg.target)),
                      mean, std, seed=cfg.seed)
    # Weight decay pulls the MLP towards zero, that is towards the skip scores; it must not also pull
    # their multiples towards zero.
    mlp: list[torch.Tensor] = [p for name, p in net.named_parameters() if name != "skip_weight"]
    groups: list[dict[str, Any]] = [{"params": mlp}, {"params": [net.skip_weight], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups,
                            lr=cfg.lr, weight_decay=cfg.weight_decay)

    # Bootstrap: member e sees conversation c with weight Poisson(1), so members disagree where data is thin.
    n_conv = len(table.starts)
    boot = rng.poisson(1.0, size=(cfg.members, n_conv)).astype(np.float32)
    boot[np.arange(n_conv) % cfg.members, np.arange(n_conv)] = 0.0  # each conversation out of one bag at least
    boot[:, ~np.isin(np.arange(n_conv), train_convs)] = 0.0
    shares = row_shares(table, cfg.weighting)
    terminal = table.targets(cfg.target)
    row_weight = torch.from_numpy(boot[:, conv_of_row] * shares)
    out_of_bag = (boot == 0).astype(np.float32)  # (members, conversations)

    member_values = np.zeros((cfg.members, len(table.states)), dtype=np.float32)

    def mean_value(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Refreshes the past block; keeps every member's value of each row for the TD targets."""
        member_values[:, rows] = net.probabilities(x)[:, :, 0]
        w = out_of_bag[:, conv_of_row[rows]]
        return (member_values[:, rows] * w).sum(axis=0) / w.sum(axis=0)

    history, best, best_state, stale = TrainLog(), float("inf"), None, 0
    oob_values = table.refresh_past(mean_value)
    for epoch in range(cfg.epochs):
        # (1, rows): every member learns the same targets
        g = lambda_returns(table, oob_values[None, :], cfg.lam, terminal)
        has_next = table.next_action >= 0
        q_target = np.zeros_like(g)
        q_target[:, has_next] = g[:, np.nonzero(has_next)[0] + 1]
        g_t, q_t = torch.from_numpy(g), torch.from_numpy(q_target)
        act = torch.from_numpy(table.next_action)

        net.train()
        order = rng.permutation(train_rows)
        total = 0.0
        for i in range(0, len(order), cfg.batch_size):
            rows = torch.from_numpy(order[i:i + cfg.batch_size])
            logits = net(torch.from_numpy(table.states[rows.numpy()]))
            w = row_weight[:, rows]
            loss_v = (F.binary_cross_entropy_with_logits(logits[:, :, 0], g_t[:, rows].expand(cfg.members, -1),
                                                         reduction="none") * w).mean()
            a = act[rows]
            labelled = a >= 0
            loss = loss_v
            if labelled.any():
                idx = torch.nonzero(labelled).squeeze(1)
                q_logit = logits[:, idx, 1 + a[idx]]
                loss_q = (F.binary_cross_entropy_with_logits(q_logit, q_t[:, rows[idx]].expand(cfg.members, -1),
                                                            reduction="none")
                          * w[:, idx]).mean()
                loss = loss + loss_q
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(rows)

        oob_values = table.refresh_past(mean_value)
        val = _brier(member_values, table, val_rows, shares, terminal) if len(val_rows) else float("nan")
        entry = {"epoch": epoch + 1, "loss": total / len(order), "val_brier": val}
        history.epochs.append(entry)
        if progress:
            progress(epoch + 1, entry)
        if len(val_rows) == 0 or val < best - cfg.min_improvement:
            best, best_state, stale, history.best_epoch = val, copy.deepcopy(net.state_dict()), 0, epoch + 1
        else:
            stale += 1
            if stale >= cfg.patience:
                break
    if best_state is not None:
        net.load_state_dict(best_state)
        oob_values = table.refresh_past(mean_value)
    net.eval()
    if cfg.calibrate and can_calibrate(table.outcomes[val_convs]):
        # The calibration changes the probabilities the past block feeds back, so fit it twice.
        for _ in range(2):
            fit_calibration(net, table, val_rows, shares, terminal)
            oob_values = table.refresh_past(mean_value)
        after = _brier(member_values, table, val_rows, shares, terminal)
        history.calibration = {"params": [round(float(v), 4) for v in net.calibration], "val_brier_before": best,
                               "val_brier_after": after}
        log.info("calibration %s: validation Brier %.4f -> %.4f", history.calibration["params"], best, after)
    history.out_of_bag = oob_values
    return net, history


def fit_calibration(net: EnsembleNet, table: StateTable, rows: np.ndarray, shares: np.ndarray,
                    terminal: np.ndarray, steps: int = 100) -> None:
    """Fits the calibration (see agent.training.network) to the held-out `rows` by the log-loss of the
    ensemble's mean probability against each row's call's `terminal` target, each row weighted by its share
    (`shares`: one per row of the table, as `_brier` takes them), and sets it on `net`."""
    x = torch.from_numpy(table.states[rows])
    y = torch.from_numpy(terminal[table.conv_of_row[rows]])
    w = torch.from_numpy(shares[rows] / shares[rows].mean())
    with torch.no_grad():
        z = net.raw_logits(x)[:, :, :1]
        u = x[:, net.calibration_col]

    def nll(c: torch.Tensor) -> torch.Tensor:
        p = torch.sigmoid(calibrate(z, u, c)).mean(dim=0)[:, 0].clamp(1e-6, 1 - 1e-6)
        return F.binary_cross_entropy(p, y, weight=w)

    c = torch.tensor(IDENTITY_CALIBRATION, requires_grad=True)
    opt = torch.optim.LBFGS([c], lr=0.5, max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        value = nll(c)
        value.backward()
        return value

    with torch.no_grad():
        before = float(nll(torch.tensor(IDENTITY_CALIBRATION)))
    opt.step(closure)
    with torch.no_grad():
        after = float(nll(c))
        if np.isfinite(after) and after < before and bool(torch.isfinite(c).all()):
            net.calibration.copy_(c.detach())
