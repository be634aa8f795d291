"""The simulated rep's policy: a stochastic choice of move per turn, a mix of what a skilled rep and an unskilled
rep would do at this stage, weighted by this rep's skill."""

from __future__ import annotations

import random

from salesrl.agent.moves import MOVES
from salesrl.agent.synth.buyer import BuyerState
from salesrl.agent.synth.scenario import Scenario

STAGES: tuple[str, ...] = ("opening", "discovery", "value", "pricing", "close", "wrap")

# Move weights per stage: (skilled rep, unskilled rep).
_STAGE_WEIGHTS: dict[str, tuple[dict[str, float], dict[str, float]]] = {
    "opening": (
        {"rapport": 0.9, "discovery_question": 0.1},
        {"rapport": 0.65, "feature_pitch": 0.3, "discovery_question": 0.05},
    ),
    "discovery": (
        {"discovery_question": 0.88, "social_proof": 0.06, "quantify_value": 0.06},
        {"discovery_question": 0.35, "feature_pitch": 0.37, "ask_for_close": 0.12, "present_pricing": 0.1,
         "rapport": 0.06},
    ),
    "value": (
        {"quantify_value": 0.45, "feature_pitch": 0.18, "social_proof": 0.25, "discovery_question": 0.12},
        {"feature_pitch": 0.6, "quantify_value": 0.1, "social_proof": 0.1, "ask_for_close": 0.1,
         "present_pricing": 0.1},
    ),
    "pricing": (
        {"present_pricing": 0.7, "quantify_value": 0.15, "social_proof": 0.15},
        {"present_pricing": 0.7, "ask_for_close": 0.2, "feature_pitch": 0.1},
    ),
    "close": (
        {"propose_next_step": 0.75, "ask_for_close": 0.25},
        {"ask_for_close": 0.55, "propose_next_step": 0.3, "feature_pitch": 0.15},
    ),
}


def stage_schedule(sc: Scenario, rng: random.Random) -> list[str]:
    """The stages of the rep's turns, in order, before any reaction to objections."""
    lf, skill = sc.length_factor, sc.rep_skill
    n_open = 1 + (rng.random() < 0.2)
    n_disc = max(0, min(6, round(lf * (0.3 + 3.5 * skill + rng.gauss(0.0, 0.8)))))
    n_value = max(1, min(7, round(lf * rng.uniform(1.0, 4.5))))
    n_price = 0 if rng.random() < 0.35 else 1 + (rng.random() < 0.3)
    n_close = 1 + (rng.random() < 0.35)
    return (["opening"] * n_open + ["discovery"] * n_disc + ["value"] * n_value
            + ["pricing"] * n_price + ["close"] * n_close)


def choose_move(stage: str, st: BuyerState, sc: Scenario, rng: random.Random) -> str:
    skill = sc.rep_skill
    if st.open_objection is not None and rng.random() < 0.2 + 0.75 * skill:
        return "handle_objection"
    good, bad = _STAGE_WEIGHTS[stage]
    weights = dict.fromkeys(MOVES, 0.0)
    for move, w in good.items():
        weights[move] += skill * w
    for move, w in bad.items():
        weights[move] += (1.0 - skill) * w
    # A skilled rep reads the buyer: depth for the technical evaluator, numbers for the CFO,
    # a close only when there are buying signals.
    if sc.persona.key == "technical_evaluator":
        weights["feature_pitch"] *= 1.0 + skill
    if sc.persona.key in ("economic_buyer", "busy_exec"):
        weights["quantify_value"] *= 1.0 + skill
    if stage == "close" and len(st.signals) >= 2:
        weights["ask_for_close"] += skill * 0.6
    if st.closes_asked:
        weights["ask_for_close"] *= 0.4
    moves = [m for m in MOVES if weights[m] > 0]
    return rng.choices(moves, weights=[weights[m] for m in moves])[0]


def is_monologue(action: str, sc: Scenario, rng: random.Random) -> bool:
    """Does the rep talk on and on this turn? Unskilled reps do, mostly when pitching."""
    if action in ("rapport", "discovery_question", "ask_for_close"):
        return False
    base = 0.03 + 0.25 * (1.0 - sc.rep_skill)
    if action == "feature_pitch":
        base *= 1.6
    return rng.random() < base
