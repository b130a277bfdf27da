"""Which process does the time-based work: whoever holds the leader key (renewed while alive)."""

from __future__ import annotations

import logging
from typing import Protocol

from faqbot.fleet.redis import REDIS_DOWN, Fleet

log = logging.getLogger(__name__)

# take the key if free, keep it if ours; 1 when this process leads
_LEAD = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""


class Leadership(Protocol):
    async def lead(self) -> bool:
        """True if this process should do the time-based work now."""
        ...


class LocalLeadership:
    """One process: always."""

    async def lead(self) -> bool:
        return True


class RedisLeadership:
    def __init__(self, fleet: Fleet, ttl_seconds: float = 5.0) -> None:
        self._fleet = fleet
        self._key = fleet.key("leader")
        self._ttl_ms = max(1, int(ttl_seconds * 1000))
        self._script = fleet.redis.register_script(_LEAD)
        self._leading = False

    async def lead(self) -> bool:
        try:
            leading = bool(await self._script(keys=[self._key], args=[self._fleet.process_id, self._ttl_ms]))
        except REDIS_DOWN as exc:
            if self._leading:
                log.warning("leader key unreachable (%s): pausing time-based work", exc)
            leading = False
        if leading != self._leading:
            log.info("this process %s the time-based work", "now does" if leading else "no longer does")
        self._leading = leading
        return leading
