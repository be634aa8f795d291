"""The simulated buyer: a latent buying propensity (log-odds) that moves with what the rep does, and the choice of
what the prospect says next, drawn from that latent state with noise.

Effects in words (all in log-odds, before persona modulation and noise):
  discovery early             +0.3, fading with each further question; late or endless questioning hurts
  value quantified on a pain  +0.5 (the CFO and the busy exec weigh it more, the technical evaluator less)
  value with no pain known    +0.1
  feature pitch               -0.1, worse in a row (feature dumping) or before any pain is known;
                              the technical evaluator rewards depth on a known pain
  objection handled           +0.45; ignoring an open objection and moving on -0.45
  social proof                +0.25, fading when repeated, more from the same industry
  pricing before value        -0.35; after value about neutral
  next step after value       +0.4
  closing before value        -0.7 (pushy); closing when the buyer is ready +0.3
  a monologue                 -0.25 (worse for the busy exec)

And what the buyer says commits them (DECISION_EFFECT): a yes to a close +1.5, a no -1.5, as a real buyer's word
moves the deal. A "not now" opens an objection (authority or timing) and costs through it when it is left open.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from salesrl.agent.synth.catalog import OBJECTION_TYPES, SIGNAL_TYPES
from salesrl.agent.synth.scenario import Scenario

# Added to every scenario's prior so that about 35-55% of calls convert.
BASE_LOG_ODDS = -0.45
MOVE_NOISE = 0.12
PROSPECT_DRIFT = 0.08
ENGAGEMENT_NOISE = 0.9
# How sharply the pains a prospect describes reflect the scenario's hidden fit (log-odds noise on each telling).
SEVERITY_NOISE = 0.5
SEVERITIES = ("mild", "moderate", "acute")
# How a buyer's answer to a close moves their own log-odds (buyer-v2). In buyer-v1 it moved nothing, so a refused
# call still converted 33% of the time and an accepted one 74%; now 16% and 89% (5,000 calls, seed 2).
DECISION_EFFECT: dict[str, float] = {"accept_close": 1.5, "reject_close": -1.5}


def decision_effect(intent: str) -> float:
    """How much a prospect turn with this intent moves the buyer's log-odds (before drift): only a decision does."""
    return DECISION_EFFECT.get(intent, 0.0)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@dataclass
class BuyerState:
    """What the simulated buyer has seen so far. Mutable, private to one simulation run."""

    z: float
    rep_turns: int = 0
    discovery_count: int = 0
    pains_known: int = 0
    quantified: int = 0
    pitches_in_row: int = 0
    proof_count: int = 0
    pricing_shown: bool = False
    next_steps_proposed: int = 0
    next_step_agreed: bool = False
    closes_asked: int = 0
    close_accepted: bool = False
    open_objection: str | None = None
    objection_repeats: int = 0
    handled: int = 0
    signals: list[str] = field(default_factory=list)

    @property
    def p(self) -> float:
        return sigmoid(self.z)

    @property
    def value_shown(self) -> bool:
        return self.quantified > 0 or self.proof_count > 0


def move_effect(action: str, stage: str, st: BuyerState, sc: Scenario, monologue: bool) -> float:
    """The change of the buyer's log-odds caused by one rep move, before noise."""
    persona = sc.persona.key
    d = 0.0
    if action == "rapport":
        if stage == "wrap":
            d = 0.0
        elif st.rep_turns == 0:
            d = 0.1 if persona != "busy_exec" else 0.0
        else:
            d = -0.05 if st.rep_turns < 3 else -0.2
            if persona == "busy_exec":
                d -= 0.1
    elif action == "discovery_question":
        if st.discovery_count < 4 and not st.pricing_shown and st.rep_turns < 9:
            d = 0.3 * 0.8 ** st.discovery_count
            if persona == "champion":
                d *= 1.3
            if persona == "busy_exec" and st.discovery_count >= 2:
                d = -0.15
        else:
            d = -0.12
    elif action == "quantify_value":
        d = 0.5 if st.pains_known else 0.1
        if st.quantified >= 2:
            d *= 0.5
        d *= {"economic_buyer": 1.6, "busy_exec": 1.3, "technical_evaluator": 0.7}.get(persona, 1.0)
    elif action == "feature_pitch":
        d = -0.1 - 0.2 * min(st.pitches_in_row, 3)
        if not st.pains_known:
            d -= 0.1
        if persona == "technical_evaluator":
            d += 0.35 if st.pains_known else 0.15
        elif persona in ("economic_buyer", "busy_exec"):
            d -= 0.1
    elif action == "handle_objection":
        if st.open_objection is not None:
            d = 0.45 * 0.7 ** st.objection_repeats
            if persona == "procurement":
                d *= 1.3
            if persona == "economic_buyer" and st.open_objection == "price":
                d *= 1.2
        else:
            d = -0.05
    elif action == "social_proof":
        d = 0.25 * 0.6 ** st.proof_count
        if sc.reference_same_industry:
            d += 0.1
        d *= {"procurement": 1.4, "economic_buyer": 1.2, "busy_exec": 1.1}.get(persona, 1.0)
    elif action == "present_pricing":
        d = 0.05 if st.value_shown else -0.35
        if not st.pains_known:
            d -= 0.15
        if persona == "procurement":
            d -= 0.1
    elif action == "propose_next_step":
        if stage == "wrap" and st.close_accepted:
            d = 0.2
        elif st.next_steps_proposed:
            d = 0.05
        elif st.value_shown and st.pains_known:
            d = 0.4
        elif st.pains_known:
            d = 0.1
        else:
            d = -0.1
    elif action == "ask_for_close":
        if not st.value_shown or st.discovery_count == 0 or st.rep_turns < 4:
            d = -0.7
        elif st.next_step_agreed or st.z > 0.5:
            d = 0.3
        else:
            d = -0.25
        if st.closes_asked:
            d -= 0.2
        if persona == "procurement":
            d -= 0.2
    else:
        raise ValueError(f"unknown move {action!r}")
    if st.open_objection is not None and action != "handle_objection":
        d -= 0.45
    if monologue:
        d -= 0.4 if persona == "busy_exec" else 0.25
    return d


def record_move(action: str, st: BuyerState) -> None:
    """Update the buyer's memory after a rep move (after its effect has been applied)."""
    st.rep_turns += 1
    st.pitches_in_row = st.pitches_in_row + 1 if action == "feature_pitch" else 0
    if action == "discovery_question":
        st.discovery_count += 1
    elif action == "quantify_value":
        st.quantified += 1
    elif action == "social_proof":
        st.proof_count += 1
    elif action == "present_pricing":
        st.pricing_shown = True
    elif action == "propose_next_step":
        st.next_steps_proposed += 1
    elif action == "ask_for_close":
        st.closes_asked += 1
    if st.open_objection is not None:
        st.objection_repeats += 1  # answering the same concern again is worth less each time
        if action == "handle_objection":
            st.handled += 1


@dataclass(frozen=True)
class Response:
    intent: str
    detail: str = ""  # objection or signal type, question topic, pain
    engagement: str = "medium"  # "low", "medium", "high": how engaged the prospect sounds
    length: str = "medium"  # "short", "medium", "long"


QUESTION_TOPICS: tuple[str, ...] = ("integration", "security", "onboarding", "support", "reporting", "contract")


def pain_severity(fit: float, rng: random.Random) -> str:
    """How much a pain hurts as the prospect tells it: the scenario's fit, seen through noise. Where the product
    fits, the pains it addresses are the ones that cost real money; where it does not, they are annoyances."""
    x = fit + rng.gauss(0.0, SEVERITY_NOISE)
    return "acute" if x > 0.35 else "mild" if x < -0.35 else "moderate"


def _engagement(st: BuyerState, rng: random.Random) -> float:
    return sigmoid(st.z + rng.gauss(0.0, ENGAGEMENT_NOISE))


def _level(e: float) -> str:
    return "high" if e > 0.66 else "low" if e < 0.33 else "medium"


def _length(e: float, sc: Scenario, rng: random.Random) -> str:
    x = 0.55 * e + 0.45 * sc.prospect_talkative + rng.gauss(0.0, 0.15)
    return "long" if x > 0.62 else "short" if x < 0.35 else "medium"


def _objection_type(sc: Scenario, st: BuyerState, rng: random.Random) -> str:
    w = dict(sc.persona.objection_weights)
    if not st.pricing_shown:
        w["price"] *= 0.5
    return rng.choices(OBJECTION_TYPES, weights=[w[t] for t in OBJECTION_TYPES])[0]


def _signal_type(st: BuyerState, rng: random.Random) -> str:
    weights = [0.5 if s in st.signals else 1.0 for s in SIGNAL_TYPES]
    return rng.choices(SIGNAL_TYPES, weights=weights)[0]


def _question_topic(sc: Scenario, rng: random.Random) -> str:
    weights: tuple[float, ...]
    if sc.persona.key == "technical_evaluator":
        weights = (3, 3, 1.5, 1, 1, 0.5)
    elif sc.persona.key in ("procurement", "economic_buyer"):
        weights = (1, 1, 1, 1, 1.5, 3)
    else:
        weights = (1.5, 1, 2, 1.5, 1.5, 1)
    return rng.choices(QUESTION_TOPICS, weights=weights)[0]


def respond(action: str, stage: str, st: BuyerState, sc: Scenario, rng: random.Random) -> Response:
    """What the prospect does after the rep's move, drawn from the latent state with noise.

    Updates the buyer's memory (open objection, known pains, signals) to match what was said."""
    e = _engagement(st, rng)
    lvl, length = _level(e), _length(e, sc, rng)

    def objection() -> Response:
        t = _objection_type(sc, st, rng)
        st.open_objection = t
        st.objection_repeats = 0
        return Response("objection", t, lvl, length)

    def signal() -> Response:
        t = _signal_type(st, rng)
        st.signals.append(t)
        return Response("signal", t, lvl, length)

    if stage == "wrap":
        return Response("goodbye", "", lvl, "short" if rng.random() < 0.7 else "medium")
    if action == "rapport":
        return Response("greeting" if st.rep_turns <= 1 else "small_talk", "", lvl, length)

    # An ignored objection comes back now and then.
    if st.open_objection is not None and action != "handle_objection" and rng.random() < 0.45:
        return Response("objection", st.open_objection, lvl, length)

    if action == "discovery_question":
        if rng.random() < 0.3 + 0.65 * e:
            pain = sc.pains[min(st.pains_known, len(sc.pains) - 1)]
            st.pains_known += 1
            return Response("pain", pain, lvl, length)
        return Response("deflect", "", lvl, "short" if rng.random() < 0.7 else "medium")

    if action == "handle_objection" and st.open_objection is not None:
        if rng.random() < 0.25 + 0.7 * e:
            st.open_objection = None
            return Response("resolved", "", lvl, length)
        return Response("unconvinced", st.open_objection, lvl, length)

    if action == "present_pricing":
        r = rng.random()
        if r < 0.1 + 0.55 * (1 - e) + (0.1 if sc.persona.key == "procurement" else 0.0):
            st.open_objection = "price"
            st.objection_repeats = 0
            return Response("objection", "price", lvl, length)
        if rng.random() < 0.55 * e:
            st.signals.append("budget")
            return Response("signal", "budget", lvl, length)
        if rng.random() < 0.5:
            return Response("question", "contract", lvl, length)
        return Response("ack", "", lvl, "short")

    if action == "ask_for_close":
        r = rng.random()
        if r < e ** 1.6 * (0.95 if st.value_shown else 0.5):
            st.close_accepted = True
            return Response("accept_close", "", lvl, length)
        if r < 0.8:
            t = "authority" if rng.random() < 0.55 else "timing"
            st.open_objection = t
            st.objection_repeats = 0
            return Response("defer_close", t, lvl, length)
        st.open_objection = "need"
        st.objection_repeats = 0
        return Response("reject_close", "need", lvl, length)

    if action == "propose_next_step":
        if rng.random() < 0.2 + 0.7 * e:
            st.next_step_agreed = True
            st.signals.append("next_step")
            return Response("agree_next_step", "", lvl, length)
        return Response("tentative", "", lvl, length)

    # quantify_value, feature_pitch, social_proof, or an objection handled when none was open
    progress = min(1.0, st.rep_turns / 8)
    p_obj = 0.06 + 0.4 * (1 - e) + (0.1 if sc.persona.key == "procurement" else 0.0)
    if action == "feature_pitch" and st.pitches_in_row >= 2:
        p_obj += 0.1
    r = rng.random()
    if r < p_obj:
        return objection()
    r -= p_obj
    p_sig = (0.05 + 0.4 * e) * (0.4 + 0.6 * progress)
    if r < p_sig:
        return signal()
    r -= p_sig
    p_q = 0.25 * e * (1.6 if sc.persona.key == "technical_evaluator" else 1.0)
    if r < p_q:
        return Response("question", _question_topic(sc, rng), lvl, length)
    if rng.random() < 0.3:
        return Response("backchannel", "", lvl, "short")
    return Response("ack", "", lvl, "short" if rng.random() < 0.6 else "medium")


def follow_up(st: BuyerState, sc: Scenario, rng: random.Random) -> Response | None:
    """Sometimes the prospect keeps talking: a second turn with a question, a concern or a signal."""
    if rng.random() > 0.09:
        return None
    e = _engagement(st, rng)
    lvl, length = _level(e), _length(e, sc, rng)
    r = rng.random()
    if r < 0.45 * (1 - e) + 0.1:
        t = _objection_type(sc, st, rng)
        st.open_objection = t
        st.objection_repeats = 0
        return Response("objection", t, lvl, length)
    if r < 0.75:
        return Response("question", _question_topic(sc, rng), lvl, length)
    t = _signal_type(st, rng)
    st.signals.append(t)
    return Response("signal", t, lvl, length)
