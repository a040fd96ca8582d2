"""The instrument as data (issue 25): the packaged Value Portrait instrument equals the paper and the upstream
release (19 dimensions, the 1-6 scale, the answer phrases of upstream's prompts, 6 variants); a description
round-trips through dict and YAML; every bad description is an InputError naming its field; a build carries its
instrument (build_info, instrument.yaml, ``data.instrument`` with the prompts config's templates)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from valueportrait import scale
from valueportrait.errors import InputError
from valueportrait.instrument import VALUE_PORTRAIT, Instrument, Scale, Template, load_instrument

#: The paper's dimensions (Han et al. 2025, Sec. 3 and Table 2: 10 basic values, 4 higher-order values, the Big
#: Five) in upstream's spellings (data/correlation_results/*.json keys), pvq in Schwartz's circumplex order.
PAPER_FAMILIES = {
    "pvq": ("Self_Direction", "Stimulation", "Hedonism", "Achievement", "Power", "Security", "Conformity",
            "Tradition", "Benevolence", "Universalism"),
    "higher_pvq": ("Openness_to_Change", "Self_Enhancement", "Conservation", "Self_Transcendence"),
    "bfi": ("Openness", "Conscientiousness", "Extraversion", "Agreeableness", "Neuroticism"),
}


def _upstream_options(raw_dir: Path, variant: str) -> list[str]:
    """The answer options a released prompt lists, in its order (the lines after "punctuation:")."""
    text = (raw_dir / "lm_evaluation" / "prompts" / variant / "reddit_prompt.txt").read_text(encoding="utf-8")
    block = text.split("punctuation:\n", 1)[1].split("\n\n", 1)[0]
    return block.splitlines()


def test_value_portrait_is_the_papers_instrument(raw_dir):
    vp = VALUE_PORTRAIT
    assert vp.family_dims == PAPER_FAMILIES and len(vp.dimensions) == 19
    assert (vp.scale.min, vp.scale.max, vp.scale.n_options, vp.scale.like_me) == (1, 6, 6, "max")
    # the phrases, most "like me" first, are exactly what upstream's non-reversed prompts list; reversed ones
    # list them the other way round
    for variant in vp.variant_names:
        assert list(vp.scale.options(vp.variant(variant).reversed)) == _upstream_options(raw_dir, variant)
    assert sorted(p.name for p in (raw_dir / "lm_evaluation" / "prompts").iterdir()) == sorted(vp.variant_names)
    assert vp.pairs() == (("v1", "v1_reversed"), ("v2", "v2_reversed"), ("v3", "v3_reversed"))
    assert vp.scale.reverse(6) == 1.0 and vp.scale.reverse(2.5) == 4.5  # 7 - r on the 1-6 scale (paper, Sec. 3)
    assert vp.scale.rating_of("  Very Much Like Me ") == 6 and vp.scale.rating_of("like") is None


def test_scale_constants_are_derived_and_unchanged():
    """scale.py's names keep their values (the literal values they had before issue 25)."""
    assert scale.FAMILIES == PAPER_FAMILIES and scale.PVQ == PAPER_FAMILIES["pvq"]
    assert scale.DIMENSIONS == tuple((f, d) for f, ds in PAPER_FAMILIES.items() for d in ds)
    assert list(scale.LIKERT.items()) == [("very much like me", 6), ("like me", 5), ("somewhat like me", 4),
                                          ("a little like me", 3), ("not like me", 2), ("not like me at all", 1)]
    assert (scale.LIKERT_MIN, scale.LIKERT_MAX, scale.REVERSE_SUM, scale.N_OPTIONS) == (1, 6, 7.0, 6)
    assert scale.PHRASES == ("not like me at all", "not like me", "a little like me", "somewhat like me",
                             "like me", "very much like me")
    assert scale.VARIANTS == ("v1", "v1_reversed", "v2", "v2_reversed", "v3", "v3_reversed")
    assert scale.TEMPLATES == ("reddit", "sharegpt")
    assert scale.SOURCE_TEMPLATE == {"Reddit": "reddit", "DearAbby": "reddit", "ShareGPT": "sharegpt",
                                     "LMSYS": "sharegpt"}
    assert scale.FAMILY_TITLES == {"pvq": "Schwartz basic values (PVQ-21)", "higher_pvq": "Higher-order values",
                                   "bfi": "Big Five (BFI-10)"}


def test_round_trip_through_dict_json_and_yaml():
    with_t = VALUE_PORTRAIT.with_templates([Template(v, kind, f"{kind} {v}: {{text}}\n{{options}}")
                                            for v in VALUE_PORTRAIT.variant_names for kind in ("reddit", "sharegpt")])
    for inst in (VALUE_PORTRAIT, with_t):
        assert Instrument.from_dict(json.loads(json.dumps(inst.to_dict()))) == inst
        assert load_instrument(inst.to_yaml()) == inst
    assert with_t.template("v1", "sharegpt") == "sharegpt v1: {text}\n{options}"
    assert with_t.options_text("v1").splitlines()[0] == "very much like me"
    assert with_t.options_text("v1_reversed").splitlines()[0] == "not like me at all"


def test_load_from_a_file_names_it(tmp_path):
    path = tmp_path / "instrument.yaml"
    path.write_text(VALUE_PORTRAIT.to_yaml().replace("max: 6", "max: 5"), encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(f"{path}: scale.phrases: expected 5 answer phrases")):
        load_instrument(path)
    with pytest.raises(InputError, match="no such instrument file"):
        load_instrument(tmp_path / "missing.yaml")
    path.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(f"{path}: line 2, column 1: not valid YAML")):
        load_instrument(path)


def _bad(edit):
    d = VALUE_PORTRAIT.to_dict()
    edit(d)
    return d


BAD = [
    (lambda d: d.pop("version"), "version: expected a value, found nothing"),
    (lambda d: d.update(langauge="en"), "langauge: expected one of the fields name, version, language"),
    (lambda d: d.update(language="English"), "language: expected a BCP-47 language tag"),
    (lambda d: d["families"][1]["dimensions"].__setitem__(3, "Self Transcendence"),
     "families[1].dimensions[3]: expected an id of letters"),
    (lambda d: d["families"][2]["dimensions"].append("Power"), "families[2].dimensions[5]: expected a dimension "
                                                               "id used by no other family"),
    (lambda d: d["families"][0].update(labels=["a"]), "families[0].labels: expected 10 labels"),
    (lambda d: d["families"].append(dict(d["families"][0])), "families[3]: expected a family key not given"),
    (lambda d: d["scale"].update(min=6), "scale.max: expected a number above scale.min (6)"),
    (lambda d: d["scale"].update(min="1"), "scale.min: expected a whole number"),
    (lambda d: d["scale"]["phrases"].pop(), "scale.phrases: expected 6 answer phrases"),
    (lambda d: d["scale"]["phrases"].__setitem__(4, "Not like me"), "scale.phrases[4]: expected a phrase"),
    (lambda d: d["scale"].update(like_me="top"), "scale.like_me: expected max or min"),
    (lambda d: d["variants"][1].update(reversed="yes"), "variants[1].reversed: expected true or false"),
    (lambda d: d["variants"].append({"name": "v1"}), "variants[6]: expected a variant name not given"),
    (lambda d: d.update(templates=[{"variant": "v9", "kind": "k", "text": "x"}]),
     "templates[0].variant: expected one of the variants v1, v1_reversed"),
    (lambda d: d.update(templates=[{"variant": "v1", "kind": "k", "text": "Say {answer}"}]),
     "templates[0].text: expected placeholders among {title}, {text}, {content}, {options}, found '{answer}'"),
    (lambda d: d.update(templates=[{"variant": "v1", "kind": "k", "text": "{text}"}]),
     "templates: expected a template for variant v1_reversed and kind k"),
    (lambda d: d.update(templates=[{"variant": v, "kind": "k", "text": "{text}"} for v in
                                   ("v1", "v1_reversed", "v2", "v2_reversed", "v3", "v3_reversed")]),
     "source_kind.DearAbby: expected a template kind (k)"),
]


@pytest.mark.parametrize("edit, message", BAD)
def test_every_bad_description_names_its_field(edit, message):
    with pytest.raises(InputError, match=re.escape("x.yaml: " + message)):
        Instrument.from_dict(_bad(edit), "x.yaml")


def test_made_in_code_is_checked_too():
    with pytest.raises(InputError, match=r"scale.phrases: expected 5 answer phrases"):
        replace(VALUE_PORTRAIT, scale=Scale(1, 5, ("a", "b", "c")))


def test_a_build_carries_its_instrument(built_dataset):
    from valueportrait.dataset import open_dataset

    info = json.loads((built_dataset / "build_info.json").read_text(encoding="utf-8"))
    assert Instrument.from_dict(info["instrument"]) == VALUE_PORTRAIT and "templates" not in info["instrument"]
    assert load_instrument(built_dataset / "instrument.yaml") == VALUE_PORTRAIT
    data = open_dataset(built_dataset)
    inst = data.instrument
    assert replace(inst, templates=()) == VALUE_PORTRAIT and len(inst.templates) == 12  # 6 variants x 2 kinds
    assert inst.kinds == ("reddit", "sharegpt")
    row = data.prompts[(data.prompts["variant"] == "v2") & (data.prompts["template"] == "sharegpt")].iloc[0]
    assert inst.template("v2", "sharegpt") == row["text"]


def test_an_old_build_reads_as_value_portrait(built_dataset):
    from valueportrait.dataset import open_dataset

    data = open_dataset(built_dataset)
    old = replace(data, build_info={k: v for k, v in data.build_info.items() if k != "instrument"})
    assert old.instrument == data.instrument
    assert yaml.safe_load((built_dataset / "instrument.yaml").read_text())["name"] == "Value Portrait"
