"""Import and export: formats round-trip, bad records are reported by line, re-imports change nothing."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from faqbot.settings import Settings
from knowledge_base.markdown import load_folder
from knowledge_base.transfer import read_articles, write_articles

SEED = load_folder(Settings().kb_dir)


@pytest.mark.parametrize(("fmt", "name"), [("csv", "kb.csv"), ("jsonl", "kb.jsonl"), ("markdown", "kb")])
def test_every_format_round_trips_the_seed_knowledge_base(tmp_path: Path, fmt, name):
    assert write_articles(SEED, tmp_path / name, fmt) == len(SEED)
    result = read_articles(tmp_path / name)
    assert result.errors == []
    assert sorted(result.articles, key=lambda a: a.id) == SEED


def test_csv_bad_rows_are_reported_with_their_line_and_the_rest_is_read(tmp_path: Path):
    path = tmp_path / "kb.csv"
    path.write_text(
        "id,language,title,questions,answer,category\n"
        "ok-en,en,Fine,How?|Why?,Because.,orders\n"
        'bad-lang,fr,Nope,"Q?",A.,orders\n'
        '"multi-en",en,"Spans\nlines",Q?,A.,orders\n'
        "no-answer,en,T,Q?,,orders\n",
        encoding="utf-8",
    )
    result = read_articles(path)
    assert [a.id for a in result.articles] == ["ok-en", "multi-en"]
    assert result.articles[0].questions == ("How?", "Why?")
    assert [(e.line, e.message) for e in result.errors] == [
        (3, "field 'language' must be one of en, zh"), (6, "field 'answer' is required")]


def test_jsonl_broken_lines_are_reported(tmp_path: Path):
    path = tmp_path / "kb.jsonl"
    good = {"id": "a-zh", "language": "zh", "title": "退款", "questions": ["退款多久到账"], "answer": "三天",
            "category": "refunds"}
    path.write_text(json.dumps(good, ensure_ascii=False) + "\n{not json\n\n" + json.dumps({**good, "id": ""}) + "\n",
                    encoding="utf-8")
    result = read_articles(path)
    assert [a.id for a in result.articles] == ["a-zh"]
    assert [(e.line, e.message.split(" (")[0]) for e in result.errors] == [(2, "not valid JSON"),
                                                                         (4, "field 'id' is required")]


def faqbot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FAQBOT_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run([sys.executable, "-m", "faqbot.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_cli_import_is_idempotent_and_strict_refuses_everything(tmp_path: Path):
    source = tmp_path / "kb.jsonl"
    write_articles(SEED[:10], source, "jsonl")
    first = faqbot(tmp_path, "kb", "import", str(source))
    assert first.returncode == 0 and "10 read, 10 new or changed" in first.stdout
    again = faqbot(tmp_path, "kb", "import", str(source))
    assert again.returncode == 0 and "0 new or changed, 10 unchanged" in again.stdout

    broken = tmp_path / "broken.jsonl"
    write_articles(SEED[10:12], broken, "jsonl")
    with broken.open("a", encoding="utf-8") as fh:
        fh.write('{"id": "x"}\n')
    strict = faqbot(tmp_path, "kb", "import", str(broken), "--strict")
    assert strict.returncode == 1 and "broken.jsonl:3" in strict.stderr and "nothing imported" in strict.stderr
    lenient = faqbot(tmp_path, "kb", "import", str(broken))
    assert lenient.returncode == 1 and "2 read, 2 new or changed" in lenient.stdout

    exported = faqbot(tmp_path, "kb", "export", str(tmp_path / "out.csv"), "--format", "csv")
    assert exported.returncode == 0 and "exported 12 articles" in exported.stdout
