"""Reading upstream's 24 released output files: the msgspec reader against the alternatives it was chosen over.

Three readers of the same bytes, each giving (portrait_id, option_id, text, numeric_response) per entry:

* ``msgspec``: ``valueportrait.ratings.upstream._read_entries`` (a typed decode of only the fields scoring reads);
* ``regex scan``: the reader it replaced (split on the ``"portrait_id":`` key, a regular expression over each
  entry's head), kept here verbatim as the baseline;
* ``orjson``: a full decode with orjson, then the same field picking (skipped when orjson is not installed:
  ``pip install orjson``).

All three are first checked to give identical entries on every file; then each reads all files ``--repeat``
times in this process from the same files (so all see the same machine load and disk) and the median and minimum are printed.

Usage: python benchmarks/bench_reader.py [--raw ../shared/upstream] [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

_STRING = rb'"([^"\\]*(?:\\.[^"\\]*)*)"'
_HEAD = re.compile(
    rb'\s*(\d+)\s*,\s*"option_id":\s*(\d+)\s*,\s*"(raw_response|error)":\s*' + _STRING
    + rb'(?:\s*,\s*"parsed_response":\s*(?:null|"[^"\\]*(?:\\.[^"\\]*)*")\s*,\s*"numeric_response":\s*'
    rb'(null|-?\d+(?:\.\d+)?))?'
)


def regex_scan(raw: bytes):
    """The replaced reader's fast path (upstream's layout only)."""
    groups = [m.groups() for m in (_HEAD.match(c) for c in raw.split(b'"portrait_id":')[1:])]
    decoded: dict[bytes, str] = {}
    for _, _, _, t, _ in groups:
        if t not in decoded:
            decoded[t] = t.decode("utf-8") if b"\\" not in t else json.loads(b'"' + t + b'"')
    return [(int(p), int(o), decoded[t], None if n is None or n == b"null" else float(n)) for p, o, _, t, n in groups]


def orjson_full(raw: bytes):
    import orjson

    out = []
    for e in orjson.loads(raw):
        text = e.get("raw_response")
        if text is None and isinstance(e.get("error"), str):
            text = e["error"]
        num = e.get("numeric_response")
        out.append((int(e["portrait_id"]), int(e["option_id"]), text,
                    float(num) if isinstance(num, (int, float)) else None))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--raw", default=os.environ.get("VALUEPORTRAIT_RAW", "../shared/upstream"))
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    from valueportrait.ratings.upstream import _read_entries, find_output_files

    files = find_output_files(Path(args.raw) / "lm_evaluation" / "outputs" / "final")
    raws = [f.path.read_bytes() for f in files]
    with tempfile.TemporaryDirectory() as t:  # the msgspec reader takes a path: copies on a local disk
        paths = []
        for k, raw in enumerate(raws):
            paths.append(Path(t) / f"m{k}_v1_results.json")
            paths[-1].write_bytes(raw)
        readers = {"msgspec (kept)": lambda: [_read_entries(p) for p in paths],
                   "regex scan (replaced)": lambda: [regex_scan(p.read_bytes()) for p in paths]}
        try:
            import orjson  # noqa: F401

            readers["orjson, full decode"] = lambda: [orjson_full(p.read_bytes()) for p in paths]
        except ImportError:
            print("orjson not installed: its row is skipped (pip install orjson)")
        results = {name: fn() for name, fn in readers.items()}
        first = next(iter(results.values()))
        assert all(r == first for r in results.values()), "the readers disagree"
        print(f"{len(files)} files, {sum(map(len, raws)) / 1e6:.1f} MB; the readers give identical entries on every "
              f"file; load average {os.getloadavg()[0]:.1f}")
        base = None
        print(f"{'reader':24} {'median ms':>10} {'min ms':>8} {'vs msgspec':>11}")
        for name, fn in readers.items():
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
            med = statistics.median(times) * 1000
            base = base or med
            print(f"{name:24} {med:10.1f} {min(times) * 1000:8.1f} {med / base:10.2f}x")


if __name__ == "__main__":
    main()
