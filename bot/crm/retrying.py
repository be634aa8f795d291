"""Rate limits and outages: a call to a CRM that failed with `Transient` is tried again, after the
Retry-After the CRM gave, else after 1, 2, 4... seconds (at most MAX_WAIT_S), ATTEMPTS times in all. What
still fails is raised: the sync stops, keeps the pages it applied, and tries again at its next run."""

from __future__ import annotations

import logging
from typing import Callable, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from salesrl.bot.crm.errors import Transient

log = logging.getLogger(__name__)

ATTEMPTS = 5
MAX_WAIT_S = 60.0
T = TypeVar("T")
_backoff = wait_exponential(multiplier=1, max=MAX_WAIT_S)


def _wait(state: RetryCallState) -> float:
    error = state.outcome.exception() if state.outcome else None
    said = getattr(error, "retry_after", None)
    return min(float(said), MAX_WAIT_S) if said is not None else _backoff(state)


def _note(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.info("CRM: %s; trying again (attempt %d of %d)", error, state.attempt_number + 1, ATTEMPTS)


def with_retries(call: Callable[[], T]) -> T:
    """`call()`, tried again while it raises Transient."""
    retrying = Retrying(retry=retry_if_exception_type(Transient), wait=_wait, stop=stop_after_attempt(ATTEMPTS),
                        before_sleep=_note, reraise=True)
    return retrying(call)
