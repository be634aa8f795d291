"""Writes a trained ensemble into `policy.onnx` with the in-distribution statistics of its training
states, so the runtime needs nothing but onnxruntime.

Graph (N states in, float32):
    xn            = (state - mean) / std
    raw           = ensemble MLP(xn) + skip_weight . the state's lexical and sequence scores   (members, N, outputs)
    logits        = raw * (a0 + a1 u + a2 u^2) + (b0 + b1 u + b2 u^2); u = the state's log turn index, (a, b) the
                    calibration fitted on held-out calls
    probabilities = mean over members of sigmoid(logits)   (N, outputs)
    spread        = std over members of sigmoid(logits)    (N, outputs)
    ood_distance  = on the state's conversation_mean block (what the conversation is about):
                    (Mahalanobis in the top-k principal components of the training states / k
                     + residual outside them / its training mean) / 2     (N,)

The distance is measured on the conversation's mean embedding, not the whole state: whole-state
distances are dominated by how far along a call is, and rank another domain's calls poorly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from salesrl.agent.lexical import LexicalModel
from salesrl.agent.sequence import SequenceModel
from salesrl.agent.training.network import SKIP_WIDTH

OPSET = 17
OOD_COMPONENTS = 32


@dataclass(frozen=True)
class OodStats:
    block: tuple[int, int]  # [start, stop) of the state block the distance is measured on
    centre: np.ndarray  # (d,)
    components: np.ndarray  # (d, k)
    inv_variance: np.ndarray  # (k,)
    residual_mean: float

    @classmethod
    def fit(cls, states: np.ndarray, block: tuple[int, int], k: int = OOD_COMPONENTS, seed: int = 0) -> "OodStats":
        rng = np.random.default_rng(seed)
        x = states[:, block[0]:block[1]]
        sample = x[rng.choice(len(x), size=min(len(x), 20000), replace=False)].astype(np.float64)
        centre = sample.mean(axis=0)
        c = sample - centre
        _, s, vt = np.linalg.svd(c, full_matrices=False)
        k = min(k, vt.shape[0])
        comps = vt[:k].T
        var = (s[:k] ** 2) / max(len(sample) - 1, 1)
        resid = c - (c @ comps) @ comps.T
        return cls(block, centre.astype(np.float32), comps.astype(np.float32),
                   (1.0 / np.maximum(var, 1e-6)).astype(np.float32),
                   float(max((resid ** 2).sum(axis=1).mean(), 1e-6)))

    def distance(self, states: np.ndarray) -> np.ndarray:
        """The same distance as the graph computes, in numpy (for the tail statistics)."""
        c = states[:, self.block[0]:self.block[1]] - self.centre
        z = c @ self.components
        maha = (z * z * self.inv_variance).sum(axis=1) / len(self.inv_variance)
        r = c - z @ self.components.T
        return (maha + (r * r).sum(axis=1) / self.residual_mean) / 2.0


def tail_quantiles(distances: np.ndarray) -> list[float]:
    """Training distances at the 90.0, 90.1, ..., 100th percentiles (see agent.policy)."""
    return [float(x) for x in np.percentile(distances, np.linspace(90.0, 100.0, 101))]


def build_graph(w: dict[str, np.ndarray], ood: OodStats) -> onnx.ModelProto:
    e, d, h1 = w["w1"].shape
    calib = [float(v) for v in w["calibration"]]
    col = int(w["calibration_col"])
    skip_col = int(w["skip_col"])
    inits: dict[str, np.ndarray] = {
        "mean": w["mean"].astype(np.float32),
        "std": w["std"].astype(np.float32),
        "w1": w["w1"].transpose(1, 0, 2).reshape(d, e * h1).astype(np.float32),
        "b1": w["b1"].reshape(e * h1).astype(np.float32),
        "h1_shape": np.array([-1, e, h1], dtype=np.int64),
        "w2": w["w2"].astype(np.float32), "b2": w["b2"].astype(np.float32),
        "w3": w["w3"].astype(np.float32), "b3": w["b3"].astype(np.float32),
        "ood_centre": ood.centre, "ood_components": ood.components,
        "ood_components_t": np.ascontiguousarray(ood.components.T), "ood_inv_var": ood.inv_variance,
        "ood_k": np.array(float(len(ood.inv_variance)), dtype=np.float32),
        "ood_residual_mean": np.array(ood.residual_mean, dtype=np.float32),
        "two": np.array(2.0, dtype=np.float32),
        "ood_starts": np.array([ood.block[0]], dtype=np.int64), "ood_ends": np.array([ood.block[1]], dtype=np.int64),
        "axis1": np.array([1], dtype=np.int64),
        "skip_weight": w["skip_weight"].astype(np.float32).reshape(e, SKIP_WIDTH, 1),
        "skip_starts": np.array([skip_col], dtype=np.int64), "skip_ends": np.array([skip_col + SKIP_WIDTH], dtype=np.int64),
        "calib_starts": np.array([col], dtype=np.int64), "calib_ends": np.array([col + 1], dtype=np.int64),
        **{f"calib_{name}": np.array(value, dtype=np.float32)
           for name, value in zip(("a0", "a1", "a2", "b0", "b1", "b2"), calib, strict=True)},
    }
    n = helper.make_node
    nodes = [
        n("Sub", ["state", "mean"], ["centred"]), n("Div", ["centred", "std"], ["xn"]),
        n("MatMul", ["xn", "w1"], ["a1"]), n("Add", ["a1", "b1"], ["z1"]), n("Relu", ["z1"], ["h1"]),
        n("Reshape", ["h1", "h1_shape"], ["h1r"]), n("Transpose", ["h1r"], ["h1t"], perm=[1, 0, 2]),
        n("MatMul", ["h1t", "w2"], ["a2"]), n("Add", ["a2", "b2"], ["z2"]), n("Relu", ["z2"], ["h2"]),
        n("MatMul", ["h2", "w3"], ["a3"]), n("Add", ["a3", "b3"], ["mlp_logits"]),
        n("Slice", ["state", "skip_starts", "skip_ends", "axis1"], ["skip"]),  # (N, 2)
        n("MatMul", ["skip", "skip_weight"], ["skip_logits"]),  # (members, N, 1)
        n("Add", ["mlp_logits", "skip_logits"], ["raw_logits"]),
        n("Slice", ["state", "calib_starts", "calib_ends", "axis1"], ["u"]),  # (N, 1) broadcasts over members
        n("Mul", ["u", "u"], ["u2"]),
        n("Mul", ["u", "calib_a1"], ["u_a1"]), n("Mul", ["u2", "calib_a2"], ["u2_a2"]),
        n("Add", ["u_a1", "u2_a2"], ["scale_u"]), n("Add", ["scale_u", "calib_a0"], ["calib_scale"]),
        n("Mul", ["u", "calib_b1"], ["u_b1"]), n("Mul", ["u2", "calib_b2"], ["u2_b2"]),
        n("Add", ["u_b1", "u2_b2"], ["shift_u"]), n("Add", ["shift_u", "calib_b0"], ["calib_shift"]),
        n("Mul", ["raw_logits", "calib_scale"], ["scaled_logits"]), n("Add", ["scaled_logits", "calib_shift"], ["logits"]),
        n("Sigmoid", ["logits"], ["p"]),
        n("ReduceMean", ["p"], ["probabilities"], axes=[0], keepdims=0),
        n("ReduceMean", ["p"], ["p_mean"], axes=[0], keepdims=1),
        n("Sub", ["p", "p_mean"], ["p_dev"]), n("Mul", ["p_dev", "p_dev"], ["p_sq"]),
        n("ReduceMean", ["p_sq"], ["p_var"], axes=[0], keepdims=0), n("Sqrt", ["p_var"], ["spread"]),
        n("Slice", ["state", "ood_starts", "ood_ends", "axis1"], ["ood_block"]),
        n("Sub", ["ood_block", "ood_centre"], ["oc"]), n("MatMul", ["oc", "ood_components"], ["oz"]),
        n("Mul", ["oz", "oz"], ["oz2"]), n("Mul", ["oz2", "ood_inv_var"], ["ozw"]),
        n("ReduceSum", ["ozw", "axis1"], ["maha_sum"], keepdims=0), n("Div", ["maha_sum", "ood_k"], ["maha"]),
        n("MatMul", ["oz", "ood_components_t"], ["orec"]), n("Sub", ["oc", "orec"], ["ores"]),
        n("Mul", ["ores", "ores"], ["ores2"]), n("ReduceSum", ["ores2", "axis1"], ["resid_sum"], keepdims=0),
        n("Div", ["resid_sum", "ood_residual_mean"], ["resid"]), n("Add", ["maha", "resid"], ["ood_sum"]),
        n("Div", ["ood_sum", "two"], ["ood_distance"]),
    ]
    outputs = w["w3"].shape[2]
    graph = helper.make_graph(
        nodes, "salesrl_policy",
        [helper.make_tensor_value_info("state", TensorProto.FLOAT, ["n", d])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["n", outputs]),
         helper.make_tensor_value_info("spread", TensorProto.FLOAT, ["n", outputs]),
         helper.make_tensor_value_info("ood_distance", TensorProto.FLOAT, ["n"])],
        [numpy_helper.from_array(v, name=k) for k, v in inits.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="salesrl")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def write_model_dir(out: Path, weights: dict[str, np.ndarray], ood: OodStats, tail: list[float],
                    lexical: LexicalModel, sequence: SequenceModel, metadata: dict[str, Any], card: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    onnx.save(build_graph(weights, ood), str(out / "policy.onnx"))
    lexical.save(out)
    sequence.save(out)
    (out / "metadata.json").write_text(json.dumps({**metadata, "ood": {"tail": tail}}, indent=2) + "\n")
    (out / "MODEL_CARD.md").write_text(card)
