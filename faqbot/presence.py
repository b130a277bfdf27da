"""Which agents have the console open right now (live connections, counted in this process)."""

from __future__ import annotations

from collections import Counter


class ConnectionTracker:
    def __init__(self) -> None:
        self._connections: Counter[str] = Counter()

    def connected(self, agent_id: str) -> bool:
        """Count a new connection; True if it is the agent's first."""
        self._connections[agent_id] += 1
        return self._connections[agent_id] == 1

    def disconnected(self, agent_id: str) -> bool:
        """Count a closed connection; True if it was the agent's last."""
        self._connections[agent_id] -= 1
        if self._connections[agent_id] <= 0:
            del self._connections[agent_id]
            return True
        return False

    def is_connected(self, agent_id: str) -> bool:
        return self._connections[agent_id] > 0
