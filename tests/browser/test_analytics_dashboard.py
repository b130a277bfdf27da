"""A supervisor reads the analytics dashboard after a scripted day of conversations: the figures, the handoff
reasons, the per-agent and per-category tables on screen match counts worked out from the script; a target
set on the page colours its figure; the page reads in Chinese; desktop and phone screenshots; axe-core."""

import asyncio
import datetime as dt
import threading
from decimal import ROUND_HALF_UP, Decimal

import httpx
from playwright.sync_api import expect

from faqbot.db import make_engine
from tests.analytics_day import (
    expected_agents,
    expected_categories,
    expected_figures,
    expected_reasons,
    plan_day,
    write_day,
)
from tests.browser.axe import axe_violations
from tests.browser.test_backoffice_shell import sign_in
from tests.live import AGENT

DAY = dt.date(2026, 11, 24)
UNITS = {"conversations": "count", "automated_rate": "ratio", "handoff_rate": "ratio", "helpful_share": "ratio",
         "csat_average": "score", "csat_response_rate": "ratio", "sla_breach_rate": "ratio",
         "offline_tickets": "count", "abandoned_waits": "count"}
REASON_LABELS = {"customer_request": "Asked for a person", "low_confidence": "Low confidence",
                 "frustrated": "Frustrated", "bot_unavailable": "Bot unavailable"}


def shown(value, unit: str) -> str:
    """The page's way of writing a figure (frontend/src/backoffice/sections/analytics/format.ts)."""
    if value is None:
        return "—"
    if unit == "ratio":  # JavaScript's toFixed: the exact binary value, halves rounded up
        return f"{Decimal(value * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"
    if unit == "score":
        return f"{Decimal(value).quantize(Decimal('0.01'), ROUND_HALF_UP)}"
    if unit == "seconds":
        s = round(value)
        if s < 60:
            return f"{s}s"
        if s < 3600:
            return f"{s // 60}m {s % 60:02d}s"
        return f"{s // 3600}h {(s % 3600) // 60:02d}m"
    return str(round(value))


def _in_thread(coroutine_factory):
    """Run async store code beside Playwright's own event loop."""
    result, failure = [], []

    def run():
        try:
            result.append(asyncio.run(coroutine_factory()))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def _account(base: str, admin: dict, username: str, name: str, roles: list[str]) -> str:
    created = httpx.post(base + "/api/agent/agents", headers=admin, json={
        "username": username, "password": "analytics-pw-1", "display_name": name, "roles": roles})
    if created.status_code == 409:
        listed = httpx.get(base + "/api/agent/team", headers=admin).json()
        agents = listed["agents"] if isinstance(listed, dict) else listed
        return next(a["id"] for a in agents if a["username"] == username)
    assert created.status_code == 201, created.text
    return created.json()["agent"]["id"]


def test_a_supervisor_reads_the_dashboard_of_a_scripted_day(live, browser, artifacts):
    base = live.web_url
    token = httpx.post(base + "/api/agent/login", json={"username": AGENT[0], "password": AGENT[1]}).json()["token"]
    admin = {"Authorization": f"Bearer {token}"}
    agent_ids = [_account(base, admin, f"an-agent-{i}", name, ["agent"])
                 for i, name in enumerate(["Ada Agent", "Bo Agent", "Cy Agent"])]
    _account(base, admin, "sue-supervisor", "Sue", ["supervisor"])
    plans = plan_day(DAY)

    async def write():
        engine = make_engine(live.settings.resolved_database_url)
        try:
            await write_day(engine, plans, agent_ids)
        finally:
            await engine.dispose()

    _in_thread(write)
    target_s = live.settings.first_reply_target_seconds
    expected = expected_figures(plans, target_s)

    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(page, base, "sue-supervisor", "analytics-pw-1")
    page.goto(f"{base}/app/analytics?start={DAY}&end={DAY}")
    expect(page.locator("[data-figure=conversations] .an-value")).to_have_text(str(expected["conversations"]))
    for key, value in expected.items():
        unit = UNITS.get(key, "seconds")
        expect(page.locator(f"[data-figure={key}] .an-value")).to_have_text(shown(value, unit))
    assert expected["conversations"] == 60 and expected["offline_tickets"] and expected["abandoned_waits"]

    reasons = page.locator("table[data-table=reasons] tbody tr")
    expect(reasons).to_have_count(4)
    for reason, count in expected_reasons(plans).items():
        row = page.locator("table[data-table=reasons] tbody tr", has_text=REASON_LABELS[reason])
        expect(row.locator("td").first).to_have_text(str(count))
    agents = expected_agents(plans, agent_ids)
    for name, agent_id in zip(["Ada Agent", "Bo Agent", "Cy Agent"], agent_ids, strict=True):
        cells = page.locator("table[data-table=agents] tbody tr", has_text=name).locator("td")
        want = agents[agent_id]
        expect(cells).to_have_text([str(want["handled"]), shown(want["first_reply_p50"], "seconds"),
                                    shown(want["resolution_p50"], "seconds"), shown(want["csat_average"], "score"),
                                    cells.nth(4).inner_text()])
    for category, count in expected_categories(plans).items():
        label = category or "(no category)"
        row = page.locator("table[data-table=categories] tbody tr", has_text=label)
        expect(row.locator("td").first).to_have_text(str(count))
    expect(page.locator(".an-chart svg")).to_have_count(7)
    expect(page.locator("#def-automated")).to_contain_text("last answer was not rejected")
    assert page.locator("[data-figure=automated_rate]").get_attribute("aria-describedby") == "def-automated"

    # the supervisor sets a target for automated resolution just above today's figure: a warning
    page.click("[data-figure=automated_rate] .an-edit")
    page.fill("[data-figure=automated_rate] input[name=target]", f"{expected['automated_rate'] * 100 + 5:.1f}")
    page.fill("[data-figure=automated_rate] input[name=warning]", f"{expected['automated_rate'] * 100 - 5:.1f}")
    page.click("[data-figure=automated_rate] button[type=submit]")
    expect(page.locator("[data-figure=automated_rate] .fb-tag")).to_have_text("Warning")
    assert axe_violations(page) == []
    page.screenshot(path=artifacts / "analytics-supervisor-1280.png")
    page.locator(".an-charts").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "analytics-supervisor-1280-charts.png")
    page.locator("table[data-table=agents]").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "analytics-supervisor-1280-tables.png")

    # CSV of the agents table: a file with a header and one row per agent
    with page.expect_download() as download:
        page.click("button[data-export=agents]")
    csv_text = download.value.path().read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[0].startswith("Agent,Handled") and len(csv_text.splitlines()) == 4

    # the last 30 days hold the scripted day: its bars and points in the daily charts
    page.click(".an-filters button:has-text('Last 30 days')")
    expect(page.locator("table[data-table=daily] tbody tr")).to_have_count(30)
    expect(page.locator("table[data-table=daily] tbody tr", has_text=DAY.isoformat()).locator("td").first) \
        .to_have_text(str(expected["conversations"]))
    page.locator(".an-charts").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "analytics-supervisor-1280-30days.png")

    # bad input: an inverted period is refused with the field named
    page.fill("input[name=start]", (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)).isoformat())
    page.click(".an-filters button[type=submit]")
    expect(page.locator(".an-head .fb-error")).to_contain_text("end")

    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    sign_in(phone, base, "sue-supervisor", "analytics-pw-1")
    phone.goto(f"{base}/app/analytics?start={DAY}&end={DAY}")
    expect(phone.locator("[data-figure=conversations] .an-value")).to_have_text("60")
    phone.select_option(".bo-top .bo-locale", "zh-Hans")
    expect(phone.locator("[data-figure=automated_rate] .an-label")).to_have_text("自动解决率")
    assert axe_violations(phone) == []
    phone.screenshot(path=artifacts / "analytics-supervisor-zh-390.png")
    phone.locator(".an-charts").scroll_into_view_if_needed()
    phone.screenshot(path=artifacts / "analytics-supervisor-zh-390-charts.png")
    phone.locator("table[data-table=agents]").scroll_into_view_if_needed()
    phone.screenshot(path=artifacts / "analytics-supervisor-zh-390-tables.png")
    phone.select_option(".bo-top .bo-locale", "zh-Hant")
    expect(phone.locator("[data-figure=automated_rate] .an-label")).to_have_text("自動解決率")
    assert axe_violations(phone) == []
