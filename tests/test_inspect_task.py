"""The Inspect task ``valueportrait/value_portrait``, run for real and offline: with Inspect's mockllm (its outputs
given a ``usage``, so no tokenizer is downloaded) and, through the ``inspect`` command, against the scripted
OpenAI-compatible server on 127.0.0.1 (``--model openai-api/local/...`` with ``LOCAL_BASE_URL``). Its logs are read
back with ``valueportrait score``."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

inspect_ai = pytest.importorskip("inspect_ai")

from inspect_ai.model import ModelOutput, ModelUsage  # noqa: E402

from chat_server import PHRASE_OF, ChatServer  # noqa: E402
from valueportrait.cli.main import cli  # noqa: E402
from valueportrait.dataset import open_dataset  # noqa: E402
from valueportrait.errors import DatasetError, InputError  # noqa: E402
from valueportrait.inspect_task import is_eval_log_source, read_eval_ratings  # noqa: E402
from valueportrait.inspect_task.task import item_major, value_portrait  # noqa: E402
from valueportrait.ratings import read_ratings  # noqa: E402
from valueportrait.runner.prompts import Persona, build_requests  # noqa: E402
from valueportrait.scoring import score_portrait  # noqa: E402

OFFLINE = {"HF_HUB_OFFLINE": "1", "INSPECT_DISPLAY": "none"}


def rating_of(prompt: str) -> int | None:
    """The scripted model's answer to a prompt: a rating 1..6 from its hash, or None (no Likert phrase) for
    about one prompt in 8."""
    h = int(hashlib.sha256(prompt.encode()).hexdigest()[:8], 16)
    return None if h % 8 == 0 else h % 6 + 1


def answer_of(prompt: str) -> str:
    r = rating_of(prompt)
    return "I would rather not say." if r is None else f"{PHRASE_OF[r].capitalize()}."


@pytest.fixture(scope="module")
def data(built_dataset):
    return open_dataset(built_dataset)


def _mock_output(input, tools, tool_choice, config):
    out = ModelOutput.from_content(model="mockllm", content=answer_of(input[-1].text))
    out.usage = ModelUsage(input_tokens=10, output_tokens=3, total_tokens=13)
    return out


def test_samples_follow_the_runner_requests(built_dataset, data, tmp_path, monkeypatch):
    personas = tmp_path / "personas.jsonl"
    personas.write_text('{"label": "nurse", "text": "a nurse from Ohio"}\n{"label": "cook", "text": "a cook"}\n')
    task = value_portrait(variants="v3,v1", personas=str(personas), dataset=str(built_dataset))
    samples = list(task.dataset)
    reqs = item_major(build_requests(data.items, data.prompts, variants=["v1", "v3"],
                                     personas=[Persona("nurse", "a nurse from Ohio"), Persona("cook", "a cook")]))
    assert len(samples) == len(reqs) == 2 * 2 * 520
    # item by item, each under every variant: --limit 4 covers 2 items under both variants
    assert [(s.metadata["item_id"], s.metadata["variant"]) for s in samples[:4]] == [
        (data.items["item_id"][0], "v1"), (data.items["item_id"][0], "v3"),
        (data.items["item_id"][1], "v1"), (data.items["item_id"][1], "v3")]
    for s, r in zip(samples[::97], reqs[::97]):
        assert s.metadata == {"item_id": r.item_id, "variant": r.variant, "persona": r.persona}
        assert [(m.role, m.text) for m in s.input] == [(m["role"], m["content"]) for m in r.messages]
    assert len({s.id for s in samples}) == len(samples)
    monkeypatch.setenv("VALUEPORTRAIT_DATASET", str(built_dataset))
    assert [s.metadata["persona"] for s in value_portrait(variants="v2", persona="a farmer").dataset][:2] == \
        ["a farmer"] * 2
    monkeypatch.delenv("VALUEPORTRAIT_DATASET")
    with pytest.raises(DatasetError, match="-T dataset=PATH_OR_HUB_REPO"):
        value_portrait()
    with pytest.raises(InputError, match="either -T persona=TEXT or -T personas=FILE"):
        value_portrait(persona="x", personas=str(personas), dataset=str(built_dataset))
    with pytest.raises(InputError, match="unknown prompt variant"):
        value_portrait(variants="v9", dataset=str(built_dataset))


def test_mockllm_eval_metrics_are_the_core_portrait(built_dataset, data, tmp_path, monkeypatch):
    for k, v in OFFLINE.items():
        monkeypatch.setenv(k, v)
    n = 160
    (log,) = inspect_ai.eval("valueportrait/value_portrait", model="mockllm/model",
                             model_args={"custom_outputs": _mock_output},
                             task_args={"dataset": str(built_dataset), "variants": "v2_reversed"}, limit=n,
                             log_dir=str(tmp_path / "logs"), display="none", log_realtime=False, max_samples=n)
    assert log.status == "success" and log.eval.task == "valueportrait/value_portrait" and len(log.samples) == n
    reqs = build_requests(data.items, data.prompts, variants=["v2_reversed"], limit=n)
    expected = pd.DataFrame({"item_id": [r.item_id for r in reqs],
                             "rating": [rating_of(r.prompt) for r in reqs]}).astype({"rating": float})
    assert expected["rating"].isna().sum() > 5  # some answers carry no Likert phrase
    # the log read back: one row per sample, NaN for the unparseable answers
    table = read_eval_ratings(log.location)
    assert list(table.columns) == ["model", "item_id", "variant", "persona", "rating"]
    assert set(table["model"]) == {"mockllm/model"} and set(table["variant"]) == {"v2_reversed"}
    got = table.set_index("item_id")["rating"].loc[expected["item_id"]]
    np.testing.assert_array_equal(got.to_numpy(), expected["rating"].to_numpy())
    # the task's metrics: the mean rating and the portrait by valueportrait.scoring.score_portrait
    metrics = {m.name: m.value for s in log.results.scores for m in s.metrics.values()}
    assert list(metrics)[-1] == "mean" and list(metrics)[0].replace("_", "-") == "Self-Direction"  # portrait first
    assert log.eval.metadata["valueportrait_dataset"] == str(built_dataset.absolute())
    assert metrics["mean"] == pytest.approx(expected["rating"].mean(), abs=1e-12)
    portrait = score_portrait(expected, data.selection()).set_index("dimension")["score"]
    present = portrait.dropna()
    assert len(present) >= 15  # 160 items leave a dimension or so without a selected item
    assert {k: metrics[k] for k in present.index} == pytest.approx(present.to_dict(), abs=1e-9)
    assert not set(portrait.index[portrait.isna()]) & set(metrics)  # those are left out, not reported as 0
    assert is_eval_log_source(log.location) and is_eval_log_source(tmp_path / "logs")
    assert read_ratings(tmp_path / "logs").equals(table)  # the ratings reader dispatches to the log reader
    # a log copied into the folder answers every request twice: an error naming both logs (issue 21), unless a
    # policy keeps one
    import shutil as _shutil

    copy = tmp_path / "logs" / "copy.eval"
    _shutil.copyfile(log.location, copy)
    with pytest.raises(InputError, match=rf"{n} rating\(s\) repeat a request already rated .* 2 times in .*copy\.eval"):
        read_ratings(tmp_path / "logs")
    assert read_ratings(tmp_path / "logs", duplicates="first").equals(table)


# The `inspect` command: the one installed beside this interpreter (its inspect_ai sees this package's entry point),
# else the first on PATH. The skip and the run use this same path.
INSPECT = shutil.which("inspect", path=os.path.dirname(sys.executable)) or shutil.which("inspect")


@pytest.mark.slow  # an end-to-end run of the inspect command against a server
@pytest.mark.skipif(INSPECT is None, reason=f"needs the inspect command (none beside {sys.executable} or on PATH)")
def test_inspect_cli_against_a_local_server_then_valueportrait_score(built_dataset, data, tmp_path):
    seen = []

    def answer(messages):
        seen.append(messages)
        return answer_of(messages[-1]["content"])

    logs = tmp_path / "logs"
    with ChatServer(answer=answer) as server:
        env = {**os.environ, **OFFLINE, "LOCAL_BASE_URL": server.base_url, "LOCAL_API_KEY": "local-key"}
        cmd = [INSPECT, "eval", "valueportrait/value_portrait",
               "--model", "openai-api/local/scripted", "-T", f"dataset={built_dataset}", "-T", "variants=v1,v3",
               "-T", "persona=a retired farmer", "--limit", "12", "--log-dir", str(logs), "--display", "none"]
        res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    assert len(seen) == 12 and seen[0][0] == {"role": "system", "content": Persona(
        "a retired farmer", "a retired farmer").system_message()}
    reqs = item_major(build_requests(data.items, data.prompts, variants=["v1", "v3"],
                                     personas=[Persona("a retired farmer", "a retired farmer")]))[:12]
    assert {r.variant for r in reqs} == {"v1", "v3"}  # --limit 12 covers both variants
    table = read_eval_ratings(logs)
    assert table[["item_id", "variant", "persona"]].values.tolist() == [[r.item_id, r.variant, r.persona]
                                                                        for r in reqs]
    np.testing.assert_array_equal(table["rating"].to_numpy(),
                                  np.array([rating_of(r.prompt) for r in reqs], dtype=float))
    out = tmp_path / "scores"
    # no --dataset: the log records the dataset it was run on
    score = CliRunner().invoke(cli, ["score", str(logs), "--n-boot", "0", "--no-humans", "--out", str(out)])
    assert score.exit_code == 0, score.output
    board = json.loads((out / "leaderboard.json").read_text())
    assert "openai-api/local/scripted" in json.dumps(board)


def test_read_eval_ratings_errors(tmp_path):
    with pytest.raises(InputError, match="no Inspect .eval log in it"):
        read_eval_ratings(tmp_path)
    bad = tmp_path / "broken.eval"
    bad.write_text("not a zip")
    with pytest.raises(InputError, match="broken.eval: not a readable Inspect log"):
        read_eval_ratings(bad)
    assert not is_eval_log_source(tmp_path / "nothing.csv")
