"""Puts a call plan into words with an OpenAI chat model: the simulator has decided the scenario, every turn's
move or intent and the latent trajectory; the model only writes the text, one JSON reply per conversation.

The latent probability and the outcome are never sent to the model, so they cannot leak into the text other than
through the planned intents (engagement, objections, buying signals), as in the template writer."""

from __future__ import annotations

import json
import os
from typing import Any

from salesrl.agent.errors import SalesRLError
from salesrl.agent.synth.plan import CallPlan, PlannedTurn

SYSTEM_PROMPT = """You write realistic transcripts of B2B SaaS sales calls for training a call-scoring model.
You get a JSON call plan: the scenario and a list of turns, each with its speaker, role and what that turn does.
Reply with one JSON object and nothing else: {"turns": [{"index": 0, "text": "..."}, ...]} with exactly one
entry per planned turn, in the same order, with the same index.
Rules:
- Write only the spoken words of each turn: no speaker names, no stage directions, no markdown.
- Each rep turn must perform its move; each prospect turn must carry its intent.
- engagement: high = warm, specific, forthcoming; medium = neutral; low = flat, guarded, noncommittal.
- severity (of a pain): mild = an annoyance they live with; moderate = a real cost they would like fixed;
  acute = costly and urgent, with someone above them asking for a fix.
- length: short = a few words; medium = one or two sentences; long = three sentences or more.
- Use the scenario's names, product features, numbers and competitor where natural; vary wording; people
  sometimes say "um", restart a sentence or talk over each other.
- Never mention the plan, moves, engagement levels, severities, probabilities or how the deal ends."""

_MOVE_NOTES: dict[str, str] = {
    "rapport": "builds rapport: greeting, small talk or agenda",
    "discovery_question": "asks an open discovery question about the prospect's situation, process or pain",
    "quantify_value": "ties the product to the prospect's own numbers (hours, money, risk)",
    "feature_pitch": "pitches product features",
    "handle_objection": "acknowledges and answers a concern",
    "social_proof": "cites a similar customer's result or offers a reference",
    "present_pricing": "states price, packaging or a discount",
    "propose_next_step": "proposes a concrete next step with a date",
    "ask_for_close": "asks for the commitment: signature, PO or go-ahead",
}

_INTENT_NOTES: dict[str, str] = {
    "hello": "says hello before the rep does",
    "greeting": "returns the greeting",
    "small_talk": "replies to the small talk",
    "pain": "describes a pain: {detail}",
    "deflect": "gives a vague answer that reveals no pain",
    "objection": "raises a {detail} objection",
    "signal": "gives a buying signal about {detail}",
    "question": "asks a question about {detail}",
    "ack": "acknowledges briefly",
    "backchannel": "a short backchannel like mm-hm while the rep keeps going",
    "resolved": "accepts the rep's answer to the concern",
    "unconvinced": "is still not convinced ({detail} concern remains)",
    "agree_next_step": "agrees to the proposed next step",
    "tentative": "stays noncommittal about the next step",
    "accept_close": "agrees to move forward",
    "defer_close": "defers the decision ({detail})",
    "reject_close": "declines to move forward",
    "end_call": "cuts the call short",
    "goodbye": "says goodbye",
}


class LLMWriterError(SalesRLError):
    """The OpenAI-compatible API could not be used, or its reply was not the transcript asked for."""


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def turn_note(t: PlannedTurn) -> str:
    if t.role == "rep":
        note = _MOVE_NOTES[t.action or "rapport"]
        if t.stage == "wrap":
            note += " to wrap up the call"
        if t.answers:
            note = f"answers the prospect's {t.answers} objection"
        if t.ignores:
            note += f"; steps past the prospect's open {t.ignores} objection without addressing it"
        if t.monologue:
            note += "; a monologue: talks at length without checking in"
        return note
    note = _INTENT_NOTES.get(t.intent, t.intent).format(detail=t.detail.replace("_", " ") or "it")
    if t.severity:
        note += f"; severity {t.severity}"
    return f"{note}; engagement {t.engagement}"


def plan_brief(plan: CallPlan) -> dict[str, Any]:
    """The plan as sent to the model: scenario facts and per-turn instructions, no latent values."""
    sc = plan.scenario
    return {
        "scenario": {
            "industry": sc.industry.label,
            "prospect_company": sc.company,
            "company_size": sc.company_size,
            "employees": sc.employees,
            "product": sc.product.name,
            "product_category": sc.category.label,
            "features": list(sc.product.features),
            "price": f"${sc.unit_price} per {sc.product.price_unit} per month, about ${sc.deal_size:,} a year",
            "competitor": sc.competitor,
            "current_solution": sc.status_quo,
            "rep": sc.rep_name,
            "prospect": f"{sc.prospect_name}, {sc.title} ({sc.persona.label})",
            "pains": list(sc.pains),
            "reference_customer": sc.reference_customer,
            "numbers": {
                "hours_lost_per_week": sc.hours_lost,
                "typical_improvement_pct": sc.improvement_pct,
                "yearly_value_usd": sc.saved_money,
                "monthly_volume": f"{sc.volume:,} {sc.industry.units[0]}",
            },
        },
        "turns": [
            {"index": i, "speaker": t.speaker, "role": t.role, "does": turn_note(t), "length": t.length}
            for i, t in enumerate(plan.turns)
        ],
    }


def parse_reply(content: str | None, n_turns: int) -> list[str]:
    """The turn texts of a model reply; raises ValueError saying what is wrong with it."""
    if not content or not content.strip():
        raise ValueError("empty reply")
    text = content.strip()
    if text.startswith("```"):  # tolerate a fenced block
        text = text.strip("`").removeprefix("json").strip()
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON ({e.msg})") from None
    turns = obj.get("turns") if isinstance(obj, dict) else obj
    if not isinstance(turns, list):
        raise ValueError("no 'turns' list")
    if len(turns) != n_turns:
        raise ValueError(f"{len(turns)} turns instead of {n_turns}")
    texts = []
    for i, item in enumerate(turns):
        if isinstance(item, dict):
            if "index" in item and item["index"] != i:
                raise ValueError(f"turn {i} has index {item['index']!r}")
            item = item.get("text")
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"turn {i} has no text")
        texts.append(" ".join(item.split()))
    return texts


class LLMWriter:
    """Writes a plan's turns with `model` through the `openai` client.

    `api_key` and `base_url` default to OPENAI_API_KEY and OPENAI_BASE_URL (the CLI passes them from the settings
    object). The client is made on first use, so constructing a writer does no work."""

    def __init__(self, model: str, *, api_key: str | None = None, base_url: str | None = None,
                 client: Any = None, attempts: int = 2, temperature: float = 0.9,
                 timeout: float = 120.0, max_retries: int = 2) -> None:
        self.model = model
        self.name = f"llm:{model}"
        self.attempts = attempts
        self.temperature = temperature
        self._api_key = api_key
        self._base_url = base_url
        self._client = client
        self._timeout = timeout
        self._max_retries = max_retries

    @property
    def client(self) -> Any:
        if self._client is None:
            import openai

            key = self._api_key or os.environ.get("OPENAI_API_KEY")
            if not key:
                raise LLMWriterError("set OPENAI_API_KEY (and OPENAI_BASE_URL for a compatible server) to use --llm")
            self._client = openai.OpenAI(
                api_key=key, base_url=self._base_url or os.environ.get("OPENAI_BASE_URL") or None,
                timeout=self._timeout, max_retries=self._max_retries,
            )
        return self._client

    def write(self, plan: CallPlan) -> list[str]:
        messages = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": json.dumps(plan_brief(plan), ensure_ascii=False)},
        ]
        problem = ""
        for _ in range(max(1, self.attempts)):
            content = self._complete(messages)
            try:
                return parse_reply(content, len(plan.turns))
            except ValueError as e:
                problem = str(e)
        raise LLMWriterError(f"model {self.model} did not return a usable transcript for {plan.id}: {problem}")

    def _complete(self, messages: list[dict[str, str]]) -> str | None:
        import openai

        client = self.client
        where = str(getattr(client, "base_url", "")).rstrip("/") or "the OpenAI API"
        try:
            resp = client.chat.completions.create(
                model=self.model, messages=messages, temperature=self.temperature,
                response_format={"type": "json_object"},
            )
        except openai.AuthenticationError:
            raise LLMWriterError(f"{where} rejected the API key; check OPENAI_API_KEY") from None
        except openai.NotFoundError:
            raise LLMWriterError(f"model {self.model!r} not found at {where}") from None
        except openai.RateLimitError:
            raise LLMWriterError(f"rate limited by {where}; try again later or with a smaller --n") from None
        except openai.APIStatusError as e:
            raise LLMWriterError(f"{where} answered HTTP {e.status_code}: {_one_line(e.message)}") from None
        except openai.APIConnectionError:
            raise LLMWriterError(f"cannot reach {where}; check OPENAI_BASE_URL and the network") from None
        except openai.OpenAIError as e:
            raise LLMWriterError(f"OpenAI client error: {_one_line(str(e))}") from None
        if not getattr(resp, "choices", None):
            return None
        return resp.choices[0].message.content
