"""The aiohttp transport under the service's httpx client to Rasa: answers come back as httpx responses, and each
way a request can fail is told with the httpx error that says whether it reached the server (the Rasa
gateway decides from that whether a turn may be sent again)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from faqbot.http_transport import AiohttpTransport
from faqbot.launcher import free_port

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    return head, await reader.readexactly(length) if length else b""


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers every request on the connection with what it received (keep-alive)."""
    try:
        while True:
            head, body = await read_request(reader)
            seen = {"head": head.decode("latin-1"), "body": body.decode()}
            payload = json.dumps(seen).encode()
            writer.write(b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\nx-served: yes\r\n"
                         b"content-length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Reads the request, then closes the connection without answering (a server dying mid-turn)."""
    await read_request(reader)
    writer.close()


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    await asyncio.sleep(5)


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    servers: list[asyncio.Server] = []

    async def start(handler: Handler) -> str:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    yield start
    for server in servers:
        server.close()


async def test_a_request_and_its_answer_go_through_keeping_the_connection(serve):
    url = await serve(echo)
    async with httpx.AsyncClient(transport=AiohttpTransport(), timeout=5,
                                 headers={"Authorization": "Bearer t"}) as client:
        for i in range(3):
            response = await client.post(f"{url}/webhooks/faqbot/webhook", json={"text": f"hello {i}"})
            assert response.status_code == 201 and response.headers["x-served"] == "yes"
            seen = response.json()
            assert json.loads(seen["body"]) == {"text": f"hello {i}"}
            assert seen["head"].startswith("POST /webhooks/faqbot/webhook HTTP/1.1")
            assert "authorization: bearer t" in seen["head"].lower()
            assert "content-type: application/json" in seen["head"].lower()
        got = await client.get(f"{url}/status", params={"include_events": "NONE"})
        assert got.json()["head"].startswith("GET /status?include_events=NONE HTTP/1.1")


async def test_a_refused_connection_is_a_connect_error_nothing_was_sent():
    async with httpx.AsyncClient(transport=AiohttpTransport(), timeout=5) as client:
        with pytest.raises(httpx.ConnectError):
            await client.post(f"http://127.0.0.1:{free_port()}/webhooks/faqbot/webhook", json={})


async def test_a_connection_dropped_after_the_request_is_a_broken_one(serve):
    url = await serve(hang_up)
    async with httpx.AsyncClient(transport=AiohttpTransport(), timeout=5) as client:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            await client.post(f"{url}/webhooks/faqbot/webhook", json={"text": "hi"})


async def test_no_answer_in_time_is_a_read_timeout(serve):
    url = await serve(silent)
    async with httpx.AsyncClient(transport=AiohttpTransport(), timeout=0.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post(f"{url}/webhooks/faqbot/webhook", json={"text": "hi"})
