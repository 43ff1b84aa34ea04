#!/usr/bin/env python3
"""Check a Sunlit ledger independently of the server's code (standard library + cryptography).

Given the server's base URL (or JSON files saved earlier) and the ledger's Ed25519 public key,
obtained out of band, it:

1. fetches a checkpoint (the latest, or ``--size N``) and checks its signature and key id;
2. with ``--leaf-hash H``, checks that the entry with that leaf hash is in the checkpointed tree;
3. with ``--old-size M`` (or ``--old-checkpoint FILE``), checks the old checkpoint's signature and
   that the log only grew from it to the new one (RFC 6962 consistency proof).

Examples::

    scripts/verify_ledger.py --url http://127.0.0.1:8000 --public-key 3b6a27bc... \\
        --leaf-hash 9f2c... --old-size 1200 --save ./evidence
    scripts/verify_ledger.py --public-key key.pem --checkpoint evidence/checkpoint.json \\
        --inclusion evidence/inclusion.json --old-checkpoint evidence/old-checkpoint.json \\
        --consistency evidence/consistency.json

Exit status 0 when everything checks, 1 when a check fails, 2 on bad usage or network errors.
Formats: docs/ledger.md.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import urllib.parse
import urllib.request
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

HEADER = "sunlit-ledger-checkpoint/v1"


class Failed(Exception):
    """A check failed: the server's data does not prove what it claims."""


class Usage(Exception):
    """Bad arguments, unreadable files or a network error: nothing was checked."""


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


# --- RFC 9162 §2.1.3.2: verifying an inclusion proof ---
def inclusion_root(index: int, size: int, leaf_hash: bytes, path: list[bytes]) -> bytes | None:
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            return None
        if fn % 2 == 1 or fn == sn:
            r = node(p, r)
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


# --- RFC 9162 §2.1.4.2: verifying a consistency proof ---
def consistent(first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]) -> bool:
    if first == second:
        return first_root == second_root and not proof
    if first <= 0 or first > second or not proof:
        return False
    if first & (first - 1) == 0:
        proof = [first_root, *proof]
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


# --- Checkpoints ---
def checkpoint_body(cp: dict) -> bytes:
    return (
        f"{HEADER}\ntree_size {int(cp['tree_size'])}\nroot_hash {cp['root_hash']}\n"
        f"chain_head {cp['chain_head']}\ntimestamp {cp['timestamp']}\nkey_id {cp['key_id']}\n"
    ).encode("ascii")


def load_public_key(text: str) -> tuple[Ed25519PublicKey, bytes]:
    """A raw key as 64 hex digits, or a path to a PEM file."""
    candidate = text.strip()
    if len(candidate) == 64 and all(c in "0123456789abcdefABCDEF" for c in candidate):
        raw = bytes.fromhex(candidate)
        return Ed25519PublicKey.from_public_bytes(raw), raw
    key = serialization.load_pem_public_key(Path(candidate).read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise Usage(f"{candidate}: not an Ed25519 public key")
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return key, raw


def check_checkpoint(cp: dict, key: Ed25519PublicKey, raw_key: bytes) -> None:
    body = checkpoint_body(cp)
    if "body" in cp and cp["body"].encode("ascii") != body:
        raise Failed(f"checkpoint {cp['tree_size']}: its fields do not match the signed body")
    key_id = hashlib.sha256(raw_key).hexdigest()[:16]
    if cp["key_id"] != key_id:
        raise Failed(f"checkpoint {cp['tree_size']}: signed by key {cp['key_id']}, expected {key_id}")
    try:
        key.verify(base64.b64decode(cp["signature"]), body)
    except (InvalidSignature, ValueError):
        raise Failed(f"checkpoint {cp['tree_size']}: the signature is not valid") from None


# --- Fetching ---
class Source:
    def __init__(self, url: str | None, save: Path | None) -> None:
        self.url = url.rstrip("/") if url else None
        self.save = save
        if save:
            save.mkdir(parents=True, exist_ok=True)

    def get(self, path: str, params: dict | None, file: str | None, name: str) -> dict:
        if file:
            data = json.loads(Path(file).read_text("utf-8"))
        elif self.url:
            query = f"?{urllib.parse.urlencode(params)}" if params else ""
            url = f"{self.url}/api/v1/ledger/{path}{query}"
            if not url.startswith(("http://", "https://")):
                raise Usage("--url must be http:// or https://")
            try:
                with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (scheme checked)
                    data = json.loads(response.read().decode("utf-8"))
            except urllib.error.HTTPError as exc:
                raise Usage(f"{url}: HTTP {exc.code} {exc.read().decode('utf-8', 'replace')}") from None
            except OSError as exc:
                raise Usage(f"{url}: {exc}") from None
        else:
            raise Usage(f"give --url or a file for the {name}")
        if self.save:
            (self.save / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n", "utf-8")
        return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="Server base URL, e.g. https://sunlit.example.org")
    parser.add_argument("--public-key", required=True, help="Ed25519 public key: 64 hex digits or a PEM file")
    parser.add_argument("--size", type=int, help="Check the checkpoint at this tree size (default: latest)")
    parser.add_argument("--checkpoint", help="A saved checkpoint JSON file instead of fetching it")
    parser.add_argument("--leaf-hash", help="Check that the entry with this hex leaf hash is in the tree")
    parser.add_argument("--inclusion", help="A saved inclusion proof JSON file")
    parser.add_argument("--old-size", type=int, help="Check the log grew consistently from this checkpoint")
    parser.add_argument("--old-checkpoint", help="A saved old checkpoint JSON file")
    parser.add_argument("--consistency", help="A saved consistency proof JSON file")
    parser.add_argument("--save", type=Path, help="Save what was fetched as JSON files in this directory")
    args = parser.parse_args(argv)

    try:
        key, raw_key = load_public_key(args.public_key)
        source = Source(args.url, args.save)
        path = f"checkpoints/{args.size}" if args.size is not None else "checkpoints/latest"
        cp = source.get(path, None, args.checkpoint, "checkpoint")
        check_checkpoint(cp, key, raw_key)
        size, root = int(cp["tree_size"]), bytes.fromhex(cp["root_hash"])
        print(f"OK   checkpoint: tree size {size}, root {cp['root_hash']}, signed {cp['timestamp']}")

        if args.leaf_hash or args.inclusion:
            params = {"tree_size": size, "leaf_hash": args.leaf_hash}
            proof = source.get("proofs/inclusion", params, args.inclusion, "inclusion")
            if args.leaf_hash and proof["leaf_hash"] != args.leaf_hash.lower():
                raise Failed("the inclusion proof is for another leaf")
            if int(proof["tree_size"]) != size:
                raise Failed("the inclusion proof is for another tree size")
            path_hashes = [bytes.fromhex(h) for h in proof["audit_path"]]
            got = inclusion_root(int(proof["index"]), size, bytes.fromhex(proof["leaf_hash"]), path_hashes)
            if got != root:
                raise Failed(f"entry #{proof['index']} is NOT included in the tree of size {size}")
            print(f"OK   inclusion: entry #{proof['index']} (leaf {proof['leaf_hash']}) is in the tree")

        if args.old_size is not None or args.old_checkpoint:
            old = source.get(f"checkpoints/{args.old_size}", None, args.old_checkpoint, "old-checkpoint")
            check_checkpoint(old, key, raw_key)
            old_size = int(old["tree_size"])
            if old_size > size:
                raise Failed(f"the old checkpoint ({old_size}) is larger than the new one ({size})")
            params = {"first": old_size, "second": size}
            proof = source.get("proofs/consistency", params, args.consistency, "consistency")
            if (int(proof["first"]), int(proof["second"])) != (old_size, size):
                raise Failed("the consistency proof is for other tree sizes")
            hashes = [bytes.fromhex(h) for h in proof["proof"]]
            if not consistent(old_size, size, bytes.fromhex(old["root_hash"]), root, hashes):
                raise Failed(
                    f"the log of size {size} is NOT an extension of the signed log of size {old_size}"
                )
            print(f"OK   consistency: the log grew from {old_size} to {size} entries without rewriting")
    except Failed as failure:
        print(f"FAIL {failure}")
        return 1
    except Usage as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return 2
    except (KeyError, ValueError, TypeError) as exc:
        print(f"FAIL malformed data: {exc!r}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
