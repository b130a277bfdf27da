"""Who may take a handoff, who gets it when agents are auto-assigned, and how long a customer will wait.

Pure functions over plain values, so the rules are easy to read and to test:

- an agent *matches* a handoff when they speak its language and have its category among their
  skills (an agent with no languages or no skills listed takes any; a handoff with no category
  goes to anyone who speaks the language);
- an agent *has room* while they hold fewer conversations than their maximum;
- auto-assignment walks the queue in order (priority, then waiting time) and gives each handoff
  to the matching online agent with room who is the best fit: a specialist in the category
  before a generalist, then the least loaded, then the one who has waited longest.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

DEFAULT_HANDLE_SECONDS = 240.0  # until enough handoffs were resolved to measure it


@dataclass(frozen=True)
class Candidate:
    """An agent as routing sees them."""

    agent_id: str
    skills: frozenset[str] = field(default_factory=frozenset)
    languages: frozenset[str] = field(default_factory=frozenset)
    max_concurrent: int = 3
    load: int = 0  # conversations they hold now
    online: bool = True
    auto_assign: bool = False
    idle_rank: int = 0  # lower: has been without a new conversation longer

    @property
    def has_room(self) -> bool:
        return self.load < self.max_concurrent


@dataclass(frozen=True)
class Waiting:
    """A queued handoff as routing sees it."""

    handoff_id: str
    category: str | None
    language: str | None


def matches(candidate: Candidate, category: str | None, language: str | None) -> bool:
    speaks = not candidate.languages or (language or "en") in candidate.languages
    knows = not candidate.skills or category is None or category in candidate.skills
    return speaks and knows


def can_take(candidate: Candidate, category: str | None, language: str | None) -> bool:
    """May this agent take the handoff now (claim it or be given it)?"""
    return candidate.online and candidate.has_room and matches(candidate, category, language)


def best_agent(candidates: Iterable[Candidate], category: str | None, language: str | None) -> Candidate | None:
    fitting = [c for c in candidates if can_take(c, category, language)]
    if not fitting:
        return None
    return min(fitting, key=lambda c: (category is None or category not in c.skills,
                                       c.load / c.max_concurrent, c.idle_rank, c.agent_id))


def auto_assignments(queue: Sequence[Waiting], candidates: Iterable[Candidate]) -> list[tuple[str, str]]:
    """(handoff id, agent id) pairs for the queue, in order, among agents who take auto-assigned work."""
    pool = {c.agent_id: c for c in candidates if c.auto_assign}
    assignments = []
    for waiting in queue:
        chosen = best_agent(pool.values(), waiting.category, waiting.language)
        if chosen is None:
            continue
        assignments.append((waiting.handoff_id, chosen.agent_id))
        pool[chosen.agent_id] = replace(chosen, load=chosen.load + 1)
    return assignments


def estimated_wait_seconds(position: int, servers: int, handle_seconds: Sequence[float]) -> float | None:
    """A rough wait for the customer at `position` (1 = next) with `servers` matching agents online.

    Each agent frees a slot about every median handling time; nobody online: unknown (None).
    """
    if servers <= 0:
        return None
    typical = statistics.median(handle_seconds) if len(handle_seconds) >= 3 else DEFAULT_HANDLE_SECONDS
    return typical * math.ceil(position / servers) / 2  # on average a slot frees half-way through a chat
