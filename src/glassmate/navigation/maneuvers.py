"""Maneuvers from a route's geometry and street names: depart, turn (with OSRM's modifiers), continue onto a new
street, cross, arrive. Each step covers the way from its maneuver to the next one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from glassmate.navigation.mapdata import CROSSING, bearing_deg

LOOK_M = 12.0  # bearings are measured over this much of the way before and after a node (not one short segment)
TURN_DEG = 40.0  # a bend sharper than this is a turn even on the same street
MERGE_M = 8.0  # a turn this close after the previous maneuver is folded into it (a kink at a junction)
SHORT_STEP_M = 20.0  # a maneuver this close after a turn or crossing joins it


@dataclass(frozen=True)
class Step:
    type: str  # depart, turn, continue, cross, arrive
    modifier: str  # straight, slight left, left, sharp left, uturn, slight right, right, sharp right
    name: str  # the street the step walks along ("" when unnamed)
    point: int  # index of the maneuver in the route's points
    location: tuple[float, float]  # (lat, lon)
    bearing_before: int
    bearing_after: int
    distance_m: float  # from this maneuver to the next
    duration_s: float

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "modifier": self.modifier, "name": self.name,
                "location": [self.location[1], self.location[0]], "distance_m": round(self.distance_m, 1),
                "duration_s": round(self.duration_s, 1)}  # fmt: skip


def modifier(turn: float) -> str:
    """OSRM's maneuver modifier for a turn of `turn` degrees (negative: to the left)."""
    side = "left" if turn < 0 else "right"
    size = abs(turn)
    if size < 20:
        return "straight"
    if size < 45:
        return f"slight {side}"
    if size < 135:
        return side
    if size < 170:
        return f"sharp {side}"
    return "uturn"


def _along(points: list[tuple[float, float]], cumulative: list[float], i: int, metres: float) -> int:
    """The index of the point about `metres` along the route from point i (negative: back)."""
    target = cumulative[i] + metres
    j = i
    if metres < 0:
        while j > 0 and cumulative[j] > target:
            j -= 1
    else:
        while j < len(points) - 1 and cumulative[j] < target:
            j += 1
    return j


def bearings_at(points: list[tuple[float, float]], cumulative: list[float], i: int) -> tuple[float, float]:
    """The bearings into and out of point i, each measured over LOOK_M of the way (0 where the route starts or
    ends)."""
    back, ahead = _along(points, cumulative, i, -LOOK_M), _along(points, cumulative, i, LOOK_M)
    before = bearing_deg(*points[back], *points[i]) if back < i else 0.0
    after = bearing_deg(*points[i], *points[ahead]) if ahead > i else 0.0
    return before, after


def maneuvers(points: list[tuple[float, float]], lengths: list[float], names: list[str], kinds: list[int],
              speed_m_s: float) -> list[Step]:  # fmt: skip
    """The steps of a route whose edge e joins points e and e+1 (length, street name and kind per edge)."""
    cumulative = [0.0]
    for length in lengths:
        cumulative.append(cumulative[-1] + length)
    if len(points) < 2:
        p = points[0]
        return [Step("arrive", "straight", "", 0, p, 0, 0, 0.0, 0.0)]

    def bearings(i: int) -> tuple[float, float]:
        return bearings_at(points, cumulative, i)

    marks: list[tuple[int, str, str]] = [(0, "depart", "straight")]
    for i in range(1, len(points) - 1):
        before, after = bearings(i)
        turn = (after - before + 540) % 360 - 180
        if kinds[i] == CROSSING and kinds[i - 1] != CROSSING:
            marks.append((i, "cross", modifier(turn)))
        elif abs(turn) >= TURN_DEG:
            if cumulative[i] - cumulative[marks[-1][0]] < MERGE_M and marks[-1][1] == "turn":
                continue
            marks.append((i, "turn", modifier(turn)))
        elif names[i] and names[i] != names[i - 1] and names[i - 1]:
            marks.append((i, "continue", modifier(turn)))
    last = len(points) - 1
    marks.append((last, "arrive", "straight"))
    # A maneuver right after another (a kink at a junction, a crossing's kerb) joins it: one instruction with the
    # net turn, said at the first.
    merged = [marks[0]]
    for mark in marks[1:]:
        prev = merged[-1]
        close = cumulative[mark[0]] - cumulative[prev[0]] < SHORT_STEP_M
        if close and prev[1] in ("turn", "continue", "cross") and mark[1] != "arrive":
            before, _ = bearings(prev[0])
            _, after = bearings(mark[0])
            net = modifier((after - before + 540) % 360 - 180)
            kind = "cross" if "cross" in (prev[1], mark[1]) else "continue" if net == "straight" else "turn"
            merged[-1] = (prev[0], kind, net)
            continue
        merged.append(mark)
    marks = merged
    steps = []
    for (i, kind, mod), (j, _, _) in zip(marks, [*marks[1:], (last, "", "")], strict=True):
        before, after = bearings(i)
        # The street the step walks along: the first named edge after the maneuver (a crossing has no name).
        name = next((names[e] for e in range(i, min(j, len(names))) if names[e]), "") if i < last else ""
        distance = cumulative[j] - cumulative[i]
        steps.append(Step(kind, mod, name, i, points[i], round(before) % 360, round(after) % 360, distance,
                          distance / speed_m_s))  # fmt: skip
    return steps
