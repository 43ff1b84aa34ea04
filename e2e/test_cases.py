"""A 低保 case (VS-01) walked in a real browser: staff steps on the workbench, a villager's objection on
the public notice page, its answer, the end of the notice period, county approval, public tracking."""

from __future__ import annotations

import datetime
import hashlib
import re

import pytest
from playwright.sync_api import expect

from sunlit.accounts.roles import Role

NO_HORIZONTAL_SCROLL = "document.scrollingElement.scrollWidth <= window.innerWidth + 1"


def _pdf(label: str) -> dict:
    body = b"%PDF-1.4\n% " + hashlib.sha256(label.encode()).hexdigest().encode() + b"\n%%EOF\n"
    return {"name": f"{label}.pdf", "mimeType": "application/pdf", "buffer": body}


@pytest.fixture
def cadres(portal_data, make_user):
    """One account per role the 低保 flow needs, each with the password ``x``."""
    return {
        "committee": make_user(Role.VILLAGE_COMMITTEE, portal_data.village, "e2e_committee"),
        "chair": make_user(Role.VILLAGE_CHAIR, portal_data.village, "e2e_chair"),
        "reviewer": make_user(Role.TOWNSHIP_REVIEWER, portal_data.township, "e2e_reviewer"),
        "county": make_user(Role.COUNTY_DEPARTMENT, portal_data.county, "e2e_county"),
    }


@pytest.fixture
def staff_page(new_context, portal_data):
    """``staff_page(username)``: a logged-in page in its own context. The site's CSP is enforced here
    (no bypass): htmx, Mermaid and app.js must work under it, and any violation is a console error."""
    pages = []

    def open_as(username: str):
        page = new_context(
            bypass_csp=False, locale="en-US", viewport={"width": 1280, "height": 900}
        ).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
        page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
        page.js_errors = errors
        page.goto(f"{portal_data.url}/staff/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", "x")
        page.locator("main form button[type=submit]").click()
        expect(page).to_have_url(f"{portal_data.url}/staff/")
        pages.append(page)
        return page

    yield open_as
    for page in pages:
        assert not page.js_errors, "script errors on a staff page:\n" + "\n".join(page.js_errors)


def _do_step(page, case_url: str, step: str, *, inputs: dict | None = None, tally: dict | None = None):
    """Upload every missing document of the active step, fill its inputs and complete it (htmx)."""
    page.goto(case_url)
    panel = page.locator("#action-panel")
    expect(panel).to_have_attribute("data-step", step)
    while panel.locator("li.doc-missing").count():
        item = panel.locator("li.doc-missing").first
        name = item.get_attribute("data-document")
        item.locator("input[type=file]").set_input_files(_pdf(f"{step}-{name}"))
        item.locator("button[type=submit]").click()
        expect(page.locator(f'#action-panel li[data-document="{name}"]')).to_have_class("doc-uploaded")
    for name, value in (inputs or {}).items():
        page.locator(f"#id_var_{name}").fill(value)
    for name, value in (tally or {}).items():
        page.locator(f"#id_{name}").fill(str(value))
    page.locator("#complete-form button[value=complete]").click()
    expect(page.locator("#case-body .message.success")).to_be_visible()
    expect(page.locator(f"#step-{step}")).to_have_attribute("data-state", "done")


@pytest.mark.e2e
def test_dibao_case_from_application_to_approval_with_an_objection(
    portal_data, cadres, staff_page, new_context, axe
):
    from django.utils import timezone

    from sunlit.cases.models import Case, Notice, StepInstance
    from sunlit.cases.vocab import StepStatus

    url = portal_data.url

    # --- the village committee registers the application on the applicant's behalf
    committee = staff_page("e2e_committee")
    committee.goto(f"{url}/staff/cases/start/")
    committee.locator("#id_item").select_option("VS-01")
    expect(committee.locator("#id_title")).to_be_visible()  # htmx brought the item's fields
    committee.fill("#id_title", "最低生活保障申请")
    committee.fill("#id_party_name", "张三丰")
    committee.locator("#start-form button[type=submit]").last.click()
    expect(committee.locator("#tracking-no")).to_be_visible()
    tracking_no = committee.locator("#tracking-no").inner_text()
    case_url = committee.url
    assert re.fullmatch(rf"{url}/staff/cases/\d+/", case_url)
    expect(committee.locator("pre.mermaid svg")).to_have_count(1, timeout=20_000)  # drawn under the CSP

    _do_step(committee, case_url, "apply")
    on_behalf = committee.locator('#timeline li[data-step="apply"] .badge')
    expect(on_behalf).to_be_visible()
    _do_step(committee, case_url, "accept")

    # --- township survey, the villager representatives' vote, township review
    reviewer = staff_page("e2e_reviewer")
    _do_step(reviewer, case_url, "survey")
    chair = staff_page("e2e_chair")
    _do_step(
        chair,
        case_url,
        "review_meeting",
        tally={"expected": 30, "present": 24, "votes_for": 20, "votes_against": 3, "abstentions": 1},
    )
    _do_step(reviewer, case_url, "township_review", inputs={"township_result": "pass"})

    # --- the notice is public; a villager objects anonymously on its page
    chair.goto(case_url)
    expect(chair.locator("#action-panel")).to_have_attribute("data-step", "notice")
    notice_href = chair.locator("#case-body a[href^='/notices/']").first.get_attribute("href")
    villager = new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    villager.goto(f"{url}{notice_href}")
    expect(villager.locator("#objection-form")).to_be_visible()
    expect(villager.locator("#countdown strong")).to_contain_text(re.compile(r"\d"))
    assert villager.evaluate(NO_HORIZONTAL_SCROLL), "the notice page is wider than the phone"
    axe(villager)
    villager.fill("#id_text", "申请人家中有一辆小汽车，未申报。")
    villager.locator("#objection-form button[type=submit]").click()
    receipt = villager.locator("#receipt-code")
    expect(receipt).to_be_visible()
    receipt_code = receipt.inner_text()
    assert re.fullmatch(r"Y[0-9A-Z]{11}", receipt_code)
    axe(villager)

    # the open objection blocks the step; the reviewer answers it from the case page
    reviewer.goto(case_url)
    article = reviewer.locator(".objection", has_text=receipt_code)
    expect(article).to_have_attribute("data-status", "open")
    article.locator("textarea").fill("经核实，该车辆已于2025年过户他人。")
    article.locator("button[type=submit]").click()
    expect(reviewer.locator(".objection", has_text=receipt_code)).to_have_attribute(
        "data-status", "dismissed"
    )

    # the villager follows the objection with the receipt code
    villager.goto(f"{url}/objections/?receipt={receipt_code}")
    expect(villager.locator("#objection-status")).to_have_attribute("data-status", "dismissed")
    expect(villager.locator("#objection-answer")).to_contain_text("已于2025年过户")

    # The notice period (7 working days) cannot be waited out in a browser test. Simulate its end on
    # the server side by moving the notice's window into the past: StepInstance.not_before and
    # Notice.closes_at are plain columns that the engine compares with the clock; the ledger entry of
    # the notice keeps the original dates and is not touched.
    case = Case.objects.get(tracking_no=tracking_no)
    ended = timezone.now() - datetime.timedelta(minutes=1)
    StepInstance.objects.filter(case=case, status=StepStatus.ACTIVE, step__key="notice").update(
        not_before=ended
    )
    Notice.objects.filter(case=case).update(closes_at=ended)

    villager.goto(f"{url}{notice_href}")
    expect(villager.locator("#notice-closed")).to_be_visible()
    assert villager.locator("#objection-form").count() == 0

    _do_step(chair, case_url, "notice")

    # --- county approval
    county = staff_page("e2e_county")
    _do_step(county, case_url, "county_review", inputs={"county_result": "pass"})
    expect(county.locator("#action-panel")).to_have_attribute("data-step", "approved_notice")
    expect(county.locator("#step-county_review")).to_have_attribute("data-state", "done")
    expect(county.locator("pre.mermaid svg")).to_have_count(1, timeout=20_000)  # re-drawn after the swap

    # --- the applicant tracks the application on the portal, starting from the home page
    villager.goto(f"{url}/")
    villager.locator("main a[href='/track/']").first.click()
    villager.fill("#id_no", tracking_no)
    villager.locator("main form button[type=submit]").click()
    result = villager.locator("#track-result")
    expect(result).to_be_visible()
    expect(villager.locator("#case-status")).to_have_attribute("data-status", "active")
    expect(villager.locator("#current-step")).to_contain_text("审核确认结果公布")
    expect(villager.locator("#completed-steps li")).to_have_count(7)
    expect(villager.locator("#parties")).to_contain_text("张**")
    assert "张三丰" not in villager.content()
    assert villager.evaluate(NO_HORIZONTAL_SCROLL), "the tracking page is wider than the phone"
    axe(villager)
