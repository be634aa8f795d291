"""Rate limits and outages: a call to a CRM that failed with `Transient` is tried again, after the
Retry-After the CRM gave, else after `first_wait_s` (1 s), then twice that, and so on (at most MAX_WAIT_S),
ATTEMPTS times in all. What still fails is raised: the sync stops, keeps the pages it applied, and tries
again at its next run."""

from __future__ import annotations

import logging
from typing import Callable, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from salesrl.bot.crm.errors import Transient

log = logging.getLogger(__name__)

ATTEMPTS = 5
MAX_WAIT_S = 60.0
FIRST_WAIT_S = 1.0
T = TypeVar("T")


def _note(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.info("CRM: %s; trying again (attempt %d of %d)", error, state.attempt_number + 1, ATTEMPTS)


def with_retries(call: Callable[[], T], first_wait_s: float = FIRST_WAIT_S) -> T:
    """`call()`, tried again while it raises Transient."""
    backoff = wait_exponential(multiplier=first_wait_s, max=MAX_WAIT_S)

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        said = getattr(error, "retry_after", None)
        return min(float(said), MAX_WAIT_S) if said is not None else backoff(state)

    retrying = Retrying(retry=retry_if_exception_type(Transient), wait=wait, stop=stop_after_attempt(ATTEMPTS),
                        before_sleep=_note, reraise=True)
    return retrying(call)
