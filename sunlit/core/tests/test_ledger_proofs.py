"""Merkle proofs from stored subtrees equal a straightforward recursive RFC 6962 implementation,
and appends stay gapless under concurrency."""

import hashlib
import threading

import pytest
from django.db import close_old_connections, connection, transaction

from sunlit.core import ledger, merkle
from sunlit.core.ledger_verify import ledger_verify
from sunlit.core.models import AuditEvent

# --- RFC 6962 §2.1, written out literally (independent of sunlit.core.merkle) ---


def _h(data):
    return hashlib.sha256(data).digest()


def _k(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def rfc_mth(d):
    if not d:
        return _h(b"")
    if len(d) == 1:
        return _h(b"\x00" + d[0])
    k = _k(len(d))
    return _h(b"\x01" + rfc_mth(d[:k]) + rfc_mth(d[k:]))


def rfc_path(m, d):
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*rfc_path(m, d[:k]), rfc_mth(d[k:])]
    return [*rfc_path(m - k, d[k:]), rfc_mth(d[:k])]


def rfc_subproof(m, d, b):
    n = len(d)
    if m == n:
        return [] if b else [rfc_mth(d)]
    k = _k(n)
    if m <= k:
        return [*rfc_subproof(m, d[:k], b), rfc_mth(d[k:])]
    return [*rfc_subproof(m - k, d[k:], False), rfc_mth(d[:k])]


SIZES = 40


@pytest.fixture
def leaves(db):
    out = []
    for i in range(SIZES):
        with transaction.atomic():
            event = ledger.ledger_append(
                kind="test.appended", actor=None, subject=f"core.thing:{i}", payload={"i": i}
            )
        out.append(bytes(event.leaf))
    return out


def test_roots_and_inclusion_proofs_for_every_size_and_index(leaves):
    for size in range(1, SIZES + 1):
        root = ledger.root_hash(size)
        assert root == rfc_mth(leaves[:size])
        for index in range(size):
            leaf_hash, path = ledger.inclusion_proof(index, size)
            assert leaf_hash == _h(b"\x00" + leaves[index])
            assert path == rfc_path(index, leaves[:size])
            assert merkle.verify_inclusion(index, size, leaf_hash, path, root)
            assert not merkle.verify_inclusion(index, size, leaf_hash, path, _h(b"other"))
            if size > 1:
                assert not merkle.verify_inclusion((index + 1) % size, size, leaf_hash, path, root)


def test_consistency_proofs_for_every_pair_of_sizes(leaves):
    roots = [rfc_mth(leaves[:n]) for n in range(SIZES + 1)]
    for new in range(1, SIZES + 1):
        for old in range(1, new + 1):
            proof = ledger.consistency_proof(old, new)
            assert proof == rfc_subproof(old, leaves[:new], True)
            assert merkle.verify_consistency(old, new, roots[old], roots[new], proof)
            if old < new:
                assert not merkle.verify_consistency(
                    old, new, roots[old - 1] if old > 1 else _h(b"x"), roots[new], proof
                )


def test_proofs_need_few_queries(leaves, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        ledger.inclusion_proof(17, 37)
    with django_assert_max_num_queries(3):
        ledger.consistency_proof(13, 39)


def test_proofs_refuse_sizes_outside_the_log(leaves):
    from sunlit.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        ledger.inclusion_proof(0, SIZES + 1)
    with pytest.raises(ValidationFailed):
        ledger.inclusion_proof(5, 5)
    with pytest.raises(ValidationFailed):
        ledger.consistency_proof(0, 5)
    with pytest.raises(ValidationFailed):
        ledger.consistency_proof(6, 5)


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_are_serialised_without_gaps(settings, tmp_path):
    # given several threads appending at once, some of whose transactions roll back
    settings.SUNLIT_KEYS_DIR = tmp_path / "keys"
    threads, per_thread = 4, 15
    errors = []

    class Rollback(Exception):
        pass

    def work(t):
        try:
            for i in range(per_thread):
                try:
                    with transaction.atomic():
                        ledger.ledger_append(
                            kind="test.concurrent",
                            actor=None,
                            subject=f"core.thing:{t}-{i}",
                            payload={"t": t, "i": i},
                        )
                        if i % 5 == 4:
                            raise Rollback
                except Rollback:
                    pass
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    # then every committed append has its own seq, with no gaps, and the log verifies
    assert errors == []
    kept = threads * (per_thread - per_thread // 5)
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == list(range(kept))
    assert len(set(AuditEvent.objects.values_list("subject", flat=True))) == kept
    report = ledger_verify(full=True)
    assert report.ok, report.problem
