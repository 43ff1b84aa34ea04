"""Reimbursement (三签一章) driven through the catalog's PA-07 case: paid only with every signature and
the supervision committee's seal; above the township limit the township leader signs too."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sunlit.cases import engine
from sunlit.cases import services as case_services
from sunlit.finance import services
from sunlit.finance.errors import FinanceErrorCode, FinanceRefused
from sunlit.finance.models import Entry, Reimbursement

from .conftest import TODAY, pdf_bytes

pytestmark = pytest.mark.django_db

INPUTS = {
    "sign_supervisor": {"supervisor_objection": False},
    "township_sign": {"township_result": "pass"},
}


@pytest.fixture
def walk(staff, upload_all):
    """``walk(case, until)``: complete the case's steps, each by its role, until it stands at ``until``."""
    actors = {
        "village_clerk": staff.clerk,
        "village_secretary": staff.secretary,
        "village_chair": staff.chair,
        "village_supervisor": staff.supervisor,
        "township_leader": staff.township_leader,
        "village_accountant": staff.accountant,
    }

    def run(case, until):
        for _guard in range(20):
            case.refresh_from_db()
            step = case.current.step
            if step.key == until:
                return case
            actor = actors[step.role]
            upload_all(case, actor)
            kwargs = {"inputs": INPUTS.get(step.key, {})}
            if step.kind == "vote":
                kwargs["vote"] = engine.Tally(
                    expected=9, present=9, votes_for=9, votes_against=0, abstentions=0
                )
            case_services.step_complete(actor=actor, case=case, **kwargs)
        raise AssertionError(f"never reached {until}")

    return run


def _request(tree, staff, books, amount):
    return services.reimbursement_request(
        actor=staff.clerk,
        village=tree.village,
        data={
            "purpose": "购置村部办公桌椅",
            "category": "purchases",
            "amount": amount,
            "handler_name": "张会计",
            "witness_name": "李监督",
            "counterparty": books.shop,
        },
        voucher=pdf_bytes(f"voucher-{amount}"),
    )


def _seal(tree, staff, reimbursement):
    return case_services.seal_use_record(
        actor=staff.clerk,
        village=tree.village,
        seal="supervision",
        purpose="付款审批单（三签一章）",
        document_sha256=reimbursement.voucher_sha256,
        approver=staff.secretary,
        case=reimbursement.case,
    )


def _pay(staff, books, reimbursement):
    return services.reimbursement_pay(
        actor=staff.clerk,
        reimbursement=reimbursement,
        data={"account": books.bank, "date": TODAY, "voucher_no": "记-11-05"},
    )


def test_a_small_reimbursement_is_paid_after_three_signatures_and_the_seal(
    tree, staff, books, standard, walk
):
    r = _request(tree, staff, books, "1800.00")
    assert r.case.item.code == "PA-07"
    assert r.case.amount == Decimal("1800.00")
    # before any signature: refused, nothing booked
    with pytest.raises(FinanceRefused) as refused:
        _pay(staff, books, r)
    assert refused.value.code == FinanceErrorCode.SIGNATURES_MISSING
    assert not Entry.objects.exists()
    walk(r.case, "pay")
    # three signatures, no seal yet
    with pytest.raises(FinanceRefused) as refused:
        _pay(staff, books, r)
    assert refused.value.code == FinanceErrorCode.SEAL_MISSING
    assert "监督委员会印章" in str(refused.value.message) or "seal" in str(refused.value.message).lower()
    _seal(tree, staff, r)
    paid = _pay(staff, books, r)
    assert paid.status == "paid"
    assert paid.entry.case_id == r.case_id
    assert paid.entry.amount == Decimal("1800.00")
    assert paid.entry.counterparty == books.shop
    rows = {row["key"]: row["done"] for row in services.signatures(paid)}
    assert rows == {
        "handler": True,
        "witness": True,
        "sign_secretary": True,
        "sign_chair": True,
        "sign_supervisor": True,
        "seal": True,
    }
    with pytest.raises(FinanceRefused):
        _pay(staff, books, paid)  # not twice
    assert Entry.objects.count() == 1


def test_above_the_township_limit_the_township_leader_signs_too(tree, staff, books, standard, walk):
    r = _request(tree, staff, books, "60000.00")
    walk(r.case, "township_sign")
    _seal(tree, staff, r)
    with pytest.raises(FinanceRefused) as refused:
        _pay(staff, books, r)
    assert refused.value.code == FinanceErrorCode.SIGNATURES_MISSING
    assert {row["key"] for row in services.signatures(r)} >= {"township_sign"}
    walk(r.case, "pay")
    assert _pay(staff, books, r).status == "paid"


def test_one_fen_below_the_township_limit_needs_no_township_signature(tree, staff, books, standard, walk):
    r = _request(tree, staff, books, "49999.99")
    assert "township_sign" not in {row["key"] for row in services.signatures(r)}


def test_a_terminated_case_cannot_be_paid_and_closes_the_reimbursement(tree, staff, books, standard):
    r = _request(tree, staff, books, "900.00")
    with pytest.raises(FinanceRefused):
        services.reimbursement_reject(actor=staff.clerk, reimbursement=r)  # still running
    case_services.case_terminate(actor=staff.secretary, case=r.case, reason="重复报销")
    r.refresh_from_db()
    with pytest.raises(FinanceRefused):
        _pay(staff, books, r)
    assert services.reimbursement_reject(actor=staff.clerk, reimbursement=r).status == "rejected"


def test_handler_and_witness_must_differ_and_vouchers_are_required(tree, staff, books, standard):
    with pytest.raises(FinanceRefused) as refused:
        services.reimbursement_request(
            actor=staff.clerk,
            village=tree.village,
            data={
                "purpose": "x",
                "category": "purchases",
                "amount": "10",
                "handler_name": "张三",
                "witness_name": "张三",
            },
        )
    assert set(refused.value.fields) == {"witness_name", "voucher"}
    assert not Reimbursement.objects.exists()


def test_only_bookkeepers_of_the_village_may_request(tree, staff, books, standard):
    from sunlit.core.errors import NotFound, PermissionDenied

    data = {
        "purpose": "x",
        "category": "purchases",
        "amount": "10",
        "handler_name": "甲",
        "witness_name": "乙",
    }
    with pytest.raises(PermissionDenied):
        services.reimbursement_request(actor=staff.supervisor, village=tree.village, data=data)
    with pytest.raises(NotFound):
        services.reimbursement_request(actor=staff.other_accountant, village=tree.village, data=data)
    assert not Reimbursement.objects.exists()
