"""The whisper coach: a question asked in a live thread ("what should she ask next?", "who decides?")
answered from the call so far, privately to whoever asked, with the coaching the call would get if it
ended now (agent.coach reads the same tracker), so the answer never contradicts the tips to come."""

from __future__ import annotations

from salesrl.agent.types import ScoreResult
from salesrl.bot.answers.intent import classify


def whisper_lines(result: ScoreResult, question: str) -> list[str]:
    """What to tell the asker, a line each: the answer, then where the call stands."""
    lines: list[str] = []
    if classify(question).intent == "who_decides":
        item = (result.tracker.get("items") or {}).get("decision") or {}
        turn = item.get("turn")
        if item.get("state") in ("answered", "agreed", "negative") and turn is not None:
            lines.append(f"Turn {turn + 1}, {item.get('speaker')}: “{_clip(str(item.get('evidence', '')))}”")
        elif item.get("state") == "asked" and turn is not None:
            lines.append(f"It was asked at turn {turn + 1}, and nobody has said yet: ask again who signs off.")
        else:
            lines.append("Nobody has said who decides yet: ask who signs off and how they decide.")
    else:
        by_kind = {kind: [t for t in result.tips if t.kind == kind] for kind in ("objection", "next_best_action", "gap")}
        lines.extend(t.text for t in by_kind["objection"][:1] + by_kind["next_best_action"][:1])
        lines.extend(t.text for t in by_kind["gap"][:2])
        if not lines:
            lines.append("Nothing stands out yet: agree on a concrete next step with a date.")
    turns = len(result.points)
    lines.append(f"The call so far: {round(100 * result.final.probability)}% likely to convert after "
                 f"{turns} turn{'' if turns == 1 else 's'}.")
    return lines


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
