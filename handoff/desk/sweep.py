"""What time alone triggers, run every second or so by one process (the leader, with several):
connections lost with a stopped process, grace periods, auto-assignment, breach flags, queue updates."""

from __future__ import annotations

import datetime as dt

from handoff.desk.assignment import Assignment
from handoff.desk.common import DeskContext
from handoff.desk.customers import CustomerSide
from handoff.desk.presence import PresenceDesk
from handoff.desk.state import SweepMarks
from storage import utcnow


class Sweep:
    def __init__(self, ctx: DeskContext, marks: SweepMarks, presence: PresenceDesk, assignment: Assignment,
                 customers: CustomerSide) -> None:
        self._ctx = ctx
        self._marks = marks
        self._presence = presence
        self._assignment = assignment
        self._customers = customers

    async def run(self) -> None:
        now = utcnow()
        await self._presence.pick_up_lost()
        await self._presence.expire_grace(now)
        await self._assignment.dispatch()
        await self._flag_breaches(now)
        if await self._marks.queue_update_due(self._ctx.policy.queue_update_seconds):
            await self._customers.tell_waiting_customers()

    async def _flag_breaches(self, now: dt.datetime) -> None:
        target = self._ctx.policy.first_reply_target_seconds
        for handoff in await self._ctx.handoffs.open_handoffs():
            if handoff.first_reply_at is None and handoff.waited_seconds(now) > target \
                    and await self._marks.flag_breach(handoff.id):
                self._ctx.messenger.handoff_changed(handoff, breached=True)
