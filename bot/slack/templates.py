"""Renders every Slack message and view from the Jinja2 templates in ``templates/slack/``.

A template writes Block Kit JSON. Every ``{{ expression }}`` is emitted as a JSON value, so text can
never break out of its string:

- a plain ``str`` is escaped for Slack (``&``, ``<``, ``>``) and JSON-encoded: a transcript line
  ``<!channel>`` shows as the text "<!channel>" and pings nobody;
- ``|quote(n)`` collapses whitespace, escapes, and clips to at most ``n`` characters *after* escaping
  (Slack's limits count the escaped text), ending a clipped text with "…";
- ``|plain(n)`` is ``quote`` for ``plain_text`` objects (escaped too: Slack decodes the entities there);
- ``|raw(n)`` clips without escaping, only for values that are not shown as text (private_metadata,
  an input's initial_value);
- ``|join_within(n)`` joins lines built from escaped parts, leaving out whole lines beyond ``n``;
- ``|pieces(n)`` cuts a long text, as it is (no whitespace collapsed), into escaped pieces of at most ``n``
  characters, at line ends where it can: a user's own text given back to them whole;
- ``|mrkdwn`` marks a string the template composed from already escaped parts (``~`` concatenation
  of ``quote`` results with literal ``*bold*`` or ``<@U123>``) as safe, so it is not escaped twice;
- numbers, booleans and ``none`` become JSON numbers, booleans and ``null``.

The result is parsed and validated (block count, field limits) before anyone sends it.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
import importlib.resources
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from salesrl.agent.head import range_text
from salesrl.bot.slack.block_validation import BlockKitError, validate_message, validate_view

# shipped in the wheel as package data (templates/ in the repository)
TEMPLATES_DIR = Path(str(importlib.resources.files("salesrl.templates")))
ELLIPSIS = "…"

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_WHITESPACE = re.compile(r"\s+")


class SlackText(str):
    """Text that is already safe inside a Block Kit string (escaped, or plain_text)."""


def escape(text: str) -> str:
    """Slack's three control characters as entities; everything else unchanged."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quote(text: Any, limit: int) -> SlackText:
    """Whitespace collapsed, escaped, and clipped so that the escaped text has at most `limit` characters."""
    text = _WHITESPACE.sub(" ", str(text)).strip()
    escaped = escape(text)
    if len(escaped) <= limit:
        return SlackText(escaped)
    out: list[str] = []
    used = 0
    for ch in text:
        piece = _ESCAPES.get(ch, ch)
        if used + len(piece) + len(ELLIPSIS) > limit:
            break
        out.append(piece)
        used += len(piece)
    return SlackText("".join(out).rstrip() + ELLIPSIS)


def plain(text: Any, limit: int) -> SlackText:
    """For plain_text objects: the same as `quote`. Slack does not format plain_text, but it does
    decode the three entities there, so escaping shows the same text and keeps `<!channel>` inert."""
    return quote(text, limit)


# Slack's mrkdwn has no escape for its formatting characters: inside a bold name or a link label they
# would end the bold ("*Acme *VIP* deal*"), so names show them as look-alikes
_FORMATTING = str.maketrans({"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"})


def name(text: Any, limit: int) -> SlackText:
    """A name (a deal's) for bold text or a link label: `quote`d, its formatting characters inert."""
    return quote(str(text).translate(_FORMATTING), limit)


def raw(text: Any, limit: int) -> SlackText:
    """For values that are not displayed text (private_metadata, an input's initial_value): clipped
    to `limit`, not escaped. Never use it for text shown in a message."""
    text = str(text)
    return SlackText(text if len(text) <= limit else text[: limit - 1] + ELLIPSIS)


def join_within(items: Any, limit: int, separator: str = "\n") -> SlackText:
    """Lines the template built from escaped parts, joined; whole lines that do not fit are left
    out and replaced by a final "…" line, so the text stays within `limit` characters."""
    out: list[str] = []
    used = 0
    items = [str(i) for i in items]
    for i, item in enumerate(items):
        cost = len(item) + (len(separator) if out else 0)
        reserve = 0 if i == len(items) - 1 else len(separator) + len(ELLIPSIS)
        if used + cost + reserve > limit:
            out.append(ELLIPSIS)
            break
        out.append(item)
        used += cost
    return SlackText(separator.join(out))


def pieces(text: Any, limit: int) -> list[SlackText]:
    """`text` escaped and cut into pieces of at most `limit` characters, each ending at a line end where one
    falls in its second half; nothing is left out or changed."""
    out: list[SlackText] = []
    current: list[str] = []
    used = 0
    line_end = -1  # the piece's length after its last newline, if in its second half
    for ch in str(text):
        piece = _ESCAPES.get(ch, ch)
        if used + len(piece) > limit:
            cut = line_end if line_end > 0 else len(current)
            out.append(SlackText("".join(current[:cut])))
            current, used = current[cut:], sum(map(len, current[cut:]))
            line_end = -1
        current.append(piece)
        used += len(piece)
        if ch == "\n" and used > limit // 2:
            line_end = len(current)
    if current:
        out.append(SlackText("".join(current)))
    return out


def percent(p: float | None) -> str:
    return "–" if p is None else f"{round(100 * p)}%"


def points(delta: float | None) -> str:
    """A change in probability as signed percentage points: +12 pts, −3 pts, ±0 pts."""
    if delta is None:
        return "–"
    n = round(100 * delta)
    if n == 0:
        return "±0 pts"
    return f"+{n} pts" if n > 0 else f"−{-n} pts"


def compact_amount(value: float | Decimal | None) -> str:
    """1234 -> "1.2k", 2_500_000 -> "2.5M"; no currency (the store keeps none)."""
    if value is None:
        return "–"
    x = float(value)
    if not math.isfinite(x):
        return "–"
    units = (("", 1.0), ("k", 1e3), ("M", 1e6), ("B", 1e9))
    for i, (suffix, size) in enumerate(units):
        scaled = x / size
        text = f"{scaled:.1f}" if suffix and abs(scaled) < 100 else f"{scaled:.0f}"
        if abs(float(text)) < 1000 or i == len(units) - 1:  # 999,950 is "1M", not "1000k"
            return text.removesuffix(".0") + suffix
    raise AssertionError("unreachable")


def count(n: int, noun: str) -> str:
    """count(1, "turn") -> "1 turn", count(3, "turn") -> "3 turns"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def trend_arrow(delta: float | None) -> str:
    if delta is None or abs(delta) < 0.03:
        return "→"
    return "↗" if delta > 0 else "↘"


def _finalize(value: Any) -> str:
    if isinstance(value, jinja2.Undefined):
        raise BlockKitError("a template used an undefined value")
    if isinstance(value, SlackText):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, str):
        return json.dumps(escape(value), ensure_ascii=False)
    if value is None or isinstance(value, (bool, int)):
        return json.dumps(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BlockKitError("a template emitted a number that is not finite")
        return json.dumps(value)
    raise BlockKitError(f"a template emitted a {type(value).__name__}; emit strings, numbers or booleans")


@dataclass(frozen=True)
class SlackMessage:
    """A message ready for chat.postMessage / postEphemeral / a response URL."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


class Templates:
    """The Jinja2 environment over ``templates/``; renders and validates."""

    def __init__(self, directory: Path = TEMPLATES_DIR) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(directory)),
            autoescape=False,
            finalize=_finalize,
            undefined=jinja2.StrictUndefined,
            extensions=["jinja2.ext.do"],
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(quote=quote, plain=plain, raw=raw, name=name, percent=percent, likely_range=range_text,
                                points=points, trend_arrow=trend_arrow, join_within=join_within, pieces=pieces,
                                mrkdwn=lambda s: SlackText(s))
        self.env.globals.update(count=count, money=compact_amount)

    def _render(self, name: str, context: dict[str, Any]) -> dict[str, Any]:
        source = self.env.get_template(name).render(**context)
        try:
            data = json.loads(source)
        except ValueError as e:
            raise BlockKitError(f"{name} rendered invalid JSON: {e}") from e
        if not isinstance(data, dict):
            raise BlockKitError(f"{name} must render a JSON object")
        return data

    def message(self, name: str, **context: Any) -> SlackMessage:
        data = self._render(name, context)
        try:
            validate_message(data)
        except BlockKitError as e:
            raise BlockKitError(f"{name}: {e}") from e
        return SlackMessage(text=data["text"], blocks=data.get("blocks", []))

    def view(self, name: str, **context: Any) -> dict[str, Any]:
        data = self._render(name, context)
        try:
            validate_view(data)
        except BlockKitError as e:
            raise BlockKitError(f"{name}: {e}") from e
        return data
