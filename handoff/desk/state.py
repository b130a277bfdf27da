"""What the desk remembers between calls besides the database: who has a console open, who went away only
because their console closed, which handoffs were already flagged as overdue, when the queue was last told.

Two implementations behind the same small interfaces: in this process (`LocalPresence`, `LocalMarks`, the
default for one service process) and in Redis for several processes (`faqbot.fleet.presence`).
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Protocol


class PresenceState(Protocol):
    """Live console connections, counted across every process that shares this state."""

    @property
    def shared(self) -> bool:
        """True when other processes share it (a fresh process must not judge their agents)."""
        ...

    async def connected(self, agent_id: str) -> bool:
        """Count a new connection; True if it is the agent's first anywhere."""
        ...

    async def disconnected(self, agent_id: str) -> bool:
        """Count a closed connection; True if the agent has none left anywhere."""
        ...

    async def is_connected(self, agent_id: str) -> bool: ...

    async def lost(self) -> list[str]:
        """Agents whose every connection was held by processes that stopped without closing them (each agent
        reported once): the desk treats them as disconnected."""
        ...

    async def mark_away_by_disconnect(self, agent_id: str) -> None: ...

    async def clear_away_by_disconnect(self, agent_id: str) -> bool:
        """Forget the mark; True if it was there."""
        ...


class SweepMarks(Protocol):
    """Facts the periodic sweep keeps so that it does each thing once."""

    async def flag_breach(self, handoff_id: str) -> bool:
        """Remember that the handoff's first reply is overdue; True the first time."""
        ...

    async def clear_breach(self, handoff_id: str) -> None: ...

    async def queue_update_due(self, interval_seconds: float) -> bool:
        """True at most once per interval (then the waiting customers are told where they are)."""
        ...


class ConnectionCounter:
    """Live connections per agent within one process."""

    def __init__(self) -> None:
        self._connections: Counter[str] = Counter()

    def connected(self, agent_id: str) -> bool:
        self._connections[agent_id] += 1
        return self._connections[agent_id] == 1

    def disconnected(self, agent_id: str) -> bool:
        self._connections[agent_id] -= 1
        if self._connections[agent_id] <= 0:
            del self._connections[agent_id]
            return True
        return False

    def is_connected(self, agent_id: str) -> bool:
        return self._connections[agent_id] > 0

    def agents(self) -> list[str]:
        return list(self._connections)


class LocalPresence:
    """One service process: nobody else holds connections."""

    shared = False

    def __init__(self) -> None:
        self._connections = ConnectionCounter()
        self._away_by_disconnect: set[str] = set()

    async def connected(self, agent_id: str) -> bool:
        return self._connections.connected(agent_id)

    async def disconnected(self, agent_id: str) -> bool:
        return self._connections.disconnected(agent_id)

    async def is_connected(self, agent_id: str) -> bool:
        return self._connections.is_connected(agent_id)

    async def lost(self) -> list[str]:
        return []  # a process that stops takes its connections along

    async def mark_away_by_disconnect(self, agent_id: str) -> None:
        self._away_by_disconnect.add(agent_id)

    async def clear_away_by_disconnect(self, agent_id: str) -> bool:
        if agent_id in self._away_by_disconnect:
            self._away_by_disconnect.discard(agent_id)
            return True
        return False


class LocalMarks:
    def __init__(self) -> None:
        self._breached: set[str] = set()
        self._last_queue_update: float | None = None

    async def flag_breach(self, handoff_id: str) -> bool:
        if handoff_id in self._breached:
            return False
        self._breached.add(handoff_id)
        return True

    async def clear_breach(self, handoff_id: str) -> None:
        self._breached.discard(handoff_id)

    async def queue_update_due(self, interval_seconds: float) -> bool:
        now = time.monotonic()
        if self._last_queue_update is not None and now - self._last_queue_update < interval_seconds:
            return False
        self._last_queue_update = now
        return True
