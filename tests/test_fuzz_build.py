"""Fuzz: seeded malformed raw releases and crafted dataset folders through the CLI, in-process.

Every case must end with exit status 1, an ``Error:`` line naming the broken file, no traceback and no
"internal error", and must leave what was already written byte for byte as it was: the ``--out`` folder of an
earlier build (hashed before and after) and its parent (no new entries, no temporary folders left).

The raw releases are copies made at test time from ``$VALUEPORTRAIT_RAW`` (nothing from the release is kept
in the repository): every case folder holds symlinks to one pristine copy, except the one file the case
breaks, which is rewritten. To keep the run short, the JSON of the untouched pristine files is parsed once and
reused (``read_json`` is wrapped with a cache keyed by the resolved path, mtime and size); the broken file is
always read for real. Each mutation is one the upstream release does not have and that must not build:
deleted or truncated files, wrong JSON types, out-of-range or non-finite numbers, unknown ids, missing or
duplicated records. The figures (cases tried, clear errors, data lost) are in docs/security.md.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from valueportrait.builders import raw_release as rr
from valueportrait.cli.main import cli

pytestmark = pytest.mark.slow  # fuzz suite

SEED = 12
RAW_CASES = int(__import__("os").environ.get("FUZZ_RAW", 260))
DATASET_CASES = 90

PROMPTS = list(rr.PROMPT_FILES)
INPUTS = list(rr.INPUT_FILES)
#: Participant ids of the main survey's raters (set by the ``pristine`` fixture).
RATERS: list[str] = []


def tree_hash(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (and the names of its folders), by relative path."""
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir")
            for p in sorted(folder.rglob("*"))}


# -- the raw-release mutations: each returns the file it broke --------------------------------------------------

def _pick(rng, seq):
    return seq[rng.randrange(len(seq))]


def _query_response(rng, data):
    rec = _pick(rng, data)
    how = rng.randrange(12)
    if how == 0:
        data[data.index(rec)] = _pick(rng, [None, 3, "x", [], {}])
    elif how == 1:
        rec["extra"] = _pick(rng, [None, [], "x", 3])
    elif how == 2:
        rec["extra"]["portrait_id"] = _pick(rng, [None, "abc", "", [1], True, 2.5])
    elif how == 3:
        del rec["extra"]["portrait_id"]
    elif how == 4:
        rec["content"] = _pick(rng, [None, [], "text", 5])
    elif how == 5:
        rec["content"]["text"] = _pick(rng, [None, 5, [], {}])
    elif how == 6:
        rec["outputs"] = _pick(rng, [None, "x", {}, 5, []])
    elif how == 7:
        rec["outputs"].pop(rng.randrange(5))
    elif how == 8:
        rec["outputs"][rng.randrange(5)]["id"] = _pick(rng, [0, 6, 9, "1", None, True, 2.5])
    elif how == 9:
        rec["outputs"][rng.randrange(5)]["content"] = _pick(rng, ["", "   ", None, 5, []])
    elif how == 10:
        data.append(rec)  # the query twice
    else:
        data.remove(rec)  # the query then only in the tagged file, which is not its home
    return data


def _tagged(rng, data):
    survey_only = [r for r in data if str(r.get("portrait_id", ""))[1:2] == "9"]
    rec = _pick(rng, survey_only)
    how = rng.randrange(5)
    if how == 0:
        _pick(rng, data)["portrait_id"] = _pick(rng, [None, "abc", "1555", [1], True])
    elif how == 1:
        rec["content"] = _pick(rng, [None, "x", []])
    elif how == 2:
        rec["outputs"] = _pick(rng, [None, "x", [], {}])
    elif how == 3:
        data.remove(rec)  # a rated query without its text
    else:
        data[data.index(rec)] = _pick(rng, [None, 3, "x", []])
    return data


def _categories(rng, data):
    rec = _pick(rng, data)
    how = rng.randrange(3)
    if how == 0:
        data[data.index(rec)] = _pick(rng, [None, 3, "x", []])
    elif how == 1:
        rec["content"] = _pick(rng, [None, "x", [], 4])
    else:
        rec["categories"] = _pick(rng, ["x", 5, {}, [1], [None]])
    return data


def _survey(rng, data):
    g = rng.randrange(len(data))
    group = data[g]
    qid = _pick(rng, list(group))
    opt = _pick(rng, group[qid])
    how = rng.randrange(13)
    if how == 0:
        data.pop(g)  # a whole survey group gone (allowed only with --allow-partial)
    elif how == 1:
        data.append(group)  # 13 groups
    elif how == 2:
        data[g] = _pick(rng, [None, [], "x", 3])
    elif how == 3:
        group[qid] = _pick(rng, [None, {}, "x", 3])
    elif how == 4:
        group[qid][group[qid].index(opt)] = _pick(rng, [None, [], "x", 3])
    elif how == 5:
        opt["option_id"] = _pick(rng, [None, "1", 9, 0, True, 2.5])
    elif how == 6:
        del opt["data"]
    elif how == 7:
        opt["data"] = _pick(rng, [None, {}, "x", 3, []])
    elif how == 8:
        opt["data"][rng.randrange(len(opt["data"]))] = _pick(rng, [[4], "x", [4, ""], [4, 5], None, [4, "P1", 1]])
    elif how == 9:
        opt["data"][rng.randrange(len(opt["data"]))][0] = _pick(rng, [0, 7, 2.5, "5", None, True, float("nan")])
    elif how == 10:
        opt["data"].append(list(opt["data"][0]))  # one rater rates the item twice
    elif how == 11:
        group[_pick(rng, ["abc", "9999", "", "12a"])] = group.pop(qid)
    else:
        del group[qid]  # its 5 items unrated
    return data


def _values(rng, data):
    pid = _pick(rng, RATERS)  # only raters' records are read (10 records belong to nobody in the survey)
    rec = data[pid]
    family = _pick(rng, ["pvq", "higher_pvq", "bfi"])
    dim = _pick(rng, sorted(rec[family]))
    how = rng.randrange(6)
    if how == 0:
        return _pick(rng, [[], None, "x", 3])
    if how == 1:
        data[pid] = _pick(rng, [None, [], "x", 3])
    elif how == 2:
        rec[family] = _pick(rng, [None, [], "x", 3])
    elif how == 3:
        del rec[family][dim]
    elif how == 4:
        rec[family][dim] = _pick(rng, [None, "1.5", True, [], float("nan"), float("inf"), float("-inf")])
    else:
        rec[family][dim] = _pick(rng, [99.0, -99.0, 6.0, -6.0, 0.0 if family == "bfi" else 1e6])
    if how == 1 and rng.random() < 0.5:
        del data[pid]  # a rater without a value record
    return data


def _correlations(rng, data):
    rec = _pick(rng, data)
    dim_key = next(k for k in rec if k.endswith("_dimension"))
    how = rng.randrange(11)
    if how == 0:
        return _pick(rng, [{}, None, "x", []])
    if how == 1:
        data[data.index(rec)] = _pick(rng, [None, 3, "x", []])
    elif how == 2:
        del rec[_pick(rng, ["portrait_id", "option_id", dim_key, "spearman_corr", "spearman_p_value"])]
    elif how == 3:
        rec["portrait_id"] = _pick(rng, ["abc", "9999", None, [1], True])
    elif how == 4:
        rec["option_id"] = _pick(rng, [9, 0, "1", None, True])
    elif how == 5:
        rec[dim_key] = _pick(rng, ["Bogus", "", 5, None])
    elif how == 6:
        rec["spearman_corr"] = _pick(rng, [7, -1.5, 1.0000001, float("nan"), float("inf"), "0.5", None, True])
    elif how == 7:
        rec["spearman_p_value"] = _pick(rng, [-5, 1.5, -1e-9, float("nan"), float("-inf"), "0.01", None, False])
    elif how == 8:
        data.remove(rec)  # one pair without a published value
    elif how == 9:
        data.append(dict(rec))  # one pair twice
    else:
        data.append(dict(rec, portrait_id="1008", option_id=1, **{dim_key: "Nonexistent"}))
    return data


JSON_MUTATORS = {
    **{rel: _query_response for rel in rr.QUERY_RESPONSE_FILES.values()},
    rr.TAGGED_FILE: _tagged,
    rr.CATEGORIES_FILE: _categories,
    rr.SURVEY_FILE: _survey,
    rr.VALUE_FILE: _values,
    **{rel: _correlations for rel in rr.CORRELATION_FILES.values()},
}


def break_release(rng: random.Random, root: Path, pristine: Path) -> str:
    """Break one file of the release at ``root`` (symlinks into ``pristine``); returns its relative path."""
    if rng.random() < 0.08:
        rel = _pick(rng, PROMPTS)
        how = rng.randrange(3)
        (root / rel).unlink()
        if how == 1:
            (root / rel).write_text("no placeholders here", encoding="utf-8")
        elif how == 2:
            (root / rel).write_bytes(b"\xff\xfe{text} {content} {title}")
        return rel
    rel = _pick(rng, list(JSON_MUTATORS))
    target = root / rel
    raw = (pristine / rel).read_bytes()
    target.unlink()
    how = rng.random()
    if how < 0.05:
        return rel  # deleted (for a correlation table: allowed only with --allow-partial)
    if how < 0.15:
        target.write_bytes(raw[: rng.randrange(len(raw) - 2)])  # truncated
        return rel
    if how < 0.18:
        target.write_bytes(b"\xff" + raw[1:])  # not UTF-8
        return rel
    data = JSON_MUTATORS[rel](rng, json.loads(raw))
    target.write_text(json.dumps(data), encoding="utf-8")  # NaN/Infinity as JSON's common extension
    return rel


@pytest.fixture(scope="module")
def pristine(raw_dir, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pristine") / "raw"
    for rel in INPUTS:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(raw_dir / rel, root / rel)
    survey = json.loads((root / rr.SURVEY_FILE).read_text(encoding="utf-8"))
    RATERS[:] = sorted({e[1] for g in survey for opts in g.values() for o in opts for e in o["data"]})
    return root


@pytest.fixture
def cached_json(monkeypatch, pristine):
    """Parse each untouched pristine file once (see the module docstring); everything else is read for real."""
    real = rr.read_json
    cache: dict = {}

    def read_json(root, rel):
        path = (Path(root) / rel).resolve()
        if not path.is_relative_to(pristine.resolve()):
            return real(root, rel)
        st = path.stat()
        key = (path, st.st_mtime_ns, st.st_size)
        if key not in cache:
            cache[key] = real(root, rel)
        return cache[key]

    monkeypatch.setattr(rr, "read_json", read_json)
    return cache


def _earlier_build(out: Path) -> None:
    out.mkdir()
    (out / "build_info.json").write_text(json.dumps({"dataset_version": "0.9", "upstream": {}}), encoding="utf-8")
    (out / "README.md").write_text("an earlier build\n", encoding="utf-8")


def _check_clear_error(result, names: list[str]) -> None:
    text = result.output
    assert result.exit_code == 1, text
    assert "Traceback" not in text and "internal error" not in text, text
    lines = [line for line in text.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, text
    assert any(n in lines[0] for n in names), (names, text)


def test_fuzz_raw_releases(pristine, cached_json, tmp_path):
    rng = random.Random(SEED)
    out_parent = tmp_path / "outs"
    out_parent.mkdir()
    out = out_parent / "vp"
    _earlier_build(out)
    before, parent_before = tree_hash(out), sorted(p.name for p in out_parent.iterdir())
    runner = CliRunner()
    broken: dict[str, int] = {}
    root = tmp_path / "case"
    for rel in INPUTS:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).symlink_to(pristine / rel)
    for _ in range(RAW_CASES):
        rel = break_release(rng, root, pristine)
        broken[rel] = broken.get(rel, 0) + 1
        result = runner.invoke(cli, ["build", "--raw", str(root), "--out", str(out), "--overwrite"])
        _check_clear_error(result, [rel, str(root / rel)])
        assert tree_hash(out) == before and sorted(p.name for p in out_parent.iterdir()) == parent_before
        (root / rel).unlink(missing_ok=True)  # back to the intact release for the next case
        (root / rel).symlink_to(pristine / rel)
    assert len(broken) == len(INPUTS) - len(PROMPTS) + len({r for r in broken if r in PROMPTS})  # every JSON file hit
    # the cache served the pristine files unchanged: the intact copy still reads as the release
    from valueportrait.builders.tables import read_release

    with pytest.warns(UserWarning, match="value records belong to nobody"):
        rel = read_release(pristine)
    assert (len(rel.items), len(rel.human_ratings)) == (520, 24320)  # upstream: 104 queries x 5, 24,320 ratings


# -- crafted dataset folders ------------------------------------------------------------------------------------

def _parquet_files(base: Path) -> list[str]:
    return sorted(str(p.relative_to(base)) for p in base.rglob("*.parquet"))


def craft_dataset(rng: random.Random, case: Path, base: Path) -> list[str]:
    """Break one file or folder of the dataset at ``case`` (symlinks into ``base``); returns the texts of which
    one must be in the error (the broken file's path, or the folder's with the missing file's name)."""
    how = rng.randrange(12)
    info = case / "build_info.json"
    if how < 4:
        info.unlink()
        if how == 1:
            info.write_text(_pick(rng, ["", "{", "[1, 2", "{\"a\": }", "nan"]), encoding="utf-8")
        elif how == 2:
            info.write_text(_pick(rng, ["[]", "null", "3", "\"x\"", "{}", "{\"dataset_version\": 1}",
                                        "{\"dataset_version\": \"1.0.0\", \"selection\": []}"]), encoding="utf-8")
        elif how == 3:
            info.write_bytes(b"\xff\xfe\x00{")
        return [str(info)] if how else [f"{str(case)!r} is not a built Value Portrait dataset: missing build_info.json"]
    rel = _pick(rng, _parquet_files(base))
    file = case / rel
    file.unlink()
    if how == 4:
        return [f"{str(file.parent)!r} holds no parquet file"]  # the config folder without its parquet file
    if how == 5:
        file.write_bytes(_pick(rng, [b"", b"PAR1", b"not parquet at all", b"\x00" * 64]))
        return [str(file)]
    if how == 6:
        raw = (base / rel).read_bytes()
        file.write_bytes(raw[: rng.randrange(8, len(raw) - 8)])
        return [str(file)]
    table = pq.read_table(base / rel)
    if how in (7, 8):
        table = table.drop_columns([_pick(rng, table.column_names)])
    elif how in (9, 10):
        name = _pick(rng, table.column_names)
        other = 7 if pa.types.is_string(table.schema.field(name).type) else "x"  # a type the column does not have
        table = table.set_column(table.column_names.index(name), name, pa.array([other] * len(table)))
    else:
        file.mkdir()  # a folder where the parquet file should be
        return [str(file)]
    pq.write_table(table, file)
    return [str(file)]


def test_fuzz_dataset_folders(built_dataset, raw_dir, tmp_path):
    rng = random.Random(SEED)
    before = tree_hash(built_dataset)
    runner = CliRunner()
    outputs = raw_dir / "lm_evaluation" / "outputs" / "final"
    for k in range(DATASET_CASES):
        case = tmp_path / f"ds{k}"
        for p in built_dataset.rglob("*"):
            if p.is_file():
                (case / p.relative_to(built_dataset)).parent.mkdir(parents=True, exist_ok=True)
                (case / p.relative_to(built_dataset)).symlink_to(p)
        broken = craft_dataset(rng, case, built_dataset)
        crafted = tree_hash(case)
        args = (["info", "--dataset", str(case)] if k % 2 else
                ["score", "--upstream-outputs", str(outputs), "--dataset", str(case), "--n-boot", "0"])
        result = runner.invoke(cli, args)
        _check_clear_error(result, broken)
        assert tree_hash(case) == crafted
        shutil.rmtree(case)
    assert tree_hash(built_dataset) == before


# -- the stress test's edits (issue 19): plausible edits caught by the sums, malformed files by the readers ---------

def _case_release(tmp_path: Path, pristine: Path) -> Path:
    root = tmp_path / "release"
    for rel in INPUTS:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).symlink_to(pristine / rel)
    return root


def _rewrite(root: Path, rel: str, text: str | bytes) -> None:
    (root / rel).unlink()
    (root / rel).write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))


def _edit_json(root: Path, pristine: Path, rel: str, change) -> None:
    data = json.loads((pristine / rel).read_text(encoding="utf-8"))
    change(data)
    _rewrite(root, rel, json.dumps(data, ensure_ascii=False))


def _first_option(survey):
    group = survey[0]
    return group[next(iter(group))][0]


#: Seven edits a careful user could make by hand: valid JSON, every value in range, every record check passed.
#: Only the sha256 manifest (builders/upstream_manifest.json) tells them from the pinned release.
PLAUSIBLE_EDITS = {
    "a rating flipped": (rr.SURVEY_FILE, lambda d: _first_option(d)["data"][0].__setitem__(
        0, 7 - _first_option(d)["data"][0][0])),
    "a value score changed": (rr.VALUE_FILE, lambda d: d[RATERS[0]]["bfi"].__setitem__(
        "Extraversion", 3.0 if d[RATERS[0]]["bfi"]["Extraversion"] != 3.0 else 3.5)),
    "a published rho changed": (rr.CORRELATION_FILES["pvq"], lambda d: d[0].__setitem__(
        "spearman_corr", round(-d[0]["spearman_corr"] / 2, 6))),
    "a response reworded": (rr.QUERY_RESPONSE_FILES["Reddit"], lambda d: d[0]["outputs"][0].__setitem__(
        "content", d[0]["outputs"][0]["content"] + " Honestly.")),
    "a title edited": (rr.QUERY_RESPONSE_FILES["DearAbby"], lambda d: d[1]["content"].__setitem__(
        "title", d[1]["content"]["title"] + "!")),
    "a category renamed": (rr.CATEGORIES_FILE, lambda d: d[0].__setitem__("categories", ["Renamed"])),
    "a prompt reworded": ("lm_evaluation/prompts/v2/sharegpt_prompt.txt", None),
}


@pytest.mark.parametrize("name", list(PLAUSIBLE_EDITS))
def test_plausible_edit_refused_under_strict(name, pristine, cached_json, tmp_path):
    """Each edit is refused by --strict before anything is read or written, naming the file and both sums."""
    root = _case_release(tmp_path, pristine)
    rel, change = PLAUSIBLE_EDITS[name]
    if change is None:
        _rewrite(root, rel, (pristine / rel).read_text(encoding="utf-8").replace("Given", "Consider", 1))
        assert (root / rel).read_bytes() != (pristine / rel).read_bytes()
    else:
        _edit_json(root, pristine, rel, change)
    out = tmp_path / "outs" / "vp"
    out.parent.mkdir()
    result = CliRunner().invoke(cli, ["build", "--raw", str(root), "--out", str(out), "--strict"])
    _check_clear_error(result, [rel])
    assert "differs from the pinned release" in result.output and "Nothing was built (--strict)" in result.output
    assert rr.sha256_of(root / rel)[:12] in result.output
    assert list(out.parent.iterdir()) == []


def test_plausible_edit_builds_with_warning_and_is_labelled(pristine, tmp_path):
    """Without --strict the edited release builds, with a warning naming the file, and the build says it is not
    of the pinned release: build_info.json's modified_release (file, both sums) and a warning on the card."""
    root = _case_release(tmp_path, pristine)
    rel, change = PLAUSIBLE_EDITS["a rating flipped"]
    _edit_json(root, pristine, rel, change)
    out = tmp_path / "vp"
    result = CliRunner().invoke(cli, ["build", "--raw", str(root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Warning: the raw release at {str(root)!r} differs from the pinned release" in result.output
    info = json.loads((out / "build_info.json").read_text(encoding="utf-8"))
    assert info["modified_release"] == [{"file": rel, "sha256": rr.sha256_of(root / rel),
                                         "expected": "7ba9e06ed8f479c7be1df331e9f05d7b6167df664ead7fef4364b5b95d845540"}]
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "> **Warning.** Not the pinned release: 1 input file(s) differ" in card and rel in card
    shown = CliRunner().invoke(cli, ["info", "--dataset", str(out)])
    assert "Warning: Not the pinned release" in shown.output


def _dup_key(text: str, anchor: str, extra: str) -> str:
    """``text`` with ``extra`` (``"key": value, ``) inserted before the first ``anchor``: a key twice in one object."""
    at = text.index(anchor)
    return text[:at] + extra + text[at:]


def _prompt(rel: str, how) -> tuple[str, object]:
    return rel, lambda text: how(text)


REDDIT_PROMPT = "lm_evaluation/prompts/v1/reddit_prompt.txt"
SHAREGPT_PROMPT = "lm_evaluation/prompts/v3/sharegpt_prompt.txt"
#: The twelve malformed variants: each built with exit 0 before (issue 19); each must be an error naming the file
#: and what is wrong, with nothing written.
MALFORMED = {
    "duplicate key: a rating list twice": (rr.SURVEY_FILE, lambda t: _dup_key(t, '"data": ', '"data": [[4, "P"]], '),
                                           "duplicate key 'data'"),
    "duplicate key: a participant twice": (rr.VALUE_FILE, lambda t: "{" + f'"{RATERS[0]}": {{}}, ' + t[1:],
                                           lambda: f"duplicate key '{RATERS[0]}'"),
    "duplicate key: rho twice": (rr.CORRELATION_FILES["bfi"],
                                 lambda t: _dup_key(t, '"spearman_corr": ', '"spearman_corr": 0.9, '),
                                 "duplicate key 'spearman_corr'"),
    "data_source of another file": (rr.QUERY_RESPONSE_FILES["Reddit"],
                                    lambda t: t.replace('"data_source": "Reddit"', '"data_source": "ShareGPT"', 1),
                                    "data_source 'ShareGPT' does not match its file"),
    "prompt with a BOM": (REDDIT_PROMPT, lambda t: "\ufeff" + t, "byte-order mark"),
    "prompt with a NUL": (SHAREGPT_PROMPT, lambda t: t.replace(" ", " \x00", 1), "NUL character"),
    "prompt with an unknown placeholder": (REDDIT_PROMPT, lambda t: t + " {foo}", "unknown placeholder '{foo}'"),
    "prompt with a stray {": (SHAREGPT_PROMPT, lambda t: t.replace("{text}", "{ {text}", 1), "unbalanced '{'"),
    "prompt with a stray }": (REDDIT_PROMPT, lambda t: t.replace("{title}", "{title}}", 1), "unbalanced '}'"),
    "a categories key missing": (rr.CATEGORIES_FILE, lambda t: _drop_key(t, "categories"),
                                 "field categories is missing"),
    "a Reddit title missing": (rr.QUERY_RESPONSE_FILES["Reddit"], lambda t: _drop_key(t, "title"),
                               "field content.title is missing"),
    "a Dear Abby title empty": (rr.QUERY_RESPONSE_FILES["DearAbby"],
                                lambda t: _set_first(t, lambda d: d[2]["content"].__setitem__("title", " ")),
                                "field content.title is empty"),
}


def _drop_key(text: str, key: str) -> str:
    def drop(obj):
        if isinstance(obj, dict):
            if key in obj:
                del obj[key]
                return True
            return any(drop(v) for v in obj.values())
        return isinstance(obj, list) and any(drop(v) for v in obj)

    data = json.loads(text)
    assert drop(data)
    return json.dumps(data, ensure_ascii=False)


def _set_first(text: str, change) -> str:
    data = json.loads(text)
    change(data)
    return json.dumps(data, ensure_ascii=False)


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_release_refused(name, pristine, cached_json, tmp_path):
    """Each malformed variant is an Error naming the file and the fault; the earlier build is kept byte for byte."""
    root = _case_release(tmp_path, pristine)
    rel, change, fault = MALFORMED[name]
    fault = fault() if callable(fault) else fault
    text = (pristine / rel).read_text(encoding="utf-8")
    if rel.endswith(".json"):
        text = json.dumps(json.loads(text), ensure_ascii=False)  # compact, so that the anchors are found
    _rewrite(root, rel, change(text))
    out = tmp_path / "outs" / "vp"
    out.parent.mkdir()
    _earlier_build(out)
    before = tree_hash(out)
    result = CliRunner().invoke(cli, ["build", "--raw", str(root), "--out", str(out), "--overwrite"])
    _check_clear_error(result, [rel])
    error = next(line for line in result.output.splitlines() if line.startswith("Error: "))
    assert error.startswith(f"Error: {rel}: ") and fault in error, result.output
    assert tree_hash(out) == before and sorted(p.name for p in out.parent.iterdir()) == ["vp"]
