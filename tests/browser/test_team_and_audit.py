"""The Team and Audit sections (issue 11, items 8 and 9), driven by their roles in Chromium: an admin creates an
agent and then deactivates them, and the agent's open console ends at once and they cannot sign in again; the
audit log shows it; both sections at desktop and phone sizes, with screenshots and axe scans."""

import uuid

import httpx
from playwright.sync_api import expect

from tests.browser.axe import axe_violations
from tests.browser.test_backoffice_shell import sign_in
from tests.live import AGENT

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_an_admin_deactivates_an_agent_who_is_logged_out_and_cannot_log_in_again(live, browser, artifacts):
    username, password = f"dana-{uuid.uuid4().hex[:6]}", "dana-secret-pw-1"
    admin = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(admin, live.web_url, *AGENT)
    admin.click(".bo-nav a[data-section=team]")
    admin.click("#new-account")
    admin.fill("#new-username", username)
    admin.fill("#new-password", password)
    admin.fill("#display-name", "Dana Lee")
    admin.check("#account-form input[name=language][value=en]")
    admin.fill("#skills", "shipping, refunds")
    admin.click("#save-account")
    row = admin.locator(f"tr[data-username='{username}']")
    expect(row).to_contain_text("Dana Lee")
    expect(row).to_contain_text("refunds, shipping")  # stored sorted

    agent = browser.new_context(viewport=PHONE).new_page()
    sign_in(agent, live.web_url, username, password)
    expect(agent).to_have_url(live.web_url + "/app/inbox")
    expect(row.locator("td").nth(2)).to_contain_text("console open", timeout=15_000)  # the team view polls
    admin.screenshot(path=artifacts / "team-admin-1280.png", full_page=True)
    assert axe_violations(admin) == []

    row.locator("button.deactivate").click()
    admin.click("#confirm-deactivate")
    expect(admin.locator(".team-status")).to_contain_text("Dana Lee is deactivated")
    expect(row).to_contain_text("Deactivated")
    # the agent's open console ends at once: back at the sign-in form
    expect(agent.locator("#login")).to_be_visible(timeout=5_000)
    agent.fill("#username", username)
    agent.fill("#password", password)
    agent.click("#login button[type=submit]")
    expect(agent.locator("#login-error")).to_contain_text("This account has been deactivated")
    agent.screenshot(path=artifacts / "team-deactivated-agent-login-390.png")
    assert httpx.post(live.web_url + "/api/agent/login",
                      json={"username": username, "password": password}).status_code == 403

    admin.click(".bo-nav a[data-section=audit]")
    latest = admin.locator("#audit-table tbody tr").first
    expect(latest).to_have_attribute("data-action", "account.deactivate")
    expect(latest).to_contain_text(username)
    expect(latest).to_contain_text("sessions_ended: 1")


def test_team_and_audit_sections_at_desktop_and_phone(live, browser, artifacts):
    admin_token = httpx.post(live.web_url + "/api/agent/login", json={"username": AGENT[0], "password": AGENT[1]}
                             ).json()["token"]
    headers = {"Authorization": f"Bearer {admin_token}"}
    name = f"omar-{uuid.uuid4().hex[:6]}"
    created = httpx.post(live.web_url + "/api/agent/agents", headers=headers,
                         json={"username": name, "password": "omar-secret-pw-1", "display_name": "Omar Haddad",
                               "roles": ["agent", "supervisor"], "languages": ["en", "zh"]}).json()["agent"]
    httpx.patch(live.web_url + f"/api/agent/agents/{created['id']}", headers=headers,
                json={"roles": ["supervisor"], "max_concurrent": 4})
    httpx.post(live.web_url + "/api/agent/canned", headers=headers,
               json={"title": "Opening hours", "text": "We answer from 9:00 to 18:00, Monday to Friday.",
                     "language": "en", "shared": True})
    for size, viewport in (("1280", DESKTOP), ("390", PHONE)):
        page = browser.new_context(viewport=viewport).new_page()
        sign_in(page, live.web_url, *AGENT)
        page.goto(live.web_url + "/app/team")
        expect(page.locator(f"tr[data-username='{name}']")).to_contain_text("Supervisor")
        expect(page.locator(".bo-nav a[data-section=team]")).to_be_in_viewport()  # every section in view on phones
        expect(page.locator(".bo-nav a[data-section=audit]")).to_be_in_viewport()
        assert no_horizontal_overflow(page)
        assert axe_violations(page) == []
        page.screenshot(path=artifacts / f"team-people-{size}.png", full_page=True)
        page.click("#tab-canned")
        expect(page.locator(".canned-list li[data-title='Opening hours']").first).to_be_visible()
        assert no_horizontal_overflow(page) and axe_violations(page) == []
        page.screenshot(path=artifacts / f"team-canned-{size}.png", full_page=True)

        page.goto(live.web_url + "/app/audit")
        expect(page.locator("#audit-table tbody tr").first).to_be_visible()
        page.select_option("#audit-action", "account.roles")
        page.click("#audit-filters button[type=submit]")
        rows = page.locator("#audit-table tbody tr")
        expect(rows.first).to_have_attribute("data-action", "account.roles")
        assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.action)")) == {"account.roles"}
        expect(page.locator(f"#audit-table tbody tr:has-text('{name}')").first).to_contain_text(
            "roles: agent, supervisor → supervisor")
        assert no_horizontal_overflow(page) and axe_violations(page) == []
        page.screenshot(path=artifacts / f"audit-{size}.png", full_page=True)
        page.select_option(".bo-top .bo-locale", "zh-Hant")
        expect(page.locator("html")).to_have_attribute("lang", "zh-TW")  # the choice is stored with it
        page.click(".bo-nav a[data-section=team]")
        expect(page.locator("#tab-people")).to_have_text("成員")
        expect(page.locator(f"tr[data-username='{name}']")).to_contain_text("主管")
        assert no_horizontal_overflow(page)
        page.screenshot(path=artifacts / f"team-people-zh-Hant-{size}.png", full_page=True)
        page.evaluate("localStorage.removeItem('faqbot.backofficeLocale')")
        page.context.close()


def test_the_inbox_on_a_phone_shows_one_pane_at_a_time_without_overflowing(live, browser, artifacts):
    from tests.live import Customer

    marker = f"Phone {uuid.uuid4().hex[:6]}"
    Customer(live.web_url).say(f"{marker}: I want to speak to a person")
    page = browser.new_context(viewport=PHONE).new_page()
    sign_in(page, live.web_url, *AGENT)
    page.goto(live.web_url + "/app/inbox")
    item = page.locator(".item", has_text=marker)
    expect(item).to_be_visible()
    assert no_horizontal_overflow(page)
    page.screenshot(path=artifacts / "inbox-queue-390.png")
    item.click()
    expect(page.locator("#transcript")).to_contain_text(marker)
    expect(page.locator("#queue")).to_be_hidden()
    assert no_horizontal_overflow(page)
    assert axe_violations(page) == []
    page.screenshot(path=artifacts / "inbox-conversation-390.png")
    page.click("#back-to-queue")
    expect(page.locator("#queue")).to_be_visible()
    expect(page.locator("#transcript")).to_have_count(0)
    page.context.close()
