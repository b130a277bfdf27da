"""Batching forward passes across concurrent requests (embeddings.batching), with a stand-in model."""

import asyncio
import threading
import time

import numpy as np
import pytest

from embeddings import BatchingEncoder, HashingEncoder, MicroBatcher, model_executor


class SlowModel:
    """One row per text (its length), taking a while per call, like a forward pass."""

    def __init__(self, seconds: float = 0.05) -> None:
        self.calls: list[list[str]] = []
        self.seconds = seconds

    def __call__(self, texts):
        self.calls.append(list(texts))
        time.sleep(self.seconds)
        return np.array([[len(t)] for t in texts], dtype=np.float32)


async def test_concurrent_requests_share_forward_passes_and_each_gets_its_own_rows():
    model = SlowModel()
    batcher = MicroBatcher(model, max_texts=16)
    texts = [["a" * (i + 1)] for i in range(8)] + [["bb", "ccc"]]
    results = await asyncio.gather(*(batcher.run(t) for t in texts))
    for request, rows in zip(texts, results, strict=True):
        assert rows[:, 0].tolist() == [len(t) for t in request]
    assert len(model.calls) < len(texts)  # the first ran alone, the rest waited and went through together
    assert sum(len(c) for c in model.calls) == 10 and batcher.requests == len(texts)
    batcher.close()


def test_a_lone_request_is_not_held_back():
    model = SlowModel(0.0)
    batcher = MicroBatcher(model)
    started = time.perf_counter()
    assert batcher(["hello"])[0, 0] == 5
    assert time.perf_counter() - started < 0.5 and model.calls == [["hello"]]
    batcher.close()


def test_batches_stay_within_the_limit_and_bulk_jobs_run_on_their_own():
    model = SlowModel(0.02)
    batcher = MicroBatcher(model, max_texts=4)
    threads = [threading.Thread(target=batcher, args=(["x", "y"],)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(len(c) <= 4 for c in model.calls)
    bulk = [str(i) for i in range(10)]
    assert batcher(bulk).shape == (10, 1) and model.calls[-1] == bulk  # not split, not queued
    batcher.close()


async def test_a_failing_pass_fails_every_request_in_it_and_the_next_ones_still_run():
    calls = []

    def flaky(texts):
        calls.append(list(texts))
        if "boom" in texts:
            raise RuntimeError("model crashed")
        return np.ones((len(texts), 2))

    batcher = MicroBatcher(flaky)
    with pytest.raises(RuntimeError):
        await batcher.run(["boom"])
    assert (await batcher.run(["fine"])).shape == (1, 2)
    batcher.close()


async def test_two_models_share_one_model_thread():
    executor = model_executor()
    seen_threads = set()

    def model(texts):
        seen_threads.add(threading.current_thread().name)
        return np.zeros((len(texts), 1))

    first, second = MicroBatcher(model, executor=executor), MicroBatcher(model, executor=executor)
    await asyncio.gather(*(b.run(["t"]) for b in (first, second) for _ in range(5)))
    assert len(seen_threads) == 1
    executor.shutdown()


def test_a_batching_encoder_is_a_text_encoder_with_the_same_vectors():
    inner = HashingEncoder(64)
    encoder = BatchingEncoder(inner)
    texts = ["where is my parcel", "退款多久到账"]
    assert np.allclose(encoder.encode(texts), inner.encode(texts))
    assert encoder.dimension == 64 and encoder.model_name == inner.model_name
    assert encoder.encode([]).shape == (0, 64)
    assert np.allclose(asyncio.run(encoder.encode_async(texts)), inner.encode(texts))
