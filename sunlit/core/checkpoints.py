"""Signed checkpoints (signed tree heads) of the ledger.

A checkpoint fixes the ledger at a tree size: the Merkle root, the chain head and a timestamp,
signed with an Ed25519 key kept in a key file outside the database (sunlit/core/keys.py,
``settings.SUNLIT_LEDGER_KEY_FILE`` in ``settings.SUNLIT_KEYS_DIR``). Whoever holds only the
database cannot forge one. The signed message is a short text (docs/ledger.md)::

    sunlit-ledger-checkpoint/v1
    tree_size 1234
    root_hash <64 hex>
    chain_head <64 hex>
    timestamp 2026-11-24T16:07:25.468078Z
    key_id <16 hex>
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import keys, merkle
from .ledger import _lock_head, format_time, root_hash
from .models import Checkpoint

CHECKPOINT_HEADER = "sunlit-ledger-checkpoint/v1"


def _key_file_name() -> str:
    return getattr(settings, "SUNLIT_LEDGER_KEY_FILE", "ledger-ed25519.pem")


def _new_key_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@lru_cache(maxsize=4)
def _load_private_key(path: str, mtime_ns: int) -> Ed25519PrivateKey:
    with open(path, "rb") as fh:
        key = serialization.load_pem_private_key(fh.read(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def signing_key() -> Ed25519PrivateKey:
    name = _key_file_name()
    keys.raw_key_file(name, _new_key_pem)  # created on first use
    path = keys.key_path(name)
    return _load_private_key(str(path), path.stat().st_mtime_ns)


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def public_key_raw() -> bytes:
    return public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_pem() -> str:
    return (
        public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def key_id_for(raw_public_key: bytes) -> str:
    """First 8 bytes (16 hex) of SHA-256 of the raw 32-byte public key."""
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


def checkpoint_body(
    *, tree_size: int, root: bytes, chain_head: bytes, timestamp: datetime, key_id: str
) -> bytes:
    return (
        f"{CHECKPOINT_HEADER}\n"
        f"tree_size {tree_size}\n"
        f"root_hash {bytes(root).hex()}\n"
        f"chain_head {bytes(chain_head).hex()}\n"
        f"timestamp {format_time(timestamp)}\n"
        f"key_id {key_id}\n"
    ).encode("ascii")


def body_of(checkpoint: Checkpoint) -> bytes:
    return checkpoint_body(
        tree_size=checkpoint.tree_size,
        root=bytes(checkpoint.root_hash),
        chain_head=bytes(checkpoint.chain_head),
        timestamp=checkpoint.timestamp,
        key_id=checkpoint.key_id,
    )


def signature_valid(checkpoint: Checkpoint, key: Ed25519PublicKey | None = None) -> bool:
    key = key or public_key()
    try:
        key.verify(bytes(checkpoint.signature), body_of(checkpoint))
    except InvalidSignature:
        return False
    return True


def checkpoint_take() -> Checkpoint:
    """Sign the ledger at its current size (or return the checkpoint already taken at that size)."""
    key = signing_key()
    key_id = key_id_for(public_key_raw())
    with transaction.atomic():
        head = _lock_head()  # a consistent size, chain head and tree while appends wait
        existing = Checkpoint.objects.filter(tree_size=head.size).first()
        if existing is not None:
            return existing
        root = root_hash(head.size)
        if head.size and root != merkle.frontier_root(merkle.split_frontier(bytes(head.frontier))):
            raise RuntimeError(
                "the stored Merkle nodes disagree with the ledger head; run `sunlit audit verify`"
            )
        now = timezone.now()
        body = checkpoint_body(
            tree_size=head.size, root=root, chain_head=bytes(head.chain), timestamp=now, key_id=key_id
        )
        return Checkpoint.objects.create(
            tree_size=head.size,
            root_hash=root,
            chain_head=bytes(head.chain),
            timestamp=now,
            key_id=key_id,
            signature=key.sign(body),
        )


@dataclass
class CheckpointView:
    """A checkpoint as the public API and the standalone verifier see it."""

    tree_size: int
    root_hash: str
    chain_head: str
    timestamp: str
    key_id: str
    signature: str  # base64
    body: str  # the exact signed text

    @classmethod
    def of(cls, checkpoint: Checkpoint) -> CheckpointView:
        return cls(
            tree_size=checkpoint.tree_size,
            root_hash=bytes(checkpoint.root_hash).hex(),
            chain_head=bytes(checkpoint.chain_head).hex(),
            timestamp=format_time(checkpoint.timestamp),
            key_id=checkpoint.key_id,
            signature=base64.b64encode(bytes(checkpoint.signature)).decode("ascii"),
            body=body_of(checkpoint).decode("ascii"),
        )
