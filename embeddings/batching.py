"""Batching a model's forward passes across concurrent requests, off the event loop.

Many customers at once each need one short text encoded. One forward pass over eight texts costs far
less than eight passes over one, so requests that arrive while the model is busy wait for the current
pass to finish and then go through together. A lone request is never held back: with nothing else
queued it runs at once, alone. Works for any function from texts to one row of numbers per text (an
encoder's `encode`, a classifier's `score`), from threads and from asyncio alike.

Several batchers can share one model executor (a single thread), so two models never fight over the
CPU's cores in parallel forward passes, and batches of different models take turns.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor

import numpy as np

from embeddings.encoder import TextEncoder

BatchFunction = Callable[[Sequence[str]], np.ndarray]


def model_executor() -> ThreadPoolExecutor:
    """The single thread forward passes run on (share it between the batchers of one process)."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="model")


def limit_model_threads(threads: int) -> None:
    """How many CPU threads one forward pass may use (PyTorch's intra-op pool, process-wide).

    With the service, Rasa and other customers' requests sharing a few cores, a pass that spreads over all
    of them (and whose idle threads spin) costs more CPU than it saves time; batching keeps passes large.
    """
    torch = sys.modules.get("torch")  # only where a model runs on PyTorch: importing it costs ~300 MB
    if torch is not None:
        torch.set_num_threads(max(1, threads))


class MicroBatcher:
    """Runs `function` over the texts of every request queued when the model comes free, up to `max_texts`.

    A request larger than `max_texts` (a bulk job such as rebuilding an index) is run on its own, in the
    caller's thread, so it never holds up the small ones behind it.
    """

    def __init__(self, function: BatchFunction, *, max_texts: int = 64, executor: Executor | None = None) -> None:
        self._function = function
        self._max_texts = max_texts
        self._executor = executor or model_executor()
        self._owns_executor = executor is None
        self._pending: deque[tuple[list[str], Future[np.ndarray]]] = deque()
        self._lock = threading.Lock()
        self._scheduled = False
        self.batches = 0  # how many forward passes ran (for tests and benchmarks)
        self.requests = 0

    def submit(self, texts: Sequence[str]) -> Future[np.ndarray]:
        future: Future[np.ndarray] = Future()
        with self._lock:
            self._pending.append((list(texts), future))
            if not self._scheduled:
                self._scheduled = True
                self._executor.submit(self._run_one_batch)
        return future

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Blocking: for code running in a worker thread."""
        texts = list(texts)
        if len(texts) > self._max_texts:
            return self._function(texts)
        return self.submit(texts).result()

    async def run(self, texts: Sequence[str]) -> np.ndarray:
        """From the event loop, without blocking it."""
        texts = list(texts)
        if len(texts) > self._max_texts:
            return await asyncio.to_thread(self._function, texts)
        return await asyncio.wrap_future(self.submit(texts))

    def _run_one_batch(self) -> None:
        with self._lock:
            batch: list[tuple[list[str], Future[np.ndarray]]] = []
            size = 0
            while self._pending and (not batch or size + len(self._pending[0][0]) <= self._max_texts):
                texts, future = self._pending.popleft()
                if future.set_running_or_notify_cancel():
                    batch.append((texts, future))
                    size += len(texts)
        try:
            if batch:
                self._resolve(batch)
        finally:
            with self._lock:
                if self._pending:  # requests that came in meanwhile: another turn on the shared executor
                    self._executor.submit(self._run_one_batch)
                else:
                    self._scheduled = False

    def _resolve(self, batch: list[tuple[list[str], Future[np.ndarray]]]) -> None:
        texts = [t for request, _ in batch for t in request]
        try:
            rows = self._function(texts) if texts else None
        except BaseException as exc:  # every waiting caller learns it failed
            for _, future in batch:
                future.set_exception(exc)
            return
        self.batches += 1
        self.requests += len(batch)
        start = 0
        for request, future in batch:
            future.set_result(rows[start:start + len(request)] if rows is not None else np.zeros((0,)))
            start += len(request)

    def close(self) -> None:
        if self._owns_executor:
            self._executor.shutdown(wait=False, cancel_futures=True)


class BatchingEncoder:
    """A TextEncoder whose `encode` calls from concurrent requests share forward passes (MicroBatcher)."""

    def __init__(self, encoder: TextEncoder, *, max_texts: int = 64, executor: Executor | None = None) -> None:
        self._encoder = encoder
        self._batcher = MicroBatcher(encoder.encode, max_texts=max_texts, executor=executor)

    @property
    def model_name(self) -> str:
        return self._encoder.model_name

    @property
    def dimension(self) -> int:
        return self._encoder.dimension

    @property
    def batcher(self) -> MicroBatcher:
        return self._batcher

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._batcher(texts)

    async def encode_async(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return await self._batcher.run(texts)
