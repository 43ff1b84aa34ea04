"""Public ledger endpoints: signed checkpoints, Merkle proofs and the signing public key.

Anyone can check that the log they were shown is the one the server signed and that it only ever
grew (docs/ledger.md, scripts/verify_ledger.py). Entries are exposed here only as leaf hashes.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema

from . import checkpoints, ledger
from .errors import NotFound, ValidationFailed
from .models import Checkpoint

router = Router(tags=["ledger"])


class CheckpointOut(Schema):
    tree_size: int
    root_hash: str
    chain_head: str
    timestamp: str
    key_id: str
    signature: str  # base64 Ed25519 signature over ``body``
    body: str  # the exact signed text


class InclusionOut(Schema):
    index: int
    tree_size: int
    leaf_hash: str
    audit_path: list[str]


class ConsistencyOut(Schema):
    first: int
    second: int
    proof: list[str]


class PublicKeyOut(Schema):
    algorithm: str
    key_id: str
    public_key: str  # raw 32-byte Ed25519 key, hex
    public_key_pem: str


def _checkpoint_out(checkpoint: Checkpoint | None) -> checkpoints.CheckpointView:
    if checkpoint is None:
        raise NotFound(_("There is no checkpoint of that size."))
    return checkpoints.CheckpointView.of(checkpoint)


@router.get("/ledger/checkpoints/latest", response=CheckpointOut, summary="The latest signed checkpoint")
def checkpoint_latest(request: HttpRequest):
    return _checkpoint_out(Checkpoint.objects.order_by("-tree_size").first())


@router.get(
    "/ledger/checkpoints/{tree_size}", response=CheckpointOut, summary="The checkpoint at a tree size"
)
def checkpoint_at(request: HttpRequest, tree_size: int):
    return _checkpoint_out(Checkpoint.objects.filter(tree_size=tree_size).first())


@router.get(
    "/ledger/proofs/inclusion", response=InclusionOut, summary="Inclusion proof (RFC 6962 audit path)"
)
def proof_inclusion(
    request: HttpRequest, tree_size: int, index: int | None = None, leaf_hash: str | None = None
):
    """Give the entry by ``index`` (its seq) or by its hex ``leaf_hash``."""
    if index is None:
        try:
            wanted = bytes.fromhex(leaf_hash or "")
        except ValueError:
            wanted = b""
        if len(wanted) != 32:
            raise ValidationFailed(
                _("Give index or a 64-digit hex leaf_hash."),
                code="bad_leaf",
                fields={"leaf_hash": [_("Invalid.")]},
            )
        index = ledger.entry_index_for_leaf_hash(wanted)
        if index is None:
            raise NotFound(_("No entry has that leaf hash."))
    leaf, path = ledger.inclusion_proof(index, tree_size)
    return {
        "index": index,
        "tree_size": tree_size,
        "leaf_hash": leaf.hex(),
        "audit_path": [p.hex() for p in path],
    }


@router.get(
    "/ledger/proofs/consistency", response=ConsistencyOut, summary="Consistency proof between two sizes"
)
def proof_consistency(request: HttpRequest, first: int, second: int):
    proof = ledger.consistency_proof(first, second)
    return {"first": first, "second": second, "proof": [p.hex() for p in proof]}


@router.get("/ledger/public-key", response=PublicKeyOut, summary="The checkpoint signing key")
def public_key(request: HttpRequest):
    raw = checkpoints.public_key_raw()
    return {
        "algorithm": "Ed25519",
        "key_id": checkpoints.key_id_for(raw),
        "public_key": raw.hex(),
        "public_key_pem": checkpoints.public_key_pem(),
    }
