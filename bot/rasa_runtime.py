"""The Rasa server as faqbot runs it: `python -m bot.rasa_runtime run …` is `rasa run …` with these changes.

They are applied here, in the pinned Rasa environment, before Rasa starts; nothing in site-packages is
edited, so `scripts/run.sh` on a fresh machine runs exactly this (the launcher starts Rasa this way).

1. **Action responses are validated cheaply.** Rasa 3.6 calls `jsonschema.validate(result, schema)` for
   every custom action response, which re-checks the schema itself against its meta-schema each time and
   tries all 23 `oneOf` branches of every event: half of Rasa's CPU under load. The same rules are now
   checked directly (the checker reads the event names from Rasa's own schema and refuses to run if the
   schema has another shape); a response they reject goes through the full validator, compiled once, for
   its exact error.
2. **A conversation session also ends after `FAQBOT_RASA_SESSION_TURNS` customer turns** (besides
   Rasa's idle timeout). The new session carries the slots over (`carry_over_slots_to_new_session`) —
   each slot's latest value once, where Rasa would copy every slot event of the old session, carried
   ones included, so that sessions grew one after another — and the SQL tracker store loads only the
   latest session. So the tracker a turn loads, replays and predicts over stays bounded: a turn late in a
   long conversation costs what an early one does.
3. **Intents are never taken from message text** (`/greet{"order_number": "…"}`) unless the message
   carries the web service's `button: true` metadata; faqbot's input channel parses such buttons itself.
4. **A custom action is sent the tracker's state with this turn's events only** (from the customer's
   latest message on) instead of the whole session's: faqbot's actions read the latest message and the
   slots, never older events, and serialising, sending and parsing a long event list was a large part of
   every call on both sides.
5. **Calls to the action server reuse their connections** (Rasa opened a new HTTP session, and so a new
   TCP connection on both sides, for every custom action call).
6. **Event classes are looked up by name once** (Rasa walked the whole Event class tree, checking each
   class for abstractness, for every event it read from the tracker store).
7. **The SQL tracker store reads only the events' JSON and writes a turn's new events in one insert**,
   knowing how many events it loaded for the turn instead of counting them again (Rasa built an ORM
   object per event both ways and counted the session's events before every save); both run as SQLAlchemy
   Core statements built once per store, on a plain connection (Rasa built an ORM session and query, and
   their cache keys, for every load and save).
8. **The SQLite tracker store keeps its connections open and runs in WAL mode with `synchronous=NORMAL`**:
   Rasa's SQLAlchemy 1.4 opened and closed a connection (and checkpointed the log) for every load and
   save, and each commit waited for several fsyncs while blocking the server's event loop. Now a commit
   is an append to the log (a crash can lose at most the last turns' events, never corrupt the file).
   Other databases are left alone.
9. **Model graphs run node after node without dask** (NLU parse, policy prediction): Rasa rebuilt the
   minimal schema and a dask graph for every run and dask scheduled it task by task (~10 % of its CPU).
10. **An empty store setting means none**: `bot/endpoints.yml` takes the tracker and lock stores' settings
   from the environment (SQLite or PostgreSQL, in-memory or Redis; faqbot/rasa_stores.py), and Rasa requires
   every `${…}` to be set, so "no password" is an empty value, given to the store as None.
"""

from __future__ import annotations

import logging
import os
from typing import Any

log = logging.getLogger(__name__)

SESSION_TURNS_ENV = "FAQBOT_RASA_SESSION_TURNS"
DEFAULT_SESSION_TURNS = 8


def compile_action_response_validation() -> None:
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    checker = ActionResponseChecker(RemoteAction.action_response_format_spec())

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        if checker.is_valid(result):
            return True
        try:  # invalid: the full validation, for its exact error message
            checker.validate(result)
            return True
        except ValidationError as e:
            e.message += (
                ". Failed to validate Action server response from API, make sure your response from the "
                f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
            )
            raise e

    RemoteAction._validate_action_result = _validate_action_result


class ActionResponseChecker:
    """Rasa's action response schema, decided the fast way.

    Each event must match exactly one branch of a 23-way `oneOf`, and the branches differ by a constant
    event name. So an event is valid exactly when it passes the common part and the one branch its name
    selects: that branch alone is checked, instead of all 23 (each failure building an error object).
    Every validator is compiled once. A schema of another shape falls back to the full validator.
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        from jsonschema.validators import validator_for

        cls = validator_for(schema)
        cls.check_schema(schema)  # once, instead of on every response
        self._full = cls(schema)
        self._branches: dict[str, Any] | None = None
        event = schema.get("properties", {}).get("events", {}).get("items", {})
        branches: dict[str, Any] = {}
        for branch in event.get("oneOf", []):
            name = branch.get("properties", {}).get("event", {}).get("const")
            if not isinstance(name, str) or name in branches:
                return
            branches[name] = cls(branch)
        if not branches:
            return
        self._common = cls({k: v for k, v in event.items() if k != "oneOf"})
        outer = {**schema, "properties": {**schema["properties"], "events": {"type": "array"}}}
        self._outer = cls(outer)
        self._branches = branches

    def is_valid(self, result: Any) -> bool:
        if self._branches is None:
            return self._full.is_valid(result)
        if not self._outer.is_valid(result):
            return False
        for item in result.get("events", []) if isinstance(result, dict) else []:
            branch = self._branches.get(item.get("event")) if isinstance(item, dict) else None
            if branch is None or not self._common.is_valid(item) or not branch.is_valid(item):
                return False
        return True

    def validate(self, result: Any) -> None:
        self._full.validate(result)


def user_turns_in_session(events: Any) -> int:
    """Customer messages since the tracker's latest session start."""
    from rasa.shared.core.events import SessionStarted, UserUttered

    turns = 0
    for event in reversed(events):
        if isinstance(event, SessionStarted):
            break
        if isinstance(event, UserUttered):
            turns += 1
    return turns


def latest_slot_values(events: Any) -> list[Any]:
    """One SlotSet per slot: the latest value of each, in the order they were last set."""
    from rasa.shared.core.events import SlotSet

    latest: dict[str, Any] = {}
    for event in events:
        if isinstance(event, SlotSet):
            latest.pop(event.key, None)
            latest[event.key] = event
    return [SlotSet(key=e.key, value=e.value, metadata=e.metadata) for e in latest.values()]


def bound_sessions(max_turns: int) -> None:
    from rasa.core.actions.action import ActionSessionStart
    from rasa.core.processor import MessageProcessor

    # Rasa carries over every SlotSet event of the old session, the carried-over ones included, so each
    # session starts bigger than the last; the slots' latest values are the same state, and bounded.
    ActionSessionStart._slot_set_events_from_tracker = staticmethod(
        lambda tracker: latest_slot_values(tracker.applied_events()))

    expired_by_time = MessageProcessor._has_session_expired

    def _has_session_expired(self: MessageProcessor, tracker: Any) -> bool:
        if expired_by_time(self, tracker):
            return True
        if not self.domain.session_config.are_sessions_enabled() or tracker.is_paused():
            return False
        return user_turns_in_session(tracker.events) >= max_turns

    MessageProcessor._has_session_expired = _has_session_expired


def gate_intents_in_text() -> None:
    from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

    from bot.turn import META_BUTTON

    def process(self: RegexMessageHandler, messages: list[Any], domain: Any | None = None) -> list[Any]:
        return [
            YAMLStoryReader.unpack_regex_message(message, domain, entity_extractor_name=self.name)
            if (message.get("metadata") or {}).get(META_BUTTON) is True else message
            for message in messages
        ]

    RegexMessageHandler.process = process


def events_of_this_turn(events: Any) -> list[Any]:
    """The events from the latest customer message on (all of them when there is none)."""
    from rasa.shared.core.events import UserUttered

    events = list(events)
    for i in range(len(events) - 1, -1, -1):
        if isinstance(events[i], UserUttered):
            return events[i:]
    return events


def slim_action_calls() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.trackers import EventVerbosity

    def _action_call_format(self: RemoteAction, tracker: Any, domain: Any) -> dict[str, Any]:
        state = tracker.current_state(EventVerbosity.NONE)
        state["events"] = [event.as_dict() for event in events_of_this_turn(tracker.events)]
        result = {"next_action": self._name, "sender_id": tracker.sender_id, "tracker": state,
                  "version": rasa.__version__}
        if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
            result["domain"] = domain.as_dict()
        return result

    import rasa

    RemoteAction._action_call_format = _action_call_format


class _KeptOpen:
    """`async with` on a shared client session that leaves it open."""

    def __init__(self, session: Any) -> None:
        self._session = session

    async def __aenter__(self) -> Any:
        return self._session

    async def __aexit__(self, *exc: object) -> None:
        return None


def keep_action_connections() -> None:
    import asyncio

    from rasa.utils.endpoints import EndpointConfig

    new_session = EndpointConfig.session
    sessions: dict[tuple[int, int], Any] = {}

    def session(self: EndpointConfig) -> Any:
        key = (id(self), id(asyncio.get_running_loop()))
        current = sessions.get(key)
        if current is None or current.closed:
            current = sessions[key] = new_session(self)
        return _KeptOpen(current)

    EndpointConfig.session = session


def cache_event_types() -> None:
    from rasa.shared.core.events import Event

    resolve = Event.resolve_by_type
    known: dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any | None = None) -> Any | None:
        found = known.get(type_name)
        if found is None:
            found = resolve(type_name, default)  # unknown names: Rasa's answer (the default, or its error)
            if found is not None and found is not default:
                known[type_name] = found
        return found

    Event.resolve_by_type = staticmethod(resolve_by_type)


def lean_sql_tracker_store() -> None:
    """Load only the events' JSON (not ORM objects), and save the new events in one insert, knowing how many
    the turn loaded instead of counting them again."""
    import itertools
    import json

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.nlu.constants import INTENT_NAME_KEY

    loaded: dict[tuple[int, str], int] = {}  # (store, sender) -> events of the latest session in the database
    statements: dict[int, tuple[Any, Any, Any]] = {}  # store -> (latest session's events, all events, insert)

    def prepared(store: SQLTrackerStore) -> tuple[Any, Any, Any]:
        """Rasa's event queries (`_event_query`: ordered by id; the latest session = the events from the latest
        `session_started` event's timestamp on, or all when there is none) as Core statements built once: the
        ORM session and query Rasa builds for every load cost more than running them."""
        found = statements.get(id(store))
        if found is None:
            import sqlalchemy as sa
            from rasa.shared.core.events import SessionStarted

            table = store.SQLEvent.__table__
            start = sa.select(sa.func.max(table.c.timestamp).label("session_start")).where(
                table.c.sender_id == sa.bindparam("sender_id"),
                table.c.type_name == SessionStarted.type_name).scalar_subquery()
            everything = sa.select(table.c.data).where(table.c.sender_id == sa.bindparam("sender_id"))
            latest = everything.where(sa.or_(table.c.timestamp >= start, start.is_(None)))
            found = statements[id(store)] = (latest.order_by(table.c.id), everything.order_by(table.c.id),
                                             table.insert())
        return found

    async def _retrieve(self: SQLTrackerStore, sender_id: str, fetch_events_from_all_sessions: bool) -> Any:
        latest, everything, _ = prepared(self)
        with self.engine.connect() as connection:
            rows = connection.execute(everything if fetch_events_from_all_sessions else latest,
                                      {"sender_id": sender_id}).all()
        if not fetch_events_from_all_sessions:
            loaded[(id(self), sender_id)] = len(rows)
        if not self.domain or not rows:
            return None
        return DialogueStateTracker.from_dict(sender_id, [json.loads(data) for (data,) in rows], self.domain.slots)

    async def save(self: SQLTrackerStore, tracker: Any) -> None:
        await self.stream_events(tracker)
        stored = loaded.pop((id(self), tracker.sender_id), None)
        if stored is None:  # not loaded in this turn: count, as Rasa does
            with self.session_scope() as session:
                stored = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
        rows = []
        for event in itertools.islice(tracker.events, stored, len(tracker.events)):
            data = event.as_dict()
            rows.append({"sender_id": tracker.sender_id, "type_name": event.type_name,
                         "timestamp": data.get("timestamp"), "action_name": data.get("name"),
                         "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                         "data": json.dumps(data)})
        if rows:
            with self.engine.begin() as connection:
                connection.execute(prepared(self)[2], rows)

    SQLTrackerStore._retrieve = _retrieve
    SQLTrackerStore.save = save


def tune_sqlite() -> None:
    import rasa.core.tracker_store as tracker_store
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import QueuePool

    engine_kwargs = tracker_store.create_engine_kwargs

    def create_engine_kwargs(url: Any) -> dict[str, Any]:
        if str(url).startswith("sqlite") and ":memory:" not in str(url):
            # SQLAlchemy 1.4 opens and closes a file database's connection for every session (NullPool); with
            # WAL, closing the last connection also checkpoints the log. Keep a few connections open instead.
            return {"poolclass": QueuePool, "pool_size": 4, "max_overflow": 4,
                    "connect_args": {"check_same_thread": False}}
        # a server restarted since a pooled connection was opened: test it before use, reconnect if gone
        # (without, the first turn after a PostgreSQL restart fails on the dead connection)
        return {**engine_kwargs(url), "pool_pre_ping": True}

    tracker_store.create_engine_kwargs = create_engine_kwargs

    @event.listens_for(Engine, "connect")
    def _pragmas(dbapi_connection: Any, _: Any) -> None:
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()


def sequential_graph_runs() -> None:
    """Run Rasa's model graphs (NLU parse, policy prediction) node after node in the order their needs give,
    as dask's synchronous scheduler does, without dask: Rasa rebuilt the minimal schema and a dask graph for
    every run and dask scheduled it task by task, ~10 % of the server's CPU under load. Same nodes, same
    inputs (a run's inputs stand in for the nodes of the same name), same results."""
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    plans: dict[tuple[int, tuple[str, ...], frozenset[str]], list[tuple[str, tuple[str, ...]]]] = {}  # cached

    Plan = list[tuple[str, tuple[str, ...]]]

    def plan(self: DaskGraphRunner, targets: tuple[str, ...], given: frozenset[str]) -> Plan:
        """The nodes the targets need, each after what it needs, with the names of its inputs (cached)."""
        key = (id(self), targets, given)
        found = plans.get(key)
        if found is None:
            nodes = self._graph_schema.minimal_graph_schema(list(targets)).nodes
            order: list[tuple[str, tuple[str, ...]]] = []
            seen: set[str] = set(given)

            def visit(name: str) -> None:
                if name in seen or name not in nodes:
                    return
                seen.add(name)
                needs = tuple(nodes[name].needs.values())
                for dependency in needs:
                    visit(dependency)
                order.append((name, needs))

            for target in targets:
                visit(target)
            found = plans[key] = order
        return found

    def run(self: DaskGraphRunner, inputs: dict[str, Any] | None = None,
            targets: list[str] | None = None) -> dict[str, Any]:
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        results: dict[str, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in self._graph_schema.nodes:
                raise GraphRunError(f"Input value '{value}' clashes with a node name. Make sure that none of the "
                                    "input names passed to the `run` method are the same as node names in the "
                                    "graph schema.")
            results[name] = (name, value)
        try:
            for name, needs in plan(self, run_targets, frozenset(results)):
                results[name] = self._instantiated_nodes[name](*(results.get(need, need) for need in needs))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(results[target] for target in run_targets)

    DaskGraphRunner.run = run


def tracker_engine_settings_after_login_db() -> None:
    """With `login_db` (PostgreSQL: the trackers' database created at start), Rasa replaces its engine with a
    bare `create_engine(url)`: without `create_engine_kwargs` (its pool size, and the pre-ping that replaces a
    connection the server dropped — without it the first turns after a PostgreSQL restart fail). Make that
    engine again with them."""
    import rasa.core.tracker_store as tracker_store
    import sqlalchemy as sa

    create = tracker_store.SQLTrackerStore._create_database_and_update_engine

    def _create_database_and_update_engine(self: Any, db: str, engine_url: Any) -> None:
        create(self, db, engine_url)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, **tracker_store.create_engine_kwargs(url))

    tracker_store.SQLTrackerStore._create_database_and_update_engine = _create_database_and_update_engine


def strict_tracker_store() -> None:
    """Rasa wraps the tracker store in a `FailSafeTrackerStore`: when its database cannot be read, the turn runs
    on a new, empty tracker (the conversation's context silently gone), and when it cannot be written, the turn
    is kept in this instance's memory only (lost to the store and to every other instance). Let the error
    through instead: faqbot's channel answers 503 `tracker_store_unavailable` (bot/rasa_channel.py), the web
    service tells the customer to send it again, and the retry runs on the whole tracker once the database is
    back (docs/deployment.md, "PostgreSQL restarted")."""
    from rasa.core.tracker_store import FailSafeTrackerStore

    async def retrieve(self: FailSafeTrackerStore, sender_id: str) -> Any:
        return await self._tracker_store.retrieve(sender_id)

    async def retrieve_full_tracker(self: FailSafeTrackerStore, sender_id: str) -> Any:
        return await self._tracker_store.retrieve_full_tracker(sender_id)

    async def save(self: FailSafeTrackerStore, tracker: Any) -> None:
        await self._tracker_store.save(tracker)

    FailSafeTrackerStore.retrieve = retrieve
    FailSafeTrackerStore.retrieve_full_tracker = retrieve_full_tracker
    FailSafeTrackerStore.save = save


def empty_means_unset() -> None:
    """`bot/endpoints.yml` takes every store setting from the environment, and Rasa requires each `${…}` to be
    set; an empty one (no password, no login database on SQLite) is passed to the stores as None."""
    from rasa.core.lock_store import RedisLockStore
    from rasa.core.tracker_store import SQLTrackerStore

    for cls in (SQLTrackerStore, RedisLockStore):
        init = cls.__init__

        def __init__(self: Any, *args: Any, __init: Any = init, **kwargs: Any) -> None:
            __init(self, *args, **{k: (None if v == "" else v) for k, v in kwargs.items()})

        cls.__init__ = __init__


def apply(session_turns: int | None = None) -> None:
    turns = session_turns if session_turns is not None else int(
        os.environ.get(SESSION_TURNS_ENV) or DEFAULT_SESSION_TURNS)
    compile_action_response_validation()
    slim_action_calls()
    keep_action_connections()
    cache_event_types()
    if turns > 0:
        bound_sessions(turns)
    gate_intents_in_text()
    lean_sql_tracker_store()
    tune_sqlite()
    tracker_engine_settings_after_login_db()
    strict_tracker_store()
    sequential_graph_runs()
    empty_means_unset()


def main() -> None:
    apply()
    from bot.rasa_server import with_jwt_secret_from_environment

    with_jwt_secret_from_environment()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
