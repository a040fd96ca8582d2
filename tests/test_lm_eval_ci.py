"""lm-evaluation-harness run for real (offline, in CI): lm-eval's ``hf`` model on the tests' tiny random model
with our task files; our reader's ratings from its logged samples equal our transformers backend's to 1e-6."""

from __future__ import annotations

import numpy as np
import pytest

for _module in ("torch", "transformers"):  # lm-eval's hf model; the transformers extra (CPU torch first)
    pytest.importorskip(_module, reason=f"{_module} is not installed: pip install torch==2.13.0 '.[transformers]'")
pytest.importorskip("lm_eval", reason="lm-evaluation-harness is not installed; it is not in the test extra (its hf "
                    "extra pulls CUDA torch). Install it as .ci/run does: pip install torch==2.13.0 '.[lm-eval]'")
from lm_eval import simple_evaluate  # noqa: E402
from lm_eval.loggers import EvaluationTracker  # noqa: E402
from lm_eval.tasks import TaskManager  # noqa: E402

from tiny_lm import make_tiny_model  # noqa: E402
from valueportrait.dataset import open_dataset  # noqa: E402
from valueportrait.lm_eval import task_dir  # noqa: E402
from valueportrait.ratings.lm_eval import samples_to_ratings  # noqa: E402
from valueportrait.runner.prompts import build_requests  # noqa: E402
from valueportrait.runner.transformers_backend import TransformersBackend  # noqa: E402
from valueportrait.scale import LIKERT  # noqa: E402

LIMIT = 3


@pytest.mark.slow
def test_lm_eval_run_on_a_tiny_model_equals_the_transformers_backend(tmp_path, built_dataset):
    data = open_dataset(built_dataset)
    reqs = build_requests(data.items, data.prompts, variants=["v1", "v3_reversed"], limit=LIMIT)
    corpus = [r.prompt for r in reqs] + [" " + p for p in LIKERT] * 20
    model = make_tiny_model(tmp_path / "tiny-lm", corpus, chat=False)
    backend = TransformersBackend(str(model), device="cpu").load()
    out = tmp_path / "lm-eval-out"
    # what `lm_eval run --model hf --include_path DIR --metadata '{"dataset": ...}' --log_samples --output_path OUT`
    # does, through lm-eval's API so that its ~10,000 built-in tasks are not indexed (include_defaults=False)
    tracker = EvaluationTracker(output_path=str(out))
    manager = TaskManager(include_path=str(task_dir()), include_defaults=False,
                          metadata={"dataset": str(built_dataset)})
    results = simple_evaluate(model="hf", model_args=f"pretrained={model},dtype=float32",
                              tasks=["valueportrait_v1", "valueportrait_v3_reversed"], task_manager=manager,
                              limit=LIMIT, device="cpu", batch_size=1, log_samples=True, evaluation_tracker=tracker)
    samples = results.pop("samples")
    tracker.save_results_aggregated(results=results, samples=samples)
    for name in results["configs"]:
        tracker.save_results_samples(task_name=name, samples=samples[name])
    assert results["results"]["valueportrait_v1"]["rating,none"] == pytest.approx(
        np.mean([backend.rate_sync(r).rating for r in reqs if r.variant == "v1"]), abs=1e-6)
    table = samples_to_ratings(out)
    assert len(table) == 2 * LIMIT and set(table["model"]) == {str(model)}
    expected = {r.key[:2]: backend.rate_sync(r).rating for r in reqs}
    got = {(i, v): x for i, v, x in zip(table["item_id"], table["variant"], table["rating"])}
    assert set(got) == set(expected)
    np.testing.assert_allclose([got[k] for k in expected], list(expected.values()), rtol=0, atol=1e-6)
