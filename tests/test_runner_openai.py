"""The OpenAI-compatible backend against a real local HTTP server: faults, retries, secrets, kill -9 + resume."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import httpx
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from chat_server import ChatServer, request_key, scripted_rating
from valueportrait.cli.main import cli
from valueportrait.dataset import open_dataset
from valueportrait.runner.openai_backend import backoff_delay, retry_after_seconds
from valueportrait.runner.prompts import build_requests
from valueportrait.ratings.runs import load_records, read_manifest, read_run_ratings
from valueportrait.scoring import score_portrait

KEY = "sk-test-SECRET-0123456789abcdef"


@pytest.fixture(scope="module")
def data(built_dataset):
    return open_dataset(built_dataset)


def run_cli(args, env_key=KEY):
    env = {"OPENAI_API_KEY": env_key} if env_key else {"OPENAI_API_KEY": None}
    return CliRunner().invoke(cli, ["run", *args], env=env)


def _h(key: str, salt: str) -> float:
    return int(hashlib.sha256(f"{salt}:{key}".encode()).hexdigest()[:8], 16) / 16 ** 8


def test_faults_every_request_ends_rated_unparseable_or_failed(tmp_path, built_dataset, data):
    # ~20% of first and second attempts fail (429 with Retry-After, 500, slow, malformed JSON, dropped
    # connection); 4% of requests always get 500 (must end failed); 4% answer without a Likert phrase.
    kinds = ["429", "500", "slow", "malformed", "drop"]

    def fault(key, attempt):
        if _h(key, "dead") < 0.04:
            return "500"
        if _h(key, "garbage") < 0.04:
            return "garbage"
        if attempt <= 2 and _h(key, f"f{attempt}") < 0.20:
            return kinds[int(_h(key, f"k{attempt}") * len(kinds))]
        return None

    out = tmp_path / "run"
    with ChatServer(fault=fault, slow_s=1.0, retry_after="1") as server:
        res = run_cli(["--dataset", str(built_dataset), "--model", "scripted", "--base-url", server.base_url,
                       "--variants", "v1,v2_reversed", "--limit", "40", "--out", str(out), "--concurrency", "8",
                       "--timeout", "0.4", "--max-attempts", "4", "--quiet"])
    reqs = build_requests(data.items, data.prompts, variants=["v1", "v2_reversed"], limit=40)
    keys = {r.key: request_key(list(r.messages)) for r in reqs}
    dead = {k for k, h in keys.items() if _h(h, "dead") < 0.04}
    garbage = {k for k, h in keys.items() if _h(h, "garbage") < 0.04} - dead
    faulted = {e.key for e in server.events if e.outcome in kinds and e.attempt <= 2}
    assert dead and garbage and len(faulted) >= 10  # the script does inject each kind of trouble
    assert {e.outcome for e in server.events} >= {*kinds, "garbage", "ok"}

    assert res.exit_code == 3, res.output  # some requests failed for good
    records = load_records(out)
    assert sorted((r["item_id"], r["variant"]) for r in records) == sorted((r.item_id, r.variant) for r in reqs)
    status = {(r["item_id"], r["variant"], r["persona"]): r for r in records}
    assert {k for k, r in status.items() if r["status"] == "failed"} == dead
    assert {k for k, r in status.items() if r["status"] == "unparseable"} == garbage
    for req in reqs:
        r = status[req.key]
        assert r["attempts"] == server.attempts[keys[req.key]]  # nothing sent that is not accounted for
        if req.key in dead:
            assert r["attempts"] == 4 and r["error"].startswith("gave up after 4 attempts; last error: HTTP 500")
        elif req.key not in garbage:
            assert r["status"] == "rated" and r["rating"] == scripted_rating(list(req.messages))
    # Retry-After: 1 was honoured: the retry after a 429 came at least 1 s later
    by_key: dict[str, list] = {}
    for e in server.events:
        by_key.setdefault(e.key, []).append(e)
    gaps = [b.t - a.t for evs in by_key.values() for a, b in zip(evs, evs[1:]) if a.outcome == "429"]
    assert gaps and min(gaps) >= 0.99
    assert f"Done: {80 - len(dead) - len(garbage)} rated, {len(garbage)} unparseable; failed: {len(dead)}" \
        in res.output
    # the key went out in the header only, and appears in no file and not in the output
    assert {e.authorization for e in server.events} == {f"Bearer {KEY}"}
    assert KEY not in res.output
    for f in out.rglob("*"):
        assert KEY.encode() not in f.read_bytes(), f
    assert "***" in status[next(iter(dead))]["error"]  # the server echoed it; the record has it redacted


def test_resume_retries_only_failed(tmp_path, built_dataset):
    out = tmp_path / "run"
    args = ["--dataset", str(built_dataset), "--model", "scripted", "--variants", "v1", "--limit", "6",
            "--out", str(out), "--timeout", "0.3", "--max-attempts", "2", "--quiet"]
    broken = set()
    with ChatServer(fault=lambda key, attempt: "500" if key in broken else None) as server:
        first = run_cli([*args, "--base-url", server.base_url])
        assert first.exit_code == 0
        assert sum(server.attempts.values()) == 6
    with ChatServer() as server:
        again = run_cli([*args, "--base-url", server.base_url])
        assert again.exit_code == 0 and sum(server.attempts.values()) == 0  # everything was done
        assert "Resuming" in again.output and "6 already done, 0 sent now" in again.output
        # a larger --limit extends the same run (the limit is not part of the run's identity)
        more = run_cli([*[a if a != "6" else "9" for a in args], "--base-url", server.base_url])
        assert more.exit_code == 0 and "9 in the run; 6 already done, 3 sent now" in more.output
        assert sum(server.attempts.values()) == 3


def test_failed_then_resumed(tmp_path, built_dataset):
    out = tmp_path / "run"
    args = ["--dataset", str(built_dataset), "--model", "scripted", "--variants", "v1", "--limit", "5",
            "--out", str(out), "--max-attempts", "2", "--quiet"]
    with ChatServer(fault=lambda key, attempt: "500") as server:
        res = run_cli([*args, "--base-url", server.base_url])
    assert res.exit_code == 3 and "failed: 5" in res.output and "Not done: 5" in res.output
    with ChatServer() as server:
        res = run_cli([*args, "--base-url", server.base_url])
    assert res.exit_code == 0 and "0 already done, 5 sent now" in res.output
    assert len(load_records(out)) == 10
    table = read_run_ratings(out)
    assert len(table) == 5 and table["rating"].notna().all()


def test_bad_key_stops_the_run_with_a_clear_error(tmp_path, built_dataset):
    out = tmp_path / "run"
    with ChatServer(fault=lambda key, attempt: "401") as server:
        res = run_cli(["--dataset", str(built_dataset), "--model", "scripted", "--base-url", server.base_url,
                       "--variants", "v1", "--limit", "50", "--out", str(out), "--concurrency", "4", "--quiet"])
    assert res.exit_code == 1
    assert res.output.startswith("Error: the backend refused the run: HTTP 401 from ")
    assert "Incorrect API key provided: ***" in res.output and "check the API key (--api-key-env)" in res.output
    assert KEY not in res.output
    assert sum(server.attempts.values()) <= 4 + 4  # stopped at once, not 50 x retries
    assert load_records(out) == []


def test_missing_key_for_openai_and_other_argument_errors(tmp_path, built_dataset):
    res = run_cli(["--dataset", str(built_dataset), "--model", "gpt-4o"], env_key=None)
    assert res.exit_code == 1
    assert res.output == ("Error: the OpenAI API needs a key: set the environment variable OPENAI_API_KEY (or name "
                          "another one with --api-key-env), or point --base-url at a local server.\n")
    res = run_cli(["--dataset", str(built_dataset), "--model", "m", "--base-url", "http://127.0.0.1:9/v1",
                   "--persona", "x", "--personas", "p.jsonl"])
    assert res.exit_code == 1 and res.output == "Error: give either --persona TEXT or --personas FILE, not both\n"
    res = run_cli(["--dataset", str(tmp_path / "none"), "--model", "m", "--base-url", "http://127.0.0.1:9/v1"])
    assert res.exit_code == 1 and "no dataset folder at" in res.output


def test_refuses_other_parameters(tmp_path, built_dataset):
    out = tmp_path / "run"
    with ChatServer() as server:
        base = ["--dataset", str(built_dataset), "--model", "scripted", "--base-url", server.base_url,
                "--variants", "v1", "--limit", "2", "--out", str(out), "--quiet"]
        assert run_cli(base).exit_code == 0
        res = run_cli([*base, "--temperature", "0.7"])
    assert res.exit_code == 1
    assert res.output.startswith(f"Error: {out} holds a run made with other parameters (temperature: 0.0 in the "
                                 "run, 0.7 now)")


def test_concurrency_is_bounded_and_used(tmp_path, built_dataset):
    out = tmp_path / "run"
    with ChatServer(latency=0.05) as server:
        res = run_cli(["--dataset", str(built_dataset), "--model", "scripted", "--base-url", server.base_url,
                       "--variants", "v1", "--limit", "40", "--out", str(out), "--concurrency", "4", "--quiet"])
    assert res.exit_code == 0
    assert server.max_in_flight == 4


def test_persona_label_stored_with_every_rating(tmp_path, built_dataset):
    (tmp_path / "p.jsonl").write_text('{"label": "nurse", "text": "a nurse from Ohio"}\n'
                                      '{"label": "coder", "text": "a programmer from Berlin"}\n')
    out = tmp_path / "run"
    with ChatServer() as server:
        res = run_cli(["--dataset", str(built_dataset), "--model", "scripted", "--base-url", server.base_url,
                       "--variants", "v1", "--limit", "3", "--out", str(out), "--personas", str(tmp_path / "p.jsonl"),
                       "--quiet"])
    assert res.exit_code == 0
    table = read_run_ratings(out)
    assert table["persona"].tolist() == ["nurse"] * 3 + ["coder"] * 3
    # the scripted answer depends on the whole chat, so the persona's system message reached the server
    assert table["rating"].notna().all()
    assert read_manifest(out)["personas"] == [{"label": "nurse", "text": "a nurse from Ohio"},
                                              {"label": "coder", "text": "a programmer from Berlin"}]


def test_sigkill_midway_then_resume_gives_the_full_set_once(tmp_path, built_dataset, data):
    out = tmp_path / "run"
    with ChatServer(latency=0.05) as server:
        args = ["run", "--dataset", str(built_dataset), "--model", "scripted", "--base-url", server.base_url,
                "--variants", "v1", "--limit", "60", "--out", str(out), "--concurrency", "2", "--quiet"]
        env = {**os.environ, "OPENAI_API_KEY": KEY}
        proc = subprocess.Popen([sys.executable, "-m", "valueportrait.cli.main", *args], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        log = out / "records.jsonl"
        while time.monotonic() < deadline:
            if log.is_file() and log.read_bytes().count(b"\n") >= 15:
                break
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        before = log.read_bytes().count(b"\n")
        assert 15 <= before < 60, before
        torn = b'{"item_id": "1003-1", "variant": "v1", "persona": null, "status": "ra'
        with open(log, "ab") as fh:  # a write cut short by the kill
            fh.write(torn)
        res = run_cli(args[1:])
        sent_total = sum(server.attempts.values())
    assert res.exit_code == 0, res.output
    assert f"Repaired the run log: cut a torn last line ({len(torn)} bytes)" in res.output
    assert f"Resuming {out}: {before} requests already done." in res.output
    records = load_records(out)
    expected = [r.item_id for r in build_requests(data.items, data.prompts, variants=["v1"], limit=60)]
    assert Counter(r["item_id"] for r in records) == Counter(expected)  # exactly the full set, once each
    assert sent_total <= 60 + 2  # at most the 2 requests in flight at the kill were sent twice
    assert log.read_bytes().endswith(b"\n")


def test_end_to_end_scored_portrait(tmp_path, built_dataset, data):
    out = tmp_path / "run"
    with ChatServer() as server:
        res = run_cli(["--dataset", str(built_dataset), "--model", "scripted", "--base-url", server.base_url,
                       "--variants", "v1,v1_reversed", "--out", str(out), "--concurrency", "16", "--quiet"])
    assert res.exit_code == 0
    ratings = read_run_ratings(out)
    assert len(ratings) == 1040 and ratings["rating"].notna().all()
    portrait = score_portrait(ratings, data.selection(), center=False)
    # Direct computation: per item, the mean of the scripted ratings over the 2 variants; per dimension, the
    # mean over its selected items.
    reqs = build_requests(data.items, data.prompts, variants=["v1", "v1_reversed"])
    per_item = pd.DataFrame({"item_id": [r.item_id for r in reqs],
                             "rating": [scripted_rating(list(r.messages)) for r in reqs]}) \
        .groupby("item_id")["rating"].mean()
    sel = data.selection()
    expected = sel.assign(r=sel["item_id"].map(per_item)).groupby(["family", "dimension"])["r"].mean()
    got = portrait.set_index(["family", "dimension"])["raw_mean"]
    np.testing.assert_allclose(got.loc[expected.index].to_numpy(), expected.to_numpy(), rtol=0, atol=1e-12)

    # The same run through `valueportrait score RUN_DIR`: upstream-schema file + leaderboard with the human row.
    scores_dir = tmp_path / "scores"
    res = CliRunner().invoke(cli, ["score", str(out), "--dataset", str(built_dataset), "--out", str(scores_dir)])
    assert res.exit_code == 0, res.output
    assert "human raters" in res.output and "scripted" in res.output
    written = json.loads((scores_dir / "scripted_scores.json").read_text())
    centred = score_portrait(ratings, sel).set_index(["family", "dimension"])
    for (family, dim), row in centred.iterrows():
        assert written["scores"][family][dim]["original_mean"] == pytest.approx(expected.loc[(family, dim)], abs=1e-12)
        assert written["scores"][family][dim]["centered_mean"] == pytest.approx(row["score"], abs=1e-12)
        assert written["scores"][family][dim]["n"] == row["n"]


def test_retry_after_parsing_and_backoff():
    assert retry_after_seconds(httpx.Headers({"Retry-After": "3"})) == 3.0
    assert retry_after_seconds(httpx.Headers({"retry-after-ms": "250", "Retry-After": "3"})) == 0.25
    assert 9 < retry_after_seconds(httpx.Headers({"Retry-After": _http_date(10)})) <= 10.5
    assert retry_after_seconds(httpx.Headers({"Retry-After": "soon"})) is None
    assert retry_after_seconds(httpx.Headers({})) is None
    import random

    rng = random.Random(0)
    for attempt, full in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 30.0), (10, 30.0)]:
        d = [backoff_delay(attempt, 1.0, 30.0, rng) for _ in range(200)]
        assert full / 2 <= min(d) and max(d) <= full and max(d) - min(d) > full / 4  # jittered, capped


def _http_date(seconds_from_now: float) -> str:
    import email.utils

    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


def test_ctrl_c_exits_130_and_resume_completes(tmp_path, built_dataset):
    out = tmp_path / "run"
    # 0.5 s an answer until the interrupt: the 40 requests take ~10 s at concurrency 2, so the run is still going
    # when the 8th record is seen even on a loaded machine (at 0.05 s it could finish first); no latency after
    with ChatServer(latency=0.5) as server:
        args = ["run", "--dataset", str(built_dataset), "--model", "scripted", "--base-url", server.base_url,
                "--variants", "v1", "--limit", "40", "--out", str(out), "--concurrency", "2", "--quiet"]
        proc = subprocess.Popen([sys.executable, "-m", "valueportrait.cli.main", *args],
                                env={**os.environ, "OPENAI_API_KEY": KEY}, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        log = out / "records.jsonl"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (log.is_file() and log.read_bytes().count(b"\n") >= 8):
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        server.latency = 0.0
        output, _ = proc.communicate(timeout=30)
        assert proc.returncode == 130
        assert output.decode().strip().endswith(
            "Interrupted. Every finished request is saved; re-run the same command to resume.")
        assert log.read_bytes().endswith(b"\n")  # no torn line after a clean interrupt
        res = run_cli(args[1:])
    assert res.exit_code == 0
    assert Counter(r["item_id"] for r in load_records(out)) == Counter(
        read_run_ratings(out)["item_id"].tolist()) and len(load_records(out)) == 40


def test_help_has_examples_and_command_is_registered():
    res = CliRunner().invoke(cli, ["run", "--help"])
    assert res.exit_code == 0
    assert "Examples:" in res.output and "valueportrait run --dataset ./valueportrait --model gpt-4o-mini" in res.output
    assert "--api-key-env NAME" in res.output and "--export-upstream DIR" in res.output
    top = CliRunner().invoke(cli, ["--help"])
    assert "Run a model (OpenAI-compatible API or local transformers) on" in " ".join(top.output.split())


def test_export_upstream_from_the_command(tmp_path, built_dataset):
    out, exported = tmp_path / "run", tmp_path / "upstream"
    with ChatServer() as server:
        res = run_cli(["--dataset", str(built_dataset), "--model", "scripted", "--base-url", server.base_url,
                       "--variants", "v1", "--limit", "3", "--out", str(out), "--quiet",
                       "--export-upstream", str(exported)])
    assert res.exit_code == 0, res.output
    assert f"Exported 1 upstream result file(s) to {exported}" in res.output
    rows = json.loads((exported / "scripted_v1_results.json").read_text())
    ratings = read_run_ratings(out)
    assert [f"{r['portrait_id']}-{r['option_id']}" for r in rows] == ratings["item_id"].tolist()
    assert [r["numeric_response"] for r in rows] == ratings["rating"].tolist()
