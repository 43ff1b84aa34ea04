"""Two clerks booking the last payment of the same instalment at once: exactly one is booked, the
other is refused (the instalment row is locked and the paid sum rechecked inside the transaction).
On SQLite IMMEDIATE transactions serialise the two; on PostgreSQL the loser waits on the row lock."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection

from sunlit.accounts.roles import Role
from sunlit.core.errors import DomainError
from sunlit.finance import services
from sunlit.finance.models import Account, Contract, Entry


@pytest.mark.django_db(transaction=True)
def test_two_payments_of_one_instalment_cannot_overpay_it(tree, make_user):
    first = make_user(Role.VILLAGE_ACCOUNTANT, tree.village, "acc1")
    second = make_user(Role.VILLAGE_CLERK, tree.village, "clerk1")
    bank = services.account_open(
        actor=first,
        village=tree.village,
        data={
            "kind": "bank",
            "name": "基本户",
            "bank": "农商行",
            "opening_balance": "0",
            "opened_on": "2025-01-01",
        },
    )
    tenant = services.counterparty_get_or_create(
        actor=first, village=tree.village, kind="business", name="合作社", credit_code="93411522MA40000009"
    )
    resource = services.resource_register(
        actor=first, village=tree.village, data={"code": "R1", "name": "大塘", "kind": "pond", "area_mu": "5"}
    )
    start = datetime.date(2026, 1, 1)
    contract = services.contract_sign(
        actor=first,
        village=tree.village,
        data={
            "number": "HT-1",
            "kind": "contracting",
            "title": "大塘发包",
            "counterparty": tenant,
            "resource": resource,
            "amount": "5000",
            "annual_price": "5000",
            "start_date": start,
            "end_date": datetime.date(2026, 12, 31),
            "signed_on": start,
        },
        schedule=[(start, "5000")],
    )
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def pay(user):
        try:
            mine = Contract.objects.get(pk=contract.pk)
            barrier.wait(timeout=10)
            services.entry_record(
                actor=user,
                village=tree.village,
                data={
                    "kind": "income",
                    "category": "contracting_income",
                    "account": Account.objects.get(pk=bank.pk),
                    "date": start,
                    "amount": "5000",
                    "summary": "承包费",
                    "voucher_no": user.username,
                    "contract": mine,
                    "instalment": mine.instalments.get(),
                },
            )
            results[user.username] = "ok"
        except DomainError:
            results[user.username] = "refused"
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            results[user.username] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(u,)) for u in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results.values()) == ["ok", "refused"], results
    assert Entry.objects.count() == 1
    assert Entry.objects.get().amount == Decimal("5000.00")
