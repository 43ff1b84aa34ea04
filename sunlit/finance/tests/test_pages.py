"""Staff and public pages and the API of finance: scoping, masking, refusals inline, bounded queries."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sunlit.core.masking import mask_name
from sunlit.finance import services
from sunlit.finance.disclosure import statement_publish
from sunlit.finance.models import Entry

from .conftest import TODAY, new_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def person_contract(tree, staff, books):
    cp = services.counterparty_get_or_create(
        actor=staff.accountant, village=tree.village, kind="person", name="周建国", id_number=new_id_number()
    )
    asset = services.asset_register(
        actor=staff.accountant,
        village=tree.village,
        data={
            "code": "A1",
            "name": "集体仓库",
            "category": "building",
            "acquired_on": "2015-01-01",
            "original_value": "100000",
            "useful_life_years": "30",
        },
    )
    start = TODAY - datetime.timedelta(days=100)
    return services.contract_sign(
        actor=staff.accountant,
        village=tree.village,
        data={
            "number": "HT-P1",
            "kind": "lease",
            "title": "集体仓库租赁（周建国）",
            "counterparty": cp,
            "asset": asset,
            "amount": "6000",
            "annual_price": "6000",
            "start_date": start,
            "end_date": start.replace(year=start.year + 1) - datetime.timedelta(days=1),
            "signed_on": start,
        },
        schedule=[(start, "6000")],
    )


def test_the_public_contract_history_masks_a_private_counterparty(client, tree, person_contract):
    response = client.get(f"/r/{tree.village.code}/contracts/{person_contract.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "周建国" not in html
    assert mask_name("周建国") in html
    assert "HT-P1" in html
    assert 'id="schedule"' in html


def test_a_contract_of_another_village_is_not_found_publicly(client, tree, person_contract):
    assert client.get(f"/r/{tree.sibling_village.code}/contracts/{person_contract.pk}/").status_code == 404
    assert client.get(f"/r/{tree.village.code}/contracts/999999/").status_code == 404
    assert client.get(f"/r/{tree.village.code}/finance/2026-99/").status_code == 404


def test_the_village_finance_page_shows_the_latest_statement(client, tree, staff, books, book, clock):
    book("income", "300.00", date=datetime.date(2026, 10, 7), summary="场地费")
    statement_publish(actor=None, village=tree.village, month=datetime.date(2026, 10, 1))
    response = client.get(f"/r/{tree.village.code}/finance/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "¥300.00" in html
    assert client.get(f"/r/{tree.village.code}/finance/2026-10/").status_code == 200


def test_the_village_page_queries_are_bounded(client, tree, staff, books, letting):
    for _i in range(3):
        letting(start=TODAY)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/r/{tree.village.code}/finance/")
    for _i in range(6):
        letting(start=TODAY)
    with CaptureQueriesContext(connection) as many:
        client.get(f"/r/{tree.village.code}/finance/")
    assert len(many) == len(few)


def test_staff_pages_are_scoped(client, tree, staff, person_contract, book):
    book("income", "10.00")
    client.force_login(staff.accountant)
    for url in (
        "/staff/finance/",
        "/staff/finance/entries/",
        "/staff/finance/assets/",
        "/staff/finance/resources/",
        "/staff/finance/reimbursements/",
        "/staff/finance/reconciliations/",
        "/staff/finance/exchange/",
        f"/staff/finance/contracts/{person_contract.pk}/",
    ):
        assert client.get(url).status_code == 200, url
    assert "周建国" in client.get(f"/staff/finance/contracts/{person_contract.pk}/").content.decode()
    client.force_login(staff.other_accountant)
    assert client.get(f"/staff/finance/contracts/{person_contract.pk}/").status_code == 404
    assert "HT-P1" not in client.get("/staff/finance/").content.decode()
    assert b"HT-P1" not in client.get("/staff/finance/export/contracts.csv").content


def test_the_entry_list_queries_are_bounded(client, staff, book):
    client.force_login(staff.accountant)
    book("income", "10.00")
    with CaptureQueriesContext(connection) as few:
        client.get("/staff/finance/entries/")
    for i in range(10):
        book("income", f"{i + 1}.00")
    with CaptureQueriesContext(connection) as many:
        client.get("/staff/finance/entries/")
    assert len(many) == len(few)


def test_a_refused_action_is_shown_inline_and_changes_nothing(client, staff, person_contract):
    client.force_login(staff.accountant)
    response = client.post(
        f"/staff/finance/contracts/{person_contract.pk}/complete/",
        {"complete-on": TODAY.isoformat(), "complete-note": ""},
    )
    assert response.status_code == 422
    person_contract.refresh_from_db()
    assert person_contract.status == "active"
    ok = client.post(
        f"/staff/finance/contracts/{person_contract.pk}/arrears/",
        {"arrears-on": TODAY.isoformat(), "arrears-note": "电话催缴"},
    )
    assert ok.status_code == 302
    assert person_contract.events.filter(kind="arrears").count() == 1


def test_booking_an_entry_from_the_page(client, tree, staff, books):
    client.force_login(staff.accountant)
    data = {
        "village": tree.village.code,
        "kind": "income",
        "category": "other_income",
        "account": books.bank.pk,
        "date": TODAY.isoformat(),
        "amount": "12.5",
        "summary": "废品变卖",
        "voucher_no": "记-3",
    }
    assert client.post("/staff/finance/entries/", data).status_code == 302
    assert Entry.objects.get().amount == 12.5
    bad = client.post("/staff/finance/entries/", {**data, "amount": "12.555"})
    assert bad.status_code == 422
    assert Entry.objects.count() == 1


def test_api_lists_are_scoped_and_public_history_is_masked(client, tree, staff, person_contract):
    client.force_login(staff.accountant)
    data = client.get("/api/v1/finance/contracts").json()
    assert [c["number"] for c in data["items"]] == ["HT-P1"]
    detail = client.get(f"/api/v1/finance/contracts/{person_contract.pk}").json()
    assert detail["arrears"] == "6000.00" or float(detail["arrears"]) == 6000.0
    client.force_login(staff.other_accountant)
    assert client.get(f"/api/v1/finance/contracts/{person_contract.pk}").status_code == 404
    assert client.get("/api/v1/finance/contracts").json()["items"] == []
    client.logout()
    public = client.get(f"/api/v1/finance/public/{tree.village.code}/contracts/{person_contract.pk}").json()
    assert public["counterparty"] == mask_name("周建国")
    assert "周建国" not in str(public)


def test_api_refusals_use_the_error_envelope(client, tree, staff, books):
    client.force_login(staff.accountant)
    response = client.post(
        "/api/v1/finance/entries",
        {
            "village": tree.village.code,
            "account_id": books.bank.pk,
            "kind": "expense",
            "category": "administration",
            "date": TODAY.isoformat(),
            "amount": "abc",
            "summary": "x",
            "voucher_no": "1",
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "amount" in response.json()["fields"]
    assert not Entry.objects.exists()


def test_the_api_contract_list_queries_are_bounded(client, staff, letting):
    client.force_login(staff.accountant)
    letting(start=TODAY)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/finance/contracts").status_code == 200
    for _i in range(5):
        letting(start=TODAY)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/finance/contracts").json()["items"]) == 6
    assert len(many) == len(few)


def test_the_import_command_rejects_a_bad_file_and_changes_nothing(tmp_path, tree, staff, books):
    from django.core.management import CommandError, call_command

    from sunlit.finance.models import Resource

    bad = tmp_path / "resources.csv"
    bad.write_text(
        "village_code,code,name,kind,area_mu\n"
        f"{tree.village.code},R1,大塘,pond,12\n"
        f"{tree.village.code},R2,林地,forest,abc\n",
        encoding="utf-8",
    )
    with pytest.raises((CommandError, SystemExit)):
        call_command("import", "finance-resources", str(bad))
    assert not Resource.objects.exists()
    good = tmp_path / "ok.csv"
    good.write_text(
        f"village_code,code,name,kind,area_mu\n{tree.village.code},R1,大塘,pond,12\n", encoding="utf-8"
    )
    call_command("import", "finance-resources", str(good))
    assert Resource.objects.get().area_mu == 12
    out = tmp_path / "out.xlsx"
    call_command("export", "finance-resources", str(out))
    assert out.read_bytes()[:2] == b"PK"


def test_the_monthly_disclosure_job_is_scheduled():
    from sunlit.core import schedule

    assert "finance.monthly_disclosure" in {job.name for job in schedule.jobs()}
