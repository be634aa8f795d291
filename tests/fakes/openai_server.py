"""A fake OpenAI-compatible HTTP API: a real HTTP server on 127.0.0.1 that records every request.

    with FakeOpenAI() as fake:
        client = openai.OpenAI(api_key=fake.api_key, base_url=fake.base_url)
        ...
        body = fake.requests[-1].json

What it models (enough to catch real mistakes, nothing more):
- auth: ``Authorization: Bearer <api_key>`` (OpenAI) or ``api-key: <api_key>`` (Azure), else 401
  ``invalid_api_key`` in OpenAI's error shape;
- ``POST /v1/embeddings`` and Azure's ``POST /openai/deployments/<name>/embeddings?api-version=...``:
  deterministic vectors per (model, text) from `FakeOpenAI.vector_for`, deliberately NOT of unit
  length; honours ``dimensions`` and ``encoding_format`` ("float" or "base64"); rejects empty strings
  and more than 2048 inputs with 400 as the real API does;
- ``POST /v1/chat/completions`` (and the Azure path): answers ``chat_reply`` (a string, or a function
  of the request body returning one) as a non-streaming chat completion;
- failures: ``fail_next(status, message)`` makes the next request answer that HTTP error.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import time
from typing import Any, Callable

import numpy as np

from tests.fakes.json_server import JsonServer, Reply, Request

# Sizes of the real models' vectors; any other model or Azure deployment answers DEFAULT_DIMENSIONS.
MODEL_DIMENSIONS = {"text-embedding-3-large": 3072, "text-embedding-3-small": 1536, "text-embedding-ada-002": 1536}
DEFAULT_DIMENSIONS = 1536
MAX_INPUTS = 2048


class FakeOpenAI(JsonServer):
    def __init__(self, *, api_key: str = "sk-fake-test-key", chat_reply: str | Callable[[dict], str] = "OK") -> None:
        super().__init__()
        self.api_key = api_key
        self.chat_reply = chat_reply
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        """For `openai.OpenAI(base_url=...)` and OPENAI_BASE_URL."""
        return self.origin + "/v1"

    @property
    def azure_endpoint(self) -> str:
        """For `openai.AzureOpenAI(azure_endpoint=...)` and AZURE_OPENAI_ENDPOINT."""
        return self.origin

    # --- behaviour ---------------------------------------------------------------------------------
    def fail_next(self, status: int, message: str = "fake failure") -> None:  # type: ignore[override]
        """The next request (of any kind) answers this HTTP status with an OpenAI-style error body."""
        error = _error(status, message, type_="server_error" if status >= 500 else "invalid_request_error")
        super().fail_next(error.status, error.body)

    def requests_to(self, suffix: str) -> list[Request]:
        """Recorded requests whose path ends with `suffix`, e.g. "/embeddings"."""
        with self._lock:
            return [r for r in self.requests if r.path.endswith(suffix)]

    @staticmethod
    def vector_for(model: str, text: str, dimensions: int) -> np.ndarray:
        """The vector the fake answers for `text`: deterministic, float32, of length about 3."""
        seed = int.from_bytes(hashlib.sha256(f"{model}\n{text}".encode()).digest()[:8], "little")
        return (np.random.default_rng(seed).standard_normal(dimensions) * 3.0 / np.sqrt(dimensions)).astype(np.float32)

    def _next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    def handle(self, request: Request) -> Reply:
        azure = _AZURE_PATH.match(request.path)
        plain = _OPENAI_PATH.match(request.path)
        if request.method != "POST" or not (azure or plain):
            return _error(404, f"Invalid URL ({request.method} {request.path})")
        if azure:
            if "api-version" not in request.query:
                return _error(404, "Resource not found (missing api-version)")
            authorised = request.headers.get("api-key") == self.api_key or (
                request.headers.get("authorization") == f"Bearer {self.api_key}"
            )
        else:
            authorised = request.headers.get("authorization") == f"Bearer {self.api_key}"
        if not authorised:
            return _error(401, "Incorrect API key provided.", code="invalid_api_key")
        try:
            body = request.json
        except ValueError:
            return _error(400, "We could not parse the JSON body of your request.")
        if not isinstance(body, dict):
            return _error(400, "The body must be a JSON object.")
        op = (azure or plain).group("op")  # type: ignore[union-attr]
        deployment = azure.group("name") if azure else None
        if op == "embeddings":
            return self._embeddings(body, deployment)
        return self._chat(body, deployment)

    def _embeddings(self, body: dict, deployment: str | None) -> Reply:
        model = deployment or body.get("model")
        if not isinstance(model, str) or not model:
            return _error(400, "you must provide a model parameter")
        inputs = body.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, list) or not inputs or not all(isinstance(t, str) for t in inputs):
            return _error(400, "'$.input' is invalid: expected a string or a non-empty array of strings")
        if len(inputs) > MAX_INPUTS:
            return _error(400, f"'$.input' is invalid: at most {MAX_INPUTS} inputs per request")
        if any(t == "" for t in inputs):
            return _error(400, "'$.input' is invalid: empty strings are not allowed")
        dimensions = body.get("dimensions") or MODEL_DIMENSIONS.get(model, DEFAULT_DIMENSIONS)
        if not isinstance(dimensions, int) or dimensions <= 0:
            return _error(400, "'dimensions' must be a positive integer")
        encoding = body.get("encoding_format") or "float"
        if encoding not in ("float", "base64"):
            return _error(400, "'encoding_format' must be 'float' or 'base64'")
        data = []
        for i, text in enumerate(inputs):
            v = self.vector_for(model, text, dimensions)
            embedding: Any = base64.b64encode(v.astype("<f4").tobytes()).decode() if encoding == "base64" else v.tolist()
            data.append({"object": "embedding", "index": i, "embedding": embedding})
        tokens = sum(len(t.split()) for t in inputs)
        return Reply(200, {"object": "list", "data": data, "model": model,
                           "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    def _chat(self, body: dict, deployment: str | None) -> Reply:
        model = deployment or body.get("model")
        if not isinstance(model, str) or not model:
            return _error(400, "you must provide a model parameter")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return _error(400, "'messages' must be a non-empty array")
        if body.get("stream"):
            return _error(400, "streaming is not supported by the fake OpenAI server")
        reply = self.chat_reply(body) if callable(self.chat_reply) else self.chat_reply
        n = self._next_id()
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in messages if isinstance(m, dict))
        completion_tokens = len(reply.split())
        return Reply(200, {
            "id": f"chatcmpl-fake-{n}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop",
                         "logprobs": None}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        })


def _error(status: int, message: str, code: str | None = None, type_: str = "invalid_request_error") -> Reply:
    return Reply(status, {"error": {"message": message, "type": type_, "param": None, "code": code}})


_AZURE_PATH = re.compile(r"^/openai/deployments/(?P<name>[^/]+)/(?P<op>embeddings|chat/completions)$")
_OPENAI_PATH = re.compile(r"^/v1/(?P<op>embeddings|chat/completions)$")
