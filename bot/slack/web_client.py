"""Every Slack Web API client the bot makes, with the same retry handlers.

slack-sdk retries nothing but a reset connection, once, unless told otherwise. Every `WebClient`
and `WebhookClient` of SalesRL is made here (or copied from one made here: Bolt gives each request a
copy of the app's client, retry handlers included), so all of them:

- honour Slack's rate limits: an HTTP 429 is retried after its ``Retry-After`` seconds
  (`RateLimitErrorRetryHandler`), up to `RATE_LIMIT_RETRIES` times;
- retry a connection that failed or was reset, and an HTTP 500 or 503 from Slack, with exponential
  backoff (`CONNECTION_RETRIES`, `SERVER_ERROR_RETRIES`).

Longer outages are the business of whoever posts (bot.slack.outbox): the result is saved first,
and the post is tried again later. A post that may have got through (the connection dropped after
it was sent, Slack answered after `TIMEOUT_S`, or with a 5xx) must not be sent again blindly: such
posts go through `without_blind_retries` and are looked for before a retry (bot.slack.outbox).
"""

from __future__ import annotations

import copy

from slack_sdk import WebClient
from slack_sdk.http_retry import (
    BackoffRetryIntervalCalculator,
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    RetryHandler,
)
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.webhook import WebhookClient

RATE_LIMIT_RETRIES = 3
CONNECTION_RETRIES = 2
SERVER_ERROR_RETRIES = 2
BACKOFF_FACTOR_S = 0.5  # waits of about 0.5 s, then 1 s (plus jitter)
TIMEOUT_S = 30  # seconds a Web API call may take before the client gives up on its answer


def retry_handlers() -> list[RetryHandler]:
    """Fresh handlers (they are cheap, and hold no state between requests)."""
    backoff = BackoffRetryIntervalCalculator(backoff_factor=BACKOFF_FACTOR_S)
    return [
        RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES, interval_calculator=backoff),
        ServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES, interval_calculator=backoff),
    ]


def slack_client(token: str | None = None, base_url: str = WebClient.BASE_URL) -> WebClient:
    """A Web API client that honours 429s and retries transient failures."""
    if not base_url.endswith("/"):
        base_url += "/"
    return WebClient(token=token, base_url=base_url, timeout=TIMEOUT_S, retry_handlers=retry_handlers())


def without_blind_retries(client: WebClient) -> WebClient:
    """A copy of `client` that repeats a call only when Slack refused it before acting on it (a 429).
    For posts: after a dropped connection or a 5xx the message may be in the channel already, and
    whoever retries looks for it first (bot.slack.outbox)."""
    careful = copy.copy(client)
    careful.retry_handlers = [RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)]
    return careful


def webhook_client(url: str, timeout: int = 10) -> WebhookClient:
    """A client for a response URL, with the same retries."""
    return WebhookClient(url, timeout=timeout, retry_handlers=retry_handlers())
