"""The ledger: appends, leaves, chain, Merkle proofs and personal-data commitments."""

import hashlib
import json

import pytest
import rfc8785
from django.db import transaction

from sunlit.core import ledger, merkle
from sunlit.core.models import AuditEvent, LedgerHead, MerkleNode, PiiSalt

pytestmark = pytest.mark.django_db


def _append(n, **kwargs):
    events = []
    for i in range(n):
        with transaction.atomic():
            events.append(
                ledger.ledger_append(
                    kind=kwargs.get("kind", "test.appended"),
                    actor=kwargs.get("actor"),
                    subject=f"core.thing:{i}",
                    payload={"i": i},
                    region=kwargs.get("region"),
                )
            )
    return events


def test_append_writes_a_canonical_leaf_chained_to_the_previous_one(tree, make_user):
    # given
    import datetime
    from decimal import Decimal

    user = make_user(username="clerk")
    # when
    with transaction.atomic():
        first = ledger.ledger_append(
            kind="case.started",
            actor=user,
            subject="cases.case:7",
            payload={"amount": Decimal("12.50"), "on": datetime.date(2026, 3, 1), "名": "张"},
            region=tree.village,
        )
        second = ledger.ledger_append(kind="case.closed", actor=None, subject="cases.case:7", payload={})
    # then
    record = json.loads(bytes(first.leaf))
    assert bytes(first.leaf) == rfc8785.dumps(record)
    assert record["seq"] == 0
    assert first.seq == 0
    assert second.seq == 1
    assert record["actor"] == {"id": user.pk, "username": "clerk"}
    assert record["region"] == "411522100201"
    assert record["payload"] == {"amount": "12.50", "on": "2026-03-01", "名": "张"}
    assert record["prev"] == "00" * 32
    assert bytes(first.leaf_hash) == hashlib.sha256(b"\x00" + bytes(first.leaf)).digest()
    assert bytes(first.chain) == hashlib.sha256(bytes(32) + bytes(first.leaf_hash)).digest()
    assert second.record["prev"] == bytes(first.chain).hex()
    assert second.record["actor"] is None
    assert second.record["region"] is None
    assert bytes(second.chain) == hashlib.sha256(bytes(first.chain) + bytes(second.leaf_hash)).digest()


def test_append_outside_a_transaction_is_refused(transactional_db):
    with pytest.raises(transaction.TransactionManagementError):
        ledger.ledger_append(kind="x.y", actor=None, subject="core.thing:1", payload={})
    assert not AuditEvent.objects.exists()


def test_a_rolled_back_append_leaves_no_trace_and_no_gap(db):
    _append(3)

    class Boom(Exception):
        pass

    def failing_service():
        with transaction.atomic():
            ledger.ledger_append(
                kind="x.y", actor=None, subject="core.thing:9", payload={}, pii={"name": "李四"}
            )
            raise Boom

    with pytest.raises(Boom):
        failing_service()
    _append(1)
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [0, 1, 2, 3]
    assert not PiiSalt.objects.exists()
    assert LedgerHead.objects.get().size == 4


def test_personal_data_is_committed_not_stored_and_unlinks_when_the_salt_goes(db):
    with transaction.atomic():
        event = ledger.ledger_append(
            kind="person.viewed",
            actor=None,
            subject="people.person:3",
            payload={"reason": "case"},
            pii={"id_number": "411522199001011234", "name": "王五"},
        )
    leaf = bytes(event.leaf).decode()
    assert "411522199001011234" not in leaf
    assert "王五" not in leaf
    assert set(event.pii_commitments) == {"id_number", "name"}
    assert ledger.pii_prove(seq=event.seq, name="id_number", value="411522199001011234")
    assert not ledger.pii_prove(seq=event.seq, name="id_number", value="411522199001011235")
    assert ledger.pii_unlink(seq=event.seq, name="id_number") == 1
    assert not ledger.pii_prove(seq=event.seq, name="id_number", value="411522199001011234")
    assert ledger.pii_prove(seq=event.seq, name="name", value="王五")


def test_stored_nodes_are_the_complete_aligned_subtrees(db):
    events = _append(70)
    hashes = [bytes(e.leaf_hash) for e in events]
    nodes = {(n.level, n.index): bytes(n.hash) for n in MerkleNode.objects.all()}
    expected = {(lv, ix) for lv in range(merkle.STORED_MIN_LEVEL, 7) for ix in range(70 >> lv)}
    assert set(nodes) == expected
    for (lv, ix), h in nodes.items():
        assert h == merkle.mth_of_leaf_hashes(hashes[ix << lv : (ix + 1) << lv])
    for size in range(71):
        assert ledger.root_hash(size) == merkle.mth_of_leaf_hashes(hashes[:size])
