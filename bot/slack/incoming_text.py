"""Text that arrives from Slack, turned back into what the person typed.

Slack escapes `&`, `<` and `>` in message and command text and wraps mentions, channels and links in
angle brackets (`<@U123>`, `<@U123|ana>`, `<#C123|sales>`, `<https://x.io|x.io>`, `<!here>`). A
transcript pasted into Slack should be scored as the words it contains, so these are unwrapped to
their labels before parsing.
"""

from __future__ import annotations

import re

_ENTITY = re.compile(r"<([^<>\n]*)>")


def _label(inner: str) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        name = label or target[1:].split("^")[0]
        return "@" + name if name in ("here", "channel", "everyone") else name
    return label or target


def unescape(text: str) -> str:
    """Slack's message text as plain text: entities unwrapped to their labels, `&amp;` `&lt;` `&gt;` decoded."""
    text = _ENTITY.sub(lambda m: _label(m.group(1)), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def split_deal_name(text: str, max_name: int = 200) -> tuple[str | None, str]:
    """`Deal name :: transcript` -> ("Deal name", "transcript"); `:: transcript` -> (None, "transcript").
    Without a `::` on the first line (or with a name longer than `max_name`), there is no deal name
    and the text is all transcript."""
    head, sep, rest = text.partition("::")
    if not sep or "\n" in head:
        return None, text
    name = " ".join(head.split())
    if len(name) > max_name:
        return None, text
    body = rest.lstrip(" \t").lstrip("\r\n") if rest.strip() else ""
    return name or None, body  # "/salesrl score :: text" is text without a deal
