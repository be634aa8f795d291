"""Transcripts come from Zoom with a cached Server-to-Server OAuth token (or the event's download token),
through Zoom's failures, and only from Zoom's hosts (a local fake Zoom, through the real HTTP client)."""

from __future__ import annotations

import time
from typing import Iterator

import pytest
import time_machine

from salesrl.bot.settings import Settings
from salesrl.bot.zoom.downloads import ATTEMPTS, ZoomDownloadError, ZoomDownloads
from tests.fakes.zoom_server import FakeZoom

VTT = b"WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nAna Lopez: Hi Ben.\n"


@pytest.fixture
def zoom() -> Iterator[FakeZoom]:
    with FakeZoom() as fake:
        yield fake


def downloads(zoom: FakeZoom, *, oauth: bool = True) -> ZoomDownloads:
    creds = dict(zoom_account_id=zoom.account_id, zoom_client_id=zoom.client_id,
                 zoom_client_secret=zoom.client_secret) if oauth else {}
    return ZoomDownloads(Settings(zoom_oauth_url=zoom.url, zoom_api_url=zoom.api_url, **creds), first_wait_s=0.001)


def test_one_oauth_token_serves_every_download_until_it_expires(zoom: FakeZoom):
    got = downloads(zoom)
    url = zoom.add_transcript("file-1", VTT)
    assert got.transcript(url, None) == VTT
    assert got.transcript(url, None) == VTT
    assert zoom.requests["token"] == 1 and zoom.requests["download"] == 2
    with time_machine.travel(time.time() + 3600 + 5, tick=False):  # past Zoom's hour (and the fake's)
        assert got.transcript(url, None) == VTT
    assert zoom.requests["token"] == 2


def test_passing_failures_are_retried_and_a_revoked_token_is_fetched_again(zoom: FakeZoom):
    got = downloads(zoom)
    url = zoom.add_transcript("file-1", VTT)
    zoom.fail_next("download", 2, 503)
    zoom.fail_next("token", 1, 0)  # the connection dropped
    assert got.transcript(url, None) == VTT
    assert zoom.requests["download"] == 3 and zoom.requests["token"] == 2
    zoom.tokens.clear()  # revoked at Zoom
    assert got.transcript(url, None) == VTT
    assert zoom.requests["token"] == 3


def test_a_download_failing_every_time_gives_up_with_one_line(zoom: FakeZoom):
    got = downloads(zoom)
    url = zoom.add_transcript("file-1", VTT)
    zoom.fail_next("download", ATTEMPTS, 500)
    with pytest.raises(ZoomDownloadError, match=f"after {ATTEMPTS} tries: the download answered HTTP 500"):
        got.transcript(url, None)
    assert zoom.requests["download"] == ATTEMPTS


def test_the_events_download_token_is_used_without_an_oauth_app(zoom: FakeZoom):
    got = downloads(zoom, oauth=False)
    url = zoom.add_transcript("file-1", VTT)
    assert got.transcript(url, zoom.new_download_token()) == VTT
    assert zoom.requests["token"] == 0
    with pytest.raises(ZoomDownloadError, match="refused with HTTP 401"):
        got.transcript(url, "dl-not-issued")  # a refusal is not retried
    assert zoom.requests["download"] == 2
    with pytest.raises(ZoomDownloadError, match="no way to download"):
        got.transcript(url, None)


def test_wrong_credentials_and_unknown_files_are_one_line(zoom: FakeZoom):
    wrong = ZoomDownloads(Settings(zoom_oauth_url=zoom.url, zoom_api_url=zoom.api_url, zoom_account_id=zoom.account_id,
                                   zoom_client_id=zoom.client_id, zoom_client_secret="wrong"))
    url = zoom.add_transcript("file-1", VTT)
    with pytest.raises(ZoomDownloadError, match="token request was refused with HTTP 401 .check ZOOM_CLIENT_ID"):
        wrong.transcript(url, None)
    with pytest.raises(ZoomDownloadError, match="refused with HTTP 404"):
        downloads(zoom).transcript(zoom.url + "rec/download/gone", None)


def test_no_token_goes_to_a_host_that_is_not_zoom(zoom: FakeZoom):
    got = downloads(zoom)
    for url in ("http://127.0.0.2:9/rec/download/x", "http://localhost:1/x", "ftp://127.0.0.1/x"):
        with pytest.raises(ZoomDownloadError, match="not on Zoom's hosts"):
            got.transcript(url, "dl-token")
    assert sum(zoom.requests.values()) == 0


def test_a_transcript_longer_than_the_limit_is_not_read(zoom: FakeZoom):
    got = ZoomDownloads(Settings(zoom_oauth_url=zoom.url, zoom_api_url=zoom.api_url, max_chars=10))
    url = zoom.add_transcript("file-1", VTT)
    with pytest.raises(ZoomDownloadError, match="over 40 bytes"):
        got.transcript(url, zoom.new_download_token())


def test_participants_are_read_page_by_page_each_address_once(zoom: FakeZoom):
    emails = [f"p{i}@globex.com" for i in range(650)] + ["", "p1@globex.com", "host@ours.example"]
    zoom.add_participants("4444AAAiAAAAAiAiAiiAii==", emails)
    got = downloads(zoom).participants("4444AAAiAAAAAiAiAiiAii==")
    assert len(got) == 651 and got[0] == "p0@globex.com" and "host@ours.example" in got and "" not in got
    assert zoom.requests["participants"] == 3  # 300 a page


@pytest.mark.parametrize("uuid", ["/ajXp112QmuoKj4854875==", "abc//def+ghi=="])
def test_a_uuid_starting_with_a_slash_or_holding_two_is_encoded_twice(zoom: FakeZoom, uuid: str):
    zoom.add_participants(uuid, ["ben@globex.com"])
    assert downloads(zoom).participants(uuid) == ("ben@globex.com",)


def test_participants_need_the_oauth_app_and_failures_are_one_line(zoom: FakeZoom):
    zoom.add_participants("m-1", ["ben@globex.com"])
    with pytest.raises(ZoomDownloadError, match="ZOOM_CLIENT_SECRET"):
        downloads(zoom, oauth=False).participants("m-1")
    got = downloads(zoom)
    zoom.fail_next("participants", 2, 503)
    assert got.participants("m-1") == ("ben@globex.com",)  # retried
    with pytest.raises(ZoomDownloadError, match="HTTP 404"):
        got.participants("not-a-meeting")
    zoom.fail_next("participants", ATTEMPTS, 500)
    with pytest.raises(ZoomDownloadError, match=f"participants could not be read after {ATTEMPTS} tries"):
        got.participants("m-1")
