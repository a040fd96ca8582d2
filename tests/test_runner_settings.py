"""Every answer-moving choice of `valueportrait run` is an option, recorded, shown and guarded on resume; the dry run;
the strict parser; constrained answers with their fallback. Servers are real HTTP servers on 127.0.0.1 (scripted
answers); the local model is the tiny random Llama of tests/tiny_lm.py."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from chat_server import ChatServer
from valueportrait.cli.main import cli
from valueportrait.dataset import open_dataset
from valueportrait.ratings.likert import parse_likert
from valueportrait.ratings.runs import load_records, read_manifest
from valueportrait.runner.prompts import build_requests

KEY = "sk-test-SECRET-0123456789abcdef"


def run_cli(args, env_key=KEY):
    return CliRunner().invoke(cli, ["run", *args], env={"OPENAI_API_KEY": env_key})


# -- the strict parser ----------------------------------------------------------------------------------------
# Answers of the kind SmolLM2-135M-Instruct gave through a real server (issue 27): quoting a phrase is no answer.
@pytest.mark.parametrize("text, strict, lenient", [
    ('The response uses the phrase "like me" instead of "not like me".', None, 5),
    ("I would say 'somewhat like me' is how others describe it, but it is not like me at all.", 1, 4),
    ('Options such as "very much like me" do not apply. Not like me.', 2, 6),
    ("The phrase very much like me fits others; a little like me.", 3, 6),
    ('"Somewhat like me"', 4, 4),  # the whole answer quoted: an answer under both rules
    ("Like me. The response is kind.", 5, 5),
    ("I'd say somewhat like me.", 4, 4),
])
def test_strict_rule_skips_mentions(text, strict, lenient):
    assert parse_likert(text) == strict
    assert parse_likert(text, rule="lenient") == lenient


def test_unknown_parse_rule():
    with pytest.raises(ValueError, match="rule must be one of"):
        parse_likert("like me", rule="loose")


def test_system_prompt_opens_the_system_message(built_dataset):
    from valueportrait.runner.prompts import Persona

    data = open_dataset(built_dataset)
    kw = dict(variants=["v1"], limit=1)
    plain = build_requests(data.items, data.prompts, **kw)[0].messages
    assert [m["role"] for m in plain] == ["user"]  # default: no system message, as upstream sent it
    empty = build_requests(data.items, data.prompts, system_prompt="", **kw)[0].messages
    assert empty[0] == {"role": "system", "content": ""} and empty[1] == plain[0]
    both = build_requests(data.items, data.prompts, system_prompt="Be brief.", personas=[Persona("n", "a nurse")],
                          **kw)[0].messages
    assert both[0]["content"].startswith("Be brief.\n\nTake on the following persona") and \
        both[0]["content"].endswith("a nurse")


# -- dry run --------------------------------------------------------------------------------------------------
def test_dry_run_counts_requests_tokens_and_cost(built_dataset, tmp_path):
    out = tmp_path / "run"
    res = run_cli(["--dataset", str(built_dataset), "--model", "gpt-4o-mini", "--variants", "v1,v2", "--limit", "10",
                   "--out", str(out), "--dry-run", "--price-in", "0.15", "--price-out", "0.6"], env_key=None)
    assert res.exit_code == 0, res.output
    data = open_dataset(built_dataset)
    reqs = build_requests(data.items, data.prompts, variants=["v1", "v2"], limit=10)
    chars = sum(len(m["content"]) for r in reqs for m in r.messages)
    tokens = round(chars / 4)  # the labelled estimate: 4 characters a token
    lines = res.output.splitlines()
    assert lines[0].startswith("Model gpt-4o-mini: backend openai; scoring generation+parse:strict; chat template "
                               "server; system prompt (none sent); endpoint https://api.openai.com/v1")
    assert lines[1] == "Requests: 20 in the run, 20 to send now"
    assert lines[2] == f"Prompt tokens to send: {tokens:,} (estimated at 4 characters a token (no tokenizer here))"
    assert lines[3] == "Output tokens: at most 1,280 (max_tokens 64 a request); about 120 if every answer is a bare phrase"
    # cost by hand: input tokens x $0.15 / 1e6 + output tokens x $0.6 / 1e6 (120 typical, 1280 at most)
    low, high = tokens * 0.15 / 1e6 + 120 * 0.6 / 1e6, tokens * 0.15 / 1e6 + 1280 * 0.6 / 1e6
    assert lines[4] == f"Cost: about ${low:,.4f} (at most ${high:,.4f}) at $0.15 / $0.6 per million input / output tokens"
    assert lines[5] == "Dry run: nothing was sent and nothing was written."
    assert not out.exists()


# -- recorded, shown, guarded ---------------------------------------------------------------------------------
def test_settings_recorded_in_manifest_and_leaderboard(built_dataset, tmp_path):
    out = tmp_path / "run"
    with ChatServer() as server:
        args = ["--dataset", str(built_dataset), "--model", "scripted", "--base-url", server.base_url, "--variants",
                "v1,v1_reversed", "--limit", "6", "--out", str(out), "--system-prompt", "Be brief.", "--quiet"]
        res = run_cli(args)
        assert res.exit_code == 0, res.output
        m = read_manifest(out)
        assert (m["scoring"], m["answer_format"], m["chat_template"], m["system_prompt"]) == \
            ("generation+parse:strict", "free", "server", "Be brief.")
        # resuming with another system prompt, parse rule or answer format is refused, naming the field
        for extra, field in ((["--system-prompt", "none"], "system_prompt"), (["--parse", "lenient"], "scoring")):
            bad = run_cli([*args[:-3], *extra, "--quiet"])
            assert bad.exit_code == 1 and f"{field}:" in bad.output, bad.output
    board = tmp_path / "board"
    res = CliRunner().invoke(cli, ["score", str(out), "--out", str(board)])
    assert res.exit_code == 0, res.output
    runs = json.loads((board / "leaderboard.json").read_text())["runs"]
    assert runs["scripted"]["backend"] == "openai"
    assert runs["scripted"]["system_prompt"] == "Be brief."
    assert runs["scripted"]["endpoint"] == server.base_url  # 127.0.0.1:port/v1, no credentials
    assert runs["scripted"]["variants"] == ["v1", "v1_reversed"]
    assert KEY not in (board / "leaderboard.json").read_text()


def test_constrained_falls_back_with_a_warning(built_dataset, tmp_path):
    """The scripted server ignores response_format (as `transformers serve` does): one warning, then free text."""
    out = tmp_path / "run"
    with ChatServer() as server:
        res = run_cli(["--dataset", str(built_dataset), "--model", "scripted", "--base-url", server.base_url,
                       "--variants", "v1", "--limit", "5", "--out", str(out), "--answer-format", "constrained",
                       "--concurrency", "1"])
    assert res.exit_code == 0, res.output
    assert res.output.count("Warning: --answer-format constrained: the server answered") == 1
    recs = load_records(out)
    assert [r["status"] for r in recs] == ["rated"] * 5  # read as free text after the fallback
    assert read_manifest(out)["scoring"] == "generation+constrained:json-schema-enum"
    # no tokenizer of "scripted" here, so transformers serve's way of asking could not be tried: the warning says so
    assert "no tokenizer of 'scripted' on this machine" in res.output
    assert read_manifest(out)["sessions"][-1]["constrained_as"] == "free-text-fallback"
    assert len(server.events) == 5  # the first answer (response_format ignored) was read, not asked again


class TransformersServeLike:
    """A server on 127.0.0.1 that answers chat requests as ``transformers serve`` does with a greedy model: it
    ignores ``response_format`` (free text), and with ``generation_config``'s ``sequence_bias`` writes the phrase
    whose token ids the bias leads through (decoded with ``tokenizer``), as greedy decoding under the bias does."""

    def __init__(self, tokenizer):
        import http.server
        import threading

        outer = self
        self.bodies: list[dict] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.bodies.append(body)
                content = "I think that is somewhat like me, as far as I can tell."
                if "generation_config" in body:
                    bias = json.loads(body["generation_config"])["sequence_bias"]
                    longest = max((ids for ids, _ in bias), key=len)  # "Not like me at all" + the end token
                    content = tokenizer.decode(longest[:-1])
                payload = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant",
                                                                           "content": content}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_constrained_through_transformers_serve_sequence_bias(built_dataset, tmp_path):
    """A server that ignores response_format but takes generation_config (transformers serve): the first request
    is asked again with sequence_bias over the phrases' tokens of the model's own tokenizer (here on this
    machine), which settles it for the run; every answer is then a phrase alone, and the run records how."""
    pytest.importorskip("transformers")
    from tiny_lm import make_tiny_model
    from transformers import AutoTokenizer

    from valueportrait.runner.answer_format import MARGIN

    data = open_dataset(built_dataset)
    reqs = build_requests(data.items, data.prompts, variants=["v1"], limit=3)
    folder = make_tiny_model(tmp_path / "tiny", [m["content"] for r in reqs for m in r.messages] +
                             ["Not like me at all. Very much like me. A little like me. Somewhat like me."] * 5,
                             chat=True)
    tok = AutoTokenizer.from_pretrained(folder)
    out = tmp_path / "run"
    with TransformersServeLike(tok) as server:
        res = run_cli(["--dataset", str(built_dataset), "--model", str(folder), "--base-url", server.base_url,
                       "--variants", "v1", "--limit", "3", "--out", str(out), "--answer-format", "constrained",
                       "--concurrency", "2", "--label", "served"])
    assert res.exit_code == 0, res.output
    assert "Warning" not in res.output
    assert res.output.count("Note: --answer-format constrained: the server answered 'I think that is somewhat like "
                            "me, as far as I can tell.', not the JSON asked for (it ignores response_format (a JSON "
                            "schema)); asked with generation_config's sequence_bias (transformers serve) instead") == 1
    recs = load_records(out)
    assert [(r["status"], r["rating"], r["raw"]) for r in recs] == [("rated", 1.0, "Not like me at all")] * 3
    # the first request twice (response_format, then sequence_bias), the other two once, with sequence_bias
    assert ["response_format" in b for b in server.bodies] == [True, False, False, False]
    bias = json.loads(server.bodies[1]["generation_config"])["sequence_bias"]
    ids = tok("Not like me at all", add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    assert [ids, MARGIN * 2 ** (len(ids) - 1)] in bias and [ids[:1], MARGIN] in bias
    assert read_manifest(out)["sessions"][-1]["constrained_as"] == "sequence-bias"
    board = tmp_path / "board"
    assert CliRunner().invoke(cli, ["score", str(out), "--out", str(board)]).exit_code == 0
    assert json.loads((board / "leaderboard.json").read_text())["runs"]["served"]["constrained_as"] == \
        "sequence-bias"


def test_local_options_refused_for_servers(built_dataset):
    res = run_cli(["--dataset", str(built_dataset), "--model", "m", "--base-url", "http://127.0.0.1:9/v1",
                   "--dtype", "bfloat16"])
    assert res.exit_code == 1 and "apply to the transformers backend only" in res.output
    res = run_cli(["--dataset", str(built_dataset), "--model", "m", "--backend", "transformers",
                   "--answer-format", "constrained"])
    assert res.exit_code == 1 and "applies to the openai (chat) backend" in res.output


def test_batch_size_guarded_in_half_precision(built_dataset, tmp_path):
    pytest.importorskip("transformers")
    from tiny_lm import make_tiny_model

    data = open_dataset(built_dataset)
    reqs = build_requests(data.items, data.prompts, variants=["v1"], limit=3)
    folder = make_tiny_model(tmp_path / "tiny", [m["content"] for r in reqs for m in r.messages] * 3, chat=False)
    base = ["--dataset", str(built_dataset), "--model", str(folder), "--backend", "transformers", "--variants", "v1",
            "--quiet"]
    half, full = tmp_path / "half", tmp_path / "full"
    assert run_cli([*base, "--limit", "2", "--out", str(half), "--dtype", "bfloat16", "--batch-size", "2"]).exit_code == 0
    res = run_cli([*base, "--limit", "3", "--out", str(half), "--dtype", "bfloat16"])
    assert res.exit_code == 1 and "batch_size: 2 in the run, 1 now" in res.output, res.output
    # in float32 the batch size moves ratings by < 1e-5: a resume with another one is accepted
    assert run_cli([*base, "--limit", "2", "--out", str(full), "--batch-size", "2"]).exit_code == 0
    res = run_cli([*base, "--limit", "3", "--out", str(full)])
    assert res.exit_code == 0, res.output
    m = read_manifest(full)
    assert (m["dtype"], m["chat_template"], m["sessions"][-1]["batch_size"]) == ("float32", "off", 1)
    # another chat template or dtype is refused
    res = run_cli([*base, "--limit", "3", "--out", str(full), "--dtype", "bfloat16"])
    assert res.exit_code == 1 and "dtype:" in res.output


def test_server_slots_keep_queueing_out_of_the_timeout(built_dataset, tmp_path):
    """A server whose /props says total_slots 1 (llama.cpp's), concurrency 8, answers after 0.4 s, timeout 1 s:
    one request at a time reaches it (a one-slot llama.cpp would queue the rest, 2.8 s for the 8th, past the
    timeout); the others wait here, untimed, and every request is rated within its 1 s."""
    out = tmp_path / "run"
    with ChatServer(latency=0.4, slots=1) as server:
        res = run_cli(["--dataset", str(built_dataset), "--model", "scripted", "--base-url", server.base_url,
                       "--variants", "v1", "--limit", "8", "--out", str(out), "--concurrency", "8", "--timeout", "1",
                       "--max-attempts", "1", "--quiet"])
        assert server.max_in_flight == 1
    assert res.exit_code == 0, res.output
    assert [r["status"] for r in load_records(out)] == ["rated"] * 8
