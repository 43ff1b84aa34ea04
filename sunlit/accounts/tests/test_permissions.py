"""The permission matrix: every role × in scope / out of scope × action, generated from ROLE_PERMS."""

import pytest

from sunlit.accounts.permissions import has_perm, region_q
from sunlit.accounts.roles import ADMIN_ROLES, FLOW_ONLY_ROLES, ROLE_LEVELS, ROLE_PERMS, Perm, Role
from sunlit.accounts.services import role_grant, role_revoke
from sunlit.core.errors import NotFound, PermissionDenied, ValidationFailed
from sunlit.powers import services as catalog_services
from sunlit.powers.exchange import dump_yaml
from sunlit.powers.models import Adoption, Catalog
from sunlit.powers.tests.docs import small_document
from sunlit.regions.models import Region

pytestmark = pytest.mark.django_db

ASSIGNABLE = [r for r in Role.values if r not in FLOW_ONLY_ROLES]


def home_region(tree, role):
    levels = ROLE_LEVELS[role]
    for level, region in (("village", tree.village), ("township", tree.township), ("county", tree.county)):
        if level in levels:
            return region
    return tree.city


def far_region(tree, region):
    return {
        "village": tree.far_county_village,
        "township": tree.far_county_township,
        "county": tree.other_county,
    }.get(region.level, tree.province)


@pytest.mark.parametrize("role", ASSIGNABLE)
@pytest.mark.parametrize("perm", Perm.values)
def test_has_perm_matrix(tree, make_user, role, perm):
    region = home_region(tree, role)
    user = make_user(role, region)
    expected = perm in ROLE_PERMS[role]
    # in scope: the region itself and everything below it
    assert has_perm(user, perm, region) is expected
    below = Region.objects.filter(path__startswith=region.path).exclude(pk=region.pk).first()
    if below is not None:
        assert has_perm(user, perm, below) is expected
    # out of scope: a region elsewhere in the tree, and the parent
    assert has_perm(user, perm, far_region(tree, region)) is False
    if region.parent_id:
        assert has_perm(user, perm, region.parent) is False


@pytest.fixture
def catalogs(tree):
    def publish(owner):
        catalog = catalog_services.catalog_import(
            actor=None, owner=owner, source=dump_yaml(small_document()).encode()
        )
        catalog_services.catalog_publish(actor=None, catalog=catalog)
        catalog.refresh_from_db()
        return catalog

    return {"mine": publish(tree.county), "other": publish(tree.other_county)}


@pytest.mark.parametrize("role", ASSIGNABLE)
@pytest.mark.parametrize("scope", ["in", "out"])
def test_catalog_manage_matrix(tree, make_user, catalogs, role, scope):
    user = make_user(role, home_region(tree, role))
    target = catalogs["mine" if scope == "in" else "other"]
    allowed = Perm.CATALOG_MANAGE in ROLE_PERMS[role] and scope == "in"
    if allowed:
        draft = catalog_services.catalog_new_draft(actor=user, catalog=target)
        assert draft.based_on == target
    else:
        with pytest.raises(NotFound):
            catalog_services.catalog_new_draft(actor=user, catalog=target)
        assert Catalog.objects.filter(status="draft").count() == 0


@pytest.mark.parametrize("role", ASSIGNABLE)
@pytest.mark.parametrize("scope", ["in", "out"])
def test_catalog_adopt_matrix(tree, make_user, catalogs, role, scope):
    user = make_user(role, home_region(tree, role))
    region, catalog = (
        (tree.township, catalogs["mine"]) if scope == "in" else (tree.far_county_township, catalogs["other"])
    )
    allowed = Perm.CATALOG_ADOPT in ROLE_PERMS[role] and scope == "in"
    if allowed:
        catalog_services.adoption_set(actor=user, region=region, catalog=catalog)
        assert Adoption.objects.filter(region=region).exists()
    else:
        with pytest.raises(NotFound):
            catalog_services.adoption_set(actor=user, region=region, catalog=catalog)
        assert not Adoption.objects.exists()


def test_region_q_scopes_querysets(tree, make_user):
    user = make_user(Role.TOWNSHIP_DISCIPLINE, tree.township)
    visible = set(
        Region.objects.filter(region_q(user, Perm.CATALOG_VIEW, field="parent")).values_list(
            "code", flat=True
        )
    )
    assert tree.village.code in visible
    assert tree.far_village.code not in visible
    nobody = make_user()
    assert not Region.objects.filter(region_q(nobody, Perm.CATALOG_VIEW, field="parent")).exists()


# --- 三员分立 and grants -----------------------------------------------------------------------------


@pytest.mark.parametrize("first", sorted(ADMIN_ROLES))
@pytest.mark.parametrize("second", sorted(ADMIN_ROLES | {Role.COUNTY_DISCIPLINE}))
def test_admin_roles_are_held_by_separate_people(tree, make_user, first, second):
    user = make_user(first, tree.county)
    if first == second:
        role_grant(actor=None, user=user, role=second, region=tree.county)  # idempotent, no error
        return
    with pytest.raises(ValidationFailed) as info:
        role_grant(actor=None, user=user, role=second, region=tree.county)
    assert info.value.code == "separation_of_duties"


def test_business_user_cannot_become_admin(tree, make_user):
    user = make_user(Role.COUNTY_DISCIPLINE, tree.county)
    with pytest.raises(ValidationFailed):
        role_grant(actor=None, user=user, role=Role.AUDIT_ADMIN, region=tree.county)


def test_role_level_is_enforced(tree, make_user):
    user = make_user()
    with pytest.raises(ValidationFailed) as info:
        role_grant(actor=None, user=user, role=Role.VILLAGE_SECRETARY, region=tree.township)
    assert info.value.code == "wrong_level"
    with pytest.raises(ValidationFailed):
        role_grant(actor=None, user=user, role="village_king", region=tree.village)
    with pytest.raises(ValidationFailed):
        role_grant(actor=None, user=user, role=Role.APPLICANT, region=tree.village)


def test_security_admin_grants_in_scope_only_and_never_to_self(tree, make_user):
    security = make_user(Role.SECURITY_ADMIN, tree.county)
    clerk = make_user()
    role_grant(actor=security, user=clerk, role=Role.VILLAGE_CLERK, region=tree.village)
    assert has_perm(clerk, Perm.CATALOG_VIEW, tree.village)
    with pytest.raises(PermissionDenied):
        role_grant(actor=security, user=clerk, role=Role.VILLAGE_CLERK, region=tree.far_county_village)
    with pytest.raises(PermissionDenied):
        role_grant(actor=security, user=security, role=Role.SECURITY_ADMIN, region=tree.county)
    system = make_user(Role.SYSTEM_ADMIN, tree.county)
    with pytest.raises(PermissionDenied):
        role_grant(actor=system, user=clerk, role=Role.VILLAGE_CHAIR, region=tree.village)


def test_revoked_role_no_longer_counts(tree, make_user):
    security = make_user(Role.SECURITY_ADMIN, tree.county)
    user = make_user(Role.TOWNSHIP_DISCIPLINE, tree.township)
    assignment = user.assignments.get()
    role_revoke(actor=security, assignment=assignment)
    user.refresh_from_db()
    fresh = type(user).objects.get(pk=user.pk)
    assert not has_perm(fresh, Perm.CATALOG_ADOPT, tree.township)
