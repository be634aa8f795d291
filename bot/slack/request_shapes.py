"""The shape of the Slack requests the bot acts on, checked before Bolt or any listener reads one.

Bolt's routing and our listeners index into Slack's payloads: a message shortcut's `message` is an
object, a command names its workspace and user, a thread reply's `thread_ts` is a timestamp. Slack
always sends them so. A signed request that does not (a string where an object belongs, a missing
user, an id ten thousand characters long) comes from a broken client or from someone holding the
signing secret: the server refuses it with 400 before dispatching it (bot.server) and logs one
line that names the field, never its value.

Only what is read is described: the requests the bot has listeners for, and in them the fields
Bolt or a listener reads; anything else may be anything. A listener may rely on what is checked
here and on nothing more. What people type, and the files and form values they send, are read by
parsers that take anything (bot.slack.dispatch, bot.slack.files, bot.slack.score_form).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

# Slack's ids (T…, U…, C…, B…): upper-case letters and digits, and the database keeps 64 of them
SLACK_ID = r"[A-Z0-9]{1,64}"
SlackId = Annotated[str, StringConstraints(pattern=f"^{SLACK_ID}$")]
# a message's ts, its id in its channel ("1700000000.000100"); the database keeps 32 characters
Timestamp = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,16}\.[0-9]{1,15}$")]
EventId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,128}$")]
Name = Annotated[str, StringConstraints(max_length=255)]  # types, subtypes, callback and action ids
Link = Annotated[str, StringConstraints(max_length=4096)]  # response URLs, trigger ids


def slack_id(value: Any) -> str | None:
    """`value` if it is a Slack id, else None: for ids we sent ourselves and get back (a modal's
    private metadata)."""
    return value if isinstance(value, str) and re.fullmatch(SLACK_ID, value) else None


class Shape(BaseModel):
    # strict: a number is no string, nor a string a list
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class Command(Shape):
    team_id: SlackId
    user_id: SlackId
    channel_id: SlackId
    command: Name
    response_url: Link
    trigger_id: Link


class Team(Shape):
    id: SlackId


class User(Shape):
    id: SlackId
    team_id: SlackId | None = None


class Channel(Shape):
    id: SlackId


class Message(Shape):
    ts: Timestamp | None = None
    thread_ts: Timestamp | None = None
    text: str | None = None
    files: list[Any] | None = None
    attachments: list[Any] | None = None


class Interaction(Shape):
    team: Team  # null only for apps installed org-wide, which SalesRL is not (manifest: org_deploy_enabled)
    user: User
    channel: Channel | None = None
    response_url: Link | None = None
    trigger_id: Link | None = None


class MessageShortcut(Interaction):
    callback_id: Name
    message: Message


class ViewState(Shape):
    values: dict[str, Any]


class View(Shape):
    type: Name
    callback_id: Name
    private_metadata: str | None = None
    state: ViewState | None = None


class ViewSubmission(Interaction):
    view: View


class Action(Shape):
    action_id: Name
    block_id: Name | None = None


class Container(Shape):
    channel_id: SlackId | None = None
    message_ts: Timestamp | None = None


class BlockActions(Interaction):
    actions: Annotated[list[Action], Field(min_length=1)]
    message: Message | None = None
    container: Container | None = None


class Event(Shape):
    type: Name


class EventCallback(Shape):
    team_id: SlackId
    event_id: EventId
    event: Event


class MessageEvent(Event):  # a message, or a mention of the bot
    subtype: Name | None = None
    user: SlackId | None = None
    bot_id: SlackId | None = None
    team: SlackId | None = None
    user_team: SlackId | None = None
    channel: SlackId
    channel_type: Name | None = None
    text: str | None = None
    ts: Timestamp
    thread_ts: Timestamp | None = None
    files: list[Any] | None = None


class HomeOpened(Event):
    user: SlackId
    channel: SlackId | None = None
    tab: Name | None = None


INTERACTIONS: dict[str, type[Shape]] = {
    "message_action": MessageShortcut, "view_submission": ViewSubmission, "block_actions": BlockActions}
EVENTS: dict[str, type[Shape]] = {"message": MessageEvent, "app_mention": MessageEvent, "app_home_opened": HomeOpened}


def _problem(kind: str, shape: type[Shape], body: Any, under: str = "") -> str | None:
    try:
        shape.model_validate(body)
    except ValidationError as e:
        error = e.errors(include_url=False, include_input=False)[0]
        # the path names our fields and list positions only: nothing of the request's content
        field = ".".join(([under] if under else []) + [str(part) for part in error["loc"]])
        return f"{kind} whose {field} is {'missing' if error['type'] == 'missing' else 'not what Slack sends'}"
    return None


def shape_problem(body: Any) -> str | None:
    """Why a parsed Slack request cannot be one Slack sent ("slash command whose team_id is
    missing"), or None. Requests the bot has no listener for are Bolt's to answer."""
    if not isinstance(body, dict):
        return "request that is not an object"
    if "command" in body:  # how Bolt tells a slash command
        return _problem("slash command", Command, body)
    kind = body.get("type")
    if kind is not None and not isinstance(kind, str):
        return "request whose type is not what Slack sends"
    if kind == "event_callback":
        problem = _problem("event", EventCallback, body)
        if problem is not None:
            return problem
        event_type = body["event"]["type"]  # a string now; named in the log only if it is one of ours
        shape = EVENTS.get(event_type)
        return _problem(f"{event_type} event", shape, body["event"], under="event") if shape else None
    if kind in INTERACTIONS:
        return _problem(kind, INTERACTIONS[kind], body)
    return None
