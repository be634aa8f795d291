"""The training cache of turn embeddings: per text, so a new dataset embeds only the texts it adds."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from salesrl.agent.training.states import EmbeddingCache, embed_unique


class CountingEmbed:
    """A deterministic embedding of each text (from its hash) that records what it was asked for."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.seen += texts
        return np.stack([np.frombuffer(hashlib.sha256(t.encode()).digest()[:16], dtype=np.uint8).astype(np.float32)
                         for t in texts])


def test_each_distinct_text_is_embedded_once_and_rows_follow_the_input(tmp_path: Path) -> None:
    embed = CountingEmbed()
    texts = ["b", "a", "b", "c", "a"]
    out = embed_unique(texts, embed, None, key="k", batch=2)
    assert sorted(embed.seen) == ["a", "b", "c"]
    assert out.shape == (5, 16) and out.dtype == np.float32
    np.testing.assert_array_equal(out, CountingEmbed()(texts))


def test_a_second_run_embeds_only_new_texts_and_gives_the_same_vectors(tmp_path: Path) -> None:
    first, second = CountingEmbed(), CountingEmbed()
    a = embed_unique(["one", "two", "three"], first, tmp_path, key="model-x")
    b = embed_unique(["three", "four", "one"], second, tmp_path, key="model-x")
    assert second.seen == ["four"]
    np.testing.assert_array_equal(b[0], a[2])
    np.testing.assert_array_equal(b[2], a[0])
    assert len(EmbeddingCache(tmp_path, "model-x").keys) == 4


def test_another_embedder_does_not_share_the_cache(tmp_path: Path) -> None:
    embed_unique(["one"], CountingEmbed(), tmp_path, key="model-x")
    other = CountingEmbed()
    embed_unique(["one"], other, tmp_path, key="model-y")
    assert other.seen == ["one"]


def test_an_inconsistent_cache_is_rebuilt(tmp_path: Path) -> None:
    embed_unique(["one", "two"], CountingEmbed(), tmp_path, key="k")
    cache = EmbeddingCache(tmp_path, "k")
    np.save(cache.vectors_path, np.zeros((1, 16), dtype=np.float32))  # one row short of its keys
    again = CountingEmbed()
    out = embed_unique(["one", "two"], again, tmp_path, key="k")
    assert sorted(again.seen) == ["one", "two"]
    np.testing.assert_array_equal(out, CountingEmbed()(["one", "two"]))
