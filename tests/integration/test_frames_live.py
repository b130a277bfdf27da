"""WebSocket messages larger than FAQBOT_MAX_WS_MESSAGE_BYTES close the connection (issue 13, finding 8)."""

import json

import pytest
import websockets

from tests.live import Customer


async def test_a_ten_megabyte_websocket_frame_is_refused(live):
    customer = Customer(live.web_url)
    async with websockets.connect(customer.events_url(), max_size=None) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.send(json.dumps({"type": "typing", "padding": "x" * 10_000_000}))
            while True:
                await ws.recv()
    assert closed.value.code == 1009
    async with websockets.connect(customer.events_url()) as ws:  # a normal client still gets in
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await ws.recv()) == {"type": "pong"}
