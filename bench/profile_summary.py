"""Summarise a py-spy profile (`py-spy record -f raw`: one collapsed stack and its sample count per line).

    .venv/bin/python -m bench.profile_summary bench/results/profile/rasa.txt [--top 25] [--json OUT]

Prints the share of samples spent in each of a few named parts of the turn (a sample counts for a part
when any frame of its stack matches), then the functions with the most samples of their own (leaf) and
the most samples anywhere on the stack (inclusive). Idle samples (the event loop waiting) are counted
separately and left out of the shares.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

# leaf frames of threads that wait: the event loop in select/uvloop, idle worker threads, aiosqlite's queue
IDLE = re.compile(r"select \(selectors\.py|_run_once \(asyncio|epoll|wait \(threading\.py|_worker \(concurrent|"
                  r"run_forever|poll \(selectors|uvloop|Runner\.run \(asyncio/runners\.py|"
                  r"_connection_worker_thread \(aiosqlite/core\.py:(59|63)\)|get \(queue\.py")
PARTS = {
    # Rasa
    "action response validation (jsonschema)": r"_validate_action_result|jsonschema",
    "custom action calls (RemoteAction.run)": r"run \(rasa/core/actions/action\.py",
    "slot extraction (action_extract_slots)": r"run_action_extract_slots",
    "tracker load (tracker store retrieve)": r"retrieve \(rasa/core/tracker_store|_retrieve \(rasa/core/tracker_store",
    "tracker save": r"save \(rasa/core/tracker_store",
    "policy prediction": r"_predict_next_with_tracker",
    "NLU parse": r"parse_message \(rasa/core/processor",
    "tracker GET endpoint": r"retrieve_tracker \(rasa/server",
    # web service
    "encoder forward passes (PyTorch or ONNX Runtime)": r"torch/nn/modules|onnxruntime",
    "retrieval (search + decide)": r"decide \(knowledge_base/service|search \(knowledge_base/retrieval",
    "frustration (assess)": r"assess \(frustration/detector",
    "database (sqlalchemy/aiosqlite)": r"aiosqlite|sqlalchemy",
    "action webhook (rasa_sdk)": r"rasa_sdk",
    "HTTP to Rasa (httpx)": r"httpx",
}


def read(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def summarise(path: Path, top: int = 25) -> dict:
    stacks = read(path)
    total = sum(c for _, c in stacks)
    busy = [(frames, c) for frames, c in stacks if not IDLE.search(frames[-1])]
    busy_total = sum(c for _, c in busy) or 1
    parts = {}
    for name, pattern in PARTS.items():
        rx = re.compile(pattern)
        share = sum(c for frames, c in busy if any(rx.search(f) for f in frames)) / busy_total
        if share > 0:
            parts[name] = round(100 * share, 1)
    own, anywhere = Counter(), Counter()
    for frames, c in busy:
        own[frames[-1]] += c
        for frame in set(frames):
            anywhere[frame] += c
    return {
        "file": str(path), "samples": total, "busy_samples": busy_total,
        "busy_share_percent": round(100 * busy_total / max(total, 1), 1),
        "parts_percent_of_busy": parts,
        "top_self_percent": {f: round(100 * c / busy_total, 1) for f, c in own.most_common(top)},
        "top_inclusive_percent": {f: round(100 * c / busy_total, 1) for f, c in anywhere.most_common(top * 2)
                                  if not IDLE.search(f)},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("profiles", type=Path, nargs="+")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = [summarise(p, args.top) for p in args.profiles]
    for r in results:
        print(f"\n== {r['file']}: {r['samples']} samples, {r['busy_share_percent']}% busy")
        for name, share in sorted(r["parts_percent_of_busy"].items(), key=lambda x: -x[1]):
            print(f"  {share:5.1f}%  {name}")
        print("  -- most samples of their own:")
        for frame, share in list(r["top_self_percent"].items())[:args.top]:
            print(f"  {share:5.1f}%  {frame}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
