from pathlib import Path

import pytest

from faqbot.settings import Settings
from knowledge_base import ArticleFormatError
from knowledge_base.markdown import load_folder, parse_article

GOOD = """---
id: demo-en
language: en
title: Demo
category: orders
questions: ["one?", "two?", "three?"]
---
The answer.
"""


def test_seed_knowledge_base_has_40_topics_in_both_languages():
    articles = load_folder(Settings().kb_dir)
    by_language = {lang: {a.group for a in articles if a.language == lang} for lang in ("en", "zh")}
    assert len(by_language["en"]) >= 40
    assert by_language["en"] == by_language["zh"]
    for a in articles:
        assert len(a.questions) >= 3 and a.answer and a.category and a.title


def test_parse_reads_every_field():
    a = parse_article(GOOD)
    assert (a.id, a.group, a.language, a.title, a.category) == ("demo-en", "demo-en", "en", "Demo", "orders")
    assert a.questions == ("one?", "two?", "three?")
    assert a.answer == "The answer."
    assert a.phrasings == ("Demo", "one?", "two?", "three?")


@pytest.mark.parametrize(
    ("broken", "complaint"),
    [
        (GOOD.replace("language: en", "language: fr"), "'language'"),
        (GOOD.replace('questions: ["one?", "two?", "three?"]', 'questions: []'), "'questions'"),
        (GOOD.replace("title: Demo\n", ""), "'title'"),
        (GOOD.replace("The answer.\n", ""), "answer"),
        ("no front matter", "front-matter"),
    ],
)
def test_errors_name_the_source_and_the_field(broken, complaint):
    with pytest.raises(ArticleFormatError) as info:
        parse_article(broken, source="kb/demo.md")
    assert "kb/demo.md" in str(info.value) and complaint in str(info.value)


def test_duplicate_ids_are_refused(tmp_path: Path):
    (tmp_path / "a.md").write_text(GOOD)
    (tmp_path / "b.md").write_text(GOOD)
    with pytest.raises(ArticleFormatError, match="duplicate"):
        load_folder(tmp_path)
