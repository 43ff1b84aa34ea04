"""Appending many ledger events at once: the rows :func:`sunlit.core.ledger.ledger_append` writes,
computed in Python and inserted with ``bulk_create``.

For generated history (``sunlit demo --scale city``) and other bulk loads. :class:`BulkLedger` is
opened inside the caller's transaction, takes the same lock as ``ledger_append`` (SQLite: the
IMMEDIATE transaction's writer lock; PostgreSQL: the advisory lock) and reads the head once. Each
:meth:`BulkLedger.append` builds the leaf exactly as ``ledger_append`` does (same RFC 8785 record,
leaf hash, chain, completed Merkle nodes from ``merkle.STORED_MIN_LEVEL`` up, random PII salts);
:meth:`BulkLedger.flush` inserts the rows and moves the head with a conditional update that refuses
(:class:`LedgerMoved`) if the head is no longer the one read — another writer appended meanwhile —
so the caller's transaction rolls back instead of forking the log.

The leaf is canonicalised by :func:`canonical_json`, a fast path over :mod:`json` that is
byte-identical to ``rfc8785.dumps`` for the values events carry (str, int, bool, None, dict, list
and integral floats); anything else goes to ``rfc8785`` itself.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime
from typing import Any

import rfc8785
from django.db import transaction

from . import events, merkle
from .ledger import LEAF_VERSION, _lock_head, _plain_json, format_time, pii_commitment
from .models import AuditEvent, LedgerHead, MerkleNode, PiiSalt

BATCH_SIZE = 5000
_MAX_SAFE = 2**53 - 1  # RFC 8785 numbers are IEEE doubles: larger integers are refused


class LedgerMoved(RuntimeError):
    """The ledger head changed while a bulk append held it: another writer appended."""


class _NotPlain(Exception):
    pass


def _prepare(value: Any) -> Any:
    """``value`` with integral floats as ints; raise _NotPlain for anything the fast path does
    not render exactly as RFC 8785 (other floats, huge ints, non-BMP keys, other types)."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        if -_MAX_SAFE <= value <= _MAX_SAFE:
            return value
        raise _NotPlain
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str or (not key.isascii() and max(key) > "\uffff"):
                raise _NotPlain  # json sorts by code point, RFC 8785 by UTF-16 unit: same in the BMP
            out[key] = _prepare(item)
        return out
    if kind is list:
        return [_prepare(item) for item in value]
    if kind is float:
        if value.is_integer() and -_MAX_SAFE <= value <= _MAX_SAFE:
            return int(value)  # ES6 Number::toString of an integral double is its integer digits
        raise _NotPlain
    raise _NotPlain


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False).encode


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON of ``value``, byte-identical to ``rfc8785.dumps(value)``.

    Strings are written as RFC 8785 writes them (UTF-8, only ``"``, ``\\`` and control characters
    escaped, the short escapes ``\\b \\t \\n \\f \\r`` and lowercase ``\\u00xx`` otherwise) — which is
    what ``json`` does with ``ensure_ascii=False``; keys are sorted by code point, which equals
    UTF-16 order for keys inside the Basic Multilingual Plane.
    """
    try:
        return _dumps(_prepare(value)).encode("utf-8")
    except (_NotPlain, UnicodeEncodeError, ValueError):
        return rfc8785.dumps(value)


class BulkLedger:
    """Many appends inside one transaction; rows are written by :meth:`flush` (call it before the
    transaction commits; :meth:`flush` may be called several times)."""

    def __init__(self, *, notify: bool = False, batch_size: int = BATCH_SIZE) -> None:
        connection = transaction.get_connection()
        if not connection.in_atomic_block:
            raise transaction.TransactionManagementError("BulkLedger must run inside transaction.atomic()")
        head = _lock_head()
        self._read_size = head.size
        self._read_chain = bytes(head.chain)
        self.size = head.size
        self.chain = bytes(head.chain)
        self.frontier = merkle.split_frontier(bytes(head.frontier))
        self.notify = notify  # call the after-commit listeners (supervision) for every event
        self.batch_size = batch_size
        self._events: list[AuditEvent] = []
        self._nodes: list[MerkleNode] = []
        self._salts: list[PiiSalt] = []
        self._notices: list[tuple[str, str]] = []

    def append(
        self,
        *,
        kind: str,
        time: datetime,
        subject: str,
        payload: dict,
        actor_id: int | None = None,
        actor_username: str = "",
        region_code: str = "",
        pii: dict[str, str] | None = None,
        plain: bool = False,
    ) -> int:
        """Append one event at ``time`` (an aware datetime: the events' own times, in order) and
        return its seq. ``plain=True`` promises ``payload`` is already plain JSON (what
        ``ledger._plain_json`` returns), which skips a JSON round trip."""
        if not kind or not isinstance(kind, str):
            raise ValueError("kind must be a non-empty string")
        if not subject or not isinstance(subject, str):
            raise ValueError("subject must be a non-empty string")
        seq = self.size
        commitments: dict[str, str] = {}
        if pii:
            for name in sorted(pii):
                salt = secrets.token_bytes(32)
                commitments[str(name)] = pii_commitment(salt, str(pii[name]))
                self._salts.append(PiiSalt(seq=seq, name=str(name), salt=salt))
        record = {
            "v": LEAF_VERSION,
            "seq": seq,
            "time": format_time(time),
            "kind": kind,
            "actor": None if actor_id is None else {"id": actor_id, "username": actor_username},
            "subject": subject,
            "region": region_code or None,
            "payload": payload if plain else _plain_json(payload),
            "pii": commitments,
            "prev": self.chain.hex(),
        }
        leaf = canonical_json(record)
        lh = hashlib.sha256(b"\x00" + leaf).digest()
        chain = hashlib.sha256(self.chain + lh).digest()
        self._events.append(
            AuditEvent(
                seq=seq,
                time=time,
                kind=kind,
                actor_id=actor_id,
                actor_username=actor_username if actor_id is not None else "",
                subject=subject,
                region_code=region_code,
                leaf=leaf,
                leaf_hash=lh,
                chain=chain,
            )
        )
        for level, index, h in merkle.frontier_push(seq, self.frontier, lh):
            if level >= merkle.STORED_MIN_LEVEL:
                self._nodes.append(
                    MerkleNode(level=level, index=index, leaf_end=(index + 1) << level, hash=h)
                )
        self.size = seq + 1
        self.chain = chain
        if self.notify:
            self._notices.append((kind, subject))
        return seq

    @property
    def pending(self) -> int:
        return len(self._events)

    def flush(self) -> int:
        """Insert the appended rows and move the head; returns how many events were written.
        Raises :class:`LedgerMoved` (so the transaction should roll back) if the head moved."""
        written = len(self._events)
        if not written:
            return 0
        AuditEvent.objects.bulk_create(self._events, batch_size=self.batch_size)
        if self._nodes:
            MerkleNode.objects.bulk_create(self._nodes, batch_size=self.batch_size)
        if self._salts:
            PiiSalt.objects.bulk_create(self._salts, batch_size=self.batch_size)
        moved = LedgerHead.objects.filter(pk=1, size=self._read_size, chain=self._read_chain).update(
            size=self.size, chain=self.chain, frontier=b"".join(self.frontier)
        )
        if moved != 1:
            raise LedgerMoved("the ledger head moved during a bulk append; nothing was written")
        for kind, subject in self._notices:
            events.appended(kind, subject)
        self._events, self._nodes, self._salts, self._notices = [], [], [], []
        self._read_size, self._read_chain = self.size, self.chain
        return written
