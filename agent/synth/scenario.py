"""One synthetic call's setting: who sells what to whom, and the hidden traits that shape how it goes."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from salesrl.agent.synth.catalog import (
    CATEGORY_BY_KEY,
    COMPANY_SIZES,
    COMPANY_STEMS,
    FIRST_NAMES,
    INDUSTRIES,
    LAST_NAMES,
    PERSONAS,
    PRODUCTS,
    STATUS_QUO,
    Industry,
    Persona,
    Product,
    ProductCategory,
)


@dataclass(frozen=True)
class Scenario:
    industry: Industry
    product: Product
    category: ProductCategory
    persona: Persona
    title: str
    company: str
    company_size: str  # "smb", "mid-market", "enterprise"
    employees: int
    seats: int
    unit_price: int  # USD per unit per month
    deal_size: int  # USD per year at list price
    competitor: str
    status_quo: str
    rep_name: str
    prospect_name: str
    reference_customer: str
    reference_same_industry: bool
    pains: tuple[str, ...]  # what actually hurts at this company, in the order the prospect would bring them up
    hours_lost: int  # hours a week the main pain costs the team
    improvement_pct: int  # share of that the product plausibly removes
    hourly_cost: int  # loaded cost of an hour of the team's time, USD
    volume: int  # units handled per month (claims, shipments, ...)
    # Hidden traits (never written into the text directly):
    fit: float  # how well the product fits the company's need, log-odds; heard only, with noise, in how much
    # the pains the prospect describes hurt (buyer.pain_severity)
    rep_skill: float  # 0..1
    rep_disfluency: float  # chance of a filler or false start per rep turn
    prospect_disfluency: float
    prospect_talkative: float  # 0..1; quiet prospects say little even when interested
    length_factor: float  # how long this call tends to run

    @property
    def rep_first(self) -> str:
        return self.rep_name.split()[0]

    @property
    def prospect_first(self) -> str:
        return self.prospect_name.split()[0]

    @property
    def saved_hours(self) -> int:
        return max(2, round(self.hours_lost * self.improvement_pct / 100))

    @property
    def saved_money(self) -> int:
        """Yearly value of the hours saved, rounded to a figure a rep would say out loud."""
        return _round_money(self.saved_hours * self.hourly_cost * 48)

    @property
    def prior(self) -> float:
        """Starting log-odds of buying: persona, company size, deal size and fit."""
        size_shift = next(s for label, _, _, s in COMPANY_SIZES if label == self.company_size)
        deal_shift = -0.25 * math.log10(max(self.deal_size, 1000) / 30000)
        return self.persona.prior + size_shift + deal_shift + self.fit


_HOURS_SCALE = {"smb": 1, "mid-market": 2, "enterprise": 4}  # bigger teams lose more hours to the same pain
_EVERYONE_UNITS = frozenset({"user", "employee", "learner", "cardholder", "unit"})


def _round_money(x: float) -> int:
    if x >= 100_000:
        return int(round(x, -4))
    if x >= 10_000:
        return int(round(x, -3))
    return int(round(x, -2))


def _person(rng: random.Random, avoid_first: str = "") -> str:
    while True:
        first = rng.choice(FIRST_NAMES)
        if first != avoid_first:
            return f"{first} {rng.choice(LAST_NAMES)}"


def company_name(rng: random.Random, industry: Industry) -> str:
    return f"{rng.choice(COMPANY_STEMS)} {rng.choice(industry.company_suffixes)}"


def draw_scenario(rng: random.Random) -> Scenario:
    industry = rng.choice(INDUSTRIES)
    category = CATEGORY_BY_KEY[rng.choice(industry.categories)]
    product = rng.choice([p for p in PRODUCTS if p.category == category.key])
    persona = rng.choice(PERSONAS)
    size_label, lo, hi, _ = rng.choices(COMPANY_SIZES, weights=(0.4, 0.4, 0.2))[0]
    employees = int(math.exp(rng.uniform(math.log(lo), math.log(hi))))
    employees = int(round(employees, -1)) if employees > 100 else employees
    share = rng.uniform(0.4, 1.0) if product.price_unit in _EVERYONE_UNITS else rng.uniform(0.03, 0.3)
    seats = max(10, int(employees * share))
    seats = int(round(seats, -1)) if seats > 50 else seats
    unit_price = rng.randint(*product.price_range)
    deal_size = _round_money(max(seats * unit_price * 12, rng.choice((5000, 6000, 8000, 10000))))
    company = company_name(rng, industry)
    same_industry = rng.random() < 0.7
    ref_industry = industry if same_industry else rng.choice(INDUSTRIES)
    reference = company_name(rng, ref_industry)
    while reference == company:
        reference = company_name(rng, ref_industry)
    pains = tuple(rng.sample(category.pains, k=min(len(category.pains), rng.choice((2, 3, 3)))))
    rep_name = _person(rng)
    length_factor = rng.uniform(0.6, 1.45) * (0.75 if persona.key == "busy_exec" else 1.0)
    if size_label == "enterprise":
        length_factor *= 1.15
    return Scenario(
        industry=industry,
        product=product,
        category=category,
        persona=persona,
        title=rng.choice(persona.titles),
        company=company,
        company_size=size_label,
        employees=employees,
        seats=seats,
        unit_price=unit_price,
        deal_size=deal_size,
        competitor=rng.choice(category.competitors),
        status_quo=rng.choice(STATUS_QUO),
        rep_name=rep_name,
        prospect_name=_person(rng, avoid_first=rep_name.split()[0]),
        reference_customer=reference,
        reference_same_industry=same_industry,
        pains=pains,
        hours_lost=rng.choice((6, 8, 10, 12, 15, 20, 25, 30, 40, 60)) * _HOURS_SCALE[size_label],
        improvement_pct=rng.choice((20, 25, 30, 35, 40, 50, 60)),
        hourly_cost=rng.choice((45, 55, 60, 70, 85, 100, 120)),
        volume=rng.choice((80, 150, 300, 500, 1200, 2500, 4000, 10000)),
        fit=rng.gauss(0.0, 0.7),
        rep_skill=rng.betavariate(1.6, 1.6),
        rep_disfluency=rng.uniform(0.05, 0.45),
        prospect_disfluency=rng.uniform(0.05, 0.5),
        prospect_talkative=rng.betavariate(2.0, 1.6) * (0.5 + persona.talkative) / 1.3,
        length_factor=length_factor,
    )
