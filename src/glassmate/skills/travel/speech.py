"""What the travel skill says, in Chinese, English and German: times told the way people say them ("tomorrow at
07:05", "明天7点05分", "morgen um 7:05 Uhr"), the reminders as they go off, and the wearer's own times read back
("at 5", "五点", "um halb sechs", "in 10 minutes") by `parse_when`."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from glassmate.skills.tools import phrase
from glassmate.travel.reminders import Reminder

TEXTS = {
    "en": {
        "alarm": "Reminder: {subject}{at}.", "custom": "Reminder: {subject}.",
        "checkin": "Check-in for {what} is open now. It departs {when}.",
        "leave": "Time to leave for {what}: it departs {when}, and the way there takes about {way} minutes.",
        "boarding": "Boarding for {what} starts about now; it departs {when}.",
        "hotel": "Today you check in at {subject}{at}.",
        "summary": "While you were away, {n} reminders came due: {items}.",
        "summary_one": "While you were away, a reminder came due: {items}.",
        "title_alarm": "Reminder", "title_custom": "Reminder", "title_checkin": "Check-in open",
        "title_leave": "Time to leave", "title_boarding": "Boarding", "title_hotel": "Hotel check-in",
        "title_summary": "Missed reminders",
        "flight": "flight {number}", "train": "train {number}", "at": ", {when}",
        "today": "today at {time}", "tomorrow": "tomorrow at {time}", "weekday": "on {weekday} at {time}",
        "date": "on {day} {month} at {time}", "time": "{hh}:{mm}",
        "day_0": "today", "day_1": "tomorrow", "day_week": "on {weekday}", "day_date": "on {day} {month}",
        "weekdays": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
        "months": "January February March April May June July August September October November December",
        "next": "Next on your trip: {what}, {when}{where}.", "where": ", from {location}",
        "next_event": "Nothing travel-like is coming up; your next event is {what}, {when}.",
        "nothing": "There's nothing in your calendar for the next {days} days.",
        "departs": "Your {what} departs {when}{where}.", "no_mode_flight": "I don't see a flight coming up.",
        "no_mode_train": "I don't see a train coming up.",
        "leave_by": "Leave {when} for {what}: it departs at {time}, with {way} minutes to get there and {buffer} "
                    "minutes at the {place}.",
        "leave_by_walk": "Leave {when} for {what}: it departs at {time}; from here it is {way} minutes on foot, and "
                         "{buffer} minutes at the {place}.",
        "leave_now": "You should be on your way now: {what} departs at {time}.",
        "no_leave": "No departure coming up that you need to leave for.", "airport": "airport", "station": "station",
        "set": "OK, I'll remind you {when}: {task}.", "no_time": "At what time should I remind you?",
        "past": "That time has already passed.", "glasses_only": "Reminders go to the glasses.",
    },
    "zh": {
        "alarm": "提醒：{at}{subject}。", "custom": "提醒：{subject}。",
        "checkin": "{what}现在可以值机了，{when}起飞。",
        "leave": "该出发了：{what}{when}出发，路上大约要{way}分钟。",
        "boarding": "{what}现在开始登机，{when}起飞。", "hotel": "今天入住{subject}{at}。",
        "summary": "你不在的时候有{n}条提醒：{items}。", "summary_one": "你不在的时候有一条提醒：{items}。",
        "title_alarm": "提醒", "title_custom": "提醒", "title_checkin": "可以值机", "title_leave": "该出发了",
        "title_boarding": "登机", "title_hotel": "酒店入住", "title_summary": "错过的提醒",
        "flight": "航班{number}", "train": "{number}次列车", "at": "{when}",
        "today": "今天{time}", "tomorrow": "明天{time}", "weekday": "{weekday}{time}",
        "date": "{month_n}月{day}日{time}",
        "day_0": "今天", "day_1": "明天", "day_week": "{weekday}", "day_date": "{month_n}月{day}日",
        "time": "{h}点{mm}分", "weekdays": "周一 周二 周三 周四 周五 周六 周日",
        "next": "接下来的行程：{what}，{when}{where}。", "where": "，从{location}出发",
        "next_event": "近期没有出行安排；下一个日程是{what}，{when}。", "nothing": "未来{days}天日历里没有安排。",
        "departs": "你的{what}{when}出发{where}。", "no_mode_flight": "近期没有航班。",
        "no_mode_train": "近期没有火车行程。",
        "leave_by": "{when}就要出发：{what}在{time}出发，路上约{way}分钟，在{place}预留{buffer}分钟。",
        "leave_by_walk": "{when}就要出发：{what}在{time}出发，从这里步行约{way}分钟，在{place}预留{buffer}分钟。",
        "leave_now": "现在就该出发了：{what}在{time}出发。", "no_leave": "近期没有需要出发赶的行程。",
        "airport": "机场", "station": "车站",
        "set": "好的，{when}提醒你：{task}。", "no_time": "要在几点提醒你？", "past": "这个时间已经过了。",
        "glasses_only": "提醒会发到眼镜上。",
    },
    "de": {
        "alarm": "Erinnerung: {subject}{at}.", "custom": "Erinnerung: {subject}.",
        "checkin": "Der Check-in für {what} ist jetzt offen. Abflug {when}.",
        "leave": "Zeit loszugehen: {what} fährt {when}, der Weg dauert etwa {way} Minuten.",
        "boarding": "Das Boarding für {what} beginnt jetzt; Abflug {when}.",
        "hotel": "Heute ist Check-in: {subject}{at}.",
        "summary": "Während du weg warst, waren {n} Erinnerungen fällig: {items}.",
        "summary_one": "Während du weg warst, war eine Erinnerung fällig: {items}.",
        "title_alarm": "Erinnerung", "title_custom": "Erinnerung", "title_checkin": "Check-in offen",
        "title_leave": "Zeit loszugehen", "title_boarding": "Boarding", "title_hotel": "Hotel-Check-in",
        "title_summary": "Verpasste Erinnerungen",
        "flight": "Flug {number}", "train": "Zug {number}", "at": ", {when}",
        "today": "heute um {time}", "tomorrow": "morgen um {time}", "weekday": "am {weekday} um {time}",
        "date": "am {day}. {month} um {time}", "time": "{h}:{mm} Uhr",
        "day_0": "heute", "day_1": "morgen", "day_week": "am {weekday}", "day_date": "am {day}. {month}",
        "weekdays": "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag",
        "months": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
        "next": "Als Nächstes auf deiner Reise: {what}, {when}{where}.", "where": ", ab {location}",
        "next_event": "Keine Reise in Sicht; dein nächster Termin ist {what}, {when}.",
        "nothing": "In den nächsten {days} Tagen steht nichts im Kalender.",
        "departs": "Dein {what} geht {when}{where}.", "no_mode_flight": "Ich sehe keinen Flug in nächster Zeit.",
        "no_mode_train": "Ich sehe keine Zugfahrt in nächster Zeit.",
        "leave_by": "Du musst {when} los: {what} geht um {time}, mit {way} Minuten Weg und {buffer} Minuten am "
                    "{place}.",
        "leave_by_walk": "Du musst {when} los: {what} geht um {time}, zu Fuß sind es von hier {way} Minuten, dazu "
                         "{buffer} Minuten am {place}.",
        "leave_now": "Du solltest jetzt losgehen: {what} geht um {time}.",
        "no_leave": "Es steht keine Abfahrt an, zu der du losmusst.", "airport": "Flughafen", "station": "Bahnhof",
        "set": "Gut, ich erinnere dich {when}: {task}.", "no_time": "Um wie viel Uhr soll ich dich erinnern?",
        "past": "Diese Zeit ist schon vorbei.", "glasses_only": "Erinnerungen kommen auf die Brille.",
    },
}  # fmt: skip


def _t(language: str, key: str, /, **values: Any) -> str:
    return phrase(TEXTS, language, key, **values)


def clock(when: dt.datetime, language: str) -> str:
    """07:05 / 7点05分 / 7:05 Uhr."""
    return _t(language, "time", hh=f"{when.hour:02d}", h=when.hour, mm=f"{when.minute:02d}")


def spoken_when(when: dt.datetime, language: str, now: dt.datetime) -> str:
    """When, told from `now` (both in the zone to tell it in): today, tomorrow, a weekday within the week, a date."""
    time = clock(when, language)
    days = (when.date() - now.date()).days
    if days == 0:
        return _t(language, "today", time=time)
    if days == 1:
        return _t(language, "tomorrow", time=time)
    if 1 < days < 7:
        weekday = (TEXTS.get(language) or TEXTS["en"])["weekdays"].split()[when.weekday()]
        return _t(language, "weekday", weekday=weekday, time=time)
    months = (TEXTS.get(language) or TEXTS["en"]).get("months", TEXTS["en"]["months"]).split()
    return _t(language, "date", day=when.day, month=months[when.month - 1], month_n=when.month, time=time)


def spoken_day(day: dt.date, language: str, today: dt.date) -> str:
    """A day, told from `today`: today, tomorrow, a weekday within the week, a date (an all-day event)."""
    days = (day - today).days
    texts = TEXTS.get(language) or TEXTS["en"]
    if days in (0, 1):
        return _t(language, f"day_{days}")
    if 1 < days < 7:
        return _t(language, "day_week", weekday=texts["weekdays"].split()[day.weekday()])
    months = texts.get("months", TEXTS["en"]["months"]).split()
    return _t(language, "day_date", day=day.day, month=months[day.month - 1], month_n=day.month)


def what(params: dict[str, Any], subject: str, language: str) -> str:
    """ "flight LH 720" / "航班LH 720" / "Zug ICE 577", or the event's own summary when it names no number."""
    mode, number = params.get("mode"), params.get("number")
    if mode in ("flight", "train") and number:
        return _t(language, str(mode), number=number)
    return subject


def reminder_text(r: Reminder, language: str, now: dt.datetime) -> str:
    """A reminder as spoken when it goes off."""
    here = r.local(now)
    event = r.local(r.event_at) if r.event_at is not None else None
    when = spoken_when(event, language, here) if event is not None else ""
    at = _t(language, "at", when=when) if when else ""
    return _t(language, r.kind, subject=r.subject, what=what(r.params, r.subject, language), when=when, at=at,
              way=r.params.get("way_min", ""))  # fmt: skip


def reminder_title(r: Reminder, language: str) -> str:
    return _t(language, f"title_{r.kind}")


def summary_text(reminders: list[Reminder], language: str) -> str:
    """Reminders that waited (the glasses were off, or the server): one sentence naming them, not each replayed."""
    sep = "、" if language == "zh" else ", "
    names = [what(r.params, r.subject, language) for r in reminders]
    shown = names[:4] + ([f"… (+{len(names) - 4})"] if len(names) > 4 else [])
    key = "summary_one" if len(reminders) == 1 else "summary"
    return _t(language, key, n=len(reminders), items=sep.join(shown))


# -- the wearer's times ---------------------------------------------------------------------------------------

_EN_WORDS = """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
seventeen eighteen nineteen twenty twenty-one twenty-two twenty-three"""
_DE_WORDS = """null eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf dreizehn vierzehn fünfzehn sechzehn
siebzehn achtzehn neunzehn zwanzig"""
_EN_NUMBERS = {w: n for n, w in enumerate(_EN_WORDS.split())}
_DE_NUMBERS = {w: n for n, w in enumerate(_DE_WORDS.split())}
_DE_NUMBERS.update({"ein": 1, "einer": 1, "eine": 1, "einen": 1})
_EN_NUMBERS.update({"a": 1, "an": 1})
_ZH_DIGITS = dict(zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_ZH_NUM = "[零〇一二两三四五六七八九十]"  # a Chinese number up to 99, as a regex character class


def _zh_number(text: str) -> int | None:
    """一 .. 九十九 (and plain digits)."""
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _ZH_DIGITS and ch != "十" for ch in text):
        return None
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_ZH_DIGITS[tens] if tens else 1) * 10 + (_ZH_DIGITS[ones] if ones else 0)
    return _ZH_DIGITS[text[0]] if len(text) == 1 else None


def _number(word: str, language: str) -> int | None:
    word = word.strip().lower()
    if word.isdigit():
        return int(word)
    if language == "zh":
        return _zh_number(word)
    table = _DE_NUMBERS if language == "de" else _EN_NUMBERS
    return table.get(word)


_REL = {
    "en": re.compile(r"in (?:(?P<n>\d+|[a-z-]+) (?P<unit>minutes?|mins?|hours?)|(?P<half>half an hour))"),
    "de": re.compile(r"in (?:(?P<n>\d+|[a-zäöüß]+) (?P<unit>minuten?|stunden?)|(?P<half>einer halben stunde))"),
    "zh": re.compile(r"(?:(?P<n>\d+|" + _ZH_NUM + r"+)(?:个)?(?P<unit>分钟|小时|钟头)|(?P<half>半(?:个)?小时))"
                     r"(?:以?后|之后)"),
}  # fmt: skip


def parse_when(text: str, language: str, now: dt.datetime) -> dt.datetime | None:
    """The moment a spoken time means, after `now` (aware, in the wearer's zone): "at 5" is the next 5 o'clock
    (05:00 or 17:00, whichever comes first), "5 pm" and "17 Uhr" are exact, "halb 6" is 5:30 as Germans mean
    it, "tomorrow"/"明天"/"morgen" move it a day (an unmarked hour before 7 then means the afternoon); "in 10
    minutes", "十分钟后", "in einer Stunde" count from now. None when no time can be read."""
    said = " ".join(text.lower().replace("，", " ").replace(",", " ").split())
    rel = _REL.get(language, _REL["en"]).search(said)
    if rel:
        if rel.group("half"):
            minutes = 30
        else:
            n = _number(rel.group("n"), language)
            if n is None:
                return None
            minutes = n * 60 if rel.group("unit").startswith(("hour", "stunde", "小时", "钟头")) else n
        # Elapsed time, counted in UTC: "in an hour" across a DST change is an hour, not a wall-clock hour.
        return (now.astimezone(dt.UTC) + dt.timedelta(minutes=minutes)).astimezone(now.tzinfo)
    clock_ = _clock_of(said, language)
    if clock_ is None:
        return None
    hour, minute, meridiem = clock_
    tomorrow = any(word in said for word in ("tomorrow", "morgen", "明天", "明早")) and "morgens" not in said
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None
    base = now.replace(second=0, microsecond=0)
    if tomorrow:
        if meridiem is None and 1 <= hour < 7:
            hour += 12
        day = base + dt.timedelta(days=1)
        return day.replace(hour=hour, minute=minute)
    candidates = [base.replace(hour=hour, minute=minute)]
    if meridiem is None and 1 <= hour <= 12:
        candidates.append(base.replace(hour=(hour + 12) % 24, minute=minute))
    for days in (0, 1):
        for candidate in sorted(candidates):
            moved = candidate + dt.timedelta(days=days)
            if moved > now:
                return moved
    return None


def _clock_of(said: str, language: str) -> tuple[int, int, str | None] | None:
    """(hour, minute, "am"/"pm"/None) of a spoken time of day."""
    if language == "zh":
        number = r"(\d{1,2}|" + _ZH_NUM + r"{1,3})"
        match = re.search(r"(凌晨|早上|早晨|上午|中午|下午|傍晚|晚上)?\s*" + number + r"\s*(?:点|:|：)(?:钟)?\s*"
                          r"(半|一刻|三刻|" + number + r"(?:分)?)?", said)  # fmt: skip
        if not match:
            return None
        hour = _zh_number(match.group(2))
        if hour is None:
            return None
        tail = match.group(3) or ""
        minute = {"半": 30, "一刻": 15, "三刻": 45}.get(tail)
        if minute is None:
            minute = _zh_number(match.group(4)) if match.group(4) else 0
        period = match.group(1)
        meridiem = None if period is None else ("am" if period in ("凌晨", "早上", "早晨", "上午") else "pm")
        if period == "中午" and hour >= 11:
            meridiem = None
        return hour, minute or 0, meridiem
    if language == "de":
        half = re.search(r"halb (\d{1,2}|[a-zäöüß]+)", said)
        if half and (n := _number(half.group(1), "de")) is not None:
            return (n - 1) % 24, 30, _de_period(said)
        quarter = re.search(r"viertel (nach|vor) (\d{1,2}|[a-zäöüß]+)", said)
        if quarter and (n := _number(quarter.group(2), "de")) is not None:
            return ((n, 15) if quarter.group(1) == "nach" else ((n - 1) % 24, 45)) + (_de_period(said),)
        match = re.search(r"(?:um|gegen|ab) (\d{1,2}|[a-zäöüß]+)(?:[:.](\d{2})| uhr(?: (\d{1,2}))?)?", said)
        if not match or (hour := _number(match.group(1), "de")) is None:
            return None
        minute = int(match.group(2) or match.group(3) or 0)
        return hour, minute, _de_period(said)
    half = re.search(r"half past (\d{1,2}|[a-z-]+)", said)
    if half and (n := _number(half.group(1), "en")) is not None:
        return n, 30, _en_period(said)
    if re.search(r"\bnoon\b|\bmidday\b", said):
        return 12, 0, None
    match = re.search(r"(?:at|by|around) (\d{1,2}|[a-z-]+)(?:[:.](\d{2}))?(?: ?o'?clock)?(?: ?([ap])\.? ?m\.?)?",
                      said)  # fmt: skip
    if not match or (hour := _number(match.group(1), "en")) is None:
        return None
    meridiem = {"a": "am", "p": "pm"}.get(match.group(3) or "") or _en_period(said)
    return hour, int(match.group(2) or 0), meridiem


def _en_period(said: str) -> str | None:
    if re.search(r"\b(?:in the morning|this morning)\b", said):
        return "am"
    if re.search(r"\b(?:in the (?:afternoon|evening)|tonight|this (?:afternoon|evening))\b", said):
        return "pm"
    return None


def _de_period(said: str) -> str | None:
    if re.search(r"\b(?:morgens|früh|vormittags|heute morgen)\b", said):
        return "am"
    if re.search(r"\b(?:nachmittags|abends|heute abend|heute nachmittag)\b", said):
        return "pm"
    return None
