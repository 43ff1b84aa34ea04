"""``sunlit audit verify``: recompute the ledger and report the first bad entry.

From the last verified point (``LedgerVerification``; from the start with ``full=True``) the
events are streamed in seq order in chunks straight from a database cursor (no ORM objects), and
for each one the verifier checks that:

- the seq follows the previous one (a deleted or swapped entry breaks this or the chain);
- SHA-256(0x00 || leaf) equals the stored leaf hash (the content was not edited);
- SHA-256(previous chain || leaf hash) equals the stored chain hash;
- the leaf's own seq, prev, time, kind, actor, subject and region agree with the query columns;
- every stored Merkle node completed by the entry equals the hash recomputed from the leaves;
- every checkpoint taken at this size has the recomputed root and chain head.

Every checkpoint's Ed25519 signature is checked against the key file, checkpoints beyond the end
of the log reveal a truncated tail, and stored nodes beyond the end reveal forged ones.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import checkpoints, merkle
from .ledger import CHAIN_START
from .models import AuditEvent, Checkpoint, LedgerHead, LedgerVerification, MerkleNode

Progress = Callable[[int, int], None]  # (entries checked so far, entries to check)

CHUNK = 20_000


@dataclass
class Problem:
    seq: int | None  # the first bad entry, or None for a problem not tied to one entry
    reason: str

    def __str__(self) -> str:
        if self.seq is None:
            return self.reason
        return _("entry #%(seq)d: %(reason)s") % {"seq": self.seq, "reason": self.reason}


@dataclass
class VerifyReport:
    start: int  # first seq checked in this run
    size: int  # entries in the log
    checkpoints: int  # checkpoints whose root and signature were checked
    problem: Problem | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.problem is None


class _Failed(Exception):
    def __init__(self, seq: int | None, reason: str) -> None:
        self.problem = Problem(seq, reason)


def _time_sql(column: str) -> str:
    """SQL rendering a stored event time exactly as the leaf writes it (…SS.ffffffZ, UTC)."""
    if connection.vendor == "postgresql":
        return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
    if connection.vendor == "sqlite":
        return (
            f"replace(CASE WHEN instr({column}, '.') = 0 THEN {column} || '.000000' ELSE {column} END,"
            f" ' ', 'T') || 'Z'"
        )
    raise NotImplementedError(connection.vendor)


def _events_sql() -> str:
    """Entries in a seq range with a flag telling whether the query columns (and the previous
    entry's chain, as ``prev``) agree with the leaf. The database parses the JSON, in C."""
    t = AuditEvent._meta.db_table
    zeros = "0" * 64
    if connection.vendor == "postgresql":
        j = "convert_from(leaf, 'UTF8')::jsonb"
        checks = [
            "(j->>'seq') = seq::text",
            f"(j->>'time') = {_time_sql('time')}",
            "(j->>'kind') = kind",
            "(j->>'subject') = subject",
            "coalesce(j->>'region', '') = region_code",
            "(j#>>'{actor,id}') IS NOT DISTINCT FROM actor_id::text",
            "coalesce(j#>>'{actor,username}', '') = actor_username",
            f"(j->>'prev') = coalesce(encode(prev_chain, 'hex'), '{zeros}')",
        ]
        inner = f"{j} AS j, lag(chain) OVER (ORDER BY seq) AS prev_chain"
    else:
        checks = [
            "json_extract(j, '$.seq') IS seq",
            f"json_extract(j, '$.time') IS {_time_sql('time')}",
            "json_extract(j, '$.kind') IS kind",
            "json_extract(j, '$.subject') IS subject",
            "coalesce(json_extract(j, '$.region'), '') IS region_code",
            "json_extract(j, '$.actor.id') IS actor_id",
            "coalesce(json_extract(j, '$.actor.username'), '') IS actor_username",
            f"json_extract(j, '$.prev') IS CASE WHEN prev_chain IS NULL THEN '{zeros}' ELSE lower(hex(prev_chain)) END",
        ]
        inner = "CAST(leaf AS TEXT) AS j, lag(chain) OVER (ORDER BY seq) AS prev_chain"
    ok = " AND ".join(f"({c})" for c in checks)
    columns = "seq, leaf, leaf_hash, chain, time, kind, subject, region_code, actor_id, actor_username"
    # Only the model's table name and fixed SQL are interpolated; the bounds are parameters.
    return (
        f"SELECT seq, leaf, leaf_hash, chain, CASE WHEN {ok} THEN 1 ELSE 0 END"  # noqa: S608
        f" FROM (SELECT {columns}, {inner} FROM {t} WHERE seq >= %s AND seq < %s) AS e ORDER BY seq"
    )


def _nodes_between(low: int, high: int) -> dict[tuple[int, int], bytes]:
    """Stored nodes completed by entries low..high-1 (leaf_end in (low, high])."""
    rows = MerkleNode.objects.filter(leaf_end__gt=low, leaf_end__lte=high).values_list(
        "level", "index", "hash"
    )
    return {(lv, ix): bytes(h) for lv, ix, h in rows}


def _check_signatures(cps: list[Checkpoint], key: Ed25519PublicKey, key_id: str) -> None:
    for cp in cps:
        if cp.key_id != key_id:
            raise _Failed(
                None,
                _("checkpoint at tree size %(size)d names key %(kid)s, not the ledger key %(ours)s")
                % {"size": cp.tree_size, "kid": cp.key_id, "ours": key_id},
            )
        if not checkpoints.signature_valid(cp, key):
            raise _Failed(
                None, _("checkpoint at tree size %(size)d has a bad signature") % {"size": cp.tree_size}
            )


def ledger_verify(
    *, full: bool = False, progress: Progress | None = None, chunk: int = CHUNK
) -> VerifyReport:
    """Verify the ledger (incrementally unless ``full``); on success record how far it got."""
    started = time.perf_counter()
    state = None if full else LedgerVerification.objects.filter(pk=1).first()
    if state is not None:
        start, chain, frontier = state.size, bytes(state.chain), merkle.split_frontier(bytes(state.frontier))
        checked_cp = state.checkpoints_verified
    else:
        start, chain, frontier, checked_cp = 0, CHAIN_START, [], -1
    head_size = LedgerHead.objects.filter(pk=1).values_list("size", flat=True).first() or 0
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    size = 0 if last is None else last + 1
    cps = list(Checkpoint.objects.filter(tree_size__gt=checked_cp).order_by("tree_size"))
    pending = {cp.tree_size: cp for cp in cps}
    report = VerifyReport(start=start, size=size, checkpoints=0, problem=None, seconds=0.0)
    try:
        key = checkpoints.public_key()
        _check_signatures(cps, key, checkpoints.key_id_for(checkpoints.public_key_raw()))
        if start:
            boundary = AuditEvent.objects.filter(seq=start - 1).values_list("chain", flat=True).first()
            if boundary is None or bytes(boundary) != chain:
                raise _Failed(start - 1, _("changed since it was last verified (chain hash differs)"))
        if 0 in pending:
            _check_checkpoint(pending.pop(0), merkle.EMPTY_ROOT, CHAIN_START)
            report.checkpoints += 1
        chain, frontier, n = _stream(start, size, chain, frontier, pending, report, progress, chunk)
        _check_tail(n, head_size, pending)
    except _Failed as failed:
        report.problem = failed.problem
        report.seconds = time.perf_counter() - started
        return report
    LedgerVerification.objects.update_or_create(
        pk=1,
        defaults={
            "size": size,
            "chain": chain,
            "frontier": b"".join(frontier),
            "checkpoints_verified": max([checked_cp, *(cp.tree_size for cp in cps)]),
            "verified_at": timezone.now(),
        },
    )
    report.seconds = time.perf_counter() - started
    return report


def _check_checkpoint(cp: Checkpoint, root: bytes, chain: bytes) -> None:
    if bytes(cp.root_hash) != root:
        raise _Failed(
            cp.tree_size - 1 if cp.tree_size else None,
            _(
                "the Merkle root of the first %(size)d entries differs from the signed checkpoint: "
                "entries up to here were rewritten after it was signed"
            )
            % {"size": cp.tree_size},
        )
    if bytes(cp.chain_head) != chain:
        raise _Failed(
            cp.tree_size - 1 if cp.tree_size else None,
            _("the chain head differs from the signed checkpoint at tree size %(size)d")
            % {"size": cp.tree_size},
        )


def _stream(start, size, chain, frontier, pending, report, progress, chunk):
    """The hot loop: plain tuples from the driver's cursor, two SHA-256 per entry plus about one
    per tree node; the JSON-against-columns check is done by the database in the same query."""
    sha256 = hashlib.sha256
    node_hash = merkle.node_hash
    min_level = merkle.STORED_MIN_LEVEL
    sql = _events_sql()
    next_cp = min(pending, default=-1)
    n = start
    with transaction.atomic(), connection.cursor() as cursor:  # one consistent snapshot
        for low in range(start, size, chunk):
            high = min(low + chunk, size)
            nodes = _nodes_between(low, high)
            # One entry before the chunk so the database can compare the first leaf's "prev".
            cursor.execute(sql, [max(low - 1, 0), high])
            rows = cursor.cursor.fetchall()
            if low and rows and rows[0][0] == low - 1:
                del rows[0]
            for seq, leaf, stored_lh, stored_chain, columns_ok in rows:
                if seq != n:
                    raise _Failed(n, _("missing: the next entry in the log is #%(seq)d") % {"seq": seq})
                lh = sha256(b"\x00" + leaf).digest()
                if lh != stored_lh:
                    raise _Failed(n, _("its content does not match its leaf hash (the entry was edited)"))
                chain = sha256(chain + lh).digest()
                if chain != stored_chain:
                    raise _Failed(
                        n, _("its chain hash is wrong (entries were removed, inserted or reordered)")
                    )
                if not columns_ok:
                    raise _Failed(
                        n, _("its columns disagree with its signed-over content (a column was edited)")
                    )
                # Merkle frontier: merge the subtrees this leaf completes, compare those stored.
                if n & 1:
                    h, level, m = lh, 0, n
                    while m & 1:
                        h = node_hash(frontier.pop(), h)
                        level += 1
                        m >>= 1
                        if level >= min_level:
                            _check_node(nodes, level, n, h)
                    frontier.append(h)
                else:
                    frontier.append(lh)
                n += 1
                if n == next_cp:
                    _check_checkpoint(pending.pop(n), merkle.frontier_root(frontier), chain)
                    report.checkpoints += 1
                    next_cp = min(pending, default=-1)
            if n != high:
                raise _Failed(n, _("missing: the log ends before entry #%(seq)d") % {"seq": high - 1})
            if nodes:
                (level, index), _h = min(nodes.items())
                raise _Failed(
                    ((index + 1) << level) - 1,
                    _("a Merkle node L%(level)d[%(index)d] is stored that the entries do not produce")
                    % {"level": level, "index": index},
                )
            if progress is not None:
                progress(n - start, size - start)
    return chain, frontier, n


def _check_node(nodes: dict[tuple[int, int], bytes], level: int, n: int, h: bytes) -> None:
    index = ((n + 1) >> level) - 1
    stored = nodes.pop((level, index), None)
    if stored != h:
        what = _("missing") if stored is None else _("wrong")
        raise _Failed(
            n,
            _("Merkle node L%(level)d[%(index)d] over entries #%(first)d–#%(last)d is %(what)s")
            % {"level": level, "index": index, "first": index << level, "last": n, "what": what},
        )


def _check_tail(n: int, head_size: int, pending: dict[int, Checkpoint]) -> None:
    if pending:
        cp = min(pending.values(), key=lambda c: c.tree_size)
        raise _Failed(
            n,
            _("missing: a checkpoint was signed at tree size %(size)d but the log holds %(n)d entries")
            % {"size": cp.tree_size, "n": n},
        )
    if head_size > n:
        raise _Failed(n, _("missing: the ledger head counts %(size)d entries") % {"size": head_size})
    extra = (
        MerkleNode.objects.filter(leaf_end__gt=n).order_by("leaf_end").values_list("level", "index").first()
    )
    if extra is not None:
        level, index = extra
        raise _Failed(
            None,
            _("a Merkle node L%(level)d[%(index)d] is stored beyond the end of the log")
            % {"level": level, "index": index},
        )
