"""State shared by several service processes (FAQBOT_REDIS_URL): live events, presence, turn locks, the
sweep's leader, the sweep's marks. One process without Redis uses the in-process versions of the same
interfaces (faqbot.conversations.hub, handoff.desk.state, faqbot.turn_locks)."""

from faqbot.fleet.hub import RedisEventHub
from faqbot.fleet.leader import Leadership, LocalLeadership, RedisLeadership
from faqbot.fleet.presence import RedisMarks, RedisPresence
from faqbot.fleet.redis import Fleet, process_identity
from faqbot.fleet.turn_locks import RedisTurnLocks

__all__ = ["Fleet", "Leadership", "LocalLeadership", "RedisEventHub", "RedisLeadership", "RedisMarks",
           "RedisPresence", "RedisTurnLocks", "process_identity"]
