"""``sunlit audit verify``: recompute the ledger and report the first bad entry.

From the last verified point (``LedgerVerification``; from the start with ``full=True``) the log is
cut into chunks that are aligned Merkle subtrees (a power of two entries, starting at a multiple
of it) and every chunk is checked on its own, in worker processes when there are many entries:

- the seqs follow each other (a deleted or swapped entry breaks this or the chain);
- SHA-256(0x00 || leaf) equals the stored leaf hash (the content was not edited);
- SHA-256(stored chain of the previous entry || leaf hash) equals the stored chain hash — each
  entry needs only its predecessor's row, and by induction the stored chain is the chain;
- the leaf's own seq, prev, time, kind, actor, subject and region agree with the query columns
  (one set-based SQL statement per chunk, which compares bytes rebuilt from the columns with the
  start and end of the leaf and parses the JSON only where they differ);
- every stored Merkle node inside the chunk equals the hash recomputed from its leaves.

The main process then merges the chunks' subtree roots in order (checking the stored nodes above
them), checks every checkpoint's root and chain head, and reports the problem at the lowest seq.
Every checkpoint's Ed25519 signature is checked against the key file, checkpoints beyond the end
of the log reveal a truncated tail, and stored nodes beyond the end reveal forged ones.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import time
from binascii import hexlify
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import checkpoints, merkle
from .ledger import CHAIN_START
from .models import AuditEvent, Checkpoint, LedgerHead, LedgerVerification, MerkleNode

Progress = Callable[[int, int], None]  # (entries checked so far, entries to check)

CHUNK = 1 << 14  # entries per chunk at most; chunks are aligned subtrees, so a power of two
MIN_CHUNK = 1 << 10  # ... and at least this many when the work is spread over processes
PARALLEL_MIN = 1 << 13  # fewer entries than this are checked in-process (forking costs more)


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
    workers: int = 1  # processes that hashed the entries

    @property
    def ok(self) -> bool:
        return self.problem is None


class _Failed(Exception):
    def __init__(self, seq: int | None, reason: str) -> None:
        self.problem = Problem(seq, reason)


# Problems found in a chunk travel as (seq, code, params) and are worded in the main process. At
# one seq, codes are in the order a sequential pass meets them.
_GAP, _LEAF, _CHAIN, _COLUMNS, _NODE, _CHECKPOINT, _SHORT, _STRAY = range(8)


def _reason(code: int, params: dict) -> str:
    if code == _GAP:
        return _("missing: the next entry in the log is #%(seq)d") % params
    if code == _SHORT:
        return _("missing: the log ends before entry #%(seq)d") % params
    if code == _LEAF:
        return _("its content does not match its leaf hash (the entry was edited)")
    if code == _CHAIN:
        return _("its chain hash is wrong (entries were removed, inserted or reordered)")
    if code == _COLUMNS:
        return _("its columns disagree with its signed-over content (a column was edited)")
    if code == _NODE:
        what = _("missing") if params["missing"] else _("wrong")
        return _("Merkle node L%(level)d[%(index)d] over entries #%(first)d–#%(last)d is %(what)s") % {
            **params,
            "what": what,
        }
    if code == _STRAY:
        return _("a Merkle node L%(level)d[%(index)d] is stored that the entries do not produce") % params
    raise ValueError(code)


# --- SQL ---


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


def _entries_sql() -> str:
    t = AuditEvent._meta.db_table
    return f"SELECT seq, leaf, leaf_hash, chain FROM {t} WHERE seq >= %s AND seq < %s ORDER BY seq"  # noqa: S608


def _columns_sql() -> str:
    """The first seq in [low, high) whose query columns disagree with its leaf (parameters: low,
    high). One statement per chunk; the database parses each leaf once, in C, and compares the
    leaf's fields with the columns all at once; only where that fails does it compare them one by
    one as the definitive test. (The leaf's "prev" is compared with the chain by the hashing loop.)
    """
    t = AuditEvent._meta.db_table
    time_sql = _time_sql("time")
    username = "CASE WHEN actor_id IS NULL AND actor_username = '' THEN NULL ELSE actor_username END"
    if connection.vendor == "postgresql":
        fields = "jsonb_build_array(j->'seq', j->'time', j->'kind', j->'subject', j->'region', j#>'{actor,id}', j#>'{actor,username}')"
        columns = f"jsonb_build_array(seq, {time_sql}, kind, subject, nullif(region_code, ''), actor_id, {username})"
        slow = [
            "(j->>'seq') = seq::text",
            f"(j->>'time') = {time_sql}",
            "(j->>'kind') = kind",
            "(j->>'subject') = subject",
            "coalesce(j->>'region', '') = region_code",
            "(j#>>'{actor,id}') IS NOT DISTINCT FROM actor_id::text",
            "coalesce(j#>>'{actor,username}', '') = actor_username",
        ]
        # OFFSET 0 keeps the subquery, so each leaf is parsed once.
        source = (
            f"(SELECT seq, time, kind, subject, region_code, actor_id, actor_username,"  # noqa: S608
            f" convert_from(leaf, 'UTF8')::jsonb AS j FROM {t} WHERE seq >= %s AND seq < %s OFFSET 0) AS e"
        )
    else:
        fields = (
            "json_extract(j, '$.seq', '$.time', '$.kind', '$.subject', '$.region', '$.actor.id',"
            " '$.actor.username')"
        )
        columns = f"json_array(seq, {time_sql}, kind, subject, nullif(region_code, ''), actor_id, {username})"
        slow = [
            "json_extract(j, '$.seq') IS seq",
            f"json_extract(j, '$.time') IS {time_sql}",
            "json_extract(j, '$.kind') IS kind",
            "json_extract(j, '$.subject') IS subject",
            "coalesce(json_extract(j, '$.region'), '') IS region_code",
            "json_extract(j, '$.actor.id') IS actor_id",
            "coalesce(json_extract(j, '$.actor.username'), '') IS actor_username",
        ]
        fields = fields.replace("json_extract(j,", "json_extract(CAST(leaf AS TEXT),")
        slow = [c.replace("json_extract(j,", "json_extract(CAST(leaf AS TEXT),") for c in slow]
        source = f"{t} WHERE seq >= %s AND seq < %s"
    ok = " AND ".join(f"({c})" for c in slow)
    test = f"NOT coalesce({fields} = {columns}, false) AND NOT coalesce({ok}, false)"
    # Only the model's table name and fixed SQL are interpolated; the bounds are parameters.
    if connection.vendor == "postgresql":
        return f"SELECT min(seq) FROM {source} WHERE {test}"  # noqa: S608
    return f"SELECT min(seq) FROM {source} AND {test}"  # noqa: S608


def _fetch(sql: str, params: list) -> list[tuple]:
    """Rows as plain tuples from the driver (PostgreSQL: binary format, so bytea is not hex)."""
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        import psycopg

        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, params, binary=True)
            return cursor.fetchall()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.cursor.fetchall()


def _nodes_between(low: int, high: int) -> dict[tuple[int, int], bytes]:
    """Stored nodes completed by entries low..high-1 (leaf_end in (low, high])."""
    rows = MerkleNode.objects.filter(leaf_end__gt=low, leaf_end__lte=high).values_list(
        "level", "index", "hash"
    )
    return {(lv, ix): bytes(h) for lv, ix, h in rows}


# --- One chunk: runs in a worker process (or in-process), reads its own rows ---


@dataclass
class _Task:
    low: int
    high: int
    prev: bytes | None  # chain before ``low``; None: read it from entry low - 1
    frontier: list[bytes]  # the global frontier at ``low`` (global mode) or [] (local mode)
    local: bool  # ``low`` is a multiple of the chunk size: compute the chunk's own subtrees
    checkpoint_sizes: list[int]  # checkpoints taken at sizes in (low, high]


@dataclass
class _Chunk:
    task: _Task
    problem: tuple[int, int, dict] | None = None  # (seq, code, params)
    columns_bad: int | None = None
    frontier: list[bytes] = field(default_factory=list)  # at ``high`` (local or global, as the task)
    chain: bytes = b""  # the stored chain of entry high - 1, now verified
    checkpoints: list[tuple[int, list[bytes], bytes]] = field(default_factory=list)
    nodes: dict[tuple[int, int], bytes] = field(default_factory=dict)  # stored, not produced here


def _check_chunk(task: _Task) -> _Chunk:
    low, high = task.low, task.high
    out = _Chunk(task)
    nodes = _nodes_between(low, high)
    out.columns_bad = _fetch(_columns_sql(), [low, high])[0][0]
    rows = _fetch(_entries_sql(), [low if task.prev is not None else low - 1, high])
    prev = task.prev
    skip = 0
    if prev is None:
        if rows and rows[0][0] == low - 1:
            prev, skip = rows[0][3], 1
        else:
            prev = b""  # entry low - 1 is missing: the chunk before reports it
    out.problem = _hash_entries(islice(rows, skip, None), task, prev, nodes, out)
    if out.problem is not None and out.problem[1] == _SHORT:  # worded as a sequential pass would
        after = (
            AuditEvent.objects.filter(seq__gte=out.problem[0]).order_by("seq").values_list("seq", flat=True)
        )
        if (following := after.first()) is not None:
            out.problem = (out.problem[0], _GAP, {"seq": following})
    out.nodes = nodes
    return out


def _hash_entries(rows, task: _Task, prev: bytes, nodes: dict, out: _Chunk):
    """The hot loop: plain tuples, two SHA-256 per entry plus about one per tree node."""
    sha256 = hashlib.sha256
    min_level = merkle.STORED_MIN_LEVEL
    low, high = task.low, task.high
    offset = low if task.local else 0  # merges follow the bits of (n - offset)
    frontier = list(task.frontier)
    sizes = iter([*sorted(task.checkpoint_sizes), -1])
    next_cp = next(sizes)
    n = low
    for seq, leaf, stored_lh, stored_chain in rows:
        if seq != n:
            return (n, _GAP, {"seq": seq})
        lh = sha256(b"\x00" + leaf).digest()
        if lh != stored_lh:
            return (n, _LEAF, {})
        if sha256(prev + lh).digest() != stored_chain:
            return (n, _CHAIN, {})
        i = leaf.rfind(b'"prev":"') + 8
        if leaf[i : i + 64] != hexlify(prev) and _prev_of(leaf) != prev.hex():
            return (n, _COLUMNS, {})
        prev = stored_chain
        if n & 1:
            h = sha256(b"\x01" + frontier.pop() + lh).digest()
            level, m = 1, (n - offset) >> 1
            while m & 1:
                h = sha256(b"\x01" + frontier.pop() + h).digest()
                level += 1
                m >>= 1
                if level >= min_level:
                    problem = _check_node(nodes, level, n, h)
                    if problem:
                        return problem
            frontier.append(h)
        else:
            frontier.append(lh)
        n += 1
        if n == next_cp:
            out.checkpoints.append((n, list(frontier), prev))
            next_cp = next(sizes)
    out.frontier, out.chain = frontier, prev
    if n != high:
        return (n, _SHORT, {"seq": high - 1})
    return None


def _prev_of(leaf: bytes) -> str | None:
    """The leaf's "prev" field, parsed: the definitive test where the quick look-up disagrees."""
    try:
        record = json.loads(leaf)
    except ValueError:
        return None
    return record.get("prev") if isinstance(record, dict) else None


def _check_node(nodes: dict[tuple[int, int], bytes], level: int, n: int, h: bytes):
    index = ((n + 1) >> level) - 1
    stored = nodes.pop((level, index), None)
    if stored == h:
        return None
    params = {"level": level, "index": index, "first": index << level, "last": n, "missing": stored is None}
    return (n, _NODE, params)


def _worker_init() -> None:
    """In a forked worker: the parent closed its connection before forking, so this process opens
    its own; close it cleanly when the worker exits."""
    from multiprocessing.util import Finalize

    Finalize(None, connection.close, exitpriority=10)


@contextmanager
def _results(tasks: list[_Task], workers: int) -> Iterator[Iterator[_Chunk]]:
    """The chunks' results in order, computed here or by ``workers`` forked processes."""
    if workers <= 1:
        yield map(_check_chunk, tasks)
        return
    connection.close()  # never share the parent's connection with the children
    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("fork"), initializer=_worker_init
    )
    try:
        yield pool.map(_check_chunk, tasks)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _default_workers() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, cpus)


def _can_fork() -> bool:
    """Worker processes see only committed rows of a database they can open themselves."""
    if connection.in_atomic_block or "fork" not in multiprocessing.get_all_start_methods():
        return False
    if connection.vendor == "sqlite":
        return not connection.is_in_memory_db()
    return connection.vendor == "postgresql"


def _plan(start, size, chain, frontier, pending, chunk) -> list[_Task]:
    tasks = []
    low = start
    while low < size:
        local = low % chunk == 0
        high = min(size, (low // chunk + 1) * chunk)
        tasks.append(
            _Task(
                low=low,
                high=high,
                prev=chain if low == start else None,
                frontier=[] if local else list(frontier),
                local=local,
                checkpoint_sizes=[s for s in pending if low < s <= high],
            )
        )
        low = high
    return tasks


# --- The run ---


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
    *,
    full: bool = False,
    progress: Progress | None = None,
    chunk: int | None = None,
    workers: int | None = None,
) -> VerifyReport:
    """Verify the ledger (incrementally unless ``full``); on success record how far it got.

    ``chunk``: entries per chunk (rounded down to a power of two; default: enough chunks to keep
    the workers busy, at most ``CHUNK``). ``workers``: processes hashing chunks (default 1: this
    process; 0: one per CPU when there are at least ``PARALLEL_MIN`` entries; always 1 inside a
    transaction, as workers see committed rows only).
    """
    started = time.perf_counter()
    state = None if full else LedgerVerification.objects.filter(pk=1).first()
    if state is not None:
        start, chain, frontier = state.size, bytes(state.chain), merkle.split_frontier(bytes(state.frontier))
        checked_cp = state.checkpoints_verified
    else:
        start, chain, frontier, checked_cp = 0, CHAIN_START, [], -1
    with transaction.atomic():  # SQLite: one snapshot of where the log ends
        head_size = LedgerHead.objects.filter(pk=1).values_list("size", flat=True).first() or 0
        last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
        size = 0 if last is None else last + 1
        extra = (
            MerkleNode.objects.filter(leaf_end__gt=size)
            .order_by("leaf_end")
            .values_list("level", "index")
            .first()
        )
    cps = list(Checkpoint.objects.filter(tree_size__gt=checked_cp).order_by("tree_size"))
    pending = {cp.tree_size: cp for cp in cps}
    report = VerifyReport(start=start, size=size, checkpoints=0, problem=None, seconds=0.0)
    todo = size - start
    if workers is None:  # measured: on a loaded 2-core machine forking lost (docs/benchmarks.md)
        workers = 1
    elif workers == 0:
        workers = _default_workers() if todo >= PARALLEL_MIN else 1
    if workers > 1 and not _can_fork():
        workers = 1
    if chunk is None:
        chunk = min(CHUNK, max(MIN_CHUNK, todo // (4 * workers))) if workers > 1 else CHUNK
    chunk = 1 << (max(chunk, 2).bit_length() - 1)  # >= 2: a chunk starts at an even seq
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
        tasks = _plan(start, size, chain, frontier, pending, chunk)
        report.workers = min(workers, len(tasks)) or 1
        with _results(tasks, report.workers) as results:
            for result in results:
                chain, frontier = _merge(result, chain, frontier, pending, report)
                if progress is not None:
                    progress(result.task.high - start, todo)
        _check_tail(size, head_size, pending, extra)
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


def _merge(result: _Chunk, chain: bytes, frontier: list[bytes], pending: dict, report: VerifyReport):
    """Fold one chunk's result into the running state (chunks arrive in seq order); raise the
    chunk's first problem, by seq."""
    task = result.task
    problems = []
    if result.problem is not None:
        problems.append(result.problem)
    if result.columns_bad is not None:
        problems.append((result.columns_bad, _COLUMNS, {}))
    for size, fr, cp_chain in result.checkpoints:
        # In local mode the frontier at ``size`` is the one at ``low`` followed by the chunk's; a
        # whole chunk's root may still have to merge with the last of them, which fold() does.
        root = merkle.frontier_root(frontier + fr if task.local else fr)
        problem = _checkpoint_problem(pending.get(size), root, cp_chain)
        if problem is not None:
            problems.append(problem)
    if result.problem is None:
        chain = result.chain
        frontier = _merge_frontier(frontier, result, problems) if task.local else result.frontier
        if result.nodes:
            (level, index), _h = min(result.nodes.items())
            problems.append((((index + 1) << level) - 1, _STRAY, {"level": level, "index": index}))
    if problems:
        seq, code, params = min(problems, key=lambda p: (p[0], p[1]))
        raise _Failed(seq, params["reason"] if code == _CHECKPOINT else _reason(code, params))
    for size, _fr, _c in result.checkpoints:
        pending.pop(size, None)
        report.checkpoints += 1
    return chain, frontier


def _merge_frontier(before: list[bytes], result: _Chunk, problems: list) -> list[bytes]:
    task = result.task
    span = task.high - task.low
    if span & (span - 1) or len(result.frontier) != 1:
        return before + result.frontier  # the last, partial chunk: its subtrees are all smaller
    # A whole chunk is one subtree of level k: push it onto the frontier as frontier_push does,
    # checking the stored nodes it completes above the chunk.
    frontier = list(before)
    h, level, m, n = result.frontier[0], span.bit_length() - 1, task.low // span, task.high - 1
    while m & 1:
        h = merkle.node_hash(frontier.pop(), h)
        level += 1
        m >>= 1
        if level >= merkle.STORED_MIN_LEVEL:
            problem = _check_node(result.nodes, level, n, h)
            if problem is not None:
                problems.append(problem)
                break
    frontier.append(h)
    return frontier


def _checkpoint_problem(cp: Checkpoint | None, root: bytes, chain: bytes):
    if cp is None:
        return None
    try:
        _check_checkpoint(cp, root, chain)
    except _Failed as failed:
        return (failed.problem.seq, _CHECKPOINT, {"reason": failed.problem.reason})
    return None


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


def _check_tail(n: int, head_size: int, pending: dict[int, Checkpoint], extra) -> None:
    if pending:
        cp = min(pending.values(), key=lambda c: c.tree_size)
        raise _Failed(
            n,
            _("missing: a checkpoint was signed at tree size %(size)d but the log holds %(n)d entries")
            % {"size": cp.tree_size, "n": n},
        )
    if head_size > n:
        raise _Failed(n, _("missing: the ledger head counts %(size)d entries") % {"size": head_size})
    if extra is not None:
        level, index = extra
        raise _Failed(
            None,
            _("a Merkle node L%(level)d[%(index)d] is stored beyond the end of the log")
            % {"level": level, "index": index},
        )
