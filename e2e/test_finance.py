"""A village's finance disclosure and a contract's public history in a real browser: the monthly
statement with its major items and arrears, the masked counterparty, the payment schedule and the
events of the contract; both pages pass an axe check."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.fixture
def finance_data(portal_data):
    from sunlit.core.masking import _id_check_char
    from sunlit.finance import services
    from sunlit.finance.disclosure import previous_month, statement_publish

    village = portal_data.village
    today = timezone.localdate()
    month = previous_month(today)
    bank = services.account_open(
        actor=None,
        village=village,
        data={
            "kind": "bank",
            "name": "基本户",
            "bank": "光山农商行",
            "opening_balance": "100000",
            "opened_on": "2024-01-01",
        },
    )
    first17 = "41152219700101123"
    tenant = services.counterparty_get_or_create(
        actor=None, village=village, kind="person", name="周建国", id_number=first17 + _id_check_char(first17)
    )
    pond = services.resource_register(
        actor=None,
        village=village,
        data={"code": "ZY-1", "name": "三组大塘", "kind": "pond", "area_mu": "12"},
    )
    start = month - datetime.timedelta(days=400)
    old = services.contract_sign(
        actor=None,
        village=village,
        data={
            "number": "HT-2024-001",
            "kind": "contracting",
            "title": "三组大塘发包",
            "counterparty": tenant,
            "resource": pond,
            "amount": "9000",
            "annual_price": "9000",
            "start_date": start,
            "end_date": month - datetime.timedelta(days=36),
            "signed_on": start,
        },
        schedule=[(start, "9000")],
    )
    services.entry_record(
        actor=None,
        village=village,
        data={
            "kind": "income",
            "category": "contracting_income",
            "account": bank,
            "date": start,
            "amount": "9000",
            "summary": "三组大塘承包费",
            "voucher_no": "记-1",
            "contract": old,
            "instalment": old.instalments.get(),
        },
    )
    renew_start = old.end_date + datetime.timedelta(days=1)
    new = services.contract_renew(
        actor=None,
        contract=old,
        data={
            "number": "HT-2025-002",
            "amount": "20000",
            "annual_price": "10000",
            "start_date": renew_start,
            "end_date": renew_start.replace(year=renew_start.year + 2) - datetime.timedelta(days=1),
            "signed_on": renew_start,
        },
        schedule=[(renew_start, "10000"), (renew_start.replace(year=renew_start.year + 1), "10000")],
    )
    services.entry_record(
        actor=None,
        village=village,
        data={
            "kind": "expense",
            "category": "public_welfare",
            "account": bank,
            "date": month + datetime.timedelta(days=4),
            "amount": "2600",
            "summary": "村道路灯维修",
            "voucher_no": "记-2",
        },
    )
    statement_publish(actor=None, village=village, month=month)
    return {"village": village, "contract": new, "old": old, "month": month, "arrears": Decimal("10000.00")}


def test_a_villager_reads_the_finance_disclosure_and_a_contract_history(portal_data, finance_data, page, axe):
    village = finance_data["village"]
    page.goto(f"{portal_data.url}/r/{village.code}/finance/")
    expect(page.locator("h1")).to_contain_text(village.name)
    expect(page.locator("#st-expense")).to_contain_text("2600.00")
    expect(page.locator("#major-items")).to_contain_text("村道路灯维修")
    expect(page.locator("#arrears-items")).to_contain_text("HT-2025-002")
    expect(page.locator("#contracts")).not_to_contain_text("周建国")
    axe(page)
    page.locator("#arrears-items a", has_text="HT-2025-002").click()
    expect(page).to_have_url(f"{portal_data.url}/r/{village.code}/contracts/{finance_data['contract'].pk}/")
    expect(page.locator("#counterparty")).not_to_contain_text("周建国")
    expect(page.locator("#counterparty")).to_contain_text("周")
    expect(page.locator("#schedule")).to_contain_text("Overdue" if "Overdue" in page.content() else "逾期")
    expect(page.locator("#events")).to_contain_text(
        "9000.00"
    )  # the renewal: ¥9000.00 → ¥10000.00 on the old one
    expect(page.locator("#arrears")).to_contain_text("10000.00")
    expect(page.locator("main")).to_contain_text("HT-2024-001")
    axe(page)
    assert "周建国" not in page.content()
