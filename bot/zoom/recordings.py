"""From a finished Zoom transcript to a scored call in the right deal's channel.

`ZoomCalls.take` claims a recording once across every process (bot.store.zoom) and, when the claim
is this process's, `ZoomCalls.start` (the webhook's answer does not wait for it: the listener threads)
downloads the transcript (bot.zoom.downloads), then hands it to the worker pool, where it takes the one
path to a saved call (bot.calls: the same limits and redaction as Slack input):

- a deal found for the meeting (bot.zoom.matching: by its topic, else by its participants, looked up at
  Zoom, whose companies are the contacts of one linked CRM deal) -> scored, filed under that deal with the host as its
  rep, and the result posted in the deal's channel (or, for a deal without one, to the host);
- none -> read and redacted, kept until the host picks a deal: a DM with a button for each open deal the
  host may see; a click (`file_under`, in the worker pool) scores it there.

The host is the Slack user with the host's Zoom e-mail (users.lookupByEmail), so calls per rep and the
rep's role in the transcript are right. A failure is logged once, in one line, with neither the
transcript nor an e-mail address; participants that cannot be read lose nothing: the host is asked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from slack_sdk import WebClient

from salesrl.agent.errors import SalesRLError
from salesrl.bot.calls import SavedCall, read_transcript, score_and_save
from salesrl.bot.slack.asker import Asker, asker_names
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.outbox import Undelivered
from salesrl.bot.slack.profiles import user_with_email
from salesrl.bot.slack.scoring import CallToScore, reply_with_score
from salesrl.bot.store import Deal, NotFound
from salesrl.bot.zoom.downloads import ZoomDownloadError, ZoomDownloads
from salesrl.bot.zoom.matching import Meeting, find_deal

log = logging.getLogger(__name__)

FILENAME = "zoom.vtt"  # how the parser is told the format
DEALS_OFFERED = 10  # buttons in the host's DM, most recently active deals first
_EXAMINED = 100  # open deals looked at for those the host may see


@dataclass(frozen=True)
class TranscriptReady:
    """A transcript file of a recording.transcript_completed event."""

    recording_id: str  # the file's id at Zoom: one call per file, however often the event comes
    download_url: str
    download_token: str | None
    meeting: Meeting


class ZoomCalls:
    """Zoom's transcripts for the one Slack workspace their calls belong to (SALESRL_ZOOM_WORKSPACE)."""

    def __init__(self, ctx: BotContext, client_of: Callable[[str], WebClient | None], downloads: ZoomDownloads,
                 workspace_id: str) -> None:
        self._ctx = ctx
        self._client_of = client_of
        self._downloads = downloads
        self.workspace_id = workspace_id

    def take(self, ready: TranscriptReady) -> int | None:
        """Claim the recording: its row id, or None when a copy of the event took it already."""
        return self._ctx.store.zoom_recordings.claim(self.workspace_id, ready.recording_id, ready.meeting.topic)

    def start(self, row_id: int, ready: TranscriptReady) -> None:
        """`process` in the listener threads: the download waits there, not in the webhook's answer."""
        self._ctx.listener_threads.submit(self.process, row_id, ready)

    def process(self, row_id: int, ready: TranscriptReady) -> None:
        """Download the transcript, then score and file it in the worker pool. Never raises."""
        try:
            vtt = self._downloads.transcript(ready.download_url, ready.download_token)
        except ZoomDownloadError as e:
            self._give_up(row_id, str(e))
            return
        except Exception as e:
            log.exception("zoom: recording %s: the download failed", row_id)
            self._give_up(row_id, type(e).__name__)
            return
        self._ctx.workers.submit(lambda: self._file(row_id, ready.meeting, vtt))

    def _give_up(self, row_id: int, why: str) -> None:
        log.warning("zoom: recording %s was not taken: %s", row_id, why)
        try:
            self._ctx.store.zoom_recordings.failed(self.workspace_id, row_id)
        except Exception as e:  # the claim goes stale and a copy of the event may take it
            log.warning("zoom: recording %s: its failure is not recorded (%s)", row_id, type(e).__name__)

    def _file(self, row_id: int, meeting: Meeting, vtt: bytes) -> None:
        ctx, team = self._ctx, self.workspace_id
        try:
            client = self._client_of(team)
            host = user_with_email(client, meeting.host_email)
            names = asker_names(ctx.store, client, Asker(team, host, None)) if client and host else ()
            deal = find_deal(ctx.store, team, meeting, lambda: self._participants(row_id, meeting))
            if deal is None:
                self._ask_host(row_id, meeting, vtt, client, host, names)
                return
            scored = score_and_save(ctx.store, ctx.agent, ctx.settings, team, vtt, origin="zoom", known_reps=names,
                                    filename=FILENAME, deal=deal, user_id=host, channel_id=deal.channel_id)
            ctx.store.zoom_recordings.filed(team, row_id, scored.call_id)
        except SalesRLError as e:  # unreadable, too long, no Slack user to ask: the one line
            self._give_up(row_id, str(e))
            return
        except Exception as e:
            log.exception("zoom: recording %s could not be filed", row_id)
            self._give_up(row_id, type(e).__name__)
            return
        log.info("zoom: recording %s is call %s of deal %s (%d turns)", row_id, scored.call_id, deal.id,
                 len(scored.result.points))
        post_result(ctx, client, team, host, deal.channel_id, meeting.topic, scored)

    def _participants(self, row_id: int, meeting: Meeting) -> tuple[str, ...]:
        """The meeting's participants' e-mail addresses; none when Zoom cannot say (the host is asked then)."""
        if not meeting.uuid or not self._downloads.uses_oauth:
            return ()
        try:
            return self._downloads.participants(meeting.uuid)
        except ZoomDownloadError as e:
            log.warning("zoom: recording %s: its participants were not read, so its host is asked: %s", row_id, e)
        except Exception as e:
            log.exception("zoom: recording %s: its participants were not read (%s)", row_id, type(e).__name__)
        return ()

    def _ask_host(self, row_id: int, meeting: Meeting, vtt: bytes, client: WebClient | None, host: str | None,
                  names: tuple[str, ...]) -> None:
        if client is None or host is None:
            raise ZoomUnmatched("no deal is named in the meeting's topic or matches its participants, and the host "
                                "has no Slack account to ask")
        ctx, team = self._ctx, self.workspace_id
        transcript = read_transcript(vtt, ctx.settings, known_reps=names, filename=FILENAME)  # unreadable: raises
        text = "\n".join(f"{t.speaker}: {t.text}" for t in transcript.turns)  # redacted; parses back to the turns
        ctx.store.zoom_recordings.await_deal(team, row_id, text, host)
        open_deals = ctx.store.deals.list(team, status="open")[:_EXAMINED]
        offered = [d for d in open_deals if ctx.membership.can_see(client, team, host, d)][:DEALS_OFFERED]
        message = ctx.templates.message("slack/zoom_pick_deal.json.j2", topic=meeting.topic or "untitled",
                                        deals=offered, recording_id=row_id)
        client.chat_postMessage(channel=host, **message.as_kwargs())
        log.info("zoom: recording %s matches no deal; its host was asked (%d deals offered)", row_id, len(offered))


@dataclass(frozen=True)
class Filed:
    """A Zoom call its host filed: under which deal, where its result went (None: the host's DM), its topic."""

    deal: Deal
    channel_id: str | None
    topic: str


def file_under(ctx: BotContext, client: WebClient, team: str, row_id: int, deal_id: int, user_id: str) -> Filed | None:
    """The host's click (in the worker pool): score the waiting transcript under the deal and post its
    result; None when another click filed it already."""
    waiting = ctx.store.zoom_recordings.get(team, row_id)
    if waiting is None or waiting.host_user_id != user_id:
        raise NotFound("that Zoom call is not yours to file")
    deal = ctx.store.deals.get_by_id(team, deal_id)
    if deal is None or not ctx.membership.can_see(client, team, user_id, deal):
        raise NotFound("that deal is gone, or is in a channel you are not in")
    taken = ctx.store.zoom_recordings.take_awaiting(team, row_id)
    if taken is None:
        if waiting.state == "failed":
            raise NotFound("that Zoom call's transcript is no longer kept, so it cannot be filed")
        return None  # another click took it
    try:
        scored = score_and_save(ctx.store, ctx.agent, ctx.settings, team, taken.transcript_text or "",
                                origin="zoom", known_reps=asker_names(ctx.store, client, Asker(team, user_id, None)),
                                deal=deal, user_id=user_id, channel_id=deal.channel_id)
    except BaseException:
        ctx.store.zoom_recordings.give_back(team, row_id)
        raise
    ctx.store.zoom_recordings.filed(team, row_id, scored.call_id)
    log.info("zoom: recording %s filed by its host as call %s of deal %s", row_id, scored.call_id, deal.id)
    post_result(ctx, client, team, user_id, deal.channel_id, taken.topic, scored)
    return Filed(scored.deal or deal, deal.channel_id, taken.topic)


def post_result(ctx: BotContext, client: WebClient | None, team: str, host: str | None, channel: str | None,
                topic: str, scored: SavedCall) -> None:
    """The result in the deal's channel (the host's DM for a deal without one); the call is saved whatever happens."""
    if client is None or not (channel or host):
        log.warning("zoom: call %s saved; there is no Slack channel or host to post its result to", scored.call_id)
        return
    asker = Asker(team_id=team, user_id=host or "", channel_id=channel)
    try:
        reply_with_score(ctx, client, asker, CallToScore(source="zoom", label=f"Zoom: {topic}"), scored)
    except Undelivered as e:
        log.warning("zoom: call %s saved, its result not posted (ref %s)", scored.call_id, e.reference)
    except Exception:
        log.exception("zoom: call %s saved, its result not posted", scored.call_id)


class ZoomUnmatched(SalesRLError):
    """A transcript with no deal to file it under and nobody to ask."""
