"""What the memory skill says, in Chinese, English and German: a memory cited with when and where it was made."""

from __future__ import annotations

import datetime as dt
from typing import Any

from glassmate.memory.service import Memory
from glassmate.skills.tools import phrase
from glassmate.skills.travel.speech import clock

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "kept": "Got it. I'll remember: {what}.",
        "photo_kept": "Got it. I kept a photo of this and will remember: {what}.",
        "a_photo": "a photo",
        "what": "What should I remember?",
        "too_long": "That's too long to remember in one go.",
        "no_camera": "I can't see anything right now, so there is no photo to keep.",
        "none": "You haven't told me anything about {topic}.",
        "none_at_all": "You haven't told me anything about that.",
        "cited": "You told me {when}{where}: {what}.",
        "near": " near {place}",
        "seen": " You were looking at “{seen}”.",
        "forgot": "Forgotten: {what}.",
        "nothing_to_forget": "There's nothing I just remembered to forget.",
        "forgot_today": "I've forgotten everything from today: {memories} memories, {meetings} meetings and our "
        "conversation.",
        "kept_payments": " Your {count} payment records stay, as the law requires.",
        "empty": "You haven't asked me to remember anything.",
        "list": "You asked me to remember: {items}.",
        "item": "{when}, {what}",
        "separator": "; ",
        "glasses_only": "Memories are kept for a pair of glasses; sign in with a device token.",
        "today": "today at {time}",
        "yesterday": "yesterday at {time}",
        "weekday": "on {weekday} at {time}",
        "date": "on {month} {day}",
        "weekdays": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
        "months": "January February March April May June July August September October November December",
    },
    "zh": {
        "kept": "好的，我记住了：{what}。",
        "photo_kept": "好的，我拍了照片并记住了：{what}。",
        "a_photo": "一张照片",
        "what": "要我记住什么？",
        "too_long": "这太长了，记不下。",
        "no_camera": "我现在看不到画面，没法拍照。",
        "none": "你没有告诉过我关于{topic}的事。",
        "none_at_all": "你没有告诉过我这件事。",
        "cited": "你{when}{where}告诉我：{what}。",
        "near": "在{place}附近",
        "seen": "当时你看到的是“{seen}”。",
        "forgot": "已忘掉：{what}。",
        "nothing_to_forget": "刚才没有记下什么可以忘掉的。",
        "forgot_today": "今天的内容都已删除：{memories}条记忆、{meetings}个会议和我们的对话。",
        "kept_payments": "{count}条支付记录按法律规定保留。",
        "empty": "你还没有让我记住任何东西。",
        "list": "你让我记住了：{items}。",
        "item": "{when}，{what}",
        "separator": "；",
        "glasses_only": "记忆是为眼镜保存的；请用设备令牌登录。",
        "today": "今天{time}",
        "yesterday": "昨天{time}",
        "weekday": "{weekday}{time}",
        "date": "{month_n}月{day}日",
        "weekdays": "周一 周二 周三 周四 周五 周六 周日",
    },
    "de": {
        "kept": "Alles klar, ich merke mir: {what}.",
        "photo_kept": "Alles klar, ich habe ein Foto gemacht und merke mir: {what}.",
        "a_photo": "ein Foto",
        "what": "Was soll ich mir merken?",
        "too_long": "Das ist zu lang, um es mir auf einmal zu merken.",
        "no_camera": "Ich sehe gerade nichts, also gibt es kein Foto.",
        "none": "Du hast mir nichts über {topic} gesagt.",
        "none_at_all": "Davon hast du mir nichts gesagt.",
        "cited": "Deine Notiz von {when}{where}: „{what}“.",
        "near": " bei {place}",
        "seen": " Du hattest „{seen}“ vor Augen.",
        "forgot": "Vergessen: {what}.",
        "nothing_to_forget": "Ich habe mir gerade nichts gemerkt, was ich vergessen könnte.",
        "forgot_today": "Ich habe alles von heute vergessen: {memories} Erinnerungen, {meetings} Meetings und unser "
        "Gespräch.",
        "kept_payments": " Deine {count} Zahlungsbelege bleiben, wie es das Gesetz verlangt.",
        "empty": "Du hast mich noch nichts merken lassen.",
        "list": "Du hast mich gebeten, mir zu merken: {items}.",
        "item": "{when}: {what}",
        "separator": "; ",
        "glasses_only": "Erinnerungen werden für eine Brille gespeichert; melde dich mit einem Geräte-Token an.",
        "today": "heute um {time}",
        "yesterday": "gestern um {time}",
        "weekday": "am {weekday} um {time}",
        "date": "am {day}. {month}",
        "weekdays": "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag",
        "months": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    },
}


def _t(language: str, key: str, /, **values: Any) -> str:
    return phrase(TEXTS, language, key, **values)


def spoken_past(when: dt.datetime, language: str, now: dt.datetime) -> str:
    """When, told from `now` looking back (both in the wearer's zone): today, yesterday, a weekday within the
    week, a date."""
    days = (now.date() - when.date()).days
    time = clock(when, language)
    if days <= 0:
        return _t(language, "today", time=time)
    if days == 1:
        return _t(language, "yesterday", time=time)
    texts = TEXTS.get(language) or TEXTS["en"]
    if days < 7:
        return _t(language, "weekday", weekday=texts["weekdays"].split()[when.weekday()], time=time)
    months = texts.get("months", TEXTS["en"]["months"]).split()
    return _t(language, "date", day=when.day, month=months[when.month - 1], month_n=when.month)


def cited(memory: Memory, language: str, now: dt.datetime) -> str:
    """A memory with when and where it was made, and what was written in view then."""
    when = spoken_past(memory.created_at.astimezone(now.tzinfo), language, now)
    where = _t(language, "near", place=memory.where.place) if memory.where.place else ""
    text = _t(language, "cited", when=when, where=where, what=memory.text.rstrip(".。!！"))
    seen = [line for line in memory.in_view.get("text", []) if line.strip()][:2]
    if seen:
        text += _t(language, "seen", seen=" / ".join(seen))
    return text
