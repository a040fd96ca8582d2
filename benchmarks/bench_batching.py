"""The transformers backend's batching: items/s at --batch-size 16 (and 4) against batch 1, on 2 CPU threads.

Models: the tests' tiny one (random 2-layer x 32 Llama, BPE tokenizer trained on the prompts) and a 4-layer x 256
one, both with a chat template (the prompt as a persona-less chat). Each item is the full scoring of one request
(the prompt once, its 6 answers on the prompt's KV cache): ``loglikelihoods_batch`` over consecutive items of the
dataset, in batches of the given size. Target: at least 3x at batch 16.

Usage: python benchmarks/bench_batching.py [--raw RAW | --dataset BUILT_DIR] [--items N] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_runner import dataset_folder  # noqa: E402


def items_per_second(backend, reqs, batch_size: int) -> tuple[float, float]:
    """(items per wall second, items per CPU second of this process): the second is the steadier figure on a
    machine shared with other work."""
    backend.loglikelihoods_batch([r.messages for r in reqs[:batch_size]])  # warm-up
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(0, len(reqs), batch_size):
        backend.loglikelihoods_batch([r.messages for r in reqs[i:i + batch_size]])
    return len(reqs) / (time.perf_counter() - t0), len(reqs) / (time.process_time() - c0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--raw", help="upstream release (default $VALUEPORTRAIT_RAW or ../shared/upstream)")
    ap.add_argument("--dataset", help="an already built dataset folder")
    ap.add_argument("--items", type=int, default=96)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    import torch

    from tiny_lm import make_tiny_model
    from valueportrait.dataset import open_dataset
    from valueportrait.runner.prompts import build_requests
    from valueportrait.runner.transformers_backend import TransformersBackend
    from valueportrait.scale import LIKERT

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        data = open_dataset(dataset_folder(args, tmp))
        corpus_reqs = build_requests(data.items, data.prompts, variants=["v1", "v2"], limit=5)
        corpus = [m["content"] for r in corpus_reqs for m in r.messages] + [" " + p for p in LIKERT] * 20
        reqs = build_requests(data.items, data.prompts, variants=["v1"], limit=args.items)
        print(f"transformers backend, items/s on {args.threads} CPU threads ({len(reqs)} items of variant v1; "
              f"load average {os.getloadavg()[0]:.1f}); wall-clock items/s, then items per CPU-second")
        print("| model (layers x hidden) | prompt tokens (mean) | batch 1 | batch 4 | batch 16 | speed-up at 16 "
              "(wall) | speed-up at 16 (CPU) |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, hidden, layers in (("tiny (tests): 2 x 32", 32, 2), ("4 x 256", 256, 4)):
            folder = make_tiny_model(tmp / f"lm-{hidden}", corpus, chat=True, hidden=hidden, layers=layers)
            backend = TransformersBackend(str(folder), device="cpu").load()
            ctx = sum(len(backend.context_ids(r.messages)) for r in reqs) / len(reqs)
            rates = {b: items_per_second(backend, reqs, b) for b in (1, 4, 16)}
            cells = " | ".join(f"{rates[b][0]:.1f} ({rates[b][1]:.1f})" for b in (1, 4, 16))
            print(f"| {name} | {ctx:.0f} | {cells} | {rates[16][0] / rates[1][0]:.1f}x "
                  f"| {rates[16][1] / rates[1][1]:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
