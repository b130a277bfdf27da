"""Writes the quality gate's fixed samples of the development sets (run once; the samples are committed).

    python -m tests.quality.make_samples [--data ../shared/data]

CLINC150: 25 intents (their first 20 training phrasings each become an article, 4 validation questions each
are asked) and 40 out-of-scope validation questions, plus 40 out-of-scope training rows that calibrate (as a
shop's logged off-topic questions would). HWU64: 25 intents, 20 phrasings and 4 test questions each.
bq_zh: 250 needs, one phrasing and its paraphrase each. Chosen with a fixed seed.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent / "data"


def read(path: Path, label: str) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [(r["text"], r[label]) for r in csv.DictReader(fh)]


def write(name: str, rows: list[tuple[str, str]]) -> None:
    with (HERE / name).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        writer.writerows(rows)


def by_label(rows):
    grouped = defaultdict(list)
    for text, label in rows:
        grouped[label].append(text)
    return grouped


def intents(train, test, rng, n_labels=25, per_label=20, asked=4, oos=40):
    train_by, test_by = by_label(train), by_label(test)
    labels = sorted(rng.sample(sorted(label for label in train_by if label != "oos"), n_labels))
    kb = [(t, label) for label in labels for t in train_by[label][:per_label]]
    questions = [(t, label) for label in labels for t in rng.sample(test_by[label], min(asked, len(test_by[label])))]
    if "oos" in train_by:
        kb += [(t, "oos") for t in rng.sample(train_by["oos"], oos)]
        questions += [(t, "oos") for t in rng.sample(test_by["oos"], oos)]
    return kb, questions


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data")
    data = parser.parse_args().data
    rng = random.Random(12)
    HERE.mkdir(exist_ok=True)
    for name, test_file in (("clinc150", "val.csv"), ("hwu64", "test.csv")):
        kb, questions = intents(read(data / name / "train.csv", "intent"), read(data / name / test_file, "intent"), rng)
        write(f"{name}_kb.csv", kb)
        write(f"{name}_questions.csv", questions)
    train, test = read(data / "bq_zh/train.csv", "label"), read(data / "bq_zh/test.csv", "label")
    labels = set(rng.sample(sorted({label for _, label in train}), 250))
    write("bq_zh_kb.csv", [r for r in train if r[1] in labels])
    write("bq_zh_questions.csv", [r for r in test if r[1] in labels])


if __name__ == "__main__":
    main()
