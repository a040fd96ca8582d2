"""A small instrument that is not Value Portrait's (issue 25, point 3): 2 families of 2 dimensions, a 5-point
scale with German answer phrases, 2 templates x 2 option orders. Its dataset is made in memory
(ValuePortraitData), its prompts carry the German options in each variant's order, German answers are parsed
with its phrases, and the portrait is scored with its families and its scale (reverse sum 1 + 5 = 6).

Every expected number is a hand computation of the paper's scoring (Han et al. 2025, Sec. 4: an item's mean,
minus its family's mean; a reverse-keyed item counts as min + max - r), written out at each assertion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from valueportrait.dataset import ValuePortraitData
from valueportrait.errors import InputError
from valueportrait.instrument import Instrument
from valueportrait.ratings.likert import parse_likert, to_ratings

PHRASES = ("überhaupt nicht wie ich", "nicht wie ich", "etwas wie ich", "wie ich", "sehr wie ich")
TEMPLATE = ("Wie ähnlich ist diese Antwort Ihren eigenen Gedanken?\n\nFrage: {text}\nAntwort: {content}\n\n"
            "Antworten Sie nur mit einer dieser Wendungen:\n{options}")
VARIANTS = ("a", "a_reversed", "b", "b_reversed")
INSTRUMENT = {
    "name": "Werte-Test", "version": "0.1.0", "language": "de",
    "families": [{"key": "werte", "title": "Werte", "dimensions": ["Macht", "Sicherheit"]},
                 {"key": "person", "title": "Persönlichkeit", "dimensions": ["Offenheit", "Ordnung"],
                  "labels": ["Offenheit", "Ordnungsliebe"]}],
    "scale": {"min": 1, "max": 5, "phrases": list(PHRASES), "like_me": "max"},
    "variants": [{"name": v, "reversed": v.endswith("_reversed")} for v in VARIANTS],
    "source_kind": {"Umfrage": "frage"},
}
#: item -> (family, dimension, correlation); i4 correlates negatively: selected in mode abs, reverse keyed
PAIRS = {"i1": ("werte", "Macht", 0.5), "i2": ("werte", "Macht", 0.4), "i3": ("werte", "Sicherheit", 0.45),
         "i4": ("werte", "Sicherheit", -0.5), "i5": ("person", "Offenheit", 0.6), "i6": ("person", "Ordnung", 0.35)}
#: a model's answer to each item (the same in every variant), in German, and the rating it gives
ANSWERS = {"i1": ("**Sehr wie ich.**", 5), "i2": ("Wie ich", 4), "i3": ("1. nicht wie ich", 2),
           "i4": ('"Wie ich" wäre falsch; überhaupt nicht wie ich', 1), "i5": ("3", 3), "i6": ("wie ich!", 4)}


@pytest.fixture(scope="module")
def data() -> ValuePortraitData:
    """The instrument's dataset, made in memory as a build would make it (no VP table in it)."""
    inst = Instrument.from_dict(INSTRUMENT, "test instrument")
    ids = list(PAIRS)
    items = pd.DataFrame({"item_id": ids, "query_id": ids, "response_id": 1, "source": "Umfrage",
                          "template": "frage", "title": None, "text": [f"Frage {i}" for i in ids],
                          "response": [f"Antwort {i}" for i in ids], "categories": [[] for _ in ids]})
    corr = pd.DataFrame([{"item_id": i, "family": f, "dimension": d, "rho": r, "p_value": 0.001, "n": 40,
                          "selected": True, "rho_published": np.nan, "p_value_published": np.nan}
                         for i, (f, d, r) in PAIRS.items()])
    prompts = pd.DataFrame({"variant": VARIANTS, "template": "frage", "text": TEMPLATE})
    info = {"dataset_version": "0.1.0", "instrument": {k: v for k, v in inst.to_dict().items() if k != "templates"},
            "selection": {"correlations": "computed", "threshold": 0.3, "alpha": 0.05, "mode": "abs",
                          "correction": "none", "scoring": "threshold"}}
    empty = pd.DataFrame()
    return ValuePortraitData(items=items, correlations=corr, human_ratings=empty, participants=empty,
                             prompts=prompts, queries=empty, build_info=info)


def _model_ratings(data: ValuePortraitData) -> pd.DataFrame:
    """The model's answers in every variant, parsed with the instrument's phrases."""
    inst = data.instrument
    rows = [{"item_id": i, "variant": v, "answer": ANSWERS[i][0]} for v in VARIANTS for i in PAIRS]
    frame = pd.DataFrame(rows)
    frame["rating"] = [parse_likert(a, instrument=inst) for a in frame["answer"]]
    return frame


def test_the_dataset_carries_the_instrument_with_its_templates(data):
    inst = data.instrument
    assert inst.name == "Werte-Test" and inst.language == "de" and inst.scale.n_options == 5
    assert inst.dimensions == (("werte", "Macht"), ("werte", "Sicherheit"), ("person", "Offenheit"),
                               ("person", "Ordnung"))
    assert inst.template("b_reversed", "frage") == TEMPLATE and inst.pairs() == (("a", "a_reversed"),
                                                                                  ("b", "b_reversed"))
    assert inst.family("person").label_of("Ordnung") == "Ordnungsliebe"


def test_prompts_list_the_german_options_in_each_variants_order(data):
    from valueportrait.runner.prompts import build_requests

    reqs = build_requests(data.items, data.prompts, variants=VARIANTS, instrument=data.instrument)
    assert len(reqs) == 6 * 4
    first = {r.variant: r.prompt for r in reqs if r.item_id == "i1"}
    assert first["a"].endswith("Wendungen:\n" + "\n".join(reversed(PHRASES)))  # "sehr wie ich" first
    assert first["a_reversed"].endswith("Wendungen:\n" + "\n".join(PHRASES))  # reversed: lowest first
    assert "Frage: Frage i1\nAntwort: Antwort i1" in first["b"] and "{" not in first["b"]
    with pytest.raises(InputError, match="unknown prompt variant.*v1.*expected 'all' or a comma-separated list of "
                                         "a, a_reversed, b, b_reversed"):
        build_requests(data.items, data.prompts, variants=["v1"], instrument=data.instrument)


def test_german_answers_are_read_with_the_instruments_phrases(data):
    inst = data.instrument
    assert [parse_likert(a, instrument=inst) for a, _ in ANSWERS.values()] == [r for _, r in ANSWERS.values()]
    assert parse_likert("Gar keine Meinung", instrument=inst) is None
    assert parse_likert("6", instrument=inst) is None  # numeric fallback only within 1..5
    assert parse_likert('"sehr wie ich"', instrument=inst) == 5  # an answer that is only a quoted phrase
    assert parse_likert("Very much like me", instrument=inst) is None  # Value Portrait's phrases are not its
    assert to_ratings(["wie ich", 2, None], instrument=inst)[:2].tolist() == [4.0, 2.0]
    with pytest.raises(InputError, match=r"Expected a number from 1 to 5 or one of the phrases 'sehr wie ich'"):
        to_ratings([6], instrument=inst)


def test_the_chat_backend_reads_answers_with_the_instrument(data):
    from valueportrait.runner.chat_backend import OpenAIChatBackend, OpenAIConfig

    backend = OpenAIChatBackend(OpenAIConfig(model="m", base_url="http://127.0.0.1:9/v1"), instrument=data.instrument)
    out = backend.outcome("Etwas wie ich.", attempts=1, latency_s=0.0)
    assert out.status == "rated" and out.rating == 3.0
    from valueportrait.runner.prompts import Request

    constrained = OpenAIChatBackend(OpenAIConfig(model="m", base_url="http://127.0.0.1:9/v1"),
                                    answer_format="constrained", instrument=data.instrument)
    body = constrained.body(Request("i1", "a", None, ({"role": "user", "content": "x"},)))
    assert body["response_format"]["json_schema"]["schema"]["properties"]["answer"]["enum"] == list(reversed(PHRASES))
    out = constrained.outcome('{"answer": "wie ich"}', attempts=1, latency_s=0.0)
    assert out.status == "rated" and out.rating == 4.0


def test_scored_with_its_families_and_its_scale(data):
    from valueportrait.scoring import interval_portrait, reliability_table, score_portrait

    inst, sel = data.instrument, data.selection()
    assert sel.set_index("item_id")["key"].to_dict() == {"i1": 1, "i2": 1, "i3": 1, "i4": -1, "i5": 1, "i6": 1}
    ratings = _model_ratings(data)
    p = score_portrait(ratings[["item_id", "rating"]], sel, instrument=inst).set_index("dimension")
    assert list(p.index) == ["Macht", "Sicherheit", "Offenheit", "Ordnung"]
    # werte: family mean of i1..i4 = (5 + 4 + 2 + 1) / 4 = 3. Macht = (5 + 4) / 2 - 3 = 1.5.
    # Sicherheit: i3 = 2, i4 reverse keyed: 6 - 1 = 5 -> mean 3.5; its reference (3 + (6 - 3)) / 2 = 3 -> 0.5.
    # person: family mean (3 + 4) / 2 = 3.5; Offenheit 3 - 3.5 = -0.5; Ordnung 4 - 3.5 = 0.5.
    assert p["score"].tolist() == pytest.approx([1.5, 0.5, -0.5, 0.5], abs=1e-12)
    assert p["family_mean"].tolist() == pytest.approx([3.0, 3.0, 3.5, 3.5], abs=1e-12)
    assert p.loc["Sicherheit", "raw_mean"] == pytest.approx(3.5)
    q = interval_portrait(ratings[["item_id", "rating"]], sel, instrument=inst).set_index("dimension")
    assert q["score"].tolist() == pytest.approx(p["score"].tolist()) and (q["se"] == 0).all()  # same in all 4
    rel = reliability_table(ratings.assign(model="m"), sel, instrument=inst)["m"]
    assert rel["order_bias"] == 0.0 and rel["n_items_order"] == 6 and rel["n_items_complete"] == 6
    assert rel["profile_splits"] == pytest.approx([1.0, 1.0, 1.0])  # 4 variants: 3 splits, identical halves


def test_a_value_portrait_selection_is_refused_under_it(data):
    from valueportrait.scoring import score_portrait

    sel = pd.DataFrame({"item_id": ["i1"], "family": ["pvq"], "dimension": ["Power"], "key": [1]})
    with pytest.raises(InputError, match=r"unknown dimension\(s\) \['pvq/Power'\]; Werte-Test has werte/Macht"):
        score_portrait(pd.DataFrame({"item_id": ["i1"], "rating": [5]}), sel, instrument=data.instrument)


def test_value_portraits_split_halves_are_derived_unchanged():
    """The fixed split-half of the reliability (docs: {v1, v2_reversed, v3} and {v1_reversed, v2, v3_reversed})
    is now derived from the instrument's pairs; the 10 splits of 6 variants into 3 + 3 stay 10."""
    from valueportrait.scoring.profile import VARIANT_SPLITS
    from valueportrait.scoring.reliability import SPLIT_HALVES

    assert SPLIT_HALVES == (("v1", "v2_reversed", "v3"), ("v1_reversed", "v2", "v3_reversed"))
    assert len(VARIANT_SPLITS) == 10 and all(s[0][0] == "v1" and len(s[0]) == 3 for s in VARIANT_SPLITS)


def test_score_reads_a_survey_build_end_to_end(tmp_path):
    """`valueportrait score` on a dataset built from the SYNTHETIC German survey (examples/survey_de): ratings
    given as its German phrases are read with them, and the leaderboard has its families and dimensions."""
    import json
    from pathlib import Path

    from click.testing import CliRunner

    from valueportrait.cli.main import cli
    from valueportrait.dataset import open_dataset

    example = Path(__file__).resolve().parents[1] / "examples" / "survey_de"
    res = CliRunner().invoke(cli, ["build", "--survey", str(example), "--out", str(tmp_path / "ds")])
    assert res.exit_code == 0, res.output
    inst = open_dataset(tmp_path / "ds").instrument
    items = pd.read_csv(example / "items.csv")["item_id"].tolist()
    ratings = pd.DataFrame([{"model": "m", "item_id": i, "variant": v, "rating": inst.scale.phrase_of(1 + k % 5)}
                            for k, i in enumerate(items) for v in inst.variant_names])
    ratings.to_csv(tmp_path / "r.csv", index=False)
    res = CliRunner().invoke(cli, ["score", str(tmp_path / "r.csv"), "--dataset", str(tmp_path / "ds"),
                                   "--out", str(tmp_path / "scores")])
    assert res.exit_code == 0, res.output
    board = json.loads((tmp_path / "scores" / "leaderboard.json").read_text(encoding="utf-8"))
    text = res.output
    for family in inst.families:  # headed by the instrument's titles, its dimensions named by their labels
        assert family.title in text and all(family.label_of(d) in text for d in family.dimensions), text
    assert "Power" not in text and "Schwartz" not in text
    assert {f: tuple(dims) for f, dims in board["models"]["m"].items()} == inst.family_dims
    res = CliRunner().invoke(cli, ["compare", str(tmp_path / "r.csv"), "--dataset", str(tmp_path / "ds"),
                                   "--baseline", "human raters", "--ci-over", "items"])
    assert res.exit_code == 0, res.output
    assert "Selbsttranszendenz" in res.output and "Power" not in res.output
    from valueportrait.html_report import render_report

    page = render_report(board, generated="test")
    assert "Selbsttranszendenz" in page and "Gewissenhaftigkeit" in page and "Power" not in page
    assert "Schwartz" not in page and "Werte höherer Ordnung (synthetisch)</b>: 4 of 4 dimensions" in page  # its families' validity


def test_the_inspect_task_asks_and_reads_with_the_survey_instrument(tmp_path):
    """The Inspect task on a build of the SYNTHETIC German survey: its variants, its {options} in German, and
    the scorer reads German answers."""
    import asyncio
    from pathlib import Path

    pytest.importorskip("inspect_ai")
    from click.testing import CliRunner

    from valueportrait.cli.main import cli
    from valueportrait.inspect_task.task import likert_rating, samples

    example = Path(__file__).resolve().parents[1] / "examples" / "survey_de"
    res = CliRunner().invoke(cli, ["build", "--survey", str(example), "--out", str(tmp_path / "ds")])
    assert res.exit_code == 0, res.output
    got = samples(str(tmp_path / "ds"))
    assert {s.metadata["variant"] for s in got} == {"v1", "v1_reversed"}
    prompt = got[0].input[-1].content
    assert "sehr wie ich" in prompt and "{options}" not in prompt and "very much like me" not in prompt

    class _Out:
        completion = "Ein wenig wie ich."

    class _State:
        output = _Out()

    score = asyncio.run(likert_rating(dataset=str(tmp_path / "ds"))(_State(), None))
    assert score.value == 3.0  # "ein wenig wie ich" is rating 3 of the survey's 1-5 scale


def test_the_likelihood_backends_refuse_another_instruments_phrases(data):
    """The transformers and completions backends score Value Portrait's six English phrases: on a dataset whose
    instrument has other phrases a run is refused before anything is loaded or sent, saying what to use."""
    from valueportrait.errors import RunError
    from valueportrait.runner.execute import RunSpec, run_benchmark

    for backend in ("transformers", "openai-completions"):
        spec = RunSpec(dataset="in-memory", model="m", backend=backend, variants=list(VARIANTS))
        with pytest.raises(RunError, match=f"--backend {backend} scores the likelihood of Value Portrait's six "
                                           r"English answer phrases; .*Run it with --backend openai"):
            run_benchmark(spec, data=data, dry_run=True, progress=False, echo=lambda line: None)


def test_the_metric_scores_with_the_instrument(data):
    """evaluate_ratings (the metric's plain function) on the in-memory dataset: German answers, its variants, its
    dimensions; the scores are the hand computation of test_scored_with_its_families_and_its_scale."""
    from valueportrait.evaluation import evaluate_ratings

    ratings = _model_ratings(data)
    out = evaluate_ratings(ratings["answer"].tolist(), ratings["item_id"].tolist(), dataset=data,
                           variants=ratings["variant"].tolist())
    assert list(out["scores"]) == ["werte", "person"]
    got = {d: v["score"] for f in out["scores"].values() for d, v in f.items()}
    assert got == pytest.approx({"Macht": 1.5, "Sicherheit": 0.5, "Offenheit": -0.5, "Ordnung": 0.5}, abs=1e-12)
    assert out["reliability"]["n_items_complete"] == 6
    with pytest.raises(InputError, match="the known variants are a, a_reversed, b, b_reversed"):
        evaluate_ratings(["wie ich"], ["i1"], dataset=data, variants=["v1"])


def test_the_lm_eval_tasks_refuse_another_instrument(tmp_path):
    """The lm-eval tasks (Value Portrait's 19 dimensions, six English phrases as the choices) refuse a survey
    build, naming what reads its instrument."""
    from pathlib import Path

    from click.testing import CliRunner

    from valueportrait.cli.main import cli
    from valueportrait.errors import DatasetError
    from valueportrait.lm_eval.utils import load_docs

    example = Path(__file__).resolve().parents[1] / "examples" / "survey_de"
    assert CliRunner().invoke(cli, ["build", "--survey", str(example), "--out", str(tmp_path / "ds")]).exit_code == 0
    with pytest.raises(DatasetError, match="lm-eval tasks score Value Portrait's 19 dimensions.*Inspect task"):
        load_docs(dataset=str(tmp_path / "ds"), variant="v1")
