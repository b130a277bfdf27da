"""Helpers for the benchmarks: percentiles and a JSON result file."""

from __future__ import annotations

import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"

# every simulated customer of a benchmark comes from one loopback address: the per-address limits (issue 13) are
# opened so that a benchmark measures the turn, not the rate limiter (bench.abuse measures that)
OPEN_LIMITS = {"rate_conversations_per_ip": "100000/minute", "rate_messages_per_ip": "100000/minute",
               "rate_messages_per_conversation": "1000/minute"}


def summary_ms(samples_s: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples_s)

    def pct(p: float) -> float:
        return round(ms[min(len(ms) - 1, int(round(p / 100 * (len(ms) - 1))))], 2)

    return {"n": len(ms), "mean": round(statistics.fmean(ms), 2), "p50": pct(50), "p95": pct(95),
            "p99": pct(99), "max": round(ms[-1], 2)}


def save(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    result = {"benchmark": name, "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": platform.node(),
              "python": platform.python_version(), **result}
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"saved {path}")
    return path
