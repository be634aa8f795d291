"""Sentence embedders: texts in, L2-normalised float32 vectors out.

Two implementations of the `Embedder` protocol:
- `OnnxEmbedder`: the shipped int8 all-MiniLM-L6-v2 (models/minilm-l6-v2-int8), run locally with
  onnxruntime and tokenizers. An embedding does not depend on the other texts of its batch.
- `OpenAIEmbedder`: the OpenAI or Azure OpenAI embeddings API through the `openai` package (imported
  only when this embedder is used).

`load_embedder(spec)` picks one from a short spec string: None or "minilm", "openai:<model>",
"azure:<deployment>".
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.resources
import json
import logging
import os
import tempfile
import zlib
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import platformdirs

from salesrl.agent.errors import ModelError, SalesRLError

if TYPE_CHECKING:
    import onnxruntime
    import tokenizers

log = logging.getLogger(__name__)

# shipped in the wheel as package data (models/ in the repository)
MODELS_DIR = Path(str(importlib.resources.files("salesrl.models")))
DEFAULT_MODEL_DIR = MODELS_DIR / "minilm-l6-v2-int8"
# How many batches run at once, each on one onnxruntime thread of its own. On shared cores a second thread
# competes with the bot's other work and made embedding slower (benchmarks/bench_embedder.py), so the bot uses
# 1; a job that has the machine to itself (`salesrl train`, `salesrl score`) uses every core, and two batches
# at a time on one thread each beat one batch on two threads (the figures: BENCHMARKS.md, "Training").
DEFAULT_THREADS = 1
# A batch holds at most this many tokens, padding included: past it a batch is no cheaper a token than one
# text alone, and small batches keep both threads busy to the end of a call (BENCHMARKS.md, "The embedder's
# floor"). A longer text (up to the model's 256) runs alone.
DEFAULT_BATCH_TOKENS = 256

# Output sizes of OpenAI's embedding models when no `dimensions` is requested.
OPENAI_DIMENSIONS = {
    "text-embedding-3-large": 3072,
    "text-embedding-3-small": 1536,
    "text-embedding-ada-002": 1536,
}


class EmbeddingServiceError(SalesRLError):
    """The remote embeddings service could not be reached, refused the request, or is not configured."""


@runtime_checkable
class Embedder(Protocol):
    id: str  # names the embedding space, e.g. "minilm-l6-v2-int8" or "openai:text-embedding-3-large"
    checksum: str  # changes whenever the vectors for the same text could change

    @property
    def dim(self) -> int:
        """The width of a vector (read-only: an embedder may compute it)."""
        ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Shape (len(texts), dim), float32, each row of unit length."""
        ...


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("embed() takes a sequence of texts, not a single string")
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise TypeError(f"text {i} is {type(t).__name__}, not str")
    return out


def _normalise_rows(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return (v / np.maximum(norms, np.float32(1e-12))).astype(np.float32, copy=False)


def cache_dir() -> Path:
    """Where unpacked models are kept: $SALESRL_CACHE_DIR, else the platform's user cache directory
    (~/.cache/salesrl or $XDG_CACHE_HOME/salesrl on Linux, ~/Library/Caches/salesrl on macOS,
    %LOCALAPPDATA%\\salesrl\\Cache on Windows)."""
    explicit = os.environ.get("SALESRL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(platformdirs.user_cache_dir("salesrl", appauthor=False))


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _unpack_model(gz_path: Path, expected_sha256: str, model_id: str, cache: Path | None) -> Path | bytes:
    """The unpacked ONNX model: a verified file in the cache, or the bytes when the cache is not writable."""
    where = cache if cache is not None else cache_dir()
    target = where / "models" / f"{model_id}-{expected_sha256[:16]}.onnx"
    if target.is_file():
        data = target.read_bytes()
        if _sha256_bytes(data) == expected_sha256:
            return target
        log.warning("cached model %s is corrupt; unpacking it again", target)
    try:
        data = gzip.decompress(gz_path.read_bytes())
    except FileNotFoundError:
        raise ModelError(f"embedding model file {gz_path} is missing; reinstall SalesRL or rebuild it") from None
    except (OSError, EOFError, zlib.error):
        raise ModelError(f"embedding model file {gz_path} is corrupt (not a complete gzip file)") from None
    if _sha256_bytes(data) != expected_sha256:
        raise ModelError(f"embedding model file {gz_path} is corrupt (sha256 does not match metadata.json)")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp_name, 0o644)
            os.replace(tmp_name, target)  # atomic: concurrent loaders never see a partial file
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
    except OSError as e:
        log.info("cannot cache the unpacked model in %s (%s); keeping it in memory", target.parent, e)
        return data
    log.info("unpacked %s to %s", gz_path.name, target)
    return target


@dataclass(frozen=True)
class _ModelMetadata:
    id: str
    dim: int
    sha256: str
    max_length: int

    @classmethod
    def read(cls, path: Path) -> _ModelMetadata:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(id=str(raw["id"]), dim=int(raw["dim"]), sha256=str(raw["sha256"]), max_length=int(raw["max_length"]))
        except FileNotFoundError:
            raise ModelError(f"embedding model metadata {path} is missing") from None
        except (ValueError, KeyError, TypeError):
            raise ModelError(f"embedding model metadata {path} is not valid (needs id, dim, sha256, max_length)") from None


class OnnxEmbedder:
    """The shipped sentence embedder. Build it with `OnnxEmbedder.load()`.

    Texts are tokenized without fixed padding, sorted by length and run in batches padded to their
    longest member; the last hidden state is mean-pooled over the attention mask and L2-normalised.
    """

    def __init__(
        self,
        session: onnxruntime.InferenceSession,
        tokenizer: tokenizers.Tokenizer,
        *,
        id: str,
        dim: int,
        checksum: str,
        batch_tokens: int = DEFAULT_BATCH_TOKENS,
        threads: int = DEFAULT_THREADS,
    ) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.id = id
        self.dim = dim
        self.checksum = checksum
        self.batch_tokens = batch_tokens
        self.threads = max(1, int(threads))  # batches run at once (onnxruntime's Run is thread-safe)
        self._input_names = {i.name for i in session.get_inputs()}
        # Kept for the embedder's life: starting threads for each call cost as much as a short call's work.
        # The threads start on the first call that needs them and end with the process.
        self._pool = (ThreadPoolExecutor(self.threads, thread_name_prefix="salesrl-embed")
                      if self.threads > 1 else None)

    @classmethod
    def load(
        cls,
        model_dir: Path | None = None,
        *,
        threads: int = DEFAULT_THREADS,
        batch_tokens: int = DEFAULT_BATCH_TOKENS,
        cache: Path | None = None,
    ) -> OnnxEmbedder:
        """Load a model directory (default: models/minilm-l6-v2-int8) holding model.onnx.gz,
        tokenizer.json and metadata.json. The ONNX file is unpacked once into the cache (see `cache_dir`)
        and its sha256 is checked against metadata.json on every load."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_dir = Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR
        if not model_dir.is_dir():
            raise ModelError(f"embedding model directory {model_dir} does not exist")
        meta = _ModelMetadata.read(model_dir / "metadata.json")
        model = _unpack_model(model_dir / "model.onnx.gz", meta.sha256, meta.id, cache)

        try:
            tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        except Exception:
            raise ModelError(f"embedding tokenizer {model_dir / 'tokenizer.json'} is missing or not valid") from None
        tokenizer.no_padding()  # padding is done per batch below
        tokenizer.enable_truncation(max_length=meta.max_length)

        so = ort.SessionOptions()
        so.intra_op_num_threads = 1  # parallel work is whole batches at once: see DEFAULT_THREADS
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.log_severity_level = 3
        try:
            session = ort.InferenceSession(
                str(model) if isinstance(model, Path) else model, so, providers=["CPUExecutionProvider"]
            )
        except Exception as e:
            raise ModelError(f"onnxruntime cannot load the embedding model in {model_dir}: {type(e).__name__}") from None
        return cls(session, tokenizer, id=meta.id, dim=meta.dim, checksum=meta.sha256,
                   batch_tokens=batch_tokens, threads=threads)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        items = _check_texts(texts)
        out = np.empty((len(items), self.dim), dtype=np.float32)
        if not items:
            return out
        encodings = self.tokenizer.encode_batch(items)
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        order = np.argsort(lengths, kind="stable")  # similar lengths together: little padding

        def run(rows: np.ndarray) -> None:
            out[rows] = self._embed_batch([encodings[i] for i in rows], int(lengths[rows[-1]]))

        batches = self._batches(lengths[order])
        if self._pool is None or len(batches) == 1:
            for start, stop in batches:
                run(order[start:stop])
        else:
            list(self._pool.map(run, [order[start:stop] for start, stop in batches]))  # list(): re-raises here
        return out

    def _batches(self, sorted_lengths: np.ndarray) -> list[tuple[int, int]]:
        """[start, stop) runs of the length-sorted texts, each padded to its last (longest) text within
        `batch_tokens`. With several threads, at least two batches a thread and a multiple of the threads, each
        as small as that allows, so that the threads finish together: 3 full batches on 2 threads would leave one
        thread idle for a third of the call (BENCHMARKS.md, "The embedder's floor")."""
        lengths = sorted_lengths.tolist()
        out = _cut(lengths, self.batch_tokens)
        want = self.threads * max(2, -(-len(out) // self.threads))
        if self._pool is None or len(out) == want:
            return out
        low, high = min(lengths[-1], self.batch_tokens), self.batch_tokens  # the least budget giving <= `want`
        while low < high:
            middle = (low + high) // 2
            if len(_cut(lengths, middle)) <= want:
                high = middle
            else:
                low = middle + 1
        return _cut(lengths, low)

    def _embed_batch(self, encodings: list[Any], width: int) -> np.ndarray:
        n = len(encodings)
        ids = np.zeros((n, width), dtype=np.int64)
        mask = np.zeros((n, width), dtype=np.int64)
        types = np.zeros((n, width), dtype=np.int64)
        for i, e in enumerate(encodings):
            k = len(e.ids)
            ids[i, :k] = e.ids
            mask[i, :k] = e.attention_mask
            types[i, :k] = e.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        feeds = {k: v for k, v in feeds.items() if k in self._input_names}
        hidden = self.session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), np.float32(1.0))
        return _normalise_rows(pooled)


def _cut(sorted_lengths: list[int], budget: int) -> list[tuple[int, int]]:
    """[start, stop) runs of the length-sorted texts, each padded to its last (longest) text within `budget`
    tokens (a longer text alone)."""
    out, start = [], 0
    for i, width in enumerate(sorted_lengths):
        if i > start and (i - start + 1) * width > budget:
            out.append((start, i))
            start = i
    out.append((start, len(sorted_lengths)))
    return out


class OpenAIEmbedder:
    """Embeddings from the OpenAI (or Azure OpenAI) API, L2-normalised float32.

    Pass `client` to reuse an `openai.OpenAI`/`openai.AzureOpenAI`; otherwise one is made from the
    other arguments: `azure_endpoint` selects Azure (with `api_version` and `deployment`), else
    `base_url` may point at any OpenAI-compatible server.
    """

    def __init__(
        self,
        model: str = "text-embedding-3-large",
        dimensions: int | None = None,
        client: Any | None = None,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        azure_endpoint: str | None = None,
        api_version: str | None = None,
        deployment: str | None = None,
        batch_size: int = 128,
        timeout: float = 30.0,
        max_retries: int = 2,
    ) -> None:
        if dimensions is not None and dimensions <= 0:
            raise ValueError("dimensions must be positive")
        self.model = deployment or model
        self.dimensions = dimensions
        self.batch_size = max(1, min(int(batch_size), 2048))  # the API takes at most 2048 inputs per request
        self._client = client
        self._client_args: dict[str, Any] = {
            "api_key": api_key,
            "base_url": base_url,
            "azure_endpoint": azure_endpoint,
            "api_version": api_version,
            "deployment": deployment,
            "timeout": timeout,
            "max_retries": max_retries,
        }
        self._azure = azure_endpoint is not None or type(client).__name__ == "AzureOpenAI"
        prefix = "azure" if self._azure else "openai"
        self.id = f"{prefix}:{self.model}" + (f"@{dimensions}" if dimensions else "")
        # The same model gives the same vectors through any endpoint, so the endpoint is not part of it.
        self.checksum = hashlib.sha256(self.id.encode()).hexdigest()
        self._dim: int | None = dimensions or OPENAI_DIMENSIONS.get(model)

    @property
    def dim(self) -> int:
        """Known from the model name or `dimensions`; otherwise (an Azure deployment of an unknown model)
        learnt from one embeddings request."""
        if self._dim is None:
            self._dim = int(self._request([" "]).shape[1])
        return self._dim

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def _make_client(self) -> Any:
        import openai

        a = self._client_args
        try:
            if a["azure_endpoint"]:
                return openai.AzureOpenAI(
                    azure_endpoint=a["azure_endpoint"],
                    api_key=a["api_key"],
                    api_version=a["api_version"],
                    azure_deployment=a["deployment"],
                    timeout=a["timeout"],
                    max_retries=a["max_retries"],
                )
            return openai.OpenAI(
                api_key=a["api_key"], base_url=a["base_url"], timeout=a["timeout"], max_retries=a["max_retries"]
            )
        except openai.OpenAIError as e:
            first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise EmbeddingServiceError(f"cannot configure the OpenAI client: {first_line}") from None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        items = _check_texts(texts)
        if not items:
            return np.empty((0, self.dim), dtype=np.float32)
        # The API rejects empty strings; a blank turn still gets a vector.
        items = [t if t.strip() else " " for t in items]
        parts = [self._request(items[i : i + self.batch_size]) for i in range(0, len(items), self.batch_size)]
        out = np.concatenate(parts, axis=0)
        if self._dim is None:
            self._dim = out.shape[1]
        elif out.shape[1] != self._dim:
            raise EmbeddingServiceError(
                f"{self.id} returned vectors of size {out.shape[1]}, expected {self._dim}"
            )
        return out

    def _request(self, batch: list[str]) -> np.ndarray:
        import openai

        kwargs: dict[str, Any] = {"model": self.model, "input": batch, "encoding_format": "float"}
        if self.dimensions is not None:
            kwargs["dimensions"] = self.dimensions
        try:
            response = self.client.embeddings.create(**kwargs)
        except openai.APITimeoutError:
            raise EmbeddingServiceError(f"the embeddings request to {self._where()} timed out") from None
        except openai.APIConnectionError:
            raise EmbeddingServiceError(f"cannot reach the embeddings service at {self._where()}") from None
        except openai.AuthenticationError:
            raise EmbeddingServiceError(f"the embeddings service at {self._where()} rejected the API key") from None
        except openai.APIStatusError as e:
            raise EmbeddingServiceError(
                f"the embeddings service at {self._where()} answered HTTP {e.status_code}: {_short(e)}"
            ) from None
        except openai.OpenAIError as e:
            raise EmbeddingServiceError(f"the embeddings request failed: {_short(e)}") from None
        data = sorted(response.data, key=lambda d: d.index)
        if len(data) != len(batch):
            raise EmbeddingServiceError(f"{self.id} returned {len(data)} vectors for {len(batch)} texts")
        vectors = np.asarray([d.embedding for d in data], dtype=np.float32)
        if vectors.ndim != 2 or not np.isfinite(vectors).all():
            raise EmbeddingServiceError(f"{self.id} returned malformed vectors")
        return _normalise_rows(vectors)

    def _where(self) -> str:
        try:
            return str(self.client.base_url).rstrip("/")
        except Exception:
            return "the configured endpoint"


def _short(e: Exception) -> str:
    """The first line of an API error, without the request body it may echo."""
    message = getattr(e, "message", None) or str(e) or type(e).__name__
    line = message.strip().splitlines()[0] if message.strip() else type(e).__name__
    return line[:200]


def load_embedder(spec: str | None = None, *, env: Mapping[str, str] | None = None,
                  threads: int = DEFAULT_THREADS) -> Embedder:
    """None, "" or "minilm": the shipped ONNX model (`threads`: how many batches run at once; 1 for a
    server whose workers score side by side, all cores for one job at a time such as `salesrl score`).
    "openai:<model>" or "openai:<model>@<dimensions>" (the id of an OpenAIEmbedder made with
    `dimensions`, so that a model trained with one loads it back): OPENAI_API_KEY and optional
    OPENAI_BASE_URL.
    "azure:<deployment>": AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY, OPENAI_API_VERSION."""
    env = os.environ if env is None else env
    spec = (spec or "").strip()
    if spec in ("", "minilm", "minilm-l6-v2-int8"):
        return OnnxEmbedder.load(threads=threads)
    kind, _, name = spec.partition(":")
    if kind == "openai" and name:
        if not env.get("OPENAI_API_KEY"):
            raise EmbeddingServiceError("embedder openai:... needs OPENAI_API_KEY in the environment")
        model, _, dimensions = name.partition("@")
        if dimensions and not dimensions.isdigit():
            raise ModelError(f"unknown embedder {spec!r}; the size after @ is a number of dimensions")
        return OpenAIEmbedder(model=model, dimensions=int(dimensions) if dimensions else None,
                              api_key=env["OPENAI_API_KEY"], base_url=env.get("OPENAI_BASE_URL") or None)
    if kind == "azure" and name:
        missing = [k for k in ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "OPENAI_API_VERSION") if not env.get(k)]
        if missing:
            raise EmbeddingServiceError(f"embedder azure:... needs {', '.join(missing)} in the environment")
        return OpenAIEmbedder(
            model=name,
            deployment=name,
            api_key=env["AZURE_OPENAI_API_KEY"],
            azure_endpoint=env["AZURE_OPENAI_ENDPOINT"],
            api_version=env["OPENAI_API_VERSION"],
        )
    raise ModelError(f"unknown embedder {spec!r}; use minilm, openai:<model> or azure:<deployment>")
