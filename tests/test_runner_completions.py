"""``--backend openai-completions`` against a real HTTP server on 127.0.0.1 whose prompt log-probabilities come
from the tests' tiny transformers model (tests/tiny_lm.py): the ratings equal the transformers backend's."""

from __future__ import annotations

import asyncio
import copy

import numpy as np
import pytest
from click.testing import CliRunner

pytest.importorskip("torch")
pytest.importorskip("transformers")

from chat_server import ChatServer  # noqa: E402
from tiny_lm import echo_completions, make_tiny_model  # noqa: E402
from valueportrait.cli.main import cli  # noqa: E402
from valueportrait.dataset import open_dataset  # noqa: E402
from valueportrait.runner.completions_backend import SCORING, OpenAICompletionsBackend  # noqa: E402
from valueportrait.runner.openai_backend import OpenAIConfig  # noqa: E402
from valueportrait.runner.prompts import build_requests  # noqa: E402
from valueportrait.runner.rundir import load_records, read_manifest  # noqa: E402
from valueportrait.runner.transformers_backend import PHRASES, TransformersBackend  # noqa: E402
from valueportrait.scale import LIKERT  # noqa: E402


@pytest.fixture(scope="module")
def data(built_dataset):
    return open_dataset(built_dataset)


@pytest.fixture(scope="module")
def model(tmp_path_factory, data):
    reqs = build_requests(data.items, data.prompts, variants=["v1", "v3"], limit=5)
    corpus = [m["content"] for r in reqs for m in r.messages] + [" " + p for p in LIKERT] * 20
    return make_tiny_model(tmp_path_factory.mktemp("tiny-plain"), corpus, chat=False)


@pytest.fixture(scope="module")
def handler(model):
    return echo_completions(model)


@pytest.fixture(scope="module")
def reference(model, data):
    """The transformers backend's outcomes for the first 4 items under v1 and v3 (its KV-cache path)."""
    backend = TransformersBackend(str(model), device="cpu").load()
    assert not backend.uses_chat_template  # the completions backend scores the plain prompt
    reqs = build_requests(data.items, data.prompts, variants=["v1", "v3"], limit=4)
    return {r.key: backend.rate_sync(r) for r in reqs}


def test_cli_run_equals_the_transformers_backend_and_resumes(tmp_path, built_dataset, handler, reference):
    out = tmp_path / "run"
    args = ["run", "--dataset", str(built_dataset), "--model", "tiny", "--backend", "openai-completions",
            "--variants", "v1,v3", "--limit", "4", "--out", str(out), "--quiet", "--concurrency", "3"]
    with ChatServer(completions=handler) as server:
        res = CliRunner().invoke(cli, [*args, "--base-url", server.base_url], env={"OPENAI_API_KEY": None})
        assert res.exit_code == 0, res.output
        assert "Done: 8 rated, 0 unparseable; failed: 0" in res.output
        assert server.attempts.total() == 8 + 1  # one request (7 prompts) per item, and the probe (2 prompts)
        records = {(r["item_id"], r["variant"], r["persona"]): r for r in load_records(out)}
        assert set(records) == set(reference)
        for key, ref in reference.items():
            rec = records[key]
            assert rec["status"] == "rated" and rec["raw"] is None
            assert rec["rating"] == pytest.approx(ref.rating, abs=1e-5)
            np.testing.assert_allclose(rec["distribution"], ref.distribution, atol=1e-5)
            np.testing.assert_allclose(rec["loglik"], ref.loglik, atol=1e-4)
            assert rec["argmax"] == ref.argmax
        # the prompt matters (the ratings of this tiny plain model all sit near 5: its shortest answer wins)
        assert np.ptp([r["loglik"][0] for r in records.values()]) > 0.1
        manifest = read_manifest(out)
        assert manifest["backend"] == "openai-completions" and manifest["scoring"] == SCORING
        assert manifest["base_url"] == server.base_url and manifest["temperature"] is None
        again = CliRunner().invoke(cli, [*args, "--base-url", server.base_url], env={"OPENAI_API_KEY": None})
        assert again.exit_code == 0 and "8 already done, 0 sent now" in again.output
        assert server.attempts.total() == 8 + 1


def _rate(base_url, reqs, **kw):
    config = OpenAIConfig(model="tiny", base_url=base_url, concurrency=2, max_attempts=3, backoff_base=0.01,
                          timeout=5, **kw)

    async def go():
        async with OpenAICompletionsBackend(config) as backend:
            return await asyncio.gather(*(backend.rate(r) for r in reqs))

    return asyncio.run(go())


def test_request_body_and_retries_on_faults(data, handler, reference):
    reqs = build_requests(data.items, data.prompts, variants=["v1"], limit=4)
    bodies = []

    def recording(body):
        bodies.append(body)
        return handler(body)

    faults = iter(["500", "malformed", "drop", None] * 10)
    with ChatServer(completions=recording, fault=lambda key, attempt: next(faults) if attempt == 1 else None,
                    retry_after="0") as server:
        outcomes = _rate(server.base_url, reqs)
    for r, o in zip(reqs, outcomes):
        assert o.status == "rated" and o.rating == pytest.approx(reference[r.key].rating, abs=1e-5)
    assert sum(o.attempts for o in outcomes) == 4 + 3  # three of the four first attempts failed
    body = bodies[0]
    assert {k: body[k] for k in ("echo", "logprobs", "max_tokens", "temperature")} == \
        {"echo": True, "logprobs": 1, "max_tokens": 0, "temperature": 0.0}
    context = body["prompt"][0]
    assert context.endswith("\n\nAnswer:") and body["prompt"][1:] == [context + " " + p for p in PHRASES]


def test_generated_tokens_are_cut_and_a_merged_boundary_fails(data, handler, reference):
    req = build_requests(data.items, data.prompts, variants=["v1"], limit=1)[0]

    def generating(body):  # a server that generates one token although max_tokens is 0
        out = copy.deepcopy(handler(body))
        for choice, prompt in zip(out["choices"], body["prompt"]):
            lp = choice["logprobs"]
            lp["tokens"].append(" like")
            lp["token_logprobs"].append(-0.5)
            lp["text_offset"].append(len(prompt))
            choice["text"] = prompt + " like"
        return out

    def merging(body):  # a tokenizer that merges the prompt's last token with the answer's first
        out = copy.deepcopy(handler(body))
        for choice in out["choices"][1:]:
            lp = choice["logprobs"]
            n = len(out["choices"][0]["logprobs"]["tokens"])
            lp["tokens"][n - 1:n + 1] = [lp["tokens"][n - 1] + lp["tokens"][n]]
            lp["token_logprobs"][n - 1:n + 1] = [-1.0]
            del lp["text_offset"][n]
        return out

    with ChatServer(completions=generating) as server:
        (outcome,) = _rate(server.base_url, [req])
    assert outcome.status == "rated" and outcome.rating == pytest.approx(reference[req.key].rating, abs=1e-5)
    with ChatServer(completions=merging) as server:
        (outcome,) = _rate(server.base_url, [req])
    assert outcome.status == "failed" and outcome.attempts == 1
    assert "do not start with the prompt's own" in outcome.error and "--backend transformers" in outcome.error


def test_servers_without_the_capability_stop_the_run_naming_it(data):
    """No echoed prompt logprobs (llama.cpp's server today), whether it takes a list or one prompt: every request
    would fail alike, so the probe stops the run before anything is recorded, with what is missing and what to
    use."""
    from valueportrait.runner.outcome import FatalBackendError

    req = build_requests(data.items, data.prompts, variants=["v1"], limit=1)[0]

    def no_echo(body):  # logprobs of the one generated token only
        prompts = body["prompt"] if isinstance(body["prompt"], list) else [body["prompt"]]
        return {"choices": [{"index": i, "text": "x", "logprobs": {"tokens": ["x"], "token_logprobs": [-0.1]}}
                            for i, _ in enumerate(prompts)]}

    for handler in (no_echo, lambda body: {"choices": [{"index": 0, "text": "x", "logprobs": None}]}):
        with ChatServer(completions=handler) as server:
            with pytest.raises(FatalBackendError, match=r"returns no log-probabilities of the prompt's own tokens "
                                                        r"\(asked with echo: true.*llama.cpp#27174.*vLLM, SGLang"):
                _rate(server.base_url, [req])

    def truncated(body):  # echoes, but the request's answers come back short: a per-request failure
        prompts = body["prompt"] if isinstance(body["prompt"], list) else [body["prompt"]]
        if len(prompts) == 2:  # the probe
            return {"choices": [{"index": i, "text": p, "logprobs": {"tokens": [p], "token_logprobs": [None]}}
                                for i, p in enumerate(prompts)]}
        return {"choices": [{"index": i, "text": "x", "logprobs": {"tokens": ["a"], "token_logprobs": [None]}}
                            for i, _ in enumerate(prompts)]}

    with ChatServer(completions=truncated) as server:
        (outcome,) = _rate(server.base_url, [req])
    assert outcome.status == "failed"


class LlamaCppLike:
    """A scripted server on 127.0.0.1 that behaves like llama.cpp's ``llama-server`` on ``/v1/completions``: a
    list of prompts gets HTTP 500 with an empty message (what issue 27 saw), one prompt is answered;
    ``max_tokens: 0`` means no limit (it generates 5 tokens here); ``GET /props`` says 1 slot. With ``echo``
    it returns the prompt's log-probabilities (computed by the tiny model, as a server with echo support would);
    without, only the generated tokens' (llama.cpp's server today)."""

    def __init__(self, handler, echo: bool = True):
        import http.server
        import json
        import threading

        outer = self
        self.bodies: list[dict] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self):
                self._send(200, b'{"total_slots": 1}') if self.path == "/props" else self._send(404, b"{}")

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.bodies.append(body)
                if isinstance(body["prompt"], list) and len(body["prompt"]) > 1:
                    return self._send(500, b"")
                prompt = body["prompt"][0] if isinstance(body["prompt"], list) else body["prompt"]
                n = body["max_tokens"] or 5
                answer = handler({**body, "prompt": prompt, "max_tokens": 1})
                lp = answer["choices"][0]["logprobs"]
                extra = [" like"] * (n - 1)
                lp["tokens"] += extra
                lp["token_logprobs"] += [-0.5] * len(extra)
                lp["text_offset"] += [len(answer["choices"][0]["text"]) + 5 * k for k in range(len(extra))]
                if not echo:
                    k = lp["text_offset"].index(len(prompt))
                    lp = {key: lp[key][k:] for key in ("tokens", "token_logprobs", "text_offset")}
                    answer["choices"][0] = {"index": 0, "text": "".join(lp["tokens"]), "logprobs": lp}
                self._send(200, json.dumps(answer).encode())

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_a_server_taking_one_prompt_per_request_gets_7(tmp_path, built_dataset, handler, reference):
    """llama.cpp's server: the probe finds that it takes one prompt per request, says so, and each item goes as 7
    requests of one prompt with max_tokens 1 (its 0 is "no limit"); the ratings are the transformers backend's."""
    out = tmp_path / "run"
    args = ["run", "--dataset", str(built_dataset), "--model", "tiny", "--backend", "openai-completions",
            "--variants", "v1,v3", "--limit", "4", "--out", str(out), "--concurrency", "3"]
    with LlamaCppLike(handler) as server:
        res = CliRunner().invoke(cli, [*args, "--base-url", server.base_url], env={"OPENAI_API_KEY": None})
    assert res.exit_code == 0, res.output
    assert "Done: 8 rated, 0 unparseable; failed: 0 (retries: 0)" in res.output
    assert res.output.count(f"Note: the server at {server.base_url}/completions takes one prompt per request (a "
                            "probe with 2 prompts got HTTP 500: ''), as llama.cpp's server does: each item is sent "
                            "as 7 requests") == 1, res.output
    listed = [b for b in server.bodies if isinstance(b["prompt"], list)]
    single = [b for b in server.bodies if isinstance(b["prompt"], str)]
    assert len(listed) == 1 and len(single) == 1 + 8 * 7  # the probe's two forms, then 7 a request
    assert {b["max_tokens"] for b in single} == {1}  # never 0: no limit on llama.cpp
    for rec in load_records(out):
        ref = reference[(rec["item_id"], rec["variant"], rec["persona"])]
        assert rec["status"] == "rated" and rec["attempts"] == 1  # 1 + the retries of its 7 (none here)
        assert rec["rating"] == pytest.approx(ref.rating, abs=1e-5)
        np.testing.assert_allclose(rec["loglik"], ref.loglik, atol=1e-4)
    with LlamaCppLike(handler, echo=False) as server:
        res = CliRunner().invoke(cli, [*args[:-4], "--out", str(tmp_path / "no-echo"), "--base-url", server.base_url],
                                 env={"OPENAI_API_KEY": None})
    assert res.exit_code == 1 and "returns no log-probabilities of the prompt's own tokens" in res.output
    assert len(server.bodies) == 2  # the probe's two requests; nothing else was sent
