"""Telling "the database cannot be reached" apart from every other database error.

PostgreSQL stopped, restarting, killed or unreachable surfaces in many shapes: a refused connection (an
`OSError` out of asyncpg's connect), a connection the server closed under a query (asyncpg's
`ConnectionDoesNotExistError`, SQLAlchemy's `connection_invalidated`), the server shutting down or still
starting (SQLSTATE class 08, 57P01–57P03), a connect or pool checkout that timed out. All of them mean the
same to a client: nothing was done that needs the database, try again in a few seconds (HTTP 503 with
Retry-After, faqbot.api.errors). Anything else (a constraint violated, a bad query) stays an internal error.
"""

from __future__ import annotations

import types

from sqlalchemy import exc as sa_exc

RETRY_AFTER_SECONDS = 5

# SQLSTATEs of a server going away or not there yet: connection exceptions (class 08), admin/crash shutdown,
# "cannot connect now" (starting up, shutting down, in recovery)
_GONE_SQLSTATES = ("57P01", "57P02", "57P03")
_DRIVERS = ("asyncpg", "sqlalchemy", "psycopg", "aiosqlite")


def is_database_unavailable(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) says the database server cannot be reached or went away."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _one(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _one(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa_exc.TimeoutError):  # no connection free in the pool in time
        return True
    sqlstate = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    if isinstance(sqlstate, str) and (sqlstate.startswith("08") or sqlstate in _GONE_SQLSTATES):
        return True
    name = type(exc).__name__
    module = type(exc).__module__
    if module.startswith("asyncpg") and name in ("ConnectionDoesNotExistError", "InterfaceError",
                                                  "ConnectionFailureError", "InternalClientError"):
        return "connection" in str(exc).lower() or name != "InterfaceError"
    if isinstance(exc, OSError) and _raised_in_driver(exc.__traceback__):
        return True  # refused / reset / connect timed out, inside the driver
    return False


def _raised_in_driver(tb: types.TracebackType | None) -> bool:
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module.split(".")[0] in _DRIVERS:
            return True
        tb = tb.tb_next
    return False
