"""A county discipline official in a real browser: the alert dashboard (charts drawn, tables alongside,
axe clean), drilling down county → township → village, then claiming an alert and dismissing it with
a reason through the htmx forms."""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from sunlit.accounts.roles import Role

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
T0 = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Tuesday


def _pdf(label: str) -> bytes:
    return b"%PDF-1.4\n% " + hashlib.sha256(label.encode()).hexdigest().encode() + b"\n%%EOF\n"


def _load_axe(page) -> None:
    """Load axe under the enforced CSP: evaluated over the DevTools protocol, not as a page script."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")


@pytest.fixture
def overdue_alert(portal_data, make_user):
    """A 低保 case left at its 'accept' step, swept 11 days after the deadline: one red alert."""
    from sunlit.cases import services as cases
    from sunlit.supervision.engine import sweep
    from sunlit.supervision.models import Alert

    committee = make_user(Role.VILLAGE_COMMITTEE, portal_data.village, "e2e_committee")
    with time_machine.travel(T0, tick=False):
        case = cases.case_start(
            actor=committee, village=portal_data.village, item_code="VS-01", title="低保申请"
        )
        for name in case.current.step.documents:
            cases.document_upload(
                actor=committee, case=case, name=name, data=_pdf(name), filename=f"{name}.pdf"
            )
        cases.step_complete(actor=committee, case=case)
        case.refresh_from_db()
    sweep(rule_codes=["TIME_STEP_OVERDUE"], now=case.current.due_at + datetime.timedelta(days=11))
    return Alert.objects.get()


@pytest.fixture
def official(new_context, portal_data, make_user):
    """A logged-in county discipline official; the site's CSP is enforced (no bypass)."""
    make_user(Role.COUNTY_DISCIPLINE, portal_data.county, "e2e_jiwei")
    page = new_context(bypass_csp=False, locale="en-US", viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.goto(f"{portal_data.url}/staff/login/")
    page.fill("#id_username", "e2e_jiwei")
    page.fill("#id_password", "x")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{portal_data.url}/staff/")
    yield page
    assert not errors, "script errors on a staff page:\n" + "\n".join(errors)


@pytest.mark.e2e
def test_dashboard_drill_down_claim_and_dismiss(official, overdue_alert, portal_data, axe):
    page = official
    alert = overdue_alert
    # the nav leads to the alerts, the alerts' sub-nav to the dashboard
    page.get_by_role("link", name="Alerts", exact=True).first.click()
    page.locator("nav.subnav").get_by_role("link", name="Dashboard").click()
    expect(page.locator("h1")).to_contain_text(portal_data.county.name)
    # the charts are drawn (SVG) and every one has its table
    for kind in ("region", "colour", "rectification", "month", "rule"):
        expect(page.locator(f'[data-alert-chart="{kind}"] svg')).to_be_attached(timeout=20_000)
    for table in ("#region-table", "#colour-table", "#status-table", "#month-table", "#rule-table"):
        expect(page.locator(table)).to_be_visible()
    expect(page.locator("#kpi-total")).to_have_text("1")
    _load_axe(page)
    axe(page)

    # drill down through the table links: county → township → village
    page.locator("#region-table").get_by_role("link", name=portal_data.township.name).click()
    expect(page.locator("h1")).to_contain_text(portal_data.township.name)
    expect(page.locator('[data-alert-chart="region"] svg')).to_be_attached(timeout=20_000)
    expect(page.locator(f'#region-table tr[data-region="{portal_data.village.code}"] td').first).to_have_text(
        "1"
    )
    page.locator("#region-table").get_by_role("link", name=portal_data.village.name).click()
    expect(page.locator("h1")).to_contain_text(portal_data.village.name)
    expect(page.locator("#region-crumbs")).to_contain_text(portal_data.county.name)
    page.locator("#village-alerts").click()

    # the list, then the alert: claim, try to dismiss without a reason, dismiss with one
    page.locator(f'tr[data-alert="{alert.pk}"] a').click()
    expect(page.locator("#alert-status")).to_have_attribute("data-status", "open")
    _load_axe(page)
    axe(page)
    page.locator("#claim-form button[type=submit]").click()
    expect(page.locator("#alert-status")).to_have_attribute("data-status", "claimed")
    expect(page.locator("#alert-body .message.success")).to_be_visible()
    page.locator("#dismiss-form button[type=submit]").click()
    expect(page.locator("#dismiss-form .message.error").first).to_be_visible()
    expect(page.locator("#alert-status")).to_have_attribute("data-status", "claimed")
    page.locator("#id_dismiss-reason").fill("系统日历错误，已更正")
    page.locator("#dismiss-form button[type=submit]").click()
    expect(page.locator("#alert-status")).to_have_attribute("data-status", "dismissed")
    expect(page.locator("#alert-timeline li[data-kind=dismissed]")).to_contain_text("系统日历错误")
    alert.refresh_from_db()
    assert (alert.status, alert.dismiss_reason) == ("dismissed", "系统日历错误，已更正")
