"""Puts a call plan into words with the phrase banks: pick a phrasing per intent, fill its slots with this call's
products, numbers, names and dates, compose it with acknowledgements and check-ins, add fillers and false starts.

template-v2 (after template-v1) writes the same plans, and so the same calls and outcomes for a seed, but lets
the prospect say what v1 kept to itself: how they feel about what they heard (the engagement level the buyer
drew for the turn, which v1 showed only in acknowledgements, some openers and the turn's length) and how much
each pain hurts (buyer.pain_severity, a noisy reading of the scenario's hidden fit). Real buyers say both.
Short answers and quiet prospects give less away.

template-v3 writes the same plans again, and says a buyer's answer to a close (yes, not now, no) in many more
ways: v2 had 7 refusals and 11 acceptances, whole sentences, so a model could learn a decision as a handful of
fixed strings and miss one in a buyer's own words. v3 composes them from a lead-in, the decision, and what follows
or why (prospect_phrases.ACCEPT_*, REJECT_*), and has more ways to put a close off."""

from __future__ import annotations

import random

from salesrl.agent.synth import prospect_phrases as P
from salesrl.agent.synth import rep_phrases as R
from salesrl.agent.synth.catalog import FIRST_NAMES, LAST_NAMES, MONTHS, TIMES, WEEKDAYS
from salesrl.agent.synth.plan import CallPlan, PlannedTurn
from salesrl.agent.synth.scenario import Scenario
from salesrl.agent.synth.speech import disfluent, join, upper_first

GENERATOR_NAME = "template-v3"

SYSTEMS: tuple[str, ...] = (
    "Salesforce", "NetSuite", "Workday", "SAP", "HubSpot", "Snowflake", "Okta", "ServiceNow", "Microsoft Teams",
    "Jira", "QuickBooks", "Slack", "Google Workspace", "Azure AD", "BigQuery", "Zendesk",
)
_BOSSES: dict[str, tuple[str, ...]] = {
    "economic_buyer": ("CEO", "board", "audit committee", "COO"),
    "technical_evaluator": ("CIO", "CTO", "VP of Engineering", "CFO"),
    "champion": ("VP", "director", "CFO", "boss", "head of operations"),
    "procurement": ("CFO", "legal team", "sourcing committee", "finance director"),
    "busy_exec": ("board", "CFO", "leadership team", "investors"),
}
_ORDINALS = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}


def money(x: int, rng: random.Random) -> str:
    if x >= 1_000_000:
        return f"${x / 1_000_000:.1f} million".replace(".0 ", " ")
    if x >= 10_000 and rng.random() < 0.5:
        return f"${x // 1000}k"
    return f"${x:,}"


def _fte(hours: int) -> str:
    x = hours / 40
    if x < 0.2:
        return "a few hours of someone's week"
    if x < 0.4:
        return "about a quarter of a full-time person"
    if x < 0.7:
        return "about half a full-time person"
    if x < 1.2:
        return "roughly one full-time person"
    return "more than one full-time person"


class _Call:
    """Slot values and memory for one conversation being written."""

    def __init__(self, plan: CallPlan, rng: random.Random) -> None:
        sc: Scenario = plan.scenario
        self.sc = sc
        self.rng = rng
        self.known_pains: list[str] = []
        self.used: set[str] = set()
        self.pricing_shown = False
        discount = rng.choice((5, 8, 10, 12, 15, 20))
        colleague = rng.choice([n for n in FIRST_NAMES if n not in (sc.rep_first, sc.prospect_first)])
        payback = max(1, min(36, round(12 * sc.deal_size / max(sc.saved_money, 1))))
        self.base: dict[str, str] = {
            "rep": sc.rep_first,
            "prospect": sc.prospect_first,
            "company": sc.company,
            "product": sc.product.name,
            "industry": sc.industry.label,
            "reg": sc.industry.regulation,
            "competitor": sc.competitor,
            "customer": sc.reference_customer,
            "title": sc.title,
            "status_quo": sc.status_quo,
            "status_quo_cap": upper_first(sc.status_quo),
            "category": sc.category.label,
            "seats": f"{sc.seats:,}",
            "price": str(sc.unit_price),
            "price_hi": str(round(sc.unit_price * 1.4)),
            "price_unit": sc.product.price_unit,
            "discount": str(discount),
            "hours": str(sc.hours_lost),
            "pct": str(sc.improvement_pct),
            "saved_hours": str(sc.saved_hours),
            "hourly": str(sc.hourly_cost),
            "volume": f"{sc.volume:,}",
            "payback": str(payback),
            "fte": _fte(sc.saved_hours),
            "n_people": str(rng.choice((3, 4, 5, 6, 8, 10, 12, 15, 20, 30))),
            "mins": str(rng.choice((15, 20, 25, 30))),
            "ref_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            "ref_hours": str(rng.choice((6, 10, 12, 15, 20, 25, 40))),
            "ref_volume": f"{rng.choice((200, 500, 800, 1500, 3000, 6000)):,}",
            "n_customers": str(rng.choice((40, 60, 80, 120, 150, 200, 300))),
            "pct2": str(rng.choice((18, 22, 27, 30, 34, 38, 41, 45, 52, 60))),
            "boss": rng.choice(_BOSSES[sc.persona.key]),
            "colleague": colleague,
        }
        self.deal_size = sc.deal_size
        self.saved_money = sc.saved_money
        self.onboarding = rng.choice((1500, 2500, 3000, 5000, 7500, 10000))
        self.budget = int(round(sc.deal_size * rng.uniform(0.8, 1.6), -3)) or 5000
        self.protected = frozenset(
            [sc.rep_first, sc.prospect_first, sc.product.name, sc.competitor, colleague, *SYSTEMS,
             *sc.company.split(), *sc.reference_customer.split(), *sc.product.name.split()]
        )

    def slots(self) -> dict[str, str]:
        rng, sc = self.rng, self.sc
        s = dict(self.base)
        f1, f2, f3 = rng.sample(sc.product.features, 3)
        pain = rng.choice(self.known_pains) if self.known_pains else sc.pains[0]
        day = rng.randrange(1, 29)
        s.update(
            feature=f1, feature2=f2, feature3=f3, feature_cap=upper_first(f1),
            pain=pain, pain_cap=upper_first(pain),
            unit=rng.choice(sc.industry.units), team=rng.choice(sc.industry.teams),
            outcome=rng.choice(sc.category.outcomes), system=rng.choice(SYSTEMS),
            day=rng.choice(WEEKDAYS), time=rng.choice(TIMES), month=rng.choice(MONTHS),
            date=f"{rng.choice(MONTHS)} {day}{_ORDINALS.get(day, 'th')}",
            quarter=rng.choice(("Q1", "Q2", "Q3", "Q4", "next quarter", "the new fiscal year")),
            weeks=str(rng.choice((2, 3, 4, 6, 8))), months=str(rng.choice((2, 3, 4, 6, 9))),
            annual=money(self.deal_size, rng),
            annual_disc=money(int(round(self.deal_size * (100 - int(s["discount"])) / 100, -2)), rng),
            saved_money=money(self.saved_money, rng),
            onboarding=f"{self.onboarding:,}",
            budget=money(self.budget, rng),
        )
        return s

    def fill(self, template: str, slots: dict[str, str]) -> str:
        return template.format_map(slots)

    def say(self, bank: tuple[str, ...], slots: dict[str, str]) -> str:
        """A phrasing from `bank` not yet used in this call if possible, with its slots filled."""
        return _pick(self.rng, bank, self.used).format_map(slots)


def _pick(rng: random.Random, bank: tuple[str, ...], used: set[str] | None = None) -> str:
    """A random phrasing; with `used`, one not yet said in this call when there is one (three tries)."""
    for _ in range(3):
        x = bank[rng.randrange(len(bank))]
        if used is None or x not in used:
            break
    if used is not None:
        used.add(x)
    return x


def _rep_core(call: _Call, t: PlannedTurn, prev: PlannedTurn | None, first_rep: bool, s: dict[str, str]) -> str:
    rng, sc = call.rng, call.sc
    a = t.action
    assert a is not None, "a rep's turn has a move"
    if a == "rapport":
        if t.stage == "wrap":
            return call.say(R.WRAP, s)
        if first_rep:
            text = call.say(R.OPENING, s)
            if rng.random() < 0.2 + 0.5 * sc.rep_skill:
                text += call.say(R.OPENING_AGENDA, s)
            return text
        return call.say(R.SMALL_TALK, s)
    if a == "discovery_question":
        bank = R.DISCOVERY_FOLLOWUP if call.known_pains and rng.random() < 0.45 else R.DISCOVERY
        text = call.say(bank, s)
        if rng.random() < 0.15 * (1 - sc.rep_skill):  # stacked questions
            text += " " + call.say(R.DISCOVERY, s)
        return text
    if a == "handle_objection":
        if t.answers:
            text = call.say(R.HANDLE[t.answers], s)
            if rng.random() < 0.7:
                text = join(_pick(rng, R.OBJECTION_ACK), text, call.protected)
            return text
        kind = rng.choice(tuple(R.HANDLE))
        return join(call.say(R.PREEMPT[kind], s), call.say(R.HANDLE[kind], s),
                    call.protected)
    if a == "propose_next_step":
        if t.stage == "wrap" and prev is not None and prev.intent in ("accept_close", "signal", "agree_next_step"):
            return call.say(R.NEXT_STEP_AFTER_YES, s)
        return call.say(R.NEXT_STEP, s)
    if a == "ask_for_close":
        return call.say(R.CLOSE, s)
    bank = {
        "quantify_value": R.QUANTIFY_KNOWN if call.known_pains else R.QUANTIFY_UNKNOWN,
        "feature_pitch": R.FEATURE,
        "social_proof": R.SOCIAL_PROOF,
        "present_pricing": R.PRICING,
    }[a]
    if not t.monologue:
        text = call.say(bank, s)
        if rng.random() < 0.35 * sc.rep_skill:
            text += _pick(rng, R.CHECK_IN)
        return text
    parts = [call.fill(x, s) for x in rng.sample(bank, 2)]
    extras = rng.sample(R.MONOLOGUE_EXTRAS, rng.randint(2, 4))
    parts += [call.fill(x, s) for x in extras]
    return " ".join(parts)


def _rep_text(call: _Call, t: PlannedTurn, prev: PlannedTurn | None, first_rep: bool) -> str:
    rng = call.rng
    s = call.slots()
    text = _rep_core(call, t, prev, first_rep, s)
    if first_rep and t.action != "rapport":
        return join(call.say(R.COLD_START, s), text, call.protected)
    if prev is None or prev.role != "prospect" or t.action == "handle_objection" and t.answers:
        return text
    if t.ignores and t.stage != "wrap" and rng.random() < 0.5:
        return join(call.say(R.IGNORE_BRIDGE, s), text, call.protected)
    if prev.intent == "question" and prev.detail in R.QUESTION_ANSWER and rng.random() < 0.8:
        return join(call.say(R.QUESTION_ANSWER[prev.detail], s), text, call.protected)
    acks = R.ACK_AFTER.get(prev.intent)
    if acks and rng.random() < 0.6 and t.stage != "wrap":
        return join(_pick(rng, acks), text, call.protected)
    return text


def _opener(call: _Call, t: PlannedTurn, text: str, p: float) -> str:
    if call.rng.random() < p:
        return join(_pick(call.rng, P.OPENER[t.engagement]), text, call.protected)
    return text


# How often the prospect says how much a pain hurts, and how they feel about what they heard, by turn length:
# quiet prospects and short answers give less away.
_SEVERITY_SAID = {"short": 0.5, "medium": 0.8, "long": 1.0}
_TONE_SAID = {"short": 0.3, "medium": 0.6, "long": 0.9}
_TONED_INTENTS = frozenset({
    "pain", "deflect", "objection", "signal", "question", "resolved", "unconvinced", "tentative", "agree_next_step",
    "defer_close",
})


def _prospect_text(call: _Call, t: PlannedTurn) -> str:
    text = _prospect_core(call, t)
    if t.intent in _TONED_INTENTS and call.rng.random() < _TONE_SAID[t.length]:
        text += " " + call.say(P.TONE[t.engagement], call.slots())
    return text


# How often a decision comes with a lead-in, and with what follows from it or why, by turn length.
_DECISION_LEAD = {"short": 0.4, "medium": 0.6, "long": 0.7}
_DECISION_MORE = {"short": 0.0, "medium": 0.5, "long": 1.0}


def _decision(call: _Call, t: PlannedTurn, leads: tuple[str, ...], decisions: tuple[str, ...],
              more: tuple[str, ...], s: dict[str, str]) -> str:
    """A buyer's answer to a close, in parts: maybe a lead-in, the decision, maybe what follows or why."""
    text = call.say(decisions, s)
    if call.rng.random() < _DECISION_LEAD[t.length]:
        text = join(call.say(leads, s), text, call.protected)
    if call.rng.random() < _DECISION_MORE[t.length]:
        text += " " + call.say(more, s)
    return text


def _prospect_core(call: _Call, t: PlannedTurn) -> str:
    rng, sc = call.rng, call.sc
    s = call.slots()
    short = "short" if t.length == "short" else "medium"
    i = t.intent
    if i == "small_talk":
        return call.say(P.SMALL_TALK, s)
    if i == "hello":
        return call.say(P.HELLO, s)
    if i == "greeting":
        text = call.say(P.GREETING[t.length], s)
        if sc.persona.key == "busy_exec" and rng.random() < 0.5:
            text += " " + call.say(P.BUSY, s)
        return text
    if i == "pain":
        s["pain"], s["pain_cap"] = t.detail, upper_first(t.detail)
        if t.detail not in call.known_pains:
            call.known_pains.append(t.detail)
        text = call.say(P.PAIN[short], s)
        if t.length == "long":
            for extra in rng.sample(P.PAIN_DETAIL, rng.randint(1, 2)):
                text += call.fill(extra, s)
        if rng.random() < _SEVERITY_SAID[t.length]:
            text += " " + call.say(P.PAIN_SEVERITY[t.severity], s)
        return _opener(call, t, text, 0.2)
    if i == "deflect":
        return call.say(P.DEFLECT[short], s)
    if i == "objection":
        bank = P.PRICE_EARLY if t.detail == "price" and not call.pricing_shown else P.OBJECTION[t.detail]
        text = call.say(bank[short], s)
        if t.length == "long":
            text += call.say(P.OBJECTION_DETAIL, s)
        return _opener(call, t, text, 0.3)
    if i == "signal":
        text = call.say(P.SIGNAL[t.detail], s)
        if t.length == "long":
            other = rng.choice([k for k in P.SIGNAL if k != t.detail])
            text += " " + call.say(P.SIGNAL[other], s)
        return _opener(call, t, text, 0.3 if t.length != "short" else 0.0)
    if i == "question":
        text = call.say(P.QUESTION[t.detail], s)
        if t.length == "long":
            text = join(call.say(P.ACK[t.engagement], s), text, call.protected)
        return _opener(call, t, text, 0.2)
    if i == "ack":
        return call.say(P.ACK[t.engagement], s)
    if i == "backchannel":
        return _pick(rng, P.BACKCHANNEL)
    if i == "resolved":
        text = call.say(P.RESOLVED[short], s)
        if t.length == "long":
            text += call.say(P.RESOLVED_DETAIL, s)
        return text
    if i == "unconvinced":
        s["concern"] = call.say(P.CONCERN[t.detail or "need"], s)
        return call.say(P.UNCONVINCED[short], s)
    if i == "agree_next_step":
        return call.say(P.AGREE_NEXT_STEP, s)
    if i == "tentative":
        return call.say(P.TENTATIVE, s)
    if i == "accept_close":
        return _decision(call, t, P.ACCEPT_LEAD, P.ACCEPT_CLOSE, P.ACCEPT_NEXT, s)
    if i == "defer_close":
        return call.say(P.DEFER_CLOSE[t.detail], s)
    if i == "reject_close":
        return _decision(call, t, P.REJECT_LEAD, P.REJECT_CLOSE, P.REJECT_WHY, s)
    if i == "end_call":
        return call.say(P.END_CALL, s)
    if i == "goodbye":
        return call.say(P.GOODBYE, s)
    raise ValueError(f"no phrases for prospect intent {i!r}")


class TemplateWriter:
    """Writes every turn of a plan from the phrase banks; deterministic for the plan's conversation seed."""

    name = GENERATOR_NAME

    def write(self, plan: CallPlan) -> list[str]:
        rng = random.Random(f"text:{plan.conversation_seed}")
        call = _Call(plan, rng)
        texts: list[str] = []
        prev: PlannedTurn | None = None
        first_rep = True
        for t in plan.turns:
            if t.role == "rep":
                text = _rep_text(call, t, prev, first_rep)
                call.pricing_shown = call.pricing_shown or t.action == "present_pricing"
                first_rep = False
                rate = call.sc.rep_disfluency
            else:
                text = _prospect_text(call, t)
                rate = call.sc.prospect_disfluency * (0.3 if t.length == "short" else 1.0)
            texts.append(disfluent(text, rate, rng, call.protected))
            prev = t
        return texts
