"""Does the login's timing tell whether a user name exists? (issue 13, finding 3)

    .venv/bin/python -m bench.login_timing [--pairs 30]

The real app in-process (TestClient), rate limits lifted so every attempt reaches the password check.
Alternates a wrong password for an existing name and any password for a name that does not exist, `pairs`
times, and reports both distributions, the ratio of their medians, and in how many pairs the unknown name
took longer (about half when nothing leaks; the issue found 30 of 30, 0.085 s unknown vs 0.043 s known).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from bench.common import save, summary_ms
from embeddings import HashingEncoder
from faqbot.app import create_app
from faqbot.launcher import free_port
from faqbot.settings import Settings
from frustration import FrustrationDetector


class _Calm:
    def score(self, texts):
        import numpy as np

        return np.zeros(len(texts))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(data_dir=Path(data), rasa_url=f"http://127.0.0.1:{free_port()}", action_token="t",
                            bootstrap_agent="alice:alice-secret-pw", rate_login_per_ip="",
                            login_free_failures=10**9)
        app = create_app(settings, encoder=HashingEncoder(), frustration_detector=FrustrationDetector(_Calm()))
        known, unknown = [], []
        with TestClient(app) as client:
            def attempt(username: str) -> float:
                t0 = time.perf_counter()
                response = client.post("/api/agent/login", json={"username": username, "password": "wrong-pw-1"})
                elapsed = time.perf_counter() - t0
                assert response.status_code == 401, response.text
                return elapsed

            for _ in range(3):  # warm up
                attempt("alice"), attempt("nobody")
            for i in range(args.pairs):
                order = ("alice", f"nobody-{i}") if i % 2 == 0 else (f"nobody-{i}", "alice")
                for name in order:
                    (known if name == "alice" else unknown).append(attempt(name))
    slower = sum(u > k for k, u in zip(known, unknown, strict=True))
    save("login_timing", {
        "command": f"python -m bench.login_timing --pairs {args.pairs}",
        "known_name_wrong_password_ms": summary_ms(known),
        "unknown_name_ms": summary_ms(unknown),
        "median_ratio_unknown_to_known": round(statistics.median(unknown) / statistics.median(known), 3),
        "pairs_where_unknown_was_slower": f"{slower} of {args.pairs}",
        "before_the_fix": "0.085 s unknown vs 0.043 s known, unknown slower in 30 of 30 pairs (issue 13)",
    })


if __name__ == "__main__":
    main()
