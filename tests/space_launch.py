"""Start the metric Space the way the Hub starts a Docker Space: the Dockerfile's CMD, run in a folder holding the
files `valueportrait publish-metric` uploads, with the Dockerfile's ENV (the host and port overridden so that a
test on this machine reaches it: 127.0.0.1 and a free port). Used by tests/test_metric_app.py and by .ci/release
(there with the wheel installed in a fresh venv)."""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import time
import urllib.request
from pathlib import Path


def read_dockerfile(path: Path) -> dict:
    """The instructions a launch needs: ``env`` (ENV, in order), ``cmd`` (CMD in exec form), ``expose``
    (EXPOSE ports) and ``requirements`` (files given to ``pip install -r``)."""
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    out: dict = {"env": {}, "cmd": None, "expose": [], "requirements": []}
    for line in text.splitlines():
        words = line.strip().split(None, 1)
        if not words or words[0].startswith("#") or len(words) < 2:
            continue
        op, rest = words[0].upper(), words[1]
        if op == "ENV":
            for pair in shlex.split(rest):
                key, value = pair.split("=", 1)
                out["env"][key] = value
        elif op == "CMD":
            out["cmd"] = json.loads(rest)  # exec form only: the Hub runs it without a shell
        elif op == "EXPOSE":
            out["expose"] += [int(p) for p in rest.split()]
        elif op == "RUN" and "pip install" in rest:
            args = shlex.split(rest)
            out["requirements"] += [args[i + 1] for i, a in enumerate(args) if a == "-r"]
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(space: Path, python: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """Run the Dockerfile's CMD in ``space`` (``python`` standing in for the image's interpreter); wait until it
    answers; return the process and its base URL. The caller terminates the process."""
    spec = read_dockerfile(space / "Dockerfile")
    cmd = [python if spec["cmd"][0] == "python" else spec["cmd"][0], *spec["cmd"][1:]]
    port = free_port()
    app_env = {k: v for k, v in spec["env"].items() if k.startswith("VALUEPORTRAIT_")}  # not HOME, PATH: the image's
    full = {**os.environ, **app_env, **(env or {}), "VALUEPORTRAIT_HOST": "127.0.0.1", "VALUEPORTRAIT_PORT": str(port)}
    proc = subprocess.Popen(cmd, cwd=space, env=full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/", timeout=1).read()
            return proc, url
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"the Space exited with status {proc.returncode}:\n{proc.stdout.read()}") from None
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("the Space did not answer within 60 s") from None
            time.sleep(0.05)
