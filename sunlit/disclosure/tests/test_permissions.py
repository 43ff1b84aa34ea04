"""Permission matrix: every assignable role, in scope and out of scope, for publish, correct,
redact and reading originals. Out of scope is always "not found"; in scope without the right is 403
(or not found for originals, which never confirm what exists)."""

from __future__ import annotations

import pytest

from sunlit.accounts.roles import FLOW_ONLY_ROLES, ROLE_LEVELS, Role
from sunlit.core.errors import NotFound, PermissionDenied
from sunlit.disclosure.services import (
    disclosure_correct,
    disclosure_original_reveal,
    disclosure_publish,
    disclosure_redact,
)

pytestmark = pytest.mark.django_db

PUBLISHERS = {
    Role.VILLAGE_SECRETARY,
    Role.VILLAGE_CHAIR,
    Role.VILLAGE_COMMITTEE,
    Role.VILLAGE_ACCOUNTANT,
    Role.VILLAGE_CLERK,
}
REDACTORS = {Role.TOWNSHIP_LEADER, Role.TOWNSHIP_DISCIPLINE, Role.COUNTY_DISCIPLINE}
ROLES = sorted(r for r in Role.values if r not in FLOW_ONLY_ROLES)


def _home(tree, role: str, inside: bool):
    levels = ROLE_LEVELS[role]
    if "village" in levels:
        return tree.village if inside else tree.far_village
    if "township" in levels:
        return tree.township if inside else tree.other_township
    return tree.county if inside else tree.other_county


def _outcome(call):
    try:
        call()
    except NotFound:
        return "404"
    except PermissionDenied:
        return "403"
    return "ok"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("inside", [True, False], ids=["in-scope", "out-of-scope"])
def test_matrix(role, inside, tree, make_user):
    user = make_user(role, _home(tree, role, inside))
    base = disclosure_publish(
        actor=None, village=tree.village, module="decisions", title="公示", body="电话13812345678"
    )

    publish = _outcome(
        lambda: disclosure_publish(actor=user, village=tree.village, module="decisions", title="t", body="b")
    )
    correct = _outcome(
        lambda: disclosure_correct(actor=user, disclosure=base, title="t2", body="b2", reason="r")
    )
    redact = _outcome(lambda: disclosure_redact(actor=user, disclosure=base, field="title", reason="r"))
    original = _outcome(lambda: disclosure_original_reveal(actor=user, version=base.current, reason="r"))

    if not inside:
        assert (publish, correct, redact, original) == ("404", "404", "404", "404")
        return
    # every staff role sees its own region (staff.view), so a missing right is a 403 there
    expected_write = "ok" if role in PUBLISHERS else "403"
    assert publish == expected_write
    assert correct == expected_write
    assert redact == ("ok" if role in REDACTORS else "403")
    assert original == ("ok" if role in REDACTORS else "404")
