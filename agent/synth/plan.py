"""A call plan: the scenario, who speaks when with what intent, the latent conversion probability after every
turn and the outcome. The plan is decided by simulation; a writer (templates or an LLM) then puts it into words."""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

from salesrl.agent.types import Role

from salesrl.agent.synth.buyer import (
    BASE_LOG_ODDS,
    MOVE_NOISE,
    PROSPECT_DRIFT,
    BuyerState,
    Response,
    decision_effect,
    follow_up,
    move_effect,
    pain_severity,
    record_move,
    respond,
)
from salesrl.agent.synth.rep import choose_move, is_monologue, stage_schedule
from salesrl.agent.synth.scenario import Scenario, draw_scenario

MIN_TURNS = 6
MAX_TURNS = 40
# The version of the simulation (the buyer and the rep), recorded in every call's meta beside the writer's name:
# the same seed gives other calls when it changes. buyer-v2: a buyer's answer to a close commits them
# (buyer.DECISION_EFFECT).
SIMULATION = "buyer-v2"


@dataclass(frozen=True)
class PlannedTurn:
    role: Role  # "rep" or "prospect"
    speaker: str
    intent: str  # rep: a move of agent.moves; prospect: greeting, pain, objection, signal, ...
    stage: str
    p_true: float  # latent conversion probability after this turn
    action: str | None = None  # the rep's move class; None for prospect turns
    detail: str = ""  # objection/signal type, question topic, or the pain the prospect describes
    engagement: str = "medium"  # prospect: how engaged they sound
    length: str = "medium"  # "short", "medium", "long"
    monologue: bool = False  # rep: talks at length without checking in
    answers: str = ""  # rep: the objection type this turn answers, if any
    ignores: str = ""  # rep: the open objection type this turn steps past, if any
    after: str = ""  # intent of the previous turn, for natural transitions
    severity: str = ""  # prospect, pain: "mild", "moderate" or "acute", how much it hurts as they tell it


@dataclass(frozen=True)
class CallPlan:
    id: str
    scenario: Scenario
    turns: tuple[PlannedTurn, ...]
    outcome: int
    seed: int  # the run's seed
    conversation_seed: int  # the seed of this conversation's own random stream

    @property
    def final_p(self) -> float:
        return self.turns[-1].p_true


class _Builder:
    def __init__(self, sc: Scenario) -> None:
        self.sc = sc
        self.turns: list[PlannedTurn] = []

    def __len__(self) -> int:
        return len(self.turns)

    @property
    def last_intent(self) -> str:
        return self.turns[-1].intent if self.turns else ""

    def rep(self, action: str, stage: str, st: BuyerState, monologue: bool, answers: str, ignores: str) -> None:
        self.turns.append(PlannedTurn(
            role="rep", speaker=self.sc.rep_name, intent=action, stage=stage, p_true=st.p, action=action,
            length="long" if monologue else "medium", monologue=monologue, answers=answers, ignores=ignores,
            after=self.last_intent,
        ))

    def prospect(self, r: Response, stage: str, st: BuyerState) -> None:
        self.turns.append(PlannedTurn(
            role="prospect", speaker=self.sc.prospect_name, intent=r.intent, stage=stage, p_true=st.p,
            detail=r.detail, engagement=r.engagement, length=r.length, after=self.last_intent,
        ))


def _rep_turn(b: _Builder, action: str, stage: str, st: BuyerState, rng: random.Random) -> None:
    sc = b.sc
    monologue = is_monologue(action, sc, rng)
    open_obj = st.open_objection or ""
    answers = open_obj if action == "handle_objection" else ""
    ignores = open_obj if action != "handle_objection" else ""
    st.z += move_effect(action, stage, st, sc, monologue) + rng.gauss(0.0, MOVE_NOISE)
    record_move(action, st)
    if ignores and rng.random() < 0.5:
        st.open_objection = None  # the prospect lets it drop, but it has cost trust
    b.rep(action, stage, st, monologue, answers, ignores)


def _prospect_turn(b: _Builder, r: Response, stage: str, st: BuyerState, rng: random.Random) -> None:
    st.z += decision_effect(r.intent) + rng.gauss(0.0, PROSPECT_DRIFT)
    b.prospect(r, stage, st)


def plan_call(sc: Scenario, rng: random.Random) -> tuple[tuple[PlannedTurn, ...], int]:
    """Simulate one call; returns its turns and the outcome drawn from the final latent probability."""
    st = BuyerState(z=BASE_LOG_ODDS + sc.prior)
    b = _Builder(sc)
    schedule = stage_schedule(sc, rng)
    if rng.random() < 0.15:  # the prospect speaks first
        _prospect_turn(b, Response("hello", "", "medium", "short"), "opening", st, rng)
    i = 0
    ended_early = False
    while i < len(schedule) and len(b) <= MAX_TURNS - 2:
        stage = schedule[i]
        action = choose_move(stage, st, sc, rng)
        # Answering an objection often comes on top of the planned stage rather than instead of it.
        if not (action == "handle_objection" and rng.random() < 0.6):
            i += 1
        _rep_turn(b, action, stage, st, rng)
        response = respond(action, stage, st, sc, rng)
        _prospect_turn(b, response, stage, st, rng)
        if st.close_accepted:
            break
        can_follow = len(b) < MAX_TURNS - 2 and response.intent not in ("greeting", "small_talk", "backchannel")
        extra = follow_up(st, sc, rng) if can_follow else None
        if extra is not None:
            _prospect_turn(b, extra, stage, st, rng)
        # A buyer who has lost interest, or a busy one, may cut the call short.
        quit_p = (0.25 if st.z < -2.5 else 0.0) + (0.03 if sc.persona.key == "busy_exec" else 0.01)
        if extra is None and MIN_TURNS <= len(b) < MAX_TURNS and rng.random() < quit_p:
            _prospect_turn(b, Response("end_call", "", "low" if st.z < -1 else "medium", "short"), stage, st, rng)
            ended_early = True
            break
    wrap = len(b) <= MAX_TURNS - 2 and (st.close_accepted or not ended_early) and rng.random() < 0.65
    while wrap or len(b) < MIN_TURNS:
        action = "propose_next_step" if st.close_accepted and rng.random() < 0.8 else "rapport"
        _rep_turn(b, action, "wrap", st, rng)
        _prospect_turn(b, respond(action, "wrap", st, sc, rng), "wrap", st, rng)
        wrap = False
    outcome = int(rng.random() < st.p)
    return tuple(b.turns), outcome


def make_plan(seed: int, index: int, conversation_seed: int) -> CallPlan:
    rng = random.Random(conversation_seed)
    sc = draw_scenario(rng)
    turns, outcome = plan_call(sc, rng)
    # On a stream of its own, so that the call itself (moves, latent probability, outcome) does not depend on it.
    severity_rng = random.Random(f"severity:{conversation_seed}")
    turns = tuple(
        dataclasses.replace(t, severity=pain_severity(sc.fit, severity_rng)) if t.intent == "pain" else t
        for t in turns
    )
    return CallPlan(
        id=f"synth-{seed}-{index:06d}", scenario=sc, turns=turns, outcome=outcome, seed=seed,
        conversation_seed=conversation_seed,
    )
