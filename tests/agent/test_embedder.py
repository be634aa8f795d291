"""The sentence embedders: the shipped ONNX model, and the OpenAI embedder against a fake OpenAI server."""

from __future__ import annotations

import gzip
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import openai
import pytest

from salesrl.agent.embedder import (
    DEFAULT_MODEL_DIR,
    Embedder,
    EmbeddingServiceError,
    OnnxEmbedder,
    OpenAIEmbedder,
    cache_dir,
    load_embedder,
)
from salesrl.agent.errors import ModelError, SalesRLError
from tests.fakes.openai_server import FakeOpenAI

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # The OpenAI client must talk to the fake on 127.0.0.1 directly.
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def minilm(tmp_path_factory: pytest.TempPathFactory) -> OnnxEmbedder:
    return OnnxEmbedder.load(cache=tmp_path_factory.mktemp("cache"))


@pytest.fixture()
def fake() -> FakeOpenAI:
    with FakeOpenAI() as server:
        yield server


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


# --- the shipped ONNX embedder ---------------------------------------------------------------------


def test_vectors_have_the_model_dimension_and_unit_length(minilm: OnnxEmbedder) -> None:
    texts = ["Can you send the pricing?", "", "   ", "Yes", "We need SOC 2 before we sign anything."]
    v = minilm.embed(texts)
    assert isinstance(minilm, Embedder)
    assert (minilm.id, minilm.dim) == ("minilm-l6-v2-int8", 384)
    assert v.shape == (5, 384) and v.dtype == np.float32
    assert np.isfinite(v).all()  # blank turns get a real vector, not NaN
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert minilm.embed([]).shape == (0, 384)


def test_same_text_same_vector(minilm: OnnxEmbedder) -> None:
    texts = ["What is your timeline for a decision?", "Let's talk next week."]
    np.testing.assert_array_equal(minilm.embed(texts), minilm.embed(texts))


def test_a_paraphrase_is_closer_than_an_unrelated_sentence(minilm: OnnxEmbedder) -> None:
    price, paraphrase, unrelated, other = minilm.embed([
        "The price is too high for our budget.",
        "This costs more than we can afford.",
        "My cat sleeps on the keyboard all day.",
        "Who else is involved in the buying decision?",
    ])
    assert cos(price, paraphrase) > cos(price, unrelated) + 0.3
    assert cos(price, paraphrase) > cos(price, other)


def test_a_batch_gives_the_same_vectors_as_one_text_at_a_time(minilm: OnnxEmbedder) -> None:
    # Lengths from 2 tokens to past the 256-token limit, so the batch is padded a lot.
    texts = [
        "Yes",
        "",
        "Could you walk me through how the integration with our CRM would work in practice?",
        "We lost three big accounts last year because reps missed follow-ups. " * 6,
        "Okay, sounds good.",
        " ".join(["pipeline"] * 400),
        "Nous avons besoin d'une remise.",
    ]
    batched = minilm.embed(texts)
    one_by_one = np.stack([minilm.embed([t])[0] for t in texts])
    np.testing.assert_allclose(batched, one_by_one, atol=1e-4)
    reordered = minilm.embed(texts[::-1])[::-1]
    np.testing.assert_allclose(reordered, batched, atol=1e-4)


def test_texts_beyond_one_batch_keep_their_order(tmp_path: Path) -> None:
    small = OnnxEmbedder.load(batch_tokens=40, cache=tmp_path)  # a few texts a batch
    texts = [f"Turn number {i} talks about {'budget' if i % 2 else 'timeline'}." for i in range(8)]
    together = small.embed(texts)
    for i in (0, 5, 7):
        np.testing.assert_allclose(together[i], small.embed([texts[i]])[0], atol=1e-4)


def test_batches_run_at_once_give_the_same_vectors_in_the_same_order(tmp_path: Path, minilm: OnnxEmbedder) -> None:
    parallel = OnnxEmbedder.load(threads=2, batch_tokens=40, cache=tmp_path)
    texts = [f"{'Short.' if i % 3 else 'A longer turn about the budget and who signs off, ' * (i % 5)} {i}" for i in range(23)]
    np.testing.assert_allclose(parallel.embed(texts), minilm.embed(texts), atol=1e-4)
    np.testing.assert_allclose(parallel.embed(texts[:3]), minilm.embed(texts[:3]), atol=1e-4)  # fewer than a batch


def test_two_threads_get_an_even_share_of_batches_within_the_token_budget(tmp_path: Path) -> None:
    parallel = OnnxEmbedder.load(threads=2, batch_tokens=256, cache=tmp_path)
    for lengths in ([20] * 30, [12, 15, 18, 20, 22, 25, 30, 34, 40, 60], list(range(10, 50)), [30] * 4):
        batches = parallel._batches(np.array(lengths))
        assert len(batches) % 2 == 0 and len(batches) >= 4 or len(batches) == len(lengths)
        assert [b for b in batches if b[1] - b[0] > 1 and (b[1] - b[0]) * lengths[b[1] - 1] > 256] == []
        assert [i for b in batches for i in range(*b)] == list(range(len(lengths)))
    assert len(OnnxEmbedder.load(threads=1, cache=tmp_path)._batches(np.array([20] * 30))) == 3  # one thread: full


def test_close_to_the_full_precision_model(minilm: OnnxEmbedder) -> None:
    # verification.json holds fp32 sentence-transformers vectors written by scripts/export_embedder.py.
    ref = json.loads((DEFAULT_MODEL_DIR / "verification.json").read_text(encoding="utf-8"))
    ours = minilm.embed(ref["sentences"])
    for text, mine, theirs in zip(ref["sentences"], ours, np.asarray(ref["embeddings"], dtype=np.float32)):
        assert cos(mine, theirs) >= 0.97, text


def test_text_past_the_token_limit_is_truncated(minilm: OnnxEmbedder) -> None:
    long_turn = " ".join(["discount"] * 300)
    a, b = minilm.embed([long_turn, long_turn + " and then something entirely different about cats"])
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_a_single_string_is_refused(minilm: OnnxEmbedder) -> None:
    with pytest.raises(TypeError):
        minilm.embed("one turn")  # type: ignore[arg-type]


# --- loading and its errors ------------------------------------------------------------------------


def copy_model_dir(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, target)
    return target


def test_a_corrupt_model_file_is_a_model_error(tmp_path: Path) -> None:
    model_dir = copy_model_dir(tmp_path)
    gz = model_dir / "model.onnx.gz"
    gz.write_bytes(gzip.compress(b"\x08\x07" + b"\0" * 100_000))  # a valid gzip file with the wrong content
    with pytest.raises(ModelError, match="sha256") as e:
        OnnxEmbedder.load(model_dir, cache=tmp_path / "cache")
    assert "\n" not in str(e.value)


def test_a_truncated_download_is_a_model_error(tmp_path: Path) -> None:
    model_dir = copy_model_dir(tmp_path)
    gz = model_dir / "model.onnx.gz"
    gz.write_bytes(gz.read_bytes()[: 1_000_000])
    with pytest.raises(ModelError, match="corrupt"):
        OnnxEmbedder.load(model_dir, cache=tmp_path / "cache")


def test_a_checksum_that_does_not_match_metadata_is_a_model_error(tmp_path: Path) -> None:
    model_dir = copy_model_dir(tmp_path)
    meta_path = model_dir / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["sha256"] = "0" * 64
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="sha256"):
        OnnxEmbedder.load(model_dir, cache=tmp_path / "cache")


def test_missing_model_files_are_model_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        OnnxEmbedder.load(tmp_path / "nowhere")
    model_dir = copy_model_dir(tmp_path)
    (model_dir / "model.onnx.gz").unlink()
    with pytest.raises(ModelError, match="missing"):
        OnnxEmbedder.load(model_dir, cache=tmp_path / "cache")
    (model_dir / "metadata.json").unlink()
    with pytest.raises(ModelError, match="metadata"):
        OnnxEmbedder.load(model_dir, cache=tmp_path / "cache")


def test_a_damaged_cache_is_repaired(tmp_path: Path, minilm: OnnxEmbedder) -> None:
    cache = tmp_path / "cache"
    OnnxEmbedder.load(cache=cache)
    (cached,) = (cache / "models").glob("*.onnx")
    cached.write_bytes(b"not a model")
    again = OnnxEmbedder.load(cache=cache)
    np.testing.assert_array_equal(again.embed(["hello"]), minilm.embed(["hello"]))
    assert cached.stat().st_size > 1_000_000


def test_unwritable_cache_still_loads(tmp_path: Path, minilm: OnnxEmbedder) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory should be")
    e = OnnxEmbedder.load(cache=blocker / "cache")
    np.testing.assert_array_equal(e.embed(["hello"]), minilm.embed(["hello"]))


# --- the OpenAI embedder against the fake OpenAI server --------------------------------------------


def test_openai_embedder_sends_model_and_texts_and_normalises(fake: FakeOpenAI) -> None:
    e = OpenAIEmbedder("text-embedding-3-small", api_key=fake.api_key, base_url=fake.base_url, batch_size=2)
    texts = ["We need it by March.", "What does it cost?", "Send me the contract."]
    v = e.embed(texts)

    bodies = [r.json for r in fake.requests_to("/v1/embeddings")]
    assert [b["model"] for b in bodies] == ["text-embedding-3-small"] * 2
    assert [b["input"] for b in bodies] == [texts[:2], texts[2:]]
    assert fake.requests[0].headers["authorization"] == f"Bearer {fake.api_key}"
    assert (e.id, e.dim) == ("openai:text-embedding-3-small", 1536)
    assert v.shape == (3, 1536) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    raw = FakeOpenAI.vector_for("text-embedding-3-small", texts[1], 1536)
    assert np.linalg.norm(raw) > 2  # the fake's vectors are not unit length, so normalising is tested
    np.testing.assert_allclose(v[1], raw / np.linalg.norm(raw), atol=1e-6)


def test_openai_embedder_requests_dimensions_and_sends_blank_turns_as_a_space(fake: FakeOpenAI) -> None:
    e = OpenAIEmbedder("text-embedding-3-large", dimensions=256, api_key=fake.api_key, base_url=fake.base_url)
    v = e.embed(["", "ok"])
    (body,) = [r.json for r in fake.requests_to("/embeddings")]
    assert body["dimensions"] == 256 and body["input"] == [" ", "ok"]
    assert v.shape == (2, 256) and e.dim == 256 and e.id == "openai:text-embedding-3-large@256"
    assert np.isfinite(v).all()


def test_load_embedder_openai_reads_the_environment(fake: FakeOpenAI) -> None:
    env = {"OPENAI_API_KEY": fake.api_key, "OPENAI_BASE_URL": fake.base_url}
    e = load_embedder("openai:text-embedding-3-large", env=env)
    assert (e.id, e.dim) == ("openai:text-embedding-3-large", 3072)
    assert e.embed(["hello"]).shape == (1, 3072)
    assert fake.requests_to("/v1/embeddings")[0].json["input"] == ["hello"]


def test_load_embedder_loads_an_openai_embedder_with_dimensions_by_its_id(fake: FakeOpenAI) -> None:
    """A policy trained on OpenAIEmbedder(dimensions=...) names it "openai:<model>@<n>" in its metadata."""
    env = {"OPENAI_API_KEY": fake.api_key, "OPENAI_BASE_URL": fake.base_url}
    made = OpenAIEmbedder("text-embedding-3-small", dimensions=384, api_key=fake.api_key, base_url=fake.base_url)
    e = load_embedder(made.id, env=env)
    assert (e.id, e.dim, e.checksum) == (made.id, 384, made.checksum)
    assert e.embed(["hello"]).shape == (1, 384)
    assert fake.requests_to("/v1/embeddings")[0].json["dimensions"] == 384
    with pytest.raises(ModelError, match="dimensions"):
        load_embedder("openai:text-embedding-3-small@big", env=env)


def test_load_embedder_azure_uses_the_deployment_and_learns_the_dimension(fake: FakeOpenAI) -> None:
    env = {"AZURE_OPENAI_ENDPOINT": fake.azure_endpoint, "AZURE_OPENAI_API_KEY": fake.api_key,
           "OPENAI_API_VERSION": "2024-10-21"}
    e = load_embedder("azure:sales-embeddings", env=env)
    v = e.embed(["Can we get a pilot?"])
    (req,) = fake.requests_to("/embeddings")
    assert req.path == "/openai/deployments/sales-embeddings/embeddings"
    assert req.query["api-version"] == "2024-10-21"
    assert req.headers["api-key"] == fake.api_key
    assert e.id == "azure:sales-embeddings"
    assert v.shape == (1, e.dim) and e.dim == 1536


def test_a_wrong_api_key_is_one_clear_line(fake: FakeOpenAI) -> None:
    e = OpenAIEmbedder("text-embedding-3-small", api_key="sk-wrong", base_url=fake.base_url, max_retries=0)
    with pytest.raises(EmbeddingServiceError, match="rejected the API key") as err:
        e.embed(["hello"])
    assert isinstance(err.value, SalesRLError) and "\n" not in str(err.value)


def test_a_server_error_names_the_status(fake: FakeOpenAI) -> None:
    fake.fail_next(503, "The engine is currently overloaded")
    e = OpenAIEmbedder("text-embedding-3-small", api_key=fake.api_key, base_url=fake.base_url, max_retries=0)
    with pytest.raises(EmbeddingServiceError, match="HTTP 503"):
        e.embed(["hello"])


def test_an_unreachable_server_is_one_clear_line() -> None:
    with FakeOpenAI() as gone:
        url = gone.base_url
    e = OpenAIEmbedder("text-embedding-3-small", api_key="sk-x", base_url=url, max_retries=0, timeout=5)
    with pytest.raises(EmbeddingServiceError, match="cannot reach") as err:
        e.embed(["hello"])
    assert "\n" not in str(err.value)


def test_load_embedder_says_what_is_missing_or_unknown(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(EmbeddingServiceError, match="OPENAI_API_KEY"):
        load_embedder("openai:text-embedding-3-large", env={})
    with pytest.raises(EmbeddingServiceError, match="AZURE_OPENAI_ENDPOINT"):
        load_embedder("azure:x", env={"AZURE_OPENAI_API_KEY": "k", "OPENAI_API_VERSION": "v"})
    with pytest.raises(ModelError, match="unknown embedder"):
        load_embedder("word2vec", env={})
    monkeypatch.setenv("SALESRL_CACHE_DIR", str(tmp_path))
    assert load_embedder(None).id == "minilm-l6-v2-int8"
    assert list((tmp_path / "models").glob("minilm-l6-v2-int8-*.onnx"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the paths the docs give for Linux")
def test_the_model_cache_is_the_documented_directory_on_linux(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SALESRL_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert cache_dir() == Path.home() / ".cache" / "salesrl"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "salesrl"
    monkeypatch.setenv("SALESRL_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"


def test_fake_openai_answers_chat_completions_through_the_real_client(fake: FakeOpenAI) -> None:
    fake.chat_reply = lambda body: f"You sent {len(body['messages'])} messages."
    client = openai.OpenAI(api_key=fake.api_key, base_url=fake.base_url, max_retries=0)
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    )
    assert reply.choices[0].message.content == "You sent 2 messages."
    (req,) = fake.requests_to("/chat/completions")
    assert req.json["model"] == "gpt-4o-mini" and req.json["messages"][1]["content"] == "Hi"


def test_openai_checksum_names_the_embedding_space_not_the_endpoint() -> None:
    # A policy trained on one model's vectors must accept the same model behind another endpoint,
    # and refuse vectors of another size.
    direct = OpenAIEmbedder("text-embedding-3-large", api_key="k")
    proxied = OpenAIEmbedder("text-embedding-3-large", api_key="k", base_url="http://127.0.0.1:9/v1")
    smaller = OpenAIEmbedder("text-embedding-3-large", dimensions=1024, api_key="k")
    assert direct.checksum == proxied.checksum
    assert smaller.checksum != direct.checksum and smaller.dim == 1024
