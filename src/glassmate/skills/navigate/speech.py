"""How the navigate skill says distances, directions and maneuvers, in the wearer's language (for a tool's answer
and for the guidance's announcements alike)."""

from __future__ import annotations

from glassmate.navigation.maneuvers import Step
from glassmate.navigation.places import Found
from glassmate.navigation.router import Route
from glassmate.skills.navigate.texts import TEXTS
from glassmate.skills.tools import Speaks

COMPASS = ("n", "ne", "e", "se", "s", "sw", "w", "nw")
# The HUD's arrow for a maneuver modifier (the page draws it; card-only glasses show the glyph).
ARROWS = {"straight": "↑", "slight left": "↖", "left": "←", "sharp left": "↙", "uturn": "↓", "sharp right": "↘",
          "right": "→", "slight right": "↗"}  # fmt: skip


def distance_text(t: Speaks, metres: float) -> str:
    """Spoken distances: to 10 m under a kilometre, to 0.1 km above."""
    if metres < 1000:
        return t.text(TEXTS, "metres", n=max(10, round(metres / 10) * 10))
    return t.text(TEXTS, "km", n=f"{metres / 1000:.1f}".rstrip("0").rstrip("."))


def minutes_text(t: Speaks, seconds: float) -> str:
    n = max(1, round(seconds / 60))
    return t.text(TEXTS, "minute") if n == 1 else t.text(TEXTS, "minutes", n=n)


def direction(t: Speaks, bearing: float) -> str:
    return t.text(TEXTS, COMPASS[round(bearing / 45) % 8])


def instruction(t: Speaks, step: Step, metres: float, place: str) -> str:
    """One maneuver as said ahead of it: "In 60 metres turn left onto Mikonkatu."."""
    distance = distance_text(t, metres)
    if step.type == "depart":
        along = t.text(TEXTS, "along", name=step.name) if step.name else ""
        return t.text(TEXTS, "depart", direction=direction(t, step.bearing_after), along=along)
    if step.type == "arrive":
        return t.text(TEXTS, "arrive", distance=distance, place=place)
    onto = t.text(TEXTS, "onto", name=step.name) if step.name else ""
    if step.type == "continue" and step.name:
        return t.text(TEXTS, "continue", distance=distance, name=step.name)
    if step.type == "cross":
        return t.text(TEXTS, "cross", distance=distance, onto=onto)
    return t.text(TEXTS, "turn", distance=distance, modifier=t.text(TEXTS, step.modifier), onto=onto)


def opening(t: Speaks, route: Route, place: str) -> str:
    """How a new route starts: "Head east along X." and, when there is one, the maneuver after it."""
    said = instruction(t, route.steps[0], 0, place)
    if len(route.steps) > 2:
        said += " " + instruction(t, route.steps[1], route.steps[0].distance_m, place)
    return said


def instruction_now(t: Speaks, step: Step, place: str) -> str:
    """One maneuver as said at it: "Now turn left onto Mikonkatu."."""
    if step.type == "arrive":
        return t.text(TEXTS, "arrived", place=place)
    onto = t.text(TEXTS, "onto", name=step.name) if step.name else ""
    if step.type == "continue" and step.name:
        return t.text(TEXTS, "now_continue", name=step.name)
    if step.type == "cross":
        return t.text(TEXTS, "now_cross", onto=onto)
    return t.text(TEXTS, "now_turn", modifier=t.text(TEXTS, step.modifier), onto=onto)


def place_name(found: Found, language: str) -> str:
    names = found.place.names
    keys = {"zh": ("name:zh", "name:zh-Hans"), "en": ("name:en",), "de": ("name:de", "name:en")}.get(language, ())
    return next((names[k] for k in keys if names.get(k)), found.place.name)
