"""Walking navigation: routes on the central-Helsinki extract and on a generated 250,000-node grid city, the
graph library compared, startup and memory.

Routes: random pairs of walkable nodes, timed end to end (snap, search, path, maneuvers) with scipy's Dijkstra as
glassmate runs it (bounded search), and the bare search with networkx's bidirectional Dijkstra and A* on the same
graph for comparison. Startup: loading the saved map, building the graph and the place index (what `glassmate
serve` does on first use). Memory: the process's peak RSS after each step.

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--routes", type=int, default=200)
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
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
