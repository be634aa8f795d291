"""The training dataset format: JSONL, one conversation per line.

    {"id": str, "outcome": 0|1, "turns": [{"speaker", "role", "text", "action"?, "p_true"?, "labels"?}], "meta": {...}}

`action` is the rep's move class (agent.moves), `p_true` the latent conversion probability after the turn
(synthetic calls), `labels` any other sales labels of the turn, name -> value, both strings (`salesrl synth`
writes the prospect's intent, tone, pain and length, and the buyer's persona and company size; the sequence
score learns to read them, agent.sequence). Reading validates every line and names the line number and the
reason for a bad one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from salesrl.agent.errors import DatasetError
from salesrl.agent.moves import MOVES
from salesrl.agent.types import ROLES, Turn


@dataclass(frozen=True)
class Conversation:
    id: str
    outcome: int | None  # None for an open deal (scored, never trained on)
    turns: tuple[Turn, ...]
    actions: tuple[str | None, ...] = ()  # rep move class per turn, when known
    p_true: tuple[float | None, ...] = ()  # latent conversion probability per turn (synthetic data)
    labels: tuple[dict[str, str], ...] = ()  # other sales labels per turn, when known
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        turns = []
        for i, t in enumerate(self.turns):
            d: dict[str, Any] = {"speaker": t.speaker, "role": t.role, "text": t.text}
            if t.is_note:
                d["is_note"] = True
            if self.actions and self.actions[i] is not None:
                d["action"] = self.actions[i]
            if self.p_true and (p := self.p_true[i]) is not None:
                d["p_true"] = round(float(p), 4)
            if self.labels and self.labels[i]:
                d["labels"] = dict(self.labels[i])
            turns.append(d)
        return {"id": self.id, "outcome": self.outcome, "turns": turns, "meta": self.meta}


def parse_conversation(obj: Any, where: str = "conversation") -> Conversation:
    """Validate one decoded JSON object; raises DatasetError naming `where` and the reason."""

    def bad(reason: str) -> DatasetError:
        return DatasetError(f"{where}: {reason}")

    if not isinstance(obj, dict):
        raise bad("expected a JSON object")
    cid = obj.get("id")
    if not isinstance(cid, (str, int)) or cid == "":
        raise bad("missing 'id'")
    outcome = obj.get("outcome")
    if outcome is not None and outcome not in (0, 1) or isinstance(outcome, bool):
        raise bad("'outcome' must be 0 or 1")
    raw_turns = obj.get("turns")
    if not isinstance(raw_turns, list) or not raw_turns:
        raise bad("'turns' must be a non-empty list")
    turns, actions, p_true, labels = [], [], [], []
    for i, t in enumerate(raw_turns):
        if not isinstance(t, dict):
            raise bad(f"turn {i} is not an object")
        text = t.get("text")
        if not isinstance(text, str) or not text.strip():
            raise bad(f"turn {i} has no 'text'")
        role = t.get("role", "other")
        if role not in ROLES:
            raise bad(f"turn {i} has role {role!r}; expected rep, prospect or other")
        speaker = t.get("speaker") or role
        if not isinstance(speaker, str):
            raise bad(f"turn {i} has a non-string 'speaker'")
        action = t.get("action")
        if action is not None and action not in MOVES:
            raise bad(f"turn {i} has unknown action {action!r}")
        p = t.get("p_true")
        if p is not None and (not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0):
            raise bad(f"turn {i} has 'p_true' outside [0, 1]")
        turn_labels = {} if t.get("labels") is None else t["labels"]
        if not isinstance(turn_labels, dict) or not all(
                isinstance(k, str) and k and isinstance(v, str) and v for k, v in turn_labels.items()):
            raise bad(f"turn {i} has 'labels' that are not an object of non-empty strings")
        if "move" in turn_labels:
            raise bad(f"turn {i} has a 'move' label; the rep's move goes in 'action'")
        turns.append(Turn(speaker=speaker, role=role, text=text, is_note=t.get("is_note") is True))
        actions.append(action)
        labels.append(turn_labels)
        p_true.append(None if p is None else float(p))
    meta = obj.get("meta") or {}
    if not isinstance(meta, dict):
        raise bad("'meta' must be an object")
    return Conversation(
        id=str(cid),
        outcome=outcome,
        turns=tuple(turns),
        actions=tuple(actions) if any(a is not None for a in actions) else (),
        p_true=tuple(p_true) if any(p is not None for p in p_true) else (),
        labels=tuple(labels) if any(labels) else (),
        meta=meta,
    )


def iter_dataset(path: str | Path) -> Iterator[Conversation]:
    """The conversations of a dataset file, one per non-blank line, in order. A line that is not UTF-8
    JSON of the format above raises DatasetError naming its line number (a UTF-8 byte order mark, as some
    editors write, is allowed)."""
    path = Path(path)
    try:
        fh = path.open("rb")  # decoded line by line, so a bad byte names its line
    except OSError as e:
        raise DatasetError(f"{path}: cannot open ({e.strerror})") from None
    with fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError:
                raise DatasetError(f"{path}:{lineno}: not UTF-8 text; a dataset is JSONL, one JSON conversation "
                                   "per line") from None
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise DatasetError(f"{path}:{lineno}: not valid JSON ({e.msg}); a dataset is JSONL, one JSON "
                                   "conversation per line") from None
            yield parse_conversation(obj, where=f"{path}:{lineno}")


def read_dataset(path: str | Path, *, labelled: bool = False) -> list[Conversation]:
    """All conversations of a file; with labelled=True every one must have an outcome."""
    convs = list(iter_dataset(path))
    if not convs:
        raise DatasetError(f"{path}: no conversations")
    if labelled:
        for c in convs:
            if c.outcome is None:
                raise DatasetError(f"{path}: conversation {c.id} has no outcome; training needs 0 or 1")
    return convs


def write_dataset(convs: Iterable[Conversation], path: str | Path) -> int:
    n = 0
    with Path(path).open("w", encoding="utf-8") as fh:
        for c in convs:
            fh.write(json.dumps(c.to_json(), ensure_ascii=False) + "\n")
            n += 1
    return n
