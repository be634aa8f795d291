"""Reliability and security tests: the real bot over real HTTP (the end-to-end fixtures), the fake
Slack and OpenAI servers on 127.0.0.1, real OS processes for the crash tests.

The end-to-end fixtures are imported, so `running_bot`, `start_bot`, `fake_slack` and the session's
`agent` work here as they do in tests/e2e.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Iterator

import pytest

from tests.e2e.conftest import (  # noqa: F401 - fixtures, found by pytest through this module
    agent,
    fake_slack,
    no_proxies_no_stray_slack_env,
    running_bot,
    start_bot,
)
from tests.fakes.openai_server import FakeOpenAI

OPENAI_EMBEDDING_MODEL = "text-embedding-3-small"


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def openai_agent(agent, fake_openai: FakeOpenAI, tmp_path: Path):
    """The shipped policy running on an OpenAI embedder (the real `openai` client, the fake server):
    the policy's files are copied and its metadata names that embedder, at the policy's own width,
    as a policy trained with `--embedder openai:text-embedding-3-small` would. Every text the agent
    embeds is then an HTTP request the fake OpenAI server records."""
    from salesrl.agent.embedder import OpenAIEmbedder
    from salesrl.agent.sales_agent import SalesAgent

    width = agent.embedder.dim
    embedder = OpenAIEmbedder(OPENAI_EMBEDDING_MODEL, dimensions=width, api_key=fake_openai.api_key,
                              base_url=fake_openai.base_url, max_retries=0)
    model_dir = tmp_path / "policy-on-openai"
    shutil.copytree(agent.policy.model_dir, model_dir)
    metadata = json.loads((model_dir / "metadata.json").read_text())
    metadata["embedder"] = {"id": embedder.id, "dim": width, "checksum": embedder.checksum}
    (model_dir / "metadata.json").write_text(json.dumps(metadata))
    return SalesAgent.load(model_dir, embedder=embedder)


@pytest.fixture
def start_bot_with(start_bot):
    """start_bot_with(agent, **settings): like start_bot, with another agent (e.g. `openai_agent`)."""

    def start(the_agent, **overrides):
        return start_bot(with_agent=the_agent, **overrides)

    return start
