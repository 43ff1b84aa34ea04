"""A discipline officer in a real browser turns a verified alert into a lead, records a disposition and
a finding, sees the close refused until the rectification is evidenced, then closes it; the public
naming page shows the masked notice. axe-clean staff and public pages."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sunlit.accounts.roles import Role

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"


def _load_axe(page) -> None:
    """Load axe under the enforced CSP: evaluated over the DevTools protocol, not as a page script."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")


@pytest.fixture
def verified_alert(portal_data):
    from sunlit.supervision.models import Alert

    now = timezone.now()
    return Alert.objects.create(
        key="E2E:1",
        rule_code="CONFLICT_KIN_BENEFIT",
        family="conflict",
        severity="red",
        status="verified",
        village=portal_data.village,
        subject="cases.case:1",
        title="低保发放给村会计亲属",
        explanation="村会计王小明之弟享受低保，评审时未回避。",
        first_seen_at=now,
        last_seen_at=now,
        resolved_at=now,
        handling_region=portal_data.township,
    )


@pytest.fixture
def officer(new_context, portal_data, make_user):
    """A logged-in township discipline officer; the site's CSP is enforced (no bypass)."""
    make_user(Role.TOWNSHIP_DISCIPLINE, portal_data.township, "e2e_zhenjiwei")
    page = new_context(bypass_csp=False, locale="en-US", viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    # A refused form post answers 422 with the page and the message (plain forms, no htmx); Chromium logs
    # every 4xx document as a console error, so exactly that one is expected. Anything else fails.
    page.on(
        "console",
        lambda msg: (
            errors.append(f"console: {msg.text}")
            if msg.type == "error" and "status of 422" not in msg.text
            else None
        ),
    )
    page.goto(f"{portal_data.url}/staff/login/")
    page.fill("#id_username", "e2e_zhenjiwei")
    page.fill("#id_password", "x")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{portal_data.url}/staff/")
    yield page
    assert not errors, "script errors on a staff page:\n" + "\n".join(errors)


@pytest.mark.e2e
def test_alert_to_lead_finding_and_close_after_rectification(officer, verified_alert, portal_data, axe, page):
    from sunlit.accountability.models import Lead

    staff = officer
    staff.get_by_role("link", name="Leads", exact=True).first.click()
    staff.locator("nav.subnav").get_by_role("link", name="Open a lead").click()
    # the verified alert is offered; following it fills the form
    staff.locator("#candidate-alerts").get_by_role("link", name=verified_alert.title).click()
    expect(staff.locator("#id_title")).to_have_value(verified_alert.title)
    staff.locator("#lead-form button[type=submit]").click()
    expect(staff.locator("#lead-status")).to_have_attribute("data-status", "registered")
    expect(staff.locator("#lead-alert")).to_have_text(verified_alert.title)
    _load_axe(staff)
    axe(staff)

    # disposition: a filed case (立案审查)
    staff.select_option("#id_dispose-disposition", "file_case")
    staff.fill("#id_dispose-note", "线索具体，立案审查")
    staff.locator("#dispose-form button[type=submit]").click()
    expect(staff.locator("#lead-status")).to_have_attribute("data-status", "checking")

    # a finding in form 2 with a measure of form 1 is refused, then recorded with a party warning
    staff.fill("#id_finding-subject_name", "王小明")
    staff.fill("#id_finding-subject_post", "村会计")
    staff.select_option("#id_finding-form", "2")
    staff.select_option("#id_finding-measure", "reminder_talk")
    staff.fill("#id_finding-facts", "为其弟违规办理低保，评审时未回避")
    staff.locator("#finding-form button[type=submit]").click()
    expect(staff.locator("#finding-form .message.error").first).to_be_visible()
    expect(staff.locator("#lead-status")).to_have_attribute("data-status", "checking")
    staff.select_option("#id_finding-measure", "party_warning")
    staff.locator("#finding-form button[type=submit]").click()
    expect(staff.locator("#lead-status")).to_have_attribute("data-status", "found")
    expect(staff.locator("#finding-table")).to_contain_text("王小明")

    # carried out, named in public
    staff.locator(".execute-form input[name$=decision_ref]").fill("光纪发〔2026〕8号")
    staff.locator(".execute-form button[type=submit]").click()
    staff.fill("#id_notice-title", "关于王小明违规办理低保问题的通报")
    staff.fill(
        "#id_notice-body", "十里村村会计王小明（电话13812345678）为其弟违规办理低保，受到党内警告处分。"
    )
    staff.locator("#notice-form button[type=submit]").click()
    expect(staff.locator("#notice-list")).to_contain_text("王**")
    expect(staff.locator("#notice-list")).not_to_contain_text("13812345678")

    # a rectification task; the close is refused while it has no evidence, and nothing changes
    staff.fill("#id_task-description", "追回违规发放的低保金")
    staff.fill("#id_task-responsible_unit", "十里镇民政所")
    staff.fill("#id_task-working_days", "10")
    staff.locator("#task-form button[type=submit]").click()
    expect(staff.locator("#close-problems li[data-code=not_rectified]")).to_be_visible()
    staff.fill("#id_close-note", "办结")
    staff.locator("#close-form button[type=submit]").click()
    expect(staff.locator("#lead-refusal")).to_contain_text("four no-lets")
    expect(staff.locator("#lead-status")).to_have_attribute("data-status", "found")
    assert Lead.objects.get().status == "found"

    # evidence uploaded, then the close goes through
    evidence = b"%PDF-1.4\n% " + hashlib.sha256(b"refund").hexdigest().encode() + b"\n%%EOF\n"
    staff.locator(".complete-form textarea").fill("低保金已全部追回")
    staff.locator(".complete-form input[type=file]").set_input_files(
        files=[{"name": "追回凭证.pdf", "mimeType": "application/pdf", "buffer": evidence}]
    )
    staff.locator(".complete-form button[type=submit]").click()
    expect(staff.locator("#close-ready")).to_be_visible()
    staff.fill("#id_close-note", "查清问题、处理到位、通报曝光、整改完成")
    staff.locator("#close-form button[type=submit]").click()
    expect(staff.locator("#lead-status")).to_have_attribute("data-status", "closed")
    _load_axe(staff)
    axe(staff)

    # the public naming page of the county: masked name, no phone
    page.goto(f"{portal_data.url}/r/{portal_data.county.code}/naming/")
    expect(page.locator("#naming-list")).to_contain_text("王**")
    expect(page.locator("#naming-list")).not_to_contain_text("王小明")
    axe(page)
