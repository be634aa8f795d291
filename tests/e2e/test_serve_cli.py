"""`salesrl serve` as an operator runs it: a process configured by environment variables."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import PROXY_VARIABLES, TRANSCRIPT
from tests.e2e.slack_requests import SIGNING_SECRET, SlackSender

pytestmark = pytest.mark.slow  # `salesrl serve` processes

# CI points this at the `salesrl` of the wheel installed in a fresh virtualenv (.ci/run)
SALESRL = Path(os.environ.get("SALESRL_EXECUTABLE") or Path(sys.executable).parent / "salesrl")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_salesrl_serve_answers_slack_over_http(fake_slack, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES and not k.startswith(("SLACK_", "SALESRL_"))
           or k == "SALESRL_MODEL_DIR"}
    env.update(SLACK_BOT_TOKEN=fake_slack.bot_token, SLACK_SIGNING_SECRET=SIGNING_SECRET,
               SLACK_API_URL=fake_slack.api_url, SALESRL_DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}")
    process = subprocess.Popen([str(SALESRL), "serve", "--host", "127.0.0.1", "--port", str(port),
                                "--log-level", "warning"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        http = requests.Session()
        http.trust_env = False
        deadline = time.monotonic() + 90  # loading the model takes a few seconds on a busy machine
        while True:
            assert process.poll() is None, process.stdout.read().decode(errors="replace")
            try:
                if http.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "salesrl serve did not come up"
            time.sleep(0.2)

        sent = SlackSender(base).command(f"score Acme :: {TRANSCRIPT}", response_url=fake_slack.response_url())
        assert sent.response.status_code == 200 and "Scoring" in sent.json()["text"]
        fake_slack.wait_for("files.completeUploadExternal", timeout=60)
        assert "Acme" in fake_slack.messages("C0SALES")[0]["text"]
    finally:
        process.send_signal(signal.SIGTERM)  # a graceful stop: queued jobs finish first
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0


def test_serve_without_credentials_says_what_is_missing(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SALESRL_"))}
    env["SALESRL_DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.db'}"
    done = subprocess.run([str(SALESRL), "serve", "--socket"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "SLACK_APP_TOKEN" in done.stderr and "Traceback" not in done.stderr
