"""The trained policy, run with onnxruntime: per state, the conversion probability, its uncertainty,
an in-distribution score, and the value of each rep move class.

A model directory holds `policy.onnx`, `lexical.npz` (agent.lexical), `sequence.npz` (agent.sequence),
`metadata.json` and `MODEL_CARD.md`. The metadata names the
embedder (id, dimension, checksum) and the feature schema the policy was trained on; loading it
for another embedder or schema is a ModelError.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from salesrl.agent.embedder import MODELS_DIR
from salesrl.agent.errors import ModelError
from salesrl.agent.features import FEATURE_SCHEMA_VERSION, PAST_K, state_dim
from salesrl.agent.lexical import LexicalModel
from salesrl.agent.sequence import SequenceModel

DEFAULT_MODEL_DIR = MODELS_DIR / "policy"
_CHAIN = {True: np.array(True), False: np.array(False)}  # the graph's `chain` input, made once


@dataclass(frozen=True)
class PolicyOutput:
    probability: np.ndarray  # (n,)
    uncertainty: np.ndarray  # (n,) standard deviation across the ensemble
    in_distribution: np.ndarray  # (n,) 1 = typical of training states, 0 = beyond all of them
    ood_distance: np.ndarray  # (n,) the raw distance the score comes from
    action_values: np.ndarray  # (n, moves) P(convert) after each rep move; empty when not trained


class InDistributionScore:
    """min(1, 10 x the share of training states at least this far from the training data's centre).

    `tail` holds the distances of the training states (three turns in or later) at the 90.0, 90.1,
    ..., 100th percentiles, so a state inside the closest 90% scores 1, one at the 99th percentile
    scores 0.1, one beyond all of them 0. Built once per policy: a live turn asks for one score.
    """

    def __init__(self, tail: list[float]):
        self.distances = np.asarray(tail, dtype=np.float64)
        self.shares = np.linspace(0.10, 0.0, len(self.distances))

    def __call__(self, distance: np.ndarray) -> np.ndarray:
        share_beyond = np.interp(distance, self.distances, self.shares, left=0.10, right=0.0)
        return np.minimum(np.maximum(share_beyond * 10.0, 0.0), 1.0)  # np.clip, at half its cost on one number


class Policy:
    def __init__(self, session: Any, metadata: dict[str, Any], model_dir: Path, lexical: LexicalModel,
                 sequence: SequenceModel):
        self._session = session
        self.lexical = lexical
        self.sequence = sequence
        self.metadata = metadata
        self.model_dir = model_dir
        self.moves: tuple[str, ...] = tuple(metadata.get("moves", ()))
        self.has_action_values = bool(metadata.get("action_values", False))
        self.in_distribution = InDistributionScore(metadata["ood"]["tail"])
        # Graphs exported before issue 31 take the states alone and cannot chain them (agent.training.export).
        self.can_chain = "chain" in {i.name for i in session.get_inputs()}

    @classmethod
    def load(cls, model_dir: str | Path | None = None, *, threads: int = 1) -> "Policy":
        import onnxruntime as ort

        model_dir = Path(model_dir) if model_dir else DEFAULT_MODEL_DIR
        meta_path, onnx_path = model_dir / "metadata.json", model_dir / "policy.onnx"
        if not meta_path.is_file() or not onnx_path.is_file():
            raise ModelError(f"{model_dir} is not a SalesRL model directory (needs policy.onnx and metadata.json)")
        try:
            metadata = json.loads(meta_path.read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise ModelError(f"{meta_path}: unreadable metadata ({e})") from None
        schema = metadata.get("feature_schema_version")
        if schema != FEATURE_SCHEMA_VERSION:
            raise ModelError(
                f"{model_dir} was trained on feature schema {schema}; this SalesRL uses {FEATURE_SCHEMA_VERSION}: retrain it"
            )
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        try:
            session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own exception types for corrupt files
            raise ModelError(f"{onnx_path}: cannot load the policy ({str(e).splitlines()[0]})") from None
        return cls(session, metadata, model_dir, LexicalModel.load(model_dir), SequenceModel.load(model_dir))

    @property
    def embedder(self) -> dict[str, Any]:
        return self.metadata["embedder"]

    def check_embedder(self, embedder_id: str, dim: int, checksum: str) -> None:
        want = self.embedder
        if want["id"] != embedder_id or int(want["dim"]) != dim or want.get("checksum") != checksum:
            raise ModelError(
                f"the policy in {self.model_dir} was trained with embedder {want['id']} ({want['dim']}-d); "
                f"it cannot run with {embedder_id} ({dim}-d)"
            )
        if int(self.metadata["state_dim"]) != state_dim(dim):
            raise ModelError(f"the policy in {self.model_dir} expects {self.metadata['state_dim']} features")

    def predict(self, states: np.ndarray) -> PolicyOutput:
        """Each state as given, its `past` block included."""
        return self._run(states, chain=False)

    def predict_chain(self, states: np.ndarray) -> PolicyOutput:
        """One conversation's consecutive states in one call: the first keeps its `past` block, each later
        one gets the probabilities this policy gives the states before it, as a live session records them
        (agent.features.past_features). The same outputs as predicting them one at a time."""
        states = np.array(states, dtype=np.float32, ndmin=2)  # a copy: the fallback below writes into it
        if self.can_chain or len(states) <= 1:
            return self._run(states, chain=True)
        recent = states[0, -PAST_K:].copy()  # `past` is the state's last block, most recent first
        outputs = []
        for state in states:
            state[-PAST_K:] = recent
            outputs.append(self._run(state, chain=False))
            recent = np.r_[outputs[-1].probability[:1], recent[:-1]].astype(np.float32)
        return PolicyOutput(*(np.concatenate([getattr(o, f.name) for o in outputs]) for f in fields(PolicyOutput)))

    def _run(self, states: np.ndarray, chain: bool) -> PolicyOutput:
        states = np.ascontiguousarray(states, dtype=np.float32)
        if states.ndim == 1:
            states = states[None, :]
        feeds = {"state": states, "chain": _CHAIN[chain]} if self.can_chain else {"state": states}
        mean, spread, distance = self._session.run(None, feeds)
        return PolicyOutput(
            probability=mean[:, 0].astype(np.float64),
            uncertainty=spread[:, 0].astype(np.float64),
            in_distribution=self.in_distribution(distance),
            ood_distance=distance.astype(np.float64),
            action_values=mean[:, 1:].astype(np.float64) if self.has_action_values else np.zeros((len(states), 0)),
        )

    def summary(self) -> dict[str, Any]:
        """What a ScoreResult reports about the model that produced it."""
        m = self.metadata
        return {
            "id": m.get("id"),
            "algo": m.get("algo"),
            "embedder": m["embedder"]["id"],
            "feature_schema_version": m.get("feature_schema_version"),
            "trained_on": m.get("training", {}).get("data_summary"),
        }
