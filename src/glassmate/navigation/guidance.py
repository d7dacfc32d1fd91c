"""Turn-by-turn guidance on one route, fix by fix: pure and synchronous (no I/O), so that it is tested on replayed
GPS traces and measured per fix.

Each fix is map-matched to the route: projected onto the route's segments near where the wearer was (a window
from a little behind to a little ahead, so that a route passing the same street twice is matched to the right
pass). The projection gives the distance walked along the route and the distance off it. From those:

- the next maneuver is the first one beyond the farthest point reached (progress never goes back, so GPS jitter
  around a corner does not bring an old maneuver back);
- each maneuver is announced at most twice: "prepare" when it is PREPARE_M ahead (only when the step is long
  enough for that to be news), and "now" at NOW_M; a fix that jumps past both thresholds says only "now";
- a wearer off the route near the progress who is on it further on (a shortcut) rejoins it there;
- leaving the route is more than OFF_ROUTE_M off it (or 1.5 × the fix's reported accuracy, whichever is more)
  for OFF_ROUTE_FIXES fixes in a row; then the caller reroutes from the fix;
- arrival is being within ARRIVE_M of the route's end, along the route or in a straight line.

Why these numbers: a fix with Gaussian noise of σ = 8 m per axis lands more than 25 m from the true line with
probability 0.2 %, twice in a row 4·10⁻⁶, so no false reroute in a city walk; a wearer who walks the wrong way
at 1.3 m/s is past 25 m after about 20 s, noticed at the next fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from glassmate.navigation.mapdata import bearing_deg, haversine_m
from glassmate.navigation.router import Route

OFF_ROUTE_M = 25.0
OFF_ROUTE_FIXES = 2
ACCURACY_FACTOR = 1.5  # a fix that says it is ±30 m off is not believed off the route below 45 m
ARRIVE_M = 15.0
PREPARE_M = 120.0  # "in 120 metres turn left"
PREPARE_MIN_STEP_M = 60.0  # ... only when the wearer has walked this far since the last announcement's maneuver
NOW_M = 20.0  # "now turn left"
WINDOW_BACK_M = 40.0  # map-matching looks this far behind the farthest point reached ...
WINDOW_AHEAD_M = 60.0  # ... and this far ahead of it (farther only when the wearer is off the route here)
START_GRACE_M = 30.0  # the first metres of a route forgive the distance from the fix to the graph
SAME_SPOT_M = 12.0  # two passes of the route this close to a fix are both where the wearer may be
AHEAD_M = 15.0  # the heading arrow points at the route this far ahead of the wearer

_EARTH = np.pi / 180 * 6_371_008.8  # metres per degree of latitude


@dataclass(frozen=True)
class Fix:
    lat: float
    lon: float
    heading_deg: float | None = None
    accuracy_m: float | None = None


@dataclass(frozen=True)
class Decision:
    """What one fix means for the wearer."""

    state: str  # guiding, off-route (the caller reroutes), arrived
    step: int  # index of the next maneuver in route.steps
    to_maneuver_m: float  # along the route, from the wearer to that maneuver
    remaining_m: float
    remaining_s: float
    off_route_m: float  # the wearer's distance from the route
    announce: str | None = None  # "prepare" or "now" for route.steps[step], "arrived" once
    direction_deg: float | None = None  # where the route goes, relative to the wearer's heading (0: ahead)


@dataclass
class Guide:
    """Guidance along `route`. `start_offset_m`: how far the wearer was from the route's first point when it was
    made (a fix in a courtyard snapped to the nearest path), forgiven until the wearer is on the way."""

    route: Route
    start_offset_m: float = 0.0
    reached_m: float = 0.0  # the farthest distance along the route matched so far
    off_fixes: int = 0
    announced: set[tuple[int, str]] = field(default_factory=set)
    arrived: bool = False

    def __post_init__(self) -> None:
        points = np.asarray(self.route.points, dtype=np.float64).reshape(-1, 2)
        self._lat0, self._lon0 = float(points[:, 0].mean()), float(points[:, 1].mean())
        self._kx = _EARTH * np.cos(np.radians(self._lat0))
        xy = self._xy(points[:, 0], points[:, 1])
        self._a = xy[:-1]
        self._d = xy[1:] - xy[:-1]
        self._len2 = np.maximum((self._d**2).sum(axis=1), 1e-9)
        self._cum = np.asarray(self.route.cumulative_m, dtype=np.float64)
        seg = np.sqrt((self._d**2).sum(axis=1))
        # Distances along the route from the projection (planar) are scaled to the route's own metres.
        self._seg_m = np.diff(self._cum) if len(self._cum) > 1 else np.zeros(0)
        self._scale = np.divide(self._seg_m, seg, out=np.ones_like(seg), where=seg > 0)
        self._maneuver_m = np.array([self._cum[s.point] for s in self.route.steps])
        self._speed = self.route.distance_m / self.route.duration_s if self.route.duration_s else 1.3

    def _xy(self, lat: np.ndarray | float, lon: np.ndarray | float) -> np.ndarray:
        return np.column_stack([(np.asarray(lon) - self._lon0) * self._kx, (np.asarray(lat) - self._lat0) * _EARTH])

    def match(self, lat: float, lon: float, ahead_m: float = WINDOW_AHEAD_M) -> tuple[float, float]:
        """(distance along the route, distance off it) of a position, in metres, near the progress so far."""
        total = self.route.distance_m
        if len(self._a) == 0:
            return 0.0, float(haversine_m(lat, lon, *self.route.points[0]))
        lo = int(np.searchsorted(self._cum, self.reached_m - WINDOW_BACK_M, side="right")) - 1
        hi = int(np.searchsorted(self._cum, min(total, self.reached_m + ahead_m), side="left")) + 1
        lo, hi = max(lo, 0), min(max(hi, lo + 1), len(self._a))
        p = self._xy(lat, lon)[0]
        a, d = self._a[lo:hi], self._d[lo:hi]
        t = np.clip(((p - a) * d).sum(axis=1) / self._len2[lo:hi], 0.0, 1.0)
        off = np.hypot(*(a + t[:, None] * d - p).T)
        alongs = self._cum[lo:hi] + t * self._seg_m[lo:hi]
        # Where the route passes the same spot twice (a loop around a block, there and back along a street), of the
        # passes that fit nearly as well the one nearest the progress so far wins: the wearer walks the route in
        # order, and a later pass takes over once the earlier one no longer fits.
        fits = np.flatnonzero(off <= off.min() + SAME_SPOT_M)
        i = int(fits[np.argmin(np.abs(alongs[fits] - self.reached_m))])
        return float(alongs[i]), float(off.min())

    def update(self, fix: Fix) -> Decision:
        along, off = self.match(fix.lat, fix.lon)
        limit = max(OFF_ROUTE_M, ACCURACY_FACTOR * (fix.accuracy_m or 0.0))
        if self.reached_m < START_GRACE_M:
            limit += self.start_offset_m
        self.off_fixes = self.off_fixes + 1 if off > limit else 0
        if self.off_fixes >= OFF_ROUTE_FIXES:
            # Off the route here, but perhaps back on it further on (a shortcut, a gap in the fixes).
            later, later_off = self.match(fix.lat, fix.lon, ahead_m=self.route.distance_m)
            if later_off <= limit:
                along, off, self.off_fixes = later, later_off, 0
        if self.off_fixes < OFF_ROUTE_FIXES:  # a fix off the route does not move the wearer along it
            self.reached_m = max(self.reached_m, along)
        total = self.route.distance_m
        remaining = max(0.0, total - along)
        end_m = float(haversine_m(fix.lat, fix.lon, *self.route.points[-1]))
        steps = self.route.steps
        # The next maneuver: the first one past the farthest point reached (depart is behind from the start).
        step = min(int(np.searchsorted(self._maneuver_m, self.reached_m, side="right")), len(steps) - 1)
        step = max(step, 1) if len(steps) > 1 else 0
        to_maneuver = max(0.0, float(self._maneuver_m[step]) - along)
        direction = self._direction(fix, along)
        if self.arrived or ((remaining <= ARRIVE_M or end_m <= ARRIVE_M) and self.off_fixes == 0):
            announce = None if self.arrived else "arrived"
            self.arrived = True
            return Decision("arrived", len(steps) - 1, 0.0, 0.0, 0.0, off, announce, direction)
        if self.off_fixes >= OFF_ROUTE_FIXES:
            return Decision("off-route", step, to_maneuver, remaining, remaining / self._speed, off, None, direction)
        return Decision("guiding", step, to_maneuver, remaining, remaining / self._speed, off,
                        self._announcement(step, to_maneuver), direction)  # fmt: skip

    def _announcement(self, step: int, to_maneuver: float) -> str | None:
        """ "prepare" or "now" for the next maneuver, each at most once (arrival is announced when it happens)."""
        if self.route.steps[step].type == "arrive" or (step, "now") in self.announced:
            return None
        if to_maneuver <= NOW_M:
            self.announced |= {(step, "now"), (step, "prepare")}
            return "now"
        if to_maneuver <= PREPARE_M and (step, "prepare") not in self.announced:
            self.announced.add((step, "prepare"))
            walked_since = float(self._maneuver_m[step] - self._maneuver_m[step - 1]) if step else 0.0
            # A short step was already told with the previous maneuver ("then in 40 metres ..."): no "prepare".
            return "prepare" if walked_since >= PREPARE_MIN_STEP_M else None
        return None

    def _direction(self, fix: Fix, along: float) -> float | None:
        """The bearing from the wearer to the route AHEAD_M ahead, relative to where the wearer faces."""
        if fix.heading_deg is None:
            return None
        target = min(self.route.distance_m, along + AHEAD_M)
        i = min(int(np.searchsorted(self._cum, target, side="right")) - 1, len(self.route.points) - 2)
        i = max(i, 0)
        seg = self._seg_m[i] if len(self._seg_m) else 0.0
        t = (target - self._cum[i]) / seg if seg > 0 else 0.0
        (lat1, lon1), (lat2, lon2) = self.route.points[i], self.route.points[min(i + 1, len(self.route.points) - 1)]
        lat, lon = lat1 + t * (lat2 - lat1), lon1 + t * (lon2 - lon1)
        if float(haversine_m(fix.lat, fix.lon, lat, lon)) < 1:
            return 0.0
        return (bearing_deg(fix.lat, fix.lon, lat, lon) - fix.heading_deg + 540) % 360 - 180
