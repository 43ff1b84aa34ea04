"""A villager files an anonymous complaint on a phone-sized screen (no JavaScript needed), follows it
with the code and secret, answers the handler's question; the township leader claims, accepts and
answers it in the workbench; the villager rates the answer. The public pages pass axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sunlit.accounts.roles import Role

PHONE_VIEWPORT = {"width": 390, "height": 844}


def _follow(page, url: str, code: str, secret: str) -> None:
    page.goto(f"{url}/complaints/follow/")
    page.fill("#id_code", code)
    page.fill("#id_secret", secret)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#complaint-status")).to_be_visible()


@pytest.mark.e2e
def test_file_follow_answer_and_rate(new_context, portal_data, make_user):
    make_user(Role.TOWNSHIP_LEADER, portal_data.township, "e2e_leader")
    villager = new_context(locale="en-US", viewport=PHONE_VIEWPORT, java_script_enabled=False).new_page()

    # file anonymously
    villager.goto(f"{portal_data.url}/complaints/new/?village={portal_data.village.code}")
    villager.check("input[name=kind][value=complaint]")
    villager.select_option("#id_category", "assets")
    villager.fill("#id_text", "村集体鱼塘承包费去向不明，请求公开账目。")
    villager.check("input[name=identity][value=anonymous]")
    villager.locator("#complaint-form button[type=submit]").click()
    code = villager.locator("#tracking-code").inner_text().strip()
    secret = villager.locator("#tracking-secret").inner_text().strip()
    assert code.startswith("T")
    assert len(secret) == 16

    # follow it with the code and the secret
    _follow(villager, portal_data.url, code, secret)
    expect(villager.locator("#complaint-status")).to_have_attribute("data-status", "received")

    # the township leader asks a question
    staff = new_context(locale="en-US", bypass_csp=False).new_page()
    staff.goto(f"{portal_data.url}/staff/login/")
    staff.fill("#id_username", "e2e_leader")
    staff.fill("#id_password", "x")
    staff.locator("main form button[type=submit]").click()
    staff.goto(f"{portal_data.url}/staff/complaints/")
    staff.get_by_role("link", name="村集体鱼塘承包费去向不明").click()
    staff.locator("#claim").click()
    staff.fill("#id_ask-text", "是哪一年的承包费？")
    staff.get_by_role("button", name="Send question").click()
    expect(staff.locator(".thread")).to_contain_text("是哪一年的承包费？")

    # the villager answers the question
    _follow(villager, portal_data.url, code, secret)
    expect(villager.locator("#thread")).to_contain_text("是哪一年的承包费？")
    villager.fill("#reply-text", "2025年的")
    villager.locator("#reply-form button[type=submit]").click()
    expect(villager.locator("#notice")).to_be_visible()

    # the leader accepts and answers
    staff.reload()
    expect(staff.locator(".thread")).to_contain_text("2025年的")
    staff.locator("#accept").click()
    staff.fill("#id_answer-text", "已在村务公开栏公布2025年鱼塘承包费收支明细。")
    staff.locator("#answer").click()
    expect(staff.locator("#complaint-status")).to_have_attribute("data-status", "answered")

    # the villager rates the answer
    _follow(villager, portal_data.url, code, secret)
    expect(villager.locator("#thread")).to_contain_text("已在村务公开栏公布")
    villager.check("#rating-satisfied")
    villager.locator("#rate-form button[type=submit]").click()
    expect(villager.locator("#complaint-status")).to_have_attribute("data-status", "closed")
    expect(villager.locator("#complaint-rating")).to_be_visible()


@pytest.mark.e2e
def test_public_complaint_pages_pass_axe(page, portal_data, axe):
    from sunlit.complaints import services

    filed = services.complaint_file(
        actor=None,
        channel="portal",
        kind="suggestion",
        category="openness",
        village=portal_data.village,
        text="建议每月在公开栏公布一次财务收支。",
        consent_publish=True,
    )
    for path in (
        f"/complaints/new/?village={portal_data.village.code}",
        "/complaints/follow/",
        "/complaints/",
    ):
        page.goto(f"{portal_data.url}{path}")
        axe(page)
    _follow(page, portal_data.url, filed.complaint.code, filed.secret)
    axe(page)
