"""Reading a sales conversation, in whatever form a rep has it, into Turns with roles.

Formats (the content decides; a filename extension is only a hint):

- ``plain``: ``Name: text`` lines (1-4 words and a colon at the start of a line); a line without a label
  continues the previous turn, and so do URLs, times, "Note: ..." and one-off phrases such as
  "The bottom line: ..." once the speakers are established.
- ``timestamped``: ``[00:01:23] Name: text``, ``00:01:23 Name: text``, ``Name (00:01:23): text``, ``[01:23] ...``.
- ``vtt``: WebVTT as Zoom (``Name: text`` cues) and Teams (``<v Name>text</v>``) export it.
- ``srt``: numbered SubRip cues, with or without ``Name:`` in the cue text.
- ``gong``: Gong/Chorus/Otter exports, a ``Name  0:05`` (or ``Name | 0:05``) header line, then the text.
- ``json``: a list of ``{speaker|name|role, text|message|content}`` objects, or an object holding a
  ``turns`` or ``messages`` list (OpenAI-style ``system`` messages are skipped).
- ``dataset``: one conversation in the training dataset format (agent.dataset); its roles are kept.
- ``notes``: bullet-style huddle notes; every bullet becomes a note turn of the speaker "Notes".
- ``email``: a pasted e-mail, or a thread of them, starting with its headers (``From:``, then ``To:``,
  ``Sent:`` or ``Subject:``); each message is a turn of its sender, the oldest (quoted lowest) first.

Consecutive lines or cues of one speaker are merged into one turn.

Who is the rep (first rule that applies):

1. ``reps`` (the ``--rep NAME`` options): case-insensitive; "Ana" also matches the speaker "Ana Lopez".
2. Roles written in the file itself (dataset JSON, or JSON turns whose roles are rep/prospect/other or
   synonyms such as sales/customer).
3. Speakers named by their role ("Rep:", "Customer:"), when every speaker is.
4. ``known_reps``: names the team has seen as reps before, matched the same way.
5. Heuristic: among the first half of the turns (at least the first 10), the speaker who asks the most
   questions (question marks plus question openers such as "how", "what", "walk me through") is the rep;
   a tie goes to whoever spoke first.

With two or more speakers every speaker who is not a rep is a prospect. Speakers such as "Notes" and
"Unknown" are always "other". ``Transcript.roles_decided_by`` says which rule decided, in words.

Text is normalised: line endings unified, zero-width spaces, byte-order marks, control characters and
bidi embeddings, overrides and isolates removed, runs of whitespace inside a turn collapsed. Zero-width
joiners are kept because emoji sequences and several scripts need them; right-to-left text (with its
left-to-right and right-to-left marks) and emoji pass through unchanged.

Speaker labels may be redaction placeholders (``[email]: ...``, agent.redact), so that a transcript stored
redacted, one ``Speaker: text`` line per turn, reads back into the same turns.

Every problem a user can fix raises TranscriptError with one line; parsing is linear in the input size.
Text with one speaker parses (a live call's message often is one); `require_conversation` refuses it for scoring.
"""

from __future__ import annotations

import codecs
import functools
import html
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from salesrl.agent.dataset import parse_conversation
from salesrl.agent.errors import DatasetError, TranscriptError
from salesrl.agent.redact import PLACEHOLDERS
from salesrl.agent.types import Role, Transcript, Turn

log = logging.getLogger(__name__)

NO_TURNS = "no turns found: expected lines like 'Name: text', a VTT/SRT file, JSON, or '- ' notes"
NOTES_SPEAKER = "Notes"
UNKNOWN_SPEAKER = "Unknown"

# Speakers that are never a person on the call.
OTHER_SPEAKERS = frozenset({"notes", "note", "unknown", "unknown speaker", "narrator", "system", "transcript"})

# Words that look like a "Name:" label at the start of a line but introduce text instead.
NOT_SPEAKERS = frozenset(w.strip() for w in """
    note,notes,nb,n.b.,ps,p.s.,re,fyi,btw,summary,agenda,subject,date,time,when,where,location,link,url,
    email,e-mail,phone,tel,price,pricing,prices,cost,costs,total,budget,timeline,deadline,next steps,
    next step,action items,action item,todo,to-do,to do,update,example,e.g.,i.e.,important,warning,
    caution,tip,reminder,so,ok,okay,well,yes,no,and,but,also,then,now,here,however,anyway,first,second,
    third,finally,pros,cons,result,results,goal,goals,problem,problems,solution,context,background,next,
    dm,eb,champion,competitor,competitors,competition,pain,pains,concern,concerns,objection,objections,blocker,
    blockers,need,needs,authority,timing,follow-up,follow up,followup,
    attendees,owner,status,decision,outcome,edit,edited,source,sources,reason,reasons,risk,risks,
    requirements,requirement,call notes,meeting notes,huddle notes,call summary,meeting summary,recap,
    call recap,meeting recap,minutes,meeting minutes""".split(","))
_NUMBERED_NOT_SPEAKER = re.compile(r"(?:step|option|day|phase|part|week|item|point|q|h)[ ]*\d+|q[1-4]", re.I)

# --- text normalisation -------------------------------------------------------------------------------

_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")
# C0/C1 control characters (tab and newline survive), zero-width space, word joiner and invisible
# operators, byte-order mark, soft hyphen, Mongolian vowel separator, and the bidi embeddings, overrides
# and isolates (U+202A-U+202E, U+2066-U+2069): they reorder what a reader sees ("Trojan Source"), in
# Slack and in a terminal. The left-to-right and right-to-left marks stay: they only place punctuation
# next to right-to-left text, and keyboards of those scripts type them.
_INVISIBLE = re.compile(
    r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u200b\u2060-\u2064\ufeff\u00ad\u180e\u202a-\u202e\u2066-\u2069]+")
# Zero-width joiners and non-joiners join emoji and shape Arabic and Indic letters, so they stay; between two
# Latin letters they shape nothing and only hide a speaker's label ("Be\u200dn: ...") from the parser.
_LATIN_JOINERS = re.compile(r"(?<=[A-Za-z])[\u200c\u200d]+(?=[A-Za-z])")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_LEADING_MARKS = " \u200e\u200f\u061c"  # left-to-right/right-to-left marks before a label


def _normalise(text: str) -> str:
    text = _NEWLINES.sub("\n", text)
    text = _LATIN_JOINERS.sub("", _INVISIBLE.sub("", text))
    return text.replace("\t", " ")


def clean_text(text: str) -> str:
    """The text of one turn: invisible characters removed, whitespace collapsed."""
    return " ".join(without_invisible(text).split())


def without_invisible(text: str) -> str:
    """`text` without control, zero-width and bidi embedding/override/isolate characters; line breaks,
    tabs and the rest of its layout kept (for what people type besides transcripts: deal names, flag
    reasons, questions)."""
    return _INVISIBLE.sub("", text)


# --- decoding -----------------------------------------------------------------------------------------

_BINARY = "this looks like a binary file, not a transcript; paste the text or upload a .txt, .vtt, .srt or .json file"


def _looks_like_text(text: str) -> bool:
    return bool(text) and len(_CONTROLS.findall(text)) <= len(text) // 100


def _decode(data: bytes) -> str:
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
                       (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                       (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(codec, errors="replace")
    if b"\x00" in data:
        # UTF-16 without a byte-order mark: every other byte of ASCII-range text is NUL.
        even, odd = data[0::2], data[1::2]
        if len(data) % 2 == 0 and even.count(0) == 0 and odd.count(0) * 10 >= len(odd) * 9:
            codec = "utf-16-le"
        elif len(data) % 2 == 0 and odd.count(0) == 0 and even.count(0) * 10 >= len(even) * 9:
            codec = "utf-16-be"
        else:
            raise TranscriptError(_BINARY)
        text = data.decode(codec, errors="replace")
        if not _looks_like_text(text):
            raise TranscriptError(_BINARY)
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")  # Windows exports: latin-1 plus curly quotes and dashes
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if not _looks_like_text(text):
        raise TranscriptError(_BINARY)
    return text


# --- line formats -------------------------------------------------------------------------------------

_PLACEHOLDER = "|".join(re.escape(p) for p in PLACEHOLDERS)  # a redacted name: "[email]", "Ana ([phone])"
_WORD_FIRST = rf"(?:[^\W\d_][\w.'’&-]*|{_PLACEHOLDER})"
_WORD = rf"(?:\w[\w.'’&-]*|{_PLACEHOLDER})"
# Emoji people put in their display names ("Ana 🌴", "Ben 🧑‍💻"): pictographs, skin tones, ZWJ, VS16
_EMOJI = r"[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF][\U0001F000-\U0001FAFF\u2600-\u27BF\u200d\ufe0f]{0,10}"
_NAME_CORE = rf"{_WORD_FIRST}(?:[ ]+(?:{_WORD}|{_EMOJI})){{0,3}}"
_NAME = rf"{_NAME_CORE}(?:[ ]*\([^()\n]{{1,40}}\))?"  # "Ben Ito (Acme)"
_EMPH = r"(?:\*\*|__)?"
_COLON = rf"(?:[ ]*:{_EMPH}(?=[ ]|$)|[ ]*：)"
_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"

_LABEL = re.compile(rf"{_EMPH}(?P<name>{_NAME}){_EMPH}{_COLON}")
_TS_PREFIX = re.compile(rf"[\[(]?(?P<ts>{_TS})[\])]?[ ]+(?:[-–|][ ]+)?")
_NAME_TS = re.compile(rf"{_EMPH}(?P<name>{_NAME_CORE}){_EMPH}[ ]*[\[(](?P<ts>{_TS})[\])]{_COLON}")
_GONG_SEP = r"(?:[ ]*[|\-–][ ]*|[ ]+)"
_GONG = re.compile(rf"(?P<name>{_NAME}){_GONG_SEP}[\[(]?(?P<ts>{_TS})[\])]?[ ]*")
_GONG_TS_FIRST = re.compile(rf"[\[(]?(?P<ts>{_TS})[\])]?{_GONG_SEP}(?P<name>{_NAME})[ ]*")
_BULLET = re.compile(r"(?:[-*+•‣◦▪●–]|\d{1,3}[.)])[ ]+(?:\[[ xX]\][ ]+)?(?=\S)")
_HEADING = re.compile(r"#{1,6}(?:[ ]|$)")
_RULE = re.compile(r"[-=_*~]{3,}")

_HEAD = 200  # labels are matched in the first characters of a line only, so long lines stay cheap
_GONG_MAX = 120  # a Gong header line is a name and a time, nothing more


def _seconds(ts: str) -> float:
    main, _, frac = ts.replace(",", ".").partition(".")
    total = 0
    for part in main.split(":"):
        total = total * 60 + int(part)
    return total + (float("0." + frac) if frac else 0.0)


@functools.lru_cache(maxsize=4096)
def _is_speaker_name(name: str) -> bool:
    key = " ".join(name.casefold().split())
    return key not in NOT_SPEAKERS and not _NUMBERED_NOT_SPEAKER.fullmatch(key)


@dataclass
class _Line:
    kind: str  # "blank", "heading", "ts", "label", "gong", "bullet", "text"
    text: str  # the whole line (stripped) for "text"; the words after the label or bullet otherwise
    raw: str = ""  # the stripped line, used when the line turns out to be plain text after all
    name: str = ""
    start: float | None = None


_BULLET_STARTS = frozenset("-*+•‣◦▪●–0123456789")


def _classify(line: str) -> _Line:
    # Cheap first-character tests keep the regexes off lines that cannot match them.
    s = line.strip().lstrip(_LEADING_MARKS)
    if not s or (s[0] in "-=_*~" and _RULE.fullmatch(s)):
        return _Line("blank", "")
    first, last = s[0], s[-1]
    if first == "#" and _HEADING.match(s):
        return _Line("heading", "")
    head = s[:_HEAD]
    ts_first = first.isdigit() or first in "[("
    if ts_first and (m := _TS_PREFIX.match(head)):
        lm = _LABEL.match(head, m.end())
        if lm and _is_speaker_name(lm["name"]):
            return _Line("ts", s[lm.end():], s, lm["name"], _seconds(m["ts"]))
    if ("(" in head or "[" in head) and (m := _NAME_TS.match(head)) and _is_speaker_name(m["name"]):
        return _Line("ts", s[m.end():], s, m["name"], _seconds(m["ts"]))
    m = _LABEL.match(head)
    if m and _is_speaker_name(m["name"]):
        return _Line("label", s[m.end():], s, m["name"])
    if len(s) <= _GONG_MAX and ":" in s:
        m = (_GONG.fullmatch(s) if last.isdigit() or last in ")]" else None) or (
            _GONG_TS_FIRST.fullmatch(s) if ts_first else None)
        if m and _is_speaker_name(m["name"]):
            return _Line("gong", "", s, m["name"], _seconds(m["ts"]))
    if first in _BULLET_STARTS and (m := _BULLET.match(head)):
        return _Line("bullet", s[m.end():], s)
    return _Line("text", s, s)


@dataclass
class _Segment:
    """A turn while it is being read: mutable, text still in parts."""

    speaker: str
    parts: list[str] = field(default_factory=list)
    start: float | None = None
    is_note: bool = False
    role: Role | None = None  # when the source states it


_NAME_PARTICLES = frozenset("de da del della di du la le van von der den ten ter bin bint al el y e of".split())
_PHRASE_OPENERS = frozenset("""the a an my our your their his her its this that these those here's there's it's
    what which one bottom long short quick big main key good bad honestly basically look listen""".split())


def _demote_stray_labels(lines: list[_Line]) -> None:
    """A one-off "The bottom line: ..." inside a turn is text, not a new speaker. Applies once two speakers
    have spoken at least twice, to labels seen once that read like a phrase rather than a name."""
    counts: dict[str, int] = {}
    for ln in lines:
        if ln.kind == "label":
            key = _name_key(ln.name)
            counts[key] = counts.get(key, 0) + 1
    if sum(c >= 2 for c in counts.values()) < 2:
        return
    for ln in lines:
        if ln.kind == "label" and counts[_name_key(ln.name)] == 1:
            words = _PAREN.sub(" ", ln.name).split()
            if words and (words[0].casefold() in _PHRASE_OPENERS
                          or any(w[0].islower() and w.casefold() not in _NAME_PARTICLES for w in words)):
                ln.kind = "text"


def _choose_line_format(lines: list[_Line], title: _Line | None) -> str | None:
    """`title`: the notes' title line, if they have one (_notes_title)."""
    counts = {"ts": 0, "label": 0, "gong": 0, "bullet": 0}
    first: dict[str, int] = {}
    for i, ln in enumerate(lines):
        if ln.kind in counts:
            counts[ln.kind] += 1
            first.setdefault(ln.kind, i)
    labels = counts["ts"] + counts["label"]
    first_label = min(first.get("ts", len(lines)), first.get("label", len(lines)))
    if counts["gong"] and counts["gong"] > labels:
        return "gong"
    if counts["label"] == 1 and not counts["ts"] and counts["bullet"] >= 2 and title is not None:
        return "notes"  # "Renewal risk: Smile Studio" over bullets is their title, not a speaker
    if counts["bullet"] and (not labels or (first["bullet"] < first_label and counts["bullet"] >= labels)):
        return "notes"
    if counts["ts"] and counts["ts"] >= counts["label"]:
        return "timestamped"
    texts = [ln for ln in lines if ln.kind == "text"]
    headed = any(ln.kind == "heading" for ln in lines)
    if labels and not counts["ts"] and len(texts) >= 2 and (counts["label"] == 1 or (counts["label"] == 2 and headed)):
        return "note lines"  # notes quoting a buyer once or twice ('Rosa: "..."'), not a call
    if labels:
        return "plain"
    if len(texts) >= 3 or sum(len(_SENTENCE_END.findall(ln.raw)) for ln in texts) >= 2:
        return "note lines"  # notes without bullets: sentences, or Slack-style lines
    return None


_TITLE_MAX = 100
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")


def _notes_title(lines: list[_Line]) -> _Line | None:
    """The title of bullet notes ("Huddle notes — Acme Corp renewal (call with Ben)"): the one line before the
    first bullet, short and not a sentence, is a heading like a markdown one, not a note about the call."""
    before: list[_Line] = []
    for ln in lines:
        if ln.kind == "bullet":
            break
        if ln.kind == "heading" and not before:
            return None  # the heading is the title; a line under it is a note
        if ln.kind != "blank":
            before.append(ln)
            if len(before) > 1:
                return None  # a title is the one line before the bullets: no need to read on
    else:
        return None  # no bullets, no title
    if not before:
        return None
    text = before[0].raw
    return before[0] if len(text) <= _TITLE_MAX and not text.endswith((".", "!", "?", '"')) else None


def _segments_from_lines(lines: list[_Line], fmt: str, title: _Line | None) -> list[_Segment]:
    segs: list[_Segment] = []
    if fmt == "note lines":  # every line a note, a quoted 'Name: "..."' line as written
        return [_Segment(NOTES_SPEAKER, [ln.raw], is_note=True) for ln in lines if ln.kind not in ("blank", "heading")]
    if fmt == "notes":
        after_blank = True
        for ln in lines:
            if ln.kind == "blank":
                after_blank = True
                continue
            if ln.kind == "heading" or ln is title:
                continue
            if ln.kind == "bullet":
                segs.append(_Segment(NOTES_SPEAKER, [ln.text], is_note=True))
            elif segs and not after_blank:
                segs[-1].parts.append(ln.raw)
            else:
                segs.append(_Segment(NOTES_SPEAKER, [ln.raw], is_note=True))
            after_blank = False
        return segs
    starts_turn = ("gong",) if fmt == "gong" else ("ts", "label")
    for ln in lines:
        if ln.kind in starts_turn:
            segs.append(_Segment(ln.name, [ln.text] if ln.text else [], ln.start))
        elif ln.kind in ("blank", "heading"):
            continue
        elif segs:  # text, or a label/header/bullet that is not a turn in this format
            segs[-1].parts.append(ln.raw)
    return segs


# --- e-mail ------------------------------------------------------------------------------------------

_EMAIL_HEADER = re.compile(r"(?P<key>from|to|cc|bcc|sent|date|subject|reply-to)[ ]*:[ ]*(?P<value>.*)", re.I)
_SENDER_ADDRESS = re.compile(r"<[^<>]*>|\[mailto:[^\]]*\]")
_HEADER_WINDOW = 6  # a "From:" line is a header when another header follows it this closely


def _email_sender(lines: list[str], i: int) -> str | None:
    """The sender, when line i is "From: ..." with another header ("To:", "Subject:", "Sent:") right after it."""
    m = _EMAIL_HEADER.fullmatch(lines[i].strip())
    if not m or m["key"].casefold() != "from":
        return None
    after = (ln.strip() for ln in lines[i + 1:i + 1 + _HEADER_WINDOW])
    if not any((h := _EMAIL_HEADER.fullmatch(ln)) and h["key"].casefold() != "from" for ln in after if ln):
        return None
    value = m["value"]  # "Ana Lopez <ana@acme.com>", "Ana Lopez [mailto:...]", or an address alone
    return _SENDER_ADDRESS.sub(" ", value).strip(" \"'") or value.strip(" <>[]") or UNKNOWN_SPEAKER


def _segments_from_email(lines: list[str]) -> list[_Segment] | None:
    """A pasted e-mail (or a thread of them, each under its own headers): one turn per message, spoken by
    its sender, oldest first; None when the text does not start with e-mail headers."""
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None or _email_sender(lines, first) is None:
        return None
    segs: list[_Segment] = []
    in_headers = False
    for i, ln in enumerate(lines):
        s = ln.strip()
        sender = _email_sender(lines, i)
        if sender is not None:
            segs.append(_Segment(sender))
            in_headers = True
        elif in_headers and (not s or _EMAIL_HEADER.fullmatch(s)):
            in_headers = bool(s)  # the headers end at the first blank line
        elif s and not s.startswith("-----"):  # "-----Original Message-----" separates messages
            in_headers = False
            segs[-1].parts.append(s)
    return segs[::-1]  # mail clients quote the older messages below the newer


# --- WebVTT and SRT -----------------------------------------------------------------------------------

_CUE_TS = r"(?:\d{1,3}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_TIMING = re.compile(rf"[ ]*(?P<start>{_CUE_TS})[ ]*-->[ ]*(?P<end>{_CUE_TS})(?:[ ].*)?")
_CUE_ID = re.compile(r"\d+|[0-9A-Fa-f]{8}-[0-9A-Fa-f-]{4,}(?:/[\w-]+)?")  # Zoom numbers, Teams uuids
_LOOSE_CUE_ID = re.compile(r"[\w-]+(?:/[\w-]+)?")  # any one-word id, when a blank line precedes it
_VOICE = re.compile(r"<v(?:\.[^\s>]{0,40})?[ ]+(?P<name>[^<>]{0,100})>")
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>|<\d[\d:.]{3,20}>|\{\\[^{}]{0,100}\}")
_DIALOGUE_DASH = re.compile(r"[-–][ ]+")
_BLOCK_KEYWORDS = ("NOTE", "STYLE", "REGION")


def _is_cue_format(lines: list[str], filename: str | None) -> bool:
    nonblank = [ln.strip() for ln in lines[:50] if ln.strip()][:3]
    if nonblank and nonblank[0].startswith("WEBVTT"):
        return True
    if any(_TIMING.fullmatch(ln) for ln in nonblank):
        return True
    ext = (filename or "").lower().rsplit(".", 1)[-1]
    return ext in ("vtt", "srt") and any(_TIMING.fullmatch(ln) for ln in lines)


def _segments_from_cues(lines: list[str]) -> tuple[list[_Segment], str]:
    stripped = [ln.strip() for ln in lines]
    fmt = "vtt" if stripped and stripped[0].startswith("WEBVTT") else ""
    timings = [i for i, ln in enumerate(stripped) if "-->" in ln and _TIMING.fullmatch(ln)]
    if not fmt:
        fmt = "srt" if any("," in stripped[i].split("-->")[0] for i in timings) else "vtt"

    # Cue i runs from the line after its timing up to a blank line, the next cue's id, or the next timing.
    cues: list[tuple[float, list[tuple[str | None, str]]]] = []
    for k, t in enumerate(timings):
        end = timings[k + 1] if k + 1 < len(timings) else len(stripped)
        if k + 1 < len(timings) and end - 1 > t:
            cue_id = stripped[end - 1]
            if _CUE_ID.fullmatch(cue_id) or (not stripped[end - 2] and _LOOSE_CUE_ID.fullmatch(cue_id)):
                end -= 1
        body: list[str] = []
        in_block = True
        for j in range(t + 1, end):
            ln = stripped[j]
            if not ln:
                in_block = False
                continue
            if not in_block and ln.split(" ", 1)[0] in _BLOCK_KEYWORDS:
                break  # a NOTE/STYLE/REGION block between cues
            following = stripped[j + 1] if j + 1 < len(stripped) else ""
            if "-->" in ln or ("-->" in following and _CUE_ID.fullmatch(ln)):
                continue  # a timing line cut short in an unterminated file, and its cue id
            body.append(ln)  # text after a stray blank line still belongs to this cue
        start = _seconds(_TIMING.fullmatch(stripped[t])["start"])  # type: ignore[index]  # t is a timing line's index
        pieces: list[tuple[str | None, str]] = []
        for ln in body:
            speaker: str | None = None
            v = _VOICE.search(ln)
            if v:
                speaker = v["name"].strip() or None
            text = html.unescape(_TAG.sub("", ln)).strip()
            dash = _DIALOGUE_DASH.match(text)
            if dash:
                text = text[dash.end():]
            lm = _LABEL.match(text[:_HEAD].lstrip(_LEADING_MARKS))
            if lm and _is_speaker_name(lm["name"]) and speaker is None:
                speaker = lm["name"]
                text = text.lstrip(_LEADING_MARKS)[lm.end():]
            if speaker is None and pieces:
                pieces[-1] = (pieces[-1][0], pieces[-1][1] + " " + text)
            else:
                pieces.append((speaker, text))
        cues.append((start, pieces))

    # Subtitle convention: a cue without a name continues the last named speaker; a file with no names
    # at all has one "Unknown" speaker.
    named = any(sp for _, pieces in cues for sp, _ in pieces)
    segs: list[_Segment] = []
    current = UNKNOWN_SPEAKER
    for start, pieces in cues:
        for speaker, text in pieces:
            if speaker:
                current = speaker
            elif not named:
                current = UNKNOWN_SPEAKER
            if text.strip():
                segs.append(_Segment(current, [text], start))
    return segs, fmt


# --- JSON ---------------------------------------------------------------------------------------------

_SPEAKER_KEYS = ("speaker", "name", "speaker_name", "author", "from", "user")
_TEXT_KEYS = ("text", "message", "content", "utterance", "body", "transcript")
_START_KEYS = ("start", "start_time", "startTime", "timestamp", "time")
_SKIPPED_ROLES = frozenset({"system", "tool", "function", "developer"})
_ROLE_SYNONYMS: dict[str, Role] = {
    **{r: "rep" for r in ("rep", "sales", "seller", "salesperson", "sales_rep", "sales rep", "ae", "sdr",
                           "agent")},
    **{r: "prospect" for r in ("prospect", "customer", "buyer", "client", "lead")},
    "other": "other",
}
_JSON_NO_TURNS = ("no turns found in the JSON: expected a list of {\"speaker\", \"text\"} objects "
                  "or an object with a \"turns\" or \"messages\" list")


def _json_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # OpenAI content parts: [{"type": "text", "text": "..."}]
        parts = (v.get("text") if isinstance(v, dict) else v for v in value)
        return " ".join(p for p in parts if isinstance(p, str))
    return ""


def _json_start(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and 0 <= value < 1e9:
        return float(value)
    if isinstance(value, str) and re.fullmatch(_CUE_TS, value.strip()):
        return _seconds(value.strip())
    return None


def _segments_from_dicts(items: Iterable[Any]) -> list[_Segment]:
    segs: list[_Segment] = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        role_value = item.get("role")
        role_key = role_value.strip().casefold() if isinstance(role_value, str) else ""
        if role_key in _SKIPPED_ROLES:
            continue
        text = next((_json_text(item[k]) for k in _TEXT_KEYS if k in item), "")
        if not text.strip():
            continue
        speaker = next((item[k] for k in _SPEAKER_KEYS if isinstance(item.get(k), str) and item[k].strip()), "")
        if not speaker:
            speaker = role_value.strip() if isinstance(role_value, str) and role_value.strip() else UNKNOWN_SPEAKER
        start = next((_json_start(item[k]) for k in _START_KEYS if k in item), None)
        segs.append(_Segment(speaker, [text], start, role=_ROLE_SYNONYMS.get(role_key)))
    return segs


def _segments_from_json(data: Any) -> tuple[list[_Segment], str]:
    if isinstance(data, dict):
        if "turns" in data and "id" in data:
            try:
                conv = parse_conversation(data, where="the conversation")
            except DatasetError as e:
                if not _segments_from_dicts(data["turns"] if isinstance(data["turns"], list) else []):
                    raise TranscriptError(str(e)) from None
            else:
                return [_Segment(t.speaker, [t.text], role=t.role) for t in conv.turns], "dataset"
        for key in ("turns", "messages", "transcript", "utterances", "conversation"):
            if isinstance(data.get(key), list):
                return _segments_from_dicts(data[key]), "json"
        return [], "json"
    if isinstance(data, list):
        return _segments_from_dicts(data), "json"
    return [], "json"


def _load_json(text: str, filename: str | None) -> Any:
    """The decoded JSON, or None when the text is not JSON and does not claim to be."""
    s = text.strip()
    claims = s.startswith("{") or (filename or "").lower().endswith(".json")
    if not (claims or s.startswith("[")):
        return None
    try:
        return json.loads(s)
    except json.JSONDecodeError as e:
        if e.msg == "Extra data":
            first = s.split("\n", 1)[0]
            try:
                if isinstance(json.loads(first), dict):
                    raise TranscriptError("this looks like a JSONL dataset with several conversations; "
                                          "score one conversation at a time") from None
            except (ValueError, RecursionError):
                pass
        if claims:
            raise TranscriptError(f"not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})") from None
        return None
    except (ValueError, RecursionError):  # integers too long, nesting too deep
        if claims:
            raise TranscriptError("not valid JSON: nested too deeply or a number too long") from None
        return None


# --- roles --------------------------------------------------------------------------------------------

_PAREN = re.compile(r"\([^()]*\)")
_QUESTION_OPENER = re.compile(
    r"(?:^|[.!?]\s+)(?:what|how|why|when|where|who|which|can you|could you|would you|will you|do you|"
    r"does|did|are you|is there|is that|have you|has|tell me|walk me through|help me understand)\b",
    re.IGNORECASE,
)
_HEURISTIC_MIN_TURNS = 10


@functools.lru_cache(maxsize=4096)
def _name_key(name: str) -> str:
    return " ".join(_PAREN.sub(" ", name).casefold().split())


def _match_names(wanted: Sequence[str], speakers: Sequence[str]) -> list[str]:
    """Speakers named by `wanted`: exact (case-insensitive) match first, else first-name match."""
    found: list[str] = []
    keys = {s: _name_key(s) for s in speakers}
    for w in wanted:
        wk = _name_key(w)
        if not wk:
            continue
        hits = [s for s in speakers if keys[s] == wk]
        if not hits:
            first = wk.split()[0]
            hits = [s for s in speakers
                    if (" " not in wk and keys[s].split(" ", 1)[0] == wk) or (" " not in keys[s] and keys[s] == first)]
        found.extend(h for h in hits if h not in found)
    return found


def _question_score(text: str) -> int:
    marks = text.count("?") + text.count("？") + text.count("؟")  # Latin, full-width, Arabic
    return marks + len(_QUESTION_OPENER.findall(text))


def _heuristic_rep(segs: list[_Segment], people: list[str]) -> tuple[str, str]:
    if len(people) == 1:
        return people[0], f"heuristic: {people[0]} is the only speaker"
    n = max(_HEURISTIC_MIN_TURNS, (len(segs) + 1) // 2)
    score = dict.fromkeys(people, 0)
    for seg in segs[:n]:
        if seg.speaker in score:
            score[seg.speaker] += _question_score(" ".join(seg.parts))
    best = max(people, key=lambda p: score[p])  # max keeps the first of equals: who spoke first
    if score[best] == 0:
        return best, f"heuristic: {best} spoke first (nobody asked questions)"
    return best, f"heuristic: {best} asked the most questions"


def _assign_roles(segs: list[_Segment], reps: Sequence[str], known_reps: Sequence[str]) -> tuple[list[Role], str]:
    people = list(dict.fromkeys(
        s.speaker for s in segs if not s.is_note and _name_key(s.speaker) not in OTHER_SPEAKERS))

    people_set = set(people)

    def by_rep(rep_speakers: Iterable[str]) -> list[Role]:
        chosen = set(rep_speakers)
        return ["other" if s.speaker not in people_set else "rep" if s.speaker in chosen else "prospect"
                for s in segs]

    if not people:
        how = "notes have no speakers" if all(s.is_note for s in segs) else "no speaker names in the file"
        return ["other"] * len(segs), how
    wanted = [r for r in reps if r and r.strip()]
    if wanted:
        matched = _match_names(wanted, people)
        if not matched:
            listed = ", ".join(people[:10]) + (" ..." if len(people) > 10 else "")
            raise TranscriptError(f"the rep named {', '.join(wanted)} matches no speaker; the speakers are {listed}")
        return by_rep(matched), "the rep named: " + ", ".join(wanted)
    given = [s.role for s in segs if s.role is not None]
    if len(given) == len(segs):
        return given, "given by the file"
    label_roles = {p: _ROLE_SYNONYMS.get(_name_key(p)) for p in people}
    if all(label_roles.values()) and "rep" in label_roles.values():  # speakers named "Rep", "Customer"
        return ([label_roles.get(s.speaker) or "other" for s in segs],
                "given by the speaker labels: " + ", ".join(people))
    known = _match_names([r for r in known_reps if r and r.strip()], people)
    if known:
        return by_rep(known), "known reps: " + ", ".join(known)
    rep, how = _heuristic_rep(segs, people)
    return by_rep([rep]), how


# --- assembling the transcript ------------------------------------------------------------------------

def _finish(segs: list[_Segment], fmt: str, *, reps: Sequence[str], known_reps: Sequence[str],
            max_turns: int, merge: bool = True, no_turns: str = NO_TURNS) -> Transcript:
    spelling: dict[str, str] = {}  # casefolded name -> the first spelling seen
    canonical: dict[str, str] = {}  # name as written -> that first spelling
    merged: list[_Segment] = []
    for seg in segs:
        text = clean_text(" ".join(seg.parts))
        if not text:
            continue
        name = canonical.get(seg.speaker)
        if name is None:
            cleaned = clean_text(seg.speaker) or UNKNOWN_SPEAKER
            name = canonical[seg.speaker] = spelling.setdefault(cleaned.casefold(), cleaned)
        prev = merged[-1] if merged else None
        # Turns of no named speaker ("Unknown") are not merged: they are likely different people.
        if (merge and prev is not None and not seg.is_note and not prev.is_note and name != UNKNOWN_SPEAKER
                and prev.speaker == name and prev.role == seg.role):
            prev.parts.append(text)
            continue
        merged.append(_Segment(name, [text], seg.start, seg.is_note, seg.role))
    if not merged:
        raise TranscriptError(no_turns)
    if len(merged) > max_turns:
        raise TranscriptError(f"transcript has {len(merged):,} turns; the limit is {max_turns:,}")
    roles, how = _assign_roles(merged, reps, known_reps)
    turns = tuple(Turn(speaker=s.speaker, role=r, text=" ".join(s.parts), start=s.start, is_note=s.is_note)
                  for s, r in zip(merged, roles))
    log.debug("parsed %d turns as %s; roles: %s", len(turns), fmt, how)
    return Transcript(turns=turns, format=fmt, roles_decided_by=how)


def require_conversation(transcript: Transcript) -> Transcript:
    """`transcript`, if it is a conversation to score: not every turn spoken by one person (a rep's
    monologue, a voicemail, an e-mail signed with a name), whose score would say nothing about a buyer.
    Notes have no speaker and pass. Raises TranscriptError otherwise. Only scoring asks this: one message
    of a live call, or a stored call read back, may well have one speaker."""
    speakers = {t.speaker for t in transcript.turns}
    if len(speakers) == 1:
        (speaker,) = speakers
        if not transcript.turns[0].is_note and _name_key(speaker) not in OTHER_SPEAKERS:
            verb = "writes" if transcript.format == "email" else "speaks"
            raise TranscriptError(f"only {speaker} {verb} in this text, so there is no conversation to score: "
                                  "paste the call with the buyer's side too, or notes as '- ' bullets")
    return transcript


def _names(names: Sequence[str] | str | None) -> tuple[str, ...]:
    """One name given as a plain string is one name, not a sequence of letters."""
    if not names:
        return ()
    return (names,) if isinstance(names, str) else tuple(n for n in names if isinstance(n, str))


def parse_transcript(source: str | bytes, *, reps: Sequence[str] = (), known_reps: Sequence[str] = (),
                     max_chars: int = 200_000, max_turns: int = 2_000,
                     filename: str | None = None) -> Transcript:
    """Reads a transcript in any supported format; raises TranscriptError with one line if it cannot."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        text = _decode(bytes(source))
    elif isinstance(source, str):
        text = source
    else:
        raise TranscriptError(f"expected transcript text or bytes, got {type(source).__name__}")
    if "\x00" in text:
        raise TranscriptError(_BINARY)
    if len(text) > max_chars:
        raise TranscriptError(f"transcript is {len(text):,} characters; the limit is {max_chars:,}")
    text = _normalise(text)
    if not text.strip():
        raise TranscriptError("transcript is empty")
    reps, known_reps = _names(reps), _names(known_reps)

    data = _load_json(text, filename)
    if data is not None:
        segs, fmt = _segments_from_json(data)
        return _finish(segs, fmt, reps=reps, known_reps=known_reps, max_turns=max_turns,
                       merge=fmt != "dataset", no_turns=_JSON_NO_TURNS)
    lines = text.split("\n")
    if _is_cue_format(lines, filename):
        segs, fmt = _segments_from_cues(lines)
        return _finish(segs, fmt, reps=reps, known_reps=known_reps, max_turns=max_turns)
    email = _segments_from_email(lines)
    if email is not None:
        return _finish(email, "email", reps=reps, known_reps=known_reps, max_turns=max_turns)
    classified = [_classify(ln) for ln in lines]
    _demote_stray_labels(classified)
    title = _notes_title(classified)  # one look, for the format and for the notes' turns
    fmt_or_none = _choose_line_format(classified, title)
    if fmt_or_none is None:
        raise TranscriptError(NO_TURNS)
    segs = _segments_from_lines(classified, fmt_or_none, title)
    fmt = "notes" if fmt_or_none == "note lines" else fmt_or_none
    return _finish(segs, fmt, reps=reps, known_reps=known_reps, max_turns=max_turns)
