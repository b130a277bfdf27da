"""The back office: one login, sections by role, the user's language, no serious accessibility problems."""

import httpx
from playwright.sync_api import expect

from tests.browser.axe import axe_violations
from tests.live import AGENT

ALL_SECTIONS = ["inbox", "kb", "questions", "analytics", "team", "audit"]


def sign_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/app/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login button[type=submit]")
    expect(page.locator(".bo-shell")).to_be_visible()


def nav_sections(page) -> list[str]:
    return page.locator(".bo-nav a").evaluate_all("els => els.map(e => e.dataset.section)")


def test_an_admin_sees_every_section_and_an_editor_only_theirs(live, browser, artifacts):
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(page, live.web_url, *AGENT)
    expect(page.locator(".bo-nav a")).to_have_count(len(ALL_SECTIONS))
    assert nav_sections(page) == ALL_SECTIONS
    page.click(".bo-nav a[data-section=analytics]")
    expect(page).to_have_url(live.web_url + "/app/analytics")
    expect(page.locator(".bo-nav a[aria-current=page]")).to_have_text("Analytics")
    assert axe_violations(page) == []
    page.screenshot(path=artifacts / "backoffice-admin-1280.png")

    admin = httpx.post(live.web_url + "/api/agent/login", json={"username": AGENT[0], "password": AGENT[1]}).json()
    created = httpx.post(live.web_url + "/api/agent/agents", json={"username": "erin-editor",
                                                                   "password": "erin-secret-pw",
                                                                   "roles": ["editor"], "display_name": "Erin"},
                         headers={"Authorization": f"Bearer {admin['token']}"})
    assert created.status_code in (201, 409), created.text
    editor = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    sign_in(editor, live.web_url, "erin-editor", "erin-secret-pw")
    expect(editor.locator(".bo-nav a")).to_have_count(2)  # the shell shows before its navigation is drawn
    assert nav_sections(editor) == ["kb", "questions"]
    expect(editor).to_have_url(live.web_url + "/app/kb")          # the first section the role allows
    editor.goto(live.web_url + "/app/audit")                       # a section the role does not include
    expect(editor).to_have_url(live.web_url + "/app/kb")
    editor.select_option(".bo-top .bo-locale", "zh-Hans")
    expect(editor.locator(".bo-nav a[data-section=kb]")).to_have_text("知识库")
    expect(editor.locator("html")).to_have_attribute("lang", "zh-CN")
    assert axe_violations(editor) == []
    editor.screenshot(path=artifacts / "backoffice-editor-zh-390.png")


def test_old_addresses_lead_to_their_section(live):
    for old, new in {"/editor": "/app/kb", "/kb": "/app/kb", "/analytics": "/app/analytics",
                     "/admin": "/app/team"}.items():
        response = httpx.get(live.web_url + old, follow_redirects=False)
        assert response.status_code == 308 and response.headers["location"] == new
