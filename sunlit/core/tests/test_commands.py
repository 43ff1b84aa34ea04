"""The operator commands: demo, import and export (serve, worker and bench are exercised by hand;
see docs/operations.md and docs/benchmarks.md)."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from sunlit.accounts.models import RoleAssignment, User
from sunlit.accounts.roles import FLOW_ONLY_ROLES, ROLE_LEVELS, Role
from sunlit.core.demo import DEMO_COUNTY
from sunlit.core.management.commands.serve import base_url
from sunlit.powers import selectors, services
from sunlit.powers.exchange import dump_yaml
from sunlit.powers.models import Adoption, Catalog, ItemParameter, ParameterOverride, PowerItem
from sunlit.powers.tests.docs import small_document
from sunlit.powers.vocab import CatalogStatus
from sunlit.regions.models import Region, RegionLevel
from sunlit.regions.services import regions_load_xinyang

pytestmark = pytest.mark.django_db


def _run(*args):
    """Run a command in English (so assertions do not depend on the translation) and return its output."""
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (Region, User, RoleAssignment, Catalog, PowerItem, Adoption, ParameterOverride)
    }


def _region_rows():
    return sorted(
        (r.code, r.name, r.level, r.parent.code if r.parent else "")
        for r in Region.objects.select_related("parent")
    )


# --- demo -------------------------------------------------------------------------------------------


def test_demo_at_county_scale_loads_everything_once():
    # when
    out, _err = _run("demo", "--no-serve", "--anomalies", "--no-cases")  # cases: sunlit/cases/tests
    # then: the generated tree under 光山县
    county = Region.objects.get(code=DEMO_COUNTY.ljust(12, "0"))
    townships = list(Region.objects.filter(parent=county))
    villages = list(Region.objects.filter(parent__in=townships).select_related("parent"))
    assert len(townships) == 20
    assert 250 <= len(villages) <= 350
    assert Region.objects.filter(level=RegionLevel.COUNTY).count() == 10  # the real Xinyang counties
    for village in villages:
        assert village.level == RegionLevel.VILLAGE
        assert village.depth == 4
        assert village.path == f"{village.parent.path}{village.code}/"
        assert village.code.startswith(village.parent.short_code)
        assert village.name.endswith(("村", "社区"))
    assert all(t.name.endswith(("镇", "乡", "街道")) and t.depth == 3 for t in townships)
    assert len({v.name for v in villages if v.parent_id == townships[0].pk}) == sum(
        v.parent_id == townships[0].pk for v in villages
    )

    # one published catalog owned by the county, adopted by every township
    catalog = Catalog.objects.get(owner=county)
    assert catalog.status == CatalogStatus.PUBLISHED
    adopted = set(Adoption.objects.filter(catalog=catalog).values_list("region_id", flat=True))
    assert {t.pk for t in townships} <= adopted
    assert all(selectors.catalog_in_force(v) == catalog for v in villages[:20])

    # local values: townships and villages, each allowed at its level and within the county's bounds
    overrides = list(ParameterOverride.objects.select_related("adoption__region"))
    levels = {o.adoption.region.level for o in overrides}
    assert levels == {RegionLevel.TOWNSHIP, RegionLevel.VILLAGE}
    for override in overrides:
        param = ItemParameter.objects.get(
            item__catalog=catalog, item__code=override.item_code, key=override.key
        )
        assert selectors.level_may_override(override.adoption.region.level, param.override)
        assert param.minimum is None or override.value >= param.minimum
        assert param.maximum is None or override.value <= param.maximum
        assert override.value != param.default

    # one login per assignable role, held at a level the role allows, with the demo password
    for role in Role:
        if role in FLOW_ONLY_ROLES:
            continue
        user = User.objects.get(username=role.value)
        assert user.check_password("sunlit-demo-2026")
        assignment = RoleAssignment.objects.get(user=user, revoked_at__isnull=True)
        assert assignment.role == role
        assert assignment.region.level in ROLE_LEVELS[role]
        assert assignment.region.is_within(county)
        assert role.value in out
    assert "/api/v1/docs" in out
    assert "sunlit-demo-2026" in out

    # when run again: nothing changes
    before = _counts()
    again, _err = _run("demo", "--no-serve", "--no-cases")
    assert _counts() == before
    assert "nothing was generated" in again


# --- import and export: regions ------------------------------------------------------------------------


def test_regions_csv_round_trip(tree, tmp_path):
    # given the regions of the tree fixture, exported
    original = _region_rows()
    path = tmp_path / "regions.csv"
    _run("export", "regions", str(path))
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "code,name,level,parent_code"
    assert "411522100201,十里村,village,411522100" in lines  # short codes, as the importer reads them
    # when the tree is deleted and the file imported again
    for depth in reversed(range(5)):
        Region.objects.filter(depth=depth).delete()
    out, _err = _run("import", "regions", str(path))
    # then the same regions come back
    assert _region_rows() == original
    assert f"{len(original)} " in out
    # and importing it once more changes nothing
    _run("import", "regions", str(path))
    assert _region_rows() == original


def test_regions_xlsx_export_imports_again(tree, tmp_path):
    path = tmp_path / "regions.xlsx"
    _run("export", "regions", str(path), "--root", "411522")
    for depth in reversed(range(5)):
        Region.objects.filter(depth=depth).delete()
    regions_load_xinyang()  # the county's parents, which the subtree export leaves out
    _run("import", "regions", str(path))
    codes = set(Region.objects.filter(path__contains="/411522000000/").values_list("code", flat=True))
    assert codes == {
        "411522000000",
        "411522100000",
        "411522101000",
        "411522100201",
        "411522100202",
        "411522101201",
    }


def test_a_bad_regions_file_is_refused_with_every_line_and_changes_nothing(tree, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "code,name,level,parent_code\n"
        "411522102,新镇,township,411522\n"  # fine on its own
        "41152210x,坏码,township,411522\n"  # line 3: malformed code
        "411522103,错级,town,411522\n"  # line 4: unknown level
        "411522199201,孤村,village,411522199\n",  # line 5: parent neither in file nor system
        encoding="utf-8",
    )
    before = _counts()
    err = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import", "regions", str(path), stdout=io.StringIO(), stderr=err)
    assert info.value.returncode == 1
    report = err.getvalue()
    assert "line 3 [code]" in report
    assert "line 4 [level]" in report
    assert "line 5 [parent_code]" in report
    assert _counts() == before


def test_import_refuses_wrong_options_and_missing_files(tree, tmp_path):
    with pytest.raises(CommandError, match="owner"):
        call_command("import", "catalog", str(tmp_path / "x.yaml"))
    with pytest.raises(CommandError, match="publish"):
        call_command("import", "regions", str(tmp_path / "x.csv"), "--publish")
    with pytest.raises(CommandError):
        call_command("import", "regions", str(tmp_path / "missing.csv"))
    (tmp_path / "regions.txt").write_text("code,name,level\n")
    with pytest.raises(CommandError, match=r"\.csv"):
        call_command("import", "regions", str(tmp_path / "regions.txt"))


# --- import and export: catalogs -----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["yaml", "xlsx"])
def test_catalog_export_import_round_trip(tree, tmp_path, suffix):
    # given a published catalog of one county
    source = services.catalog_import(
        actor=None, owner=tree.county, source=dump_yaml(small_document()).encode(), filename="c.yaml"
    )
    services.catalog_publish(actor=None, catalog=source)
    path = tmp_path / f"catalog.{suffix}"
    # when it is exported and imported for another county, and published
    _run("export", "catalog", str(path), "--owner", "411522")
    out, _err = _run("import", "catalog", str(path), "--owner", "411521", "--publish")
    # then the other county's published edition has the same content
    copy = Catalog.objects.get(owner=tree.other_county)
    assert copy.status == CatalogStatus.PUBLISHED
    assert copy.content_hash == Catalog.objects.get(pk=source.pk).content_hash
    assert selectors.catalog_document(copy)["items"] == selectors.catalog_document(source)["items"]
    assert "Published" in out
    # exporting by id gives the same file
    again = tmp_path / f"again.{suffix}"
    _run("export", "catalog", str(again), "--catalog", str(copy.pk))
    if suffix == "yaml":
        assert again.read_text() == path.read_text()


def test_a_bad_catalog_file_is_refused_and_changes_nothing(tree, tmp_path):
    document = small_document()
    document["items"][0]["flow"]["steps"][0]["role"] = "no_such_role"
    path = tmp_path / "bad.yaml"
    path.write_text(dump_yaml(document))
    before = _counts()
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import", "catalog", str(path), "--owner", "411522", "--publish", stderr=err)
    assert "line " in err.getvalue()
    assert "no_such_role" in err.getvalue()
    assert _counts() == before


def test_export_catalog_needs_a_catalog(tree, tmp_path):
    with pytest.raises(CommandError):
        call_command("export", "catalog", str(tmp_path / "c.yaml"))
    with pytest.raises(CommandError):
        call_command("export", "catalog", str(tmp_path / "c.yaml"), "--owner", "411522")  # none yet
    with pytest.raises(CommandError, match=r"\.yaml"):
        call_command("export", "catalog", str(tmp_path / "c.csv"), "--catalog", "1")


def test_serve_prints_a_usable_address():
    assert base_url("127.0.0.1:8000") == "http://127.0.0.1:8000"
    assert base_url("0.0.0.0:9000") == "http://127.0.0.1:9000"
    assert base_url("unix:/run/sunlit.sock") == "unix:/run/sunlit.sock"
