"""What the bot does with a shop's own customer questions: answered right, answered wrong, "did you mean" with
the right article among the buttons (or without it), or "not sure".

A probe is a realistic question with the article group(s) that answer it — none for a question the knowledge
base does not cover (then "not sure" is right, "did you mean" is a soft miss and an answer is wrong). Near-ties
name every group the question touches: answering one of them counts as right, "did you mean" with one of them
among the buttons too (and is what a near-tie should get). `tests/quality/data/shop_probes.csv` holds the
shop's; `bench/shop_probes.py` reports them and the quality gate keeps wrong answers under a ceiling.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge_base.decision import AnswerPolicy, Decision, Outcome
from knowledge_base.language import detect_language
from knowledge_base.retrieval import HybridRetriever

OUTCOMES = ("answered_right", "answered_wrong", "did_you_mean_right", "did_you_mean_without_it", "not_sure")


@dataclass(frozen=True)
class Probe:
    text: str
    expected: frozenset[str]  # article groups that answer it; empty: the knowledge base does not cover it
    kind: str  # in_kb | near_tie | out_of_kb
    script: str  # en | zh-Hans | zh-Hant


def read_probes(path: Path) -> list[Probe]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [Probe(row["text"], frozenset(g for g in row["expected"].split("|") if g), row["kind"], row["script"])
                for row in csv.DictReader(fh)]


def decide(retriever: HybridRetriever, policy: AnswerPolicy, question: str) -> Decision:
    """As the live service decides (knowledge_base/service.py), with no articles excluded."""
    language = detect_language(question)
    vector = retriever.encode_query(question)
    decision = policy.decide(retriever.search_vector(vector, question, 3, language), language)
    if decision.outcome is Outcome.UNSURE:
        decision = policy.across(decision, retriever.search_untranslated(vector, language, 1))
    return decision


def classify(probe: Probe, decision: Decision) -> str:
    if decision.outcome is Outcome.ANSWER:
        return "answered_right" if decision.best and decision.best.article.group in probe.expected else "answered_wrong"
    if decision.outcome is Outcome.CLARIFY:
        shown = {h.article.group for h in decision.choices()}
        return "did_you_mean_right" if shown & probe.expected else "did_you_mean_without_it"
    return "not_sure"


def run_probes(retriever: HybridRetriever, policy: AnswerPolicy, probes: Sequence[Probe]) -> dict[str, Any]:
    """Counts per kind of probe and per script, the overall share of wrong answers, and each probe's outcome."""
    rows = []
    for probe in probes:
        decision = decide(retriever, policy, probe.text)
        rows.append({"text": probe.text, "kind": probe.kind, "script": probe.script,
                     "outcome": classify(probe, decision),
                     "best": decision.best.article.id if decision.best else None,
                     "confidence": decision.confidence})
    by_kind = {kind: _counts([r for r in rows if r["kind"] == kind]) for kind in sorted({r["kind"] for r in rows})}
    by_script = {s: _counts([r for r in rows if r["script"] == s]) for s in sorted({r["script"] for r in rows})}
    wrong = sum(r["outcome"] == "answered_wrong" for r in rows)
    return {"n": len(rows), "wrong_answer_rate": round(wrong / len(rows), 4) if rows else None,
            "all": _counts(rows), "by_kind": by_kind, "by_script": by_script, "probes": rows}


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    counted = Counter(r["outcome"] for r in rows)
    return {"n": len(rows), **{outcome: counted.get(outcome, 0) for outcome in OUTCOMES}}
