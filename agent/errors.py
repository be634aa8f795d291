"""Errors a user can act on. Each carries a one-line message that is safe to show as it is."""


class SalesRLError(Exception):
    """Base class: the CLI prints the message and exits 2; the bot sends it as an ephemeral message."""


class TranscriptError(SalesRLError):
    """The input could not be read as a conversation (empty, binary, too long, no turns)."""


class ModelError(SalesRLError):
    """A model directory is missing, corrupt, or built for another embedder or feature schema."""


class DatasetError(SalesRLError):
    """A dataset file has a bad line; the message names the line number and the reason."""
