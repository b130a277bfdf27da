"""The customer chat page and the agent console, side by side in headless Chromium, through a full handoff."""

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect

from tests.live import AGENT

HOSTILE = '<img src=x onerror="window.__pwned = 1">'


def send(page: Page, text: str) -> None:
    page.fill("#text", text)
    page.press("#text", "Enter")


def log_in(agent: Page, base_url: str) -> None:
    agent.goto(base_url + "/agent")
    agent.fill("#username", AGENT[0])
    agent.fill("#password", AGENT[1])
    agent.click("#login button[type=submit]")
    expect(agent.locator("#presence")).to_have_value("online")


def test_full_handoff_in_two_browsers(live, browser, artifacts):
    customer = browser.new_context(viewport={"width": 480, "height": 800}).new_page()
    agent = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(agent, live.web_url)

    customer.goto(live.web_url + "/")
    send(customer, "where is my parcel?")
    expect(customer.locator('.msg.bot[data-article-id="track-shipment-en"]')).to_be_visible()
    send(customer, "我的退款多久能到账？")
    expect(customer.locator('.msg.bot[data-article-id="refund-timing-zh"]')).to_be_visible()
    send(customer, "I want to speak to a person")
    expect(customer.locator("#status")).to_contain_text(re.compile("waiting for a person", re.I))
    expect(customer.locator("#banner")).to_contain_text("in the queue")  # place in the queue and the wait
    send(customer, "My parcel 20261123001 is late")
    send(customer, HOSTILE)
    customer.screenshot(path=artifacts / "1-customer-waiting.png", full_page=True)

    item = agent.locator(".item", has_text=HOSTILE)
    expect(item).to_be_visible()
    expect(item).to_contain_text("waiting")
    item.click()
    transcript = agent.locator("#transcript")
    expect(transcript).to_contain_text("where is my parcel?")
    expect(transcript).to_contain_text("article track-shipment-en")
    expect(transcript).to_contain_text("intent ask_question")
    expect(transcript.locator(".msg.customer .text").last).to_have_text(HOSTILE)  # shown as text, not run
    assert agent.evaluate("window.__pwned") is None

    agent.click("#claim")
    expect(customer.locator("#status")).to_contain_text("Alice")
    expect(customer.locator("#banner")).to_be_hidden()
    agent.screenshot(path=artifacts / "2-agent-claimed.png", full_page=True)

    # typing indicators both ways
    expect(agent.locator("#reply")).to_be_enabled()
    agent.locator("#reply").press_sequentially("Hi", delay=50)
    expect(customer.locator("#typing")).to_contain_text("Alice is typing")
    customer.locator("#text").press_sequentially("hel", delay=50)
    expect(agent.locator("#typing")).to_contain_text(re.compile("customer is typing", re.I))
    customer.fill("#text", "")

    # a canned reply, saved and inserted; then a suggested article inserted into the reply
    agent.fill("#reply", "Hi, this is Alice. Your parcel is on its way.")
    agent.click("#save-canned")
    expect(agent.locator("#canned option", has_text="Hi, this is Alice.")).to_have_count(1)
    agent.press("#reply", "Enter")
    expect(customer.locator(".msg.agent .text").last).to_have_text("Hi, this is Alice. Your parcel is on its way.")
    send(customer, "how do I track my parcel?")
    expect(transcript).to_contain_text("how do I track my parcel?")
    suggestion = agent.locator("#suggestions .suggestion").first
    expect(suggestion).to_be_visible()
    suggestion.locator("button").click()
    expect(agent.locator("#reply")).not_to_have_value("")
    agent.press("#reply", "Enter")
    expect(customer.locator(".msg.agent")).to_have_count(2)
    agent.screenshot(path=artifacts / "3-agent-console.png", full_page=True)
    customer.screenshot(path=artifacts / "4-customer-with-agent.png", full_page=True)

    agent.click("#resolve")                                   # asks first
    agent.fill("#note", "sent tracking info")
    agent.click("#confirm")
    expect(customer.locator(".msg.bot").last).to_contain_text("virtual assistant")
    expect(customer.locator("#status")).to_contain_text(re.compile("virtual assistant", re.I))
    rating = customer.locator(".rating-form")
    rating.locator("button[data-score='4']").click()
    rating.locator("input[name=comment]").fill("Quick help, thanks")
    rating.locator("button[type=submit]").click()
    expect(customer.locator(".msg.bot").last).to_contain_text("Thank you for your rating")
    expect(customer.locator(".msg.customer .text").last).to_have_text("★★★★☆ Quick help, thanks")
    expect(agent.locator("#customer-info")).to_contain_text(re.compile("rated 4/5", re.I))
    expect(agent.locator("#history")).to_contain_text("rated")
    send(customer, "how do I reset my password")
    expect(customer.locator('.msg.bot[data-article-id="reset-password-en"]')).to_be_visible()
    customer.screenshot(path=artifacts / "5-customer-rated-and-back-with-bot.png", full_page=True)
    agent.screenshot(path=artifacts / "6-agent-after-resolve.png", full_page=True)

    seqs = customer.locator(".msg[data-seq]").evaluate_all("els => els.map(e => Number(e.dataset.seq))")
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))  # each message once, in order
    assert customer.evaluate("window.__pwned") is None
    agent.context.close()


def test_unsure_answer_offers_a_person_by_button(live, browser):
    page = browser.new_page()
    page.goto(live.web_url + "/")
    send(page, "how do I train my puppy to sit")
    page.locator(".msg.bot .buttons button", has_text="Talk to a person").click()
    expect(page.locator(".msg.customer .text").last).to_have_text("Talk to a person")  # its title, not "/…"
    expect(page.locator("#status")).to_contain_text(re.compile("waiting for a person|no one is available", re.I))


def test_feedback_buttons_and_a_frustrated_customer_in_the_agent_console(live, browser, artifacts):
    page = browser.new_page()
    page.goto(live.web_url + "/")
    send(page, "How long does a refund take?")
    expect(page.locator('.msg.bot[data-article-id="refund-timing-en"]')).to_be_visible()
    page.locator(".msg.bot .buttons button", has_text="No").last.click()
    expect(page.locator(".msg.bot .text").last).to_contain_text("Perhaps this is what you were asking about")
    send(page, "Asking for the third time!!! Useless bot, this is so annoying")
    expect(page.locator("#status")).to_contain_text(re.compile("waiting for a person|no one is available", re.I))
    page.screenshot(path=artifacts / "7-frustrated-customer.png", full_page=True)

    agent = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(agent, live.web_url)
    item = agent.locator(".item", has_text="Asking for the third time!!!")
    expect(item.locator(".fb-tag.danger")).to_have_text("high priority")
    item.click()
    transcript = agent.locator("#transcript")
    expect(transcript).to_contain_text("frustration high")
    expect(transcript).to_contain_text("angry language")
    expect(transcript).to_contain_text("👎 not helpful")
    agent.screenshot(path=artifacts / "8-agent-sees-frustration.png", full_page=True)


def test_empty_message_is_refused_in_the_page(live, browser):
    page = browser.new_page()
    page.goto(live.web_url + "/")
    send(page, "   ")
    expect(page.locator("#error")).to_contain_text("Please type a message")
    assert page.locator(".msg[data-seq], .msg.pending").count() == 0


@pytest.fixture
def shop_page(live) -> Iterator[str]:
    """The shop's own web page (another origin, on loopback) with the one-line embed."""
    html = f'<html><body><h1>My shop</h1><script src="{live.web_url}/widget.js" async></script></body></html>'

    class Shop(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(html.encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_widget_script_embeds_the_chat(browser, shop_page):
    page = browser.new_page()
    page.goto(shop_page)
    page.click("#faqbot-launcher")
    frame = page.frame_locator("#faqbot-frame")
    frame.locator("#text").fill("how much is shipping")
    frame.locator("#text").press("Enter")
    expect(frame.locator('.msg.bot[data-article-id="shipping-costs-en"]')).to_be_visible()
