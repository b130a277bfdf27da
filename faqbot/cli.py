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

from faqbot import log_format
from faqbot.security.files import owner_only_umask
from faqbot.settings import REPO_ROOT, Settings
from privacy import logs as privacy_logs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="faqbot", description="Customer-service assistant.")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="train Rasa if needed, start Rasa and the web service")
    up.add_argument("--rasa-port", type=int, default=int(os.environ.get("FAQBOT_RASA_PORT", "5005")),
                    help="the first Rasa instance's port (the others take the next ones)")
    up.add_argument("--workers", type=_positive, default=1,
                    help="service processes; more than one: behind nginx on FAQBOT_PORT (needs PostgreSQL)")
    up.add_argument("--rasa-instances", type=_positive, default=1,
                    help="Rasa instances; more than one needs PostgreSQL and Redis (FAQBOT_REDIS_URL)")

    commands.add_parser("serve", help="run only the web service (Rasa must be running at FAQBOT_RASA_URL)")
    commands.add_parser("rasa-env", help="print the environment Rasa needs for these settings (tracker and lock "
                                         "stores: bot/endpoints.yml), as lines for a systemd EnvironmentFile")
    commands.add_parser("train", help="train the Rasa model if its inputs changed")
    commands.add_parser("build-index", help="import the knowledge-base folder and build the vector index")
    models = commands.add_parser("models", help="the encoders' ONNX exports")
    models.add_subparsers(dest="models_command", required=True).add_parser(
        "export", help="export the configured encoders to the model cache (a build step: PyTorch runs here, so the "
                       "service never loads it)")

    evaluate = commands.add_parser("eval", help="measure the bot on labelled data")
    eval_commands = evaluate.add_subparsers(dest="eval_command", required=True)
    retrieval = eval_commands.add_parser("retrieval", help="retrieval and answer decision on TRAIN/TEST csv files")
    retrieval.add_argument("--train", type=Path, required=True)
    retrieval.add_argument("--test", type=Path, required=True)
    retrieval.add_argument("--text-col", default="text")
    retrieval.add_argument("--label-col", default="label")
    retrieval.add_argument("--oos-label", default="oos")
    retrieval.add_argument("--json", type=Path, help="also write the results here")

    frustration = eval_commands.add_parser("frustration", help="the frustration score on a labelled CSV")
    frustration.add_argument("--test", type=Path, required=True)
    frustration.add_argument("--text-col", default="text")
    frustration.add_argument("--label-col", default="label")
    frustration.add_argument("--threshold", type=float, help="default: FAQBOT_FRUSTRATION_MEDIUM")
    frustration.add_argument("--json", type=Path, help="also write the results here")

    frustration_cmd = commands.add_parser("frustration", help="the frustration detector's text model")
    frustration_commands = frustration_cmd.add_subparsers(dest="frustration_command", required=True)
    train_frustration = frustration_commands.add_parser("train", help="fine-tune the text model on a labelled CSV")
    train_frustration.add_argument("--train", type=Path, required=True)
    train_frustration.add_argument("--out", type=Path, help="default: FAQBOT_FRUSTRATION_MODEL")
    train_frustration.add_argument("--text-col", default="text")
    train_frustration.add_argument("--label-col", default="is_frustration")
    train_frustration.add_argument("--layers", type=int, default=3)
    train_frustration.add_argument("--epochs", type=float, default=1.5)
    train_frustration.add_argument("--learning-rate", type=float, default=8e-5)
    train_zh = frustration_commands.add_parser("train-zh", help="train the Chinese text model (under a minute)")
    train_zh.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared" / "data",
                          help="the development data folder (zh_sentiment, stc3_helpdesk, zh_pairs)")
    train_zh.add_argument("--out", type=Path, help="default: FAQBOT_FRUSTRATION_ZH_MODEL")

    retrieval_cmd = commands.add_parser("retrieval", help="the knowledge-base search's models")
    retrieval_commands = retrieval_cmd.add_subparsers(dest="retrieval_command", required=True)
    train_retrieval_zh = retrieval_commands.add_parser(
        "train-zh", help="fine-tune the Chinese encoder's top layers on zh_pairs (embeddings/zh_training.py)")
    train_retrieval_zh.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared" / "data",
                                    help="the development data folder (zh_pairs)")
    train_retrieval_zh.add_argument("--out", type=Path, help="default: FAQBOT_RETRIEVAL_ZH_MODEL")
    train_retrieval_zh.add_argument("--layers", type=int, help="top layers to train")
    train_retrieval_zh.add_argument("--epochs", type=float)
    train_retrieval_zh.add_argument("--threads", type=int)

    kb = commands.add_parser("kb", help="import and export knowledge-base articles")
    kb_commands = kb.add_subparsers(dest="kb_command", required=True)
    kb_import = kb_commands.add_parser("import", help="import a Markdown folder, a CSV or a JSONL file")
    kb_import.add_argument("path", type=Path)
    kb_import.add_argument("--format", choices=("markdown", "csv", "jsonl"), help="default: from the path")
    kb_import.add_argument("--strict", action="store_true", help="import nothing if any record is bad")
    kb_export = kb_commands.add_parser("export", help="export articles as a Markdown folder, CSV or JSONL")
    kb_export.add_argument("path", type=Path)
    kb_export.add_argument("--format", choices=("markdown", "csv", "jsonl"), required=True)
    kb_export.add_argument("--status", choices=("published", "draft", "archived", "all"), default="all")

    db = commands.add_parser("db", help="the database schema")
    db.add_subparsers(dest="db_command", required=True).add_parser(
        "upgrade", help="apply the migrations (a release step; also done at start, under a lock on PostgreSQL)")

    agent = commands.add_parser("agent", help="manage agent accounts")
    agent_commands = agent.add_subparsers(dest="agent_command", required=True)
    create = agent_commands.add_parser("create", help="create an agent account")
    create.add_argument("username")
    create.add_argument("--display-name")
    create.add_argument("--role", dest="roles", action="append", choices=("agent", "editor", "supervisor", "admin"),
                        help="repeat for several roles (default: agent)")
    create.add_argument("--password", help="prompted for when omitted")
    create.add_argument("--skills", default="", help="comma-separated KB categories, e.g. shipping,refunds (none: any)")
    create.add_argument("--languages", default="", help="comma-separated, e.g. en,zh (none: any)")
    create.add_argument("--max-concurrent", type=int, default=3)
    create.add_argument("--auto-assign", action="store_true", help="give this agent queued conversations unasked")

    args = parser.parse_args(argv)
    if args.command == "eval":
        logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
    settings = Settings.from_env()
    owner_only_umask()  # the database, index, models and logs it writes: owner only
    log_format.configure(settings.log_level, settings.log_format)  # masks personal data too (privacy.logs)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per readiness poll is noise

    if args.command == "up":
        from faqbot.launcher import up as run_up

        run_up(settings, args.rasa_port, workers=args.workers, rasa_instances=args.rasa_instances)
    elif args.command == "serve":
        import uvicorn

        from faqbot.launcher import KEEP_ALIVE_SECONDS

        uvicorn.run("faqbot.app:create_app", factory=True, host=settings.host, port=settings.port, ws="wsproto",
                    ws_max_size=settings.max_ws_message_bytes, timeout_keep_alive=KEEP_ALIVE_SECONDS)
    elif args.command == "rasa-env":
        from faqbot.rasa_stores import RasaStores

        for name, value in sorted(RasaStores.from_settings(settings).rasa_env().items()):
            print(f"{name}={value}")
    elif args.command == "train":
        from faqbot.launcher import ensure_model

        print(ensure_model(settings.data_dir / "models"))
    elif args.command == "models":
        _export_models(settings)
    elif args.command == "build-index":
        asyncio.run(_build_index(settings))
    elif args.command == "kb":
        return asyncio.run(_kb_import(settings, args) if args.kb_command == "import" else _kb_export(settings, args))
    elif args.command == "eval":
        if args.eval_command == "retrieval":
            return _eval_retrieval(settings, args)
        return _eval_frustration(settings, args)
    elif args.command == "retrieval":
        return _train_retrieval_zh(settings, args)
    elif args.command == "frustration" and args.frustration_command == "train-zh":
        from frustration.zh_training import MissingDataError, train_zh

        try:
            meta = train_zh(args.data, args.out or settings.frustration_zh_model)
        except MissingDataError as e:
            print(f"faqbot frustration train-zh: {e}", file=sys.stderr)
            return 2
        print(json.dumps(meta, indent=2, ensure_ascii=False))
    elif args.command == "frustration":
        from frustration.training import TrainingPlan, train

        plan = TrainingPlan(layers=args.layers, epochs=args.epochs, learning_rate=args.learning_rate)
        print(json.dumps(train(args.train, args.out or settings.frustration_model, plan, text_col=args.text_col,
                               label_col=args.label_col, base_model=settings.embedding_model), indent=2))
    elif args.command == "db":
        asyncio.run(_db_upgrade(settings))
    elif args.command == "agent":
        password = args.password or getpass.getpass("password: ")
        profile = {"skills": _csv(args.skills), "languages": _csv(args.languages),
                   "max_concurrent": args.max_concurrent, "auto_assign": args.auto_assign}
        asyncio.run(_create_agent(settings, args.username, password, args.display_name, args.roles or ["agent"], profile))
    return 0


def _export_models(settings: Settings) -> None:
    """Make every ONNX export the settings need (each in a child process, embeddings/export.py); list them."""
    from faqbot.wiring import retrieval_encoder
    from frustration.text_model import FineTunedScorer

    if settings.onnx_cache is None:
        print(f"FAQBOT_MODEL_RUNTIME={settings.model_runtime}: the models run on PyTorch, nothing to export")
        return
    retrieval_encoder(settings)
    FineTunedScorer(settings.frustration_model, settings.embedding_model, onnx_cache=settings.onnx_cache,
                    int8=settings.int8)
    for path in sorted(settings.onnx_cache.glob("*.onnx")):
        print(path)


async def _db_upgrade(settings: Settings) -> None:
    from faqbot.db import make_engine, migrate

    engine = make_engine(settings.resolved_database_url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()
    print("database schema is up to date")


def _train_retrieval_zh(settings: Settings, args: argparse.Namespace) -> int:
    from dataclasses import replace

    from embeddings.zh_training import MissingDataError, ZhRetrievalPlan, train_zh_retrieval

    plan = replace(ZhRetrievalPlan(), **{name: getattr(args, name) for name in ("layers", "epochs", "threads")
                                          if getattr(args, name) is not None})
    try:
        meta = train_zh_retrieval(args.data, args.out or settings.retrieval_zh_model, plan,
                                  log=lambda line: print(line, file=sys.stderr, flush=True))
    except MissingDataError as e:
        print(f"faqbot retrieval train-zh: {e}", file=sys.stderr)
        return 2
    print(json.dumps(meta, indent=2, ensure_ascii=False))
    return 0


def _eval_retrieval(settings: Settings, args: argparse.Namespace) -> int:
    from faqbot.wiring import fusion_weights, retrieval_encoder
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
    encoder = retrieval_encoder(settings)  # the product's search, as configured (FAQBOT_RETRIEVAL_MODEL)
    result = evaluate(train, test, encoder, policy, args.oos_label,
                      weights=fusion_weights(settings, encoder.model_name))
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


def _eval_frustration(settings: Settings, args: argparse.Namespace) -> int:
    from frustration.detector import load_detector
    from frustration.evaluation import LabelledDataError, read_labelled, report

    try:
        texts, labels = read_labelled(args.test, args.text_col, args.label_col)
    except (OSError, LabelledDataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    detector = load_detector(settings.frustration_model, settings.embedding_model, settings.frustration_thresholds,
                             onnx_cache=settings.onnx_cache, int8=settings.int8,
                             threads=settings.model_threads, zh_model_dir=settings.frustration_zh_model)
    threshold = args.threshold if args.threshold is not None else detector.thresholds.medium
    result = report(labels, detector.text_scores(texts), threshold).to_json()
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


async def _kb_import(settings: Settings, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from faqbot.db import make_engine, migrate
    from knowledge_base.errors import ArticleFormatError
    from knowledge_base.store import ArticleStore
    from knowledge_base.transfer import duplicate_ids, read_articles

    try:
        result = read_articles(args.path, args.format)
    except (OSError, ArticleFormatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for error in result.errors:
        print(f"bad record: {error}", file=sys.stderr)
    duplicates = duplicate_ids(result.articles)
    if duplicates:
        print(f"error: duplicate article ids: {', '.join(duplicates)}", file=sys.stderr)
        return 2
    if result.errors and args.strict:
        print(f"nothing imported: {len(result.errors)} bad record(s) and --strict", file=sys.stderr)
        return 1
    engine = make_engine(settings.resolved_database_url)
    await migrate(engine)
    store, changed, batch = ArticleStore(engine), 0, 200
    try:
        with tqdm(total=len(result.articles), unit="article", disable=len(result.articles) < batch) as progress:
            for start in range(0, len(result.articles), batch):
                chunk = result.articles[start:start + batch]
                changed += await store.import_articles(chunk, author="import")
                progress.update(len(chunk))
    finally:
        await engine.dispose()
    print(f"{len(result.articles)} read, {changed} new or changed, {len(result.articles) - changed} unchanged, "
          f"{len(result.errors)} bad")
    return 1 if result.errors else 0


async def _kb_export(settings: Settings, args: argparse.Namespace) -> int:
    from faqbot.db import make_engine, migrate
    from knowledge_base.article import ArticleStatus
    from knowledge_base.store import ArticleStore
    from knowledge_base.transfer import write_articles

    engine = make_engine(settings.resolved_database_url)
    try:
        await migrate(engine)
        status = None if args.status == "all" else ArticleStatus(args.status)
        articles = await ArticleStore(engine).search(status=status, limit=1_000_000)
    finally:
        await engine.dispose()
    print(f"exported {write_articles(articles, args.path, args.format)} articles to {args.path}")
    return 0


async def _build_index(settings: Settings) -> None:
    from faqbot.wiring import build_core

    core = await build_core(settings)
    print(f"{core.knowledge.article_count} published articles indexed in {settings.index_dir}")
    await core.aclose()


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


async def _create_agent(settings: Settings, username: str, password: str, display_name: str | None,
                        roles: list[str], profile: dict) -> None:
    from faqbot.agents import AgentStore
    from faqbot.audit import AuditLog
    from faqbot.db import make_engine, migrate

    engine = make_engine(settings.resolved_database_url)
    await migrate(engine)
    try:
        agent = await AgentStore(engine).create(username, password, display_name=display_name, roles=roles, **profile)
        await AuditLog(engine).record(None, "account.create", ("account", agent.id, agent.username),
                                      {"roles": sorted(agent.roles), "via": "command line"})
    except Exception as exc:  # duplicate username, bad password...
        print(f"could not create agent: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    finally:
        await engine.dispose()
    print(f"created {'+'.join(sorted(agent.roles))} '{agent.username}' (skills: {', '.join(agent.skills) or 'any'}; "
          f"languages: {', '.join(agent.languages) or 'any'}; up to {agent.max_concurrent} at once)")


if __name__ == "__main__":
    sys.exit(main())
