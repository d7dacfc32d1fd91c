"""The walking map as glassmate keeps it: a graph of walkable OpenStreetMap ways and an index of named places.

Stored as one compressed NumPy archive (`maps/<name>.npz` under glassmate's home): node coordinates, the graph in
compressed sparse row form (for each node, its edges: target node, length in metres, kind, street name), and the
places as JSON. Loading it is a few array reads (tens of milliseconds for a city centre), so `glassmate serve` is
ready at once; `glassmate map import` builds it from any `.osm.pbf` (navigation/osm.py).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from glassmate.errors import BadInputError

EARTH_RADIUS_M = 6_371_008.8
ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0 (https://www.openstreetmap.org/copyright)"
FORMAT = 1

# Edge kinds: what the wearer walks on (steps cost more than their length; a crossing is announced).
WALK, STEPS, CROSSING = 0, 1, 2


@dataclass(frozen=True)
class Place:
    name: str  # the name in the data's main `name` tag
    names: dict[str, str]  # every name the data has: name, name:fi, name:sv, name:en, name:zh, alt_name, ...
    category: str  # pharmacy, station, square, cafe, street, address, ...
    lat: float
    lon: float

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "names": self.names, "category": self.category, "lat": self.lat, "lon": self.lon}


@dataclass
class MapData:
    lat: np.ndarray  # float64, one per node
    lon: np.ndarray
    indptr: np.ndarray  # int64, CSR: the edges of node i are indptr[i]:indptr[i + 1]
    target: np.ndarray  # int32
    length_m: np.ndarray  # float32
    kind: np.ndarray  # uint8: WALK, STEPS, CROSSING
    street: np.ndarray  # int32 index into `streets`, -1 for an unnamed way
    streets: list[str]
    places: list[Place]
    source: str = ""  # the file it was imported from
    attribution: str = ATTRIBUTION
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def nodes(self) -> int:
        return len(self.lat)

    @property
    def edges(self) -> int:
        return len(self.target)

    def bbox(self) -> tuple[float, float, float, float]:
        """(min lat, min lon, max lat, max lon) of the walkable nodes."""
        return float(self.lat.min()), float(self.lon.min()), float(self.lat.max()), float(self.lon.max())

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"format": FORMAT, "streets": self.streets, "places": [p.as_dict() for p in self.places],
                "source": self.source, "attribution": self.attribution, "extra": self.extra}  # fmt: skip
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, lat=self.lat, lon=self.lon, indptr=self.indptr, target=self.target,
                            length_m=self.length_m, kind=self.kind, street=self.street,
                            meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), np.uint8))  # fmt: skip
        tmp.replace(path)  # a reader never sees half a map

    @classmethod
    def load(cls, path: Path) -> MapData:
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(z["meta"].tobytes().decode())
                if meta.get("format") != FORMAT:
                    raise BadInputError(f"{path} is a map of another format: import it again", code="map-invalid")
                return cls(
                    lat=z["lat"], lon=z["lon"], indptr=z["indptr"], target=z["target"], length_m=z["length_m"],
                    kind=z["kind"], street=z["street"], streets=meta["streets"],
                    places=[Place(**p) for p in meta["places"]], source=meta.get("source", ""),
                    attribution=meta.get("attribution", ATTRIBUTION), extra=meta.get("extra", {}),
                )  # fmt: skip
        except (OSError, ValueError, KeyError) as exc:
            raise BadInputError(f"{path} is not a glassmate map: {exc}", code="map-invalid") from exc


def haversine_m(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Great-circle distance in metres (scalars or NumPy arrays)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(1.0, a)))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The initial compass bearing from the first point to the second (0 = north, 90 = east)."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return (math.degrees(math.atan2(x, y)) + 360) % 360
