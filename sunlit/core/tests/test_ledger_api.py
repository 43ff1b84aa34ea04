"""The public ledger endpoints, and the standalone verifier against a live server."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import transaction

from sunlit.core import checkpoints, ledger

VERIFIER = Path(__file__).resolve().parents[3] / "scripts" / "verify_ledger.py"


@pytest.fixture(autouse=True)
def _keys(settings, tmp_path):
    settings.SUNLIT_KEYS_DIR = tmp_path / "keys"


def _fill(n, start=0):
    events = []
    for i in range(start, start + n):
        with transaction.atomic():
            events.append(
                ledger.ledger_append(
                    kind="test.appended", actor=None, subject=f"core.thing:{i}", payload={"i": i}
                )
            )
    return events


@pytest.mark.django_db
def test_endpoints_serve_checkpoints_and_proofs(client, django_assert_max_num_queries):
    # given
    assert client.get("/api/v1/ledger/checkpoints/latest").json()["code"] == "not_found"
    events = _fill(21)
    first = checkpoints.checkpoint_take()
    _fill(9, 21)
    second = checkpoints.checkpoint_take()
    # when / then
    latest = client.get("/api/v1/ledger/checkpoints/latest").json()
    assert latest["tree_size"] == 30
    assert latest["root_hash"] == bytes(second.root_hash).hex()
    assert client.get("/api/v1/ledger/checkpoints/21").json()["root_hash"] == bytes(first.root_hash).hex()
    assert client.get("/api/v1/ledger/checkpoints/22").status_code == 404
    with django_assert_max_num_queries(4):
        proof = client.get("/api/v1/ledger/proofs/inclusion", {"tree_size": 30, "index": 5}).json()
    assert proof["leaf_hash"] == bytes(events[5].leaf_hash).hex()
    by_hash = client.get(
        "/api/v1/ledger/proofs/inclusion", {"tree_size": 30, "leaf_hash": proof["leaf_hash"]}
    ).json()
    assert by_hash == proof
    consistency = client.get("/api/v1/ledger/proofs/consistency", {"first": 21, "second": 30}).json()
    assert consistency["proof"]
    key = client.get("/api/v1/ledger/public-key").json()
    assert key["public_key"] == checkpoints.public_key_raw().hex()
    assert key["key_id"] == latest["key_id"]


@pytest.mark.django_db
def test_endpoints_refuse_bad_input_with_the_error_envelope(client):
    _fill(3)
    response = client.get("/api/v1/ledger/proofs/inclusion", {"tree_size": 9, "index": 1})
    assert response.status_code == 422
    assert response.json()["code"] == "bad_tree_size"
    response = client.get("/api/v1/ledger/proofs/inclusion", {"tree_size": 3, "leaf_hash": "zz"})
    assert response.json()["code"] == "bad_leaf"
    response = client.get("/api/v1/ledger/proofs/inclusion", {"tree_size": 3, "leaf_hash": "00" * 32})
    assert response.status_code == 404
    response = client.get("/api/v1/ledger/proofs/consistency", {"first": 3, "second": 2})
    assert response.status_code == 422
    assert client.get("/api/v1/ledger/proofs/consistency", {"first": "x", "second": 2}).status_code == 422


def _verify(*args):
    # A separate interpreter that never imports Sunlit: the check is independent of the server.
    result = subprocess.run(  # noqa: S603 (fixed interpreter and script)
        [sys.executable, "-I", str(VERIFIER), *args], capture_output=True, text=True, timeout=60, check=False
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.django_db(transaction=True)
def test_the_standalone_verifier_checks_a_live_server(live_server, tmp_path):
    # given a log with two checkpoints
    events = _fill(13)
    checkpoints.checkpoint_take()
    _fill(20, 13)
    checkpoints.checkpoint_take()
    key = checkpoints.public_key_raw().hex()
    leaf = bytes(events[7].leaf_hash).hex()
    saved = tmp_path / "evidence"
    # when the verifier checks the latest checkpoint, an inclusion and the consistency with size 13
    code, output = _verify(
        "--url",
        live_server.url,
        "--public-key",
        key,
        "--leaf-hash",
        leaf,
        "--old-size",
        "13",
        "--save",
        str(saved),
    )
    # then
    assert code == 0, output
    assert "OK   inclusion: entry #7" in output
    assert "grew from 13 to 33" in output
    # and the saved evidence re-checks offline, but not once altered or against another key
    files = [
        "--checkpoint", str(saved / "checkpoint.json"), "--inclusion", str(saved / "inclusion.json"),
        "--old-checkpoint", str(saved / "old-checkpoint.json"), "--consistency", str(saved / "consistency.json"),
    ]  # fmt: skip
    assert _verify("--public-key", key, *files)[0] == 0
    assert _verify("--public-key", "11" * 32, *files)[0] == 1
    proof = json.loads((saved / "consistency.json").read_text())
    proof["proof"][0] = "00" * 32
    (saved / "consistency.json").write_text(json.dumps(proof))
    code, output = _verify("--public-key", key, *files)
    assert code == 1
    assert "NOT an extension" in output
    checkpoint = json.loads((saved / "checkpoint.json").read_text())
    checkpoint["tree_size"] = 34
    (saved / "checkpoint.json").write_text(json.dumps(checkpoint))
    assert _verify("--public-key", key, "--checkpoint", str(saved / "checkpoint.json"))[0] == 1
