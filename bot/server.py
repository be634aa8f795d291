"""Serving the Slack app: HTTP (Starlette under uvicorn) for production, Socket Mode for development.

Over HTTP, Bolt's dispatch is synchronous (it waits for the listener's ack); it runs in a thread
pool so the event loop keeps accepting requests while other requests are acknowledged, and scoring
runs in the bot's own worker pool (bot.slack.workers), so acks never wait behind it. Requests and
responses are converted by Bolt's Starlette adapter functions; its handler class is not used, since
it reads the body without a size limit and dispatches on the event loop.

Routes:  POST /slack/events (commands, interactivity, events; an exact copy of a signed request
is refused: bot.slack.replays) · GET /slack/install and
GET /slack/oauth_redirect (OAuth installs, when configured; what they take from their query:
bot.slack.oauth_pages) · GET /healthz (the database answers) · POST /ingest (a transcript with a
workspace's API token: bot.ingest; the token is checked before the body is read) · POST /zoom/events
(Zoom's webhooks, when ZOOM_SECRET_TOKEN is set: bot.zoom.webhook).

What reaches /slack/events from the internet is checked in this order, each step answering
without a traceback and without logging anything of the body: longer than
SALESRL_MAX_REQUEST_BYTES (413, refused before it is read), not signed by Slack (401), a body
Bolt cannot parse, or of a shape Slack never sends (400: bot.slack.request_shapes), an exact copy
of a request already received (401; 200 for a copy marked as Slack's retry), the database unable
to record it (503; a slash command or a form gets the one line every database failure gets
instead). Only then does Bolt see it.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import signal
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator

import anyio.to_thread
import slack_bolt
from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.middleware.request_verification import RequestVerification
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from salesrl.bot.digest.slack_clients import clients_of_app
from salesrl.bot.ingest import INGEST_PATH, ingest
from salesrl.bot.flags.flagging import crm_flag_notes
from salesrl.bot.scheduler import start_scheduler, stop_scheduler
from salesrl.bot.slack.app import EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.oauth_pages import install_query
from salesrl.bot.slack.replays import ReplayGuard
from salesrl.bot.slack.request_shapes import shape_problem
from salesrl.bot.slack.scoring import resume_call
from salesrl.bot.store.database import DATABASE_UNAVAILABLE
from salesrl.bot.store.errors import StoreError
from salesrl.bot.zoom.downloads import ZoomDownloads
from salesrl.bot.zoom.recordings import ZoomCalls
from salesrl.bot.zoom.webhook import ZOOM_EVENTS_PATH, ZoomWebhook

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

log = logging.getLogger(__name__)

DISPATCH_THREADS = 64  # requests being dispatched at once (each holds a thread until its ack)
_BOLT_DIR = Path(slack_bolt.__file__).parent


def settle_memory() -> None:
    """Move everything loaded so far (the model, the libraries, the app) out of the garbage
    collector's sight. A full collection otherwise walks all of it, stopping every thread in the
    middle of a burst of requests (BENCHMARKS.md, "Slack bot", has the pause measured); after this it
    walks only what requests made."""
    gc.collect()
    gc.freeze()


def _drop(record: logging.LogRecord) -> bool:
    return False


def _no_request_content(record: logging.LogRecord) -> bool:
    """False for Bolt's records that carry parts of a request: a refused OAuth code (the code), a
    request no listener takes (its type, ids and, for a menu, the text typed)."""
    return not str(record.msg).startswith(("Failed to fetch oauth.v2.access result with code", "Unhandled request ("))


def keep_request_bodies_out_of_logs() -> None:
    """Bolt's request verification logs a refused request's whole body at INFO. The server refuses
    unsigned requests before Bolt sees them and logs that without the body; this drops Bolt's
    record should one still come (a timestamp turning five minutes old between the two checks).
    Filters, not levels: Bolt resets its loggers' levels to the root's whenever it builds an app."""
    logging.getLogger(f"slack_bolt.{RequestVerification.__name__}").addFilter(_drop)
    # the server and our OAuth failure page log these without the request's content
    logging.getLogger(f"slack_bolt.{App.__name__}").addFilter(_no_request_content)


def _raised_in_bolt(error: BaseException) -> bool:
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and Path(frames[-1].filename).is_relative_to(_BOLT_DIR)


def answer_bolt_errors(error: Exception, response: BoltResponse | None) -> BoltResponse | None:
    """Bolt's error handler (its default logs a traceback and answers 500). An error raised in Bolt's
    own code comes from a signed payload of a shape Slack never sends (a string where an object
    belongs): 400 and one line. Anything else failed in our code or the services it uses: 500 and
    the traceback, as before. Neither logs anything of the request."""
    if _raised_in_bolt(error):
        log.warning("refused a signed request Bolt could not read (%s)", type(error).__name__)
        status = 400
    else:
        log.error("a request failed (%s)", type(error).__name__, exc_info=error)
        status = 500
    # Bolt takes a response only where it still has one to send (not after the ack)
    return BoltResponse(status=status, body="") if response is not None else None


def _error(status: int, text: str) -> Response:
    return JSONResponse({"error": text}, status_code=status)


def _not_recorded(bolt_request: BoltRequest) -> Response:
    """The answer to a signed request the database could not record: it cannot be told from a
    replay, so nothing is done. A slash command's asker, or a form's, is told so in the line every
    database failure gets, within Slack's 3 s (bot.store.engine gives up on the database sooner);
    anything else gets a 503, which Slack retries (events) or shows as a failure."""
    body = bolt_request.body
    if _member(body, "command"):
        return JSONResponse({"response_type": "ephemeral", "text": DATABASE_UNAVAILABLE})
    fields = _member(body, "view", "state", "values")  # a form's input blocks, by block id
    if _member(body, "type") == "view_submission" and isinstance(fields, dict) and fields:
        # the form stays open, the line under its first field
        return JSONResponse({"response_action": "errors", "errors": {next(iter(fields)): DATABASE_UNAVAILABLE}})
    return _error(503, "service unavailable")


def _member(value: Any, *keys: str) -> Any:
    """value[keys[0]][keys[1]]..., or None where one of them is not an object (a signed body can be anything)."""
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


async def _body_within(request: Request, max_bytes: int) -> bytes | None:
    """The request's body, or None when it is longer than max_bytes: known from Content-Length
    before anything is read, or as soon as a chunked body passes the limit."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _with_query(request: Request, query: str) -> Request:
    """The same request with another query string: Bolt's adapter reads the query from the request."""
    return Request({**request.scope, "query_string": query.encode("latin-1")})


def create_asgi_app(app: App, ctx: BotContext) -> Starlette:
    keep_request_bodies_out_of_logs()
    app.error(answer_bolt_errors)
    replays = ReplayGuard(ctx.settings.slack_signing_secret or "", ctx.store)
    max_bytes = ctx.settings.max_request_bytes

    async def events(request: Request) -> Response:
        try:
            body = await _body_within(request, max_bytes)
        except ClientDisconnect:
            log.info("a client hung up before the end of its request")
            return Response(status_code=400)  # nobody is left to read it
        if body is None:
            log.warning("refused a request body of more than %d bytes", max_bytes)
            return _error(413, "request body too large")
        if not replays.is_signed(body, request.headers):
            log.info("refused a request without a valid Slack signature (%d bytes)", len(body))
            return _error(401, "invalid request")
        try:
            bolt_request = to_bolt_request(request, body)
        except Exception as e:
            log.warning("refused a signed request whose body could not be read (%s)", type(e).__name__)
            return _error(400, "malformed request")
        problem = shape_problem(bolt_request.body)
        if problem is not None:  # Slack never sends it: a broken client, or someone with the signing secret
            log.warning("refused a signed %s", problem)
            return _error(400, "malformed request")
        try:
            first = await run_in_threadpool(replays.first_time, request.headers)
        except StoreError as e:
            log.warning("refused a signed request, the database cannot record it: %s", e)
            return _not_recorded(bolt_request)
        if not first:
            # an exact copy of a signed request already received: never acted on twice
            retry = request.headers.get("x-slack-retry-num")
            log.warning("a copy of a signed request was refused (%s)", "Slack's retry" if retry else "a replay")
            return Response(status_code=200 if retry else 401)
        try:
            answered = await run_in_threadpool(app.dispatch, bolt_request)
        except Exception as e:
            if not _raised_in_bolt(e):
                raise
            # Bolt's error handler reads the payload again, and fails on a shape Bolt's routing failed on
            log.warning("refused a signed request Bolt could not read (%s)", type(e).__name__)
            answered = BoltResponse(status=400, body="")
        if answered.status == 404:
            # Bolt's own line about it names the request's fields: keep_request_bodies_out_of_logs drops it
            log.warning("no listener takes a signed request (404)")
        if answered.status >= 300:
            # not handled: Slack's retry of it must get through
            await run_in_threadpool(replays.forget, request.headers)
        return to_starlette_response(answered)

    async def install(request: Request) -> Response:
        flow = app.oauth_flow
        if flow is None:
            return PlainTextResponse("This app is installed with a bot token, not OAuth.", status_code=404)
        query = install_query(request.url.query)
        if query is None:
            log.info("refused an install link naming a workspace that is not a Slack id")
            return PlainTextResponse("That is not a Slack workspace.", status_code=400)
        bolt_request = to_bolt_request(_with_query(request, query), b"")
        return to_starlette_response(await run_in_threadpool(flow.handle_installation, bolt_request))

    async def oauth_redirect(request: Request) -> Response:
        flow = app.oauth_flow
        if flow is None:
            return PlainTextResponse("This app is installed with a bot token, not OAuth.", status_code=404)
        bolt_request = to_bolt_request(request, b"")
        return to_starlette_response(await run_in_threadpool(flow.handle_callback, bolt_request))

    clients = clients_of_app(app)

    async def ingest_call(request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        token = auth[len("Bearer "):].strip() if auth.startswith("Bearer ") else ""
        try:
            workspace = await run_in_threadpool(ctx.store.ingest_tokens.workspace_of, token) if token else None
        except StoreError as e:
            log.warning("ingest refused, the database is unavailable: %s", e)
            return JSONResponse({"error": "SalesRL's database is unavailable: try again in a minute"}, status_code=503)
        if workspace is None:
            return JSONResponse({"error": "missing or unknown API token"}, status_code=401)
        try:
            body = await _body_within(request, max_bytes)
        except ClientDisconnect:
            return Response(status_code=400)
        if body is None:
            return JSONResponse({"error": f"request body too large (at most {max_bytes:,} bytes)"}, status_code=413)
        content_type, query = request.headers.get("content-type", ""), dict(request.query_params)
        # the client lookup may read the installation store: off the event loop, like the scoring
        status, answer = await run_in_threadpool(
            lambda: ingest(ctx, clients(workspace), workspace, body, content_type, query))
        return JSONResponse(answer, status_code=status)

    zoom, zoom_downloads = None, None
    if ctx.settings.zoom_secret_token and ctx.settings.zoom_workspace:  # bot.slack.app refuses one without the other
        zoom_downloads = ZoomDownloads(ctx.settings)
        zoom = ZoomWebhook(ctx.settings.zoom_secret_token,
                           ZoomCalls(ctx, clients, zoom_downloads, ctx.settings.zoom_workspace),
                           account_id=ctx.settings.zoom_account_id)

    async def zoom_events(request: Request) -> Response:
        if zoom is None:
            return _error(404, "Zoom is not connected here (ZOOM_SECRET_TOKEN is not set)")
        try:
            body = await _body_within(request, max_bytes)
        except ClientDisconnect:
            return Response(status_code=400)
        if body is None:
            log.warning("refused a Zoom request body of more than %d bytes", max_bytes)
            return _error(413, "request body too large")
        return await zoom.answer(body, request.headers)

    async def health(request: Request) -> Response:
        try:
            await run_in_threadpool(ctx.store.ping)
        except StoreError as e:
            log.warning("health check: %s", e)
            return PlainTextResponse("database unavailable", status_code=503)
        return PlainTextResponse("ok")

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = DISPATCH_THREADS
        settle_memory()
        scheduler = start_scheduler_for(app, ctx)
        yield
        await run_in_threadpool(stop_scheduler, scheduler)
        log.info("shutting down: finishing %d queued jobs", ctx.workers.pending)
        await run_in_threadpool(ctx.shutdown)
        if zoom_downloads is not None:
            zoom_downloads.close()

    return Starlette(
        routes=[
            Route(EVENTS_PATH, events, methods=["POST"]),
            Route(INSTALL_PATH, install, methods=["GET"]),
            Route(REDIRECT_PATH, oauth_redirect, methods=["GET"]),
            Route("/healthz", health, methods=["GET"]),
            Route(INGEST_PATH, ingest_call, methods=["POST"]),
            Route(ZOOM_EVENTS_PATH, zoom_events, methods=["POST"]),
        ],
        lifespan=lifespan,
    )


def start_scheduler_for(app: App, ctx: BotContext) -> BackgroundScheduler:
    """The process's scheduler (bot.scheduler): it takes over the calls a dead process left unanswered,
    now and every half minute, scoring them again or telling their askers where the result is
    (bot.slack.scoring.resume_call); and it posts the digests that are due, and purges what retention
    says, with the Slack app's own clients; the CRM sync's closed deals have their cleared flags' threads told
    why (bot.flags.flagging.crm_flag_notes)."""
    clients = clients_of_app(app)
    return start_scheduler(ctx.settings, ctx.store, clients, pending=ctx.pending,
                           resume=functools.partial(resume_call, ctx), crm_flags_cleared=crm_flag_notes(ctx, clients))


def run_http(app: App, ctx: BotContext, host: str, port: int, log_level: str = "info") -> None:
    import uvicorn

    # uvicorn stops gracefully on SIGINT/SIGTERM, then delivers the signal again to the handler that
    # was there before it. A no-op handler there lets `salesrl serve` go on to close the store (and
    # whatever else its caller started) and exit 0 instead of dying half-way through its clean-up.
    previous = {s: signal.signal(s, lambda *_: None) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        uvicorn.run(create_asgi_app(app, ctx), host=host, port=port, log_level=log_level, access_log=False,
                    timeout_graceful_shutdown=30)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def socket_mode_handler(app: App, app_token: str) -> "SocketModeHandler":
    """Bolt's Socket Mode handler (slack-sdk's built-in WebSocket client) on the app's Web API base URL."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app, app_token=app_token, web_client=app.client)


def run_socket_mode(app: App, ctx: BotContext, app_token: str) -> None:
    handler = socket_mode_handler(app, app_token)
    settle_memory()
    scheduler = start_scheduler_for(app, ctx)
    # SIGTERM (a process manager stopping us) ends the wait below like Ctrl-C does
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        handler.start()  # blocks until interrupted
    except KeyboardInterrupt:
        pass
    finally:
        handler.close()
        stop_scheduler(scheduler)
        ctx.shutdown()
