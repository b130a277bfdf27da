"""Issue 10's eight problems, each reproduced as a customer or an agent meets it (problem 5 is the dialogue's).

The widget is embedded on a shop page served from a second local port (another origin); desktop 1280×800 and a
390×844 phone. Screenshots go to test-artifacts/issue10-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import FrameLocator, Page, expect

from tests.browser.shop import ShopSite, shop_site
from tests.live import AGENT, AgentClient, Customer

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
LAUNCHER = "#faqbot-launcher, button[aria-label='Chat with customer service']"


@pytest.fixture(scope="module")
def shop() -> Iterator[ShopSite]:
    with shop_site() as site:
        yield site


def open_widget(page: Page) -> FrameLocator:
    page.locator(LAUNCHER).click()
    frame = page.frame_locator("iframe")
    expect(frame.locator("#text")).to_be_visible()
    return frame


def send(target, text: str) -> None:
    target.locator("#text").fill(text)
    target.locator("#text").press("Enter")


def online_agent(base_url: str) -> AgentClient:
    agent = AgentClient(base_url)
    assert agent.http.put("/api/agent/me/presence", json={"presence": "online"}).status_code == 200
    return agent


def release(agent: AgentClient, conversation_id: str) -> None:
    """Resolve the test's handoff so the shared agent keeps room for the next test."""
    for h in agent.queue():
        if h["conversation_id"] == conversation_id and h["status"] == "assigned":
            agent.http.post(f"/api/agent/handoffs/{h['id']}/resolve", json={})
        elif h["conversation_id"] == conversation_id:
            agent.http.post(f"/api/agent/handoffs/{h['id']}/claim")
            agent.http.post(f"/api/agent/handoffs/{h['id']}/resolve", json={})


def in_view(locator, container) -> bool:
    """The element is inside its scrolling container's visible area and inside the window."""
    box, outer = locator.bounding_box(), container.bounding_box()
    return box is not None and outer is not None and box["y"] >= outer["y"] - 1 \
        and box["y"] + box["height"] <= outer["y"] + outer["height"] + 1


# 1 ------------------------------------------------------------------------------------------------
def test_problem_1_an_old_feedback_button_rates_its_own_answer_not_the_latest_question(live, browser, artifacts):
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(live.web_url + "/")
    send(page, "How long does a refund take?")
    answer = page.locator('.msg.bot[data-article-id="refund-timing-en"], .msg.bot:has(.meta[data-article-id="refund-timing-en"])')
    expect(answer).to_have_count(1)
    send(page, "how do I train my puppy to sit")
    offer = page.locator(".msg.bot", has=page.locator("button", has_text="Talk to a person")).last
    expect(offer).to_be_visible()
    answer.locator("button", has_text="Yes").click()                 # 👍 on the earlier answer
    page.wait_for_timeout(1500)
    expect(page.locator("#status")).not_to_contain_text("waiting")   # not queued for a person
    conversation_id = page.locator("body").get_attribute("data-conversation-id")
    assert conversation_id
    agent = AgentClient(live.web_url)
    assert not [h for h in agent.queue() if h["conversation_id"] == conversation_id]
    expect(offer.locator("button", has_text="Talk to a person")).to_be_enabled()   # the latest question stays open
    send(page, "how much is shipping")
    expect(page.locator('.msg.bot[data-article-id="shipping-costs-en"], .msg.bot:has(.meta[data-article-id="shipping-costs-en"])')).to_have_count(1)
    expect(offer.locator("button", has_text="Talk to a person")).to_be_disabled()  # superseded: retired
    expect(answer.locator("button", has_text="No")).to_be_enabled()                # 👍/👎 stay usable
    page.screenshot(path=artifacts / "issue10-1-old-buttons.png", full_page=True)


# 2 ------------------------------------------------------------------------------------------------
def test_problem_2_messages_that_arrive_while_closed_are_counted_and_in_view_on_reopening(live, browser, artifacts,
                                                                                          shop):
    agent = online_agent(live.web_url)
    url = shop.page("/p2", "Shop", widget_src=live.web_url + "/widget.js")
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(url)
    frame = open_widget(page)
    for question in ("How long does a refund take?", "how much is shipping", "how do I reset my password"):
        send(frame, question)
        expect(frame.locator(".msg.bot").last).not_to_have_text("")
    send(frame, "I want to speak to a person")
    expect(frame.locator("#status")).to_contain_text("aiting")
    conversation_id = frame.locator("body").get_attribute("data-conversation-id")
    handoff = agent.handoff_for(conversation_id)
    agent.post(f"/api/agent/handoffs/{handoff['id']}/claim")
    expect(frame.locator(".msg.system").last).to_contain_text("Alice")
    page.locator(LAUNCHER).click()                                       # close the widget
    expect(page.locator("iframe")).to_be_hidden()
    for i in range(1, 4):
        agent.post(f"/api/agent/handoffs/{handoff['id']}/messages", json={"text": f"Agent reply number {i}"})
    badge = page.locator("#faqbot-unread")
    expect(badge).to_have_text("3")                                     # an unread badge on the launcher
    expect(page).to_have_title("(3) New message")                       # and the page's title tells
    page.screenshot(path=artifacts / "issue10-2-closed-with-badge.png")
    page.locator(LAUNCHER).click()
    last = frame.locator(".msg.agent").last
    expect(last).to_contain_text("Agent reply number 3")
    page.wait_for_timeout(500)
    assert in_view(last, frame.locator("#log")), "the newest message is out of view on reopening"
    expect(badge).to_be_hidden()
    page.screenshot(path=artifacts / "issue10-2-reopened.png")
    release(agent, conversation_id)


# 3 ------------------------------------------------------------------------------------------------
def test_problem_3_the_reply_box_and_the_newest_message_stay_in_view_in_the_console(live, browser, artifacts):
    customer = Customer(live.web_url)
    questions = ["How long does a refund take?", "how much is shipping", "how do I reset my password",
                 "can I pay in installments", "where is my parcel?", "how do I return an item"]
    for question in questions * 2:
        customer.say(question)
    customer.say("Problem three: I want to speak to a person")
    agent_page = browser.new_context(viewport=DESKTOP).new_page()
    agent_page.goto(live.web_url + "/agent")
    agent_page.fill("#username", AGENT[0])
    agent_page.fill("#password", AGENT[1])
    agent_page.click("#login button[type=submit]")
    agent_page.locator(".item", has_text="Problem three").click()
    agent_page.click("#claim")
    transcript = agent_page.locator("#transcript")
    expect(transcript).to_contain_text("Problem three")
    customer.say("Problem three: are you there?")
    newest = transcript.locator(".msg", has_text="are you there?")
    expect(newest).to_be_visible()
    agent_page.wait_for_timeout(500)
    reply = agent_page.locator("#reply")
    box = reply.bounding_box()
    assert box and box["y"] + box["height"] <= DESKTOP["height"], f"the reply box is below the fold: {box}"
    assert in_view(newest, transcript), "the newest message is not in view"
    page_height = agent_page.evaluate("document.scrollingElement.scrollHeight")
    assert page_height <= DESKTOP["height"] + 1, f"the page itself scrolls ({page_height} px)"
    agent_page.screenshot(path=artifacts / "issue10-3-console.png")
    release(AgentClient(live.web_url), customer.id)


# 4 ------------------------------------------------------------------------------------------------
def test_problem_4_nobody_available_means_no_queue_place_and_an_agent_who_joins_ends_the_ticket_form(
        live, browser, artifacts):
    agent = AgentClient(live.web_url)
    agent.http.put("/api/agent/me/presence", json={"presence": "offline"})
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(live.web_url + "/")
    send(page, "Problem four: I want to speak to a person")
    form = page.locator(".ticket-form")
    expect(form).to_be_visible()
    page.wait_for_timeout(1000)
    expect(page.get_by_text("in the queue")).to_have_count(0)           # no "number 2 in the queue"
    page.screenshot(path=artifacts / "issue10-4-nobody-available.png", full_page=True)
    conversation_id = page.locator("body").get_attribute("data-conversation-id")
    form.locator("[name=message]").fill("Problem four: my parcel is late")
    handoff = agent.handoff_for(conversation_id)
    agent.post(f"/api/agent/handoffs/{handoff['id']}/claim")           # an agent joins
    expect(page.locator(".msg.system").last).to_contain_text("Alice")
    expect(form).to_have_count(0)                                       # the ticket form goes away
    expect(page.locator("#text")).to_have_value("Problem four: my parcel is late")  # what was typed is kept
    # a ticket sent after the agent joined (an older page, a double click) is delivered as a normal message
    token = page.evaluate("JSON.parse(localStorage.getItem('faqbot.conversation')).token")
    late = httpx.post(f"{live.web_url}/api/conversations/{conversation_id}/ticket",
                      json={"message": "Problem four: sent late", "email": "p4@example.com"},
                      headers={"Authorization": f"Bearer {token}"})
    assert late.status_code < 300, late.text
    assert any(m["text"] == "Problem four: sent late" for m in agent.detail(handoff["id"])["transcript"])
    page.screenshot(path=artifacts / "issue10-4-agent-joined.png", full_page=True)
    release(agent, conversation_id)


# 6 ------------------------------------------------------------------------------------------------
def test_problem_6_on_a_phone_the_widget_fills_the_screen_and_closes_with_a_button_or_escape(live, browser, artifacts,
                                                                                             shop):
    url = shop.page("/p6", "Shop", widget_src=live.web_url + "/widget.js")
    page = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto(url)
    frame = open_widget(page)
    box = page.locator("iframe").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], f"off screen: {box}"
    assert box["width"] >= PHONE["width"] - 1 and box["height"] >= PHONE["height"] - 1, f"not full screen: {box}"
    page.screenshot(path=artifacts / "issue10-6-phone-open.png")
    frame.locator("#close").click()
    expect(page.locator("iframe")).to_be_hidden()
    frame = open_widget(page)
    frame.locator("#text").press("Escape")
    expect(page.locator("iframe")).to_be_hidden()
    expect(page.locator(LAUNCHER)).to_be_focused()                      # focus goes back to the launcher


# 7 ------------------------------------------------------------------------------------------------
def test_problem_7_the_widget_shows_no_machinery_and_one_language(live, browser, artifacts, shop):
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(live.web_url + "/")
    expect(page.locator(".greeting")).to_be_visible()                   # a greeting on open…
    expect(page.locator(".greeting .topics button").first).to_be_visible()  # …with topics
    header = page.locator("header h1")
    expect(header).to_have_text("Customer service")                     # one language, not "… · 客服"
    expect(page.locator("#send")).to_have_text("Send")
    assert page.locator("#text").get_attribute("placeholder") == "Type your question…"
    send(page, "how much is shipping")
    expect(page.locator(".msg.bot").last).not_to_have_text("")
    expect(page.get_by_text("score")).to_have_count(0)                  # no internal scores
    page.screenshot(path=artifacts / "issue10-7-english.png")

    chinese = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    url = shop.page("/p7", "商城", widget_src=live.web_url + "/widget.js", lang="zh-CN")
    chinese.goto(url)
    frame = open_widget(chinese)
    title = frame.locator("header h1")
    expect(title).to_have_text("在线客服")
    box = title.bounding_box()
    assert box and box["height"] < 30, f"the title breaks over lines: {box}"
    chinese.screenshot(path=artifacts / "issue10-7-chinese.png")

    online_agent(live.web_url)                                          # someone is there: a place in the queue
    send(page, "Problem seven: I want to speak to a person")
    expect(page.locator("#leave")).to_be_visible()
    page.locator("#leave").click()                                      # the customer leaves the queue
    page.wait_for_timeout(1500)
    expect(page.get_by_text("The customer left the chat.")).to_have_count(0)


# 8 ------------------------------------------------------------------------------------------------
def test_problem_8_embedding_needs_no_conversation_until_the_first_message_keeps_the_page_and_the_charset(
        live, browser, artifacts, shop):
    script = httpx.get(live.web_url + "/widget.js")
    assert "charset=utf-8" in script.headers["content-type"].replace(" ", "").lower()
    url = shop.page("/products/42?colour=red", "网上商城（GBK 页面）", charset="gbk",
                    widget_src=live.web_url + "/widget.js", lang="zh-CN")
    page = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    started = []
    page.on("request", lambda r: started.append(r.url) if r.method == "POST" and
            r.url.endswith("/api/conversations") else None)
    page.goto(url)
    launcher = page.locator(LAUNCHER)
    expect(launcher).to_be_visible()
    page.wait_for_timeout(1500)
    assert started == [], "a conversation was started by a page view"
    assert launcher.get_attribute("aria-label") == "打开在线客服"
    page.screenshot(path=artifacts / "issue10-8-gbk-shop.png")
    frame = open_widget(page)
    page.wait_for_timeout(500)
    assert started == [], "opening the widget is not a conversation yet"
    send(frame, "Problem eight: I want to speak to a person")
    expect(frame.locator(".msg.customer[data-seq]")).to_have_count(1)
    # handed off (the widget switched to English: the customer wrote English)
    expect(frame.locator("#status")).to_have_text(re.compile("Waiting for a person|No one is available|is helping"))
    assert len(started) == 1
    conversation_id = frame.locator("body").get_attribute("data-conversation-id")
    handoff = AgentClient(live.web_url).handoff_for(conversation_id)
    assert handoff["page_url"] == url                                   # the full page, not just the origin
    page.screenshot(path=artifacts / "issue10-8-first-message.png")
    release(AgentClient(live.web_url), conversation_id)
