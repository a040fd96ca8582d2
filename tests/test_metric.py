"""The evaluate module: offline loading, the card's and the docstring's examples, errors."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

import valueportrait
from valueportrait.errors import DatasetError, InputError

CARD = Path(valueportrait.metric_path()).with_name("README.md")


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("HF_EVALUATE_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def metric(built_dataset):
    import evaluate

    return evaluate.load(valueportrait.metric_path(), dataset=str(built_dataset))


def _run_doctest(text: str, globs: dict, name: str) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, globs, name, None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    res = runner.summarize(verbose=False)
    assert res.attempted > 0 and res.failed == 0


def test_card_examples_run(built_dataset, demo_build):
    code = "\n".join(re.findall(r"```python\n(.*?)```", CARD.read_text(encoding="utf-8"), flags=re.S))
    # DEMO_DATASET: built with SYNTHETIC demographics (tests/conftest.py, demo_build)
    _run_doctest(code, {"DATASET": str(built_dataset), "DEMO_DATASET": str(demo_build["out"])}, "metric/README.md")


def test_module_docstring_examples_run(built_dataset):
    from valueportrait.metric import metric as module

    _run_doctest(module._KWARGS_DESCRIPTION, {"DATASET": str(built_dataset)}, "_KWARGS_DESCRIPTION")


def test_card_has_evaluate_sections():
    text = CARD.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    for section in ["Metric Description", "How to Use", "Inputs", "Output Values", "Examples",
                    "Limitations and Bias", "Citation"]:
        assert re.search(rf"^##+ {section}$", text, flags=re.M), section


def test_reproduces_upstream_through_evaluate(metric, raw_dir):
    """A real model through evaluate.load equals score_portrait (and so upstream's published pvq scores)."""
    import json

    from valueportrait.ratings.upstream import read_upstream_outputs

    rt = read_upstream_outputs(raw_dir / "lm_evaluation" / "outputs" / "final", models=["gpt-4o-2024-11-20"])
    result = metric.compute(predictions=rt["response"].tolist(), references=rt["item_id"].tolist(),
                            variants=rt["variant"].tolist(), n_boot=200)
    pub = json.loads((raw_dir / "lm_evaluation" / "score_results" / "final_results_0.3_pos_centered" /
                      "gpt-4o-2024-11-20_averaged_results_0.3_pos_centered_scores.json").read_text())["scores"]
    for dim, cell in result["scores"]["pvq"].items():
        assert cell["score"] == pytest.approx(pub["pvq"][dim]["centered_mean"], abs=1e-9)
        assert cell["n"] == pub["pvq"][dim]["n"]
        assert cell["ci_low"] < cell["score"] < cell["ci_high"]
    # 520 items x 6 prompt variants = 3120 answers in upstream's gpt-4o files, none an error entry
    assert result["counts"]["ratings"] == 3120 and result["counts"]["missing_or_unparseable"] == 0
    ps = result["prompt_sensitivity"]
    assert ps["prompt_sensitivity"] == pytest.approx(330 / 520)  # 330 of 520 items differ across v1/v2/v3
    json.dumps(result)  # JSON-serialisable


def test_personas(metric):
    ids = metric.item_ids()[:40]
    result = metric.compute(predictions=[5] * 40 + [2] * 40, references=ids * 2, personas=["a"] * 40 + ["b"] * 40,
                            n_boot=0)
    assert set(result["personas"]) == {"a", "b"}
    assert result["personas"]["a"]["family_means"]["pvq"] == 5.0  # persona a rated every item 5
    assert result["family_means"]["pvq"] == 3.5  # pooled: each item's mean of 5 and 2
    # n_boot=0: no intervals for the personas (their item bootstrap); the pooled scores' interval is over the
    # spread of each item's ratings (ci_over="variants", a t interval: symmetric about the score)
    cells = [c for r in result["personas"].values() for dims in r["scores"].values() for c in dims.values()]
    assert all(c["ci_low"] is None and c["ci_high"] is None and c["ci_over"] == "items" for c in cells)
    pooled = [c for dims in result["scores"].values() for c in dims.values() if c["score"] is not None]
    assert pooled and all(c["ci_over"] == "variants" for c in pooled)
    assert all(c["score"] - c["ci_low"] == pytest.approx(c["ci_high"] - c["score"]) for c in pooled)
    assert result["reliability"] is None  # no variants given


def test_dataset_given_at_compute(built_dataset):
    import evaluate

    bare = evaluate.load(valueportrait.metric_path())
    with pytest.raises(DatasetError, match="needs the dataset's item selection"):
        bare.compute(predictions=[5], references=["1008-1"])
    out = bare.compute(predictions=[5], references=["1008-1"], dataset=str(built_dataset), n_boot=0)
    assert out["counts"]["ratings"] == 1 and out["settings"]["dataset"] == str(built_dataset)


def test_errors(metric):
    with pytest.raises(InputError, match=r"3 reference\(s\) are not item ids of this dataset: '1-1', '2-2', '3-3'"):
        metric.compute(predictions=[5, 5, 5], references=["1-1", "2-2", "3-3"])
    with pytest.raises(InputError, match=r"2 of the 3 predictions are not ratings: \[0\] 0\.0, \[2\] 6\.5"):
        metric.compute(predictions=[0, 5, 6.5], references=["1008-1"] * 3)
    with pytest.raises(ValueError, match=r"Mismatch in the number of predictions \(2\) and references \(1\)"):
        metric.compute(predictions=[5, 4], references=["1008-1"])
    with pytest.raises(InputError, match=r"variants \(1\) and predictions \(2\) differ in length"):
        metric.compute(predictions=[5, 4], references=["1008-1", "1008-2"], variants=["v1"])


def test_evaluate_load_takes_the_metric_folder_too(built_dataset, tmp_path, monkeypatch):
    # evaluate.load(DIR) looks for DIR/<basename of DIR>.py: metric/metric.py; the repo-relative path works too
    folder = Path(valueportrait.metric_path()).parent
    assert Path(valueportrait.metric_path()).name == f"{folder.name}.py"
    import evaluate

    ids = ["4050-5", "4044-2", "3055-4", "2041-3", "1029-3"]  # one Big Five dimension each (tests/test_cli_score.py)
    for where in (str(folder), "metric"):
        monkeypatch.chdir(folder.parent)
        metric = evaluate.load(where, dataset=str(built_dataset))
        result = metric.compute(predictions=[6, 5, 4, 3, 2], references=ids)
        # hand computation: family mean 4, Openness 6 - 4
        assert result["scores"]["bfi"]["Openness"]["score"] == 2.0
