"""httpx requests sent over aiohttp's connection pool: what the service's calls to Rasa travel on.

Every customer turn is one request to Rasa. httpx's own transport (httpcore) costs about 2 ms of CPU per
request when many are in flight (it looks at every pooled connection's socket before each request, in pure
Python); aiohttp's pool and C parser, about a quarter of that. The callers keep httpx's interface and its
errors: what went wrong is told with the httpx exception that means the same (a connection that could not
be made, `ConnectError` / `ConnectTimeout`: nothing was sent; one that broke after the request went out,
`ReadError` / `RemoteProtocolError`; no answer in time, `ReadTimeout`), so the Rasa gateway's rules on what
may be sent again (faqbot/rasa_gateway.py) hold as they are.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import httpx

# headers httpx adds that aiohttp sets itself (or that would ask Rasa to compress what the service decodes)
NOT_FORWARDED = frozenset({"host", "content-length", "transfer-encoding", "connection", "accept-encoding"})


def _as_httpx_error(exc: BaseException, request: httpx.Request) -> httpx.TransportError:
    """The httpx exception that says what `exc` says about whether the request reached the server."""
    message = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message, request=request)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError(message, request=request)
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError | aiohttp.ClientPayloadError):
        return httpx.RemoteProtocolError(message, request=request)
    if isinstance(exc, aiohttp.ClientOSError):
        return httpx.ReadError(message, request=request)
    if isinstance(exc, TimeoutError):  # aiohttp's SocketTimeoutError (no answer in time) included
        return httpx.ReadTimeout(message, request=request)
    return httpx.ReadError(message, request=request)


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport over one aiohttp session (opened on first use, in the running event loop).

    `keepalive_seconds` is kept below the servers' own idle timeout (Sanic's, Rasa's server: 5 s), so a pooled
    connection is never reused just as the server closes it.
    """

    def __init__(self, *, limit: int = 64, keepalive_seconds: float = 3.0) -> None:
        self._limit = limit
        self._keepalive = keepalive_seconds
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _client(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            connector = aiohttp.TCPConnector(limit=self._limit, keepalive_timeout=self._keepalive)
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False,
                                                  cookie_jar=aiohttp.DummyCookieJar(),
                                                  skip_auto_headers=("User-Agent", "Accept-Encoding"))
            self._loop = loop
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts: dict[str, Any] = request.extensions.get("timeout") or {}
        timeout = aiohttp.ClientTimeout(total=None, connect=timeouts.get("pool"), sock_connect=timeouts.get("connect"),
                                        sock_read=timeouts.get("read"))
        headers = {name: value for name, value in request.headers.items() if name.lower() not in NOT_FORWARDED}
        body = await request.aread()
        try:
            async with self._client().request(request.method, str(request.url), data=body or None, headers=headers,
                                              timeout=timeout, allow_redirects=False) as response:
                content = await response.read()
                return httpx.Response(response.status, headers=list(response.raw_headers), content=content,
                                      request=request)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _as_httpx_error(exc, request) from exc

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
