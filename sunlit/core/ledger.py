"""The ledger (行权日志, 全程留痕): one append-only, tamper-evident event log for every service.

Services call :func:`ledger_append` inside their own transaction; the event commits or rolls back
with the change it records. Each event is an RFC 8785 canonical JSON leaf, hashed as an RFC 6962
Merkle leaf and chained (``chain = SHA-256(previous chain || leaf hash)``). Complete aligned
subtree hashes are stored as they complete, so inclusion and consistency proofs for any tree size
take O(log n) reads. Ed25519-signed checkpoints (sunlit/core/checkpoints.py) fix the tree at a
size; ``sunlit audit verify`` (sunlit/core/ledger_verify.py) recomputes everything. Formats and
hand verification: docs/ledger.md.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime
from typing import Any

import rfc8785
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import events, merkle
from .errors import NotFound, ValidationFailed
from .models import AuditEvent, LedgerHead, MerkleNode, PiiSalt

LEAF_VERSION = 1
CHAIN_START = bytes(32)  # the chain value "before" the first event
_PG_LOCK_KEY = 0x53554E4C4954  # "SUNLIT": pg_advisory_xact_lock key serialising appends


def ledger_subject(obj: models.Model) -> str:
    """The ``"app.model:pk"`` subject string for a model instance."""
    return f"{obj._meta.label_lower}:{obj.pk}"


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def pii_commitment(salt: bytes, value: str) -> str:
    """Hex SHA-256(salt || UTF-8 value): the form personal data takes in a leaf."""
    return hashlib.sha256(salt + value.encode("utf-8")).hexdigest()


def _plain_json(payload: dict) -> dict:
    """The payload as plain JSON values: Decimals, dates, UUIDs and lazy strings become strings."""
    if not isinstance(payload, dict):
        raise TypeError("payload must be a dict")
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False))


def _lock_head() -> LedgerHead:
    """Serialise appenders and return the head row (created on first use), in one statement.

    SQLite: every Sunlit transaction is BEGIN IMMEDIATE, so the writer lock is already held.
    PostgreSQL: ``SELECT … FOR UPDATE`` on the single head row; a waiter gets the row as the
    previous appender committed it (READ COMMITTED re-reads a locked row once the lock is granted),
    so it always sees every append committed before it. (An advisory lock taken in the same
    statement as the read would not do: the statement's snapshot predates the lock.)
    """
    connection = transaction.get_connection()
    table = LedgerHead._meta.db_table
    lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
    sql = f"SELECT size, chain, frontier FROM {table} WHERE id = 1{lock}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
        if row is None:  # first use; a concurrent first appender inserts it too, and one wins
            LedgerHead.objects.bulk_create(
                [LedgerHead(pk=1, size=0, chain=CHAIN_START, frontier=b"")], ignore_conflicts=True
            )
            cursor.execute(sql)
            row = cursor.fetchone()
    head = LedgerHead(pk=1, size=row[0], chain=bytes(row[1]), frontier=bytes(row[2]))
    head._state.adding = False
    head._state.db = connection.alias
    return head


def _write(connection, seq, event: AuditEvent, nodes: list, salts: dict, head: LedgerHead) -> None:
    """Insert the event, its completed nodes and salts and move the head: one round trip on
    PostgreSQL (data-modifying CTEs), plain statements on SQLite (no network to cross)."""
    ops = connection.ops
    event_row = [
        event.seq,
        ops.adapt_datetimefield_value(event.time),
        event.kind,
        event.actor_id,
        event.actor_username,
        event.subject,
        event.region_code,
        event.leaf,
        event.leaf_hash,
        event.chain,
    ]
    statements: list[tuple[str, list]] = [
        (
            f"INSERT INTO {AuditEvent._meta.db_table} (seq, time, kind, actor_id, actor_username, subject,"  # noqa: S608
            " region_code, leaf, leaf_hash, chain) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            event_row,
        )
    ]
    if nodes:
        values = ", ".join(["(%s, %s, %s, %s)"] * len(nodes))
        statements.append(
            (
                f'INSERT INTO {MerkleNode._meta.db_table} (level, "index", leaf_end, hash) VALUES {values}',  # noqa: S608
                [v for node in nodes for v in node],
            )
        )
    if salts:
        values = ", ".join(["(%s, %s, %s)"] * len(salts))
        statements.append(
            (
                f"INSERT INTO {PiiSalt._meta.db_table} (seq, name, salt) VALUES {values}",  # noqa: S608
                [v for name, salt in salts.items() for v in (seq, name, salt)],
            )
        )
    update = (
        f"UPDATE {LedgerHead._meta.db_table} SET size = %s, chain = %s, frontier = %s WHERE id = 1",  # noqa: S608
        [head.size, head.chain, head.frontier],
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ctes = ", ".join(f"w{i} AS ({sql})" for i, (sql, _params) in enumerate(statements))
            params = [p for _sql, ps in statements for p in ps]
            cursor.execute(f"WITH {ctes} {update[0]}", params + update[1])
        else:
            for sql, params in [*statements, update]:
                cursor.execute(sql, params)


def ledger_append(
    *,
    kind: str,
    actor: Any,
    subject: str,
    payload: dict,
    region: Any = None,
    pii: dict[str, str] | None = None,
) -> AuditEvent:
    """Append one event inside the caller's transaction (raise if not in transaction.atomic).

    kind: dotted event name e.g. "case.started"; actor: accounts.User or None (system);
    subject: "app.model:pk" string; payload: JSON-serialisable dict (Decimals/dates become strings);
    region: regions.Region or None; pii: values that must never enter the leaf in clear (ID
    numbers, names, phones) — each becomes a salted commitment sha256(salt || value) in the leaf,
    the random salt kept in PiiSalt so the value can be proven later (:func:`pii_prove`) and
    unlinked by deleting the salt (:func:`pii_unlink`).
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError("ledger_append must run inside transaction.atomic()")
    if not kind or not isinstance(kind, str):
        raise ValueError("kind must be a non-empty string")
    if not subject or not isinstance(subject, str):
        raise ValueError("subject must be a non-empty string")
    plain = _plain_json(payload)
    pii = {str(k): str(v) for k, v in (pii or {}).items()}

    head = _lock_head()
    seq = head.size
    now = timezone.now()
    salts = {name: secrets.token_bytes(32) for name in sorted(pii)}
    commitments = {name: pii_commitment(salt, pii[name]) for name, salt in salts.items()}
    actor_id = actor.pk if actor is not None else None
    actor_username = actor.get_username() if actor is not None else ""
    region_code = region.code if region is not None else ""
    record = {
        "v": LEAF_VERSION,
        "seq": seq,
        "time": format_time(now),
        "kind": kind,
        "actor": None if actor is None else {"id": actor_id, "username": actor_username},
        "subject": subject,
        "region": region_code or None,
        "payload": plain,
        "pii": commitments,
        "prev": bytes(head.chain).hex(),
    }
    leaf = rfc8785.dumps(record)
    lh = merkle.leaf_hash(leaf)
    chain = hashlib.sha256(bytes(head.chain) + lh).digest()
    event = AuditEvent(
        seq=seq,
        time=now,
        kind=kind,
        actor_id=actor_id,
        actor_username=actor_username,
        subject=subject,
        region_code=region_code,
        leaf=leaf,
        leaf_hash=lh,
        chain=chain,
    )
    frontier = merkle.split_frontier(bytes(head.frontier))
    completed = merkle.frontier_push(seq, frontier, lh)
    nodes = [
        (level, index, (index + 1) << level, h)
        for level, index, h in completed
        if level >= merkle.STORED_MIN_LEVEL
    ]
    head.size = seq + 1
    head.chain = chain
    head.frontier = b"".join(frontier)
    _write(connection, seq, event, nodes, salts, head)
    event._state.adding = False
    event._state.db = connection.alias
    events.appended(kind, subject)  # after-commit listeners (supervision); nothing if rolled back
    return event


# --- Personal data commitments ---


def pii_prove(*, seq: int, name: str, value: str) -> bool:
    """Whether ``value`` is the personal data committed under ``name`` in event ``seq``.
    False once the salt has been deleted (unlinked)."""
    event = AuditEvent.objects.filter(seq=seq).first()
    salt = PiiSalt.objects.filter(seq=seq, name=name).values_list("salt", flat=True).first()
    if event is None or salt is None:
        return False
    commitment = event.pii_commitments.get(name)
    return commitment is not None and secrets.compare_digest(commitment, pii_commitment(bytes(salt), value))


@transaction.atomic
def pii_unlink(*, seq: int, name: str | None = None) -> int:
    """Delete the salts of event ``seq`` (one field or all): its commitments can no longer be tied
    to a value. Returns how many salts were deleted."""
    salts = PiiSalt.objects.filter(seq=seq)
    if name is not None:
        salts = salts.filter(name=name)
    deleted, _detail = salts.delete()
    return deleted


# --- Reading the tree: sizes, roots and proofs from stored subtrees ---


def ledger_size() -> int:
    head = LedgerHead.objects.filter(pk=1).values_list("size", flat=True).first()
    return head or 0


class _SubtreeStore:
    """Answers MTH(start, end) for a batch of ranges with two queries: stored nodes, and leaf
    hashes for subtrees below ``merkle.STORED_MIN_LEVEL``."""

    def __init__(self, ranges: list[tuple[int, int]]) -> None:
        wanted = {st for start, end in ranges for st in merkle.aligned_subtrees(start, end)}
        stored = [(lv, ix) for lv, ix in wanted if lv >= merkle.STORED_MIN_LEVEL]
        low = [(lv, ix) for lv, ix in wanted if lv < merkle.STORED_MIN_LEVEL]
        self.nodes: dict[tuple[int, int], bytes] = {}
        if stored:
            q = models.Q()
            for lv, ix in stored:
                q |= models.Q(level=lv, index=ix)
            for lv, ix, h in MerkleNode.objects.filter(q).values_list("level", "index", "hash"):
                self.nodes[(lv, ix)] = bytes(h)
        if low:
            q = models.Q()
            for lv, ix in low:
                q |= models.Q(seq__gte=ix << lv, seq__lt=(ix + 1) << lv)
            leaves = {
                seq: bytes(h) for seq, h in AuditEvent.objects.filter(q).values_list("seq", "leaf_hash")
            }
            for lv, ix in low:
                hashes = [leaves.get(i) for i in range(ix << lv, (ix + 1) << lv)]
                if None not in hashes:
                    self.nodes[(lv, ix)] = merkle.mth_of_leaf_hashes(hashes)  # type: ignore[arg-type]

    def mth(self, start: int, end: int) -> bytes:
        hashes = []
        for st in merkle.aligned_subtrees(start, end):
            h = self.nodes.get(st)
            if h is None:
                raise NotFound(_("The ledger is missing a Merkle node; run `sunlit audit verify`."))
            hashes.append(h)
        return merkle.fold(hashes)


def _check_size(size: int, *, allow_zero: bool = False) -> None:
    current = ledger_size()
    if size < (0 if allow_zero else 1) or size > current:
        raise ValidationFailed(
            _("Tree size must be between %(low)d and %(high)d.")
            % {"low": 0 if allow_zero else 1, "high": current},
            code="bad_tree_size",
        )


def root_hash(size: int) -> bytes:
    """The Merkle root of the first ``size`` entries."""
    _check_size(size, allow_zero=True)
    if size == 0:
        return merkle.EMPTY_ROOT
    return _SubtreeStore([(0, size)]).mth(0, size)


def inclusion_proof(index: int, size: int) -> tuple[bytes, list[bytes]]:
    """``(leaf hash, audit path)`` proving entry ``index`` is in the tree of ``size`` entries."""
    _check_size(size)
    if not 0 <= index < size:
        raise ValidationFailed(_("The entry is not in a tree of that size."), code="bad_index")
    ranges = merkle.ranges_needed(lambda mth: merkle.inclusion_path(index, size, mth))
    store = _SubtreeStore([*ranges, (index, index + 1)])
    return store.mth(index, index + 1), merkle.inclusion_path(index, size, store.mth)


def consistency_proof(old: int, new: int) -> list[bytes]:
    """The RFC 6962 consistency proof between tree sizes ``old`` and ``new``."""
    _check_size(new)
    if not 0 < old <= new:
        raise ValidationFailed(_("The first size must be between 1 and the second."), code="bad_tree_size")
    ranges = merkle.ranges_needed(lambda mth: merkle.consistency_path(old, new, mth))
    store = _SubtreeStore(ranges)
    return merkle.consistency_path(old, new, store.mth)


def entry_index_for_leaf_hash(leaf_hash: bytes) -> int | None:
    seq = AuditEvent.objects.filter(leaf_hash=leaf_hash).values_list("seq", flat=True).first()
    return seq
