"""The lm-evaluation-harness task files load (pyyaml, with lm-eval's !function tag) and their functions work."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

yaml = pytest.importorskip("yaml")

from valueportrait.scale import DIMENSIONS, LIKERT, VARIANTS  # noqa: E402
from valueportrait.errors import DatasetError, InputError  # noqa: E402
from valueportrait.lm_eval import task_dir, utils  # noqa: E402
from valueportrait.ratings.lm_eval import ratings_from_samples, samples_to_ratings  # noqa: E402
from valueportrait.runner.prompts import build_requests  # noqa: E402


class _Loader(yaml.SafeLoader):
    """pyyaml loader resolving ``!function utils.name`` the way lm-eval does (module beside the YAML file)."""


def _function(loader, node):
    module, name = loader.construct_scalar(node).rsplit(".", 1)
    assert module == "utils"
    return getattr(utils, name)


_Loader.add_constructor("!function", _function)


def load_yaml(name):
    """A task file as lm-eval reads it: an ``include``d file's settings first, the file's own on top."""
    cfg = yaml.load((task_dir() / name).read_text(encoding="utf-8"), Loader=_Loader)
    if "include" in cfg:
        cfg = load_yaml(cfg.pop("include")) | cfg
    return cfg


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_variant_file_is_the_template_plus_its_name(variant):
    raw = yaml.load((task_dir() / f"valueportrait_{variant}.yaml").read_text(encoding="utf-8"), Loader=_Loader)
    assert raw == {"include": "_valueportrait_template_yaml", "task": f"valueportrait_{variant}",
                   "dataset_kwargs": {"variant": variant}}


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_task_configs_load(variant):
    cfg = load_yaml(f"valueportrait_{variant}.yaml")
    assert cfg["task"] == f"valueportrait_{variant}"
    assert cfg["dataset_kwargs"] == {"variant": variant}
    assert cfg["output_type"] == "multiple_choice" and cfg["test_split"] == "test" and cfg["num_fewshot"] == 0
    for key in ("custom_dataset", "doc_to_text", "doc_to_choice", "doc_to_target", "process_results"):
        assert callable(cfg[key]), key
    produced = set(utils.process_results({}, [(-1.0, False)] * 6))
    dims = [utils.metric_name(d) for _, d in DIMENSIONS]
    assert [m["metric"] for m in cfg["metric_list"]] == [*dims, "rating", "rating_argmax"]
    assert set(dims) | {"rating", "rating_argmax"} == produced
    assert all(m["higher_is_better"] is True for m in cfg["metric_list"])  # lm-eval warns where it is unset
    assert [m["aggregation"].__name__ for m in cfg["metric_list"][:19]] == [f"portrait_{d}" for d in dims]
    assert cfg["metadata"]["version"] == 1.0


def test_group_config_lists_the_six_tasks():
    cfg = load_yaml("valueportrait.yaml")
    assert cfg["group"] == "valueportrait"
    assert cfg["task"] == [f"valueportrait_{v}" for v in VARIANTS]
    assert sorted(p.name for p in task_dir().glob("*.yaml")) == sorted(
        ["valueportrait.yaml", *(f"valueportrait_{v}.yaml" for v in VARIANTS)])


def test_load_docs_and_doc_functions(built_dataset):
    cfg = load_yaml("valueportrait_v2_reversed.yaml")
    # lm-eval calls custom_dataset(**(dataset_kwargs | metadata)); --metadata adds "dataset"
    ds = cfg["custom_dataset"](**(cfg["dataset_kwargs"] | cfg["metadata"] | {"dataset": str(built_dataset)}))
    test = ds["test"]
    assert len(test) == 520 and set(test.column_names) == {"item_id", "variant", "template", "prompt", "dataset",
                                                           "revision"}
    assert set(test["dataset"]) == {str(built_dataset.absolute())}  # recorded in every logged doc
    from valueportrait.dataset import open_dataset

    data = open_dataset(built_dataset)
    reqs = build_requests(data.items, data.prompts, variants=["v2_reversed"], limit=3)
    for doc, req in zip(test.select(range(3)), reqs):
        assert doc["item_id"] == req.item_id
        assert cfg["doc_to_text"](doc) == req.prompt + "\n\nAnswer:"
    choices = cfg["doc_to_choice"](test[0])
    assert [LIKERT[c] for c in choices] == [1, 2, 3, 4, 5, 6]
    assert cfg["doc_to_target"](test[0]) == ""


def test_load_docs_errors(monkeypatch):
    monkeypatch.delenv("VALUEPORTRAIT_DATASET", raising=False)
    with pytest.raises(DatasetError, match=r"--metadata '\{\"dataset\": \"PATH_OR_HUB_REPO\"\}'"):
        utils.load_docs(variant="v1", version=1.0)
    with pytest.raises(InputError, match="unknown prompt variant"):
        utils.load_docs(variant="v9", dataset="x")


def test_process_results_expected_and_argmax_rating():
    lls = np.log([0.05, 0.05, 0.1, 0.2, 0.5, 0.1])  # ratings 1..6
    out = utils.process_results({"item_id": "1003-1"}, [(float(x), False) for x in lls])
    assert out["rating"] == pytest.approx(0.05 + 0.1 + 0.3 + 0.8 + 2.5 + 0.6, abs=1e-12)
    assert out["rating_argmax"] == 5.0
    with pytest.raises(InputError, match="item 1003-1: expected 6 log-likelihoods, got 2"):
        utils.process_results({"item_id": "1003-1"}, [(0.0, False)] * 2)


def test_portrait_dimensions_are_the_core_portrait(built_dataset):
    """Each dimension's aggregation of the cells process_results logs is score_portrait's centred score."""
    import pandas as pd

    from valueportrait.dataset import open_dataset
    from valueportrait.scoring import score_portrait

    data = open_dataset(built_dataset)
    rng = np.random.default_rng(0)
    items = data.items["item_id"].tolist()
    docs = [{"item_id": i, "dataset": str(built_dataset), "revision": None} for i in items]
    lls = [rng.normal(size=6).tolist() for _ in docs]
    outs = [utils.process_results(d, [(x, False) for x in ll]) for d, ll in zip(docs, lls)]
    expected = score_portrait(pd.DataFrame({"item_id": items, "rating": [o["rating"] for o in outs]}),
                              data.selection()).set_index("dimension")["score"]
    for _, dim in DIMENSIONS:
        name = utils.metric_name(dim)
        got = getattr(utils, f"portrait_{name}")([o[name] for o in outs])
        assert got == pytest.approx(expected[dim], abs=1e-12), dim


def test_ratings_from_samples(tmp_path):
    lines = [
        {"doc_id": 0, "doc": {"item_id": "1003-1", "variant": "v1"}, "rating": 4.25, "rating_argmax": 4.0},
        {"doc_id": 1, "doc": {"item_id": "1003-2", "variant": "v1"},
         "filtered_resps": [[str(x), "False"] for x in np.log([0.5, 0.1, 0.1, 0.1, 0.1, 0.1])]},
    ]
    path = tmp_path / "samples_valueportrait_v1.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    table = ratings_from_samples(path, "tiny")
    assert table["item_id"].tolist() == ["1003-1", "1003-2"] and table["model"].tolist() == ["tiny"] * 2
    assert table["rating"].tolist()[0] == 4.25
    assert table["rating"].tolist()[1] == pytest.approx(0.5 + 0.1 * (2 + 3 + 4 + 5 + 6), abs=1e-12)
    assert math.isnan(table["persona"].tolist()[0]) or table["persona"].tolist()[0] is None
    path.write_text('{"doc": {"item_id": "1003-1"}}\n')
    with pytest.raises(InputError, match="line 1: not an lm-eval sample"):
        ratings_from_samples(path, "tiny")


def _sample(doc_id, item_id, variant, lls, *, logged_rating=True):
    """One line of lm-eval 0.4.13's samples_<task>_<time>.jsonl as written for these tasks (fields as in a real
    run on a tiny model; prompt abridged, hashes dropped)."""
    line = {"doc_id": doc_id, "doc": {"item_id": item_id, "variant": variant, "template": "reddit", "prompt": "..."},
            "target": "",
            "arguments": {f"gen_args_{i}": {"arg_0": "...\n\nAnswer:", "arg_1": " " + p}
                          for i, p in enumerate(utils.PHRASES)},
            "resps": [[[str(x), "False"]] for x in lls], "filtered_resps": [[str(x), "False"] for x in lls],
            "filter": "none", "metrics": ["rating", "rating_argmax"]}
    if logged_rating:
        line |= utils.process_results(line["doc"], line["filtered_resps"])
    return json.dumps(line)


def test_samples_to_ratings_reads_an_output_folder(tmp_path):
    lls = np.log([0.05, 0.05, 0.1, 0.2, 0.5, 0.1])  # expected rating 4.35 (ratings 1..6)
    flat = np.log([1 / 6] * 6)  # expected rating 3.5
    out = tmp_path / "lm-eval-out" / "__tmp__tiny-lm"
    out.mkdir(parents=True)
    (out / "results_2026-11-22T14-45-18.004239.json").write_text(json.dumps({"model_name": "/tmp/tiny-lm"}))
    # v1 written twice (two lm_eval runs into one --output_path): the later file wins
    (out / "samples_valueportrait_v1_2026-11-22T14-44-36.363900.jsonl").write_text(
        _sample(0, "1003-1", "v1", flat) + "\n")
    (out / "samples_valueportrait_v1_2026-11-22T14-45-18.004239.jsonl").write_text(
        "\n".join([_sample(0, "1003-1", "v1", lls), _sample(1, "1003-2", "v1", flat, logged_rating=False)]) + "\n")
    (out / "samples_valueportrait_v2_reversed_2026-11-22T14-45-18.004239.jsonl").write_text(
        _sample(0, "1003-1", "v2_reversed", flat) + "\n")
    (out / "samples_valueportrait_v1_reversed_2026-11-22T14-45-18.004239.jsonl").write_text(
        _sample(0, "1006-1", "v1_reversed", lls) + "\n")
    table = samples_to_ratings(tmp_path / "lm-eval-out")
    assert list(table.columns) == ["model", "item_id", "variant", "persona", "rating"]
    assert table["model"].tolist() == ["/tmp/tiny-lm"] * 4
    assert table["variant"].tolist() == ["v1", "v1", "v1_reversed", "v2_reversed"]  # paper order
    assert table["item_id"].tolist() == ["1003-1", "1003-2", "1006-1", "1003-1"]
    assert table["rating"].tolist() == pytest.approx([4.35, 3.5, 4.35, 3.5], abs=1e-12)
    one = samples_to_ratings(out / "samples_valueportrait_v2_reversed_2026-11-22T14-45-18.004239.jsonl",
                                   "mine", persona="p1")
    assert one[["model", "item_id", "persona"]].values.tolist() == [["mine", "1003-1", "p1"]]


def test_samples_to_ratings_errors(tmp_path):
    with pytest.raises(InputError, match="no such file or folder"):
        samples_to_ratings(tmp_path / "missing")
    with pytest.raises(InputError, match="no samples_valueportrait_<variant>_<time>.jsonl file in it"):
        samples_to_ratings(tmp_path)
    flat = np.log([1 / 6] * 6)
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "samples_valueportrait_v1_2026-11-22T14-45-18.004239.jsonl").write_text(
            _sample(0, "1003-1", "v1", flat) + "\n")
    with pytest.raises(InputError, match="samples of several lm-eval runs/models"):
        samples_to_ratings(tmp_path)
    with pytest.raises(InputError, match="no lm-eval results_\\*.json with model_name beside the samples"):
        samples_to_ratings(tmp_path / "a")
    assert samples_to_ratings(tmp_path / "a", "m")["rating"].tolist() == pytest.approx([3.5], abs=1e-12)
