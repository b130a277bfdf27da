"""Business hours, e.g. ``mon-fri 09:00-18:00; sat 10:00-14:00`` in a time zone; empty: always open."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RULE = re.compile(r"^\s*(?P<first>[a-z]{3})(?:\s*-\s*(?P<last>[a-z]{3}))?\s+"
                   r"(?P<open>\d{1,2}:\d{2})\s*-\s*(?P<close>\d{1,2}:\d{2})\s*$")


@dataclass(frozen=True)
class OpeningHours:
    spec: str
    zone: ZoneInfo
    slots: tuple[tuple[int, dt.time, dt.time], ...]  # (weekday 0=Monday, opens, closes)

    @classmethod
    def parse(cls, spec: str, timezone: str = "UTC") -> OpeningHours:
        zone = ZoneInfo(timezone)
        slots: list[tuple[int, dt.time, dt.time]] = []
        for part in filter(None, (p.strip() for p in spec.lower().replace(",", ";").split(";"))):
            match = _RULE.match(part)
            if not match or match["first"] not in DAYS or (match["last"] and match["last"] not in DAYS):
                raise ValueError(f"business hours: cannot read {part!r}; write e.g. 'mon-fri 09:00-18:00'")
            first = DAYS.index(match["first"])
            last = DAYS.index(match["last"]) if match["last"] else first
            opens, closes = _time(match["open"]), _time(match["close"])
            if closes <= opens:
                raise ValueError(f"business hours: {part!r} closes before it opens")
            days = range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)]
            slots.extend((day, opens, closes) for day in days)
        return cls(spec.strip(), zone, tuple(slots))

    @property
    def always_open(self) -> bool:
        return not self.slots

    def is_open(self, at: dt.datetime) -> bool:
        if self.always_open:
            return True
        local = at.astimezone(self.zone)
        return any(day == local.weekday() and opens <= local.time() < closes for day, opens, closes in self.slots)

    def describe(self) -> str:
        return "always" if self.always_open else f"{self.spec} ({self.zone.key})"


def _time(text: str) -> dt.time:
    hours, minutes = (int(x) for x in text.split(":"))
    if hours == 24 and minutes == 0:
        return dt.time(23, 59, 59)
    return dt.time(hours, minutes)
