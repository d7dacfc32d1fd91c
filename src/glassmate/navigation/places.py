"""Finding places: by name in any language the map has (fuzzy, so "Kauppatorille" and "kauppatori" find
Kauppatori), or by category ("nearest pharmacy", "最近的药店", "nächste Apotheke"), ranked by distance from the
wearer's last position."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from glassmate.errors import BadInputError
from glassmate.navigation.mapdata import MapData, Place, haversine_m
from glassmate.text import fold

MIN_SCORE = 75.0  # the rapidfuzz score (0..100) below which a name is no match
PART_OF_NAME = 0.9  # a query whose words are all in a longer name ("Tuomiokirkko") scores below the whole name
STOP_PENALTY = 3.0  # a tram or bus stop named after a place ranks after the place itself
STOPS = frozenset({"tram_stop", "bus_stop", "metro"})
# The words for each category in the three languages (and Finnish/Swedish map words people use).
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "pharmacy": ("pharmacy", "chemist", "drugstore", "apteekki", "apotek", "药店", "药房", "藥局", "apotheke"),
    "station": (
        "station",
        "railway station",
        "train station",
        "central station",
        "火车站",
        "车站",
        "火車站",
        "bahnhof",
        "hauptbahnhof",
        "rautatieasema",
    ),
    "metro": ("metro", "metro station", "subway", "underground", "地铁", "地铁站", "u-bahn"),
    "tram_stop": ("tram stop", "tram", "电车站", "有轨电车", "straßenbahn", "straßenbahnhaltestelle"),
    "bus_stop": ("bus stop", "公交站", "公交车站", "bushaltestelle", "haltestelle"),
    "cafe": ("cafe", "café", "coffee", "coffee shop", "咖啡馆", "咖啡店", "咖啡", "kaffee", "kahvila"),
    "restaurant": ("restaurant", "food", "餐厅", "饭店", "餐馆", "ravintola", "gaststätte"),
    "supermarket": ("supermarket", "grocery", "grocery store", "超市", "supermarkt", "lebensmittel"),
    "atm": ("atm", "cash machine", "取款机", "自动取款机", "geldautomat"),
    "bank": ("bank", "银行"),
    "toilets": ("toilet", "toilets", "restroom", "bathroom", "厕所", "洗手间", "卫生间", "toilette", "wc"),
    "hospital": ("hospital", "clinic", "医院", "诊所", "krankenhaus", "klinik"),
    "museum": ("museum", "gallery", "博物馆", "美术馆", "museo"),
    "church": ("church", "cathedral", "教堂", "kirche", "dom", "kirkko"),
    "hotel": ("hotel", "hostel", "酒店", "宾馆", "旅馆"),
    "park": ("park", "公园", "puisto"),
    "square": ("square", "广场", "platz", "tori"),
    "library": ("library", "图书馆", "bibliothek", "bücherei", "kirjasto"),
    "post_office": ("post office", "邮局", "post", "postamt"),
    "market": ("market", "market hall", "市场", "农贸市场", "markt", "markthalle", "kauppahalli"),
    "bar": ("bar", "pub", "酒吧", "kneipe"),
}


_FILLERS = (
    "the nearest ",
    "the closest ",
    "nearest ",
    "closest ",
    "a ",
    "an ",
    "the ",
    "最近的",
    "附近的",
    "die nachste ",
    "der nachste ",
    "das nachste ",
    "nachste ",
    "nachster ",
    "nachstes ",
)
_CATEGORY_OF = {fold(word): cat for cat, words in CATEGORY_WORDS.items() for word in words}


@dataclass(frozen=True)
class Found:
    place: Place
    score: float  # 0..100: how well the name matches (100 for a category search)
    distance_m: float | None
    by_category: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"name": self.place.name, "names": self.place.names, "lat": self.place.lat, "lon": self.place.lon,
                "category": self.place.category,
                "distance_m": None if self.distance_m is None else round(self.distance_m)}  # fmt: skip


def category_of(query: str) -> str | None:
    """The category a query names ("nearest pharmacy" → pharmacy), if it names one rather than a place."""
    words = fold(query)
    for prefix in _FILLERS:  # folded already; the space after a word is part of it ("a " is not "apotheke")
        words = words.removeprefix(prefix)
    return _CATEGORY_OF.get(words.strip())


class PlaceIndex:
    def __init__(self, data: MapData) -> None:
        self.places = data.places
        self.lat = np.array([p.lat for p in data.places])
        self.lon = np.array([p.lon for p in data.places])
        # Every name of every place, folded, with the place's index: the haystack of a name search.
        names = [(fold(name), i) for i, p in enumerate(data.places) for name in dict.fromkeys(p.names.values())]
        self._folded = [name for name, _ in names]
        self._owner = np.array([i for _, i in names], dtype=np.int64)

    def _distances(self, near: tuple[float, float] | None) -> np.ndarray | None:
        if near is None or not len(self.places):
            return None
        return np.asarray(haversine_m(near[0], near[1], self.lat, self.lon))

    def search(self, query: str, near: tuple[float, float] | None = None, limit: int = 5) -> list[Found]:
        """Places whose name matches `query`, or of the category it names, best first."""
        text = fold(query)
        if not text:
            raise BadInputError("say or type the name of a place", code="place-query-empty")
        distances = self._distances(near)
        category = category_of(query)
        if category is not None:
            picks = [i for i, p in enumerate(self.places) if p.category == category]
            if distances is not None:
                picks.sort(key=lambda i: distances[i])
            return [Found(self.places[i], 100.0, None if distances is None else float(distances[i]), True)
                    for i in picks[:limit]]  # fmt: skip
        # Every name scored at once in rapidfuzz's C loop; a place scores by its best-matching name.
        cjk = any("\u4e00" <= c <= "\u9fff" for c in text)
        if cjk:  # characters: the whole name, or the query inside a longer one ("大教堂")
            part = 0.95 * process.cdist([text], self._folded, scorer=fuzz.partial_ratio)[0] if len(text) >= 2 else 0
            scores = np.maximum(process.cdist([text], self._folded, scorer=fuzz.ratio)[0], part)
        else:  # words: the whole name (an inflected "Kauppatorille"), or all of the query's words in it
            part = PART_OF_NAME * process.cdist([text], self._folded, scorer=fuzz.token_set_ratio)[0]
            scores = np.maximum(process.cdist([text], self._folded, scorer=fuzz.ratio)[0], part)
        best: dict[int, float] = {}
        for k in np.flatnonzero(scores >= MIN_SCORE):
            i = int(self._owner[k])
            best[i] = max(best.get(i, 0.0), float(scores[k]))

        # The better name first; between names about as good, the nearer place (a 1 km walk costs 3 points).
        def rank(i: int) -> float:
            penalty = 0.0 if distances is None else 3.0 * math.log2(1 + distances[i] / 1000)
            return best[i] - penalty - (STOP_PENALTY if self.places[i].category in STOPS else 0.0)

        ordered = sorted(best, key=rank, reverse=True)
        found: list[Found] = []
        for i in ordered:
            place = self.places[i]
            # One answer per place: the same name or category within 150 m (a square and its tram stop, a station's
            # building and its node) is the same place.
            if any((f.place.name == place.name or f.place.category == place.category or place.category in STOPS)
                   and haversine_m(f.place.lat, f.place.lon, place.lat, place.lon) < 150 for f in found):  # fmt: skip
                continue
            found.append(Found(place, best[i], None if distances is None else float(distances[i])))
            if len(found) == limit:
                break
        return found

    def nearest(self, lat: float, lon: float, categories: set[str] | None = None) -> Found | None:
        """The nearest place (of these categories), for "where am I"."""
        distances = self._distances((lat, lon))
        if distances is None:
            return None
        picks = [i for i, p in enumerate(self.places) if categories is None or p.category in categories]
        if not picks:
            return None
        i = min(picks, key=lambda k: distances[k])
        return Found(self.places[i], 100.0, float(distances[i]))


def ambiguous(found: list[Found]) -> bool:
    """Two different places match about as well: ask the wearer which one they mean."""
    if len(found) < 2 or found[0].by_category:
        return False
    a, b = found[0], found[1]
    if a.score - b.score > 4:
        return False
    # Two branches of one chain ("Hesburger", "Hesburger") are not a question: the nearer one is meant.
    return fold(a.place.name) != fold(b.place.name)
