"""The local log-likelihood backend on a tiny random Llama with a BPE tokenizer trained in the test (no download)."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tiny_lm import make_tiny_model  # noqa: E402
from valueportrait.cli.main import cli  # noqa: E402
from valueportrait.errors import RunError  # noqa: E402
from valueportrait.scoring import score_portrait  # noqa: E402
from valueportrait.dataset import open_dataset  # noqa: E402
from valueportrait.scale import LIKERT  # noqa: E402
from valueportrait.runner.prompts import Persona, build_requests  # noqa: E402
from valueportrait.ratings.runs import load_records, read_manifest, read_run_ratings  # noqa: E402
from valueportrait.ratings.likert import distribution_from_loglik  # noqa: E402
from valueportrait.runner.transformers_backend import PHRASES, TransformersBackend  # noqa: E402

@pytest.fixture(scope="module")
def data(built_dataset):
    return open_dataset(built_dataset)


@pytest.fixture(scope="module")
def corpus(data):
    reqs = build_requests(data.items, data.prompts, variants=["v1", "v2"], limit=5)
    return [m["content"] for r in reqs for m in r.messages] + [" " + p for p in LIKERT] * 20


@pytest.fixture(scope="module")
def chat_model(tmp_path_factory, corpus):
    return make_tiny_model(tmp_path_factory.mktemp("tiny-chat"), corpus, chat=True)


@pytest.fixture(scope="module")
def plain_model(tmp_path_factory, corpus):
    return make_tiny_model(tmp_path_factory.mktemp("tiny-plain"), corpus, chat=False)


@functools.lru_cache(maxsize=4)
def _load(folder):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoTokenizer.from_pretrained(folder), AutoModelForCausalLM.from_pretrained(folder).eval()


def direct_loglik(folder, messages, *, chat: bool) -> np.ndarray:
    """Reference: for each phrase, one full forward pass over prompt + phrase, summing the phrase's log-probs."""
    tok, model = _load(str(folder))
    if chat:
        ctx = tok(tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True),
                  add_special_tokens=False)["input_ids"]
    else:
        ctx = tok("\n\n".join(m["content"] for m in messages) + "\n\nAnswer:")["input_ids"]
    out = []
    for rating in range(1, 7):
        phrase = {v: k for k, v in LIKERT.items()}[rating]
        cont = tok(phrase if chat else " " + phrase, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logits = model(torch.tensor([ctx + cont])).logits[0]
        logp = torch.log_softmax(logits, dim=-1)
        out.append(sum(float(logp[len(ctx) - 1 + j, t]) for j, t in enumerate(cont)))
    return np.array(out)


def test_phrases_are_in_rating_order():
    assert [LIKERT[p] for p in PHRASES] == [1, 2, 3, 4, 5, 6]


def test_distribution_from_loglik():
    p, rating, argmax = distribution_from_loglik(np.log([0.1, 0.1, 0.1, 0.1, 0.2, 0.4]))
    np.testing.assert_allclose(p, [0.1, 0.1, 0.1, 0.1, 0.2, 0.4], atol=1e-12)
    assert rating == pytest.approx(0.1 * (1 + 2 + 3 + 4) + 0.2 * 5 + 0.4 * 6, abs=1e-12) and argmax == 6


@pytest.mark.slow  # the tiny model over many prompts, both ways (tens of seconds)
@pytest.mark.parametrize("chat", [True, False])
def test_shared_prefix_equals_separate_passes(chat_model, plain_model, data, chat):
    folder = chat_model if chat else plain_model
    backend = TransformersBackend(str(folder), device="cpu").load()
    assert backend.uses_chat_template is chat
    assert len({len(c) for c in backend.phrase_ids()}) > 1  # phrases of different token lengths (padding path)
    reqs = build_requests(data.items, data.prompts, variants=["v3"], personas=[Persona("p", "a farmer")], limit=3)
    for r in reqs:
        fast = backend.loglikelihoods(r.messages)
        np.testing.assert_allclose(fast, backend.loglikelihoods_separate(r.messages), rtol=0, atol=2e-4)
        np.testing.assert_allclose(fast, direct_loglik(folder, list(r.messages), chat=chat), rtol=0, atol=2e-4)


@pytest.mark.slow  # an end-to-end run of the CLI on the tiny model
def test_cli_end_to_end_with_tiny_model(tmp_path, chat_model, built_dataset, data):
    out = tmp_path / "run"
    args = ["run", "--dataset", str(built_dataset), "--model", str(chat_model), "--backend", "transformers",
            "--variants", "v1,v2", "--limit", "4", "--out", str(out), "--device", "cpu", "--quiet",
            "--export-upstream", str(tmp_path / "upstream")]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert "Done: 8 rated, 0 unparseable; failed: 0" in res.output
    manifest = read_manifest(out)
    assert manifest["backend"] == "transformers" and manifest["model"] == chat_model.name
    assert manifest["temperature"] is None and manifest["scoring"].startswith("loglik-sum")
    records = {(r["item_id"], r["variant"]): r for r in load_records(out)}
    reqs = build_requests(data.items, data.prompts, variants=["v1", "v2"], limit=4)
    ratings = []
    for req in reqs:
        rec = records[req.item_id, req.variant]
        ll = direct_loglik(chat_model, list(req.messages), chat=True)
        p = np.exp(ll - ll.max()) / np.exp(ll - ll.max()).sum()
        expected = float(p @ np.arange(1, 7))
        assert rec["status"] == "rated" and rec["rating"] == pytest.approx(expected, abs=1e-4)
        np.testing.assert_allclose(rec["distribution"], p, atol=1e-4)
        assert rec["argmax"] == int(np.argmax(ll)) + 1
        ratings.append(rec["rating"])
    assert np.ptp(ratings) > 0.01  # the ratings do depend on the prompt
    table = read_run_ratings(out)
    np.testing.assert_allclose(table["rating"].to_numpy(), ratings, atol=0)
    exported = json.loads((tmp_path / "upstream" / f"{chat_model.name}_v1_results.json").read_text())
    assert [r["numeric_response"] for r in exported] == ratings[:4]
    # resuming a complete run sends nothing
    again = CliRunner().invoke(cli, [*args, "--overwrite-export"])  # the export folder exists now
    assert again.exit_code == 0 and "8 already done, 0 sent now" in again.output, again.output


def test_end_to_end_scored_portrait_local_model(tmp_path, plain_model, built_dataset, data):
    out = tmp_path / "run"
    res = CliRunner().invoke(cli, ["run", "--dataset", str(built_dataset), "--model", str(plain_model),
                                   "--backend", "transformers", "--variants", "v1", "--out", str(out),
                                   "--device", "cpu", "--quiet", "--limit", "40"])
    assert res.exit_code == 0, res.output
    ratings = read_run_ratings(out)
    sel = data.selection()
    portrait = score_portrait(ratings, sel, center=False)
    per_item = ratings.set_index("item_id")["rating"]
    expected = sel[sel["item_id"].isin(per_item.index)].assign(r=lambda d: d["item_id"].map(per_item)) \
        .groupby(["family", "dimension"])["r"].mean()
    got = portrait.set_index(["family", "dimension"])["raw_mean"].loc[expected.index]
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), atol=1e-12)


def test_too_long_prompt_fails_the_request_and_bad_template_stops_the_run(chat_model, data):
    backend = TransformersBackend(str(chat_model), device="cpu").load()
    req = build_requests(data.items, data.prompts, variants=["v1"], limit=1)[0]
    backend.model.config.max_position_embeddings = 50
    out = backend.rate_sync(req)
    assert out.status == "failed" and out.error.endswith("exceed the model's context of 50 tokens")
    backend.model.config.max_position_embeddings = 8192
    backend.tokenizer.chat_template = ("{% for m in messages %}{% if m['role'] == 'system' %}"
                                       "{{ raise_exception('System role not supported') }}{% endif %}"
                                       "{{ m['content'] }}{% endfor %}")
    persona_req = build_requests(data.items, data.prompts, variants=["v1"], personas=[Persona("p", "a cook")],
                                 limit=1)[0]
    from valueportrait.runner.outcome import FatalBackendError

    with pytest.raises(FatalBackendError, match="chat template rejected the messages.*System role not supported"):
        backend.rate_sync(persona_req)


@pytest.mark.slow  # the tiny model over many prompts, batched and one at a time (tens of seconds)
@pytest.mark.filterwarnings("error::FutureWarning")  # the current cache API of the installed transformers
@pytest.mark.parametrize("chat", [True, False])
def test_batched_prompts_equal_one_at_a_time(chat_model, plain_model, data, chat, capfd):
    folder = chat_model if chat else plain_model
    backend = TransformersBackend(str(folder), device="cpu").load()
    reqs = build_requests(data.items, data.prompts, variants=["v1", "v3"], personas=[None, Persona("p", "a cook")],
                          limit=5)
    assert len({len(backend.context_ids(r.messages)) for r in reqs}) > 5  # prompts of many lengths: padding
    single = np.array([backend.loglikelihoods(r.messages) for r in reqs])
    batched = backend.loglikelihoods_batch([r.messages for r in reqs])
    np.testing.assert_allclose(batched, single, rtol=0, atol=2e-5)
    # transformers' own deprecation notices go to its logger (stderr), not through warnings: none printed
    assert "deprecated" not in capfd.readouterr().err
    np.testing.assert_allclose(single[:3], [direct_loglik(folder, list(r.messages), chat=chat) for r in reqs[:3]],
                               rtol=0, atol=2e-4)


def test_cli_batch_size_gives_the_ratings_of_batch_one(tmp_path, chat_model, built_dataset):
    def run(batch_size):
        out = tmp_path / f"run{batch_size}"
        res = CliRunner().invoke(cli, ["run", "--dataset", str(built_dataset), "--model", str(chat_model),
                                       "--backend", "transformers", "--variants", "v1,v2_reversed", "--limit", "7",
                                       "--out", str(out), "--device", "cpu", "--quiet",
                                       "--batch-size", str(batch_size)])
        assert res.exit_code == 0, res.output
        assert "Done: 14 rated, 0 unparseable; failed: 0" in res.output
        return read_run_ratings(out), read_manifest(out)

    one, _ = run(1)
    six, manifest = run(6)  # 14 requests: batches of 6, 6 and a partial last one
    assert manifest["sessions"][0]["batch_size"] == 6
    assert six[["item_id", "variant"]].values.tolist() == one[["item_id", "variant"]].values.tolist()
    np.testing.assert_allclose(six["rating"].to_numpy(), one["rating"].to_numpy(), rtol=0, atol=1e-5)


def test_batch_with_a_too_long_prompt_fails_only_that_request(chat_model, data):
    backend = TransformersBackend(str(chat_model), device="cpu", batch_size=3).load()
    reqs = build_requests(data.items, data.prompts, variants=["v1"], limit=3)
    needed = [len(backend.context_ids(r.messages)) + max(len(c) for c in backend.phrase_ids()) for r in reqs]
    assert len(set(needed)) == 3
    backend.model.config.max_position_embeddings = sorted(needed)[1]  # the longest of the 3 does not fit
    outcomes = backend.rate_batch_sync(reqs)
    assert [o.status for o in outcomes] == ["failed" if n == max(needed) else "rated" for n in needed]
    alone = TransformersBackend(str(chat_model), device="cpu").load()
    for r, o in zip(reqs, outcomes):
        if o.status == "rated":
            assert o.rating == pytest.approx(alone.rate_sync(r).rating, abs=1e-5)
    with pytest.raises(RunError, match="--batch-size must be at least 1, got 0"):
        TransformersBackend(str(chat_model), batch_size=0)
