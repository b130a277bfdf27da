"""The editors' search: articles ranked by how well the words of a query match their title, phrasings and
answer. Uses the lexical index's tokenisation (words, and CJK characters and bigrams), so Chinese — written
without spaces — is found as well as English."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from knowledge_base.article import Article
from knowledge_base.lexical import tokenize

# how much a match counts in each field: a hit in the title or a phrasing says more than one in the answer
FIELD_WEIGHTS = {"title": 1.0, "questions": 0.8, "answer": 0.4}
MIN_SCORE = 0.005
RELATIVE_FLOOR = 0.2


def rank(articles: Sequence[Article], query: str, limit: int = 200) -> list[tuple[Article, float]]:
    """Articles matching `query`, best first, with their scores in (0, 1]; none when nothing matches."""
    if not articles or not tokenize(query):
        return []
    fields = {"title": [a.title for a in articles], "questions": ["\n".join(a.questions) for a in articles],
              "answer": [a.answer for a in articles]}
    total = np.zeros(len(articles))
    vectorizer = TfidfVectorizer(analyzer=tokenize, sublinear_tf=True, norm="l2")
    vectorizer.fit([*fields["title"], *fields["questions"], *fields["answer"]])
    q = vectorizer.transform([query])
    if q.nnz == 0:
        return []
    for name, texts in fields.items():
        total += FIELD_WEIGHTS[name] * (vectorizer.transform(texts) @ q.T).toarray().ravel()
    total /= sum(FIELD_WEIGHTS.values())
    # an id typed exactly is the best match there is
    for i, article in enumerate(articles):
        if article.id == query.strip().lower():
            total[i] = 1.0
    # leave out matches on a stray common word or character: under a fifth of the best match
    floor = max(MIN_SCORE, RELATIVE_FLOOR * float(total.max()))
    order = [i for i in np.argsort(-total, kind="stable") if total[i] >= floor][:limit]
    return [(articles[i], round(float(total[i]), 4)) for i in order]
