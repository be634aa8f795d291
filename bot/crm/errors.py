"""What goes wrong with a CRM, in one line a person can act on (never a token)."""

from __future__ import annotations

from salesrl.agent.errors import SalesRLError


class CrmError(SalesRLError):
    """A CRM refused a request or is not set up; the message says what to do."""


class Transient(Exception):
    """A CRM is rate limiting or briefly unavailable: worth trying again, after `retry_after` seconds when
    it said so."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def extra_missing(package: str) -> CrmError:
    return CrmError(f"CRM sync needs the {package} package: pip install 'salesrl[crm]'")
