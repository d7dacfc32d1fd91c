"""Walking navigation: routes on the central-Helsinki extract and on a generated 250,000-node grid city, the
graph library compared, startup and memory.

Routes: random pairs of walkable nodes, timed end to end (snap, search, path, maneuvers) with scipy's Dijkstra as
glassmate runs it (bounded search), and the bare search with networkx's bidirectional Dijkstra and A* on the same
graph for comparison. Startup: loading the saved map, building the graph and the place index (what `glassmate
serve` does on first use). Memory: the process's peak RSS after each step.

Guidance: GPS walks replayed along random routes with noisy fixes (σ = 5 and 8 m), and missed turns: the time per
fix, false reroutes, arrivals, and how many fixes a wrong turn takes to notice.

Prints a table and writes bench/out/navigation.json. Run: `.venv/bin/python bench/navigation.py` (about a
minute; the map must be imported: `glassmate map import`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from glassmate.config import Settings
from glassmate.navigation.mapdata import WALK, MapData, haversine_m
from glassmate.navigation.places import PlaceIndex
from glassmate.navigation.router import WalkGraph

OUT = Path(__file__).parent / "out"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2)


def rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def grid_city(side: int, spacing_m: float = 25.0, seed: int = 5) -> MapData:
    """A side×side street grid (nodes every `spacing_m`) near Helsinki, with 8 % of the blocks' edges missing."""
    rng = np.random.default_rng(seed)
    n = side * side
    dlat = spacing_m / 111_195
    dlon = dlat / math.cos(math.radians(60.17))
    rows, cols = np.divmod(np.arange(n), side)
    lat, lon = 60.0 + rows * dlat, 24.5 + cols * dlon
    right = np.flatnonzero(cols < side - 1)
    down = np.flatnonzero(rows < side - 1)
    u = np.concatenate([right, down])
    v = np.concatenate([right + 1, down + side])
    keep = rng.random(len(u)) > 0.08
    u, v = u[keep], v[keep]
    su, sv = np.concatenate([u, v]), np.concatenate([v, u])
    order = np.lexsort((sv, su))
    su, sv = su[order], sv[order]
    indptr = np.zeros(n + 1, np.int64)
    np.add.at(indptr, su + 1, 1)
    return MapData(lat=lat, lon=lon, indptr=np.cumsum(indptr), target=sv.astype(np.int32),
                   length_m=haversine_m(lat[su], lon[su], lat[sv], lon[sv]).astype(np.float32),
                   kind=np.full(len(su), WALK, np.uint8), street=np.full(len(su), -1, np.int32), streets=[],
                   places=[], source=f"grid {side}x{side}")  # fmt: skip


def networkx_graph(graph: WalkGraph) -> Any:
    import networkx as nx

    g = nx.DiGraph()
    coo = graph.matrix.tocoo()
    g.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True))
    return g


def routes(graph: WalkGraph, pairs: list[tuple[int, int]], with_networkx: bool) -> dict[str, Any]:
    d = graph.data
    ours, lengths = [], []
    for a, b in pairs:
        start = time.perf_counter()
        route = graph.describe(graph.shortest(a, b))
        ours.append((time.perf_counter() - start) * 1000)
        lengths.append(route.distance_m)
    report: dict[str, Any] = {"n": len(pairs), "median_length_m": round(float(np.median(lengths))),
                              "scipy_ms": {"p50": pct(ours, 0.5), "p99": pct(ours, 0.99)}}  # fmt: skip
    if with_networkx:
        import networkx as nx

        g = networkx_graph(graph)

        def h(x: int, y: int) -> float:  # the straight line: never longer than the walk (A* stays exact)
            return float(haversine_m(d.lat[x], d.lon[x], d.lat[y], d.lon[y]))

        for name, search in (("networkx_bidijkstra_ms", lambda a, b: nx.bidirectional_dijkstra(g, a, b)),
                             ("networkx_astar_ms", lambda a, b: nx.astar_path(g, a, b, heuristic=h))):  # fmt: skip
            times = []
            for a, b in pairs:
                start = time.perf_counter()
                search(a, b)
                times.append((time.perf_counter() - start) * 1000)
            report[name] = {"p50": pct(times, 0.5), "p99": pct(times, 0.99)}
    return report


def walking_pairs(graph: WalkGraph, n: int, max_m: float, rng: random.Random) -> list[tuple[int, int]]:
    """Random pairs no farther apart than `max_m` as the crow flies (a walk, not a cross-country trip)."""
    d, nodes, pairs = graph.data, [int(x) for x in graph.snappable], []
    while len(pairs) < n:
        a, b = rng.sample(nodes, 2)
        if haversine_m(d.lat[a], d.lon[a], d.lat[b], d.lon[b]) <= max_m:
            pairs.append((a, b))
    return pairs


def guidance(graph: WalkGraph, pairs: list[tuple[int, int]]) -> dict[str, Any]:
    """Replayed walks along routes between random pairs (routes the guidance was not tuned on): noisy fixes
    (σ = 5 and 8 m per axis, one every 2 m) timed per fix, false reroutes and arrivals counted; a missed turn 80 m
    down a real street: fixes from the junction to the reroute (a fix every 10 m) and from the moment the wearer is
    truly more than 25 m off (a fix every 2 m), and the new route's time."""
    from glassmate.navigation.guidance import OFF_ROUTE_M, Fix, Guide
    from glassmate.testing.gps import distance_to, missed_turn, noisy, walk

    rng = np.random.default_rng(7)
    d = graph.data
    per_fix: list[float] = []
    out: dict[str, Any] = {"routes": 0}
    after_junction: list[int] = []  # fixes every 10 m, counted from the missed junction
    after_off: list[int] = []  # fixes every 2 m, counted from the first one truly > 25 m off
    reroute_ms: list[float] = []
    missed = 0
    for sigma in (5.0, 8.0):
        false_reroutes = arrived = 0
        for a, b in pairs:
            route = graph.describe(graph.shortest(a, b))
            if route.distance_m < 100:
                continue
            out["routes"] += 1 if sigma == 5.0 else 0
            guide = Guide(route)
            states = []
            for lat, lon in noisy([*walk(route.points, 2.0), *[route.points[-1]] * 3], sigma, rng):
                t = time.perf_counter()
                states.append(guide.update(Fix(lat, lon)).state)
                per_fix.append((time.perf_counter() - t) * 1000)
            false_reroutes += "off-route" in states
            arrived += states[-1] == "arrived"
            # A missed turn: 80 m down the other street at the first junction where that leads away.
            missed_at = missed_turn(graph, route, 80.0)
            if missed_at is not None:
                step, wrong = missed_at
                for spacing, counted in ((10.0, after_junction), (2.0, after_off)):
                    before = walk(route.points[: step.point + 1], spacing)
                    truth = before + walk(wrong, spacing)[1:]
                    guide = Guide(route)
                    fixes = noisy(truth, sigma, rng)
                    at = next((i for i, p in enumerate(fixes) if guide.update(Fix(*p)).state == "off-route"), None)
                    if at is None:
                        missed += 1
                        continue
                    start = len(before) - 1 if spacing == 10.0 else next(
                        i for i, p in enumerate(truth) if distance_to(route.points, *p) > OFF_ROUTE_M)  # fmt: skip
                    counted.append(at - start)
                    t = time.perf_counter()
                    graph.route_nodes(fixes[at], (float(d.lat[b]), float(d.lon[b])))
                    reroute_ms.append((time.perf_counter() - t) * 1000)
        out[f"sigma_{sigma:g}m"] = {"false_reroutes": false_reroutes, "arrived": arrived}
    out["fixes"] = len(per_fix)
    out["fix_ms"] = {"p50": pct(per_fix, 0.5), "p99": pct(per_fix, 0.99), "max": round(max(per_fix), 2)}

    def spread(values: list[int]) -> dict[str, float]:
        return {"p50": pct(values, 0.5), "p90": pct(values, 0.9), "max": max(values)} if values else {}

    out["wrong_turns"] = {"trials": len(after_junction) + len(after_off) + missed, "missed": missed,
                          "fixes_from_junction_every_10m": spread(after_junction),
                          "fixes_from_25m_off_every_2m": spread(after_off),
                          "reroute_ms": {"p50": pct(reroute_ms, 0.5), "p99": pct(reroute_ms, 0.99)}}  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--routes", type=int, default=200)
    parser.add_argument("--walks", type=int, default=60, help="replayed GPS walks for the guidance")
    parser.add_argument("--grid", type=int, default=500, help="side of the generated grid city (500: 250,000 nodes)")
    parser.add_argument("--output", type=Path, default=OUT / "navigation.json")
    args = parser.parse_args()
    rng = random.Random(1)
    report: dict[str, Any] = {"rss_start_mb": rss_mb()}
    path = Settings().maps_dir / f"{Settings().navigation.map}.npz"
    start = time.perf_counter()
    data = MapData.load(path)
    graph = WalkGraph(data)
    PlaceIndex(data)
    report["helsinki"] = {"nodes": data.nodes, "edges": data.edges, "places": len(data.places),
                          "startup_ms": round((time.perf_counter() - start) * 1000, 1), "rss_mb": rss_mb()}  # fmt: skip
    report["helsinki"].update(routes(graph, walking_pairs(graph, args.routes, 2500, rng), with_networkx=True))
    report["guidance"] = guidance(graph, walking_pairs(graph, args.walks, 1500, rng))
    with tempfile.TemporaryDirectory() as tmp:
        grid = grid_city(args.grid)
        grid.save(Path(tmp) / "grid.npz")
        start = time.perf_counter()
        loaded = MapData.load(Path(tmp) / "grid.npz")
        big = WalkGraph(loaded)
        startup = (time.perf_counter() - start) * 1000
    report["grid"] = {"nodes": grid.nodes, "edges": grid.edges, "startup_ms": round(startup, 1), "rss_mb": rss_mb()}
    report["grid"].update(routes(big, walking_pairs(big, args.routes // 2, 2500, rng), with_networkx=True))
    report["machine"] = {"cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}
    OUT.mkdir(exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2))
    print(f"\nglassmate navigation ({report['machine']['cpus']} CPUs, {report['machine']['date']})")
    for name in ("helsinki", "grid"):
        r = report[name]
        line = (f"  {name:<9} {r['nodes']:>7,} nodes  startup {r['startup_ms']} ms  RSS {r['rss_mb']} MB  "
                f"route (median {r['median_length_m']} m): scipy p50 {r['scipy_ms']['p50']} / p99 "
                f"{r['scipy_ms']['p99']} ms")  # fmt: skip
        for key in ("networkx_bidijkstra_ms", "networkx_astar_ms"):
            line += f"; {key.removesuffix('_ms')} p50 {r[key]['p50']} / p99 {r[key]['p99']} ms"
        print(line)
    g = report["guidance"]
    print(
        f"  guidance  {g['routes']} walks, {g['fixes']:,} fixes: fix → decision p50 {g['fix_ms']['p50']} / p99 "
        f"{g['fix_ms']['p99']} ms; false reroutes σ5 {g['sigma_5m']['false_reroutes']}, σ8 "
        f"{g['sigma_8m']['false_reroutes']}; arrived {g['sigma_5m']['arrived']} + {g['sigma_8m']['arrived']}; "
        f"wrong turns {json.dumps(g['wrong_turns'])}"
    )
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
