"""Zoom's webhook signatures, as Zoom documents them for its event subscriptions.

Every request carries `x-zm-request-timestamp` (seconds) and `x-zm-signature`:
"v0=" + hex HMAC-SHA256(secret token, "v0:{timestamp}:{raw body}"). A request signed longer ago than
five minutes is refused, so a captured request cannot be replayed later. Zoom also checks that the
endpoint is ours: it sends a plainToken and expects back hex HMAC-SHA256(secret token, plainToken).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Mapping

MAX_AGE_S = 5 * 60  # Zoom's own advice, and Slack's


def _hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The x-zm-signature Zoom sends with `body` at `timestamp`."""
    return "v0=" + _hmac_hex(secret, b"v0:" + timestamp.encode() + b":" + body)


def is_signed(secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None) -> bool:
    """True when the request was signed with `secret` within the last five minutes (or up to five
    minutes ahead: clocks differ)."""
    timestamp = headers.get("x-zm-request-timestamp", "")
    given = headers.get("x-zm-signature", "")
    if not timestamp.isdigit() or not given:
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_AGE_S:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), given)


def url_validation(secret: str, plain_token: str) -> dict[str, str]:
    """The answer to Zoom's endpoint.url_validation event."""
    return {"plainToken": plain_token, "encryptedToken": _hmac_hex(secret, plain_token.encode())}
