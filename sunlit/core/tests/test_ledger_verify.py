"""``sunlit audit verify`` catches what a DBA could do to the stored log, and names the entry.

Each tamper test first drops the append-only triggers inside the test's transaction (as a DBA
with DDL rights could), edits the tables with plain SQL, and checks the first reported problem.
"""

import hashlib
import io
import json

import pytest
import rfc8785
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import translation

from sunlit.core import checkpoints, ledger, ledger_triggers, merkle
from sunlit.core.ledger_verify import ledger_verify
from sunlit.core.models import AuditEvent, Checkpoint, LedgerHead, LedgerVerification, MerkleNode, PiiSalt

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keys(settings, tmp_path):
    settings.SUNLIT_KEYS_DIR = tmp_path / "keys"


def _fill(n, start=0):
    for i in range(start, start + n):
        with transaction.atomic():
            ledger.ledger_append(
                kind="test.appended",
                actor=None,
                subject=f"core.thing:{i}",
                payload={"i": i, "text": "x" * (i % 7)},
            )


def _sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _drop_triggers():
    for statement in ledger_triggers.drop_sql(connection.vendor):
        _sql(statement)


def _problem(**kwargs):
    """The first problem, the same whatever the chunking (chunks of 2, 4 and 16 entries exercise
    the merging of chunk subtrees and checkpoints falling inside and at the end of chunks)."""
    answers = set()
    with translation.override("en"):
        for chunk in (None, 2, 4, 16):
            report = ledger_verify(full=True, chunk=chunk, **kwargs)
            assert not report.ok
            answers.add((report.problem.seq, str(report.problem)))
    assert len(answers) == 1, answers
    return answers.pop()


def test_an_untouched_log_verifies_with_its_checkpoints():
    _fill(40)
    checkpoints.checkpoint_take()
    _fill(5, 40)
    checkpoints.checkpoint_take()
    report = ledger_verify(full=True)
    assert report.ok, report.problem
    assert report.size == 45
    assert report.checkpoints == 2


@pytest.mark.parametrize("chunk", [2, 4, 8, 16, 32])
def test_any_chunking_verifies_an_untouched_log(chunk):
    _fill(37)
    checkpoints.checkpoint_take()  # at 37
    _fill(27, 37)
    checkpoints.checkpoint_take()  # at 64: the end of a chunk and of a stored subtree
    report = ledger_verify(full=True, chunk=chunk)
    assert report.ok, report.problem
    assert report.checkpoints == 2
    assert ledger_verify(full=True).ok


def test_an_edited_prev_field_is_named():
    # given a leaf whose "prev" no longer names the previous entry's chain, hashes recomputed
    _fill(10)
    _drop_triggers()
    record = json.loads(bytes(AuditEvent.objects.get(seq=6).leaf))
    record["prev"] = "ab" * 32
    leaf = rfc8785.dumps(record)
    lh = merkle.leaf_hash(leaf)
    chain = hashlib.sha256(bytes(AuditEvent.objects.get(seq=5).chain) + lh).digest()
    _sql("UPDATE core_auditevent SET leaf = %s, leaf_hash = %s, chain = %s WHERE seq = 6", [leaf, lh, chain])
    # then
    seq, message = _problem()
    assert seq == 6
    assert "columns" in message


@pytest.mark.django_db(transaction=True)
def test_worker_processes_find_the_first_problem():
    # given a committed log checked by two worker processes in chunks of 16
    _fill(100)
    checkpoints.checkpoint_take()
    _fill(30, 100)
    report = ledger_verify(full=True, workers=2, chunk=16)
    assert report.ok, report.problem
    assert report.workers == 2
    assert report.checkpoints == 1
    try:
        # when a DBA edits a leaf in one chunk and a column in an earlier one
        _drop_triggers()
        leaf = bytes(AuditEvent.objects.get(seq=70).leaf).replace(b'"i":70', b'"i":71')
        _sql("UPDATE core_auditevent SET leaf = %s WHERE seq = 70", [leaf])
        _sql("UPDATE core_auditevent SET kind = 'test.forged' WHERE seq = 45")
        # then the earlier one is named, by the workers as in-process
        with translation.override("en"):
            parallel = ledger_verify(full=True, workers=2, chunk=16)
            local = ledger_verify(full=True, workers=1, chunk=16)
        assert parallel.workers == 2
        assert parallel.problem.seq == local.problem.seq == 45
        assert "columns" in str(parallel.problem)
        _sql("DELETE FROM core_auditevent WHERE seq = 45")
        with translation.override("en"):
            report = ledger_verify(full=True, workers=2, chunk=16)
        assert report.problem.seq == 45
        assert "missing" in str(report.problem)
    finally:  # this test commits: put the triggers back for the next tests
        with connection.cursor() as cursor:
            for statement in ledger_triggers.drop_sql(connection.vendor):
                cursor.execute(statement)
            for statement in ledger_triggers.create_sql(connection.vendor):
                cursor.execute(statement)


def test_verification_is_incremental_and_full_rechecks_everything():
    # given a verified log
    _fill(30)
    assert ledger_verify().ok
    assert LedgerVerification.objects.get().size == 30
    # when more entries arrive and an old one is edited behind the triggers' back
    _fill(10, 30)
    _drop_triggers()
    _sql("UPDATE core_auditevent SET leaf = %s WHERE seq = 3", [b'{"forged":true}'])
    # then an incremental run checks only the new entries, a full one finds the edit
    report = ledger_verify()
    assert report.ok
    assert report.start == 30
    assert _problem()[0] == 3


def test_an_incremental_run_notices_a_rewritten_boundary():
    _fill(20)
    assert ledger_verify().ok
    _drop_triggers()
    _sql("DELETE FROM core_auditevent WHERE seq = 19")
    report = ledger_verify()
    assert report.problem.seq == 19


def test_an_edited_payload_is_named():
    _fill(20)
    _drop_triggers()
    leaf = bytes(AuditEvent.objects.get(seq=11).leaf).replace(b'"i":11', b'"i":12')
    _sql("UPDATE core_auditevent SET leaf = %s WHERE seq = 11", [leaf])
    seq, message = _problem()
    assert seq == 11
    assert "leaf hash" in message


def test_a_consistent_rewrite_is_caught_by_the_signed_checkpoint():
    # given a checkpoint, then a DBA rewrites entry 5 and recomputes every hash after it
    _fill(20)
    checkpoints.checkpoint_take()
    _drop_triggers()
    rows = list(AuditEvent.objects.order_by("seq").values_list("seq", "leaf"))
    chain, frontier = ledger.CHAIN_START, []
    _sql("DELETE FROM core_merklenode")
    for seq, leaf in rows:
        record = json.loads(bytes(leaf))
        record["prev"] = chain.hex()
        if seq == 5:
            record["payload"]["i"] = 6
        leaf = rfc8785.dumps(record)
        lh = merkle.leaf_hash(leaf)
        chain = hashlib.sha256(chain + lh).digest()
        _sql(
            "UPDATE core_auditevent SET leaf = %s, leaf_hash = %s, chain = %s WHERE seq = %s",
            [leaf, lh, chain, seq],
        )
        for level, index, h in merkle.frontier_push(seq, frontier, lh):
            if level >= merkle.STORED_MIN_LEVEL:
                MerkleNode.objects.create(level=level, index=index, leaf_end=(index + 1) << level, hash=h)
    LedgerHead.objects.filter(pk=1).update(chain=chain, frontier=b"".join(frontier))
    # then only the checkpoint gives it away
    seq, message = _problem()
    assert seq == 19
    assert "rewritten after it was signed" in message


def test_a_deleted_event_is_named():
    _fill(20)
    _drop_triggers()
    _sql("DELETE FROM core_auditevent WHERE seq = 7")
    seq, message = _problem()
    assert seq == 7
    assert "missing" in message


def test_swapped_events_are_named():
    _fill(20)
    _drop_triggers()
    _sql("UPDATE core_auditevent SET seq = -1 WHERE seq = 8")
    _sql("UPDATE core_auditevent SET seq = 8 WHERE seq = 9")
    _sql("UPDATE core_auditevent SET seq = 9 WHERE seq = -1")
    seq, message = _problem()
    assert seq == 8
    assert "chain" in message


def test_a_truncated_tail_is_caught_by_a_later_checkpoint():
    _fill(20)
    checkpoints.checkpoint_take()
    _drop_triggers()
    _sql("DELETE FROM core_auditevent WHERE seq >= 17")
    _sql("DELETE FROM core_merklenode WHERE leaf_end > 17")
    LedgerHead.objects.filter(pk=1).update(size=17)
    seq, message = _problem()
    assert seq == 17
    assert "checkpoint was signed at tree size 20" in message


def test_a_truncated_tail_without_checkpoint_is_caught_by_the_head():
    _fill(20)
    _drop_triggers()
    _sql("DELETE FROM core_auditevent WHERE seq >= 18")
    seq, message = _problem()
    assert seq == 18
    assert "head counts 20" in message


def test_a_forged_checkpoint_is_caught():
    _fill(10)
    cp = checkpoints.checkpoint_take()
    _drop_triggers()
    _sql("UPDATE core_checkpoint SET root_hash = %s WHERE id = %s", [bytes(32), cp.pk])
    assert "bad signature" in _problem()[1]


def test_a_checkpoint_signed_by_another_key_is_caught():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    _fill(10)
    cp = checkpoints.checkpoint_take()
    _drop_triggers()
    body = checkpoints.body_of(cp)
    _sql(
        "UPDATE core_checkpoint SET signature = %s WHERE id = %s",
        [Ed25519PrivateKey.generate().sign(body), cp.pk],
    )
    assert "bad signature" in _problem()[1]


def test_an_altered_merkle_node_is_named():
    _fill(40)
    _drop_triggers()
    _sql('UPDATE core_merklenode SET hash = %s WHERE level = 4 AND "index" = 1', [bytes(32)])
    seq, message = _problem()
    assert seq == 31
    assert "L4[1]" in message


def test_an_edited_query_column_is_named():
    _fill(10)
    _drop_triggers()
    _sql("UPDATE core_auditevent SET subject = 'core.thing:999' WHERE seq = 4")
    seq, message = _problem()
    assert seq == 4
    assert "columns" in message


def test_the_command_exits_non_zero_and_names_the_entry():
    _fill(10)
    out = io.StringIO()
    call_command("audit", "verify", "--full", stdout=out)
    assert "10" in out.getvalue()
    _drop_triggers()
    _sql("DELETE FROM core_auditevent WHERE seq = 2")
    with translation.override("en"), pytest.raises(CommandError, match="entry #2") as excinfo:
        call_command("audit", "verify", "--full", stdout=io.StringIO(), stderr=io.StringIO())
    assert excinfo.value.returncode == 1


# --- The triggers themselves ---


def _refused(statement, params=()):
    with pytest.raises(DatabaseError), transaction.atomic():
        _sql(statement, params)


def test_triggers_refuse_update_and_delete_on_the_ledger_tables():
    _fill(16, 0)
    checkpoints.checkpoint_take()
    with transaction.atomic():
        ledger.ledger_append(kind="x.y", actor=None, subject="core.thing:1", payload={}, pii={"name": "赵六"})
    _refused("UPDATE core_auditevent SET kind = 'x' WHERE seq = 0")
    _refused("DELETE FROM core_auditevent WHERE seq = 0")
    _refused("UPDATE core_merklenode SET hash = %s", [bytes(32)])
    _refused("DELETE FROM core_merklenode")
    _refused("UPDATE core_checkpoint SET tree_size = 99")
    _refused("DELETE FROM core_checkpoint")
    _refused("UPDATE core_piisalt SET salt = %s", [bytes(32)])
    assert AuditEvent.objects.count() == 17
    assert MerkleNode.objects.count() == 1
    assert Checkpoint.objects.count() == 1
    # deleting a salt is allowed: it unlinks the personal data
    assert PiiSalt.objects.filter(seq=16).delete()[0] == 1


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_refuses_truncate():
    _refused("TRUNCATE core_auditevent")
