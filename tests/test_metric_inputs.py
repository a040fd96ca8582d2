"""The metric's bad and awkward inputs (issue 12), through ``evaluate.load`` and the plain function."""

from __future__ import annotations

import warnings

import pytest

import valueportrait
from valueportrait.errors import InputError
from valueportrait.evaluation import evaluate_ratings, metric_predictions
from valueportrait.scale import VARIANTS


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_EVALUATE_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def metric(built_dataset):
    import evaluate

    return evaluate.load(valueportrait.metric_path(), dataset=str(built_dataset))


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
    for kw, msg in [({"threshold": "high"}, "threshold must be a number from 0 to 1"),
                    ({"threshold": True}, "threshold must be a number"),
                    ({"threshold": 1.5}, "threshold must be a number"),
                    ({"alpha": 0}, "alpha must be a number above 0"),
                    ({"alpha": float("nan")}, "alpha must be a number")]:
        with pytest.raises(InputError, match=msg):
            metric.compute(predictions=[4] * len(ids), references=ids, n_boot=0, **kw)
    with pytest.raises(InputError, match="variants holds label\\(s\\) that are not prompt variants: 'v9'; the "
                                         f"known variants are {', '.join(VARIANTS)}"):
        metric.compute(predictions=[4, 5], references=ids[:2], variants=["v1", "v9"], n_boot=0)
    with pytest.raises(InputError, match="n_boot"):
        metric.compute(predictions=[4] * len(ids), references=ids, n_boot=-5)


def test_duplicated_item_variant_rows_are_counted_with_a_warning(metric, ids):
    preds = [4] * len(ids) + [6, 6]
    refs = ids + ids[:2]
    with pytest.warns(UserWarning, match=r"2 rating\(s\) repeat an \(item, variant\) already rated"):
        res = metric.compute(predictions=preds, references=refs, variants=["v1"] * len(refs), n_boot=0)
    assert res["counts"]["duplicates"] == 2 and res["counts"]["ratings"] == len(ids) + 2
    # no variants: several ratings of an item are the documented average over prompts, not duplicates
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = metric.compute(predictions=preds, references=refs, n_boot=0)
    assert res["counts"]["duplicates"] == 0
    # the same item under two variants is not a duplicate either
    res = metric.compute(predictions=[4, 5], references=[ids[0], ids[0]], variants=["v1", "v2"], n_boot=0)
    assert res["counts"]["duplicates"] == 0
