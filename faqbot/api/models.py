"""What every request body and parameter shares: text that can be stored, numbers that fit the database.

JSON allows a lone UTF-16 surrogate (`"\\ud800"`), which no database can store as UTF-8; every string in a
request body is cleaned (a lone surrogate becomes U+FFFD) before any route sees it, so such a message is
stored rather than lost. Integers that end up in SQL are bounded to what a 32-bit column holds.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator

MAX_SQL_INT = 2**31 - 1  # sequence numbers and versions are INTEGER columns (32-bit in PostgreSQL)

_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")

SeqNumber = Annotated[int, Field(ge=0, le=MAX_SQL_INT, description="a message sequence number")]
VersionNumber = Annotated[int, Field(ge=1, le=MAX_SQL_INT, description="an article version")]


def storable_text(value: str) -> str:
    """`value` with every lone surrogate replaced by U+FFFD (valid pairs were joined by the JSON parser)."""
    return _LONE_SURROGATE.sub("\ufffd", value)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    return value


class RequestModel(BaseModel):
    """Base of every request body: strings come in storable."""

    @field_validator("*", mode="before")
    @classmethod
    def _storable_strings(cls, value: Any) -> Any:
        return _clean(value)
