"""The questions for what a booking's text did not say, in Chinese, English and German."""

from __future__ import annotations

import re

from glassmate.travel.bookings import Booking, missing

# -- questions -------------------------------------------------------------------------------------------------

QUESTIONS: dict[str, dict[str, str]] = {
    "en": {
        "number": "What is the number of {what}?", "from_code": "Which airport does {what} leave from?",
        "to_code": "Which airport does {what} fly to?", "from_place": "Which station does {what} leave from?",
        "to_place": "Which station does {what} go to?", "date": "On what date is {what}?",
        "departs": "At what time does {what} leave?", "arrives": "At what time does {what} arrive?",
        "name": "What is the hotel's name?", "checkin_date": "On what date do you check in?",
        "checkout_date": "On what date do you check out?", "company": "Which company is the car from?",
        "pickup_place": "Where do you pick the car up?", "pickup_date": "On what date do you pick the car up?",
        "pickup_time": "At what time do you pick the car up?", "return_date": "On what date do you return the car?",
        "flight": "your flight", "train": "your train", "flight_n": "flight {n}", "train_n": "train {n}",
        "leg": "{what} (leg {i})",
    },
    "de": {
        "number": "Welche Nummer hat {what}?", "from_code": "Von welchem Flughafen geht {what}?",
        "to_code": "Zu welchem Flughafen geht {what}?", "from_place": "Von welchem Bahnhof fährt {what}?",
        "to_place": "Wohin fährt {what}?", "date": "An welchem Datum geht {what}?",
        "departs": "Um wie viel Uhr geht {what}?", "arrives": "Um wie viel Uhr kommt {what} an?",
        "name": "Wie heißt das Hotel?", "checkin_date": "An welchem Tag checkst du ein?",
        "checkout_date": "An welchem Tag checkst du aus?", "company": "Von welcher Firma ist der Mietwagen?",
        "pickup_place": "Wo holst du den Wagen ab?", "pickup_date": "An welchem Tag holst du den Wagen ab?",
        "pickup_time": "Um wie viel Uhr holst du den Wagen ab?", "return_date": "An welchem Tag gibst du den "
        "Wagen zurück?", "flight": "dein Flug", "train": "dein Zug", "flight_n": "Flug {n}", "train_n": "Zug {n}",
        "leg": "{what} (Teilstrecke {i})",
    },
    "zh": {
        "number": "{what}的班次号是多少？", "from_code": "{what}从哪个机场出发？", "to_code": "{what}飞往哪个机场？",
        "from_place": "{what}从哪个车站出发？", "to_place": "{what}到哪个车站？", "date": "{what}是哪一天？",
        "departs": "{what}几点出发？", "arrives": "{what}几点到达？", "name": "酒店叫什么名字？",
        "checkin_date": "哪天入住？", "checkout_date": "哪天退房？", "company": "在哪家公司租的车？",
        "pickup_place": "在哪里取车？", "pickup_date": "哪天取车？", "pickup_time": "几点取车？",
        "return_date": "哪天还车？", "flight": "你的航班", "train": "你的火车", "flight_n": "航班{n}",
        "train_n": "{n}次列车", "leg": "{what}（第{i}段）",
    },
}  # fmt: skip


def questions(booking: Booking, language: str) -> list[dict[str, str]]:
    """Each missing field with the question that asks for it, in the wearer's language."""
    texts = QUESTIONS.get(language, QUESTIONS["en"])
    out = []
    for path in missing(booking):
        name = path.rsplit(".", 1)[-1]
        what = ""
        if path.startswith("segments."):
            i = int(path.split(".")[1])
            seg = booking.segments[i]
            what = texts[f"{booking.kind}_n"].format(n=seg.number) if seg.number else texts[booking.kind]
            if len(booking.segments) > 1 and not seg.number:
                what = texts["leg"].format(what=what, i=i + 1)
        question = texts[name].format(what=what)
        out.append({"field": path, "question": question[0].upper() + question[1:]})
    return out


def language_of(text: str) -> str:
    """zh when the text is written in Chinese, de when in German, else en (for the questions)."""
    if len(re.findall(r"[\u4e00-\u9fff]", text)) >= 4:
        return "zh"
    german = re.findall(r"(?i)\b(?:und|der|die|das|ihre?|für|abflug|ankunft|buchung|fahrkarte|uhr|vielen)\b", text)
    return "de" if len(german) >= 3 else "en"
