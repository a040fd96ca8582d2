"""The evaluate module: offline loading, the card's and the docstring's examples, errors, awkward inputs."""

from __future__ import annotations

import doctest
import re
import warnings
from pathlib import Path

import pytest

import valueportrait
from valueportrait.errors import DatasetError, InputError
from valueportrait.evaluation import evaluate_ratings
from valueportrait.metric_inputs import metric_predictions
from valueportrait.scale import VARIANTS

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
    # one unit, one estimator: a persona's interval is the scores' (ci_over="variants", t-analytic); one rating
    # per item gives none, with the note that says why
    cells = [c for r in result["personas"].values() for dims in r["scores"].values() for c in dims.values()
             if c["score"] is not None]
    assert cells and all(c["ci_low"] is None and c["ci_over"] == "variants" and c["ci_method"] == "t-analytic"
                         and "needs >= 2 ratings per item" in c["note"] for c in cells)
    # coverage per persona: 40 of the 520 items, one rating each (no variants given)
    cov = result["personas"]["a"]["coverage"]
    assert (cov["rated"], cov["requests"], cov["partial"]) == (40, 520, True)
    assert result["coverage"]["requests"] == 520 * 2 and result["coverage"]["share"] == pytest.approx(80 / 1040)
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
    with pytest.raises(InputError, match=r"2 of the 3 predictions are not ratings: \[0\] '0', \[2\] '6\.5'"):
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


# -- bad and awkward inputs (issue 12) ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def ids(metric):
    return metric.item_ids()


def test_mixed_and_numeric_string_lists_are_read_as_text(metric, ids):
    # Reference: the same ratings given as plain numbers (5 = "like me", 4 = "somewhat like me").
    n = len(ids)
    numbers = [5 if k % 2 else 4 for k in range(n)]
    expected = metric.compute(predictions=numbers, references=ids, n_boot=0)
    texts = [("like me" if k % 2 else "4") for k in range(n)]  # first element a numeric string
    mixed = [("like me" if k % 2 else 4) for k in range(n)]  # numbers and phrases
    for preds in (texts, mixed):
        got = metric.compute(predictions=preds, references=ids, n_boot=0)
        assert got["scores"] == expected["scores"] and got["counts"] == expected["counts"]
    with_none = [None] + texts[1:]  # None first, then text: a missing answer, not a float
    got = metric.compute(predictions=with_none, references=ids, n_boot=0)
    assert got["counts"]["missing_or_unparseable"] == 1


def test_empty_and_boolean_predictions_are_clear_errors(metric, ids):
    with pytest.raises(InputError, match="predictions is empty"):
        metric.compute(predictions=[], references=[])
    with pytest.raises(InputError, match=r"1 of the 3 predictions are booleans \('\[1\] True'\), not ratings"):
        metric.compute(predictions=[5, True, 4], references=ids[:3])
    with pytest.raises(InputError, match="are booleans"):
        metric.compute(predictions=[True] * 3, references=ids[:3])  # evaluate alone would read 1.0
    with pytest.raises(InputError, match="1 of the 1 prediction are booleans"):
        metric.add(prediction=False, reference=ids[0])
    with pytest.raises(InputError, match="predictions is empty"):
        evaluate_ratings([], [], dataset="unused")
    assert metric_predictions([4.5, "5", None, 1 / 3]) == ["4.5", "5", "", "0.3333333333333333"]


def test_threshold_alpha_and_variant_labels_are_checked(metric, ids):
    for kw, msg in [({"threshold": "high"}, r"threshold must be in \[0, 1\) .*, got 'high'"),
                    ({"threshold": True}, "threshold must be in"),
                    ({"threshold": 1.5}, "threshold must be in"),
                    ({"alpha": 0}, r"alpha must be in \(0, 1\]"),
                    ({"alpha": float("nan")}, "alpha must be in")]:
        with pytest.raises(InputError, match=msg):
            metric.compute(predictions=[4] * len(ids), references=ids, n_boot=0, **kw)
    with pytest.raises(InputError, match="variants holds label\\(s\\) that are not prompt variants: 'v9'; the "
                                         f"known variants are {', '.join(VARIANTS)}"):
        metric.compute(predictions=[4, 5], references=ids[:2], variants=["v1", "v9"], n_boot=0)
    with pytest.raises(InputError, match="n_boot"):
        metric.compute(predictions=[4] * len(ids), references=ids, n_boot=-5)


def test_duplicated_item_variant_rows_are_an_error_unless_a_policy_is_chosen(metric, ids):
    preds = [4] * len(ids) + [6, 6]
    refs = ids + ids[:2]
    variants = ["v1"] * len(refs)
    with pytest.raises(InputError, match=r"2 rating\(s\) repeat a request already rated .*item 1003-1, variant "
                                         r"v1\) 2 times in predictions.*duplicates='first' or 'mean'"):
        metric.compute(predictions=preds, references=refs, variants=variants, n_boot=0)
    single = metric.compute(predictions=preds[:len(ids)], references=ids, variants=variants[:len(ids)], n_boot=0)
    first = metric.compute(predictions=preds, references=refs, variants=variants, n_boot=0, duplicates="first")
    assert first["counts"]["duplicates"] == 2 and first["counts"]["ratings"] == len(ids)
    assert first["scores"] == single["scores"]  # keeping the first of each: the single file's portrait
    mean = metric.compute(predictions=preds, references=refs, variants=variants, n_boot=0, duplicates="mean")
    assert mean["counts"]["duplicates"] == 2
    assert mean["family_means"]["bfi"] != single["family_means"]["bfi"]  # items 1003-1/-2 averaged to 5
    with pytest.raises(InputError, match="unknown duplicates policy 'last'"):
        metric.compute(predictions=preds, references=refs, variants=variants, n_boot=0, duplicates="last")
    # no variants: several ratings of an item are the documented average over prompts, not duplicates
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = metric.compute(predictions=preds, references=refs, n_boot=0)
    assert res["counts"]["duplicates"] == 0
    # the same item under two variants is not a duplicate either
    res = metric.compute(predictions=[4, 5], references=[ids[0], ids[0]], variants=["v1", "v2"], n_boot=0)
    assert res["counts"]["duplicates"] == 0
    with pytest.raises(InputError, match="1 persona label\\(s\\) are empty"):
        metric.compute(predictions=[4, 5], references=ids[:2], personas=["a", " "], n_boot=0)
