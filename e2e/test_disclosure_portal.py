"""Sunshine village affairs in a real browser: find the village from the city map and from the list,
read a notice published from a case and object to it, print its notice sheet (PDF) and read its text,
follow a correction's public history, and check the village page with axe."""

from __future__ import annotations

import datetime
import hashlib
import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from sunlit.accounts.roles import Role
from sunlit.portal.tests.pdftext import pdf_text

CITY_CODE = "411500000000"  # 信阳市
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_number(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


ID_NUMBER = _id_number("41152219580203441")
PHONE = "13698765432"


def _upload_all(case, actor) -> None:
    from sunlit.cases.services import document_upload

    case.refresh_from_db()
    for name in case.current.step.documents:
        label = f"{case.pk}-{case.current.sequence}-{name}"
        document_upload(
            actor=actor,
            case=case,
            name=name,
            data=b"%PDF-1.4\n% " + hashlib.sha256(label.encode()).hexdigest().encode() + b"\n%%EOF\n",
            filename=f"{name}.pdf",
        )


@pytest.fixture
def disclosures(portal_data, make_user):
    """A 低保 case at its public notice (published as a disclosure, as the case hook does), and a
    finance disclosure corrected once."""
    from sunlit.cases import engine, services
    from sunlit.cases.models import Notice
    from sunlit.core.checkpoints import checkpoint_take
    from sunlit.disclosure.automatic import publish_notice
    from sunlit.disclosure.services import contact_set, disclosure_correct, disclosure_publish

    committee = make_user(Role.VILLAGE_COMMITTEE, portal_data.village, "d_committee")
    chair = make_user(Role.VILLAGE_CHAIR, portal_data.village, "d_chair")
    reviewer = make_user(Role.TOWNSHIP_REVIEWER, portal_data.township, "d_reviewer")
    case = services.case_start(
        actor=committee,
        village=portal_data.village,
        item_code="VS-01",
        title="王秀英 最低生活保障申请",
        parties=[{"role": "applicant", "name": "王秀英"}],
    )
    for actor in (committee, committee, reviewer):
        _upload_all(case, actor)
        case.refresh_from_db()
        services.step_complete(actor=actor, case=case)
    _upload_all(case, chair)
    case.refresh_from_db()
    services.step_complete(
        actor=chair,
        case=case,
        vote=engine.Tally(expected=30, present=21, votes_for=14, votes_against=7, abstentions=0),
    )
    _upload_all(case, reviewer)
    case.refresh_from_db()
    services.step_complete(actor=reviewer, case=case, inputs={"township_result": "pass"})
    notice = Notice.objects.get(case=case)
    notice_item = publish_notice(notice.pk)

    finance = disclosure_publish(
        actor=chair,
        village=portal_data.village,
        module="assets",
        title="十里村2026年10月财务收支公开",
        body=f"本月收入12,400元，支出9,800元。经办人联系电话{PHONE}，身份证{ID_NUMBER}。",
        period_start=datetime.date(2026, 11, 1),
        period_end=datetime.date(2026, 11, 10),
    )
    disclosure_correct(
        actor=chair,
        disclosure=finance,
        title="十里村2026年10月财务收支公开",
        body="本月收入12,400元，支出9,600元。",
        reason="支出金额录入有误",
        period_start=datetime.date(2026, 11, 1),
        period_end=datetime.date(2026, 11, 10),
    )
    contact_set(actor=chair, village=portal_data.village, chair="陈监督", office_phone="0376-8123456")
    checkpoint_take()
    return SimpleNamespace(notice=notice, notice_item=notice_item, finance=finance)


@pytest.mark.e2e
def test_villager_finds_the_village_on_the_map_and_objects_to_a_notice(portal_data, disclosures, page):
    # given the city page with its county map
    page.goto(f"{portal_data.url}/r/{CITY_CODE}/")
    label = page.locator("#region-map svg text", has_text="光山县")
    expect(label).to_be_visible(timeout=60_000)  # ECharts parses 1 MB first: slow on a busy machine

    # when the villager clicks her county on the map, then her township and village
    label.click()
    expect(page.locator("h1")).to_contain_text("光山县")
    page.get_by_role("main").get_by_role("link", name="十里镇", exact=True).click()
    page.get_by_role("main").get_by_role("link", name="十里村", exact=True).click()

    # then the village page shows the open notice with its countdown, the nine modules and the contact
    expect(page.locator("h1")).to_have_text("十里村")
    notices = page.locator("#open-notices")
    expect(notices.get_by_role("link", name=disclosures.notice.title)).to_be_visible()
    expect(notices.locator(".countdown").first).to_contain_text(re.compile(r"\d"))
    expect(page.locator(".module-grid article")).to_have_count(9)
    expect(page.get_by_text("陈监督")).to_be_visible()

    # the notice's disclosure, reached from its module, links to the objection form
    page.locator(
        ".module-grid article", has=page.locator(f"a[href$='/d/{disclosures.notice_item.module}/']")
    ).get_by_role("link", name=disclosures.notice.title).click()
    expect(page.locator("h1")).to_have_text(disclosures.notice.title)
    page.locator("#notice-link").click()
    expect(page.locator("#objection-form")).to_be_visible()
    page.fill("#id_text", "申请人家中有两辆货车，不符合低保条件。")
    page.locator("#objection-form button[type=submit]").click()
    receipt = page.locator("#receipt-code")
    expect(receipt).to_be_visible()
    assert re.fullmatch(r"Y[0-9A-Z]{11}", receipt.inner_text())


@pytest.mark.e2e
def test_villager_finds_the_village_from_the_list_prints_and_reads_the_history(
    portal_data, disclosures, page
):
    # given the city page: the list alternative of the map
    page.goto(f"{portal_data.url}/r/{CITY_CODE}/")
    main = page.get_by_role("main")
    for name in ["光山县", "十里镇", "十里村"]:
        main.locator("ul.region-list").get_by_role("link", name=name, exact=True).click()
        expect(page.locator("h1")).to_contain_text(name)

    # when she opens the finance module and the corrected item
    page.locator(".module-grid").get_by_role("link", name=re.compile("三资|Assets")).first.click()
    page.get_by_role("link", name="十里村2026年10月财务收支公开").click()
    expect(page.locator("#body")).to_contain_text("9,600")

    # then the printable notice carries the title and the village, and no personal data
    href = page.locator("#pdf-link").get_attribute("href")
    response = page.request.get(f"{portal_data.url}{href}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.body())
    assert "十里村2026年10月财务收支公开" in text
    assert "十里村" in text
    assert PHONE not in text
    assert ID_NUMBER not in text

    # and the history shows the correction's reason; version 1 is readable, masked
    history = page.locator("#history")
    expect(history).to_contain_text("支出金额录入有误")
    history.get_by_role("link", name=re.compile("1")).first.click()
    expect(page.locator("#old-version")).to_be_visible()
    expect(page.locator("#body")).to_contain_text("9,800")
    body = page.locator("#body").inner_text()
    assert PHONE not in body
    assert ID_NUMBER not in body
    assert "136****5432" in body


@pytest.mark.e2e
def test_village_and_disclosure_pages_have_no_axe_violations(portal_data, disclosures, page, axe):
    page.goto(f"{portal_data.url}/r/{portal_data.village.code}/")
    expect(page.locator(".module-grid")).to_be_visible()
    axe(page)
    page.goto(f"{portal_data.url}/d/{disclosures.finance.code}/")
    axe(page)
    page.goto(f"{portal_data.url}/r/{portal_data.village.code}/d/assets/")
    axe(page)
    page.goto(f"{portal_data.url}/search/?q=财务收支")
    expect(page.locator("#results")).to_contain_text("十里村2026年10月财务收支公开")
    axe(page)
    page.goto(f"{portal_data.url}/my-funds/")
    axe(page)
    page.goto(f"{portal_data.url}/r/{portal_data.village.code}/?text=large")
    axe(page)
