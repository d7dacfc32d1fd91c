"""Picking one of two places by voice: after "Do you mean A or B?", the next turn may say "the first", "the second
one", "第二个", "die erste", "the closer one", or (part of) a name; then the route starts to that place. The choice
is an activity in focus for that one turn only: anything else is routed as usual and the question is dropped."""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from glassmate.navigation.places import Found
from glassmate.skills.base import Activity, Output, Port, SkillPolicy, Turn
from glassmate.skills.tools import ToolContext
from glassmate.text import fold

if TYPE_CHECKING:
    from glassmate.skills.routing import Route

# Ordinals and "nearer" in the three languages (folded: lower case, no accents, simplified Chinese).
_FIRST = re.compile(r"\b(first|1st|erste[nrms]?|ersten|eins)\b|第一|头一|前一个|一号")
_SECOND = re.compile(r"\b(second|2nd|two|other|zweite[nrms]?|zwei|andere[nrms]?)\b|第二|后一个|另一个|二号")
_NEARER = re.compile(r"\b(near(er|est)?|clos(er|est)|nahe(re[nrms]?)?|naher|nachste[nrms]?)\b|近的|最近|近一点|更近")
NAME_SCORE = 80  # rapidfuzz partial ratio of a word that only one place's names have, against the words said
NAME_MARGIN = 10  # ... and this much better than the other place's


def pick(text: str, options: list[Found]) -> int | None:
    """Which of two places the words choose (their index), or None when they do not choose."""
    said = fold(text)
    if not said:
        return None
    first, second = bool(_FIRST.search(said)), bool(_SECOND.search(said))
    if first != second:
        return 0 if first else 1
    if _NEARER.search(said):
        return min(range(len(options)), key=lambda i: options[i].distance_m or 0.0)
    # A name picks by the words that tell the two apart ("Esplanadi", not the "K-Market" both have).
    words = [{w for n in (*o.place.names.values(), o.place.name) for w in fold(n).split() if len(w) > 1}
             for o in options]  # fmt: skip
    scores = []
    for i, own in enumerate(words):
        distinct = own - set().union(*(w for j, w in enumerate(words) if j != i))
        scores.append(max((fuzz.partial_ratio(w, said) for w in distinct), default=0.0))
    best = max(range(len(scores)), key=scores.__getitem__)
    others = [s for i, s in enumerate(scores) if i != best]
    if scores[best] >= NAME_SCORE and all(scores[best] - s >= NAME_MARGIN for s in others):
        return best
    return None


class PlaceChoice(Activity):
    skill = "navigate"

    def __init__(self, *, port: Port, options: list[Found], policy: SkillPolicy,
                 go: Callable[[ToolContext, Found], AsyncGenerator[Output, None]]) -> None:  # fmt: skip
        self.port = port
        self.options = options
        self.policy = policy
        self.go = go

    def claim(self, turn: Turn, matched: Route | None) -> Route | None:
        from glassmate.skills.routing import Route

        self.port.release(self)  # one turn only, whatever it says
        if matched is not None and matched.tool not in (None, "navigate"):
            return None  # another command ("what time is it", "stop navigation")
        chosen = pick(turn.text, self.options)
        if chosen is None:
            return None
        target = self.options[chosen]

        async def run(ctx: ToolContext) -> AsyncGenerator[Output, None]:
            async for out in self.go(ctx, target):
                yield out

        return Route(skill=self.skill, matched_by="activity", run=run, policy=self.policy, tool="navigate")
