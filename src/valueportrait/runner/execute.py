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
from typing import TYPE_CHECKING, Any, Callable, Sequence
from urllib.parse import urlsplit, urlunsplit

from valueportrait.scale import VARIANTS
from valueportrait.errors import RunError
from valueportrait.io import safe_name
from valueportrait.secrets import url_secrets
from valueportrait.ratings.runs import FORMAT, FORMAT_VERSION

from .failfast import FailFast, Rules, RunStopped
from .outcome import FatalBackendError, Outcome
from .prompts import PERSONA_TEMPLATE, Persona, Request, build_requests, fingerprint
from .rundir import RunLog, now

if TYPE_CHECKING:
    from .openai_backend import OpenAIConfig


#: The backends of ``valueportrait run --backend``; the first two talk HTTP to an OpenAI-compatible server.
BACKENDS = ("openai", "openai-completions", "transformers")
HTTP_BACKENDS = BACKENDS[:2]


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

    monitor = FailFast(echo or (lambda line: tqdm.write(line, file=sys.stderr)), secrets=secrets,
                       rules=Rules(max_unparseable=getattr(getattr(backend, "config", None), "max_unparseable", 0),
                                   concurrency=concurrency))
    if hasattr(backend, "on_retry"):
        backend.on_retry = monitor.attempt_failed

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


@dataclass
class RunSpec:
    """Everything the ``run`` command takes (see ``valueportrait run --help``).

    The generation settings of the ``openai`` backend (endpoint, temperature, max_tokens, seed, timeout,
    attempts, concurrency) are its :class:`~valueportrait.runner.openai_backend.OpenAIConfig`, held as
    ``openai`` (None: its defaults for ``model``); the key is never part of the spec (``run_benchmark(api_key=)``).
    """

    dataset: str
    model: str
    backend: str = "openai"
    openai: OpenAIConfig | None = None
    out: str | None = None
    label: str | None = None
    variants: list[str] = field(default_factory=lambda: list(VARIANTS))
    personas: list[Persona] = field(default_factory=list)
    persona_template: str = PERSONA_TEMPLATE
    limit: int | None = None
    device: str | None = None
    batch_size: int = 1
    revision: str | None = None

    def __post_init__(self) -> None:
        if self.backend in HTTP_BACKENDS:
            from .openai_backend import OpenAIConfig

            config = self.openai or OpenAIConfig(model=self.model)
            if config.model != self.model:
                raise RunError(f"the openai settings are for model {config.model!r}, the run for {self.model!r}")
            if config.api_key is not None:
                raise RunError("keep the API key out of the run spec: pass it to run_benchmark(api_key=...)")
            self.openai = config
        elif self.openai is not None:
            raise RunError(f"openai settings were given for the {self.backend!r} backend; they apply to {' and '.join(HTTP_BACKENDS)} only")

    @property
    def model_label(self) -> str:
        """The ``model`` stored with every rating: ``--label``, else the last part of the model name or path."""
        return self.label or self.model.rstrip("/").split("/")[-1]

    @property
    def concurrency(self) -> int:
        """Requests in flight at once: the openai settings' ``concurrency``; one batch for a local model."""
        return self.openai.concurrency if self.openai is not None else self.batch_size

    def run_dir(self) -> Path:
        if self.out:
            return Path(self.out)
        return Path("runs") / safe_name(self.model_label)


def public_url(url: str | None) -> str | None:
    """A base URL without user info, query or fragment (where credentials sometimes hide)."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def make_manifest(spec: RunSpec, data: Any, fp: str, *, scoring: str) -> dict[str, Any]:
    from valueportrait import __version__

    gen = spec.openai  # the HTTP settings (both HTTP backends)
    sampled = gen if spec.backend == "openai" else None  # generation settings: the chat backend's only
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "model": spec.model_label, "model_name": spec.model, "backend": spec.backend,
        "base_url": public_url(gen.base_url) if gen else None,
        "temperature": sampled.temperature if sampled else None,
        "max_tokens": sampled.max_tokens if sampled else None,
        "seed": sampled.seed if sampled else None,
        "variants": list(spec.variants),
        "personas": [{"label": p.label, "text": p.text} for p in spec.personas],
        "persona_template": spec.persona_template if spec.personas else None,
        "scoring": scoring,
        "dataset_source": str(spec.dataset), "dataset_revision": spec.revision,
        # where `valueportrait score RUN_DIR` finds a local dataset from any folder (not part of the run's identity)
        "dataset_path": str(Path(spec.dataset).absolute()) if Path(str(spec.dataset)).is_dir() else None,
        "dataset_version": data.build_info.get("dataset_version"),
        "dataset_fingerprint": fp,
        "dataset_selection": data.build_info.get("selection"),
        "package_version": __version__,
        "sessions": [{"started_at": now(), "package_version": __version__, "concurrency": spec.concurrency,
                      "limit": spec.limit, "timeout": gen.timeout if gen else None,
                      "max_attempts": gen.max_attempts if gen else None,
                      "batch_size": None if gen else spec.batch_size}],
    }


def run_benchmark(spec: RunSpec, *, api_key: str | None = None, progress: bool = True,
                  echo: Callable[[str], None] = print, data: Any = None) -> tuple[RunSummary, Path]:
    """Open the dataset, build the requests, open or resume the run directory and rate what is not done yet.

    ``data``: the dataset of ``spec.dataset`` when the caller has it open already (it is opened otherwise).
    """
    from valueportrait.dataset import open_dataset

    if spec.backend not in BACKENDS:
        raise RunError(f"unknown backend {spec.backend!r}; expected one of {', '.join(BACKENDS)}")
    if spec.limit is not None and spec.limit < 1:
        raise RunError(f"--limit must be at least 1, got {spec.limit}")
    if data is None:
        data = open_dataset(spec.dataset, revision=spec.revision)
    requests = build_requests(data.items, data.prompts, variants=spec.variants,
                              personas=spec.personas or [None], limit=spec.limit,
                              persona_template=spec.persona_template)
    fp = fingerprint(data.items, data.prompts)
    if spec.backend == "openai":
        from .openai_backend import OpenAIChatBackend

        backend = OpenAIChatBackend(replace(spec.openai, api_key=api_key))
        scoring = "generation+parse"
    elif spec.backend == "openai-completions":
        from .completions_backend import SCORING, OpenAICompletionsBackend

        backend = OpenAICompletionsBackend(replace(spec.openai, api_key=api_key))
        scoring = SCORING
    else:
        from .transformers_backend import SCORING, TransformersBackend

        backend = TransformersBackend(spec.model, device=spec.device, batch_size=spec.batch_size)
        scoring = SCORING
    run_dir = spec.run_dir()
    base_url = spec.openai.base_url if spec.openai is not None else None
    manifest = make_manifest(spec, data, fp, scoring=scoring)
    with RunLog.open(run_dir, manifest) as log:
        if log.repaired_bytes:
            echo(f"Repaired the run log: cut a torn last line ({log.repaired_bytes} bytes) left by an interrupted run.")
        if log.records_before:
            echo(f"Resuming {run_dir}: {len(log.done)} requests already done.")

        async def go() -> RunSummary:
            async with backend:
                return await run_requests(backend, requests, log, concurrency=spec.concurrency, progress=progress,
                                          desc=spec.model_label, secrets=(api_key, *url_secrets(base_url)))

        summary = asyncio.run(go())
    return summary, run_dir
