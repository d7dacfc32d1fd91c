"""OpenStreetMap `.osm.pbf` → glassmate's walking map (navigation/mapdata.py), read with pyosmium.

Walking rules (the tags honoured; docs/navigation.md lists them too):
- walkable `highway` values: footway, path, pedestrian, living_street, residential, service, unclassified, track,
  steps, corridor, platform, cycleway, bridleway, crossing, elevator, road, and the tertiary, secondary and
  primary roads with their links (pavements are not always mapped apart from the road);
- never walkable unless `foot=yes|designated|permissive`: motorway, trunk and their links;
- `foot=no` excludes a way; `access=no|private` excludes it unless `foot` allows walking;
- `highway=construction|proposed|raceway|bus_guideway|abandoned` and `area=yes` ways are not walked along;
- one-way streets are walked both ways; `oneway:foot=yes|-1` is honoured;
- `highway=steps` costs 1.5× its length (routing) and is named in guidance; `footway=crossing` (or a `crossing`
  tag on a way) is announced as "cross".

Places: named nodes and areas with a category from amenity, shop, tourism, railway, public_transport, highway
(bus stops), place (squares), leisure (parks), historic and building=church|cathedral tags; every named street
(one entry per name, at its most central node); and addresses (`addr:street` + `addr:housenumber`). Each keeps
all of its names: name, name:fi, name:sv, name:en, name:zh, name:de, alt_name, official_name, short_name.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from glassmate.errors import BadInputError
from glassmate.navigation.mapdata import CROSSING, STEPS, WALK, MapData, Place, haversine_m

WALKABLE = frozenset({
    "footway", "path", "pedestrian", "living_street", "residential", "service", "unclassified", "track", "steps",
    "corridor", "platform", "cycleway", "bridleway", "crossing", "elevator", "road", "tertiary", "tertiary_link",
    "secondary", "secondary_link", "primary", "primary_link",
})  # fmt: skip
ONLY_WITH_FOOT = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})
FOOT_ALLOWED = frozenset({"yes", "designated", "permissive", "official"})
NAME_KEYS = ("name", "name:fi", "name:sv", "name:en", "name:zh", "name:zh-Hans", "name:de", "alt_name",
             "official_name", "short_name", "old_name")  # fmt: skip
STEPS_COST = 1.5

# (tag, value or "*") → category; the first that matches wins.
CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("amenity", "pharmacy", "pharmacy"), ("healthcare", "pharmacy", "pharmacy"), ("shop", "chemist", "pharmacy"),
    ("railway", "station", "station"), ("public_transport", "station", "station"), ("railway", "halt", "station"),
    ("building", "train_station", "station"), ("station", "subway", "metro"), ("railway", "subway_entrance", "metro"),
    ("railway", "tram_stop", "tram_stop"), ("highway", "bus_stop", "bus_stop"),
    ("place", "square", "square"), ("amenity", "cafe", "cafe"), ("amenity", "restaurant", "restaurant"),
    ("amenity", "fast_food", "restaurant"), ("amenity", "bar", "bar"), ("amenity", "pub", "bar"),
    ("amenity", "bank", "bank"), ("amenity", "atm", "atm"), ("amenity", "toilets", "toilets"),
    ("amenity", "hospital", "hospital"), ("amenity", "clinic", "hospital"), ("amenity", "doctors", "doctor"),
    ("amenity", "library", "library"), ("amenity", "post_office", "post_office"),
    ("amenity", "place_of_worship", "church"), ("building", "church", "church"), ("building", "cathedral", "church"),
    ("amenity", "theatre", "theatre"), ("amenity", "cinema", "cinema"), ("amenity", "marketplace", "market"),
    ("shop", "supermarket", "supermarket"), ("shop", "convenience", "supermarket"), ("shop", "mall", "mall"),
    ("shop", "department_store", "mall"), ("shop", "*", "shop"),
    ("tourism", "museum", "museum"), ("tourism", "gallery", "museum"), ("tourism", "hotel", "hotel"),
    ("tourism", "hostel", "hotel"), ("tourism", "attraction", "attraction"), ("tourism", "viewpoint", "attraction"),
    ("historic", "*", "monument"), ("leisure", "park", "park"), ("amenity", "university", "university"),
    ("amenity", "school", "school"), ("amenity", "parking", "parking"), ("amenity", "*", "amenity"),
    ("tourism", "*", "attraction"),
)  # fmt: skip


def walk_kind(tags: dict[str, str]) -> int | None:
    """WALK, STEPS or CROSSING for a way the wearer may walk along; None for one they may not."""
    highway = tags.get("highway")
    foot = tags.get("foot", "")
    if highway is None or tags.get("area") == "yes" or foot == "no":
        return None
    if highway in ONLY_WITH_FOOT and foot not in FOOT_ALLOWED:
        return None
    if highway not in WALKABLE and highway not in ONLY_WITH_FOOT and foot not in FOOT_ALLOWED:
        return None
    if tags.get("access") in ("no", "private") and foot not in FOOT_ALLOWED:
        return None
    if highway == "steps":
        return STEPS
    if tags.get("footway") == "crossing" or highway == "crossing" or "crossing" in tags:
        return CROSSING
    return WALK


def category(tags: dict[str, str]) -> str | None:
    for key, value, name in CATEGORIES:
        have = tags.get(key)
        if have is not None and (value == "*" or have == value):
            return name
    return None


def names_of(tags: dict[str, str]) -> dict[str, str]:
    return {key: tags[key] for key in NAME_KEYS if tags.get(key)}


def import_pbf(path: Path, progress: Callable[[int], None] | None = None) -> MapData:
    """Read an `.osm.pbf` (or `.osm`) file into a walking map. Raises BadInputError `map-invalid` for a file
    pyosmium cannot read and `map-empty` for one with no walkable way."""
    import osmium

    if not path.is_file():
        raise BadInputError(f"no such map file: {path}", code="map-invalid")
    ways: list[tuple[list[int], int, str, int]] = []  # node ids, kind, street name, oneway (0, 1, -1)
    coords: dict[int, tuple[float, float]] = {}
    places: list[Place] = []
    streets: dict[str, list[tuple[float, float]]] = defaultdict(list)
    seen = 0
    try:
        objects: Any = osmium.FileProcessor(str(path)).with_locations().with_areas()
        for obj in objects:
            seen += 1
            if progress and seen % 10_000 == 0:
                progress(10_000)
            tags = {t.k: t.v for t in obj.tags}
            if obj.is_area():
                # Squares and parks mapped as multipolygon relations (closed ways are handled as ways below).
                if not obj.from_way() and (names_of(tags) or tags.get("addr:street")):
                    ring = [(n.lat, n.lon) for outer in obj.outer_rings() for n in outer if n.location.valid()]
                    if ring:
                        _place(tags, float(np.mean([p[0] for p in ring])), float(np.mean([p[1] for p in ring])),
                               places)  # fmt: skip
            elif obj.is_node():
                if not obj.location.valid():
                    continue
                _place(tags, obj.location.lat, obj.location.lon, places)
            elif obj.is_way():
                points = [(n.ref, n.lat, n.lon) for n in obj.nodes if n.location.valid()]
                if len(points) < 2:
                    continue
                kind = walk_kind(tags)
                if kind is not None:
                    for ref, lat, lon in points:
                        coords[ref] = (lat, lon)
                    oneway = {"yes": 1, "1": 1, "-1": -1}.get(tags.get("oneway:foot", ""), 0)
                    ways.append(([p[0] for p in points], kind, tags.get("name", ""), oneway))
                    if tags.get("name"):
                        streets[tags["name"]].extend((lat, lon) for _, lat, lon in points)
                lat = float(np.mean([p[1] for p in points]))
                lon = float(np.mean([p[2] for p in points]))
                # A named way with a category is a place whether or not it is walked on (a pedestrian square, a
                # park's path network drawn as one closed way, a platform).
                _place(tags, lat, lon, places)
    except RuntimeError as exc:  # pyosmium's error for a corrupt or truncated file
        raise BadInputError(f"{path.name} is not a readable OpenStreetMap file: {exc}", code="map-invalid") from exc
    if progress:
        progress(seen % 10_000)
    if not ways:
        raise BadInputError(f"{path.name} has no walkable ways", code="map-empty")
    for name, street_points in streets.items():
        arr = np.array(street_points)
        middle = arr[np.argmin(((arr - arr.mean(axis=0)) ** 2).sum(axis=1))]
        places.append(Place(name, {"name": name}, "street", float(middle[0]), float(middle[1])))
    return _graph(ways, coords, places, str(path.name))


def _place(tags: dict[str, str], lat: float, lon: float, places: list[Place]) -> None:
    names = names_of(tags)
    kind = category(tags)
    if names and kind:
        places.append(Place(names.get("name", next(iter(names.values()))), names, kind, lat, lon))
    street, number = tags.get("addr:street"), tags.get("addr:housenumber")
    if street and number:
        label = f"{street} {number}"
        places.append(Place(label, {"name": label}, "address", lat, lon))


def _graph(ways: list[tuple[list[int], int, str, int]], coords: dict[int, tuple[float, float]],
           places: list[Place], source: str) -> MapData:  # fmt: skip
    ids = np.fromiter(coords.keys(), dtype=np.int64, count=len(coords))
    index = {int(osm_id): i for i, osm_id in enumerate(ids)}
    lat = np.array([coords[int(i)][0] for i in ids])
    lon = np.array([coords[int(i)][1] for i in ids])
    street_names = sorted({name for _, _, name, _ in ways if name})
    street_id = {name: i for i, name in enumerate(street_names)}
    us: list[int] = []
    vs: list[int] = []
    kinds: list[int] = []
    names: list[int] = []
    for refs, kind, name, oneway in ways:
        idx = [index[r] for r in refs]
        sid = street_id.get(name, -1)
        for a, b in itertools.pairwise(idx):
            if a == b:
                continue
            directions = ([(a, b)] if oneway >= 0 else []) + ([(b, a)] if oneway <= 0 else [])
            for x, y in directions:
                us.append(x)
                vs.append(y)
                kinds.append(kind)
                names.append(sid)
    u, v = np.array(us, np.int64), np.array(vs, np.int64)
    order = np.lexsort((v, u))
    u, v = u[order], v[order]
    length = haversine_m(lat[u], lon[u], lat[v], lon[v]).astype(np.float32)
    indptr = np.zeros(len(lat) + 1, np.int64)
    np.add.at(indptr, u + 1, 1)
    indptr = np.cumsum(indptr)
    extra: dict[str, Any] = {"ways": len(ways)}
    return MapData(lat=lat, lon=lon, indptr=indptr, target=v.astype(np.int32), length_m=length,
                   kind=np.array(kinds, np.uint8)[order], street=np.array(names, np.int32)[order],
                   streets=street_names, places=places, source=source, extra=extra)  # fmt: skip
