"""``valueportrait.io``: atomic writes follow the umask, the folder swap, json_safe, safe_name, read_table."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pytest

from valueportrait.errors import InputError
from valueportrait.io import atomic_write_json, atomic_write_text, inside, json_safe, replace_folder, safe_name
from valueportrait.scale import item_id, item_sort_key, parse_item_id
from valueportrait.table_files import read_table


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_write_follows_the_umask(tmp_path, umask, mode):
    """0o666 & ~umask, what open() gives (tempfile alone would leave 0o600 whatever the umask; issue 12)."""
    old = os.umask(umask)
    try:
        path = atomic_write_text(tmp_path / "sub" / "a.txt", "x\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert path.read_text() == "x\n" and [p.name for p in path.parent.iterdir()] == ["a.txt"]  # no temp left


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    path = atomic_write_text(tmp_path / "a.json", "old\n")
    with pytest.raises(TypeError):
        atomic_write_json(path, {"x": {1, 2}})  # a set is not JSON: fails before anything is replaced
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_atomic_write_json_is_json_safe(tmp_path):
    path = atomic_write_json(tmp_path / "a.json", {"b": np.float64("nan"), "a": [np.int64(2), np.inf, np.bool_(False)]})
    assert path.read_text() == '{\n  "b": null,\n  "a": [\n    2,\n    null,\n    false\n  ]\n}\n'  # keys in order


def test_json_safe_types():
    out = json_safe({1: (np.float32(0.5), None, "x", -np.inf), "n": np.array([1.0, np.nan])})
    assert out == {"1": [0.5, None, "x", None], "n": [1.0, None]}
    assert type(out["1"][0]) is float


def test_replace_folder_swaps_and_follows_the_umask(tmp_path):
    import tempfile

    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    tmp = tempfile.mkdtemp(dir=tmp_path)  # mode 0o700
    (tmp_path / tmp / "new.txt").write_text("new")
    old = os.umask(0o022)
    try:
        replace_folder(tmp, out)
    finally:
        os.umask(old)
    assert [p.name for p in out.iterdir()] == ["new.txt"] and sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o755


def test_safe_name():
    assert safe_name("gpt-4o-2024-11-20") == "gpt-4o-2024-11-20"  # already safe: unchanged, no hash
    names = [safe_name(t) for t in ["../../evil", "/abs/path/pwned", "a/b", "a_b", "a\nb", "..", "", "a b"]]
    for n in names:
        assert n and "/" not in n and ".." not in n and not n.startswith(".") and n.isprintable()
    assert len(set(names)) == len(names)  # "a/b" and "a b" both clean to "a-b" and stay distinct
    assert safe_name("a/b") != safe_name("a b") and safe_name("a/b").startswith("a-b-")
    assert safe_name("a_b") == "a_b" and safe_name("Qwen2.5-72B_chat") == "Qwen2.5-72B_chat"  # upstream's names kept


def test_inside(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    assert inside(out, "m_scores.json") == out / "m_scores.json"
    (tmp_path / "elsewhere").mkdir()
    (out / "link").symlink_to(tmp_path / "elsewhere")
    for name in ["../evil.json", "/abs/pwned.json", "a/../../evil.json", "link/x.json", "."]:
        with pytest.raises(InputError, match="outside the output folder"):
            inside(out, name)


def test_item_ids():
    assert item_id(1008, 1) == "1008-1" and parse_item_id("1008-1") == (1008, 1)
    with pytest.raises(ValueError, match="'1008' is not an item id"):
        parse_item_id("1008")
    assert sorted(["1021-10", "1021-2", "x-1", "999-5"], key=item_sort_key) == ["999-5", "1021-2", "1021-10", "x-1"]


def test_read_table_formats(tmp_path):
    (tmp_path / "t.csv").write_text("a,b\nNA,1\n\n\"x\ny\",\n3\n")
    frame, rows = read_table(tmp_path / "t.csv")
    assert frame.values.tolist() == [["NA", "1"], ["x\ny", ""], ["3", ""]] and rows == ["line 2", "line 4", "line 6"]
    (tmp_path / "t.tsv").write_text("a\tb\n1\t2\n")
    assert read_table(tmp_path / "t.tsv")[0].values.tolist() == [["1", "2"]]
    (tmp_path / "t.jsonl").write_text('{"a": 1, "b": null}\n\n{"b": true}\n')
    frame, rows = read_table(tmp_path / "t.jsonl")
    assert frame.to_dict("list") == {"a": ["1", ""], "b": ["", "True"]} and rows == ["line 1", "line 3"]
    for obj in ([{"a": 1.5}], {"records": [{"a": 1.5}]}, {"a": [1.5]}):
        (tmp_path / "t.json").write_text(json.dumps(obj))
        frame, rows = read_table(tmp_path / "t.json")
        assert frame.to_dict("list") == {"a": ["1.5"]} and rows == ["record 1"]


@pytest.mark.parametrize("name, text, message", [
    ("t.csv", "a,b\n1,2,3\n", r"t\.csv', line 2: 3 fields but the header names 2 columns \(a, b\); the extra "
                              r"value\(s\) '3' come after column 'b'"),
    ("t.csv", "a,a\n1,2\n", r"line 1: the header has duplicate column names \('a'\)"),
    ("t.csv", "", r"t\.csv' is empty; expected a header line"),
    ("t.jsonl", '{"a": 1}\n{"a": \n', r"t\.jsonl', line 2: not valid JSON"),
    ("t.json", '"x"', r"t\.json': expected a JSON list of objects, one per row, found a str"),
    ("t.json", '[{"a": 1}, 2]', r"t\.json', record 2: expected a JSON object"),
    ("t.xlsx", "", r"t\.xlsx': expected a \.csv, \.tsv"),
])
def test_read_table_errors(tmp_path, name, text, message):
    (tmp_path / name).write_text(text)
    with pytest.raises(InputError, match=message):
        read_table(tmp_path / name)


def test_read_table_not_utf8(tmp_path):
    (tmp_path / "t.csv").write_bytes(b"a\n\xff\n")
    with pytest.raises(InputError, match="is not UTF-8 text"):
        read_table(tmp_path / "t.csv")
