"""`/salesrl <subcommand> [arguments]`: one slash command, subcommands looked up in a table.

A subcommand has up to two steps, both given the parsed request, the bot and a WebClient:

- `ack` runs inside Slack's 3-second acknowledgement. Keep it to what must happen there (views.open,
  whose trigger expires; the pending row of a call, which must be saved before Slack hears the call
  was accepted) or what costs nothing (help). A message it returns is the ephemeral answer.
- `run` runs right after the ack, in Bolt's listener threads (a lazy listener). It may read the
  database and post; a message it returns is sent privately through the response URL. Work that
  takes CPU time (scoring) goes to `bot.workers` instead of running here.

Either step may raise a SalesRLError: its one line is what the user sees.
Adding a subcommand is one line in `bot/slack/subcommands/__init__.py` (see there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

from slack_sdk import WebClient

from salesrl.agent.errors import SalesRLError
from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.templates import SlackMessage

COMMAND = "/salesrl"


class UsageError(SalesRLError):
    """A subcommand was called with arguments it cannot use; the message shows the right form."""


@dataclass(frozen=True)
class CommandRequest:
    command: str  # "/salesrl"
    name: str  # the subcommand, lower case ("" when none was given)
    args: str  # the rest of the text, as Slack sent it (escaped; see bot.slack.incoming_text)
    asker: Asker
    trigger_id: str | None  # for views.open, valid for 3 seconds

    @classmethod
    def from_body(cls, body: dict[str, Any], team_id: str) -> "CommandRequest":
        text = str(body.get("text") or "").strip()
        name, _, args = text.partition(" ")
        if "\n" in name:  # "/salesrl score\nAna: hi..."
            name, _, more = name.partition("\n")
            args = more + (" " + args if args else "")
        return cls(
            command=str(body.get("command") or COMMAND),
            name=name.strip().lower(),
            args=args.strip(),
            asker=Asker(team_id=team_id, user_id=str(body.get("user_id", "")),
                        channel_id=body.get("channel_id"), response_url=body.get("response_url")),
            trigger_id=body.get("trigger_id"),
        )


Step = Callable[[CommandRequest, BotContext, WebClient], Optional[SlackMessage]]


@dataclass(frozen=True)
class Subcommand:
    name: str
    usage: str  # shown in help after the command: "deal NAME"
    summary: str  # one line for help
    run: Step | None = None
    ack: Step | None = None


class Subcommands:
    """The table of subcommands, in the order help lists them."""

    def __init__(self) -> None:
        self._table: dict[str, Subcommand] = {}

    def add(self, subcommand: Subcommand) -> None:
        name = subcommand.name.lower()
        if not name or " " in name:
            raise ValueError(f"a subcommand name is one word, not {subcommand.name!r}")
        if name in self._table:
            raise ValueError(f"subcommand {name!r} is registered twice")
        self._table[name] = subcommand

    def get(self, name: str) -> Subcommand | None:
        return self._table.get(name.lower())

    def __iter__(self) -> Iterator[Subcommand]:
        return iter(self._table.values())

    def __len__(self) -> int:
        return len(self._table)
