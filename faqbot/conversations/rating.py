"""Reading a typed rating ("4", "5 stars", "3/5", "4分", "五星") when the bot has just asked for one."""

from __future__ import annotations

import re

_CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_RATING = re.compile(r"^\s*(?:打\s*)?([1-5一二两三四五])\s*(?:/\s*5|stars?|★|分|星|颗星)?\s*[.!。！]?\s*$",
                     re.IGNORECASE)


def parse_rating(text: str) -> int | None:
    match = _RATING.match(text or "")
    if not match:
        return None
    value = match.group(1)
    return _CHINESE_DIGITS.get(value) or int(value)
