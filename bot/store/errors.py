"""Storage errors a user can act on (one-line messages, shown as they are)."""

from __future__ import annotations

from salesrl.agent.errors import SalesRLError


class StoreError(SalesRLError):
    """The database cannot be used as asked."""


class DatabaseUnavailable(StoreError):
    """The database cannot be reached or opened."""


class SchemaOutOfDate(StoreError):
    """The database schema is older (or newer) than this version of SalesRL expects."""


class NotFound(StoreError):
    """A deal, call, flag, question or subscription does not exist in this workspace."""


class InvalidValue(StoreError):
    """An argument is out of range: an empty deal name, an unknown source, a bad hour."""
