"""Each finance rule: a hit, and the near miss beside it that must not hit."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from sunlit.finance import services
from sunlit.finance.models import Contract
from sunlit.supervision.rules.base import REGISTRY

from .conftest import NOW, TODAY, findings, new_id_number

pytestmark = pytest.mark.django_db


def test_the_finance_rules_are_registered_with_bounded_parameters():
    from sunlit.finance.rules import FINANCE_RULES

    for code in FINANCE_RULES:
        rule = REGISTRY[code]
        assert rule.family in ("assets", "money")
        assert rule.watches
        for spec in rule.params.values():
            with pytest.raises(ValueError, match="outside"):
                spec.clean(Decimal(spec.maximum) + 1)


# --- rent overdue ---------------------------------------------------------------------------------------


def test_rent_unpaid_one_day_past_the_grace_is_a_hit_and_exactly_the_grace_is_not(letting):
    grace = 30
    due_hit = TODAY - datetime.timedelta(days=grace + 1)
    due_edge = TODAY - datetime.timedelta(days=grace)
    hit = letting(start=due_hit, years=1)
    edge = letting(start=due_edge, years=1)
    found = findings("ASSET_RENT_OVERDUE")
    assert set(found) == {str(hit.instalments.get().pk)}
    evidence = found[str(hit.instalments.get().pk)].evidence
    assert evidence["days"] == grace + 1
    assert evidence["owed"] == Decimal("10000.00")
    assert str(edge.instalments.get().pk) not in found


def test_a_part_payment_still_owes_and_the_full_payment_clears_it(letting, book, books):
    contract = letting(start=TODAY - datetime.timedelta(days=60), years=1)
    instalment = contract.instalments.get()
    common = {"category": "contracting_income", "contract": contract, "instalment": instalment}
    book("income", "9999.99", **common)
    found = findings("ASSET_RENT_OVERDUE")
    assert found[str(instalment.pk)].evidence["owed"] == Decimal("0.01")
    book("income", "0.01", **common)
    assert findings("ASSET_RENT_OVERDUE") == {}


def test_the_grace_days_follow_the_county_setting(tree, letting):
    from sunlit.supervision.models import RuleSetting

    contract = letting(start=TODAY - datetime.timedelta(days=11), years=1)
    assert findings("ASSET_RENT_OVERDUE") == {}
    RuleSetting.objects.create(region=tree.county, rule_code="ASSET_RENT_OVERDUE", params={"grace_days": 10})
    assert set(findings("ASSET_RENT_OVERDUE")) == {str(contract.instalments.get().pk)}


def test_instalments_cancelled_by_an_early_termination_are_not_owed(letting, staff):
    contract = letting(start=TODAY - datetime.timedelta(days=400), years=3, price="5000.00")
    first = contract.instalments.get(sequence=1)
    services.contract_terminate(
        actor=staff.accountant,
        contract=contract,
        on=TODAY - datetime.timedelta(days=380),
        reason="承包方退出",
    )
    found = findings("ASSET_RENT_OVERDUE")
    assert set(found) == {str(first.pk)}  # due before the termination: still owed


# --- lease expired but in use -----------------------------------------------------------------------------


def test_a_contract_still_in_force_past_its_end_and_the_grace(letting, book):
    grace = 30
    start = TODAY - datetime.timedelta(days=365 + grace)
    hit = letting(start=start, years=1)
    edge = letting(start=start + datetime.timedelta(days=1), years=1)
    for contract in (hit, edge):
        book(
            "income",
            "10000.00",
            category="contracting_income",
            contract=contract,
            instalment=contract.instalments.get(),
            date=contract.start_date,
        )
    assert (TODAY - hit.end_date).days == grace + 1
    assert (TODAY - edge.end_date).days == grace
    assert set(findings("ASSET_LEASE_EXPIRED_IN_USE")) == {str(hit.pk)}


def test_rent_for_use_after_the_end_is_a_hit_even_when_closed(letting, book, staff):
    contract = letting(start=TODAY - datetime.timedelta(days=380), years=1)
    book(
        "income",
        "10000.00",
        category="contracting_income",
        contract=contract,
        instalment=contract.instalments.get(),
        date=contract.start_date,
    )
    services.contract_complete(actor=staff.accountant, contract=contract, on=contract.end_date)
    # a late payment of the term's own instalment is no use after the end …
    assert findings("ASSET_LEASE_EXPIRED_IN_USE") == {}
    # … rent booked on the contract on its last day is not either …
    contract.refresh_from_db()
    book("income", "500.00", category="contracting_income", contract=contract, date=contract.end_date)
    assert findings("ASSET_LEASE_EXPIRED_IN_USE") == {}
    # … but rent taken the day after the end is
    book(
        "income",
        "500.00",
        category="contracting_income",
        contract=contract,
        date=contract.end_date + datetime.timedelta(days=1),
    )
    found = findings("ASSET_LEASE_EXPIRED_IN_USE")
    assert set(found) == {str(contract.pk)}
    assert found[str(contract.pk)].evidence["still_active"] is False


# --- price below previous or reference --------------------------------------------------------------------


def test_a_renewal_one_fen_below_the_previous_price_is_a_hit_and_equal_is_not(letting, book):
    start = TODAY - datetime.timedelta(days=800)
    old_a = letting(start=start, years=2, price="12000.00")
    old_b = letting(start=start, years=2, price="12000.00")
    for old in (old_a, old_b):
        for inst in old.instalments.all():
            book(
                "income",
                "12000.00",
                category="contracting_income",
                contract=old,
                instalment=inst,
                date=inst.due_date,
            )
    renew_start = old_a.end_date + datetime.timedelta(days=1)
    equal = letting(start=renew_start, years=3, price="12000.00", previous=old_a)
    below = letting(start=renew_start, years=3, price="11999.99", previous=old_b)
    found = findings("ASSET_PRICE_BELOW")
    assert set(found) == {str(below.pk)}
    assert found[str(below.pk)].evidence["basis"] == "previous"
    assert Contract.objects.get(pk=old_b.pk).status == "renewed"
    assert str(equal.pk) not in found


def test_a_letting_below_the_county_reference_by_more_than_the_tolerance(tree, letting, staff):
    services_ref = services.reference_price_set(
        actor=staff.county_discipline,
        county=tree.county,
        kind="farmland",
        price_per_mu="500",
        valid_from="2020-01-01",
    )
    assert services_ref.price_per_mu == Decimal("500.00")
    # 20 mu × ¥500 = ¥10,000; 10 % tolerance → ¥9,000 is the lowest accepted
    edge = letting(kind="farmland", area="20", price="9000.00", start=TODAY)
    hit = letting(kind="farmland", area="20", price="8999.99", start=TODAY)
    found = findings("ASSET_PRICE_BELOW")
    assert set(found) == {str(hit.pk)}
    assert found[str(hit.pk)].evidence["floor"] == Decimal("9000.00")
    assert str(edge.pk) not in found


def test_a_reference_price_valid_only_after_the_start_does_not_apply(tree, letting, staff):
    services.reference_price_set(
        actor=staff.county_discipline,
        county=tree.county,
        kind="farmland",
        price_per_mu="500",
        valid_from=TODAY + datetime.timedelta(days=1),
    )
    letting(kind="farmland", area="20", price="100.00", start=TODAY)
    assert findings("ASSET_PRICE_BELOW") == {}


# --- spending without its approving case ------------------------------------------------------------------


def test_spending_from_the_limit_without_a_case_is_a_hit_and_one_fen_less_is_not(book):
    hit = book("expense", "2000.00")
    book("expense", "1999.99")
    found = findings("MONEY_SPENDING_NO_CASE")
    assert set(found) == {str(hit.pk)}
    assert found[str(hit.pk)].evidence["amount"] == Decimal("2000.00")


def test_spending_with_a_live_case_of_the_village_is_not_a_hit_but_a_terminated_case_is(
    tree, book, staff, people, standard
):
    from sunlit.cases.services import case_start, case_terminate

    live = case_start(
        actor=people.committee,
        village=tree.village,
        item_code="PA-07",
        title="购置办公设备",
        variables={"amount": 3000},
    )
    stopped = case_start(
        actor=people.committee,
        village=tree.village,
        item_code="PA-07",
        title="购置监控",
        variables={"amount": 3000},
    )
    ok = book("expense", "3000.00", case=live)
    bad = book("expense", "3000.00", case=stopped)
    case_terminate(actor=people.secretary, case=stopped, reason="重复申请")
    found = findings("MONEY_SPENDING_NO_CASE")
    assert set(found) == {str(bad.pk)}
    assert str(ok.pk) not in found


# --- payments to cadre-related payees --------------------------------------------------------------------


def _villager(tree, name):
    from sunlit.people.services import PersonData, person_create

    return person_create(
        actor=None, data=PersonData(village=tree.village, name=name, id_number=new_id_number())
    )


def test_paying_a_declared_relative_of_a_village_cadre_is_a_hit(tree, staff, book, clock):
    from sunlit.people.services import declaration_add

    stranger = _villager(tree, "吴大山")
    number = new_id_number("19900101")
    declaration_add(
        actor=staff.chair,
        cadre=staff.chair,
        relative_id_number=number,
        relative_name="陈二",
        relation="sibling",
    )
    relative_cp = services.counterparty_get_or_create(
        actor=staff.accountant, village=tree.village, kind="person", name="陈二", id_number=number
    )
    stranger_cp = services.counterparty_get_or_create(
        actor=staff.accountant, village=tree.village, kind="person", name=stranger.name, person=stranger
    )
    book("expense", "800.00", counterparty=relative_cp, category="distribution")
    book("expense", "900.00", counterparty=relative_cp, category="distribution")
    book("expense", "800.00", counterparty=stranger_cp, category="distribution")
    found = findings("MONEY_PAYEE_CADRE")
    assert set(found) == {str(relative_cp.pk)}
    e = found[str(relative_cp.pk)].evidence
    assert e["relation"] == "sibling"
    assert e["payments"] == 2
    assert e["total"] == Decimal("1700.00")
    assert e["counterparty"] == "陈*"  # a private person is masked


def test_a_relative_of_a_cadre_of_another_village_is_not_a_hit(tree, staff, book):
    from sunlit.people.services import declaration_add

    number = new_id_number("19910101")
    declaration_add(
        actor=staff.other_accountant,
        cadre=staff.other_accountant,
        relative_id_number=number,
        relative_name="赵四",
        relation="child",
    )
    payee = services.counterparty_get_or_create(
        actor=staff.accountant, village=tree.village, kind="person", name="赵四", id_number=number
    )
    book("expense", "800.00", counterparty=payee, category="distribution")
    assert findings("MONEY_PAYEE_CADRE") == {}


def test_receiving_rent_from_a_cadre_relative_is_not_a_payment(tree, staff, book):
    from sunlit.people.services import declaration_add

    number = new_id_number("19920101")
    declaration_add(
        actor=staff.chair,
        cadre=staff.chair,
        relative_id_number=number,
        relative_name="钱五",
        relation="child",
    )
    payer = services.counterparty_get_or_create(
        actor=staff.accountant, village=tree.village, kind="person", name="钱五", id_number=number
    )
    book("income", "800.00", counterparty=payer)
    assert findings("MONEY_PAYEE_CADRE") == {}


# --- cash over the limit ----------------------------------------------------------------------------------


def test_cash_above_the_limit_at_a_day_end_is_a_hit_and_exactly_the_limit_is_not(book, books, staff, tree):
    day = TODAY - datetime.timedelta(days=10)
    # opening ¥1,000 + ¥4,000 = ¥5,000 exactly: not over
    book("income", "3000.10", account=books.cash, date=day)
    book("income", "999.90", account=books.cash, date=day)
    assert findings("MONEY_CASH_OVER_LIMIT") == {}
    # one fen more the next day: over; deposited at the bank the day after
    book("income", "0.01", account=books.cash, date=day + datetime.timedelta(days=1))
    services.transfer_record(
        actor=staff.accountant,
        village=tree.village,
        data={
            "from_account": books.cash,
            "to_account": books.bank,
            "date": day + datetime.timedelta(days=2),
            "amount": "4000.01",
            "voucher_no": "记-09",
        },
    )
    found = findings("MONEY_CASH_OVER_LIMIT")
    key = f"{books.cash.pk}:{day:%Y-%m}"
    assert set(found) == {key}
    assert found[key].evidence["days"] == 1
    assert found[key].evidence["highest"] == Decimal("5000.01")


def test_a_bank_account_is_never_cash(book, books):
    book("income", "90000.00", account=books.bank)
    assert findings("MONEY_CASH_OVER_LIMIT") == {}


def test_finance_events_re_check_the_village_on_commit(
    tree, staff, books, django_capture_on_commit_callbacks
):
    from sunlit.supervision.models import Alert

    with django_capture_on_commit_callbacks(execute=True):
        services.entry_record(
            actor=staff.accountant,
            village=tree.village,
            data={
                "kind": "expense",
                "category": "purchases",
                "account": books.bank,
                "date": TODAY,
                "amount": "2500.00",
                "summary": "采购",
                "voucher_no": "记-2",
            },
        )
    assert Alert.objects.filter(rule_code="MONEY_SPENDING_NO_CASE").count() == 1


def test_now_is_used_in_local_time():
    assert NOW.tzinfo is not None
