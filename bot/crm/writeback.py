"""What SalesRL writes back into a linked CRM deal, when the workspace turned write-back on
(`/salesrl config crm-writeback on`):

    probability  the latest call's final probability, in percent
    range        its 80% range ("55-70%")
    last_call    the date of the latest scored call
    gaps         what the deal's calls have not settled yet (budget, decision maker, timeline, next step),
                 as the tracker (agent.tracker) reads them for tips, answers and digests

Empty beats wrong: the probability and its range are written only when the latest call looks like the
calls the model learnt from (in-distribution score at least agent.coach.UNFAMILIAR) and its 80% range is
at most MAX_HALF_RANGE either side; otherwise they are emptied. Gaps are empty once every transcript of the
deal is purged. A value is written only when it differs from what was last written.
"""

from __future__ import annotations

from typing import Any

from salesrl.agent.coach import UNFAMILIAR
from salesrl.agent.head import range_text
from salesrl.agent.tracker import gaps_of, merge, track
from salesrl.agent.types import Turn
from salesrl.bot.store import Store

MAX_HALF_RANGE = 0.15  # an 80% range wider than +-15 points says too little to put in front of a manager
GAP_NAMES = {"budget": "budget", "decision": "decision maker", "timeline": "timeline", "next_step": "next step"}
NO_GAPS = "none"


def deal_values(store: Store, workspace_id: str, deal_id: int) -> dict[str, Any] | None:
    """The values to write for a SalesRL deal (None when it has no scored call)."""
    calls = store.calls.of_deal(workspace_id, deal_id)
    if not calls:
        return None
    latest = calls[-1]
    confident = latest.final_in_distribution >= UNFAMILIAR and latest.final_uncertainty <= MAX_HALF_RANGE
    p, half = latest.final_probability, latest.final_uncertainty
    return {
        "probability": round(100 * p) if confident else None,
        "range": range_text(p, half) if confident else None,
        "last_call": latest.created_at.date().isoformat(),
        "gaps": open_gaps(store, workspace_id, [c.id for c in calls]),
    }


def open_gaps(store: Store, workspace_id: str, call_ids: list[int]) -> str | None:
    """The deal's open gaps over its calls (oldest first), as words; None when no transcript is left."""
    per_call = []
    for call_id in call_ids:
        detail = store.calls.get(workspace_id, call_id)
        turns = [Turn(t.speaker, t.role, t.text, is_note=t.is_note) for t in detail.turns if t.text] if detail else []
        if turns:
            per_call.append(track(turns).items)
    if not per_call:
        return None
    return ", ".join(GAP_NAMES[g] for g in gaps_of(merge(per_call))) or NO_GAPS


def changed(values: dict[str, Any], written: dict[str, Any] | None) -> dict[str, Any]:
    """The values that differ from those last written (all of them, the first time)."""
    written = written or {}
    return {k: v for k, v in values.items() if k not in written or written[k] != v}
