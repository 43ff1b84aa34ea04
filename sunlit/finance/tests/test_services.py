"""Services of finance: contracts and their events, entries, reconciliation, depreciation, the
monthly statement and its masking, "我的资金", import and export."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from sunlit.core.errors import NotFound, PermissionDenied
from sunlit.core.masking import mask_name
from sunlit.core.models import AuditEvent
from sunlit.core.tabular import ImportRejected
from sunlit.finance import exchange, services
from sunlit.finance.depreciation import depreciation
from sunlit.finance.disclosure import statement_publish, statements_publish_due
from sunlit.finance.errors import FinanceConflict, FinanceErrorCode, FinanceRefused
from sunlit.finance.models import Asset, Contract, Entry, MonthlyStatement, Reconciliation
from sunlit.finance.selectors import contract_history, payments_for_person

from .conftest import NOW, TODAY, new_id_number

pytestmark = pytest.mark.django_db


def test_straight_line_depreciation_starts_the_month_after_and_stops_at_salvage():
    kwargs = {
        "original_value": Decimal("120000"),
        "salvage_value": Decimal("6000"),
        "useful_life_years": 10,
        "acquired_on": datetime.date(2020, 3, 15),
    }
    assert depreciation(**kwargs, on=datetime.date(2020, 3, 31)).accumulated == Decimal("0.00")
    april = depreciation(**kwargs, on=datetime.date(2020, 4, 1))
    assert april.months == 1
    assert april.monthly == Decimal("950.00")  # 114,000 / 120
    assert depreciation(**kwargs, on=datetime.date(2030, 3, 1)).accumulated == Decimal("114000.00")
    end = depreciation(**kwargs, on=datetime.date(2045, 1, 1))
    assert end.accumulated == Decimal("114000.00")
    assert end.net_value == Decimal("6000.00")
    # a monthly charge that does not divide evenly never drifts: 1000 / 36 months
    odd = {
        "original_value": Decimal("1000"),
        "salvage_value": Decimal("0"),
        "useful_life_years": 3,
        "acquired_on": datetime.date(2024, 1, 1),
    }
    assert depreciation(**odd, on=datetime.date(2024, 2, 1)).accumulated == Decimal("27.78")
    assert depreciation(**odd, on=datetime.date(2027, 1, 1)).accumulated == Decimal("1000.00")


def test_a_contract_needs_a_schedule_that_adds_up_and_nothing_is_written_otherwise(tree, staff, books):
    data = {
        "number": "HT-9",
        "kind": "services",
        "title": "保洁服务",
        "counterparty": books.shop,
        "amount": "12000",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "signed_on": "2025-12-20",
    }
    with pytest.raises(FinanceRefused) as refused:
        services.contract_sign(
            actor=staff.accountant,
            village=tree.village,
            data=data,
            schedule=[("2026-06-30", "6000"), ("2026-12-31", "5999.99")],
        )
    assert "schedule" in refused.value.fields
    assert not Contract.objects.exists()
    contract = services.contract_sign(
        actor=staff.accountant,
        village=tree.village,
        data=data,
        schedule=[("2026-06-30", "6000"), ("2026-12-31", "6000")],
    )
    assert contract.direction == "out"
    assert contract.instalments.count() == 2
    assert AuditEvent.objects.filter(kind="finance.contract.signed").count() == 1


def test_money_is_never_a_float_and_bad_amounts_are_refused(tree, staff, books, book):
    for bad in ("12.345", "abc", "-5", "0", "1e3", "NaN"):
        with pytest.raises(FinanceRefused):
            book("expense", bad)
    entry = book("income", "1,234.50")
    assert entry.amount == Decimal("1234.50")


def test_a_contract_document_is_hashed_as_uploaded(tree, staff, books):
    from .conftest import pdf_bytes

    data = {
        "number": "HT-10",
        "kind": "procurement",
        "title": "采购",
        "counterparty": books.shop,
        "amount": "3000",
        "start_date": "2026-01-01",
        "end_date": "2026-01-31",
        "signed_on": "2026-01-01",
    }
    contract = services.contract_sign(
        actor=staff.accountant,
        village=tree.village,
        data=data,
        schedule=[("2026-01-31", "3000")],
        document=pdf_bytes("合同"),
    )
    import hashlib

    assert contract.document_sha256 == hashlib.sha256(pdf_bytes("合同")).hexdigest()


def test_price_change_rescales_unpaid_instalments_and_termination_cancels_later_ones(letting, staff, book):
    contract = letting(start=TODAY - datetime.timedelta(days=10), years=3, price="10000.00")
    first = contract.instalments.get(sequence=1)
    book(
        "income",
        "10000.00",
        category="contracting_income",
        contract=contract,
        instalment=first,
        date=first.due_date,
    )
    changed = services.contract_change_price(
        actor=staff.accountant,
        contract=contract,
        new_annual_price="12000",
        on=TODAY,
        note="村民代表会议决议调价",
    )
    assert [i.amount for i in changed.instalments.order_by("sequence")] == [
        Decimal("10000.00"),
        Decimal("12000.00"),
        Decimal("12000.00"),
    ]
    assert changed.amount == Decimal("34000.00")
    ended = services.contract_terminate(
        actor=staff.accountant, contract=changed, on=TODAY, reason="承包方退出"
    )
    assert ended.status == "terminated"
    assert list(ended.instalments.filter(cancelled=True).values_list("sequence", flat=True)) == [2, 3]
    with pytest.raises(FinanceRefused) as refused:
        services.contract_change_price(
            actor=staff.accountant, contract=ended, new_annual_price="1", on=TODAY, note="x"
        )
    assert refused.value.code == FinanceErrorCode.CONTRACT_CLOSED
    history = contract_history(ended, today=TODAY)
    assert [e.kind for e in history.events] == ["signed", "price_changed", "terminated"]
    assert history.paid == Decimal("10000.00")
    assert history.arrears == Decimal("0.00")


def test_renewal_keeps_the_chain_and_marks_the_old_contract(letting):
    old = letting(start=TODAY - datetime.timedelta(days=800), years=2)
    new = letting(start=old.end_date + datetime.timedelta(days=1), years=3, price="11000", previous=old)
    old.refresh_from_db()
    assert old.status == "renewed"
    assert [c.pk for c in contract_history(new).chain] == [old.pk]
    renewed = old.events.get(kind="renewed")
    assert (renewed.old_price, renewed.new_price) == (Decimal("10000.00"), Decimal("11000.00"))


def test_an_instalment_cannot_be_overpaid(letting, book):
    contract = letting(start=TODAY, years=1)
    inst = contract.instalments.get()
    with pytest.raises(FinanceRefused):
        book("income", "10000.01", category="contracting_income", contract=contract, instalment=inst)
    assert not Entry.objects.exists()


def test_an_expense_cannot_overdraw_the_account(book, books):
    with pytest.raises(FinanceRefused) as refused:
        book("expense", "1000.01", account=books.cash)
    assert refused.value.code == FinanceErrorCode.INSUFFICIENT_FUNDS


def test_reconciliation_needs_an_ended_month_and_an_explained_difference(tree, staff, books, book):
    book("income", "500.00", date=datetime.date(2026, 10, 15))
    with pytest.raises(FinanceRefused) as refused:
        services.reconciliation_record(
            actor=staff.accountant, account=books.bank, data={"month": "2026-11", "statement_balance": "0"}
        )
    assert refused.value.code == FinanceErrorCode.MONTH_NOT_OVER
    with pytest.raises(FinanceRefused) as refused:
        services.reconciliation_record(
            actor=staff.accountant,
            account=books.bank,
            data={"month": "2026-10", "statement_balance": "200480.00"},
        )
    assert refused.value.code == FinanceErrorCode.EXPLANATION_REQUIRED
    assert not Reconciliation.objects.exists()
    row = services.reconciliation_record(
        actor=staff.accountant,
        account=books.bank,
        data={
            "month": "2026-10",
            "statement_balance": "200480.00",
            "explanation": "银行扣收手续费 20 元未入账",
        },
    )
    assert row.book_balance == Decimal("200500.00")
    assert row.difference == Decimal("-20.00")
    exact = services.reconciliation_record(
        actor=staff.accountant,
        account=books.bank,
        data={"month": "2026-09", "statement_balance": "200000.00"},
    )
    assert exact.difference == 0
    with pytest.raises(FinanceConflict):  # one per account and month
        services.reconciliation_record(
            actor=staff.accountant,
            account=books.bank,
            data={"month": "2026-09", "statement_balance": "200000.00"},
        )


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("accountant", None),
        ("clerk", None),
        ("secretary", PermissionDenied),
        ("supervisor", PermissionDenied),
        ("reviewer", PermissionDenied),
        ("other_accountant", NotFound),
        ("nobody", NotFound),
    ],
)
def test_who_may_book_an_entry(tree, staff, books, who, expected):
    actor = getattr(staff, who)
    data = {
        "kind": "income",
        "category": "other_income",
        "account": books.bank,
        "date": TODAY,
        "amount": "10",
        "summary": "x",
        "voucher_no": "1",
    }
    if expected is None:
        assert services.entry_record(actor=actor, village=tree.village, data=data).pk
    else:
        with pytest.raises(expected):
            services.entry_record(actor=actor, village=tree.village, data=data)
        assert not Entry.objects.exists()


def test_the_monthly_statement_masks_private_persons_and_lists_major_items_and_arrears(
    tree, staff, books, book, letting, clock
):
    person_cp = services.counterparty_get_or_create(
        actor=staff.accountant, village=tree.village, kind="person", name="王大明", id_number=new_id_number()
    )
    month = datetime.date(2026, 10, 1)
    book(
        "expense",
        "2000.00",
        counterparty=person_cp,
        category="distribution",
        date=datetime.date(2026, 10, 5),
        summary="土地流转租金分配 王大明 13812345678",
    )
    book("expense", "1999.99", counterparty=books.shop, date=datetime.date(2026, 10, 6))
    book("income", "300.00", date=datetime.date(2026, 10, 7))
    book("income", "999.00", date=datetime.date(2026, 11, 2))  # next month: not in it
    owed = letting(start=datetime.date(2026, 9, 1), years=1, price="4000.00")
    with pytest.raises(FinanceRefused):
        statement_publish(actor=None, village=tree.village, month=datetime.date(2026, 11, 1))
    statement = statement_publish(actor=None, village=tree.village, month=month)
    body = statement.body
    assert (body["income"], body["expense"]) == ("300.00", "3999.99")
    assert [m["amount"] for m in body["major"]] == ["2000.00"]
    assert body["major"][0]["counterparty"] == mask_name("王大明") != "王大明"
    assert "13812345678" not in str(body)
    assert "王大明" not in str(body)
    assert body["arrears_items"][0]["contract"] == owed.number
    assert statement.arrears == Decimal("4000.00")
    assert statement_publish(actor=None, village=tree.village, month=month).pk == statement.pk  # once


def test_the_periodic_job_publishes_last_month_once_per_village(tree, book, clock):
    book("income", "10.00", date=datetime.date(2026, 10, 3))
    assert statements_publish_due(now=NOW) == 1
    assert statements_publish_due(now=NOW) == 0
    assert MonthlyStatement.objects.get().month == datetime.date(2026, 10, 1)


def test_the_statement_is_published_in_the_disclosure_app_when_it_is_there(tree, book, clock):
    pytest.importorskip("sunlit.disclosure.services")
    from sunlit.disclosure.models import Disclosure

    book("income", "10.00", date=datetime.date(2026, 10, 3))
    statement = statement_publish(actor=None, village=tree.village, month=datetime.date(2026, 10, 1))
    disclosure = Disclosure.objects.get(village=tree.village)
    assert disclosure.module == "assets"
    assert statement.disclosure_ref.endswith(f":{disclosure.pk}")


def test_payments_for_person_lists_what_the_village_paid_them(tree, staff, books, book):
    from sunlit.people.services import PersonData, person_create

    person = person_create(
        actor=None, data=PersonData(village=tree.village, name="刘桂兰", id_number=new_id_number())
    )
    other = person_create(
        actor=None, data=PersonData(village=tree.village, name="刘强", id_number=new_id_number())
    )
    cp = services.counterparty_get_or_create(
        actor=staff.accountant, village=tree.village, kind="person", name="刘桂兰", person=person
    )
    book("expense", "600.00", counterparty=cp, category="distribution", summary="土地流转租金分配")
    book("income", "50.00", counterparty=cp)  # money in is not hers
    rows = payments_for_person(person=person)
    assert [(r.purpose, r.amount) for r in rows] == [("土地流转租金分配", Decimal("600.00"))]
    assert rows[0].date == TODAY - datetime.timedelta(days=3)
    assert tree.village.name in rows[0].source
    assert payments_for_person(person=other) == []


def test_a_person_counterparty_is_matched_on_the_id_hash_not_the_name(tree, staff):
    number = new_id_number()
    a = services.counterparty_get_or_create(
        actor=staff.accountant, village=tree.village, kind="person", name="张三", id_number=number
    )
    b = services.counterparty_get_or_create(
        actor=staff.accountant, village=tree.village, kind="person", name="张叁", id_number=number
    )
    assert a.pk == b.pk
    assert number not in a.id_masked


def test_import_is_all_or_nothing_with_row_errors(tree, staff, books):
    csv = (
        "village_code,code,name,category,acquired_on,original_value,useful_life_years\n"
        f"{tree.village.code},A1,仓库,building,2020-01-01,100000,30\n"
        f"{tree.village.code},A2,设备,equipment,2020-13-01,5000,5\n"
        f"{tree.far_county_village.code},A3,设备,equipment,2020-01-01,5000,5\n"
        "999999999999,A4,设备,equipment,2020-01-01,5000,5\n"
    ).encode()
    with pytest.raises(ImportRejected) as rejected:
        exchange.finance_import(actor=staff.accountant, kind="assets", source=csv, filename="a.csv")
    assert [e.line for e in rejected.value.errors] == [3, 4, 5]
    assert not Asset.objects.exists()
    good = b"\n".join(csv.split(b"\n")[:2]) + b"\n"
    assert exchange.finance_import(actor=staff.accountant, kind="assets", source=good, filename="a.csv") == 1


def test_contracts_and_entries_round_trip_through_export_and_import(tree, staff, books, letting, book):
    contract = letting(start=TODAY - datetime.timedelta(days=5), years=2)
    book(
        "income",
        "10000.00",
        category="contracting_income",
        contract=contract,
        instalment=contract.instalments.get(sequence=1),
    )
    content, count = exchange.finance_export(kind="contracts", fmt="csv", queryset=Contract.objects.all())
    assert count == 1
    text = content.decode("utf-8-sig")
    assert "HT-001" in text
    assert f"{contract.start_date.isoformat()}:10000.00" in text
    entries, n = exchange.finance_export(kind="entries", fmt="xlsx", queryset=Entry.objects.all())
    assert n == 1
    assert entries[:2] == b"PK"
    csv = (
        "village_code,number,kind,title,counterparty_kind,counterparty_name,counterparty_credit_code,amount,"
        "annual_price,start_date,end_date,signed_on,schedule,resource_code\n"
        f"{tree.village.code},HT-100,contracting,大塘再发包,business,光山县丰收种养专业合作社,93411522MA40000002,"
        f"20000,10000,2027-01-01,2028-12-31,2026-12-01,2027-01-01:10000;2028-01-01:10000,R1\n"
    ).encode()
    assert (
        exchange.finance_import(actor=staff.accountant, kind="contracts", source=csv, filename="c.csv") == 1
    )
    assert Contract.objects.get(number="HT-100").counterparty == books.tenant


def test_reference_prices_are_set_by_county_rule_managers_only(tree, staff):
    with pytest.raises(NotFound):
        services.reference_price_set(
            actor=staff.accountant,
            county=tree.county,
            kind="pond",
            price_per_mu="800",
            valid_from="2026-01-01",
        )
    row = services.reference_price_set(
        actor=staff.county_discipline,
        county=tree.county,
        kind="pond",
        price_per_mu="800",
        valid_from="2026-01-01",
    )
    assert row.price_per_mu == Decimal("800.00")
