"""Synthetic sales conversations in the dataset format: simulate a plan per call, then have a writer (the phrase
templates by default, or an LLM) put it into words."""

from __future__ import annotations

import random
from typing import Iterator, Protocol

from salesrl.agent.dataset import Conversation
from salesrl.agent.synth.plan import SIMULATION, CallPlan, PlannedTurn, make_plan
from salesrl.agent.synth.scenario import Scenario
from salesrl.agent.synth.template_writer import TemplateWriter
from salesrl.agent.types import Turn


class TurnWriter(Protocol):
    name: str

    def write(self, plan: CallPlan) -> list[str]:
        """One text per planned turn, in order."""
        ...


def iter_plans(n: int, seed: int) -> Iterator[CallPlan]:
    """`n` call plans; the same (n, seed) always gives the same plans, and a prefix of a longer run."""
    if n < 0:
        raise ValueError("n must be >= 0")
    master = random.Random(seed)
    for i in range(n):
        yield make_plan(seed, i, master.getrandbits(63))


def to_conversation(plan: CallPlan, texts: list[str], generator: str) -> Conversation:
    if len(texts) != len(plan.turns):
        raise ValueError(f"{len(texts)} texts for {len(plan.turns)} planned turns")
    sc = plan.scenario
    return Conversation(
        id=plan.id,
        outcome=plan.outcome,
        turns=tuple(Turn(speaker=t.speaker, role=t.role, text=x) for t, x in zip(plan.turns, texts)),
        actions=tuple(t.action for t in plan.turns),
        p_true=tuple(t.p_true for t in plan.turns),
        labels=tuple(turn_labels(t, sc) for t in plan.turns),
        meta={
            "industry": sc.industry.key,
            "persona": sc.persona.key,
            "company_size": sc.company_size,
            "deal_size": sc.deal_size,
            "product": sc.product.name,
            "competitor": sc.competitor,
            "seed": plan.seed,
            "conversation_seed": plan.conversation_seed,
            "generator": generator,
            "simulation": SIMULATION,
        },
    )


def turn_labels(turn: PlannedTurn, sc: Scenario) -> dict[str, str]:
    """The sales labels a turn was written from, besides the rep's move: the buyer's persona and company size on
    every turn; on a prospect turn, their intent, tone (engagement), how long they talk and how much a pain
    hurts when they tell one. What the sequence score learns to read (agent.sequence)."""
    labels = {"persona": sc.persona.key, "size": sc.company_size}
    if turn.role != "rep":
        labels.update(intent=turn.intent, tone=turn.engagement, length=turn.length)
        if turn.severity:
            labels["pain"] = turn.severity
    return labels


def iter_conversations(n: int, seed: int, writer: TurnWriter | None = None) -> Iterator[Conversation]:
    writer = writer or TemplateWriter()
    for plan in iter_plans(n, seed):
        yield to_conversation(plan, writer.write(plan), writer.name)


def generate(n: int, seed: int, writer: TurnWriter | None = None) -> list[Conversation]:
    """`n` synthetic conversations, deterministic for `seed` (and the writer)."""
    return list(iter_conversations(n, seed, writer))
