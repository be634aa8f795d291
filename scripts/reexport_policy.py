"""Write a model directory's policy.onnx again from its own weights, in the current graph layout.

Developer-only; needs onnx (the `train` extra). Nothing is retrained: the weights, calibration and
distance statistics are read out of the graph (agent.training.export.read_graph) and built into a new
one (build_graph), which is then checked to give the old graph's outputs within 1e-6 on the states of
the shipped examples before it replaces it.

    .venv/bin/python scripts/reexport_policy.py models/policy

Used for issue 31: graphs exported before it take the states alone; the current layout adds the `chain`
input, which scores a whole conversation in one onnxruntime call (Policy.predict_chain).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx

from salesrl.agent.embedder import load_embedder
from salesrl.agent.features import StateBuilder
from salesrl.agent.policy import Policy
from salesrl.agent.training.export import build_graph, read_graph
from salesrl.agent.transcript import parse_transcript

ROOT = Path(__file__).resolve().parent.parent
TOLERANCE = 1e-6


def example_states(policy: Policy) -> list[np.ndarray]:
    """Per shipped example, its states in order (the `past` block from the old graph's own outputs)."""
    embedder = load_embedder(policy.embedder["id"])
    out = []
    for path in sorted(p for p in (ROOT / "examples").iterdir() if p.name != "README.md"):
        turns = parse_transcript(path.read_bytes(), filename=path.name).turns
        builder = StateBuilder(embedder.dim, policy.lexical, policy.sequence)
        rows = []
        for turn, emb in zip(turns, embedder.embed([t.text for t in turns])):
            rows.append(builder.push(turn, emb))
            builder.record(float(policy.predict(rows[-1]).probability[0]))
        out.append(np.stack(rows))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model_dir", type=Path)
    args = ap.parse_args()
    old = Policy.load(args.model_dir)
    weights, ood = read_graph(onnx.load(str(args.model_dir / "policy.onnx")))
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "model"
        shutil.copytree(args.model_dir, staged)
        onnx.save(build_graph(weights, ood), str(staged / "policy.onnx"))
        new = Policy.load(staged)
        worst = 0.0
        for states in example_states(old):
            a = old.predict(states)
            for b in (new.predict(states), new.predict_chain(states)):
                for f in ("probability", "uncertainty", "ood_distance", "action_values"):
                    worst = max(worst, float(np.abs(getattr(a, f) - getattr(b, f)).max()))
        if worst > TOLERANCE:
            sys.exit(f"the new graph differs from the old one by {worst:.2e}: {args.model_dir} left as it was")
        shutil.copyfile(staged / "policy.onnx", args.model_dir / "policy.onnx")
    print(f"{args.model_dir / 'policy.onnx'}: written again; largest difference on the examples {worst:.2e}")


if __name__ == "__main__":
    main()
