"""Answers phrased by an OpenAI-compatible chat model, grounded on the retrieved turns only.

The prompt holds the question, the agent's facts behind the extractive answer, and the few turns
retrieval found, each labelled with its citation, all redacted (agent.redact) however the workspace
is configured: the model never sees the rest of the deal's history. It is asked for a short answer
that cites the labels it used; the answer keeps the citations the model used that were in the prompt
(or the extractive answer's, when it named none). Any API failure falls back to the extractive
answer and is logged.

Used when OPENAI_API_KEY is set; SALESRL_CHAT_MODEL names the model, OPENAI_BASE_URL the service.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import replace
from typing import Any, Sequence

from salesrl.agent.redact import redact
from salesrl.bot.answers.compose import Answer
from salesrl.bot.answers.history import Citation
from salesrl.bot.answers.retrieval import Hit
from salesrl.bot.settings import Settings

log = logging.getLogger(__name__)

TIMEOUT_S = 20.0
MAX_ANSWER_TOKENS = 300
MAX_ANSWER_CHARS = 2500
SYSTEM_PROMPT = (
    "You answer a sales team's question about one deal. Use ONLY the facts and call excerpts given; "
    "never invent names, numbers or events. If they do not answer the question, say so in one sentence. "
    "Answer in at most four sentences, plainly, and cite the excerpts you rely on with their labels in "
    "square brackets, e.g. [call 2 (Nov 24), turn 7]."
)
_CITED = re.compile(r"call (\d+)[^\],]*?,\s*turn (\d+)", re.I)


def _excerpt(hit: Hit) -> str:
    t = hit.turn
    who = "note" if t.is_note else f"{t.speaker} ({t.role})"
    return f"[{t.citation.label}] {redact(who)}: {redact(' '.join(t.text.split()))}"


def build_messages(question: str, deal_name: str, facts: Sequence[str], hits: Sequence[Hit]) -> list[dict[str, str]]:
    parts = [f"Deal: {redact(deal_name)}", f"Question: {redact(question)}", "", "Facts from the scoring agent:"]
    parts += [f"- {redact(f)}" for f in facts] or ["- (none)"]
    parts += ["", "Call excerpts:"]
    parts += [_excerpt(h) for h in hits] or ["(none found)"]
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "\n".join(parts)}]


def cited_in(text: str, offered: Sequence[Citation]) -> tuple[Citation, ...]:
    """The offered citations the text names, in the order it names them."""
    by_key = {(c.call_number, c.turn): c for c in offered}
    out: list[Citation] = []
    for m in _CITED.finditer(text):
        c = by_key.get((int(m.group(1)), int(m.group(2))))
        if c is not None and c not in out:
            out.append(c)
    return tuple(out)


class ChatPhraser:
    """One OpenAI client per process, made on first use."""

    def __init__(self, settings: Settings) -> None:
        self.model = settings.chat_model
        self._api_key = settings.openai_api_key
        self._base_url = settings.openai_base_url
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return f"openai:{self.model}"

    def _openai(self) -> Any:
        with self._lock:
            if self._client is None:
                import openai

                self._client = openai.OpenAI(api_key=self._api_key, base_url=self._base_url,
                                             timeout=TIMEOUT_S, max_retries=1)
            return self._client

    def phrase(self, question: str, extractive: Answer, hits: Sequence[Hit]) -> Answer:
        """The extractive answer rephrased by the chat model, or the extractive answer itself when
        the model cannot be reached or answers nothing."""
        facts = extractive.facts or (extractive.text,)
        messages = build_messages(question, extractive.deal_name, facts, hits)
        try:
            response = self._openai().chat.completions.create(
                model=self.model, messages=messages, temperature=0.2, max_tokens=MAX_ANSWER_TOKENS)
            text = (response.choices[0].message.content or "").strip()
        except Exception as e:  # any failure of the optional model: the extractive answer stands
            log.warning("chat model %s failed (%s); answering extractively", self.model, type(e).__name__)
            return extractive
        if not text:
            log.warning("chat model %s answered nothing; answering extractively", self.model)
            return extractive
        offered = list(extractive.citations) + [h.turn.citation for h in hits]
        cited = cited_in(text, offered) or extractive.citations
        return replace(extractive, text=text[:MAX_ANSWER_CHARS], citations=cited, model_id=self.model_id)
