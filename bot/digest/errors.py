"""Digest errors a user can act on (one-line messages)."""

from __future__ import annotations

from salesrl.agent.errors import SalesRLError


class DigestConfigError(SalesRLError):
    """Digests cannot be posted with this configuration (no Slack credentials)."""


class DigestChannelError(SalesRLError):
    """The channel named for a digest cannot be used (not a channel, or the bot is not in it)."""
