"""Seeded fuzz of malformed ratings files and run logs through `valueportrait score` (issue 12).

Every case starts from a valid input (a ratings file in one of the four formats, or a run directory written by
the runner's own RunLog) and applies one mutation that makes it invalid. Each must end with exit status 1, an
``Error:`` line naming the file (or run directory), no traceback and no unexpected exception, and nothing
already written changed: the input itself and the --out folder (an earlier leaderboard and score file, given
with --overwrite) stay byte for byte.
The figures (cases, clear errors, data lost) are in docs/security.md.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from valueportrait.cli.main import cli
from valueportrait.dataset import open_dataset
from valueportrait.staging import output_folder

pytestmark = pytest.mark.slow  # fuzz suite

SEED = 12
N_FILE_CASES = 240
N_RUN_CASES = 120
BAD_RATINGS = ["7", "0", "-1", "6.5", "0.99", "abc", "inf", "-inf", "1e9", "like you", "True", "[5]", "{}", "5 5"]
FORMATS = (".csv", ".tsv", ".jsonl", ".json")


@pytest.fixture(scope="module")
def item_ids(built_dataset):
    return open_dataset(built_dataset).item_ids[:12]


def _rows(ids):
    return [{"model": "m", "item_id": i, "variant": "v1", "persona": "", "rating": str(1 + k % 6)}
            for k, i in enumerate(ids)]


def _write_table(path: Path, rows: list[dict], columns: list[str]) -> None:
    if path.suffix in (".csv", ".tsv"):
        sep = "\t" if path.suffix == ".tsv" else ","
        path.write_text("\n".join([sep.join(columns)] + [sep.join(r.get(c, "") for c in columns) for r in rows]) + "\n")
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps({c: r[c] for c in columns if c in r}) + "\n" for r in rows))
    else:
        path.write_text(json.dumps([{c: r[c] for c in columns if c in r} for r in rows]))


def _parses(data: bytes, suffix: str) -> bool:
    try:
        if suffix == ".jsonl":
            [json.loads(ln) for ln in data.split(b"\n") if ln.strip()]
        else:
            json.loads(data)
    except ValueError:
        return False
    return True


def _file_case(rng: random.Random, folder: Path, ids: list[str]) -> tuple[Path, str]:
    """A malformed ratings file and the name of its mutation."""
    suffix = rng.choice(FORMATS)
    rows, columns = _rows(ids), ["model", "item_id", "variant", "persona", "rating"]
    path = folder / f"ratings{suffix}"
    k = rng.randrange(len(rows))
    text_format = suffix in (".csv", ".tsv")
    kinds = ["drop column", "empty model", "empty item_id", "bad rating", "not utf-8", "empty file", "wrong suffix",
             "unknown variant"]
    kinds += ["extra field", "duplicate header", "header only"] if text_format else \
        ["broken json", "not an object", "json boolean rating", "lone surrogate", "huge integer"] + \
        (["top-level scalar"] if suffix == ".json" else [])
    kind = rng.choice(kinds)
    if kind == "drop column":
        columns.remove(rng.choice(["model", "item_id", "rating"]))
    elif kind == "empty model":
        rows[k]["model"] = ""
    elif kind == "empty item_id":
        rows[k]["item_id"] = ""
    elif kind == "bad rating":
        rows[k]["rating"] = rng.choice(BAD_RATINGS)
    elif kind == "unknown variant":  # issue 19: score took these silently while the metric refused them
        rows[k]["variant"] = rng.choice(["v9", "V1", "v1 ", " ", "v4_reversed"])
    elif kind == "lone surrogate":  # issue 19: a JSON escape of half a UTF-16 pair (json.dumps writes \\udXXX)
        rows[k][rng.choice(["model", "item_id", "persona", "rating"])] += chr(rng.choice([0xD800, 0xDC00, 0xDFFF]))
    elif kind == "huge integer":  # issue 19: an integer of over 4,300 digits
        rows[k]["rating"] = "__BIG__"
    _write_table(path, rows, columns)
    if kind == "huge integer":
        path.write_text(path.read_text().replace('"__BIG__"', "1" * rng.choice([4301, 5000, 20000])))
    data = path.read_bytes()
    lines = data.split(b"\n")
    at = 1 + k if len(lines) > 2 else 0
    if kind == "not utf-8":
        cut = rng.randrange(len(data))
        data = data[:cut] + bytes([rng.choice([0xff, 0xfe, 0xc3, 0x80])]) + data[cut:]
    elif kind == "empty file":
        data = b""
    elif kind == "header only":
        data = lines[0] + b"\n"
    elif kind == "extra field":
        lines[at] += (b"\t" if suffix == ".tsv" else b",") + b"surplus"
        data = b"\n".join(lines)
    elif kind == "duplicate header":
        sep = b"\t" if suffix == ".tsv" else b","
        lines[0] += sep + rng.choice([b"rating", b"model", b""])
        data = b"\n".join(lines)
    elif kind == "broken json":
        good = data
        while _parses(data, suffix):  # a change that leaves valid JSON is drawn again
            cut = rng.randrange(1, len(good) - 2)
            data = good[:cut] + rng.choice([b"{", b'"', b"]", b",,"]) + good[cut + 1:]
    elif kind == "not an object":
        if suffix == ".jsonl":
            lines[k] = rng.choice([b"[1, 2]", b"5", b'"text"', b"null"])
            data = b"\n".join(lines)
        else:
            data = json.dumps([*json.loads(data)[:k], rng.choice([[1, 2], 5, "text"])]).encode()
    elif kind == "json boolean rating":
        records = [json.loads(ln) for ln in lines if ln.strip()] if suffix == ".jsonl" else json.loads(data)
        records[k]["rating"] = rng.choice([True, False, [5], {"r": 5}])
        data = (b"".join(json.dumps(r).encode() + b"\n" for r in records) if suffix == ".jsonl"
                else json.dumps(records).encode())
    elif kind == "top-level scalar":
        data = rng.choice([b"5", b'"ratings"', b"true", b"{}"])
    path.write_bytes(data)
    if kind == "wrong suffix":
        path = path.rename(path.with_suffix(rng.choice([".xlsx", ".txt.gz", ".parquet", ""])))
    return path, f"{suffix} {kind}"


def _run_case(rng: random.Random, folder: Path, ids: list[str]) -> tuple[Path, str]:
    """A run directory written by the runner, then damaged."""
    from valueportrait.runner.rundir import RunLog

    run = folder / "run"
    manifest = {"format": "valueportrait-run", "format_version": 1, "model": "m", "backend": "openai",
                "variants": ["v1"], "personas": [], "sessions": []}
    with RunLog.open(run, manifest) as log:
        for k, i in enumerate(ids):
            log.append({"item_id": i, "variant": "v1", "persona": None, "status": "rated", "rating": 1.0 + k % 6,
                        "raw": "x", "error": None})
    mpath, rpath = run / "manifest.json", run / "records.jsonl"
    lines = rpath.read_bytes().split(b"\n")
    k = rng.randrange(len(ids))
    kind = rng.choice(["no manifest", "manifest not json", "manifest not utf-8", "manifest shape", "record not json",
                       "record not utf-8", "record fields", "record not an object", "record rating",
                       "record empty item_id"])
    if kind == "no manifest":
        mpath.unlink()
    elif kind == "manifest not json":
        text = mpath.read_bytes()
        mpath.write_bytes(text[:rng.randrange(1, len(text) - 1)])
    elif kind == "manifest not utf-8":
        mpath.write_bytes(b'{"format": "valueportrait-run", "model": "\xff\xfe"}')
    elif kind == "manifest shape":
        bad = rng.choice([[1, 2], "run", {**manifest, "format": "other"}, {k: v for k, v in manifest.items()
                                                                            if k != "model"}])
        mpath.write_text(json.dumps(bad))
    elif kind in ("record not json", "record not utf-8"):
        lines[k] = lines[k][:rng.randrange(1, len(lines[k]))] + (b"\xff" if kind == "record not utf-8" else b"")
        if kind == "record not json" and k == len(ids) - 1:
            lines.append(b'{"torn": ')  # a damaged line before the last one, not only a torn tail
            lines.append(b"")
            lines[-3], lines[-2] = lines[-2], lines[-3]
        rpath.write_bytes(b"\n".join(lines))
    else:
        rec = json.loads(lines[k])
        if kind == "record fields":
            rec.pop(rng.choice(["item_id", "variant", "status"]), None) if rng.random() < 0.6 else \
                rec.update(status=rng.choice(["done", "", None, 3]))
        elif kind == "record not an object":
            rec = rng.choice([[1, 2], "rated", 5])
        elif kind == "record rating":
            rec["rating"] = rng.choice([9, 0, -3.5, "abc", True, [5]])
        else:
            rec["item_id"] = ""
        lines[k] = json.dumps(rec).encode()
        rpath.write_bytes(b"\n".join(lines))
    return run, kind


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_fuzz_malformed_ratings_files_and_run_logs(tmp_path, built_dataset, item_ids):
    rng = random.Random(SEED)
    runner = CliRunner()
    kinds, failures = {}, []
    for n in range(N_FILE_CASES + N_RUN_CASES):
        folder = tmp_path / f"case{n}"
        folder.mkdir()
        path, kind = (_file_case if n < N_FILE_CASES else _run_case)(rng, folder, item_ids)
        out = folder / "out"
        with output_folder(out, overwrite=False, command="score") as tmp:  # an earlier score: --overwrite keeps it
            (tmp / "earlier_scores.json").write_text('{"kept": true}\n')
            (tmp / "leaderboard.csv").write_text("model\nearlier\n")
        before, inputs = _digest(out), _digest(folder)
        res = runner.invoke(cli, ["score", str(path), "--dataset", str(built_dataset), "--out", str(out),
                                  "--n-boot", "0", "--no-humans", "--overwrite"])
        errors = [ln for ln in res.output.splitlines() if ln.startswith("Error: ")]
        ok = (res.exit_code == 1 and isinstance(res.exception, (SystemExit, type(None)))
              and len(errors) == 1 and str(path) in errors[0] and "Traceback" not in res.output
              and "internal error" not in res.output
              and _digest(out) == before and _digest(folder) == inputs)
        kinds[kind] = kinds.get(kind, 0) + 1
        if not ok:
            failures.append(f"case {n} ({kind}): exit {res.exit_code}, {res.exception!r}: {res.output[-300:]!r}")
    assert not failures, f"{len(failures)} of {n + 1} cases:\n" + "\n".join(failures[:15])
    assert n + 1 == N_FILE_CASES + N_RUN_CASES and len(kinds) >= 30  # every mutation kind was drawn
    assert {k.split(" ", 1)[1] for k in kinds} >= {"unknown variant", "lone surrogate", "huge integer"}  # issue 19
