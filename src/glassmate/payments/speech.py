"""What the wearer says during a payment: "pay this", an amount ("twelve fifty", "€4.50", "7 euros 25"),
"confirm", "cancel". Deterministic patterns, never the LLM: a small model must not decide what is paid."""

from __future__ import annotations

import re

from glassmate.money import currency_name
from glassmate.text import normalise

PAY = re.compile(
    r"((ok|okay|please|yes|now) )?(i want to |i'd like to |let me |let's )?"
    r"(pay|pay (this|here|it|that|now|for (this|it|that)|the bill|with (my )?glasses|by qr( code)?|with qr( code)?)"
    r"|scan (and|to) pay|scan (this|the|that) (qr )?code (and|to) pay|take a look (and|to) pay)( please)?"
    r"|(付款|支付|扫码支付|扫码付款|买单)|((jetzt |hier )?(be)?zahlen( bitte)?)"
)
CONFIRM = re.compile(
    r"((yes|yeah|ok|okay|and) )?(i )?(confirm|confirmed|confirm (it|that|payment|the payment|pay)|yes pay"
    r"|pay now|go ahead( and pay)?)( please| it)?"
    r"|(ja )?(ich )?(bestätigen|bestätige|bestätigt)( bitte)?|确认|确认付款|确认支付"
)
CANCEL = re.compile(
    r"((and|wait|ok|okay|no|oh|hey) )?(no|nope|cancel|stop|abort|never ?mind|don't pay|do not pay|don't|"
    r"cancel (it|that|payment|the payment)|stop (it|that|payment|the payment))( please| it| that)?"
    r"|(nein )?(abbrechen|stopp|nicht zahlen)( bitte)?|取消|不要|不付了"
)
UNITS = {"zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
         "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
         "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "a": 1}  # fmt: skip
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
DE_UNITS = {"null": 0, "ein": 1, "eins": 1, "eine": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6,
            "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12, "dreizehn": 13, "vierzehn": 14,
            "fünfzehn": 15, "sechzehn": 16, "siebzehn": 17, "achtzehn": 18, "neunzehn": 19}  # fmt: skip
DE_TENS = {"zwanzig": 20, "dreißig": 30, "vierzig": 40, "fünfzig": 50, "sechzig": 60, "siebzig": 70, "achtzig": 80,
           "neunzig": 90}  # fmt: skip
ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
ZH_NUMBER = r"[零〇一二两三四五六七八九十百千万\d]+"
# "十二块五", "12元5角", "十二元五角三分", "三十块钱", "五毛", "十二点五元"
ZH_AMOUNT = re.compile(
    rf"(?:(?P<yuan>{ZH_NUMBER})(?:块|元|圆|円))?(?:(?P<jiao>[零一二两三四五六七八九\d])(?:角|毛)?)?"
    rf"(?:(?P<fen>[零一二两三四五六七八九\d])分)?钱?"
)
ZH_DECIMAL = re.compile(rf"(?P<yuan>{ZH_NUMBER})(?:点|\.)(?P<frac>[零一二两三四五六七八九\d]{{1,2}})(?:块|元|圆)?钱?")
CURRENCY_WORDS = r"euros?|eur|dollars?|usd|pounds?|gbp|yuan|rmb|cny|kuai|yen|jpy|francs?|chf|bucks?|franken"
MINOR_WORDS = r"cents?|pence|p|fen|jiao|rappen"


def is_pay_request(text: str) -> bool:
    return bool(PAY.fullmatch(normalise(text)))


def is_confirm(text: str) -> bool:
    return bool(CONFIRM.fullmatch(normalise(text)))


def is_cancel(text: str) -> bool:
    return bool(CANCEL.fullmatch(normalise(text)))


def _numbers(words: list[str]) -> list[int] | None:
    """Number words → numbers, one per spoken group ("seven twenty five" → [7, 25], "one hundred twenty" →
    [120]); None if a word is not a number word."""
    out: list[int] = []
    total = group = 0
    started = False
    last = ""
    for word in words:
        if word == "and":
            last = word
            continue
        if word in UNITS or word in TENS:
            value = UNITS.get(word, TENS.get(word, 0))
            joins = (not started or last in ("hundred", "thousand", "and")
                     or (last in TENS and word in UNITS and value < 10))  # fmt: skip
            if not joins:
                out.append(total + group)
                total = group = 0
            group += value
        elif word == "hundred":
            group = (group or 1) * 100
        elif word == "thousand":
            total, group = total + (group or 1) * 1000, 0
        else:
            return None
        started = True
        last = word
    if started:
        out.append(total + group)
    return out


def _words(words: list[str]) -> list[int] | None:
    """English number words grouped ("seven twenty five" → [7, 25]), or German ones, one number per word."""
    german = [_german(w) for w in words]
    return _numbers(words) if None in german else [n for n in german if n is not None]


def _german(word: str) -> int | None:
    """A German number word, compounds included ("fünfundzwanzig", "einhundertzwanzig"); None if it is not one."""
    if word in DE_UNITS:
        return DE_UNITS[word]
    if word in DE_TENS:
        return DE_TENS[word]
    for unit, value in (("tausend", 1000), ("hundert", 100)):
        if unit in word:
            head, tail = word.split(unit, 1)
            high = _german(head) if head else 1
            low = _german(tail.removeprefix("und")) if tail else 0
            return None if high is None or low is None else high * value + low
    if "und" in word:
        ones, tens = word.split("und", 1)
        if ones in DE_UNITS and DE_UNITS[ones] < 10 and tens in DE_TENS:
            return DE_UNITS[ones] + DE_TENS[tens]
    return None


def _chinese(number: str) -> int | None:
    """十二 → 12, 一百二十 → 120, 两千零五 → 2005, 12 → 12."""
    if number.isdigit():
        return int(number)
    total = section = digit = 0
    for ch in number:
        if ch in ZH_DIGITS:
            digit = ZH_DIGITS[ch]
        elif ch in ZH_UNITS:
            section += (digit or 1) * ZH_UNITS[ch]
            digit = 0
        elif ch == "万":
            total += (section + digit) * 10_000
            section = digit = 0
        else:
            return None
    return total + section + digit


def _chinese_amount(text: str, minor_units: int) -> int | None:
    said = re.sub(r"[\s,，]|人民币|日元|[¥￥]", "", text.replace("块钱", "块")).rstrip(".。!！?？")
    said = re.sub(r"^(付|支付|我付|就)", "", said)
    scale = 10**minor_units
    if match := ZH_DECIMAL.fullmatch(said):
        whole, frac = _chinese(match["yuan"]), "".join(str(_chinese(c)) for c in match["frac"])
        if whole is None or minor_units == 0:
            return None
        return whole * scale + int(frac.ljust(minor_units, "0")[:minor_units])
    if said and (bare := _chinese(said)) is not None:  # "一千五百": the unit is the code's currency
        return bare * scale
    match = ZH_AMOUNT.fullmatch(said)
    if not match or not any(match.groupdict().values()):
        return None
    yuan = _chinese(match["yuan"]) if match["yuan"] else 0
    jiao = _chinese(match["jiao"]) if match["jiao"] else 0
    fen = _chinese(match["fen"]) if match["fen"] else 0
    if yuan is None or jiao is None or fen is None or (minor_units != 2 and (jiao or fen)):
        return None
    return yuan * scale + (jiao * 10 + fen if minor_units == 2 else 0)


def amount_from_speech(text: str, minor_units: int) -> int | None:
    """The amount the wearer said (English or German words, Chinese numerals, digits), in minor units; None when
    the words are not an amount."""
    if re.search(r"[\u4e00-\u9fff]", text):
        return _chinese_amount(text, minor_units)
    said = text.lower().replace("€", " euros ").replace("$", " dollars ").replace("£", " pounds ")
    said = re.sub(r"[¥￥]", " yuan ", said)
    said = re.sub(r"(\d),(\d{1,2})\b", r"\1.\2", said)  # "12,50" is twelve fifty in most of Europe
    said = re.sub(r"[^\w\s.']", " ", said)
    said = re.sub(r"\.(?!\d)", " ", said)
    said = re.sub(r"\b(pay|it's|it is|that's|that is|make it|please|only|just|about|the amount is|bitte|und)\b", " ",
                  said)  # fmt: skip
    said = re.sub(r"\bkomma\b", "point", said)
    words = said.split()
    words = [w for w in words if not re.fullmatch(rf"({CURRENCY_WORDS})", w)]
    scale = 10**minor_units
    # Digits: "12.50", "12", "4 50" (4 euros 50), "4 and 50 cents".
    joined = " ".join(w for w in words if w != "and")
    joined = re.sub(rf"\b({MINOR_WORDS})\b", "", joined).strip()
    match = re.fullmatch(r"(\d{1,9})(?:\.(\d{1,2}))?(?: (\d{1,2}))?", joined)
    only_minor = bool(re.search(rf"\b({MINOR_WORDS})\b", said)) and not re.search(rf"\b({CURRENCY_WORDS})\b", said)
    if match:
        major, decimals, after = match.groups()
        if only_minor and decimals is None and after is None:  # "50 cents"
            return int(major) if minor_units and int(major) < scale else None
        if decimals is not None and after is not None:
            return None
        minor = decimals or after
        if minor and minor_units == 0:
            return None
        cents = int(minor.ljust(minor_units, "0")) if minor else 0
        return int(major) * scale + cents
    # Words: "twelve fifty", "seven euros twenty five", "four point five zero", "fifty cents".
    rest = [w for w in re.sub(rf"\b({MINOR_WORDS})\b", " ", " ".join(words)).split()]
    if not rest:
        return None
    if "point" in rest:
        at = rest.index("point")
        whole, frac = _words(rest[:at]) or [0], _words(rest[at + 1 :])
        if frac is None or len(whole) != 1 or not all(d < 10 for d in frac) or len(frac) > minor_units:
            return None
        digits = "".join(str(d) for d in frac).ljust(minor_units, "0")
        return whole[0] * scale + (int(digits) if digits else 0)
    numbers = _words(rest)
    if not numbers or len(numbers) > 2:
        return None
    if only_minor and len(numbers) == 1 and minor_units:
        return numbers[0] if numbers[0] < scale else None  # "fifty cents"
    if len(numbers) == 2:
        if minor_units == 0 or numbers[1] >= scale:
            return None
        return numbers[0] * scale + numbers[1]
    return numbers[0] * scale


def spoken_amount(minor: int, currency: str, minor_units: int, language: str = "en") -> str:
    """'4 euros 50', '4欧元50', '4 Euro 50' (what a voice reads well; '4.50 EUR' is read digit by digit)."""
    name = currency_name(currency, language)
    sep = "" if language == "zh" else " "
    if minor_units == 0:
        return f"{minor}{sep}{name}"
    major, cents = divmod(minor, 10**minor_units)
    return f"{major}{sep}{name}{sep}{cents:02d}" if cents else f"{major}{sep}{name}"
