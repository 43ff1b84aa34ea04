"""Personal data at rest: keyed hashes for matching, authenticated encryption for storage.

- ``id_hash`` is HMAC-SHA256 under the key file ``pii-hmac.key`` over the normalised ID number, so
  datasets (benefit lists, death records, vehicle registrations) are joined on it without ever
  storing or comparing clear numbers; without the key file a database dump cannot be brute-forced
  over the (small) space of valid ID numbers.
- ``encrypt``/``decrypt`` use AES-256-GCM under the key file ``pii-enc.key`` with a random nonce;
  tokens are ``v1:<base64(nonce || ciphertext+tag)>``. A tampered token fails to decrypt.

Key files live outside the database (sunlit.core.keys); back them up separately.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .keys import secret_bytes
from .masking import normalize_id_number

HMAC_KEY_FILE = "pii-hmac.key"
ENC_KEY_FILE = "pii-enc.key"
TOKEN_PREFIX = "v1:"  # noqa: S105 - a format tag, not a secret


class PiiDecryptError(ValueError):
    """The token is malformed, was tampered with, or was made under another key."""


def keyed_hash(value: str, *, purpose: str = "id") -> str:
    """Hex HMAC-SHA256 of ``value`` under the instance key, domain-separated by ``purpose``."""
    key = secret_bytes(HMAC_KEY_FILE)
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def id_hash(number: str) -> str:
    """The matching key of an ID number (normalised first: spaces dropped, x upper-cased)."""
    return keyed_hash(normalize_id_number(number), purpose="id")


def encrypt(value: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(secret_bytes(ENC_KEY_FILE)).encrypt(nonce, value.encode("utf-8"), None)
    return TOKEN_PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def decrypt(token: str) -> str:
    if not token or not token.startswith(TOKEN_PREFIX):
        raise PiiDecryptError("not a Sunlit PII token")
    try:
        raw = base64.b64decode(token[len(TOKEN_PREFIX) :], validate=True)
    except ValueError:
        raise PiiDecryptError("malformed token") from None
    if len(raw) < 12 + 16:
        raise PiiDecryptError("malformed token")
    try:
        plain = AESGCM(secret_bytes(ENC_KEY_FILE)).decrypt(raw[:12], raw[12:], None)
    except InvalidTag:
        raise PiiDecryptError("token does not verify") from None
    return plain.decode("utf-8")
