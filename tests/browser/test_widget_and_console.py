"""The widget keeps what the customer typed while the service is unreachable and sends it once; the widget and
the console pass an axe-core scan (no serious or critical violations) at desktop and phone sizes."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.axe import axe_violations
from tests.browser.shop import ShopSite, shop_site
from tests.live import AGENT, Customer


@pytest.fixture(scope="module")
def shop() -> Iterator[ShopSite]:
    with shop_site() as site:
        yield site


def test_what_the_customer_types_while_offline_is_kept_and_sent_exactly_once(live, browser, artifacts):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(live.web_url + "/")
    page.fill("#text", "how much is shipping")
    page.press("#text", "Enter")
    expect(page.locator('.msg.bot[data-article-id="shipping-costs-en"]')).to_have_count(1)
    context.set_offline(True)
    page.fill("#text", "Sent while offline: where is my parcel?")
    page.press("#text", "Enter")
    expect(page.locator("#offline")).to_be_visible()
    expect(page.locator(".msg.customer.pending")).to_have_text("Sent while offline: where is my parcel?Waiting to send")
    page.screenshot(path=artifacts / "widget-offline-phone.png")
    context.set_offline(False)
    expect(page.locator(".msg.customer.pending")).to_have_count(0, timeout=20000)
    expect(page.locator("#offline")).to_have_count(0, timeout=20000)
    sent = page.locator(".msg.customer[data-seq]", has_text="Sent while offline")
    expect(sent).to_have_count(1)
    page.screenshot(path=artifacts / "widget-reconnected-phone.png")
    page.reload()                                          # the conversation survives a reload
    expect(page.locator(".msg.customer[data-seq]", has_text="Sent while offline")).to_have_count(1)
    context.close()


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_the_widget_and_the_console_have_no_serious_accessibility_problems(live, browser, artifacts, shop, viewport):
    name = "desktop" if viewport["width"] > 500 else "phone"
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(shop.page(f"/axe-{name}", "Shop", widget_src=live.web_url + "/widget.js"))
    assert axe_violations(page, "#faqbot-launcher") == []
    page.click("#faqbot-launcher")
    frame = page.frame(url=lambda u: "embedded=1" in u)
    frame.wait_for_selector(".greeting .topics button")
    frame.fill("#text", "How long does a refund take?")
    frame.press("#text", "Enter")
    frame.wait_for_selector(".msg.bot[data-seq]")
    assert axe_violations(frame) == []
    page.screenshot(path=artifacts / f"widget-axe-{name}.png")

    customer = Customer(live.web_url)
    customer.say(f"Axe {name}: I want to speak to a person")
    console = browser.new_context(viewport=viewport).new_page()
    console.goto(live.web_url + "/agent")
    console.fill("#username", AGENT[0])
    console.fill("#password", AGENT[1])
    console.click("#login button[type=submit]")
    console.locator(".item", has_text=f"Axe {name}").click()
    expect(console.locator("#transcript")).to_contain_text(f"Axe {name}")
    assert axe_violations(console) == []
    console.screenshot(path=artifacts / f"console-axe-{name}.png")
