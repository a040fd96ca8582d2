"""The run directory: durable append, resume, torn-line repair, identity check, ratings table, upstream export."""

from __future__ import annotations

import hashlib
import json
import math

import pandas as pd
import pytest

from valueportrait.dataset import open_dataset
from valueportrait.errors import OutputExistsError, RunError
from valueportrait.runner.prompts import fingerprint
from valueportrait.ratings import ratings_frame
from valueportrait.ratings.runs import RECORDS, latest_records, load_records, read_manifest, read_run_ratings
from valueportrait.runner.rundir import RunLog, export_upstream


def manifest(**over):
    base = {"format": "valueportrait-run", "format_version": 1, "model": "m", "backend": "openai",
            "temperature": 0.0, "max_tokens": 64, "seed": 42, "variants": ["v1"], "personas": [],
            "persona_template": None, "dataset_fingerprint": "abc", "scoring": "generation+parse", "sessions": []}
    return {**base, **over}


def rec(item, status="rated", rating=5.0, variant="v1", persona=None, **kw):
    return {"item_id": item, "variant": variant, "persona": persona, "status": status, "rating": rating, "raw": None,
            "distribution": None, "loglik": None, "argmax": None, "error": kw.get("error"), "attempts": 1,
            "latency_s": 0.1, "finished_at": "2026-01-01T00:00:00+00:00"}


def test_create_append_resume(tmp_path):
    run = tmp_path / "run"
    with RunLog.open(run, manifest()) as log:
        log.append(rec("1003-1"))
        log.append(rec("1003-2", status="unparseable", rating=None))
        log.append(rec("1003-3", status="failed", rating=None, error="HTTP 500"))
    assert (run / RECORDS).read_bytes().count(b"\n") == 3
    with RunLog.open(run, manifest()) as log:
        # rated and unparseable are done; failed is tried again
        assert log.done == {("1003-1", "v1", None), ("1003-2", "v1", None)}
        assert log.records_before == 3 and log.repaired_bytes == 0
        log.append(rec("1003-3", rating=2.0))
    table = read_run_ratings(run)
    assert table["item_id"].tolist() == ["1003-1", "1003-2", "1003-3"]
    assert table["rating"].tolist()[0] == 5.0 and math.isnan(table["rating"].tolist()[1])
    assert table["rating"].tolist()[2] == 2.0  # the later record supersedes the failed one
    assert table["model"].tolist() == ["m"] * 3 and table["persona"].isna().all()
    assert list(table.columns) == ["model", "item_id", "variant", "persona", "rating"]
    assert len(read_manifest(run)["sessions"]) == 0


def test_torn_last_line_is_cut_on_resume_and_ignored_on_read(tmp_path):
    run = tmp_path / "run"
    with RunLog.open(run, manifest()) as log:
        log.append(rec("1003-1"))
    torn = b'{"item_id": "1003-2", "variant": "v1", "sta'
    with open(run / RECORDS, "ab") as fh:
        fh.write(torn)
    with pytest.warns(UserWarning, match=rf"the last line \({len(torn)} bytes\) is torn .* left out here"):
        assert [r["item_id"] for r in load_records(run)] == ["1003-1"]  # readers skip it, without touching the file
    assert (run / RECORDS).read_bytes().endswith(torn)
    with RunLog.open(run, manifest()) as log:
        assert log.repaired_bytes == len(torn)
        log.append(rec("1003-2"))
    lines = (run / RECORDS).read_bytes().split(b"\n")
    assert lines[-1] == b"" and [json.loads(x)["item_id"] for x in lines[:-1]] == ["1003-1", "1003-2"]


def test_damage_in_the_middle_is_an_error(tmp_path):
    run = tmp_path / "run"
    RunLog.open(run, manifest()).close()
    (run / RECORDS).write_text(json.dumps(rec("1003-1")) + "\nnot json\n" + json.dumps(rec("1003-2")) + "\n")
    with pytest.raises(RunError, match=r"records\.jsonl, line 2: not a JSON record"):
        RunLog.open(run, manifest())
    (run / RECORDS).write_text(json.dumps({"item_id": "1003-1", "status": "maybe"}) + "\n")
    with pytest.raises(RunError, match=r"line 1: expected a record with item_id and variant \(text\), persona \(text or null\) and status"):
        read_run_ratings(run)


@pytest.mark.parametrize("field, value", [("model", "other"), ("temperature", 0.7), ("variants", ["v1", "v2"]),
                                          ("dataset_fingerprint", "def"), ("seed", 1)])
def test_refuses_to_resume_with_other_parameters(tmp_path, field, value):
    run = tmp_path / "run"
    RunLog.open(run, manifest()).close()
    with pytest.raises(RunError, match=rf"other parameters \({field}: .* in the run, .* now\)"):
        RunLog.open(run, manifest(**{field: value}))


def test_other_folder_is_not_overwritten(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="exists and is not a run directory"):
        RunLog.open(tmp_path / "x", manifest())
    assert (tmp_path / "x" / "notes.txt").read_text() == "mine"
    with pytest.raises(RunError, match="not a run directory: manifest.json is missing"):
        read_run_ratings(tmp_path / "x")


def test_latest_records_keeps_last_per_key():
    recs = [rec("a", status="failed", rating=None), rec("b"), rec("a", rating=3.0), rec("a", persona="p")]
    out = latest_records(recs)
    assert [(r["item_id"], r["persona"], r["rating"]) for r in out] == [("a", None, 3.0), ("b", None, 5.0),
                                                                        ("a", "p", 5.0)]


def test_export_upstream_layout_and_fields(tmp_path, built_dataset, raw_dir):
    data = open_dataset(built_dataset)
    run = tmp_path / "run"
    ids = data.items["item_id"].tolist()
    fp = fingerprint(data.items, data.prompts)
    with RunLog.open(run, manifest(model="my/model_v2", variants=["v1", "v2"], dataset_fingerprint=fp)) as log:
        for iid in ids:
            log.append(rec(iid, rating=4.0, raw="somewhat like me"))
        log.append(rec(ids[0], variant="v2", status="failed", rating=None, error="gave up"))
        log.append(rec(ids[1], variant="v2", persona="women", rating=1.0, raw="Not like me at all."))
    files = export_upstream(run, tmp_path / "out", data)
    # "my/model_v2" is cleaned by io.safe_name ("/" -> "-", "_" kept), so it carries the first 8 hex digits of
    # its sha256 (fa02d962)
    base = "my-model_v2-" + hashlib.sha256(b"my/model_v2").hexdigest()[:8]
    assert sorted(p.name for p in files) == sorted([f"{base}-women_v2_results.json", f"{base}_v1_results.json",
                                                    f"{base}_v2_results.json"])
    v1 = json.loads((tmp_path / "out" / f"{base}_v1_results.json").read_text())
    assert len(v1) == 520
    # Reference: upstream's own output for gpt-4o under v1: same prompts, contents and correlation tags.
    upstream = {(r["portrait_id"], r["option_id"]): r for r in json.loads(
        (raw_dir / "lm_evaluation/outputs/final/openai/gpt-4o-2024-11-20_v1_results.json").read_text())}
    for row in v1:
        up = upstream[row["portrait_id"], row["option_id"]]
        assert row["prompt"] == up["prompt"]
        assert row["content"] == up["content"]
        for f in ("correlations", "higher_pvq_correlations", "bfi_correlations"):
            ours, theirs = sorted(row[f]), sorted(up.get(f, []))
            assert [d for d, _ in ours] == [d for d, _ in theirs], (row["portrait_id"], f)
            assert [r for _, r in ours] == pytest.approx([r for _, r in theirs], abs=1e-12)
        assert (row["raw_response"], row["parsed_response"], row["numeric_response"]) == \
            ("somewhat like me", "somewhat like me", 4.0)
    v2 = json.loads((tmp_path / "out" / f"{base}_v2_results.json").read_text())
    assert len(v2) == 1 and v2[0]["error"] == "gave up" and "numeric_response" not in v2[0]
    women = json.loads((tmp_path / "out" / f"{base}-women_v2_results.json").read_text())
    assert women[0]["parsed_response"] == "not like me at all" and women[0]["numeric_response"] == 1.0
    other = tmp_path / "other"
    with RunLog.open(other, manifest(dataset_fingerprint="0" * 64)) as log:
        log.append(rec(ids[0]))
    with pytest.raises(RunError, match="was run on another dataset content"):
        export_upstream(other, tmp_path / "out2", data)


def test_read_run_ratings_types(tmp_path):
    run = tmp_path / "run"
    with RunLog.open(run, manifest()) as log:
        log.append(rec("1003-1", persona="p"))
    t = read_run_ratings(run)
    assert t.dtypes["rating"] == "float64" and pd.api.types.is_string_dtype(t["item_id"])
    assert t["persona"].tolist() == ["p"]


def test_ratings_table_order_does_not_depend_on_finish_order(tmp_path):
    run = tmp_path / "run"
    m = manifest(variants=["v1", "v2"], personas=[{"label": "z", "text": "Z"}, {"label": "a", "text": "A"}])
    with RunLog.open(run, m) as log:
        for item, variant, persona in [("1010-2", "v2", "a"), ("1003-1", "v2", None), ("1010-2", "v1", "z"),
                                       ("1003-10", "v1", None), ("1003-9", "v1", None), ("1003-1", "v1", "a")]:
            log.append(rec(item, variant=variant, persona=persona))
    t = read_run_ratings(run)
    assert list(zip(t["persona"].fillna("-"), t["variant"], t["item_id"])) == [
        ("-", "v1", "1003-9"), ("-", "v1", "1003-10"), ("-", "v2", "1003-1"),
        ("z", "v1", "1010-2"), ("a", "v1", "1003-1"), ("a", "v2", "1010-2")]


def test_ratings_frame_follows_the_ratings_table_contract():
    t = ratings_frame("m", ["1008-1", "1008-2", "1009-1"], ["v1", "v1", "v2"], [None, "p", None],
                      [4, None, math.inf])
    assert list(t.columns) == ["model", "item_id", "variant", "persona", "rating"]
    assert t["model"].tolist() == ["m"] * 3 and t["rating"].dtype == "float64"
    assert t["rating"].iloc[0] == 4.0
    assert t["rating"].iloc[1:].isna().all()  # None (unparseable/failed) and a non-finite value -> NaN
    assert t["persona"].isna().tolist() == [True, False, True]
