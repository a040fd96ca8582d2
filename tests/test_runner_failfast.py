"""The runner stops the spend (issue 19): fail fast for the whole run, a per-request deadline, a streak of
unparseable answers, a late answer taken instead of a re-send, and a base URL checked and scrubbed.

The rules are tested with an injected clock (no sleeping); the figures that need a real server (a server that
dies or hangs mid-run, a model answering garbage, a slow server) run the ``run`` command against the scripted
server of tests/chat_server.py on 127.0.0.1. The times measured here are in docs/runner.md and docs/security.md.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from click.testing import CliRunner

from chat_server import ChatServer
from valueportrait.cli.main import cli
from valueportrait.errors import RunError
from valueportrait.ratings.runs import load_records, read_manifest
from valueportrait.runner.failfast import FailFast, Rules, RunStopped
from valueportrait.runner.chat_backend import OpenAIChatBackend, OpenAIConfig
from valueportrait.runner.prompts import Request
from valueportrait.secrets import url_secrets

KEY = "plain-key-without-a-shape-0042"


def run_cli(args):
    return CliRunner().invoke(cli, ["run", *args], env={"OPENAI_API_KEY": KEY})


def _args(built_dataset, out, base_url, *extra):
    return ["--dataset", str(built_dataset), "--model", "scripted", "--base-url", base_url, "--variants", "v1",
            "--out", str(out), "--quiet", *extra]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


# -- the rules, with an injected clock ---------------------------------------------------------------------------

def test_a_stall_after_success_stops_after_30_s_and_8_same_attempts():
    clock, lines = Clock(), []
    ff = FailFast(lines.append, rules=Rules(concurrency=8), clock=clock)
    ff.finished("rated", None)
    clock.t = 29.0
    for _ in range(20):  # many failed attempts, but not yet 30 s without success
        ff.attempt_failed("connection error: ConnectError: [Errno 111] refused")
    clock.t = 31.0
    with pytest.raises(RunStopped, match=r"nothing has succeeded for 31 s \(since the last answer\) and the last 21 "
                                         r"attempts all failed the same way \(connection error: ConnectError\)"):
        ff.attempt_failed("connection error: ConnectError: [Errno 111] refused")


def test_a_stall_needs_the_same_kind_and_is_reset_by_a_success():
    clock = Clock()
    ff = FailFast(lambda line: None, rules=Rules(concurrency=8), clock=clock)
    ff.finished("rated", None)
    clock.t = 100.0
    for kind in ["timeout after 60 s (TimeoutError)", "HTTP 502 from x: bad gateway"] * 10:  # alternating kinds
        ff.attempt_failed(kind)
    for _ in range(6):
        ff.attempt_failed("HTTP 502 from x: bad gateway")  # 7 in a row with the one before: not yet
    ff.finished("rated", None)  # a success: the clock and the streak start again
    for _ in range(30):
        ff.attempt_failed("HTTP 502 from x: bad gateway")
    clock.t = 131.0
    with pytest.raises(RunStopped, match=r"for 31 s .* last 31 attempts all failed the same way \(HTTP 502\)"):
        ff.attempt_failed("HTTP 502 from x: bad gateway")


def test_requests_failing_for_their_own_content_do_not_stop_a_run_that_works():
    ff = FailFast(lambda line: None)
    ff.finished("rated", None)
    for _ in range(50):  # e.g. prompts too long for the model's context, in a row: the server answers each
        ff.finished("failed", "HTTP 400 from x: maximum context length exceeded")
    for _ in range(7):
        ff.finished("failed", "gave up after 6 attempts; last error: HTTP 503 from x: overloaded")
    with pytest.raises(RunStopped, match=r"the last 8 requests all failed the same way \(HTTP 503\)"):
        ff.finished("failed", "gave up after 6 attempts; last error: HTTP 503 from x: overloaded")


def test_rate_limits_never_stall_a_run_and_concurrency_1_needs_2_attempts():
    clock = Clock()
    ff = FailFast(lambda line: None, rules=Rules(concurrency=8), clock=clock)
    clock.t = 1000.0
    for _ in range(100):  # HTTP 429 asks to wait: waiting is the fix, not stopping
        ff.attempt_failed("HTTP 429 from x: rate limited")
    ff = FailFast(lambda line: None, rules=Rules(concurrency=1), clock=clock)
    clock.t = 2000.0  # a hung server at concurrency 1: two timeouts in a row, 30 s or more without success
    ff.attempt_failed("timeout after 60 s (TimeoutError)")
    with pytest.raises(RunStopped, match=r"since the run started\) and the last 2 attempts"):
        ff.attempt_failed("timeout after 60 s (TimeoutError)")


def test_unparseable_answers_stop_with_examples_and_the_fix():
    lines = []
    ff = FailFast(lines.append, secrets=["s3cret-val"], rules=Rules(max_unparseable=20, window=30))
    for i in range(30):  # 10 of the first 30 unparseable (the last 10): the run goes on
        ff.finished("unparseable" if i >= 20 else "rated", None, f"As an AI {i}")
    for i in range(9):  # the window slides: 10 + 9 unparseable of the last 30
        ff.finished("unparseable", None, f"no idea {i}")
    with pytest.raises(RunStopped) as stopped:
        ff.finished("unparseable", None, "I cannot answer that (s3cret-val)\nreally")
    text = str(stopped.value)
    assert text.startswith("20 of the last 30 answers could not be read as a rating (no Likert phrase; e.g. "
                           "'no idea 7', 'no idea 8', 'I cannot answer that (***) really')")
    assert "raise --max-unparseable (now 20 of the last 30; 0 turns this check off)" in text
    assert "--backend openai-completions" in text
    ff = FailFast(lines.append, rules=Rules(max_unparseable=0))
    for _ in range(500):  # 0: never stopped for unparseable answers
        ff.finished("unparseable", None, "x")
    assert lines == []


# -- real runs against the scripted server ----------------------------------------------------------------------

def _when(condition, then, timeout=120):
    """Run ``then()`` in a thread once ``condition()`` holds; returns the thread and a dict with the time."""
    info = {}

    def watch():
        deadline = time.monotonic() + timeout
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.01)
        info["t"] = time.monotonic()
        then()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread, info


@pytest.mark.slow  # about 30 s: the run's real backoff after the server's death
def test_a_server_dying_mid_run_stops_the_run_within_60_s(tmp_path, built_dataset):
    """The stress test: once a request had succeeded nothing stopped the run, and each remaining request cost
    about 24.5 s of retries per slot (a full run about 2.6 h). Now: stopped, naming the cause, exit status 1."""
    out = tmp_path / "run"
    server = ChatServer(latency=0.01)
    server.start()
    thread, info = _when(lambda: sum(server.answered.values()) >= 40, server.stop)
    res = run_cli(_args(built_dataset, out, server.base_url))  # the defaults: 8 slots, 6 attempts, timeout 60 s
    ended = time.monotonic()
    thread.join(10)
    assert res.exit_code == 1, res.output
    assert "Error: the run stopped: " in res.output and "(connection error: ConnectError)" in res.output
    assert ended - info["t"] < 60, ended - info["t"]
    rated = [r for r in load_records(out) if r["status"] == "rated"]
    assert 40 <= len(rated) < 520 and "Traceback" not in res.output


@pytest.mark.slow  # about 35 s: the rule waits 30 s without success
def test_a_server_that_hangs_mid_run_stops_the_run_within_60_s(tmp_path, built_dataset):
    """Accepts, never answers (the stress test: 390 s for 120 requests at --timeout 5, 51 min at 60 s)."""
    out = tmp_path / "run"
    hang = threading.Event()
    with ChatServer(fault=lambda key, attempt: "slow" if hang.is_set() else None, slow_s=3600) as server:
        thread, info = _when(lambda: sum(server.answered.values()) >= 40, hang.set)
        res = run_cli(_args(built_dataset, out, server.base_url, "--timeout", "5"))
        ended = time.monotonic()
        thread.join(10)
    assert res.exit_code == 1, res.output
    assert "Error: the run stopped: nothing has succeeded for " in res.output
    assert "all failed the same way (timeout (TimeoutError))" in res.output
    assert ended - info["t"] < 60, ended - info["t"]


def test_30_garbage_answers_stop_the_run_before_100_requests(tmp_path, built_dataset):
    """The stress test: 120 of 120 garbage answers were all sent (on a paid API, 3,120 paid requests)."""
    out = tmp_path / "run"
    with ChatServer(fault=lambda key, attempt: "garbage") as server:
        res = run_cli(_args(built_dataset, out, server.base_url))
    assert res.exit_code == 1, res.output
    assert "Error: the run stopped: 20 of the last 20 answers could not be read as a rating" in res.output
    assert "e.g. \"As an AI, I don't have thoughts of my own.\"" in res.output
    sent = sum(server.attempts.values())
    assert 20 <= sent <= 20 + 8 and sent < 100  # 20 answered, at most 8 more in flight
    assert all(r["status"] == "unparseable" for r in load_records(out))
    with ChatServer(fault=lambda key, attempt: "garbage") as server:  # 0: the check is off
        res = run_cli(_args(built_dataset, tmp_path / "r0", server.base_url, "--limit", "40",
                            "--max-unparseable", "0"))
    assert res.exit_code == 1 and "Done: 0 rated, 40 unparseable" in res.output, res.output


def test_a_late_answer_is_taken_not_sent_again(tmp_path, built_dataset):
    """The stress test: a request that timed out against a slow server was retried and answered twice (15 of
    120). Now the timed-out exchange stays open while the retry waits, and its answer is used."""
    out = tmp_path / "run"
    with ChatServer(fault=lambda key, attempt: "slow" if attempt == 1 else None, slow_s=0.8) as server:
        res = run_cli(_args(built_dataset, out, server.base_url, "--limit", "24", "--timeout", "0.5"))
    assert res.exit_code == 0, res.output
    records = load_records(out)
    assert len(records) == 24 and all(r["status"] == "rated" for r in records)
    # backoff before retry 1 is 0.5-1 s; the answer comes 0.3 s into it: every request sent and answered once
    assert set(server.attempts.values()) == {1} and set(server.answered.values()) == {1}
    assert {r["attempts"] for r in records} == {1}


def test_a_request_deadline_covers_its_retries(tmp_path, built_dataset):
    out = tmp_path / "run"
    with ChatServer(fault=lambda key, attempt: "slow", slow_s=3600) as server:
        t0 = time.monotonic()
        res = run_cli(_args(built_dataset, out, server.base_url, "--limit", "1", "--concurrency", "1",
                            "--timeout", "0.3", "--max-attempts", "50", "--deadline", "2"))
        elapsed = time.monotonic() - t0
    assert res.exit_code == 3, res.output  # failed, to be retried by the next run
    (record,) = load_records(out)
    assert record["status"] == "failed" and record["attempts"] < 50
    assert record["error"].endswith("(the request's deadline of 2 s, retries included, ran out)")
    assert elapsed < 15


# -- the base URL ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url, message", [
    ("ftp://127.0.0.1/v1", "has the scheme 'ftp'; the OpenAI-compatible backends speak only http and https"),
    ("http://127.0.0.1:notaport/v1", "is not a valid URL (a port that is not a number from 1 to 65535)"),
    ("http://127.0.0.1:70000/v1", "is not a valid URL (a port that is not a number from 1 to 65535)"),
    ("localhost:8000/v1", "has the scheme 'localhost'"),
    ("http:///v1", "has no host"),
])
def test_a_bad_base_url_is_refused_at_once(tmp_path, built_dataset, url, message):
    t0 = time.monotonic()
    res = run_cli(_args(built_dataset, tmp_path / "run", url))
    assert res.exit_code == 1 and res.output.startswith(f"Error: --base-url {url} ") and message in res.output
    assert "internal error" not in res.output and time.monotonic() - t0 < 10
    assert not (tmp_path / "run").exists()


def test_a_base_url_query_stays_after_the_path_and_is_a_secret(tmp_path, built_dataset):
    """Azure-style ``?api-version=`` kept after the endpoint path; a credential in the query (a name that does
    not look like a key) is masked by value in records.jsonl, on screen and in the manifest."""
    token = "T0ken-in-the-query-77"
    out = tmp_path / "run"
    with ChatServer(fault=lambda key, attempt: "echo", echo_text=f"Invalid code: {token}") as server:
        url = f"{server.base_url}?api-version=2024-02-01&code={token}"
        res = run_cli(_args(built_dataset, out, url, "--max-attempts", "1", "--concurrency", "1"))
    assert server.paths[0] == f"/v1/chat/completions?api-version=2024-02-01&code={token}"
    assert res.exit_code == 1 and "the first 8 requests all failed the same way (HTTP 500)" in res.output
    assert token not in res.output and "Invalid code: ***" in res.output
    for f in out.iterdir():
        assert token not in f.read_text(), f.name
    assert "Invalid code: ***" in load_records(out)[0]["error"]
    assert read_manifest(out)["base_url"] == server.base_url  # without the query
    assert url_secrets(url) == ("2024-02-01", token)


def test_the_backend_keeps_the_query_on_every_endpoint():
    config = OpenAIConfig(model="m", base_url="https://x.example/openai/deployments/d/?api-version=2024-02-01")
    assert OpenAIChatBackend(config).url == \
        "https://x.example/openai/deployments/d/chat/completions?api-version=2024-02-01"
    with pytest.raises(RunError, match="scheme 'ftp'"):
        OpenAIConfig(model="m", base_url="ftp://x.example/v1")


def test_a_timed_out_exchange_is_cancelled_before_the_retry():
    """No exchange is left behind: the retry waits, then the timed-out one is cancelled and its slot reused."""
    async def go():
        with ChatServer(fault=lambda key, attempt: "slow" if attempt == 1 else None, slow_s=5) as server:
            config = OpenAIConfig(model="m", base_url=server.base_url, timeout=0.2, concurrency=1,
                                  backoff_base=0.2)
            request = Request("1001-1", "v1", None, ({"role": "user", "content": "hi"},))
            async with OpenAIChatBackend(config) as backend:
                outcome = await backend.rate(request)
                assert backend._idle.qsize() == 1
            return outcome, server
    outcome, server = asyncio.run(go())
    assert outcome.status == "rated" and outcome.attempts == 2 and sum(server.attempts.values()) == 2
