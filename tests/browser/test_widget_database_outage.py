"""The widget while the service's PostgreSQL restarts (issue 15): a message the service refuses with 503
`database_unavailable` stays in the conversation, marked "Not delivered · Retry" (in the customer's language),
and is delivered — once — by the Retry button or the outbox's own retry once the database is back.

Against the real product on a PostgreSQL cluster of the test's own, stopped and started (tests.fleet_stack);
screenshots at 1280×800 (English) and 390×844 (Simplified Chinese) in test-artifacts/.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from playwright.sync_api import Page, expect

from faqbot.launcher import Stack, wait_until
from tests.fleet_stack import PrivatePostgres
from tests.live import running_stack

pytestmark = [pytest.mark.postgres]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def stack_on_private_postgres(tmp_path_factory) -> Iterator[tuple[Stack, PrivatePostgres]]:
    pg = PrivatePostgres()
    try:
        pg.start()

        async def create() -> None:
            conn = await asyncpg.connect(f"{pg.url}/postgres")
            try:
                await conn.execute('CREATE DATABASE "faqbot"')
            finally:
                await conn.close()

        asyncio.run(create())
        with running_stack(Path(tmp_path_factory.mktemp("widget-pg")),
                           database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{pg.port}/faqbot") as stack:
            yield stack, pg
    finally:
        pg.cleanup()


def send(page: Page, text: str) -> None:
    page.locator("#text").fill(text)
    page.locator("#text").press("Enter")


def stored_customer_texts(stack: Stack, page: Page) -> list[str]:
    conversation_id = page.locator("body").get_attribute("data-conversation-id")
    token = page.evaluate("() => JSON.parse(localStorage.getItem('faqbot.conversation')).token")
    history = httpx.get(f"{stack.web_url}/api/conversations/{conversation_id}/messages",
                        headers={"Authorization": f"Bearer {token}"}, timeout=10).json()["messages"]
    return [m["text"] for m in history if m["sender"] == "customer"]


def test_a_message_refused_while_the_database_restarts_is_kept_and_delivered_once(stack_on_private_postgres,
                                                                                  browser, artifacts):
    stack, pg = stack_on_private_postgres
    desktop = browser.new_context(viewport=DESKTOP, locale="en-GB").new_page()
    phone = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    for page, question in ((desktop, "How long does a refund take?"), (phone, "退款需要多久？")):
        page.goto(stack.web_url + "/")
        send(page, question)
        expect(page.locator(".msg.customer.pending")).to_have_count(0)
        expect(page.locator(".msg.bot").nth(1)).to_be_visible()  # the answer (after the greeting)

    pg.stop()
    try:
        send(desktop, "How much is shipping?")
        pending = desktop.locator(".msg.customer.pending")
        expect(pending).to_contain_text("How much is shipping?")  # kept on screen, not dropped
        expect(pending.locator(".meta.failed")).to_contain_text("Not delivered")
        expect(pending.locator("button.retry")).to_have_text("Retry")
        expect(desktop.locator("#undelivered")).to_be_visible()
        expect(desktop.locator("#offline")).to_have_count(0)  # the socket is fine: it is not "connection lost"
        desktop.screenshot(path=artifacts / "widget-not-delivered-1280.png")

        send(phone, "运费是多少？")
        expect(phone.locator(".msg.customer.pending .meta.failed")).to_contain_text("未送达")
        expect(phone.locator(".msg.customer.pending button.retry")).to_have_text("重试")
        phone.screenshot(path=artifacts / "widget-not-delivered-zh-390.png")
        desktop.locator(".msg.customer.pending button.retry").click()  # still down: stays "not delivered"
        expect(desktop.locator(".msg.customer.pending .meta.failed")).to_be_visible()
    finally:
        pg.start()
    wait_until(lambda: httpx.get(f"{stack.web_url}/readyz", timeout=5).status_code == 200, 60, "ready again")

    desktop.locator(".msg.customer.pending button.retry").click()  # delivered at once
    expect(desktop.locator(".msg.customer.pending")).to_have_count(0)
    expect(desktop.locator(".msg.customer").last).to_contain_text("How much is shipping?")
    expect(desktop.locator(".msg.bot").nth(2)).to_be_visible()  # answered
    expect(desktop.locator("#undelivered")).to_have_count(0)
    expect(phone.locator(".msg.customer.pending")).to_have_count(0, timeout=15_000)  # the outbox's own retry
    expect(phone.locator(".msg.customer").last).to_contain_text("运费是多少？")
    expect(phone.locator(".msg.bot").nth(2)).to_be_visible()
    desktop.screenshot(path=artifacts / "widget-delivered-after-outage-1280.png")
    phone.screenshot(path=artifacts / "widget-delivered-after-outage-zh-390.png")

    assert stored_customer_texts(stack, desktop) == ["How long does a refund take?", "How much is shipping?"]
    assert stored_customer_texts(stack, phone) == ["退款需要多久？", "运费是多少？"]
