"""Region imports: all-or-nothing, every bad row reported with its line."""

import pytest
from django.utils import translation

from sunlit.core.tabular import ImportRejected, write_xlsx
from sunlit.regions.models import Region
from sunlit.regions.selectors import region_ancestors, region_subtree, villages_in
from sunlit.regions.services import normalize_code, regions_import, regions_load_xinyang

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """The assertions quote the English source messages, so read them untranslated."""
    with translation.override("en"):
        yield


def csv(text: str) -> bytes:
    return text.strip().encode("utf-8") + b"\n"


def test_xinyang_ships_ten_real_counties():
    result = regions_load_xinyang()
    assert result["created"] == 12
    city = Region.objects.get(code="411500000000")
    counties = dict(city.children.values_list("code", "name"))
    assert len(counties) == 10
    assert counties["411521000000"] == "罗山县"
    assert counties["411528000000"] == "息县"
    assert regions_load_xinyang()["created"] == 0  # idempotent


def test_import_in_any_order_builds_paths():
    data = csv("""
code,name,level,parent_code
411522100201,十里村,village,411522100
411522100,十里镇,township,411522
410000,河南省,province,
411500,信阳市,city,410000
411522,光山县,county,411500
""")
    assert regions_import(source=data, filename="r.csv")["created"] == 5
    village = Region.objects.get(code="411522100201")
    assert [r.name for r in region_ancestors(village)] == ["河南省", "信阳市", "光山县", "十里镇", "十里村"]
    county = Region.objects.get(code="411522000000")
    assert list(villages_in(county)) == [village]
    assert region_subtree(county).count() == 3


def test_xlsx_import():
    data = write_xlsx(
        [("Regions", ["code", "name", "level", "parent_code"], [["410000", "河南省", "province", ""]])]
    )
    assert regions_import(source=data, filename="r.xlsx")["created"] == 1


def test_gb18030_csv_is_accepted():
    data = "code,name,level,parent_code\n410000,河南省,province,\n".encode("gb18030")
    assert regions_import(source=data, filename="r.csv")["created"] == 1


@pytest.mark.parametrize(
    ("body", "line", "fragment"),
    [
        ("41000X,坏,province,", 2, "Malformed division code"),
        ("410000,河南省,state,", 2, "Unknown level"),
        ("410000,,province,", 2, "name"),
        ("411500,信阳市,city,", 2, "parent code is required"),
        ("411500,信阳市,city,420000", 2, "neither in the file nor in the system"),
        ("411501,信阳市,county,410000", 2, "one level above"),
        ("410100,郑州,province,", 2, "first 2 digits"),
    ],
)
def test_bad_rows_are_reported_and_nothing_is_written(body, line, fragment):
    data = csv(f"code,name,level,parent_code\n410000,河南省,province,\n{body}")
    with pytest.raises(ImportRejected) as info:
        regions_import(source=data, filename="r.csv")
    errors = info.value.errors
    assert any(e.line in (line, line + 1) and fragment in e.message for e in errors), errors
    assert Region.objects.count() == 0


def test_duplicate_codes_name_the_first_line():
    data = csv("code,name,level,parent_code\n410000,河南省,province,\n410000,河南,province,")
    with pytest.raises(ImportRejected) as info:
        regions_import(source=data, filename="r.csv")
    assert "line 2" in info.value.errors[0].message
    assert info.value.errors[0].line == 3


def test_wrong_columns():
    with pytest.raises(ImportRejected) as info:
        regions_import(source=csv("code,title,level\n410000,河南省,province"), filename="r.csv")
    message = info.value.errors[0].message
    assert "Missing columns: name" in message or "name" in message


def test_too_many_rows(settings):
    settings.SUNLIT_IMPORT_MAX_ROWS = 2
    rows = "\n".join(f"41{i:02d}00,省{i},province," for i in range(1, 5))
    with pytest.raises(ImportRejected) as info:
        regions_import(source=csv(f"code,name,level,parent_code\n{rows}"), filename="r.csv")
    assert "Too many rows" in info.value.errors[0].message


def test_not_a_spreadsheet():
    with pytest.raises(ImportRejected):
        regions_import(source=b"PK\x03\x04garbage", filename="r.xlsx")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("41", "410000000000"),
        ("4115", "411500000000"),
        ("411522100", "411522100000"),
        ("4115221002011", None),
        ("abc", None),
        ("４１", None),
    ],
)
def test_normalize_code(raw, expected):
    assert normalize_code(raw) == expected
