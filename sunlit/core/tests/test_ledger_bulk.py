"""The bulk appender writes exactly what ``ledger_append`` writes, and its canonical JSON is RFC 8785."""

import datetime
import random
import secrets as _secrets
from unittest import mock

import pytest
import rfc8785
from django.db import transaction
from django.utils import timezone

from sunlit.core import ledger, merkle
from sunlit.core.ledger_bulk import BulkLedger, LedgerMoved, canonical_json
from sunlit.core.ledger_verify import ledger_verify
from sunlit.core.models import AuditEvent, LedgerHead, MerkleNode, PiiSalt


@pytest.fixture(autouse=True)
def _keys(settings, tmp_path):
    settings.SUNLIT_KEYS_DIR = tmp_path / "keys"


T0 = datetime.datetime(2025, 3, 1, 1, 2, 3, 456789, tzinfo=datetime.UTC)


def _event(i):
    """A varied event: nested payloads, Chinese text, floats that are integers, escapes."""
    return {
        "kind": random.Random(i).choice(["case.started", "step.completed", "notice.opened"]),
        "subject": f"cases.case:{i}",
        "payload": {
            "tracking_no": f"T-{i}",
            "amount": float(1000 * i),
            "items": [i, None, True, {"z": "公示", "a": 'line\nbreak "q" \\ \x01'}],
            "when": T0 + datetime.timedelta(days=i),
        },
        "region_code": "411522100201" if i % 3 else "",
        "pii": {"title": f"王{i} 申请", "party0.name": "李四"} if i % 4 == 0 else None,
    }


def _append_normal(i, actor):
    with transaction.atomic():
        e = _event(i)
        region = type("R", (), {"code": e["region_code"]})() if e["region_code"] else None
        ledger.ledger_append(
            kind=e["kind"],
            actor=actor,
            subject=e["subject"],
            payload=e["payload"],
            region=region,
            pii=e["pii"],
        )


def _append_bulk(lb, i, actor):
    e = _event(i)
    lb.append(
        kind=e["kind"],
        time=timezone.now(),
        subject=e["subject"],
        payload=e["payload"],
        actor_id=actor.pk if actor else None,
        actor_username=actor.get_username() if actor else "",
        region_code=e["region_code"],
        pii=e["pii"],
    )


@pytest.mark.django_db
def test_a_bulk_appended_ledger_mixed_with_normal_appends_verifies(django_user_model):
    actor = django_user_model.objects.create(username="clerk")
    for i in range(21):
        _append_normal(i, actor if i % 2 else None)
    with transaction.atomic():
        lb = BulkLedger(batch_size=7)
        for i in range(21, 90):
            _append_bulk(lb, i, actor if i % 2 else None)
            if i == 50:
                assert lb.flush() == 30  # several flushes in one transaction
        lb.flush()
    for i in range(90, 107):
        _append_normal(i, actor)
    assert ledger.ledger_size() == 107
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == list(range(107))
    report = ledger_verify(full=True)
    assert report.ok, report.problem
    # Every stored node a normal append would have stored, and none more.
    expected = {(lv, ix) for lv in range(merkle.STORED_MIN_LEVEL, 7) for ix in range(107 >> lv)}
    assert set(MerkleNode.objects.values_list("level", "index")) == expected
    # PII: salts for the bulk events too, and the commitments prove the values.
    bulk_seq = 24  # event 24 has pii
    assert PiiSalt.objects.filter(seq=bulk_seq).count() == 2
    assert ledger.pii_prove(seq=bulk_seq, name="title", value="王24 申请")
    assert not ledger.pii_prove(seq=bulk_seq, name="title", value="王25 申请")


@pytest.mark.django_db
def test_bulk_rows_equal_ledger_append_rows(django_user_model):
    """The same events through both writers give the same leaves (times and salts aside), hence the
    same structure; with the times and salts made equal, the same hashes, roots and proofs."""
    actor = django_user_model.objects.create(username="clerk")
    n = 45
    fixed = [T0 + datetime.timedelta(seconds=i) for i in range(n)]

    def run(bulk):
        clock = iter(fixed)
        salt_iter = iter([bytes([k % 256]) * 32 for k in range(1000)])
        with (
            mock.patch.object(_secrets, "token_bytes", side_effect=lambda n: next(salt_iter)),
            mock.patch.object(timezone, "now", side_effect=lambda: next(clock)),
        ):
            if bulk:
                with transaction.atomic():
                    lb = BulkLedger()
                    for i in range(n):
                        _append_bulk(lb, i, actor if i % 2 else None)
                    lb.flush()
            else:
                for i in range(n):
                    _append_normal(i, actor if i % 2 else None)
        rows = list(AuditEvent.objects.order_by("seq").values_list("leaf", "leaf_hash", "chain", "time"))
        nodes = sorted(MerkleNode.objects.values_list("level", "index", "leaf_end", "hash"))
        salts_ = sorted(PiiSalt.objects.values_list("seq", "name", "salt"))
        head = LedgerHead.objects.get(pk=1)
        roots = [ledger.root_hash(s) for s in range(n + 1)]
        proofs = [ledger.inclusion_proof(i, n) for i in range(0, n, 7)]
        consistency = [ledger.consistency_proof(m, n) for m in range(1, n, 5)]
        return (
            rows,
            nodes,
            salts_,
            (head.size, bytes(head.chain), bytes(head.frontier)),
            roots,
            proofs,
            consistency,
        )

    with transaction.atomic():
        normal = run(bulk=False)
        transaction.set_rollback(True)
    with transaction.atomic():
        bulk = run(bulk=True)
        transaction.set_rollback(True)
    assert [tuple(map(bytes, r[:3])) for r in normal[0]] == [tuple(map(bytes, r[:3])) for r in bulk[0]]
    assert normal[1:] == bulk[1:]


@pytest.mark.django_db(transaction=True)
def test_a_bulk_append_refuses_when_the_head_moved():
    with transaction.atomic():
        lb = BulkLedger()
        lb.append(kind="x.y", time=timezone.now(), subject="core.thing:1", payload={})
        # Another writer (simulated: the head row changed under us).
        LedgerHead.objects.filter(pk=1).update(size=5)
        with pytest.raises(LedgerMoved):
            lb.flush()
        transaction.set_rollback(True)
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_bulk_ledger_needs_a_transaction():
    with pytest.raises(transaction.TransactionManagementError):
        BulkLedger()


def _random_value(rng, depth=0):
    choice = rng.randrange(9 if depth < 3 else 6)
    if choice == 0:
        return None
    if choice == 1:
        return rng.random() < 0.5
    if choice == 2:
        return rng.randint(-(2**53) + 1, 2**53 - 1) if rng.random() < 0.3 else rng.randint(-1000, 10**6)
    if choice == 3:
        return float(rng.randint(-(10**9), 10**9))  # integral floats, as case amounts are
    if choice in (4, 5):
        alphabet = 'aZ09 "\\/\b\f\n\r\t\x00\x1f\x7f é公示異议€\u2028\u2029\ufeff😀𠀀'
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
    if choice in (6, 7):
        keys = ["a", "b", "B", "_", "tracking_no", "party0.name", "é", "公示", "\u00ff", "A1", "a.b", ""]
        return {
            rng.choice(keys) + rng.choice(["", "x", "1"]): _random_value(rng, depth + 1)
            for _ in range(rng.randrange(6))
        }
    return [_random_value(rng, depth + 1) for _ in range(rng.randrange(5))]


def test_canonical_json_is_byte_identical_to_rfc8785():
    rng = random.Random(8785)
    for _ in range(5000):
        value = {"payload": _random_value(rng), "seq": rng.randrange(10**9), "prev": "ab" * 32}
        assert canonical_json(value) == rfc8785.dumps(value), value


def test_canonical_json_falls_back_to_rfc8785_for_what_it_does_not_handle():
    for value in ({"x": 0.1}, {"x": 1e300}, {"x": -0.0}, {"😀": 1, "\uffff": 2}, {"x": 1.5}):
        assert canonical_json(value) == rfc8785.dumps(value)
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical_json({"x": 2**60})
