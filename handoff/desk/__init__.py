"""The handoff desk (the human side of a handoff), split by job:

- `assignment`: claiming, auto-assignment, transfers, putting back, agents' replies, resolving;
- `presence`: consoles opening and closing, agents' own choices, restarts, the grace period;
- `customers`: what the customer hears (the queue, offline tickets, leaving, rating);
- `views`: what the agents' console shows;
- `sweep`: what time alone triggers;
- `state`: the small interfaces for what is not in the database (live connections, the sweep's marks).

`HandoffDesk` puts them together for the API and the conversation loop.
"""

from handoff.desk.common import DeskPolicy, QueueStatus
from handoff.desk.desk import HandoffDesk
from handoff.desk.state import LocalMarks, LocalPresence, PresenceState, SweepMarks
from handoff.desk.views import HandoffView

__all__ = ["DeskPolicy", "HandoffDesk", "HandoffView", "LocalMarks", "LocalPresence", "PresenceState",
           "QueueStatus", "SweepMarks"]
