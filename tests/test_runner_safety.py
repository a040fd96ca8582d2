"""`valueportrait run` under misuse (issue 12): a locked run directory, fail fast, secrets scrubbed in every
channel, file names from data kept inside their folder. Real processes and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from chat_server import ChatServer
from valueportrait.cli.main import cli
from valueportrait.ratings.runs import load_records, read_manifest
from valueportrait.runner.failfast import FailFast, RunStopped, error_kind
from valueportrait.runner.openai_backend import OpenAIBackend

KEY = "plain-key-without-a-shape-0042"  # no sk-/hf_ shape: only the named secret can hide it


def run_cli(args, key=KEY):
    return CliRunner().invoke(cli, ["run", *args], env={"OPENAI_API_KEY": key})


def _args(built_dataset, out, base_url, *extra):
    return ["--dataset", str(built_dataset), "--model", "scripted", "--base-url", base_url, "--variants", "v1",
            "--out", str(out), "--quiet", *extra]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed once the with-block ends: connecting is refused


# -- lock -------------------------------------------------------------------------------------------------------

def _start_run(args):
    return subprocess.Popen([sys.executable, "-m", "valueportrait.cli.main", "run", *args],
                            env={**os.environ, "OPENAI_API_KEY": KEY}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


def _wait_for_records(log, n, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not (log.is_file() and log.read_bytes().count(b"\n") >= n):
        time.sleep(0.01)


@pytest.mark.slow  # two real `valueportrait run` processes end to end
def test_second_run_on_a_locked_folder_stops_at_once_naming_the_holder(tmp_path, built_dataset):
    out = tmp_path / "run"
    with ChatServer(latency=0.05) as server:
        args = _args(built_dataset, out, server.base_url, "--limit", "200", "--concurrency", "1")
        first = _start_run(args)
        try:
            _wait_for_records(out / "records.jsonl", 3)
            t0 = time.monotonic()
            second = _start_run(args)
            output, _ = second.communicate(timeout=60)
            elapsed = time.monotonic() - t0
            assert first.poll() is None, "the first run should still be running"
            sent_while_locked = sum(server.attempts.values())
        finally:
            first.send_signal(signal.SIGKILL)  # a killed holder: the kernel drops its flock
            first.wait(10)
        text = output.decode()
        assert second.returncode == 1, text
        assert f"is in use by another run: process {first.pid} on host {socket.gethostname()}" in text
        assert text.startswith("Error: ") and "Traceback" not in text
        assert elapsed < 30  # no waiting for the lock (the time is the interpreter + dataset start-up)
        lock = json.loads((out / ".lock").read_text())
        assert lock["pid"] == first.pid and lock["host"] == socket.gethostname()
        before = len(load_records(out))
        # the lock of the killed run does not block: the same command resumes and finishes
        res = run_cli(args)
        assert res.exit_code == 0, res.output
        assert f"Resuming {out}: {before} requests already done." in res.output
        # every request sent once, apart from the one in flight when the first run was killed
        assert sum(server.attempts.values()) <= 200 + 1 and sent_while_locked <= before + 1
    assert json.loads((out / ".lock").read_text())["pid"] == os.getpid()  # the last holder


def test_lock_in_process_and_a_folder_with_only_a_lock_file(tmp_path):
    from valueportrait.errors import RunError
    from valueportrait.runner.lock import RunLock
    from valueportrait.runner.rundir import RunLog

    out = tmp_path / "run"
    out.mkdir()
    lock = RunLock.acquire(out)
    with pytest.raises(RunError, match=f"in use by another run: process {os.getpid()} on host"):
        RunLock.acquire(out)  # a second open file description conflicts even in one process
    lock.release()
    # a folder holding only a lock file (a run killed before it wrote its manifest) is a fresh run directory
    manifest = {"format": "valueportrait-run", "format_version": 1, "model": "m", "sessions": []}
    with RunLog.open(out, manifest) as log:
        assert log.records_before == 0
        with pytest.raises(RunError, match="in use by another run"):
            RunLog.open(out, manifest)
    RunLog.open(out, manifest).close()  # released by close()


# -- fail fast --------------------------------------------------------------------------------------------------

@pytest.fixture
def backoff_waits(monkeypatch) -> list[float]:
    """The backoff waits the runner asks for, recorded instead of slept (an injected clock: the run's logic is
    unchanged, only the waiting is skipped)."""
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(0)

    monkeypatch.setattr(OpenAIBackend, "sleep", staticmethod(record))
    return waits


@pytest.mark.parametrize("concurrency", ["8", "1"])
def test_closed_port_stops_the_run_within_60_s(tmp_path, built_dataset, concurrency, backoff_waits):
    # concurrency 1 is the slow case: 6 attempts of the first request (5 waits: backoff 1, 2, 4, 8, 16 s, each with
    # equal jitter in [d/2, d], 15.5-31 s in all), then 2 of the next (1 wait): 8 failed attempts stop the run.
    out = tmp_path / "run"
    res = run_cli(_args(built_dataset, out, f"http://127.0.0.1:{_closed_port()}/v1", "--concurrency", concurrency))
    assert res.exit_code == 1, res.output
    if concurrency == "1":
        assert len(backoff_waits) == 6
        for wait, d in zip(backoff_waits, [1, 2, 4, 8, 16, 1]):
            assert d / 2 <= wait <= d
        assert 15.5 <= sum(backoff_waits[:5]) <= 31 < 60  # the first request's waits: the run stops within 60 s
    else:  # 8 requests in flight: every failed attempt but the 8th (which stops the run) waits a first backoff
        assert len(backoff_waits) == 7 and all(0.5 <= wait <= 2 for wait in backoff_waits)  # (or a second one)
    assert "Error: the run stopped: the first 8 attempts all failed to connect (connection error: ConnectError)" \
        in res.output
    assert "; check that the server is running and that --base-url is right. Nothing was recorded" in res.output
    assert "First connection error: ConnectError error (attempt failed)" in res.output
    assert "Traceback" not in res.output


def test_a_name_that_does_not_resolve_stops_the_run(tmp_path, built_dataset):
    res = run_cli(_args(built_dataset, tmp_path / "run", "http://no-such-host.invalid/v1"))
    assert res.exit_code == 1 and "failed to connect" in res.output, res.output


def test_always_401_stops_at_once_and_shows_no_key(tmp_path, built_dataset):
    out = tmp_path / "run"
    t0 = time.monotonic()
    with ChatServer(fault=lambda key, attempt: "401") as server:
        res = run_cli(_args(built_dataset, out, server.base_url, "--concurrency", "1"))
    assert res.exit_code == 1 and time.monotonic() - t0 < 60
    assert res.output.startswith("Error: the backend refused the run: HTTP 401 from ")
    assert "Incorrect API key provided: ***" in res.output and KEY not in res.output
    assert sum(server.attempts.values()) == 1


def test_every_request_failing_the_same_way_stops_after_8(tmp_path, built_dataset):
    out = tmp_path / "run"
    with ChatServer(fault=lambda key, attempt: "500") as server:
        res = run_cli(_args(built_dataset, out, server.base_url, "--concurrency", "1", "--max-attempts", "1"))
    assert res.exit_code == 1, res.output
    assert "Error: the run stopped: the first 8 requests all failed the same way (HTTP 500)" in res.output
    assert sum(server.attempts.values()) == 8 and len(load_records(out)) == 8
    assert res.output.count("First HTTP 500 error (attempt failed)") == 1 and "(request failed)" not in res.output


def test_first_error_of_each_kind_is_printed_once_and_the_run_goes_on(tmp_path, built_dataset):
    def fault(key, attempt):  # every request's first attempt: 429 (Retry-After 0) or a slow answer
        return ("429" if int(key, 16) % 2 else "malformed") if attempt == 1 else None

    with ChatServer(fault=fault, retry_after="0") as server:
        res = run_cli(_args(built_dataset, tmp_path / "run", server.base_url, "--limit", "30"))
    assert res.exit_code == 0, res.output
    assert res.output.count("First HTTP 429 error (attempt failed): HTTP 429 from ") == 1
    assert res.output.count("First malformed response body error (attempt failed)") == 1
    assert "Done: 30 rated" in res.output


def test_fail_fast_rules():
    lines = []
    ff = FailFast(lines.append, secrets=["s3cret"])
    ff.finished("rated", None)
    for _ in range(7):  # after a success too (issue 19): 7 failed requests in a row do not stop the run...
        ff.attempt_failed("connection error: ConnectError: refused")
        ff.finished("failed", "gave up after 6 attempts; last error: HTTP 500 from x: s3cret")
    with pytest.raises(RunStopped, match=r"the last 8 requests all failed the same way \(HTTP 500\): .*x: \*\*\*"):
        ff.finished("failed", "gave up after 6 attempts; last error: HTTP 500 from x: s3cret")  # ...the 8th does
    assert lines == ["First connection error: ConnectError error (attempt failed): connection error: ConnectError: "
                     "refused",
                     "First HTTP 500 error (request failed): gave up after 6 attempts; last error: HTTP 500 from x: ***"]
    ff = FailFast(lines.append)
    for _ in range(7):
        ff.finished("failed", "HTTP 400 from x: bad")
    ff.finished("failed", "HTTP 422 from x: other")  # two kinds: not "every request failed the same way"
    ff.finished("failed", "HTTP 400 from x: bad")
    ff = FailFast(lines.append)
    for _ in range(7):
        ff.attempt_failed("timeout after 60 s (ConnectTimeout)")
    with pytest.raises(RunStopped, match="first 8 attempts all failed to connect"):
        ff.attempt_failed("connection error: ConnectError: [Errno -2] Name or service not known")
    assert error_kind("something odd: details") == "something odd" and error_kind(None) == "unknown error"


# -- secrets ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["key", "userinfo"])
def test_secrets_planted_in_every_channel_never_come_out(tmp_path, built_dataset, where):
    """An error page echoing the headers and the credential; a password in --base-url; the key in the env."""
    password = "pa55-w0rd-xyz"
    basic = base64.b64encode(f"alice:{password}".encode()).decode()
    out = tmp_path / "run"
    planted = f"key {KEY}" + (f" password {password}" if where == "userinfo" else "")
    with ChatServer(fault=lambda key, attempt: "echo", echo_text=planted) as server:
        url = server.base_url if where == "key" else server.base_url.replace("://", f"://alice:{password}@")
        res = run_cli(_args(built_dataset, out, url, "--concurrency", "2", "--max-attempts", "2"))
        seen = [e.authorization for e in server.events]
    assert res.exit_code == 1, res.output
    # the server really got (and echoed) the credential
    assert seen[0] == (f"Bearer {KEY}" if where == "key" else f"Basic {basic}")
    records = load_records(out)
    assert 8 <= len(records) <= 9 and all(r["status"] == "failed" for r in records)  # 8, + 1 in flight
    assert f"credential *** rejected; key ***{' password ***' if where == 'userinfo' else ''}" in records[0]["error"]
    if where == "userinfo":
        assert "HTTP 500 from http://***@127.0.0.1:" in records[0]["error"]
        assert read_manifest(out)["base_url"] == server.base_url  # stored without userinfo
    assert "Authorization" not in res.output or "authorization: ***" in res.output.lower()
    for secret in (KEY, password, basic) if where == "userinfo" else (KEY,):
        assert secret not in res.output
        for f in out.iterdir():
            assert secret not in f.read_text(), f.name
    assert "First HTTP 500 error (attempt failed)" in res.output and "Error: the run stopped:" in res.output


# -- file names from data ----------------------------------------------------------------------------------------

def test_hostile_model_names_stay_inside_their_folders(tmp_path, built_dataset, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with ChatServer() as server:
        res = run_cli(["--dataset", str(built_dataset), "--model", "..", "--base-url", server.base_url,
                       "--variants", "v1", "--limit", "3", "--quiet"])
        assert res.exit_code == 0, res.output
        assert not (tmp_path / "manifest.json").exists()
        (run_dir,) = (tmp_path / "runs").iterdir()
        assert read_manifest(run_dir)["model"] == ".."
        res = run_cli(["--dataset", str(built_dataset), "--model", "m", "--label", "../../evil", "--base-url",
                       server.base_url, "--variants", "v1", "--limit", "3", "--quiet", "--out", "r2",
                       "--export-upstream", "exported"])
        assert res.exit_code == 0, res.output
    scores = tmp_path / "deep" / "er" / "scores"
    res = CliRunner().invoke(cli, ["score", "r2", "--dataset", str(built_dataset), "--out", str(scores),
                                   "--n-boot", "0", "--no-humans"])
    assert res.exit_code == 0, res.output
    (score_file,) = scores.glob("*_scores.json")
    assert score_file.name.startswith("evil-") and \
        json.loads(score_file.read_text())["meta"]["model_name"] == "../../evil"
    assert not list(tmp_path.glob("**/evil_scores.json"))
    assert sorted(p.name for p in (tmp_path / "exported").iterdir()) == [".valueportrait-output.json",  # the marker
                                                                         f"{score_file.name[:-12]}_v1_results.json"]
