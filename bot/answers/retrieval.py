"""Finding the stored turns a question is about: embedding similarity plus keyword boosts.

The question is embedded with the agent's own embedder and compared (cosine) with every kept turn
of the deal. Turn embeddings are computed when a deal is first asked about and cached per call in
the process (stored text never changes; a purged call simply has no turns left), so later questions
cost one embedding. What the question is about (its topics: money, who decides, dates, a
competitor, security, integration, the problem) is read from its words (`TOPICS`).

A turn answers the question only when it carries the kind of fact the question asks for: a signal
(agent.signals) or evidence (an amount for money, a date for "when", an SSO or compliance term for security)
of one of its topics, said by the buyer or in reply to the rep's question about it, or a word it shares with
the question ("pricing" and "price" count as one) other than the words that name the topic ("incumbent",
"budget": a turn has to show those, not mention them). Similarity alone finds turns of the same mood, not
turns about the thing asked: quoting them would claim the history answers what it does not, so a question
nothing answers gets no turns (and the answer says so). A question with neither content words nor a topic
("thoughts?") gets the closest turns. Among the turns that answer:

- one showing its topic's signal or evidence gets `TOPIC_BOOST`;
- one sharing content words with the question gets up to `WORD_BOOST`, by their rarity among the deal's turns
  (`_idf`: "double" in "the double booking" says more than "booking" in a booking tool's deal; a word of the
  question no turn has counts too, so "run" alone does not answer "how many trucks do they run?");
- the buyer's reply to the rep's question that shares the question's words ("how are orders coming in?"
  "mostly WhatsApp…") counts as sharing them and as close to the question as the rep's was, and the rep's
  question then loses `REP_QUESTION_PENALTY` (unless it carries a fact of the topic, a date);
- a turn of the buyer's side then ranks `BUYER_BOOST` higher (not for "did we…" questions): their words are
  the answer, the rep's summary of them is not; the boost orders the turns that answer, it does not make one;
- a turn of someone the question names ("what did Tom say about security?") gets `SPEAKER_BOOST`, and
  only their turns are kept when they said anything about it;
- a rep's turn of questions only loses `REP_QUESTION_PENALTY`: asking about budget answers nothing about
  it (a proposal with its date followed by a question, "let's start on March 2nd. Could you send…?", is not one).

A turn showing its topic is kept even below `MIN_SCORE`, as long as it is not dissimilar.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from salesrl.agent.embedder import Embedder
from salesrl.agent.signals import detect
from salesrl.bot.answers.history import DealHistory, HistoryTurn
from salesrl.bot.answers.intent import Question

TOPIC_BOOST = 0.2
WORD_BOOST = 0.45
BUYER_BOOST = 0.15
SPEAKER_BOOST = 0.3
REP_QUESTION_PENALTY = 0.3
MIN_SCORE = 0.3  # below this a turn is not about the question
MAX_CACHED_CALLS = 2048
MAX_STEMMED_TURNS = 65536

_DATE = (r"\b(?:today|tomorrow|(?:this|next) (?:week|month|quarter|year)|monday|tuesday|wednesday|thursday|friday|"
         r"january|february|march|april|may|june|july|august|september|october|november|december|"
         r"q[1-4]|\d{1,2}(?:st|nd|rd|th)|spring|summer|autumn|fall|winter|end of)\b")


@dataclass(frozen=True)
class Topic:
    name: str
    asked: re.Pattern[str]  # in a question: it asks about this topic
    signals: tuple[str, ...]  # agent.signals of turns about it
    evidence: re.Pattern[str] | None  # in a buyer's turn: the kind of fact that answers it
    expansion: str | None = None  # said to the embedder with a question this short about it
    item: str | None = None  # the deal tracker's item (agent.tracker) it is


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


TOPICS: tuple[Topic, ...] = (
    Topic("money", _rx(r"pric|cost|budget|expens|afford|discount|money|spend|fee|contract value|\$|\bpay(?:s|ing|ments?)?\b"),
          ("price", "budget"),
          _rx(r"[$€£]\s?\d|\d\s?(?:k|m)\b|\b(?:dollars?|euros?|pounds?|thousand|million|per (?:month|year|seat|user))\b|"
              r"\bpay\b|billing|invoice|quot(?:e|ed)|\bprice\b|\ba (?:month|year)\b"), item="budget"),
    Topic("decision", _rx(r"decid|decision|sign|approv|authority|boss|vp|cfo|ceo|board|procurement|buyer|"
                          r"\bwho\b.{0,30}\bowns?\b|\bowners?\b"),
          ("decision_maker", "authority"),
          _rx(r"\b(?:signs?|approves?|decides?|vote|board|committee|cfo|ceo|owners?|partners|in charge|last word|"
              r"final say|(?:my|his|her|their|our|your) call|(?:I|we|she|he|they) own)\b"), item="decision"),
    Topic("next_step", _rx(r"next step|pilot|trial|follow|meeting|demo|schedule|proof of concept|visit|booked"),
          ("next_step",), None, "the meeting or call we booked next, on a day", "next_step"),  # its date: "when"
    Topic("timeline", _rx(r"timeline|\bwhen|date|deadline|go[- ]live|quarter|launch|timing|by when"),
          ("timeline", "timing"), _rx(_DATE), item="timeline"),
    Topic("competitor", _rx(r"compet|alternative|vendor|incumbent|\busing\b|\buse (?:today|now)\b|currently|"
                            r"\btools?\b|shop(?:ping)? around|\b(?:looking at|talking to|considering|evaluating|comparing)\b|"
                            r"other (?:options|quotes|offers)|\bon (?:anything|something)\b|"
                            r"\b(?:tried|looked at|talking to) (?:other|anything|anyone|any)\b"),
          ("competitor",), _rx(r"\b(?:we use|we're using|using|demo from|quoted us|switch(?:ed)? from|incumbent|"
                               r"(?:a |their )?quotes? from|trial(?:l)?ed|tried|(?:moved|pushed) (?:us )?onto|"
                               r"(?:also )?looking at|pitched|evaluating)\b"),
          "another vendor or tool they use today, or had a demo from, instead of us", "competitor"),
    # a category ("security") asks for any of its evidence; a named standard ("GDPR") is a word to find
    Topic("security", _rx(r"secur|complian|privacy|confidential|data protection"),
          (), _rx(r"secur|\bsso\b|sign[- ]on|\bsaml\b|okta|complian|gdpr|hipaa|soc ?2|iso ?27001|privacy|"
                  r"confidential|encrypt|data (?:has to|must) stay|on[- ]prem|servers?|data processing|\bdpa\b|"
                  r"personal data|contact details")),
    Topic("integration", _rx(r"integrat|connect|\bapi\b|\bsystems?\b"),
          (), _rx(r"integrat|connect|\bapi\b|interface|\bfeed\b|plug[- ]?in")),
    # what stands in the way: an objection, a worry, a condition before signing
    Topic("objection", _rx(r"objection|concern|worr|hesita|holding (?:them|it|us|this)? ?back|hold[- ]?up|block|"
                           r"push ?back|stuck|sticking point|reservation|in the way|stopping"),
          ("price", "authority", "need"),  # not "timing": it reads "next year" as one
          _rx(r"\b(?:worr\w*|concern\w*|not convinced|hesita\w*|unless|before (?:I|we) (?:can )?sign|"
              r"(?:I|we) need (?:two|a few|some|three) things|problem|risk|afraid|doubt\w*)\b"),
          "what worries them or stands in the way of buying", "objection"),
    Topic("pain", _rx(r"\bneed|priority|problem|pain|fit|struggl|issue|\bslow|bottleneck|frustrat|headache|"
                      r"goes wrong|going wrong|broken"), ("need",),
          _rx(r"\b(?:lose|lost|losing|miss|missed|short|costs? us|wast\w*|manual|by hand|too long|hours|minutes|"
              r"complain\w*|hurts?|embarrass\w*|errors?|mistakes?|typos?|delays?|slow\w*|retyp\w*)\b"),
          "the problem that costs them today, what goes wrong", "pain"),
)
# said to the embedder along with questions whose words alone are too short to find their answers
_EXPANSIONS = {
    "who_decides": "who signs off and approves the purchase: the decision maker, our VP, CFO or boss",
    "next_step": "the next step we agreed: a pilot, a meeting, a follow-up",
}
SENTENCES = re.compile(r"[^.?!]*[^.?!\s][^.?!]*[.?!]*")  # a text's sentences, with their end marks
_WE = re.compile(r"\b(?:we|us|our|i)\b", re.I)
_THEY = re.compile(r"\b(?:they|them|the prospect|the buyer|the customer|he|she)\b", re.I)
_WORD = re.compile(r"[a-z0-9$€£]+(?:'[a-z]+)?")
_STOPWORDS = frozenset("""
    a an the and or but if of to in on at for with about by from as is are was were be been being do does did
    have has had what who whom which when where why how this that these those it its they them their he she
    his her we our us you your i me my say said says tell told mention mentioned any anything something
    deal call calls there here so than then just should would could can will shall may might must not no yes
    what's whats when's whens who's whos where's how's hows it's that's there's
    now today currently still yet ever really also very get got thing things lot
    many much more most some anyone someone else actually gonna wanna kind sort
    wht whts wat wats whos hows r u ur rn pls plz tho abt gotta ya yeah ok hey hi btw fyi asap tbh imo
""".split())


def topics_of(question: Question) -> tuple[Topic, ...]:
    """The topics the question asks about ("who decides?" is about the decision whatever its words)."""
    text = " ".join(filter(None, (question.text, question.topic)))
    return tuple(t for t in TOPICS if t.asked.search(text) or (question.intent == "who_decides" and t.name == "decision"))


def wanted_signals(question: Question) -> frozenset[str]:
    return frozenset(s for t in topics_of(question) for s in t.signals)


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.casefold()) if w not in _STOPWORDS and len(w) > 2}


_SUFFIX = re.compile(r"(?:'s|ations?|ing|ed|es|s|e|ly)$")


def stems(words: set[str]) -> set[str]:
    """Crude stems, enough to match "pricing" with "price", "vendors" with "vendor", "meeting" with "meet"."""
    return {_SUFFIX.sub("", _SUFFIX.sub("", w))[:6] or w for w in words}  # twice: "bookings", "booking", "book"


def named_speakers(question: Question, history: DealHistory) -> set[str]:
    """The speakers of the deal's calls the question names ("what did Tom say…"), by their first name."""
    words = set(_WORD.findall(question.text.casefold()))
    return {t.speaker for t in history.turns if not t.is_note and t.speaker.split()[0].casefold() in words}


def shows_topic(turn: HistoryTurn, topics: Sequence[Topic], signals: frozenset[str],
                before: HistoryTurn | None = None, history: DealHistory | None = None) -> bool:
    """The buyer's turn carries what the question's topics ask for: their signal, their evidence or what the
    deal's tracker read it to settle, or it replies to the rep's question about one of them as the tracker reads
    it ("who would sign off?" "probably Maria in finance"); not to a proposal of a next step, whose "yes,
    Tuesday" says nothing of a demo.
    (The rep's small talk shows topics too, "I know your time is expensive", and says nothing of the deal.)"""
    if turn.role == "rep":
        return False
    if (before is not None and before.role == "rep" and before.call_id == turn.call_id and "?" in before.text
            and history is not None and history.asked_at(before) & {t.item for t in topics if t.item != "next_step"}):
        return True
    settled = history.settled_at(turn) if history is not None else set()
    return bool(signals & detect(turn.text)) or any(
        t.evidence is not None and t.evidence.search(turn.text) or t.item in settled for t in topics)


def topic_names(words: set[str], topics: Sequence[Topic]) -> set[str]:
    """The question's words that only name its topics ("incumbent", "budget"): a turn sharing one of them is
    not thereby about the topic ("I can't advise individual vendors"); it has to show the topic's evidence.
    (A topic with no evidence of its own, the next step, is found by its words: "when's the pilot?")"""
    return {w for w in words if any(t.evidence is not None and t.asked.search(w) for t in topics)}


# short forms a team types for what a call spells out: a turn saying the one mentions the other
_SPELLED_OUT = {"sso": "single sign-on", "rfp": "request for proposal", "poc": "proof of concept",
                "roi": "return on investment", "nda": "non-disclosure"}


@functools.lru_cache(maxsize=MAX_STEMMED_TURNS)
def turn_stems(text: str) -> frozenset[str]:
    """A stored turn's stems, kept: its text never changes and every question about the deal reads it."""
    folded = text.casefold()
    return frozenset(stems(content_words(text)) | {short for short, long in _SPELLED_OUT.items() if long in folded})


def _shows_evidence(turn: HistoryTurn, topics: Sequence[Topic]) -> bool:
    """A rep's turn carrying a topic's evidence ("let's start on March 2nd. Could you send…?"): a fact
    of its own, besides its question."""
    return any(t.evidence is not None and t.evidence.search(turn.text) for t in topics)


def _question_stems(text: str) -> frozenset[str]:
    """The stems of the question a turn ends with ("…the double bookings. When would you want it live?": when,
    live): what its reply answers; nothing when it does not end with one."""
    sentences = SENTENCES.findall(text)
    return turn_stems(sentences[-1]) if sentences and sentences[-1].rstrip().endswith("?") else frozenset()


def _idf(turns: Sequence[HistoryTurn]) -> Callable[[str], float]:
    """How rare a stem is among the deal's turns (inverse document frequency): a word most turns share
    ("booking" in a booking tool's deal) says little of which turn a question is about."""
    df: Counter[str] = Counter(w for t in turns for w in turn_stems(t.text))
    n = len(turns)
    return lambda w: math.log((n + 1) / (df[w] + 0.5))


def sentence_relevance(question: Question) -> Callable[[str], float]:
    """How much a sentence of a turn is about the question: the question's words it has, and one more for each
    of its topics whose evidence or signal it shows (a date for "when", an amount for money). For quoting a long
    turn."""
    words = stems(content_words(question.topic or question.text))
    topics = topics_of(question)
    signals = wanted_signals(question)
    return lambda sentence: (len(words & turn_stems(sentence)) + len(signals & detect(sentence))
                             + sum(1 for t in topics if t.evidence is not None and t.evidence.search(sentence)))


@dataclass(frozen=True)
class Hit:
    turn: HistoryTurn
    score: float
    similarity: float


class TurnEmbeddings:
    """Embeddings of stored turns, per call, computed on first use and kept in memory."""

    def __init__(self, embedder: Embedder, max_calls: int = MAX_CACHED_CALLS) -> None:
        self.embedder = embedder
        self._cache: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_calls
        self.embedded_turns = 0  # turns embedded so far (the cost of first questions)

    def for_turns(self, turns: Sequence[HistoryTurn]) -> np.ndarray:
        """Embeddings of `turns` (rows in the same order); cached per call and turn count."""
        by_call: dict[int, list[HistoryTurn]] = {}
        for t in turns:
            by_call.setdefault(t.call_id, []).append(t)
        rows: dict[tuple[int, int], np.ndarray] = {}
        for call_id, call_turns in by_call.items():
            key = (call_id, len(call_turns))
            with self._lock:
                cached = self._cache.get(key)
                if cached is not None:
                    self._cache.move_to_end(key)
            if cached is None:
                cached = self.embedder.embed([t.text for t in call_turns])
                self.embedded_turns += len(call_turns)
                with self._lock:
                    self._cache[key] = cached
                    while len(self._cache) > self._max:
                        self._cache.popitem(last=False)
            for t, row in zip(call_turns, cached):
                rows[(t.call_id, t.index)] = row
        if not turns:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.stack([rows[(t.call_id, t.index)] for t in turns])


def retrieve(question: Question, history: DealHistory, embeddings: TurnEmbeddings, *, k: int = 3,
             signals: frozenset[str] | None = None, min_score: float = MIN_SCORE) -> list[Hit]:
    """The k turns that best answer the question, best first (only those scoring `min_score` or more)."""
    turns = history.turns
    if not turns:
        return []
    topics = topics_of(question)
    wanted = wanted_signals(question) if signals is None else signals
    expansions = [_EXPANSIONS.get(question.intent)] + [t.expansion for t in topics] + [
        long for short, long in _SPELLED_OUT.items() if short in content_words(question.text)]
    query = " ".join(filter(None, (question.topic, question.text, *expansions)))
    q = embeddings.embedder.embed([query])[0]
    similarity = embeddings.for_turns(turns) @ q  # both unit length: cosine
    speakers = named_speakers(question, history)
    words = content_words(question.topic or question.text)
    # the names of the speakers and of the deal say whose turns, not what about ("did civic transit mention…"; but
    # "how many hotels do they have" asks about hotels in Harbor Hotels' thread)
    named = {s.split()[0].casefold() for s in speakers}
    if history.deal.name.casefold() in question.text.casefold():
        named |= content_words(history.deal.name)
    word_stems = stems(words) - stems(named)
    naming = stems(topic_names(words, topics))
    about_them = bool(_THEY.search(question.text))
    weight = _idf(turns)
    shared = [word_stems & turn_stems(t.text) for t in turns]
    asked_weight = sum(weight(w) for w in word_stems)  # a word no turn has ("trucks") counts most: none answers
    similarity = similarity.copy()
    passes = [False] * len(turns)  # the rep's turn whose closing question its reply answers
    for i, turn in enumerate(turns[:-1]):
        reply = turns[i + 1]
        # the buyer's reply to the rep's question about it answers it in whatever words ("how are orders coming
        # in?" "mostly WhatsApp messages…"): it counts as sharing the question's words, and as close to it
        passed = word_stems & _question_stems(turn.text) - naming
        if turn.role == "rep" and reply.role != "rep" and reply.call_id == turn.call_id and passed:
            shared[i + 1] = shared[i + 1] | passed
            similarity[i + 1] = max(similarity[i + 1], similarity[i])
            passes[i] = True
    ours = bool(_WE.search(question.text)) and not about_them  # "did we lock a date": our words count as theirs
    hits = []
    for i, (turn, sim) in enumerate(zip(turns, similarity)):
        score = float(sim)
        on_topic = shows_topic(turn, topics, wanted, turns[i - 1] if i else None, history)
        if (word_stems or topics) and not (on_topic or shared[i] - naming):
            continue  # about something else (the module's docstring)
        if on_topic:
            score += TOPIC_BOOST
        if asked_weight:  # the rarer a shared word in the deal, the more it says ("double" more than "booking")
            score += WORD_BOOST * sum(weight(w) for w in shared[i]) / asked_weight
        if turn.speaker in speakers:
            score += SPEAKER_BOOST
        if turn.role == "rep" and (passes[i] and not _shows_evidence(turn, topics)
                                   or all(sentence.endswith("?") for sentence in SENTENCES.findall(turn.text))):
            score -= REP_QUESTION_PENALTY  # the rep asking about it says less than anyone answering
        if score >= min_score or (on_topic and sim > 0):
            # the buyer's words are the answer, the rep's summary of them is not: an order among the turns that
            # answer, not a reason to answer
            hits.append(Hit(turn, score + (BUYER_BOOST if turn.role != "rep" and not ours else 0.0), float(sim)))
    if any(h.turn.speaker in speakers for h in hits):  # "what did Tom say": Tom's turns, when he said anything
        hits = [h for h in hits if h.turn.speaker in speakers]
    hits.sort(key=lambda h: h.score, reverse=True)
    return hits[:k]
