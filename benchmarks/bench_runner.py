"""Runner speed: API throughput against a local server, and the log-likelihood backend's shared prefix.

1. API throughput (httpx). A scripted chat-completions server (tests/chat_server.py) runs in its own process on
   127.0.0.1 with a lognormal latency (median 800 ms, sigma 0.5: a hosted API's) or a fixed 50 ms (a local
   server); the real runner engine (OpenAI backend + run log with one fsync per record) sends requests at
   concurrency 1 / 8 / 32 / 64. The bound is concurrency / mean latency; the figure is throughput / bound
   (target >= 95% at 64 with the realistic latency).
2. Log-likelihood backend. On the tiny model of the tests (random 2-layer Llama, BPE tokenizer trained on the
   prompts), rating one request with the shared prefix (prompt once + 6 continuations batched on its KV cache)
   vs 6 separate full passes (target >= 3x). A wider model is measured too.

Usage: python benchmarks/bench_runner.py [--raw RAW | --dataset BUILT_DIR] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dataset_folder(args, tmp: Path) -> Path:
    if args.dataset:
        return Path(args.dataset)
    from valueportrait.builders.build import build_dataset
    from valueportrait.settings import Build

    out = tmp / "valueportrait"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        build_dataset(out,
                      Build(raw=args.raw or os.environ.get("VALUEPORTRAIT_RAW") or REPO.parent / "shared" / "upstream"))
    return out


def bench_api(data, tmp: Path, latency: float, levels: list[int], per_level: int, rounds: int,
              sigma: float = 0.0) -> list[tuple]:
    from valueportrait.runner.execute import run_requests
    from valueportrait.runner.chat_backend import OpenAIChatBackend, OpenAIConfig
    from valueportrait.runner.prompts import build_requests
    from valueportrait.runner.rundir import RunLog

    port = free_port()
    server = subprocess.Popen([sys.executable, str(REPO / "tests" / "chat_server.py"), "--port", str(port),
                               "--latency", str(latency), "--latency-sigma", str(sigma)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        server.stdout.readline()  # "serving ..."
        all_reqs = build_requests(data.items, data.prompts, variants=["v1", "v1_reversed", "v2", "v2_reversed", "v3",
                                                                     "v3_reversed"])
        rows = []
        for c in levels:
            n = min(len(all_reqs), max(per_level, rounds * c))  # `rounds` latencies' worth at full concurrency
            reqs = all_reqs[:n]
            config = OpenAIConfig(model="scripted", base_url=f"http://127.0.0.1:{port}/v1", api_key="bench",
                                  concurrency=c, timeout=30)
            with RunLog.open(tmp / f"api-c{c}-{latency}", {"format": "valueportrait-run", "model": "scripted"}) as log:
                async def go():
                    async with OpenAIChatBackend(config) as backend:
                        t0, cpu0 = time.perf_counter(), time.process_time()
                        summary = await run_requests(backend, reqs, log, concurrency=c, progress=False)
                        return summary, time.perf_counter() - t0, time.process_time() - cpu0

                summary, elapsed, cpu = asyncio.run(go())
            assert summary.rated == n, summary
            bare = asyncio.run(bare_httpx(config.base_url + "/chat/completions", reqs, c))
            rate = n / elapsed
            bound = c / (latency * math.exp(sigma ** 2 / 2))  # the lognormal's mean latency
            rows.append((c, n, elapsed, rate, bound, rate / bound, cpu / n * 1e3, bare))
        return rows
    finally:
        server.terminate()
        server.wait(10)


async def bare_httpx(url: str, reqs, c: int) -> float:
    """Requests/s of bare httpx posts through httpx's default transport (one single-connection client per slot,
    no parsing, no log): the cost of the runner's own work (retries, parsing, the fsynced log) on top."""
    import httpx

    clients = [httpx.AsyncClient(limits=httpx.Limits(max_connections=1), timeout=60) for _ in range(c)]
    queue: asyncio.Queue = asyncio.Queue()
    for r in reqs:
        queue.put_nowait({"model": "scripted", "messages": list(r.messages)})

    async def worker(client):
        while not queue.empty():
            (await client.post(url, json=queue.get_nowait())).json()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(cl) for cl in clients))
    elapsed = time.perf_counter() - t0
    await asyncio.gather(*(cl.aclose() for cl in clients))
    return len(reqs) / elapsed


def bench_loglik(data, tmp: Path, repeats: int) -> list[tuple]:
    import torch

    from tiny_lm import make_tiny_model
    from valueportrait.scale import LIKERT
    from valueportrait.runner.prompts import build_requests
    from valueportrait.runner.transformers_backend import TransformersBackend

    torch.set_num_threads(1)
    corpus_reqs = build_requests(data.items, data.prompts, variants=["v1", "v2"], limit=5)
    corpus = [m["content"] for r in corpus_reqs for m in r.messages] + [" " + p for p in LIKERT] * 20
    reqs = build_requests(data.items, data.prompts, variants=["v1"], limit=repeats)
    rows = []
    for name, hidden, layers in (("tiny (tests): 2 x 32", 32, 2), ("wider: 4 x 256", 256, 4)):
        folder = make_tiny_model(tmp / f"lm-{hidden}", corpus, chat=True, hidden=hidden, layers=layers)
        backend = TransformersBackend(str(folder), device="cpu").load()
        ctx_len = sum(len(backend.context_ids(r.messages)) for r in reqs) / len(reqs)
        timings = {}
        for method in ("loglikelihoods", "loglikelihoods_separate"):
            fn = getattr(backend, method)
            fn(reqs[0].messages)  # warm-up
            t0 = time.perf_counter()
            for r in reqs:
                fn(r.messages)
            timings[method] = (time.perf_counter() - t0) / len(reqs)
        shared, separate = timings["loglikelihoods"], timings["loglikelihoods_separate"]
        rows.append((name, ctx_len, shared * 1e3, separate * 1e3, separate / shared))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--raw", help="upstream release (default $VALUEPORTRAIT_RAW or ../shared/upstream)")
    ap.add_argument("--dataset", help="an already built dataset folder")
    ap.add_argument("--quick", action="store_true", help="fewer requests")
    ap.add_argument("--api-only", action="store_true", help="skip the log-likelihood benchmark")
    ap.add_argument("--lognormal-only", action="store_true", help="only the realistic (800 ms lognormal) latency")
    args = ap.parse_args()
    from valueportrait.dataset import open_dataset

    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        data = open_dataset(dataset_folder(args, tmp))
        # 48 latencies' worth of requests at full concurrency (3072 at 64, about a full run's 3120): the last
        # requests' tail (the slowest of a lognormal) then weighs little against the run's length
        settings = [(0.8, 0.5, [8, 32, 64], 10 if args.quick else 48)]
        if not args.lognormal_only:
            settings.append((0.05, 0.0, [1, 8, 32, 64], 20 if args.quick else 50))
        for latency, sigma, levels, rounds in settings:
            rows = bench_api(data, tmp, latency, levels, per_level=40 if args.quick else 100, rounds=rounds,
                             sigma=sigma)
            kind = f"lognormal, median {latency * 1e3:.0f} ms, sigma {sigma}" if sigma else \
                f"fixed {latency * 1e3:.0f} ms"
            print(f"\nAPI throughput (httpx), local server with {kind} latency (bound = concurrency / mean latency)")
            print(f"(machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end)")
            print("| concurrency | requests | seconds | req/s | bound req/s | efficiency | client CPU ms/req "
                  "| bare httpx posts req/s |")
            print("|---:|---:|---:|---:|---:|---:|---:|---:|")
            for c, n, el, rate, bound, eff, cpu, bare in rows:
                print(f"| {c} | {n} | {el:.2f} | {rate:.1f} | {bound:.1f} | {eff:.0%} | {cpu:.2f} | {bare:.1f} |")
        if args.api_only:
            return
        lrows = bench_loglik(data, tmp, repeats=10 if args.quick else 30)
        print("\nLog-likelihood backend, ms per request (CPU, 1 thread)")
        print("| model (layers x hidden) | prompt tokens | shared prefix | 6 separate passes | speed-up |")
        print("|---|---:|---:|---:|---:|")
        for name, ctx, shared, sep, speed in lrows:
            print(f"| {name} | {ctx:.0f} | {shared:.1f} | {sep:.1f} | {speed:.1f}x |")


if __name__ == "__main__":
    main()
