"""RFC 6962 Merkle tree hashing and proofs, independent of storage.

Leaf hash ``SHA-256(0x00 || leaf)``, node hash ``SHA-256(0x01 || left || right)``; the root of the
empty tree is ``SHA-256("")``. Proof algorithms take ``mth(start, end)``, a function giving the
Merkle Tree Hash of leaves ``[start, end)``; the ledger answers it from stored aligned subtrees.
Every range the algorithms ask for decomposes (``aligned_subtrees``) into complete subtrees whose
start is a multiple of their size, which is what the ledger stores.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

# Subtrees of fewer than 2**STORED_MIN_LEVEL leaves are not stored; they are rehashed from at most
# 16 leaf hashes. This keeps the node table at ~n/16 rows while proofs still need O(log n) reads.
STORED_MIN_LEVEL = 4

MTH = Callable[[int, int], bytes]


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def aligned_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """The complete aligned subtrees ``(level, index)`` whose hashes give MTH of ``[start, end)``
    following RFC 6962's split (``start`` must be a multiple of the largest power of two <= size)."""
    out: list[tuple[int, int]] = []
    while end > start:
        size = end - start
        if size & (size - 1) == 0 and start % size == 0:
            level = size.bit_length() - 1
            out.append((level, start >> level))
            break
        k = split_point(size)
        level = k.bit_length() - 1
        out.append((level, start >> level))
        start += k
    return out


def fold(hashes: list[bytes]) -> bytes:
    """Combine the hashes of ``aligned_subtrees`` (left to right) into the range's MTH."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def mth_of_leaf_hashes(hashes: list[bytes]) -> bytes:
    """MTH of a list of leaf hashes, by the RFC's recursive definition (used for small ranges)."""
    n = len(hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return hashes[0]
    k = split_point(n)
    return node_hash(mth_of_leaf_hashes(hashes[:k]), mth_of_leaf_hashes(hashes[k:]))


# --- Proofs (RFC 6962 §2.1.1 PATH and §2.1.2 SUBPROOF) over an mth(start, end) oracle ---


def inclusion_path(index: int, size: int, mth: MTH) -> list[bytes]:
    """The audit path for leaf ``index`` in the tree of the first ``size`` leaves."""
    if not 0 <= index < size:
        raise ValueError("index outside the tree")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index - start < k:
            path.append(mth(start + k, end))
            end = start + k
        else:
            path.append(mth(start, start + k))
            start += k
    path.reverse()  # RFC order: from the leaf's sibling up to the root's child
    return path


def consistency_path(old: int, new: int, mth: MTH) -> list[bytes]:
    """The consistency proof between tree sizes ``old`` and ``new`` (0 < old <= new)."""
    if not 0 < old <= new:
        raise ValueError("sizes must satisfy 0 < old <= new")
    proof: list[bytes] = []
    start, end, m, complete = 0, new, old, True
    while True:
        n = end - start
        if m == n:
            if not complete:
                proof.append(mth(start, end))
            break
        k = split_point(n)
        if m <= k:
            proof.append(mth(start + k, end))
            end = start + k
        else:
            proof.append(mth(start, start + k))
            start += k
            m -= k
            complete = False
    proof.reverse()
    return proof


def ranges_needed(run: Callable[[MTH], object]) -> list[tuple[int, int]]:
    """Run a proof algorithm with a recording oracle and return the ranges it asks for."""
    asked: list[tuple[int, int]] = []

    def record(start: int, end: int) -> bytes:
        asked.append((start, end))
        return bytes(HASH_SIZE)

    run(record)
    return asked


# --- Verification (RFC 9162 §2.1.3.2 and §2.1.4.2 algorithms, valid for RFC 6962 proofs) ---


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Iterable[bytes]) -> bytes | None:
    """The root implied by an inclusion proof, or None when the proof has the wrong shape."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(index: int, size: int, leaf: bytes, path: list[bytes], root: bytes) -> bool:
    return root_from_inclusion(index, size, leaf, path) == root


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]) -> bool:
    if old == new:
        return old_root == new_root and not proof
    if not 0 < old < new or not proof:
        return old == 0 and not proof  # the empty tree is consistent with every tree
    path = list(proof)
    if old & (old - 1) == 0:  # old is a power of two: its root is the first node
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


# --- The frontier: hashes of the complete subtrees on the right edge of a tree of size n ---


def frontier_levels(size: int) -> list[int]:
    """Levels of the frontier subtrees, largest first (the set bits of ``size``)."""
    return [b for b in range(size.bit_length() - 1, -1, -1) if size >> b & 1]


def frontier_push(size: int, frontier: list[bytes], leaf: bytes) -> list[tuple[int, int, bytes]]:
    """Append leaf hash ``leaf`` to a tree of ``size`` leaves whose frontier is ``frontier``
    (modified in place). Returns the subtrees completed by it as ``(level, index, hash)``."""
    completed = []
    h, level, n = leaf, 0, size
    while n & 1:
        h = node_hash(frontier.pop(), h)
        level += 1
        n >>= 1
        completed.append((level, (size + 1 >> level) - 1, h))
    frontier.append(h)
    return completed


def frontier_root(frontier: list[bytes]) -> bytes:
    return fold(frontier) if frontier else EMPTY_ROOT


def split_frontier(data: bytes) -> list[bytes]:
    return [bytes(data[i : i + HASH_SIZE]) for i in range(0, len(data), HASH_SIZE)]
