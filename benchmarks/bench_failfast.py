"""How fast `valueportrait run` stops the spend (issue 19), against the scripted server on 127.0.0.1.

Each scenario runs the real ``run`` command (in-process, with the defaults unless named: 8 slots, 6 attempts,
``--timeout 60``, ``--deadline 180``, ``--max-unparseable 20``) over the 520 v1 requests of a built dataset and
measures:

1. a server that dies (stops listening) after 40 answers: seconds from its death to the run's exit, and the
   requests sent after it died;
2. a server that hangs (accepts, never answers) after 40 answers, at ``--timeout 5`` and at the default 60 s;
3. a model that answers garbage (no Likert phrase) every time: requests sent before the run stops;
4. a slow server (lognormal latency, median 0.55 s, sigma 0.3) at ``--timeout 0.5``, 120 requests: requests the
   server answered more than once (the stress test: 15 of 120 before the late-answer fix).

Figures go in docs/runner.md ("Stopping the spend") and docs/security.md.

Usage: VALUEPORTRAIT_RAW=../shared/upstream python benchmarks/bench_failfast.py [--dataset BUILT_DIR] [--quick]
[--only dying,hanging,garbage,slow]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


def run(dataset: Path, out: Path, base_url: str, *extra: str):
    from click.testing import CliRunner

    from valueportrait.cli.main import cli

    args = ["run", "--dataset", str(dataset), "--model", "scripted", "--base-url", base_url, "--variants", "v1",
            "--out", str(out), "--quiet", *extra]
    return CliRunner().invoke(cli, args, env={"OPENAI_API_KEY": "bench-key-0000"})


def error_line(output: str) -> str:
    return next((line for line in output.splitlines() if line.startswith("Error:")), "(no error)")[:160]


def when(condition, then) -> dict:
    info: dict = {}

    def watch():
        while not condition():
            time.sleep(0.005)
        info["t"] = time.monotonic()
        info["sent"] = then()

    threading.Thread(target=watch, daemon=True).start()
    return info


def dying(dataset: Path, tmp: Path) -> None:
    from chat_server import ChatServer

    server = ChatServer(latency=0.01)
    server.start()

    def die():
        sent = sum(server.attempts.values())
        server.stop()
        return sent

    info = when(lambda: sum(server.answered.values()) >= 40, die)
    res = run(dataset, tmp / "dying", server.base_url)
    took = time.monotonic() - info["t"]
    print(f"1. server dies after 40 answers: exit {res.exit_code} {took:.1f} s after its death "
          f"(requests sent before it: {info['sent']})\n   {error_line(res.output)}")


def hanging(dataset: Path, tmp: Path, timeout: str) -> None:
    from chat_server import ChatServer

    hang = threading.Event()
    with ChatServer(fault=lambda key, attempt: "slow" if hang.is_set() else None, slow_s=3600) as server:
        info = when(lambda: sum(server.answered.values()) >= 40, lambda: hang.set())
        res = run(dataset, tmp / f"hang{timeout}", server.base_url, *(["--timeout", timeout] if timeout else []))
        took = time.monotonic() - info["t"]
    print(f"2. server hangs after 40 answers (--timeout {timeout or '60 (default)'}): exit {res.exit_code} "
          f"{took:.1f} s after it hung\n   {error_line(res.output)}")


def garbage(dataset: Path, tmp: Path) -> None:
    from chat_server import ChatServer

    with ChatServer(fault=lambda key, attempt: "garbage") as server:
        t0 = time.monotonic()
        res = run(dataset, tmp / "garbage", server.base_url)
        took = time.monotonic() - t0
    print(f"3. garbage answers: exit {res.exit_code} after {sum(server.attempts.values())} requests sent "
          f"({took:.1f} s)\n   {error_line(res.output)}")


def slow(dataset: Path, tmp: Path) -> None:
    from chat_server import ChatServer

    with ChatServer(latency=0.55, latency_sigma=0.3) as server:
        res = run(dataset, tmp / "slow", server.base_url, "--limit", "120", "--timeout", "0.5")
        twice = sum(1 for n in server.answered.values() if n > 1)
        retried = sum(1 for n in server.attempts.values() if n > 1)
    print(f"4. slow server, --timeout 0.5, 120 requests: exit {res.exit_code}; answered more than once: {twice} of "
          f"120 (requests with a second attempt sent: {retried})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", default=None, help="a built dataset folder (default: build one from the raw release)")
    ap.add_argument("--quick", action="store_true", help="skip the hang at the default 60 s timeout")
    ap.add_argument("--only", default="dying,hanging,garbage,slow", help="comma-separated scenarios to run")
    args = ap.parse_args()
    only = set(args.only.split(","))
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # the server's cancelled handlers at its stop
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        dataset = Path(args.dataset) if args.dataset else None
        if dataset is None:
            from valueportrait.builders.build import build_dataset

            dataset = tmp / "valueportrait"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                build_dataset(os.environ.get("VALUEPORTRAIT_RAW") or REPO.parent / "shared" / "upstream", dataset)
        if "dying" in only:
            dying(dataset, tmp)
        if "hanging" in only:
            hanging(dataset, tmp, "5")
            if not args.quick:
                hanging(dataset, tmp, "")
        if "garbage" in only:
            garbage(dataset, tmp)
        if "slow" in only:
            slow(dataset, tmp)


if __name__ == "__main__":
    main()
