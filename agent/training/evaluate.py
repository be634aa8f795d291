"""`salesrl eval`: how good are the probabilities a model gives, turn by turn, on a labelled dataset.

Stage s of a conversation with n turns is the prediction after turn ceil(s * n) (at least turn 1); the
reference baseline (agent.training.baseline) reads the same prefix. At each stage and at each turn index
the report holds AUC, Brier, log-loss, accuracy at 0.5 and the expected calibration error (10 bins);
per stage also selective accuracy (keep the conversations the model is least uncertain about), the
oracle where the data has the latent p_true (synthetic data), and optionally the baseline. An
out-of-domain file gives the AUROC of the out-of-distribution distance; latency is measured on a sample.

Scoring goes through the inference path: every distinct turn text is embedded once, in batches, then
each conversation is fed through a fresh `SalesAgent.session()` with `add_embedded`, so the numbers are
those of the probabilities `salesrl score` prints. Metrics are plain numpy; nothing here needs sklearn.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from salesrl.agent.dataset import Conversation
from salesrl.agent.errors import DatasetError
from salesrl.agent.training.states import embed_unique

if TYPE_CHECKING:
    from salesrl.agent.policy import PolicyOutput
    from salesrl.agent.sales_agent import SalesAgent

log = logging.getLogger(__name__)

STAGES: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)
COVERAGES: tuple[float, ...] = (0.5, 0.8, 1.0)
ECE_BINS = 10
LOG_LOSS_EPS = 1e-7
METRICS: tuple[str, ...] = ("auc", "brier", "log_loss", "accuracy", "ece")


# ----------------------------------------------------------------------------------------------- metrics

def _as_arrays(y: Sequence[float] | np.ndarray, p: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y, p = np.asarray(y, dtype=np.float64).ravel(), np.asarray(p, dtype=np.float64).ravel()
    if y.shape != p.shape:
        raise ValueError(f"{len(y)} labels for {len(p)} predictions")
    return y, p


def average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks; tied values share the mean of the ranks they span."""
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    # first index of each run of equal values, and the run each sorted element belongs to
    starts = np.concatenate([[True], sorted_x[1:] != sorted_x[:-1]])
    run = np.cumsum(starts) - 1
    first = np.nonzero(starts)[0]
    last = np.concatenate([first[1:], [len(x)]]) - 1
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = (first[run] + last[run]) / 2.0 + 1.0
    return ranks


def auc(y: Sequence[float] | np.ndarray, score: Sequence[float] | np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U with tied scores counted half); nan with one class only."""
    y, score = _as_arrays(y, score)
    pos = y == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = average_ranks(score)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def brier(y: Sequence[float] | np.ndarray, p: Sequence[float] | np.ndarray) -> float:
    y, p = _as_arrays(y, p)
    return float(np.mean((p - y) ** 2)) if len(y) else float("nan")


def brier_gap(y: np.ndarray, p: np.ndarray, oracle: np.ndarray) -> tuple[float, float]:
    """The Brier score of `p` above the oracle's, and the half-width of its 95% interval (normal, paired)."""
    d = (p - y) ** 2 - (oracle - y) ** 2
    return float(d.mean()), float(1.96 * d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else float("nan")


def expected_brier_gap(p: np.ndarray, oracle: np.ndarray, final: np.ndarray) -> tuple[float, float]:
    """`brier_gap` in expectation over the coin flip that decided each outcome, where the outcome was drawn
    with the call's final latent probability `final` (a synthetic call): E[(p - y)^2 - (o - y)^2] =
    (p - final)^2 - (o - final)^2. The same quantity without the coin's noise, which moves the measured gap
    noticeably from one test set of a few thousand calls to the next (BENCHMARKS.md, "Figures behind the
    training code")."""
    return brier_gap(final, p, oracle)


def log_loss(y: Sequence[float] | np.ndarray, p: Sequence[float] | np.ndarray, eps: float = LOG_LOSS_EPS) -> float:
    """Mean negative log-likelihood, with p clipped to [eps, 1 - eps] so a confident miss stays finite."""
    labels, probabilities = _as_arrays(y, p)
    if not len(labels):
        return float("nan")
    clipped = np.clip(probabilities, eps, 1.0 - eps)
    return float(-np.mean(labels * np.log(clipped) + (1.0 - labels) * np.log1p(-clipped)))


def accuracy(y: Sequence[float] | np.ndarray, p: Sequence[float] | np.ndarray, threshold: float = 0.5) -> float:
    """Share right when predicting 'converts' at p >= threshold."""
    y, p = _as_arrays(y, p)
    return float(np.mean((p >= threshold) == (y == 1))) if len(y) else float("nan")


@dataclass(frozen=True)
class Reliability:
    """Equal-width bins over [0, 1]: how many predictions fell in each, their mean, and the share that converted."""

    edges: tuple[float, ...]
    count: tuple[int, ...]
    mean_probability: tuple[float | None, ...]  # None for an empty bin
    positive_rate: tuple[float | None, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"edges": list(self.edges), "count": list(self.count),
                "mean_probability": [_round(v) for v in self.mean_probability],
                "positive_rate": [_round(v) for v in self.positive_rate]}


def reliability(y: Sequence[float] | np.ndarray, p: Sequence[float] | np.ndarray, bins: int = ECE_BINS) -> Reliability:
    y, p = _as_arrays(y, p)
    which = np.clip((p * bins).astype(np.int64), 0, bins - 1)  # p = 1.0 falls in the last bin
    count, mean_p, rate = [], [], []
    for b in range(bins):
        m = which == b
        count.append(int(m.sum()))
        mean_p.append(float(p[m].mean()) if m.any() else None)
        rate.append(float(y[m].mean()) if m.any() else None)
    edges = tuple(float(e) for e in np.linspace(0.0, 1.0, bins + 1))
    return Reliability(edges, tuple(count), tuple(mean_p), tuple(rate))


def ece(y: Sequence[float] | np.ndarray, p: Sequence[float] | np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error: sum over equal-width bins of (share of predictions) x |mean p - rate|."""
    y, p = _as_arrays(y, p)
    if not len(y):
        return float("nan")
    r = reliability(y, p, bins)
    return float(sum(c / len(y) * abs(mp - pr) for c, mp, pr in zip(r.count, r.mean_probability, r.positive_rate)
                     if mp is not None and pr is not None))  # None: an empty bin


def selective_accuracy(y: Sequence[float] | np.ndarray, p: Sequence[float] | np.ndarray,
                       uncertainty: Sequence[float] | np.ndarray, coverage: float) -> float:
    """Accuracy on the share `coverage` of predictions with the LOWEST uncertainty (ties kept in input order)."""
    y, p = _as_arrays(y, p)
    u = np.asarray(uncertainty, dtype=np.float64).ravel()
    if not 0.0 < coverage <= 1.0:
        raise ValueError("coverage must be in (0, 1]")
    if not len(y):
        return float("nan")
    keep = np.argsort(u, kind="mergesort")[: max(1, math.ceil(round(coverage * len(y), 9)))]
    return accuracy(y[keep], p[keep])


def classification_metrics(y: Sequence[float] | np.ndarray, p: Sequence[float] | np.ndarray) -> dict[str, float]:
    y, p = _as_arrays(y, p)
    return {"n": len(y), "auc": auc(y, p), "brier": brier(y, p), "log_loss": log_loss(y, p),
            "accuracy": accuracy(y, p), "ece": ece(y, p)}


def stage_turn(n_turns: int, stage: float) -> int:
    """The 1-based turn whose prediction stands for `stage` of a conversation: ceil(stage * n), at least 1."""
    return max(1, min(n_turns, math.ceil(round(stage * n_turns, 9))))


def stage_name(stage: float) -> str:
    return f"{round(stage * 100)}%"


# ----------------------------------------------------------------------------------------------- scoring

@dataclass(frozen=True)
class ScoredConversation:
    """The agent's outputs after each turn of one conversation."""

    id: str
    outcome: int | None
    probability: np.ndarray
    uncertainty: np.ndarray
    in_distribution: np.ndarray
    ood_distance: np.ndarray
    p_true: np.ndarray  # the data's latent probability per turn; nan where it has none
    # the call's final view once it is over (ScoreResult.final): the head's `ended` fit where the model has one
    final_probability: float
    final_uncertainty: float

    def __len__(self) -> int:
        return len(self.probability)


class _RecordingPolicy:
    """Stands in for the agent's Policy and keeps the last output, whose ood_distance a ScorePoint omits,
    and the time the ONNX step took."""

    def __init__(self, policy: Any):
        self._policy = policy
        self.last: PolicyOutput | None = None
        self.seconds = 0.0

    def predict(self, states: np.ndarray) -> "PolicyOutput":
        start = time.perf_counter()
        self.last = self._policy.predict(states)
        self.seconds += time.perf_counter() - start
        return self.last

    def __getattr__(self, name: str) -> Any:
        return getattr(self._policy, name)


def _recording_agent(agent: "SalesAgent") -> tuple["SalesAgent", _RecordingPolicy]:
    from salesrl.agent.sales_agent import SalesAgent

    recorder = _RecordingPolicy(agent.policy)
    # the recorder stands in for the Policy (its methods, not its class); the head and prior stay, so what is
    # evaluated is the model people see, not its policy alone
    return SalesAgent(recorder, agent.embedder, agent.head, agent.prior), recorder  # type: ignore[arg-type]


def score_dataset(agent: "SalesAgent", convs: Sequence[Conversation], progress: Callable[[int], None] | None = None,
                  batch: int = 4096, cache: Path | None = None) -> list[ScoredConversation]:
    """Every conversation through a fresh live session, with each distinct turn text embedded once
    (optionally cached on disk under `cache`, as `salesrl train --cache` does)."""
    texts = [t.text for c in convs for t in c.turns]
    emb = agent.embedder
    embeddings = embed_unique(texts, emb.embed, cache, key=emb.id + emb.checksum, batch=batch)
    rec_agent, recorder = _recording_agent(agent)
    out, row = [], 0
    for c in convs:
        session = rec_agent.session()
        cols: dict[str, list[float]] = {"p": [], "u": [], "ind": [], "dist": []}
        for turn in c.turns:
            point = session.add_embedded(turn, embeddings[row])
            row += 1
            cols["p"].append(point.probability)
            cols["u"].append(point.uncertainty)
            cols["ind"].append(point.in_distribution)
            # the recorder's last step is the one just taken: never None here
            cols["dist"].append(float(recorder.last.ood_distance[0]))  # type: ignore[union-attr]
        p_true = np.array([np.nan if v is None else v for v in c.p_true], dtype=np.float64) if c.p_true \
            else np.full(len(c.turns), np.nan)
        end = session.ended_point() or session.points[-1]
        out.append(ScoredConversation(c.id, c.outcome, np.array(cols["p"]), np.array(cols["u"]),
                                      np.array(cols["ind"]), np.array(cols["dist"]), p_true,
                                      end.probability, end.uncertainty))
        if progress:
            progress(1)
    return out


@dataclass(frozen=True)
class Latency:
    """Milliseconds per turn on this machine, one turn at a time as in a live call."""

    turns: int
    embed_ms: float  # embedding one turn
    step_ms: float  # state update + policy step (LiveSession.add_embedded)
    policy_ms: float  # the ONNX policy step alone
    total_ms: float  # embed + step: one live turn
    total_p95_ms: float

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def measure_latency(agent: "SalesAgent", convs: Sequence[Conversation], max_turns: int = 200,
                    warmup: int = 5) -> Latency:
    """Times turns of the first conversations, each turn embedded alone (no batching), after a short warm-up."""
    turns = [t for c in convs for t in c.turns]
    for t in turns[:warmup]:
        agent.embedder.embed([t.text])
    rec_agent, recorder = _recording_agent(agent)
    embed_s, step_s, total = [], [], []
    left = max_turns
    for c in convs:
        if left <= 0:
            break
        session = rec_agent.session()
        for turn in c.turns[:left]:
            t0 = time.perf_counter()
            e = agent.embedder.embed([turn.text])[0]
            t1 = time.perf_counter()
            session.add_embedded(turn, e)
            t2 = time.perf_counter()
            embed_s.append(t1 - t0)
            step_s.append(t2 - t1)
            total.append(t2 - t0)
        left -= len(c.turns)
    n = len(total)
    if not n:
        return Latency(0, float("nan"), float("nan"), float("nan"), float("nan"), float("nan"))
    ms = 1000.0
    return Latency(n, ms * float(np.mean(embed_s)), ms * float(np.mean(step_s)), ms * recorder.seconds / n,
                   ms * float(np.mean(total)), ms * float(np.percentile(total, 95)))


# ------------------------------------------------------------------------------------------------ report

def _round(v: float | None, digits: int = 4) -> float | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return round(float(v), digits)


def _rounded(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if isinstance(v, int) else _round(v)) for k, v in d.items()}


def at_stage(scored: Sequence[ScoredConversation], stage: float, field_name: str) -> np.ndarray:
    """Each call's `field_name` at `stage`. At 100% the call is over, so its probability and uncertainty are the
    call's final view (`final_probability`, as `salesrl score` reports a whole transcript)."""
    if stage == 1.0 and field_name in ("probability", "uncertainty"):
        return np.array([getattr(s, f"final_{field_name}") for s in scored])
    return np.array([getattr(s, field_name)[stage_turn(len(s), stage) - 1] for s in scored])


def stage_section(scored: Sequence[ScoredConversation], baseline: dict[float, np.ndarray] | None) -> dict[str, Any]:
    y = np.array([s.outcome for s in scored], dtype=np.float64)
    final = np.array([s.p_true[-1] for s in scored], dtype=np.float64)  # what each outcome was drawn with
    out: dict[str, Any] = {}
    for stage in STAGES:
        p, u = at_stage(scored, stage, "probability"), at_stage(scored, stage, "uncertainty")
        entry: dict[str, Any] = {"model": _rounded(classification_metrics(y, p))}
        entry["selective_accuracy"] = {stage_name(c): _round(selective_accuracy(y, p, u, c)) for c in COVERAGES}
        if baseline is not None:
            entry["baseline"] = _rounded(classification_metrics(y, baseline[stage]))
        pt = at_stage(scored, stage, "p_true")
        has = ~np.isnan(pt) & ~np.isnan(final)
        if has.any():
            oracle = classification_metrics(y[has], pt[has])
            model_on_same = classification_metrics(y[has], p[has])
            entry["oracle"] = _rounded(oracle)
            gap, gap_ci = brier_gap(y[has], p[has], pt[has])
            expected, expected_ci = expected_brier_gap(p[has], pt[has], final[has])
            entry["gap_to_oracle"] = _rounded({  # how far the model is from the best possible; >= 0 is worse
                "brier": gap, "brier_ci95": gap_ci,
                "brier_expected": expected, "brier_expected_ci95": expected_ci,
                "log_loss": model_on_same["log_loss"] - oracle["log_loss"],
                "auc": oracle["auc"] - model_on_same["auc"],
            })
        out[stage_name(stage)] = entry
    return out


def per_turn_section(scored: Sequence[ScoredConversation], max_turn: int = 20, min_conversations: int = 30,
                     baseline: dict[int, np.ndarray] | None = None) -> list[dict[str, Any]]:
    """Metrics of the prediction after turn t, over the conversations that have a turn t; with
    `baseline` (agent.training.baseline.TfidfBaseline.predict_turns), the baseline's on the same prefixes.

    This is the question the agent answers live: what it knows after t turns, not knowing how many will
    follow. A stage reads each call at a share of its final length, so a stage's prefixes are picked by
    the call's future length; a model fitted on stage prefixes (as the baseline is) learns that choice."""
    rows = []
    for t in range(1, max_turn + 1):
        have = [s for s in scored if len(s) >= t]
        if len(have) < min_conversations:
            break
        y = np.array([s.outcome for s in have], dtype=np.float64)
        p = np.array([s.probability[t - 1] for s in have])
        row = {"turn": t, **_rounded(classification_metrics(y, p))}
        if baseline is not None:
            row["baseline"] = _rounded(classification_metrics(y, baseline[t]))
        rows.append(row)
    return rows


def ood_section(in_domain: Sequence[ScoredConversation], out_domain: Sequence[ScoredConversation],
                file: str) -> dict[str, Any]:
    """Positives: the out-of-domain conversations; score: the final turn's distance (higher = less familiar)."""
    d_in = np.array([s.ood_distance[-1] for s in in_domain])
    d_out = np.array([s.ood_distance[-1] for s in out_domain])
    ind_in = np.array([s.in_distribution[-1] for s in in_domain])
    ind_out = np.array([s.in_distribution[-1] for s in out_domain])
    y = np.concatenate([np.zeros(len(d_in)), np.ones(len(d_out))])
    from salesrl.agent.coach import UNFAMILIAR

    return {
        "file": Path(file).name,
        "conversations": len(out_domain),
        "auroc": _round(auc(y, np.concatenate([d_in, d_out]))),
        "mean_in_distribution": {"data": _round(float(ind_in.mean())), "ood": _round(float(ind_out.mean()))},
        "flagged_unfamiliar": {"data": _round(float((ind_in < UNFAMILIAR).mean())),
                               "ood": _round(float((ind_out < UNFAMILIAR).mean()))},
    }


def evaluate(agent: "SalesAgent", data: str, *, train: str | None = None, ood: str | None = None,
             max_turn: int = 20, min_conversations: int = 30, latency_turns: int = 200,
             cache: Path | None = None, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The whole report as one JSON-able dict (the `--format json` of `salesrl eval`)."""
    from salesrl.agent.dataset import read_dataset

    say = progress or (lambda _msg: None)
    convs = read_dataset(data, labelled=True)
    if len({c.outcome for c in convs}) < 2:
        raise DatasetError(f"{data}: every conversation has the same outcome; AUC needs won and lost deals")
    say(f"scoring {len(convs)} conversations")
    scored = score_dataset(agent, convs, cache=cache)
    baseline_probs = baseline_turns = None
    baseline_info = None
    if train is not None:
        from salesrl.agent.training.baseline import TfidfBaseline

        say("fitting the TF-IDF baseline")
        train_convs = read_dataset(train, labelled=True)
        bl = TfidfBaseline().fit(train_convs)
        baseline_probs = bl.predict_stages(convs)
        baseline_turns = bl.predict_turns(convs, max_turn)
        baseline_info = {"file": Path(train).name, "conversations": len(train_convs), **bl.describe()}
    y = np.array([c.outcome for c in convs], dtype=np.float64)
    p_final = at_stage(scored, 1.0, "probability")
    report: dict[str, Any] = {
        "model": agent.policy.summary(),
        "data": {"file": Path(data).name, "conversations": len(convs),
                 "turns": int(sum(len(c.turns) for c in convs)), "positive_rate": _round(float(y.mean())),
                 "has_p_true": any(c.p_true for c in convs)},
        "stage_definition": "prediction after turn ceil(stage x turns), at least 1",
        "stages": stage_section(scored, baseline_probs),
        "per_turn": per_turn_section(scored, max_turn, min_conversations, baseline_turns),
        "reliability": {"stage": "100%", "model": reliability(y, p_final).to_dict()},
    }
    if baseline_probs is not None:
        report["baseline"] = baseline_info
        report["reliability"]["baseline"] = reliability(y, baseline_probs[1.0]).to_dict()
    if ood is not None:
        ood_convs = read_dataset(ood)
        say(f"scoring {len(ood_convs)} out-of-domain conversations")
        report["ood"] = ood_section(scored, score_dataset(agent, ood_convs, cache=cache), ood)
    say("measuring latency")
    report["latency"] = measure_latency(agent, convs, max_turns=latency_turns).to_dict()
    return report
