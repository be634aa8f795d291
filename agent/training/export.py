"""Writes a trained ensemble into `policy.onnx` with the in-distribution statistics of its training
states, so the runtime needs nothing but onnxruntime.

Graph (N states and a bool `chain` in, float32):
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

With `chain` false the N states are independent, each with the `past` block it was given. With `chain` true
they are one conversation's turns in order: the first state keeps its `past` block (the probabilities before
it) and each later one gets the probabilities the graph itself gave the turns before it, exactly as a live
session records them (agent.features.past_features). That is one onnxruntime call for a whole transcript
instead of one a turn: a Loop over the turns runs only what depends on the `past` block (its share of the first
layer, then the small layers after it), while the first layer's share of everything else, the skip block, the
calibration and the distance are computed for all N states at once. `past` is the state's last block.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from salesrl.agent.features import PAST_K
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
    past = d - PAST_K  # first column of the `past` block
    calib = [float(v) for v in w["calibration"]]
    col = int(w["calibration_col"])
    skip_col = int(w["skip_col"])
    w1 = w["w1"].transpose(1, 0, 2).reshape(d, e * h1).astype(np.float32)
    mean, std = w["mean"].astype(np.float32), w["std"].astype(np.float32)
    inits: dict[str, np.ndarray] = {
        "b1": w["b1"].reshape(e * h1).astype(np.float32),
        "mean_rest": mean[:past], "std_rest": std[:past], "w1_rest": w1[:past],
        "mean_past": mean[past:], "std_past": std[past:], "w1_past": w1[past:],
        "rest_starts": np.array([0], dtype=np.int64), "rest_ends": np.array([past], dtype=np.int64),
        "past_starts": np.array([past], dtype=np.int64), "past_ends": np.array([d], dtype=np.int64),
        "axis0": np.array([0], dtype=np.int64), "one": np.array([1], dtype=np.int64),
        "kept_past": np.array([PAST_K - 1], dtype=np.int64), "go": np.array(True),
        "h1_shape": np.array([-1, e, h1], dtype=np.int64),
        "w2": w["w2"].astype(np.float32), "b2": w["b2"].astype(np.float32),
        "w3": w["w3"].astype(np.float32), "b3": w["b3"].astype(np.float32),
        "ood_centre": ood.centre, "ood_components": ood.components,
        "ood_components_t": np.ascontiguousarray(ood.components.T), "ood_inv_var": ood.inv_variance,
        "ood_k": np.array(float(len(ood.inv_variance)), dtype=np.float32),
        "ood_residual_mean": np.array(ood.residual_mean, dtype=np.float32),
        "two": np.array(2.0, dtype=np.float32),
        "ood_starts": np.array([ood.block[0]], dtype=np.int64), "ood_ends": np.array([ood.block[1]], dtype=np.int64),
        "axis1": np.array([1], dtype=np.int64), "axis2": np.array([2], dtype=np.int64),
        "skip_weight": w["skip_weight"].astype(np.float32).reshape(e, SKIP_WIDTH, 1),
        "skip_starts": np.array([skip_col], dtype=np.int64), "skip_ends": np.array([skip_col + SKIP_WIDTH], dtype=np.int64),
        "calib_starts": np.array([col], dtype=np.int64), "calib_ends": np.array([col + 1], dtype=np.int64),
        **{f"calib_{name}": np.array(value, dtype=np.float32)
           for name, value in zip(("a0", "a1", "a2", "b0", "b1", "b2"), calib, strict=True)},
    }
    n = helper.make_node

    def layers_after_first(z1: str, tag: str) -> list[onnx.NodeProto]:
        """The first layer's pre-activation (rows, members x hidden1) -> `mlp_logits{tag}` (members, rows, outputs)."""
        return [
            n("Relu", [z1], [f"h1{tag}"]),
            n("Reshape", [f"h1{tag}", "h1_shape"], [f"h1r{tag}"]), n("Transpose", [f"h1r{tag}"], [f"h1t{tag}"], perm=[1, 0, 2]),
            n("MatMul", [f"h1t{tag}", "w2"], [f"a2{tag}"]), n("Add", [f"a2{tag}", "b2"], [f"z2{tag}"]),
            n("Relu", [f"z2{tag}"], [f"h2{tag}"]),
            n("MatMul", [f"h2{tag}", "w3"], [f"a3{tag}"]), n("Add", [f"a3{tag}", "b3"], [f"mlp_logits{tag}"]),
        ]

    # The first layer in two parts, as the chain needs them: the `past` block's share is added to the rest's.
    first_layer = [
        n("Slice", ["state", "rest_starts", "rest_ends", "axis1"], ["rest"]),
        n("Sub", ["rest", "mean_rest"], ["rest_c"]), n("Div", ["rest_c", "std_rest"], ["rest_n"]),
        n("MatMul", ["rest_n", "w1_rest"], ["rest_a1"]), n("Add", ["rest_a1", "b1"], ["rest_z1"]),
    ]

    # Each state as given.
    given = helper.make_graph(
        [n("Slice", ["state", "past_starts", "past_ends", "axis1"], ["past_block"]),
         n("Sub", ["past_block", "mean_past"], ["past_c"]), n("Div", ["past_c", "std_past"], ["past_n"]),
         n("MatMul", ["past_n", "w1_past"], ["past_a1"]), n("Add", ["rest_z1", "past_a1"], ["z1"]),
         *layers_after_first("z1", ""), n("Identity", ["mlp_logits"], ["given_logits"])],
        "given", [], [helper.make_tensor_value_info("given_logits", TensorProto.FLOAT, None)])

    # One turn of a chain: the `past` block carried from the turn before. Reads `rest_z1`, `skip_logits`,
    # `calib_scale` and `calib_shift` (all N rows) from the graph around it.
    turn = helper.make_graph(
        [n("Unsqueeze", ["t", "axis0"], ["ti"]),
         n("Sub", ["past_in", "mean_past"], ["pc"]), n("Div", ["pc", "std_past"], ["pn"]),
         n("MatMul", ["pn", "w1_past"], ["pa"]), n("Gather", ["rest_z1", "ti"], ["rest_t"], axis=0),
         n("Add", ["rest_t", "pa"], ["z1_t"]), *layers_after_first("z1_t", "_t"),
         n("Gather", ["skip_logits", "ti"], ["skip_t"], axis=1), n("Add", ["mlp_logits_t", "skip_t"], ["raw_t"]),
         n("Gather", ["calib_scale", "ti"], ["scale_t"], axis=0), n("Gather", ["calib_shift", "ti"], ["shift_t"], axis=0),
         n("Mul", ["raw_t", "scale_t"], ["scaled_t"]), n("Add", ["scaled_t", "shift_t"], ["logits_t"]),
         n("Sigmoid", ["logits_t"], ["p_t"]), n("ReduceMean", ["p_t"], ["pm_t"], axes=[0], keepdims=0),
         n("Slice", ["pm_t", "axis0", "one", "axis1"], ["p0_t"]),  # (1, 1): this turn's probability
         n("Slice", ["past_in", "axis0", "kept_past", "axis1"], ["older_t"]),
         n("Concat", ["p0_t", "older_t"], ["past_out"], axis=1),  # most recent first
         n("Identity", ["cond_in"], ["cond_out"]), n("Identity", ["mlp_logits_t"], ["turn_logits"])],
        "turn",
        [helper.make_tensor_value_info("t", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("past_in", TensorProto.FLOAT, [1, PAST_K])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("past_out", TensorProto.FLOAT, [1, PAST_K]),
         helper.make_tensor_value_info("turn_logits", TensorProto.FLOAT, None)])

    chained = helper.make_graph(
        [n("Slice", ["state", "axis0", "one", "axis0"], ["first"]),
         n("Slice", ["first", "past_starts", "past_ends", "axis1"], ["first_past"]),
         n("Shape", ["state"], ["state_shape"]), n("Gather", ["state_shape", "axis0"], ["turns_1d"], axis=0),
         n("Squeeze", ["turns_1d"], ["turns"]),
         n("Loop", ["turns", "go", "first_past"], ["last_past", "turn_logits_all"], body=turn),  # (N, members, 1, outputs)
         n("Squeeze", ["turn_logits_all", "axis2"], ["turn_logits_n"]),  # (N, members, outputs)
         n("Transpose", ["turn_logits_n"], ["chained_logits"], perm=[1, 0, 2])],
        "chained", [], [helper.make_tensor_value_info("chained_logits", TensorProto.FLOAT, None)])

    nodes = [
        n("Slice", ["state", "skip_starts", "skip_ends", "axis1"], ["skip"]),  # (N, 2)
        n("MatMul", ["skip", "skip_weight"], ["skip_logits"]),  # (members, N, 1)
        n("Slice", ["state", "calib_starts", "calib_ends", "axis1"], ["u"]),  # (N, 1) broadcasts over members
        n("Mul", ["u", "u"], ["u2"]),
        n("Mul", ["u", "calib_a1"], ["u_a1"]), n("Mul", ["u2", "calib_a2"], ["u2_a2"]),
        n("Add", ["u_a1", "u2_a2"], ["scale_u"]), n("Add", ["scale_u", "calib_a0"], ["calib_scale"]),
        n("Mul", ["u", "calib_b1"], ["u_b1"]), n("Mul", ["u2", "calib_b2"], ["u2_b2"]),
        n("Add", ["u_b1", "u2_b2"], ["shift_u"]), n("Add", ["shift_u", "calib_b0"], ["calib_shift"]),
        *first_layer,
        n("If", ["chain"], ["mlp_logits"], then_branch=chained, else_branch=given),  # (members, N, outputs)
        n("Add", ["mlp_logits", "skip_logits"], ["raw_logits"]),
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
        [helper.make_tensor_value_info("state", TensorProto.FLOAT, ["n", d]),
         helper.make_tensor_value_info("chain", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["n", outputs]),
         helper.make_tensor_value_info("spread", TensorProto.FLOAT, ["n", outputs]),
         helper.make_tensor_value_info("ood_distance", TensorProto.FLOAT, ["n"])],
        [numpy_helper.from_array(v, name=k) for k, v in inits.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="salesrl")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def read_graph(model: onnx.ModelProto) -> tuple[dict[str, np.ndarray], OodStats]:
    """The weights and distance statistics a graph of `build_graph` was built from (also one built before the
    `chain` input existed), so an exported model can be written again in the current graph layout
    (scripts/reexport_policy.py)."""
    g = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    for name in ("mean", "std", "w1"):
        if name not in g:  # the current layout keeps the `past` block's rows apart
            g[name] = np.concatenate([g[f"{name}_rest"], g[f"{name}_past"]])
    e, _, h1 = (int(v) for v in g["h1_shape"])
    d = g["w1"].shape[0]
    weights = {
        "mean": g["mean"], "std": g["std"],
        "w1": g["w1"].reshape(d, e, h1).transpose(1, 0, 2), "b1": g["b1"].reshape(e, 1, h1),
        "w2": g["w2"], "b2": g["b2"], "w3": g["w3"], "b3": g["b3"], "skip_weight": g["skip_weight"],
        "calibration": np.array([float(g[f"calib_{k}"]) for k in ("a0", "a1", "a2", "b0", "b1", "b2")]),
        "calibration_col": np.array(int(g["calib_starts"][0])), "skip_col": np.array(int(g["skip_starts"][0])),
    }
    ood = OodStats((int(g["ood_starts"][0]), int(g["ood_ends"][0])), g["ood_centre"], g["ood_components"],
                   g["ood_inv_var"], float(g["ood_residual_mean"]))
    return weights, ood


def write_model_dir(out: Path, weights: dict[str, np.ndarray], ood: OodStats, tail: list[float],
                    lexical: LexicalModel, sequence: SequenceModel, metadata: dict[str, Any], card: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    onnx.save(build_graph(weights, ood), str(out / "policy.onnx"))
    lexical.save(out)
    sequence.save(out)
    (out / "metadata.json").write_text(json.dumps({**metadata, "ood": {"tail": tail}}, indent=2) + "\n")
    (out / "MODEL_CARD.md").write_text(card)
