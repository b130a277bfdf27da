"""The `faqbot` command: up, serve, train, agent create."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import os
import sys
from pathlib import Path

from faqbot.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="faqbot", description="Customer-service assistant.")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="train Rasa if needed, start Rasa and the web service")
    up.add_argument("--rasa-port", type=int, default=int(os.environ.get("FAQBOT_RASA_PORT", "5005")))

    commands.add_parser("serve", help="run only the web service (Rasa must be running at FAQBOT_RASA_URL)")
    commands.add_parser("train", help="train the Rasa model if its inputs changed")
    commands.add_parser("build-index", help="import the knowledge-base folder and build the vector index")

    evaluate = commands.add_parser("eval", help="measure the bot on labelled data")
    eval_commands = evaluate.add_subparsers(dest="eval_command", required=True)
    retrieval = eval_commands.add_parser("retrieval", help="retrieval and answer decision on TRAIN/TEST csv files")
    retrieval.add_argument("--train", type=Path, required=True)
    retrieval.add_argument("--test", type=Path, required=True)
    retrieval.add_argument("--text-col", default="text")
    retrieval.add_argument("--label-col", default="label")
    retrieval.add_argument("--oos-label", default="oos")
    retrieval.add_argument("--json", type=Path, help="also write the results here")

    agent = commands.add_parser("agent", help="manage agent accounts")
    agent_commands = agent.add_subparsers(dest="agent_command", required=True)
    create = agent_commands.add_parser("create", help="create an agent account")
    create.add_argument("username")
    create.add_argument("--display-name")
    create.add_argument("--role", default="agent", choices=("agent", "editor", "admin"))
    create.add_argument("--password", help="prompted for when omitted")

    args = parser.parse_args(argv)
    if args.command == "eval":
        logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
    settings = Settings.from_env()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    if args.command == "up":
        from faqbot.launcher import up as run_up

        run_up(settings, args.rasa_port)
    elif args.command == "serve":
        import uvicorn

        uvicorn.run("faqbot.app:create_app", factory=True, host=settings.host, port=settings.port, ws="wsproto")
    elif args.command == "train":
        from faqbot.launcher import ensure_model

        print(ensure_model(settings.data_dir / "models"))
    elif args.command == "build-index":
        asyncio.run(_build_index(settings))
    elif args.command == "eval":
        return _eval_retrieval(settings, args)
    elif args.command == "agent":
        password = args.password or getpass.getpass("password: ")
        asyncio.run(_create_agent(settings, args.username, password, args.display_name, args.role))
    return 0


def _eval_retrieval(settings: Settings, args: argparse.Namespace) -> int:
    from embeddings import SentenceTransformerEncoder
    from knowledge_base import AnswerPolicy
    from knowledge_base.errors import KnowledgeBaseError
    from knowledge_base.evaluation import evaluate, read_labelled_csv

    try:
        train = read_labelled_csv(args.train, args.text_col, args.label_col)
        test = read_labelled_csv(args.test, args.text_col, args.label_col)
    except (OSError, KnowledgeBaseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    policy = AnswerPolicy(answer_en=settings.answer_threshold_en, answer_zh=settings.answer_threshold_zh)
    result = evaluate(train, test, SentenceTransformerEncoder(settings.embedding_model), policy, args.oos_label)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


async def _build_index(settings: Settings) -> None:
    from faqbot.wiring import build_core

    core = await build_core(settings)
    print(f"{core.knowledge.article_count} published articles indexed in {settings.index_dir}")
    await core.aclose()


async def _create_agent(settings: Settings, username: str, password: str, display_name: str | None,
                        role: str) -> None:
    from faqbot.agents import AgentStore
    from faqbot.db import make_engine, migrate

    engine = make_engine(settings.resolved_database_url)
    await migrate(engine)
    try:
        agent = await AgentStore(engine).create(username, password, display_name=display_name, role=role)
    except Exception as exc:  # duplicate username, bad password...
        print(f"could not create agent: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    finally:
        await engine.dispose()
    print(f"created {agent.role} '{agent.username}'")


if __name__ == "__main__":
    sys.exit(main())
