"""A conversation past FAQBOT_MAX_CONVERSATION_MESSAGES in the widget: the customer is offered a person or a
new conversation, and "Start a new conversation" starts one (issue 13, finding 2)."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from faqbot.launcher import Stack
from tests.live import running_stack

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def short_stack(tmp_path_factory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("cap"), max_conversation_messages=4) as stack:
        yield stack


def send(page, text: str) -> None:
    page.locator("#text").fill(text)
    page.locator("#text").press("Enter")


@pytest.mark.parametrize("size", list(SIZES))
def test_a_full_conversation_offers_a_person_or_a_fresh_start(short_stack, browser, artifacts, size):
    page = browser.new_context(viewport=SIZES[size]).new_page()
    page.goto(short_stack.web_url + "/")
    for question in ("How long does a refund take?", "how much is shipping"):
        send(page, question)
        expect(page.locator(".msg.bot").last).not_to_have_text("")
    send(page, "and how do I reset my password")
    offer = page.locator(".msg", has=page.locator("button", has_text="Start a new conversation")).last
    expect(offer).to_be_visible()
    expect(offer.locator("button", has_text="Talk to a person")).to_be_visible()
    expect(page.locator(".msg.customer").last).to_contain_text("reset my password")  # kept
    first = page.locator("body").get_attribute("data-conversation-id")
    page.screenshot(path=artifacts / f"conversation-full-{size}.png")
    offer.locator("button", has_text="Start a new conversation").click()
    expect(page.locator(".msg.customer")).to_have_count(0)
    send(page, "where is my parcel?")
    expect(page.locator('.msg.bot[data-article-id="track-shipment-en"]')).to_be_visible()  # the bot answers again
    expect(page.locator("body")).not_to_have_attribute("data-conversation-id", first)  # a new conversation
    page.screenshot(path=artifacts / f"conversation-fresh-start-{size}.png")
