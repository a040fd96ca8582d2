"""Bad raw input and bad output folders: each gives a clear error naming file / record / field and a fix.

Each case copies the files the builders read from the real release into ``tmp_path`` (nothing from the
release is kept in the repository), breaks one thing, and checks the error.
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest

from valueportrait.builders import raw_release as rr
from valueportrait.builders.build import build_dataset, write_dataset
from valueportrait.settings import Build
from valueportrait.builders.tables import read_release
from valueportrait.errors import OutputExistsError, RawDataError, RawDataNotFoundError

def _edit_json(root: Path, rel: str, change) -> None:
    path = root / rel
    data = json.loads(path.read_text(encoding="utf-8"))
    data = change(data) or data
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def _read(root: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_release(root)


# -- each breakage: (id, how to break the copy, expected error class, regex the message must match) ---------

def _drop_survey(root):
    (root / rr.SURVEY_FILE).unlink()


def _bad_json(root):
    path = root / rr.VALUE_FILE
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].rstrip(",") + " oops,"  # line 3 of the file
    path.write_text("\n".join(lines), encoding="utf-8")


def _four_responses(root):
    def change(recs):
        recs[0]["outputs"] = recs[0]["outputs"][:4]
    _edit_json(root, rr.QUERY_RESPONSE_FILES["Reddit"], change)


def _six_responses(root):
    def change(recs):
        recs[2]["outputs"].append(dict(recs[2]["outputs"][0], id=6))
    _edit_json(root, rr.QUERY_RESPONSE_FILES["LMSYS"], change)


def _set_rating(value):
    def breaker(root):
        def change(groups):
            groups[0]["1021"][0]["data"][3][0] = value
        _edit_json(root, rr.SURVEY_FILE, change)
    return breaker


def _drop_value_record(root):
    _edit_json(root, rr.VALUE_FILE, lambda values: values.pop("P508") and None)


def _duplicate_query(root):
    def change(recs):
        recs.append(recs[0])
    _edit_json(root, rr.QUERY_RESPONSE_FILES["DearAbby"], change)


def _query_in_two_files(root):
    reddit = json.loads((root / rr.QUERY_RESPONSE_FILES["Reddit"]).read_text(encoding="utf-8"))
    # relabelled as ShareGPT (a Reddit record in ShareGPT.json is refused first: its data_source is not the file's)
    _edit_json(root, rr.QUERY_RESPONSE_FILES["ShareGPT"], lambda recs: recs.append({**reddit[0], "data_source": "ShareGPT"}))


def _item_in_two_groups(root):
    def change(groups):
        groups[5]["1021"] = [{"option_id": 1, "data": [[3, "P001"]]}]
    _edit_json(root, rr.SURVEY_FILE, change)


def _unknown_variant(root):
    extra = root / rr.PROMPTS_DIR / "v4"
    extra.mkdir()
    shutil.copyfile(root / rr.PROMPTS_DIR / "v1" / "reddit_prompt.txt", extra / "reddit_prompt.txt")


def _drop_prompt(root):
    (root / rr.PROMPTS_DIR / "v2_reversed" / "sharegpt_prompt.txt").unlink()


def _drop_pvq_table(root):
    (root / rr.CORRELATION_FILES["pvq"]).unlink()


def _drop_survey_group(root):
    _edit_json(root, rr.SURVEY_FILE, lambda groups: groups.pop(4) and None)


def _option_without_data(root):
    _edit_json(root, rr.SURVEY_FILE, lambda groups: groups[0]["1021"][2].pop("data") and None)


def _published(family, record, **fields):
    def breaker(root):
        _edit_json(root, rr.CORRELATION_FILES[family], lambda recs: recs[record].update(fields))
    return breaker


def _value(pid, family, dim, value):
    def breaker(root):
        _edit_json(root, rr.VALUE_FILE, lambda values: values[pid][family].update({dim: value}))
    return breaker


def _empty_reddit(root):
    (root / rr.QUERY_RESPONSE_FILES["Reddit"]).write_text("[]", encoding="utf-8")


CASES = [
    # issue 12: each of these used to build with exit 0 and a silently different dataset
    ("missing pvq table", _drop_pvq_table, RawDataError,
     r"pvq_correlation_results\.json is missing from the raw release .* no pvq item can be selected .* "
     r"Restore the file .* or pass --allow-partial"),
    ("survey group removed", _drop_survey_group, RawDataError,
     r"survey\.json: top level: expected 12 survey groups, found 11 \(1 missing.* or pass --allow-partial"),
    ("option without data", _option_without_data, RawDataError,
     r"survey\.json: survey group 1, query 1021, item 1021-3: field data \(the ratings\) must be a list, got "
     r"NoneType None\. Restore the file"),
    ("published rho 7", _published("bfi", 10, spearman_corr=7), RawDataError,
     r"bfi_correlation_results\.json: record 10: spearman_corr = 7 is not a finite number in \[-1, 1\]"),
    ("published p -5", _published("pvq", 3, spearman_p_value=-5), RawDataError,
     r"pvq_correlation_results\.json: record 3: spearman_p_value = -5 is not a finite number in \[0, 1\]"),
    ("NaN value score", _value("P508", "pvq", "Power", float("nan")), RawDataError,
     r"value\.json: participant P508: field pvq\.Power = nan is not a finite number in \[-5, 5\]"),
    ("inf value score", _value("P508", "bfi", "Openness", float("inf")), RawDataError,
     r"value\.json: participant P508: field bfi\.Openness = inf is not a finite number in \[1, 5\]"),
    ("unknown item in published", _published("higher_pvq", 0, portrait_id="9999"), RawDataError,
     r"higher_pvq_correlation_results\.json: record 0 \(item 9999-1\): portrait_id/option_id name no item"),
    ("unknown dimension in published", _published("pvq", 7, pvq_dimension="Greed"), RawDataError,
     r"pvq_correlation_results\.json: record 7 \(item \d+-\d\): pvq_dimension 'Greed' is not one of Self_Direction, Stimulation"),
    ("Reddit.json = []", _empty_reddit, RawDataError,
     r"data/query-response/Reddit\.json: top level: the list is empty; expected one query per record\. Restore the file"),
    ("missing file", _drop_survey, RawDataNotFoundError,
     r"data/prolific/survey/main/survey\.json is missing from the raw release .* restore the file"),
    ("missing prompt", _drop_prompt, RawDataNotFoundError,
     r"lm_evaluation/prompts/v2_reversed/sharegpt_prompt\.txt is missing"),
    ("invalid json", _bad_json, RawDataError,
     r"data/prolific/value/main/value\.json: invalid JSON at line 3, column \d+: .* Restore the file"),
    ("4 responses", _four_responses, RawDataError,
     r"data/query-response/Reddit\.json record 0 \(query \d+\): expected exactly 5 responses with ids 1-5, "
     r"found 4 .* restore the record"),
    ("6 responses", _six_responses, RawDataError,
     r"data/query-response/LMSYS\.json record 2 \(query \d+\): expected exactly 5 responses .* found 6"),
    ("rating 7", _set_rating(7), RawDataError,
     r"survey\.json: survey group 1, item 1021-1, rating #3 \(participant P\d+\): rating 7 is not an integer "
     r"from 1 to 6\. .* fix or remove this entry"),
    ("rating 0", _set_rating(0), RawDataError, r"item 1021-1, rating #3 .* rating 0 is not an integer from 1 to 6"),
    ("rating 2.5", _set_rating(2.5), RawDataError, r"item 1021-1, rating #3 .* rating 2\.5 is not an integer"),
    ("rating string", _set_rating("5"), RawDataError, r"item 1021-1, rating #3 .* rating '5' is not an integer"),
    ("rating null", _set_rating(None), RawDataError, r"item 1021-1, rating #3 .* rating None is not an integer"),
    ("no value record", _drop_value_record, RawDataError,
     r"survey\.json: participant\(s\) P508 rated items but have no value record in "
     r"data/prolific/value/main/value\.json\. .* add their record or remove their ratings"),
    ("duplicate query", _duplicate_query, RawDataError,
     r"data/query-response/DearAbby\.json: query id '\d+' appears more than once .* must be unique"),
    ("query in two files", _query_in_two_files, RawDataError,
     r"query id '\d+' appears more than once \(records data/query-response/Reddit\.json#0, "
     r"data/query-response/ShareGPT\.json#\d+\)"),
    ("item in two groups", _item_in_two_groups, RawDataError,
     r"survey\.json: item 1021-1 appears in survey groups \[1, 6\]; each item belongs to exactly one survey group"),
    ("unknown variant", _unknown_variant, RawDataError,
     r"lm_evaluation/prompts: unknown prompt variant folder\(s\) \['v4'\]; expected only \['v1', 'v1_reversed'.*"
     r"Remove or rename the extra folder"),
]


@pytest.mark.parametrize("breaker, error, match", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_raw_input_raises_a_clear_error(release, breaker, error, match):
    breaker(release)
    with pytest.raises(error, match=match):
        _read(release)


def test_the_intact_copy_reads(release):
    # the fixture itself is sound: the copy reads like the release (520 items, 24,320 ratings upstream)
    rel = _read(release)
    assert (len(rel.items), len(rel.human_ratings)) == (520, 24320)


@pytest.mark.parametrize("value, how", [(None, "neither"), ("/nonexistent/vp-raw", "missing"), ("file", "not a release")])
def test_raw_dir_errors_name_both_ways_and_upstream(value, how, tmp_path, monkeypatch):
    from valueportrait.builders import fetch

    monkeypatch.delenv(rr.ENV_VAR, raising=False)
    # neither: the pinned archive would be downloaded; a closed port on 127.0.0.1 stands in for being offline
    monkeypatch.setattr(fetch, "DEFAULT_URL", "http://127.0.0.1:9/08e1fb7.tar.gz")
    monkeypatch.setenv("VALUEPORTRAIT_CACHE", str(tmp_path / "cache"))
    if value == "file":
        value = str(tmp_path)  # exists, but has no data/ folder
    with pytest.raises(RawDataNotFoundError) as err:
        rr.resolve_raw_dir(value)
    msg = str(err.value)
    assert "--raw DIR" in msg and "VALUEPORTRAIT_RAW=DIR" in msg
    assert "https://github.com/holi-lab/ValuePortrait" in msg and "08e1fb7" in msg


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _leftovers(parent: Path, name: str) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


def test_existing_output_is_refused_and_untouched(raw_dir, tmp_path):
    out = tmp_path / "vp"
    out.mkdir()
    (out / "mine.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(OutputExistsError, match=r"the output folder .*vp' exists; pass --overwrite .* choose another --out"):
        build_dataset(out, Build(raw=raw_dir))
    assert _snapshot(out) == {"mine.txt": b"keep me"}
    assert _leftovers(tmp_path, "vp") == []


def _earlier_build(out: Path) -> dict[str, bytes]:
    """A folder with the marker of an earlier build (what --overwrite may replace); returns its snapshot."""
    out.mkdir()
    (out / "build_info.json").write_text(json.dumps({"dataset_version": "0.9", "upstream": {}}), encoding="utf-8")
    (out / "README.md").write_text("keep me", encoding="utf-8")
    return _snapshot(out)


def test_failed_build_leaves_existing_output_untouched_and_no_temp_folder(release, tmp_path, release_data, monkeypatch):
    out = tmp_path / "vp"
    before = _earlier_build(out)
    # 1. bad raw input, --overwrite: fails before anything is written
    _set_rating(9)(release)
    with pytest.raises(RawDataError, match="rating 9 is not an integer"):
        build_dataset(out, Build(raw=release), overwrite=True)
    # 2. a failure half-way through writing (the card cannot be rendered)
    import valueportrait.builders.card as card

    def boom(*args, **kwargs):
        raise RuntimeError("card template broken")

    monkeypatch.setattr(card, "render_card", boom)
    with pytest.raises(RuntimeError, match="card template broken"):
        write_dataset(release_data, out, overwrite=True)
    assert _snapshot(out) == before
    assert _leftovers(tmp_path, "vp") == []
    # 3. same failure into a new folder: nothing is created
    with pytest.raises(RuntimeError, match="card template broken"):
        write_dataset(release_data, tmp_path / "fresh")
    assert not (tmp_path / "fresh").exists() and _leftovers(tmp_path, "fresh") == []
