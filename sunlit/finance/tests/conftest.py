"""Finance fixtures: the case fixtures, a bookkeeper, accounts, counterparties and helpers."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from sunlit.accounts.roles import Role
from sunlit.cases.tests.conftest import pdf_bytes, people, standard, upload_all  # noqa: F401 - fixtures

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=CST)
TODAY = NOW.date()
_ID_SEQ = {"n": 0}


def new_id_number(birth: str = "19800101") -> str:
    from sunlit.core.masking import _id_check_char

    _ID_SEQ["n"] += 1
    first17 = f"411522{birth}{_ID_SEQ['n']:03d}"
    return first17 + _id_check_char(first17)


@pytest.fixture
def clock():
    import time_machine

    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def staff(tree, make_user, people):  # noqa: F811 - fixture
    class Staff:
        secretary = people.secretary
        chair = people.chair
        supervisor = people.supervisor
        accountant = make_user(Role.VILLAGE_ACCOUNTANT, tree.village, "accountant")
        clerk = make_user(Role.VILLAGE_CLERK, tree.village, "clerk")
        other_accountant = make_user(Role.VILLAGE_ACCOUNTANT, tree.sibling_village, "otheraccountant")
        township_leader = make_user(Role.TOWNSHIP_LEADER, tree.township, "tleader")
        reviewer = people.reviewer
        county_discipline = people.county_discipline
        committee = people.committee
        nobody = people.nobody

    return Staff


@pytest.fixture
def books(tree, staff, clock):
    """The test village's bank and cash accounts, a business and a tenant."""
    from sunlit.finance import services

    class Books:
        bank = services.account_open(
            actor=staff.accountant,
            village=tree.village,
            data={
                "kind": "bank",
                "name": "基本户",
                "bank": "光山农商行",
                "opening_balance": "200000.00",
                "opened_on": "2025-01-01",
            },
        )
        cash = services.account_open(
            actor=staff.accountant,
            village=tree.village,
            data={
                "kind": "cash",
                "name": "库存现金",
                "opening_balance": "1000.00",
                "opened_on": "2025-01-01",
            },
        )
        shop = services.counterparty_get_or_create(
            actor=staff.accountant,
            village=tree.village,
            kind="business",
            name="光山县兴旺五金店",
            credit_code="92411522MA40000001",
        )
        tenant = services.counterparty_get_or_create(
            actor=staff.accountant,
            village=tree.village,
            kind="business",
            name="光山县丰收种养专业合作社",
            credit_code="93411522MA40000002",
        )

    return Books


@pytest.fixture
def letting(tree, staff, books):
    """``letting(...)``: sign a contracting of a fresh pond with an annual schedule."""
    from sunlit.finance import services

    counter = {"n": 0}

    def make(
        *,
        price="10000.00",
        start=datetime.date(2025, 1, 1),
        years=3,
        dues=None,
        area="20",
        kind="pond",
        previous=None,
        counterparty=None,
    ):
        counter["n"] += 1
        resource = services.resource_register(
            actor=staff.accountant,
            village=tree.village,
            data={"code": f"R{counter['n']}", "name": f"大塘{counter['n']}", "kind": kind, "area_mu": area},
        )
        end = start.replace(year=start.year + years) - datetime.timedelta(days=1)
        dues = dues or [start.replace(year=start.year + i) for i in range(years)]
        price = Decimal(price)
        data = {
            "number": f"HT-{counter['n']:03d}",
            "kind": "contracting",
            "title": f"大塘{counter['n']}发包",
            "counterparty": counterparty or books.tenant,
            "resource": resource,
            "amount": price * len(dues),
            "annual_price": price,
            "start_date": start,
            "end_date": end,
            "signed_on": start,
        }
        schedule = [{"due_date": d, "amount": price} for d in dues]
        if previous is not None:
            return services.contract_renew(
                actor=staff.accountant,
                contract=previous,
                data=data | {"resource": previous.resource},
                schedule=schedule,
            )
        return services.contract_sign(
            actor=staff.accountant, village=tree.village, data=data, schedule=schedule
        )

    return make


@pytest.fixture
def book(tree, staff, books):
    """``book(kind, amount, **fields)``: an entry booked by the accountant."""
    from sunlit.finance import services

    def make(kind="expense", amount="100.00", **fields):
        data = {
            "kind": kind,
            "category": "administration" if kind == "expense" else "other_income",
            "account": books.bank,
            "date": TODAY - datetime.timedelta(days=3),
            "amount": amount,
            "summary": "办公用品",
            "voucher_no": "记-01",
        } | fields
        return services.entry_record(actor=staff.accountant, village=tree.village, data=data)

    return make


def findings(code: str, now=NOW) -> dict[str, object]:
    from sunlit.supervision.engine import run_rule
    from sunlit.supervision.rules.base import REGISTRY

    return {f.key: f for f, _severity in run_rule(REGISTRY[code], now=now)}
