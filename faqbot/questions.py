"""Questions to fix: the customer questions the bot failed, grouped into needs, with what editors did about them.

A cluster is open while one of its questions is not handled; handled questions stay in their cluster, so a new
failure of the same need reopens it with its history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import Any

import anyio

from faqbot.conversations.signals import FailedQuestion
from knowledge_base.clusters import dedupe_key, group
from knowledge_base.resolutions import QuestionKey, ResolutionStore
from knowledge_base.service import KnowledgeBase

EXAMPLES = 8


@dataclass
class Cluster:
    id: str
    questions: list[FailedQuestion]
    representative: FailedQuestion
    handled: dict[str, dict]  # question key -> resolution

    @property
    def open_questions(self) -> list[FailedQuestion]:
        return [q for q in self.questions if q.key not in self.handled]

    def to_json(self, suggested: list[dict[str, Any]], titles: dict[str, str]) -> dict[str, Any]:
        tried = Counter(a for q in self.questions for a in q.tried)
        kinds = Counter(k for q in self.questions for k in q.kinds)
        examples = _distinct(self.open_questions or self.questions)[:EXAMPLES]
        return {
            "id": self.id, "count": len(self.questions), "open": len(self.open_questions),
            "representative": self.representative.text,
            "languages": sorted({q.language or "en" for q in self.questions}),
            "first_seen": min(q.asked_at for q in self.questions).isoformat(),
            "last_seen": max(q.asked_at for q in self.questions).isoformat(),
            "kinds": dict(kinds),
            "examples": [{"conversation_id": q.conversation_id, "seq": q.seq, "text": q.text,
                          "language": q.language, "asked_at": q.asked_at.isoformat(),
                          "handled": q.key in self.handled} for q in examples],
            "keys": [{"conversation_id": q.conversation_id, "seq": q.seq} for q in self.questions],
            "tried": [{"article_id": a, "title": titles.get(a), "times": n} for a, n in tried.most_common(5)],
            "suggested": suggested,
        }


def _distinct(questions: list[FailedQuestion]) -> list[FailedQuestion]:
    seen: set[str] = set()
    out = []
    for q in sorted(questions, key=lambda q: q.asked_at, reverse=True):
        key = dedupe_key(q.text)
        if key not in seen:
            seen.add(key)
            out.append(q)
    return out


async def clusters(failed: list[FailedQuestion], knowledge: KnowledgeBase, resolutions: ResolutionStore,
                   include_handled: bool = False) -> list[dict[str, Any]]:
    """The clusters of `failed`, open ones only unless `include_handled`, biggest open first."""
    if not failed:
        return []
    grouping = await anyio.to_thread.run_sync(lambda: group([q.text for q in failed], knowledge.encode))
    members: dict[int, list[FailedQuestion]] = {}
    for question, label in zip(failed, grouping.labels, strict=True):
        if label >= 0:
            members.setdefault(label, []).append(question)
    handled = await resolutions.resolved([QuestionKey(q.conversation_id, q.seq) for q in failed])
    handled_by_key = {f"{k.conversation_id}:{k.seq}": v for k, v in handled.items()}
    result = []
    for label, questions in members.items():
        rep = failed[grouping.representatives[label]]
        first = min(questions, key=lambda q: (q.asked_at, q.key))
        cluster = Cluster(hashlib.sha1(first.key.encode()).hexdigest()[:12], questions, rep,
                          {q.key: handled_by_key[q.key] for q in questions if q.key in handled_by_key})
        if not include_handled and not cluster.open_questions:
            continue
        result.append(cluster)
    result.sort(key=lambda c: (-len(c.open_questions), -len(c.questions)))
    out = []
    nearest = await knowledge.nearest([(c.representative.text, c.representative.language) for c in result], k=3)
    for cluster, hits in zip(result, nearest, strict=True):
        titles = {h.article.id: h.article.title for h in hits}
        for q in cluster.questions:
            for a in q.tried:
                if a not in titles and (article := knowledge.published_article(a)) is not None:
                    titles[a] = article.title
        suggested = [{"article_id": h.article.id, "title": h.article.title, "score": round(h.score, 4)}
                     for h in hits]
        out.append(cluster.to_json(suggested, titles))
    return out


def period(days: int, now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=days)
