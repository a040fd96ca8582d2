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
        assert server.attempts.total() == 8  # one request (7 prompts) per item
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
        assert server.attempts.total() == 8


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
    """One choice for the 7 prompts (llama.cpp's server takes one prompt per request), or no echoed prompt
    logprobs: every request would fail alike, so the run stops with what is missing and what to use."""
    from valueportrait.runner.outcome import FatalBackendError

    req = build_requests(data.items, data.prompts, variants=["v1"], limit=1)[0]
    with ChatServer(completions=lambda body: {"choices": [{"index": 0, "text": "x", "logprobs": None}]}) as server:
        with pytest.raises(FatalBackendError, match=r"answered 1 choice\(s\) for the 7 prompts of a request: it "
                                                    r"takes one prompt per request"):
            _rate(server.base_url, [req])
    no_echo = {"choices": [{"index": i, "text": "x", "logprobs": None} for i in range(7)]}
    with ChatServer(completions=lambda body: no_echo) as server:
        with pytest.raises(FatalBackendError, match="returned no log-probabilities of the prompt's tokens"):
            _rate(server.base_url, [req])
    truncated = {"choices": [{"index": 0, "text": "x", "logprobs": {"tokens": ["a"], "token_logprobs": [None]}}] * 7}
    with ChatServer(completions=lambda body: {"choices": [dict(c, index=i) for i, c in
                                                          enumerate(truncated["choices"])]}) as server:
        (outcome,) = _rate(server.base_url, [req])
    assert outcome.status == "failed"  # a body of the right shape with bad content: a per-request failure
