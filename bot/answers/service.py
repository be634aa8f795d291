"""Answering a question about a deal: classify it, retrieve the turns it is about, compose the
extractive answer from them and the agent's outputs, and have the chat model phrase it when one is
configured.

    answerer = Answerer(store, agent.embedder, settings)     # one per process
    answer = answerer.answer(workspace_id, deal, "what did they say about pricing?")

Who may see the answer is the caller's business (bot.answers.slack_reply checks channel
membership before calling this).
"""

from __future__ import annotations

import logging

from salesrl.agent.embedder import Embedder
from salesrl.bot.answers.compose import Answer, compose
from salesrl.bot.answers.history import load_history
from salesrl.bot.answers.intent import IntentReader
from salesrl.bot.answers.phrasing import ChatPhraser
from salesrl.bot.answers.retrieval import TurnEmbeddings, retrieve
from salesrl.bot.answers.spelling import correct
from salesrl.bot.settings import Settings
from salesrl.bot.store import Deal, Store

log = logging.getLogger(__name__)

_RETRIEVED = {"said_about": 3, "general": 3, "who_decides": 2, "likelihood": 0, "why_flagged": 2, "next_step": 2, "movement": 2}


class Answerer:
    def __init__(self, store: Store, embedder: Embedder, settings: Settings) -> None:
        self.store = store
        self.embeddings = TurnEmbeddings(embedder)
        self.intents = IntentReader(embedder)
        self.phraser = ChatPhraser(settings) if settings.openai_api_key else None

    def answer(self, workspace_id: str, deal: Deal, text: str) -> Answer:
        history = load_history(self.store, workspace_id, deal)
        question = self.intents.classify(correct(text, (t.text for t in history.turns)))
        hits = retrieve(question, history, self.embeddings, k=_RETRIEVED[question.intent])
        extractive = compose(history, question, hits)
        log.info("question about deal %s: %s, %d turns retrieved", deal.id, question.intent, len(hits))
        if self.phraser is None:
            return extractive
        return self.phraser.phrase(question.text, extractive, hits)
