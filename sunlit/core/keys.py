"""Key files kept outside the database (signing keys, keyed-hash and encryption keys).

Keys live in ``settings.SUNLIT_KEYS_DIR`` (default ``$SUNLIT_DATA_DIR/keys``), one file each, mode 600.
A key is generated on first use so the embedded deployment works out of the box; production
backs the directory up separately from the database (docs/operations.md): whoever holds only a
database dump cannot forge checkpoints, recompute keyed hashes or decrypt personal data.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from django.conf import settings


def keys_dir() -> Path:
    path = Path(settings.SUNLIT_KEYS_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def key_path(name: str) -> Path:
    """Path of the key file ``name`` (a bare file name, never a path)."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"bad key name: {name!r}")
    return keys_dir() / name


def _write_new(path: Path, data: bytes) -> None:
    """Create ``path`` with ``data`` unless it exists (first writer wins across processes)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def secret_bytes(name: str, nbytes: int = 32) -> bytes:
    """A random secret of ``nbytes`` stored hex-encoded in the key file ``name``; created if missing."""
    path = key_path(name)
    if not path.exists():
        _write_new(path, secrets.token_hex(nbytes).encode("ascii") + b"\n")
    value = bytes.fromhex(path.read_text("ascii").strip())
    if len(value) != nbytes:
        raise ValueError(f"key file {path} holds {len(value)} bytes, expected {nbytes}")
    return value


def raw_key_file(name: str, create: Callable[[], bytes]) -> bytes:
    """The bytes of key file ``name``; when missing, ``create()`` returns the bytes to store."""
    path = key_path(name)
    if not path.exists():
        _write_new(path, create())
    return path.read_bytes()
