"""Transcript files shared in Slack: which ones to read, and downloading them with the bot token."""

from __future__ import annotations

import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Sequence

from slack_sdk import WebClient

from salesrl.agent.errors import SalesRLError, TranscriptError

log = logging.getLogger(__name__)

TRANSCRIPT_EXTENSIONS = ("txt", "vtt", "srt", "json")
MAX_FILES_PER_MESSAGE = 5
DOWNLOAD_TIMEOUT_S = 30
BYTES_PER_CHAR = 4  # worst case of UTF-8: a transcript of N characters is at most 4N bytes
SLACK_FILE_DOMAINS = ("slack.com", "slack-gov.com")  # files.slack.com, and GovSlack's


class FileDownloadError(SalesRLError):
    """Slack would not hand over a shared file."""


@dataclass(frozen=True)
class SlackFile:
    id: str
    name: str
    size: int | None
    url: str | None  # url_private_download; None when Slack left it out of the event

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "SlackFile":
        """A file object of Slack's; a field of another type than Slack's reads as missing."""
        def text(key: str) -> str | None:
            value = obj.get(key)
            return value if isinstance(value, str) and value else None

        url = text("url_private_download") or text("url_private")
        if obj.get("file_access") == "check_file_info":  # Slack Connect: the event holds only the id
            url = None
        size = obj.get("size")
        return cls(id=text("id") or "", name=text("name") or text("title") or "file",
                   size=size if isinstance(size, int) and not isinstance(size, bool) else None, url=url)

    @property
    def extension(self) -> str:
        return self.name.rsplit(".", 1)[-1].lower() if "." in self.name else ""

    @property
    def is_transcript(self) -> bool:
        return self.extension in TRANSCRIPT_EXTENSIONS


def transcript_files(files: Sequence[dict[str, Any]] | None) -> list[SlackFile]:
    """The transcript files among a message's files, at most MAX_FILES_PER_MESSAGE."""
    found = [SlackFile.from_dict(f) for f in files or () if isinstance(f, dict)]
    return [f for f in found if f.is_transcript and f.id][:MAX_FILES_PER_MESSAGE]


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL, the port filled in for http and https; None if it has none."""
    parts = urllib.parse.urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    try:
        port = parts.port or {"https": 443, "http": 80}.get(scheme)
    except ValueError:  # a port that is not a number
        return None
    return (scheme, host, port) if host and port else None


def may_send_token(url: str, api_base_url: str) -> bool:
    """Whether the bot token may go to `url`: over https to Slack's own hosts on the default port,
    or to exactly the scheme, host and port of the Web API's base URL (SLACK_API_URL, e.g. a fake
    Slack in tests). Another port or plain http would hand the token to whoever listens there."""
    origin = _origin(url)
    if origin is None:
        return False
    if origin == _origin(api_base_url):
        return True
    scheme, host, port = origin
    return scheme == "https" and port == 443 and any(host == d or host.endswith("." + d) for d in SLACK_FILE_DOMAINS)


def _too_long(name: str, max_chars: int) -> TranscriptError:
    return TranscriptError(f"{name} is too long: SalesRL reads transcripts of up to {max_chars:,} characters")


def download_transcript(client: WebClient, file: SlackFile, max_chars: int) -> bytes:
    """The file's bytes, fetched from url_private_download with the bot token."""
    max_bytes = max_chars * BYTES_PER_CHAR
    if file.size is not None and file.size > max_bytes:
        raise _too_long(file.name, max_chars)
    url = file.url
    if url is None:
        info = client.files_info(file=file.id)["file"]
        file = SlackFile.from_dict({**info, "file_access": None})
        url = file.url
        if file.size is not None and file.size > max_bytes:
            raise _too_long(file.name, max_chars)
    if not url:
        raise FileDownloadError(f"Slack gave no download link for {file.name}")
    if not may_send_token(url, client.base_url):
        raise FileDownloadError(f"{file.name} is not stored in Slack, so I won't download it")
    request = urllib.request.Request(url, method="GET")
    # Unredirected: if Slack redirects to a CDN, the token is not sent along.
    request.add_unredirected_header("Authorization", f"Bearer {client.token}")
    try:
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_S) as response:
            content_type = response.headers.get("Content-Type", "")
            data = response.read(max_bytes + 1)
    except urllib.error.HTTPError as e:
        raise FileDownloadError(f"I couldn't download {file.name} from Slack (HTTP {e.code})") from e
    except (urllib.error.URLError, TimeoutError, OSError) as e:
        log.warning("download of file %s failed: %s", file.id, e)
        raise FileDownloadError(f"I couldn't download {file.name} from Slack; please try again") from e
    if content_type.startswith("text/html"):
        # Slack answers its sign-in page when the token may not read the file
        raise FileDownloadError(f"Slack would not let me read {file.name}: the app needs the files:read scope")
    if len(data) > max_bytes:
        raise _too_long(file.name, max_chars)
    log.info("downloaded file %s (%d bytes)", file.id, len(data))
    return data
