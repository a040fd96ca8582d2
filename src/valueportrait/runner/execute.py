"""Run a backend over the requests of a run: bounded concurrency, a durable log, a progress bar, a summary.

:func:`run_requests` is the engine (any backend with ``async rate(request) -> Outcome``);
:func:`run_benchmark` is what the ``run`` command calls: open the dataset, build the requests, open or resume
the run directory, pick the backend, run, summarise.
"""

from __future__ import annotations

import asyncio
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

from valueportrait.errors import RunError
from valueportrait.instrument import VALUE_PORTRAIT
from valueportrait.secrets import url_secrets

from .failfast import FailFast, Rules, RunStopped
from .outcome import FatalBackendError, Outcome
from .prompts import Request, build_requests, fingerprint
from .rundir import RunLog
from .spec import BACKENDS, HTTP_BACKENDS, RunSpec, make_manifest, public_url

__all__ = ["BACKENDS", "HTTP_BACKENDS", "RunSpec", "RunSummary", "make_manifest", "public_url", "run_benchmark",
           "run_requests"]


@dataclass
class RunSummary:
    """Counts of one invocation. ``already_done`` were skipped (resume); the others were sent now."""

    total: int
    already_done: int = 0
    rated: int = 0
    unparseable: int = 0
    failed: int = field(default=0, metadata={"doc": "requests that failed after all their attempts"})
    retried: int = 0
    elapsed_s: float = field(default=0.0, metadata={"doc": "wall-clock seconds of this invocation"})
    repaired_bytes: int = 0

    @property
    def sent(self) -> int:
        return self.rated + self.unparseable + self.failed

    @property
    def remaining(self) -> int:
        return self.total - self.already_done - self.rated - self.unparseable

    def lines(self) -> list[str]:
        rate = self.sent / self.elapsed_s if self.elapsed_s > 0 else 0.0
        out = [f"Requests: {self.total} in the run; {self.already_done} already done, {self.sent} sent now "
               f"in {self.elapsed_s:.1f} s ({rate:.1f}/s)",
               f"Done: {self.rated} rated, {self.unparseable} unparseable; failed: {self.failed} "
               f"(retries: {self.retried})"]
        if self.remaining:
            out.append(f"Not done: {self.remaining} (failed requests are tried again when you re-run the command)")
        return out


async def run_requests(backend: Any, requests: Sequence[Request], log: RunLog, *, concurrency: int = 8,
                       progress: bool = True, desc: str = "rating", secrets: Sequence[str | None] = (),
                       echo: Callable[[str], None] | None = None) -> RunSummary:
    """Send every request not yet done in ``log`` through ``backend``, ``concurrency`` at a time.

    Each outcome is appended to the log (flushed + fsynced, in a writer thread so the event loop keeps going)
    before the request counts as done; its texts pass through :func:`valueportrait.secrets.scrub` (with the
    ``secrets`` named) first. A :class:`FatalBackendError`, or a run that cannot work (:mod:`.failfast`),
    cancels the rest and raises :class:`RunError`; records already written stay (how many of the last 30 answers
    may be unparseable: the backend's ``config.max_unparseable``, if it has one). The first error of each kind is printed with ``echo``
    (default: above the progress bar, on stderr).
    """
    from tqdm.auto import tqdm

    from valueportrait.secrets import scrub, scrub_fields

    say = echo or (lambda line: tqdm.write(line, file=sys.stderr))
    monitor = FailFast(say, secrets=secrets,
                       rules=Rules(max_unparseable=getattr(getattr(backend, "config", None), "max_unparseable", 0),
                                   concurrency=concurrency))
    if hasattr(backend, "on_retry"):
        backend.on_retry = monitor.attempt_failed
    if hasattr(backend, "on_warning"):
        backend.on_warning = say

    pending = [r for r in requests if r.key not in log.done]
    summary = RunSummary(total=len(requests), already_done=len(requests) - len(pending),
                         repaired_bytes=log.repaired_bytes)
    queue: asyncio.Queue[Request] = asyncio.Queue()
    for r in pending:
        queue.put_nowait(r)
    loop = asyncio.get_running_loop()
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="valueportrait-log")
    bar = tqdm(total=len(requests), initial=summary.already_done, desc=desc, unit="req", disable=not progress,
               dynamic_ncols=True, file=sys.stderr)
    start = time.perf_counter()

    async def worker() -> None:
        while True:
            try:
                request = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            outcome: Outcome = await backend.rate(request)
            record = scrub_fields(outcome.record(request), *secrets)
            await loop.run_in_executor(writer, log.append, record)
            setattr(summary, outcome.status, getattr(summary, outcome.status) + 1)
            summary.retried += max(0, outcome.attempts - 1)
            bar.update(1)
            bar.set_postfix(failed=summary.failed, unparseable=summary.unparseable, retries=summary.retried,
                            refresh=False)
            monitor.finished(record["status"], record["error"], record["raw"])

    tasks = [asyncio.create_task(worker()) for _ in range(max(1, min(concurrency, len(pending))))]
    try:
        await asyncio.gather(*tasks)
    except FatalBackendError as exc:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        why = "the run stopped" if isinstance(exc, RunStopped) else "the backend refused the run"
        raise RunError(f"{why}: {scrub(str(exc), *secrets)}. Nothing was recorded for the requests in flight; "
                       "fix the problem and re-run the same command to resume.") from None
    finally:
        for t in tasks:
            t.cancel()
        writer.shutdown(wait=True)
        summary.elapsed_s = time.perf_counter() - start
        bar.close()
    return summary


def make_backend(spec: RunSpec, api_key: str | None, instrument: Any = None) -> tuple[Any, str]:
    """The backend of ``spec`` (not loaded yet) and its scoring method (recorded in the manifest); the chat
    backend reads answers with ``instrument``'s phrases (the dataset's; default Value Portrait's)."""
    if spec.backend == "openai":
        from .chat_backend import OpenAIChatBackend

        backend = OpenAIChatBackend(replace(spec.openai, api_key=api_key), answer_format=spec.answer_format,
                                    parse_rule=spec.parse_rule, instrument=instrument)
        return backend, backend.scoring
    if spec.backend == "openai-completions":
        from .completions_backend import SCORING, OpenAICompletionsBackend

        return OpenAICompletionsBackend(replace(spec.openai, api_key=api_key)), SCORING
    from .transformers_backend import SCORING, TransformersBackend

    return TransformersBackend(spec.model, device=spec.device, batch_size=spec.batch_size,
                               settings=spec.local), SCORING


def describe_line(spec: RunSpec, manifest: dict[str, Any]) -> str:
    """The header's first line: model, backend and every setting that moves the answers (no secrets)."""
    bits = [f"backend {spec.backend}", f"scoring {manifest['scoring']}", f"chat template {manifest['chat_template']}",
            "system prompt " + ("(none sent)" if manifest["system_prompt"] is None else
                                "(empty)" if manifest["system_prompt"] == "" else repr(manifest["system_prompt"][:40]))]
    if manifest.get("base_url"):
        bits.append(f"endpoint {manifest['base_url']}")
    if manifest.get("answer_format"):
        bits.append(f"answer format {manifest['answer_format']}")
    if manifest.get("dtype"):
        session = manifest["sessions"][-1]
        bits.append(f"{manifest['dtype']} on {session['device']}" +
                    (f", {session['threads']} thread(s)" if session.get("threads") else "") +
                    f", batch size {manifest['batch_size']}")
    return f"Model {spec.model_label}: " + "; ".join(bits)


def run_benchmark(spec: RunSpec, *, api_key: str | None = None, progress: bool = True,
                  echo: Callable[[str], None] = print, data: Any = None, dry_run: bool = False,
                  prices: tuple[float | None, float | None] = (None, None),
                  note: Callable[[str], None] | None = None) -> tuple[RunSummary | None, Path]:
    """Open the dataset, build the requests, open or resume the run directory and rate what is not done yet.

    ``data``: the dataset of ``spec.dataset`` when the caller has it open already (it is opened otherwise).
    Before rating, a header says how the model is run, how many requests and prompt tokens go out, and the cost
    at ``prices`` (input, output; per million tokens), through ``note`` (None: not shown). ``dry_run``: only that
    header, through ``echo`` (no weights loaded, nothing sent or written); the summary is then None.
    """
    from valueportrait.dataset import open_dataset
    from valueportrait.ratings.runs import MANIFEST, latest_records, load_records

    from .preview import preview

    if spec.limit is not None and spec.limit < 1:
        raise RunError(f"--limit must be at least 1, got {spec.limit}")
    if data is None:
        data = open_dataset(spec.dataset, revision=spec.revision)
    instrument = data.instrument
    if spec.backend != "openai" and instrument.scale != VALUE_PORTRAIT.scale:
        raise RunError(f"--backend {spec.backend} scores the likelihood of Value Portrait's six English answer "
                       f"phrases; this dataset's instrument ({instrument.name}) answers with its own "
                       f"({', '.join(repr(p) for p in instrument.scale.options())}). Run it with --backend openai "
                       "(a chat server, local or hosted), which asks for and reads the instrument's phrases.")
    requests = build_requests(data.items, data.prompts, variants=spec.variants,
                              personas=spec.personas or [None], limit=spec.limit,
                              persona_template=spec.persona_template, system_prompt=spec.system_prompt,
                              instrument=instrument)
    fp = fingerprint(data.items, data.prompts)
    backend, scoring = make_backend(spec, api_key, instrument)
    local = None
    if spec.backend == "transformers":
        backend.load(weights=not dry_run)
        local = backend.describe()
    run_dir = spec.run_dir()
    base_url = spec.openai.base_url if spec.openai is not None else None
    manifest = make_manifest(spec, data, fp, scoring=scoring, local=local)
    say = echo if dry_run else note or (lambda line: None)
    if dry_run:
        say(describe_line(spec, manifest))
    count = (lambda r: len(backend.context_ids(r.messages))) if spec.backend == "transformers" else None
    max_out = spec.openai.max_tokens if spec.backend == "openai" else None
    if dry_run:
        done = set()
        if (run_dir / MANIFEST).is_file():
            done = {(r["item_id"], r["variant"], r.get("persona")) for r in latest_records(load_records(run_dir))
                    if r["status"] != "failed"}
        for line in preview(requests, done, count=count, max_output_tokens=max_out).lines(
                price_in=prices[0], price_out=prices[1]):
            echo(line)
        echo("Dry run: nothing was sent and nothing was written.")
        return None, run_dir
    with RunLog.open(run_dir, manifest) as log:  # a refused resume stops here, before the header
        say(describe_line(spec, manifest))
        if log.repaired_bytes:
            echo(f"Repaired the run log: cut a torn last line ({log.repaired_bytes} bytes) left by an interrupted run.")
        if log.records_before:
            echo(f"Resuming {run_dir}: {len(log.done)} requests already done.")
        for line in preview(requests, log.done, count=count, max_output_tokens=max_out).lines(
                price_in=prices[0], price_out=prices[1]):
            say(line)

        async def go() -> RunSummary:
            async with backend:
                return await run_requests(backend, requests, log, concurrency=spec.concurrency, progress=progress,
                                          desc=spec.model_label, secrets=(api_key, *url_secrets(base_url)))

        try:
            summary = asyncio.run(go())
        finally:
            if getattr(backend, "constrained_as", None):  # how the server was asked, once the first answer told
                log.note_session(constrained_as=backend.constrained_as)
    return summary, run_dir
