"""Every shell command of docs/*.md runs as written, page by page, and prints what the page shows.

Each page runs in its own empty work directory laid out as a reader's would be after the README's first steps:
``examples/`` and ``tests/`` of the checkout, ``../shared/upstream`` (the release, as the README places it) and,
for every page but dataset.md (which builds it itself), ``./valueportrait``: a dataset built from the release
with the default settings (what the README's first command makes). The page's commands then run in order:
``valueportrait ...`` through the real CLI, everything else (``head``, ``wc``, ``cmp``, ``python FILE.py``,
``inspect eval``, ``lm_eval``) in a real shell; a command the page repeats (a transcript of one shown
before) is not run again: its transcript is compared with what the first run printed. A Python block whose first line is ``# NAME.py ...`` is the
file the page tells the reader to save; it is written to NAME.py before the page's commands run. A ``>>>``
session runs as a doctest where it stands (whitespace normalised, ``...`` matching any text).

Hosted services are stood in for by real servers on 127.0.0.1 speaking the same protocol: OpenAI's API
(``OPENAI_BASE_URL``), Ollama's OpenAI-compatible endpoint on its port 11434, the page's scripted server on
8765, Inspect's ``openai-api/local`` provider (``LOCAL_BASE_URL``). A command that needs what no test can
have (a model from the Hub, a GPU, Anthropic's batch API, the package registry) is listed in :data:`NOT_RUN`
with the reason and the test that runs its equivalent.

A ``console`` transcript is compared line by line with what the command printed (for a command other than
``valueportrait``, its standard output: lm-eval's log lines go to stderr): a line ``...`` stands for any
number of lines and ``...`` inside a line for any text; progress bars are dropped (they are redrawn in place);
in the lines of :data:`VOLATILE` the numbers may differ (timings, the count a ``kill -9`` left), and a JSON
record is compared field by field (floats to 1e-4), without its timing fields.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

pytestmark = pytest.mark.slow  # docs-as-tests: every docs page's commands run for real (minutes)

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

#: Commands not run here (matched by their start), why, and what runs their equivalent.
NOT_RUN = {
    "python3.11 -m venv": "makes a new virtual environment: the suite runs in the installed one",
    "vp-min/bin/python": "the minimum-versions recipe installs pinned versions from the package registry "
                         "(the CI job installs the current ones)",
    "VALUEPORTRAIT_RAW=/path/to/upstream": "the test suite itself",
    "source lmeval-venv/bin/activate": "activates the recipe's new virtual environment (see python3.11 above)",
    "python -m pip install": "installs from the package registry: the suite runs in the installed environment",
    "valueportrait run --dataset ./valueportrait --model Qwen/Qwen2.5-0.5B-Instruct": (
        "downloads a model from the Hub; tests/test_runner_transformers.py runs the same command on a local model"),
    "valueportrait run --dataset ./valueportrait --model Qwen/Qwen2.5-7B --backend openai-completions": (
        "needs a vLLM / SGLang server of Qwen2.5-7B; tests/test_runner_completions.py runs the command against "
        "a server on 127.0.0.1 that computes log-probabilities with a tiny model"),
    "inspect eval valueportrait/value_portrait --model anthropic/": (
        "Anthropic's batch API; tests/test_inspect_task.py runs the task on Inspect's own models"),
    "lm_eval --model vllm": "needs GPUs and vLLM; the lm_eval --model hf command below runs the same task",
}
#: Expected output lines whose numbers may differ from run to run, and why.
VOLATILE = {
    r"sent now in [\d.]+ s": "wall-clock timings",
    r"already done": "a killed run's count depends on when the kill landed",
    r"^Done: \d+ rated": "a killed run's count depends on when the kill landed",
    r"^\d+ runs/killed/records.jsonl$": "a killed run's count depends on when the kill landed",
}
#: A record's fields that are timings.
TIMING_FIELDS = {"latency_s", "finished_at"}
#: Commands that show the first record of a run with concurrency > 1: records are written in the order requests
#: finish, so the first is any item's (its fields but these are still compared).
FINISH_ORDER = {"head -1 runs/scripted/records.jsonl": {"item_id", "variant", "rating", "raw"}}
#: Files a page runs that another page shows (page -> [(page showing it, file name)]).
FILES_FROM = {"dataset.md": [("deviation.md", "make_synthetic.py")]}
#: Ports of the local stand-ins the pages name (Ollama's default, the runner page's scripted server). Each is
#: served on a free port instead (two suites can run on one machine): a command's ``127.0.0.1:PORT`` /
#: ``localhost:PORT`` is rewritten to the free port before it runs, and back in what it printed.
PAGE_PORTS = {"runner.md": (11434, 8765), "your-survey.md": (8766,)}
#: docs/your-survey.md's scripted model answers in its instrument's German phrases (`python tests/chat_server.py
#: --port 8766 --phrases ...`: rating 1-5 from the request's hash, as the English server's 1-6).
GERMAN = ("überhaupt nicht wie ich", "nicht wie ich", "ein wenig wie ich", "wie ich", "sehr wie ich")
_HOST_PORT = re.compile(r"\b(127\.0\.0\.1|localhost):(\d+)\b")


def map_ports(text: str, ports: dict[int, int]) -> str:
    """``text`` with each ``HOST:PORT`` whose port is a key of ``ports`` given the port it maps to."""
    return _HOST_PORT.sub(lambda m: f"{m.group(1)}:{ports.get(int(m.group(2)), m.group(2))}", text)


@dataclass
class Step:
    line: str                 # the command as the shell reads it (continuations joined)
    shown: list[str] | None   # the output a console transcript shows after it; None: a bash block's command
    page: str


@dataclass
class Doctest:
    text: str                 # a ``>>>`` session: run with doctest, its output compared
    page: str


def run_doctest(test: Doctest, globs: dict) -> None:
    """Run a page's ``>>>`` session as a doctest (whitespace normalised, ``...`` matching any text)."""
    import doctest
    import io

    parsed = doctest.DocTestParser().get_doctest(test.text, globs, f"{test.page} session", test.page, 0)
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    runner.run(parsed, out=report.write)
    assert runner.failures == 0, report.getvalue()


def page_steps(page: Path) -> list[Step | Doctest | tuple[str, str]]:
    """A page's commands and ``>>>`` sessions in order, and (file name, text) for each Python block that names
    its file."""
    text = page.read_text(encoding="utf-8")
    out: list[Step | tuple[str, str]] = []
    for lang, block in re.findall(r"^ *```(bash|console|python)\n(.*?)^ *```", text, flags=re.S | re.M):
        if lang == "python":
            first = block.lstrip().splitlines()[0]
            m = re.match(r"#\s*(\w+\.py)\b", first)
            if m:
                out.append((m.group(1), block))
            elif first.startswith(">>> "):
                out.append(Doctest(block, page.name))
            continue
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            raw = lines[i].strip()
            if lang == "console" and not raw.startswith("$ "):
                i += 1
                continue
            cmd = raw[2:] if lang == "console" else raw
            while cmd.endswith("\\") and i + 1 < len(lines):
                i += 1
                cmd = cmd[:-1].rstrip() + " " + lines[i].strip()
            i += 1
            shown = None
            if lang == "console":
                shown = []
                while i < len(lines) and not lines[i].strip().startswith("$ "):
                    shown.append(lines[i].rstrip())
                    i += 1
            for part in re.split(r"\s&&\s", cmd):
                if shlex.split(part, comments=True):
                    out.append(Step(part.strip(), shown, page.name))
    return out


def _not_run(line: str) -> str | None:
    return next((why for key, why in NOT_RUN.items() if line.startswith(key)), None)


def _line_pattern(expected: str) -> str:
    volatile = any(re.search(p, expected) for p in VOLATILE)
    parts = expected.split("...")
    pats = []
    for part in parts:
        p = re.escape(part)
        if volatile:
            p = re.sub(r"\d+(?:\\\.\d+)?", r"[\\d.]+", p)
        pats.append(p)
    return ".*".join(pats)


def _progress(line: str) -> bool:
    return re.search(r"\d+%\|", line) is not None  # tqdm's "NN%|" (bars are redrawn in place)


def _json_equal(expected: str, actual: str, ignore: set[str]) -> bool:
    try:
        a, b = json.loads(expected), json.loads(actual)
    except ValueError:
        return False

    def same(x, y) -> bool:
        if isinstance(x, float) or isinstance(y, float):
            return isinstance(x, (int, float)) and isinstance(y, (int, float)) and abs(x - y) <= 1e-4
        if isinstance(x, list):
            return isinstance(y, list) and len(x) == len(y) and all(map(same, x, y))
        return x == y

    return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a if k not in ignore)


def assert_transcript(step: Step, output: str) -> None:
    """The lines a console block shows after ``step`` are what it printed (see the module's docstring)."""
    shown = list(step.shown or [])
    while shown and not shown[-1].strip():
        shown.pop()
    if not shown:
        return
    # a redrawn progress bar is followed by the next line's text on the same line: keep the text
    segments = [re.sub(r"^.*?\d+%\|[^\]]*\]", "", seg) for seg in re.split(r"[\r\n]", output)]
    actual = [ln.rstrip() for ln in segments if ln.strip()]
    want = [ln for ln in shown if ln.strip() and not _progress(ln)]
    pos = 0
    gap = False
    for exp in want:
        if exp.strip() == "..." or exp.strip().startswith("...  ("):
            gap = True
            continue
        def ok(act: str) -> bool:
            if exp.startswith("{") and act.startswith("{"):
                return _json_equal(exp, act, ignore=TIMING_FIELDS | FINISH_ORDER.get(step.line, set()))
            return re.fullmatch(_line_pattern(exp), act) is not None
        if gap:
            hit = next((j for j in range(pos, len(actual)) if ok(actual[j])), None)
        else:
            hit = pos if pos < len(actual) and ok(actual[pos]) else None
        assert hit is not None, (
            f"{step.page}: `{step.line}` printed\n" + "\n".join(actual) +
            f"\n\nbut the page shows, at line {want.index(exp) + 1} of its transcript:\n{exp}")
        pos, gap = hit + 1, False
    if not gap:
        assert pos == len(actual), (f"{step.page}: `{step.line}` printed more than its transcript shows:\n"
                                    + "\n".join(actual[pos:]))


@pytest.fixture(scope="module")
def servers():
    """The local stand-ins, each on a free port: an OpenAI-compatible server, and one for each port a page names
    (keyed by that port; ``run_page`` maps the page's port to the server's)."""
    from chat_server import ChatServer, phrases_answer

    started = {"openai": ChatServer()}
    started["openai"].start()
    for port in sorted({p for ports in PAGE_PORTS.values() for p in ports}):
        started[port] = ChatServer(latency=0.05 if port == 8765 else 0.0) if port != 8766 else ChatServer(
            answer=phrases_answer(GERMAN))
        started[port].start()
    yield started
    for server in started.values():
        server.stop()


def _workdir(tmp_path: Path, raw_dir: Path, built_dataset: Path | None) -> Path:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "upstream").symlink_to(raw_dir, target_is_directory=True)
    work = tmp_path / "work"
    work.mkdir()
    for name in ("examples", "tests"):
        (work / name).symlink_to(ROOT / name, target_is_directory=True)
    if built_dataset is not None:
        shutil.copytree(built_dataset, work / "valueportrait")
    return work


def run_page(name: str, tmp_path: Path, raw_dir: Path, built_dataset: Path | None, servers, release_url=None):
    """Run every command and session of docs/NAME in order; return the work dir, the commands run, those not
    run (with the reason) and what each command printed."""
    from valueportrait.cli.main import cli

    work = _workdir(tmp_path, raw_dir, built_dataset)
    env = {**os.environ, "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": servers["openai"].base_url,
           "LOCAL_BASE_URL": servers["openai"].base_url, "LOCAL_API_KEY": "sk-test",
           "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "VALUEPORTRAIT_CACHE": str(tmp_path / "cache"), "INSPECT_LOG_DIR": "logs",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["VALUEPORTRAIT_RAW"] = None  # unset: a page's build without --raw downloads (from the test's mirror)
    if release_url:
        env["VALUEPORTRAIT_RELEASE_URL"] = release_url
    ran, skipped, outputs, globs = [], [], {}, {}
    ports = {p: servers[p].port for p in PAGE_PORTS.get(name, ())}  # the page's port -> the free one serving it
    back = {v: k for k, v in ports.items()}
    old = Path.cwd()
    os.chdir(work)
    for other, fname in FILES_FROM.get(name, []):
        text = dict(s for s in page_steps(DOCS / other) if isinstance(s, tuple))[fname]
        (work / fname).write_text(text, encoding="utf-8")
    for fname, text in (s for s in page_steps(DOCS / name) if isinstance(s, tuple)):
        (work / fname).write_text(text, encoding="utf-8")  # the files the page tells the reader to save
    try:
        for step in page_steps(DOCS / name):
            if isinstance(step, tuple):
                continue  # written above
            if isinstance(step, Doctest):
                run_doctest(step, globs)  # one namespace per page, as one Python session
                ran.append(step.text.splitlines()[0])
                continue
            line = map_ports(step.line, ports)
            words = shlex.split(line, comments=True)
            if why := _not_run(step.line):
                skipped.append((step.line, why))
                continue
            if words[0] == "export":
                for assignment in words[1:]:
                    key, value = assignment.split("=", 1)
                    if value != "...":  # a placeholder for the reader's key: the test's is set
                        env[key] = value
                continue
            if tuple(words) in outputs:  # a transcript of a command the page ran before: what that run printed
                assert_transcript(step, outputs[tuple(words)])
                continue
            background = words[-1] == "&"
            if background:  # as the page says: started, killed with kill -9 once it has done some work
                _run_and_kill(words[:-1], env, work)
                ran.append(step.line)
                continue
            if words[0] == "valueportrait":
                res = CliRunner().invoke(cli, words[1:], env=env, catch_exceptions=False)
                output, code = res.output, res.exit_code
                expect_error = bool(step.shown) and any(ln.startswith("Error:") for ln in step.shown)
                assert (code != 0) == expect_error, (step.line, code, output)
            else:
                proc = subprocess.run(["bash", "-c", line], env=_proc_env(env), capture_output=True, text=True,
                                      timeout=900)
                output = proc.stdout  # a transcript shows what the command prints; its log (stderr) is left out
                assert proc.returncode == 0, (line, proc.returncode, (proc.stdout + proc.stderr)[-4000:])
            output = map_ports(output, back)  # what the reader, on the page's port, would see
            if step.shown is not None:
                assert_transcript(step, output)
            outputs[tuple(words)] = output
            ran.append(step.line)
    finally:
        os.chdir(old)
    return work, ran, skipped, outputs


def _proc_env(env: dict) -> dict:
    return {k: v for k, v in env.items() if v is not None}


def _run_and_kill(words: list[str], env: dict, work: Path) -> None:
    exe = shutil.which("valueportrait", path=env["PATH"])
    assert exe, "the valueportrait command is not installed"
    records = work / "runs" / "killed" / "records.jsonl"
    proc = subprocess.Popen([exe, *words[1:]], env=_proc_env(env), cwd=work, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if records.is_file() and records.read_bytes().count(b"\n") >= 50:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)


def test_metric_page(tmp_path, raw_dir, built_dataset, servers):
    work, ran, skipped, outputs = run_page("metric.md", tmp_path, raw_dir, built_dataset, servers)
    assert [ln.split()[1] for ln in ran] == ["examples/hand.csv", "score", "score", "score"] and not skipped


def test_dataset_page(tmp_path, raw_dir, servers, release_mirror):
    url, asked = release_mirror
    work, ran, skipped, outputs = run_page("dataset.md", tmp_path, raw_dir, None, servers, release_url=url)
    assert asked == [urlsplit(url).path]  # the page's first command downloaded the pinned archive, once
    assert (work / "valueportrait" / "build_info.json").is_file() and (work / "valueportrait-synth").is_dir()
    assert len(ran) >= 3 and not skipped


def test_deviation_page(tmp_path, raw_dir, built_dataset, servers):
    work, ran, skipped, outputs = run_page("deviation.md", tmp_path, raw_dir, built_dataset, servers)
    assert not skipped
    for out in ("deviation", "deviation-demo", "dev-norms", "out", "out-demo", "out-norms"):
        assert (work / out / "dimensions.csv").is_file(), out
    # the dataset carrying the demographics gives byte-identical tables to the --demographics run (the page's cmp)
    for name in ("dimensions.csv", "agreement.csv", "gaps.csv", "bias.csv", "distributions.csv"):
        assert (work / "out" / name).read_bytes() == (work / "out-demo" / name).read_bytes(), name
    # ... and prints exactly what the --demographics run printed (but the folder it wrote)
    # the page's excerpts of out/gaps.csv and out/dimensions.csv are those files
    import pandas as pd

    page = (DOCS / "deviation.md").read_text(encoding="utf-8")

    def excerpt(marker: str) -> str:
        start = page.index("```\n", page.index(marker)) + 4
        return page[start:page.index("```", start)].rstrip("\n")

    gaps = pd.read_csv(work / "out" / "gaps.csv").query("family == 'pvq'")
    cols = ["dimension", "model_gap", "human_gap", "p_value", "sign_agree", "amplification"]
    assert excerpt("`out/gaps.csv` (values; Female - Male)") == gaps[cols].round(3).to_string(index=False)
    dims = pd.read_csv(work / "out" / "dimensions.csv").query("persona == 'sex=Female' and family == 'pvq'")
    cols = ["dimension", "model_score", "human_score", "deviation", "deviation_ci_low", "deviation_ci_high"]
    assert excerpt("`out/dimensions.csv`, persona `sex=Female`") == dims[cols].round(3).to_string(index=False)
    printed = {w[-1] if w[-1] != "--stored-norms" else w[-2]: o for w, o in outputs.items() if w[1] == "deviation"}
    assert printed["out-demo"].replace("out-demo/", "out/") == printed["out"]


def test_runner_page(tmp_path, raw_dir, built_dataset, servers):
    for module in ("inspect_ai", "lm_eval", "torch", "transformers"):  # the page runs Inspect, lm-eval, a local model
        pytest.importorskip(module, reason=f"docs/runner.md runs {module}; .ci/run installs it (not the test extra)")
    work, ran, skipped, outputs = run_page("runner.md", tmp_path, raw_dir, built_dataset, servers)
    assert {why for _, why in skipped} <= set(NOT_RUN.values())
    assert len(skipped) == 8, skipped  # Hub and vLLM-server models, Anthropic, lm-eval on vLLM, the recipe's venv + 2 pips
    # the killed run, resumed, holds every item once
    lines = (work / "runs" / "killed" / "records.jsonl").read_text().splitlines()
    assert len({json.loads(ln)["item_id"] for ln in lines}) == 520
    # the Inspect logs scored, and lm-eval's samples written
    assert any((work / "logs").glob("*.eval")) and any((work / "lmeval-out").rglob("samples_*.jsonl"))
    assert (work / "runs" / "gpt-4o-mini" / "records.jsonl").is_file()
    assert (work / "runs" / "llama3.1" / "records.jsonl").is_file()


def test_your_survey_page(tmp_path, raw_dir, servers):
    """docs/your-survey.md on the SYNTHETIC example survey: build, info, load, the planted pairs, a bad input
    that writes nothing, publish --dry-run."""
    work, ran, skipped, outputs = run_page("your-survey.md", tmp_path, raw_dir, None, servers)
    assert not skipped and len(ran) >= 10
    assert (work / "survey_de" / "instrument.yaml").is_file() and not (work / "my_ds").exists()


def test_findings_page(tmp_path, raw_dir, servers):
    """docs/findings.md's commands on the release CI has (4 models); its 33-model figures are not run here (the
    page says so and what CI checks instead)."""
    work, ran, skipped, _ = run_page("findings.md", tmp_path, raw_dir, None, servers)
    assert len(ran) == 2 and not skipped
    cohort = json.loads((work / "cohort" / "cohort.json").read_text())
    assert cohort["meta"]["n_models"] == 4 and cohort["focus"][0]["n"] == 4


def test_dependencies_page_and_every_page_is_run(tmp_path, raw_dir, servers):
    """docs/dependencies.md holds only the minimum-versions recipe (a new venv from the registry: not run, each
    command listed with its reason), and every page with a command is one of the pages run above."""
    work, ran, skipped, _ = run_page("dependencies.md", tmp_path, raw_dir, None, servers)
    assert not ran and len(skipped) == 5, skipped
    with_commands = {p.name for p in DOCS.glob("*.md") if any(isinstance(s, Step) for s in page_steps(p))}
    assert with_commands == {"metric.md", "dataset.md", "deviation.md", "runner.md", "dependencies.md", "findings.md",
                             "your-survey.md"}
