"""Serving the Slack app: HTTP (Starlette under uvicorn) for production, Socket Mode for development.

Over HTTP, Bolt's dispatch is synchronous (it waits for the listener's ack); it runs in a thread
pool so the event loop keeps accepting requests while other requests are acknowledged, and scoring
runs in the bot's own worker pool (bot.slack.workers), so acks never wait behind it.

Routes:  POST /slack/events (commands, interactivity, events; an exact copy of a signed request
is refused: bot.slack.replays) · GET /slack/install and
GET /slack/oauth_redirect (OAuth installs, when configured) · GET /healthz.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import signal
import sys
from typing import TYPE_CHECKING, AsyncIterator

import anyio.to_thread
from slack_bolt import App, BoltRequest, BoltResponse
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.slack.app import EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH
from bot.slack.context import BotContext
from bot.slack.replays import ReplayGuard

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

log = logging.getLogger(__name__)

DISPATCH_THREADS = 64  # requests being dispatched at once (each holds a thread until its ack)


def settle_memory() -> None:
    """Move everything loaded so far (the model, the libraries, the app) out of the garbage
    collector's sight. A full collection otherwise walks all of it, stopping every thread for
    100-200 ms in the middle of a burst of requests; after this it walks only what requests made."""
    gc.collect()
    gc.freeze()


def _bolt_request(request: Request, body: bytes) -> BoltRequest:
    headers: dict[str, list[str]] = {}
    for key, value in request.headers.items():
        headers.setdefault(key.lower(), []).append(value)
    return BoltRequest(body=body.decode("utf-8"), query=request.url.query, headers=headers)


def _response(bolt: BoltResponse) -> Response:
    response = Response(content=bolt.body, status_code=bolt.status)
    for key, values in bolt.headers.items():
        for value in values:
            if key.lower() == "content-length":
                continue
            response.raw_headers.append((key.lower().encode("latin-1"), str(value).encode("latin-1")))
    return response


def create_asgi_app(app: App, bot: BotContext) -> Starlette:
    replays = ReplayGuard(bot.settings.slack_signing_secret or "")

    async def events(request: Request) -> Response:
        body = await request.body()
        if not replays.first_time(body, request.headers):
            # an exact copy of a signed request already received: never acted on twice
            retry = request.headers.get("x-slack-retry-num")
            log.warning("a copy of a signed request was refused (%s)", "Slack's retry" if retry else "a replay")
            return Response(status_code=200 if retry else 401)
        answered = await run_in_threadpool(app.dispatch, _bolt_request(request, body))
        if answered.status >= 300:
            replays.forget(request.headers)  # not handled: Slack's retry of it must get through
        return _response(answered)

    async def install(request: Request) -> Response:
        flow = app.oauth_flow
        if flow is None:
            return PlainTextResponse("This app is installed with a bot token, not OAuth.", status_code=404)
        return _response(await run_in_threadpool(flow.handle_installation, _bolt_request(request, b"")))

    async def oauth_redirect(request: Request) -> Response:
        flow = app.oauth_flow
        if flow is None:
            return PlainTextResponse("This app is installed with a bot token, not OAuth.", status_code=404)
        return _response(await run_in_threadpool(flow.handle_callback, _bolt_request(request, b"")))

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = DISPATCH_THREADS
        settle_memory()
        start_pending_calls(app, bot)
        yield
        log.info("shutting down: finishing %d queued jobs", bot.workers.pending)
        await run_in_threadpool(bot.shutdown)
        if bot.pending is not None:
            await run_in_threadpool(bot.pending.stop)

    return Starlette(
        routes=[
            Route(EVENTS_PATH, events, methods=["POST"]),
            Route(INSTALL_PATH, install, methods=["GET"]),
            Route(REDIRECT_PATH, oauth_redirect, methods=["GET"]),
            Route("/healthz", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def start_pending_calls(app: App, bot: BotContext) -> None:
    """Take over the calls a dead process left unanswered, now and every half minute (bot.slack.pending)."""
    if bot.pending is not None:
        from bot.digest.slack_clients import clients_of_app

        bot.pending.start(clients_of_app(app))


def run_http(app: App, bot: BotContext, host: str, port: int, log_level: str = "info") -> None:
    import uvicorn

    # uvicorn stops gracefully on SIGINT/SIGTERM, then delivers the signal again to the handler that
    # was there before it. A no-op handler there lets `salesrl serve` go on to close the store (and
    # whatever else its caller started) and exit 0 instead of dying half-way through its clean-up.
    previous = {s: signal.signal(s, lambda *_: None) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        uvicorn.run(create_asgi_app(app, bot), host=host, port=port, log_level=log_level, access_log=False,
                    timeout_graceful_shutdown=30)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def socket_mode_handler(app: App, app_token: str) -> "SocketModeHandler":
    """Bolt's Socket Mode handler (slack-sdk's built-in WebSocket client) on the app's Web API base URL."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app, app_token=app_token, web_client=app.client)


def run_socket_mode(app: App, bot: BotContext, app_token: str) -> None:
    handler = socket_mode_handler(app, app_token)
    settle_memory()
    start_pending_calls(app, bot)
    # SIGTERM (a process manager stopping us) ends the wait below like Ctrl-C does
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        handler.start()  # blocks until interrupted
    except KeyboardInterrupt:
        pass
    finally:
        handler.close()
        bot.shutdown()
        if bot.pending is not None:
            bot.pending.stop()
