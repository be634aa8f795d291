"""Downloading a meeting's VTT transcript from Zoom, and reading who took part in it.

With a Server-to-Server OAuth app (ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET) a token comes from
Zoom's token endpoint (`POST oauth/token?grant_type=account_credentials&account_id=…`, the client id and
secret as basic auth) and is kept until a minute before it expires, for every download of the process.
Without one, the download token Zoom puts in the event is used. Either goes only to Zoom's hosts
(ZOOM_OAUTH_URL's host and its subdomains, ZOOM_API_URL's host), whatever URL an event names.

A meeting's participants (`participants`: their e-mail addresses, for matching the meeting to a CRM deal
by its contacts) come from Zoom's API, `GET past_meetings/{uuid}/participants`, PARTICIPANTS_PAGE at a time
(next_page_token), with the OAuth token only (a download token opens only the download). A meeting's UUID
is URL-encoded, twice when it starts with "/" or holds "//", as Zoom asks.

A download or a participants page that fails for a passing reason (a network error, a 429, a 5xx; a 401 with an OAuth token,
which is then fetched afresh) is tried again with exponential backoff; one that still fails, or fails
for good, raises ZoomDownloadError, whose one line the caller logs once. Nothing here logs a token, the
transcript or an e-mail address.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, TypeVar
from urllib.parse import quote, urlsplit

import httpx
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from salesrl.agent.errors import SalesRLError
from salesrl.bot.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

ATTEMPTS = 6  # with the waits below, a download gives up after about 8 s of Zoom failing
FIRST_WAIT_S = 0.25
LONGEST_WAIT_S = 4.0
TIMEOUT_S = 10.0
TOKEN_MARGIN_S = 60.0  # a cached token is renewed this long before Zoom says it expires
PARTICIPANTS_PAGE = 300  # the most Zoom gives a page
MAX_PARTICIPANTS = 3_000  # read no further: a webinar-sized meeting is no sales call to match
BYTES_PER_CHAR = 4  # UTF-8: a transcript of SALESRL_MAX_CHARS characters is at most this many bytes a character


class ZoomDownloadError(SalesRLError):
    """A transcript could not be downloaded; the message says why, in one line."""


def meeting_path(meeting_uuid: str) -> str:
    """A meeting UUID as a path segment: URL-encoded, and encoded again when it starts with "/" or holds "//"
    (Zoom's rule: its routing decodes those once more)."""
    once = quote(meeting_uuid, safe="")
    return quote(once, safe="") if meeting_uuid.startswith("/") or "//" in meeting_uuid else once


class _Passing(Exception):
    """A failure worth another try."""

    def __init__(self, why: str) -> None:
        super().__init__(why)


def _base(url: str) -> str:
    return url if url.endswith("/") else url + "/"


class ZoomDownloads:
    """One per process: its HTTP connections and its OAuth token are shared by every download."""

    def __init__(self, settings: Settings, *, first_wait_s: float = FIRST_WAIT_S) -> None:
        self._first_wait_s = first_wait_s
        self._account_id = settings.zoom_account_id
        self._client_id = settings.zoom_client_id
        self._client_secret = settings.zoom_client_secret
        self._oauth_url = _base(settings.zoom_oauth_url)
        oauth_host = urlsplit(self._oauth_url).hostname or ""
        self._hosts = (oauth_host, urlsplit(settings.zoom_api_url).hostname or "")
        self._api_url = _base(settings.zoom_api_url)
        self._max_bytes = settings.max_chars * BYTES_PER_CHAR
        self._http = httpx.Client(timeout=TIMEOUT_S, follow_redirects=True, trust_env=False)
        self._lock = threading.Lock()
        self._token: tuple[str, float] | None = None  # (access token, time.time() when it is renewed)

    @property
    def uses_oauth(self) -> bool:
        return bool(self._account_id and self._client_id and self._client_secret)

    def close(self) -> None:
        self._http.close()

    def transcript(self, download_url: str, download_token: str | None) -> bytes:
        """The file at `download_url` (from a recording event), retried through passing failures."""
        if not self._is_zoom(download_url):
            raise ZoomDownloadError("the event's download URL is not on Zoom's hosts; nothing was downloaded")
        if not self.uses_oauth and not download_token:
            raise ZoomDownloadError("no way to download the transcript: set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and "
                                    "ZOOM_CLIENT_SECRET, or have Zoom send download tokens")
        return self._retried("the transcript could not be downloaded", self._download_once, download_url,
                             download_token)

    def participants(self, meeting_uuid: str) -> tuple[str, ...]:
        """The e-mail addresses of a past meeting's participants (those Zoom knows one for), each once."""
        if not self.uses_oauth:
            raise ZoomDownloadError("reading a meeting's participants needs ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and "
                                    "ZOOM_CLIENT_SECRET")
        url = f"{self._api_url}past_meetings/{meeting_path(meeting_uuid)}/participants"
        emails: dict[str, None] = {}
        token, read = "", 0
        while read < MAX_PARTICIPANTS:
            page = self._retried("the meeting's participants could not be read", self._get_json, url,
                                 {"page_size": PARTICIPANTS_PAGE, **({"next_page_token": token} if token else {})})
            people = page.get("participants")
            if not isinstance(people, list):
                raise ZoomDownloadError("Zoom's participants answer has no list of participants")
            read += len(people)
            emails.update((p["user_email"].strip(), None) for p in people
                          if isinstance(p, dict) and isinstance(p.get("user_email"), str) and p["user_email"].strip())
            token = page.get("next_page_token") or ""
            if not token or not people:
                break
        return tuple(emails)

    def _retried(self, failed: str, attempt: Callable[..., T], *arguments: Any) -> T:
        retrying = Retrying(stop=stop_after_attempt(ATTEMPTS),
                            wait=wait_exponential(multiplier=self._first_wait_s, max=LONGEST_WAIT_S),
                            retry=retry_if_exception(lambda e: isinstance(e, _Passing)), reraise=True)
        try:
            return retrying(attempt, *arguments)
        except _Passing as e:
            raise ZoomDownloadError(f"{failed} after {ATTEMPTS} tries: {e}") from None

    def _get_json(self, url: str, params: dict[str, Any]) -> dict[str, Any]:
        token = self._access_token()
        try:
            response = self._http.get(url, params=params, headers={"Authorization": f"Bearer {token}"})
        except httpx.TransportError as e:
            raise _Passing(f"Zoom could not be reached ({type(e).__name__})") from None
        if response.status_code == 401:
            self._forget(token)
            raise _Passing("Zoom refused the token (401); a new one is fetched")
        self._check(response, "the participants request")
        try:
            answer = response.json()
        except ValueError:
            raise ZoomDownloadError("Zoom's participants answer is not JSON") from None
        if not isinstance(answer, dict):
            raise ZoomDownloadError("Zoom's participants answer is not an object")
        return answer

    def _is_zoom(self, url: str) -> bool:
        parts = urlsplit(url)
        host = parts.hostname or ""
        oauth_host, api_host = self._hosts
        return (parts.scheme in ("https", urlsplit(self._oauth_url).scheme)
                and (host in (oauth_host, api_host) or host.endswith("." + oauth_host)))

    def _download_once(self, url: str, download_token: str | None) -> bytes:
        token = self._access_token() if self.uses_oauth else str(download_token)
        try:
            with self._http.stream("GET", url, headers={"Authorization": f"Bearer {token}"}) as response:
                if response.status_code == 401 and self.uses_oauth:
                    self._forget(token)
                    raise _Passing("Zoom refused the token (401); a new one is fetched")
                self._check(response, "the download")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self._max_bytes:
                        raise ZoomDownloadError(f"the transcript is over {self._max_bytes:,} bytes; it was not read")
                    chunks.append(chunk)
        except httpx.TransportError as e:
            raise _Passing(f"Zoom could not be reached ({type(e).__name__})") from None
        return b"".join(chunks)

    def _access_token(self) -> str:
        with self._lock:
            if self._token is not None and time.time() < self._token[1]:
                return self._token[0]
            try:
                response = self._http.post(f"{self._oauth_url}oauth/token",
                                           params={"grant_type": "account_credentials", "account_id": self._account_id},
                                           auth=(str(self._client_id), str(self._client_secret)))
            except httpx.TransportError as e:
                raise _Passing(f"Zoom's token endpoint could not be reached ({type(e).__name__})") from None
            self._check(response, "the OAuth token request")
            try:
                answer = response.json()
                token, lifetime = str(answer["access_token"]), float(answer.get("expires_in", 3600))
            except (ValueError, KeyError, TypeError):
                raise ZoomDownloadError("Zoom's token endpoint answered without an access token") from None
            self._token = (token, time.time() + max(0.0, lifetime - TOKEN_MARGIN_S))
            return token

    def _forget(self, token: str) -> None:
        with self._lock:
            if self._token is not None and self._token[0] == token:
                self._token = None

    @staticmethod
    def _check(response: httpx.Response, what: str) -> None:
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Passing(f"{what} answered HTTP {status}")
        if status >= 400:
            hint = " (check ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET)" if "token" in what else ""
            raise ZoomDownloadError(f"{what} was refused with HTTP {status}{hint}")
