"""Comparing secrets a client sent with the ones we expect, for any text the client could send."""

from __future__ import annotations

import hmac


def as_bytes(text: str) -> bytes:
    """UTF-8 bytes of any str, including one with lone surrogates (which plain `.encode()` refuses)."""
    return text.encode("utf-8", "surrogatepass")


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time equality of a client's secret and ours; False for a missing one or an unset `expected`."""
    if not given or not expected:
        return False
    return hmac.compare_digest(as_bytes(given), as_bytes(expected))
