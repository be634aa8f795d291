"""What a digest says, computed from the store: plain frozen values, no Slack in sight.

    content = build_digest(store, "T0TEAM", period, owner_id=None)

Six queries do the bulk of it (the workspace's deals, the period's calls, the movers, calls per
rep, open flags, the CRM's stage changes); everything else (pipeline value, at-risk and idle deals, outcomes, calibration)
is derived from the deal list in Python. The moment that moved each mover shown is read from the
turn scores of that deal's calls in the period: the turn with the largest change in the direction
the deal moved.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable, Sequence

from salesrl.bot.digest.calibration import Calibration, calibrate
from salesrl.bot.digest.periods import Period
from salesrl.bot.digest.queries import DealMove, RepActivity, ScoredCallRow, calls_between, calls_per_rep, deal_movers
from salesrl.bot.store import Deal, Flag, Store
from salesrl.bot.store.crm import StageChange

log = logging.getLogger(__name__)

IDLE_DAYS = 14  # "deals with no activity for two weeks"
MOVE_MIN = 0.03  # smaller moves are noise (as agent.coach.SWING_MIN)
MOVERS_SHOWN = 5  # per direction
LIST_SHOWN = 8  # at-risk, flagged and idle deals shown by name
REPS_SHOWN = 15
CALIBRATION_DAYS = 365  # closed deals this far back count towards calibration


@dataclass(frozen=True)
class Moment:
    """The turn that moved a deal most in the direction it went."""

    call_id: int
    turn: int  # index in the call, from 0
    speaker: str
    text: str | None  # None once the transcript was purged
    before: float
    after: float

    @property
    def change(self) -> float:
        return self.after - self.before


@dataclass(frozen=True)
class Mover:
    deal_id: int
    deal_name: str
    owner_id: str | None
    before: float
    after: float
    calls_in_period: int
    moment: Moment | None

    @property
    def change(self) -> float:
        return self.after - self.before


@dataclass(frozen=True)
class Pipeline:
    open_deals: int
    scored_deals: int  # open deals with a probability
    priced_deals: int  # open deals with a probability and an amount (in `currency`, or none said)
    total_amount: float  # sum of the amounts of the priced deals
    weighted_amount: float  # the same, each weighted by its probability
    currency: str | None = None  # the amounts' currency, when a CRM says: the one most priced deals are in
    other_currency_deals: int = 0  # scored deals with an amount in another currency, left out of the sums


@dataclass(frozen=True)
class StageMove:
    """The stages a deal went through in the period, as the CRM sync saw them: from, then each new one."""

    deal_id: int
    deal_name: str
    stages: tuple[str | None, ...]  # at least two; None: the CRM had no stage


@dataclass(frozen=True)
class FlaggedDeal:
    deal_id: int | None
    deal_name: str
    probability: float | None
    flags: int
    reason: str  # the latest flag's reason
    flagged_by: str | None


@dataclass(frozen=True)
class DigestContent:
    workspace_id: str
    owner_id: str | None  # only this rep's deals, when set
    period: Period
    calls: int  # scored in the period
    deals_called: int  # distinct deals those calls were about
    won: int  # deals closed in the period
    lost: int
    pipeline: Pipeline
    probabilities: tuple[float, ...]  # every open deal's latest probability (the chart's histogram)
    movers_up: tuple[Mover, ...]
    movers_down: tuple[Mover, ...]
    moved_up: int  # deals that moved up by MOVE_MIN or more in the period
    moved_down: int
    at_risk_below: float
    at_risk: tuple[Deal, ...]  # the lowest first, at most LIST_SHOWN
    at_risk_count: int
    flagged: tuple[FlaggedDeal, ...]
    flagged_count: int
    idle_days: int
    idle: tuple[Deal, ...]  # the longest idle first
    idle_count: int
    reps: tuple[RepActivity, ...]
    rep_count: int
    calibration: Calibration | None
    stage_moves: tuple[StageMove, ...] = ()  # the deals whose CRM stage changed in the period, at most LIST_SHOWN
    stage_move_count: int = 0


def build_digest(
    store: Store,
    workspace_id: str,
    period: Period,
    *,
    owner_id: str | None = None,
    at_risk_below: float = 0.35,
    idle_days: int = IDLE_DAYS,
    shown: Callable[[Deal], bool] | None = None,
) -> DigestContent:
    """`shown`, when given, says which deals the digest's readers may see (bot.slack.membership):
    everything else in the digest (counts, pipeline, movers, flags, reps, calibration) is then
    computed from those deals and their calls only."""
    deals = store.deals.list(workspace_id, owner_id=owner_id)
    calls = calls_between(store, workspace_id, period.start, period.end, owner_id=owner_id)
    moves = deal_movers(store, workspace_id, period.start, period.end, owner_id=owner_id)
    flags = store.flags.list_open(workspace_id, owner_id=owner_id)
    stage_changes = store.crm.stage_changes(workspace_id, period.start, period.end)
    if shown is None:
        reps = calls_per_rep(store, workspace_id, period.start, period.end, owner_id=owner_id)
    else:
        deals = [d for d in deals if shown(d)]
        visible = {d.id for d in deals}
        calls = [c for c in calls if c.deal_id in visible]
        moves = [m for m in moves if m.deal_id in visible]
        flags = [f for f in flags if f.deal_id in visible]
        reps = reps_of(store, workspace_id, calls, {d.id: d.owner_id for d in deals})

    open_deals = [d for d in deals if d.status == "open"]
    # type: ignore below: every deal in `scored` has a probability; mypy does not carry the filter over
    scored = [d for d in open_deals if d.latest_probability is not None]
    at_risk = sorted((d for d in scored if d.latest_probability < at_risk_below),  # type: ignore[operator]
                     key=lambda d: (d.latest_probability, d.name))
    idle_cutoff = period.end - timedelta(days=idle_days)
    idle = [d for d in open_deals if d.updated_at < idle_cutoff]
    idle.sort(key=lambda d: (d.updated_at, d.id))
    closed_in_period = [d for d in deals if d.closed_at is not None and d.status != "open"
                        and period.start <= d.closed_at < period.end]

    calls_of: dict[int, list[int]] = defaultdict(list)  # deal -> its calls in the period, oldest first
    for c in reversed(calls):
        if c.deal_id is not None:
            calls_of[c.deal_id].append(c.call_id)
    up = sorted((m for m in moves if m.change >= MOVE_MIN), key=lambda m: (-m.change, m.deal_id))
    down = sorted((m for m in moves if m.change <= -MOVE_MIN), key=lambda m: (m.change, m.deal_id))
    probability_of = {d.id: d.latest_probability for d in deals}
    flagged = flagged_deals(flags, probability_of)
    moved_stage = stage_moves(stage_changes, {d.id: d.name for d in deals})

    return DigestContent(
        workspace_id=workspace_id,
        owner_id=owner_id,
        period=period,
        calls=len(calls),
        deals_called=len({c.deal_id for c in calls if c.deal_id is not None}),
        won=sum(1 for d in closed_in_period if d.status == "won"),
        lost=sum(1 for d in closed_in_period if d.status == "lost"),
        pipeline=pipeline_value(open_deals),
        probabilities=tuple(float(d.latest_probability) for d in scored),  # type: ignore[arg-type]
        movers_up=tuple(_mover(store, workspace_id, m, calls_of.get(m.deal_id, [])) for m in up[:MOVERS_SHOWN]),
        movers_down=tuple(_mover(store, workspace_id, m, calls_of.get(m.deal_id, [])) for m in down[:MOVERS_SHOWN]),
        moved_up=len(up),
        moved_down=len(down),
        at_risk_below=at_risk_below,
        at_risk=tuple(at_risk[:LIST_SHOWN]),
        at_risk_count=len(at_risk),
        flagged=tuple(flagged[:LIST_SHOWN]),
        flagged_count=len(flagged),
        idle_days=idle_days,
        idle=tuple(idle[:LIST_SHOWN]),
        idle_count=len(idle),
        reps=tuple(reps[:REPS_SHOWN]),
        rep_count=len(reps),
        calibration=calibrate(deals, period.end - timedelta(days=CALIBRATION_DAYS), period.start, period.end,
                              CALIBRATION_DAYS),
        stage_moves=tuple(moved_stage[:LIST_SHOWN]),
        stage_move_count=len(moved_stage),
    )


def reps_of(store: Store, workspace_id: str, calls: Sequence[ScoredCallRow],
            owners: dict[int, str | None]) -> list[RepActivity]:
    """Calls per rep (who submitted the call, else the deal's owner), as queries.calls_per_rep counts
    them, over the given calls only."""
    tally: dict[str | None, list[float]] = defaultdict(list)
    for c in calls:
        tally[c.user_id or (owners.get(c.deal_id) if c.deal_id is not None else None)].append(c.final_probability)
    names = store.workspaces.user_names(workspace_id, [rep for rep in tally if rep])
    out = [RepActivity(user_id=rep, display_name=names.get(rep) if rep else None, calls=len(ps),
                       average_final_probability=sum(ps) / len(ps)) for rep, ps in tally.items()]
    return sorted(out, key=lambda a: (-a.calls, a.user_id or ""))


def pipeline_value(open_deals: Sequence[Deal]) -> Pipeline:
    """The open pipeline's value, weighted by probability. Amounts in different currencies are not added up:
    the sums are in the currency most priced deals are in (a CRM says which; an amount typed in Slack has
    none and counts as that one), and deals in others are counted apart."""
    scored = [d for d in open_deals if d.latest_probability is not None]
    with_amount = [d for d in scored if d.amount is not None]
    currencies = Counter(d.currency for d in with_amount if d.currency)
    currency = currencies.most_common(1)[0][0] if currencies else None
    priced = [d for d in with_amount if d.currency in (None, currency)]
    # type: ignore below: each has both; mypy forgets the filters
    return Pipeline(
        open_deals=len(open_deals),
        scored_deals=len(scored),
        priced_deals=len(priced),
        total_amount=float(sum(float(d.amount) for d in priced)),  # type: ignore[arg-type]
        weighted_amount=float(sum(float(d.amount) * float(d.latest_probability) for d in priced)),  # type: ignore[arg-type]
        currency=currency,
        other_currency_deals=len(with_amount) - len(priced),
    )


def stage_moves(changes: Sequence[StageChange], names: dict[int, str]) -> list[StageMove]:
    """The stage changes (oldest first) of the deals in `names` (the digest's deals), one line per deal,
    in the order their first change came."""
    stages: dict[int, list[str | None]] = {}
    for c in changes:
        if c.deal_id in names:
            stages.setdefault(c.deal_id, [c.from_stage]).append(c.to_stage)
    return [StageMove(deal_id, names[deal_id], tuple(seen)) for deal_id, seen in stages.items()]


def flagged_deals(flags: Sequence[Flag], probability_of: dict[int, float | None]) -> list[FlaggedDeal]:
    """Open flags grouped by deal, the longest-flagged deal first; each shows its latest reason."""
    grouped: dict[int, list[Flag]] = {}
    for f in flags:  # oldest first
        grouped.setdefault(f.deal_id if f.deal_id is not None else -f.id, []).append(f)
    out = []
    for group in grouped.values():
        latest = group[-1]
        out.append(FlaggedDeal(
            deal_id=latest.deal_id, deal_name=latest.deal_name or "a call without a deal",
            probability=probability_of.get(latest.deal_id) if latest.deal_id is not None else None,
            flags=len(group), reason=latest.reason, flagged_by=latest.flagged_by,
        ))
    return out


def _mover(store: Store, workspace_id: str, move: DealMove, call_ids: Sequence[int]) -> Mover:
    return Mover(
        deal_id=move.deal_id, deal_name=move.deal_name, owner_id=move.owner_id, before=float(move.before),
        after=float(move.after), calls_in_period=int(move.calls_in_period),
        moment=moment_of(store, workspace_id, call_ids, 1 if move.change > 0 else -1),
    )


def moment_of(store: Store, workspace_id: str, call_ids: Sequence[int], direction: int) -> Moment | None:
    """Across these calls, the turn whose change in probability went furthest in `direction`
    (+1 up, -1 down); None when no turn moved that way."""
    best: Moment | None = None
    for call_id in call_ids:
        detail = store.calls.get(workspace_id, call_id)
        if detail is None:  # forgotten since the calls were listed
            continue
        turns = detail.turns
        for prev, turn in zip(turns, turns[1:]):
            change = turn.probability - prev.probability
            if direction * change <= 0:
                continue
            if best is None or direction * change > direction * best.change:
                best = Moment(call_id=call_id, turn=turn.index, speaker=turn.speaker, text=turn.text,
                              before=prev.probability, after=turn.probability)
    return best
