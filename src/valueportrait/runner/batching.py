"""Gathering the requests the engine keeps in flight into batches for a backend that scores a batch at once.

The engine (:func:`.execute.run_requests`) awaits ``rate(request)`` for ``concurrency`` requests at a time; a
:class:`BatchGatherer` collects them and hands up to ``batch_size`` of them to ``rate_batch_sync`` in a worker
thread, waiting at most :attr:`BatchGatherer.batch_wait` seconds for a partial batch to fill.
"""

from __future__ import annotations

import asyncio
from typing import Sequence

from .outcome import Outcome
from .prompts import Request


class BatchGatherer:
    """Mixin: ``rate`` (one request at a time, or gathered into batches) over ``rate_batch_sync``."""

    #: Seconds a partial batch waits for more requests before it runs (the run's last batch, mostly).
    batch_wait = 0.05
    batch_size = 1

    def __init__(self) -> None:
        self._pending: list[tuple[Request, asyncio.Future]] = []
        self._arrived: asyncio.Event | None = None
        self._runner: asyncio.Task | None = None

    def rate_batch_sync(self, requests: Sequence[Request]) -> list[Outcome]:
        raise NotImplementedError

    def rate_sync(self, request: Request) -> Outcome:
        return self.rate_batch_sync([request])[0]

    async def stop_batches(self) -> None:
        """Cancel the batch runner (at the end of a run)."""
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)

    async def rate(self, request: Request) -> Outcome:
        """Rate one request; with ``batch_size`` > 1 it joins the next batch (the engine keeps ``concurrency``
        requests in flight, so a batch fills as fast as outcomes are logged)."""
        if self.batch_size == 1:
            return await asyncio.to_thread(self.rate_sync, request)
        future = asyncio.get_running_loop().create_future()
        self._pending.append((request, future))
        if self._arrived is None:
            self._arrived = asyncio.Event()
        self._arrived.set()
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run_batches())
        return await future

    async def _run_batches(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            deadline = loop.time() + self.batch_wait
            while len(self._pending) < self.batch_size and (left := deadline - loop.time()) > 0:
                self._arrived.clear()
                try:
                    await asyncio.wait_for(self._arrived.wait(), left)
                except TimeoutError:
                    break
            batch, self._pending = self._pending[:self.batch_size], self._pending[self.batch_size:]
            try:
                outcomes = await asyncio.to_thread(self.rate_batch_sync, [r for r, _ in batch])
            except Exception as exc:  # FatalBackendError: every waiting request gets it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), outcome in zip(batch, outcomes):
                if not future.done():
                    future.set_result(outcome)


