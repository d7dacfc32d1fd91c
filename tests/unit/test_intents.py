# ruff: noqa: E501  (tables of utterances, one case per pair, read better unwrapped)
"""Phrase tables: natural phrasings per skill and language (zh, en, de), as people say them and Whisper writes them
(case, punctuation, fillers), routed to the right skill with the slots filled. None is a template line itself."""

from __future__ import annotations

from typing import Any

import pytest

from glassmate.skills.base import LANGUAGES, Turn
from glassmate.skills.installed import default_skills
from glassmate.skills.intents import _package, sentences
from glassmate.testing import fake_skills

# (said, skill, slots that must be filled as given)
Row = tuple[str, str, dict[str, Any]]

TABLES: dict[str, list[Row]] = {
    "en": [
        # time
        ("What time is it?", "time", {}), ("Hey glasses, what's the time?", "time", {}),
        ("Could you tell me the time, please?", "time", {}), ("Do you know the time?", "time", {}),
        ("What time is it right now?", "time", {}), ("what's the current time", "time", {}),
        ("Tell me the time.", "time", {}), ("How late is it already?", "time", {}),
        ("Could you give me the time?", "time", {}), ("Okay, what time is it at the moment?", "time", {}),
        # battery
        ("How much battery is left?", "battery", {}), ("What's my battery level?", "battery", {}),
        ("Battery status, please.", "battery", {}), ("How's the battery?", "battery", {}),
        ("Check the battery.", "battery", {}), ("Am I running low on battery?", "battery", {}),
        ("How much charge do I have left?", "battery", {}), ("Do I need to charge the glasses?", "battery", {}),
        ("Are the glasses charging?", "battery", {}), ("how long will the battery last", "battery", {}),
        # stop
        ("Stop.", "stop", {}), ("Wait, stop!", "stop", {}), ("Be quiet.", "stop", {}),
        ("Shut up.", "stop", {}), ("Never mind.", "stop", {}), ("OK, enough.", "stop", {}),
        ("Stop talking.", "stop", {}), ("Stop it.", "stop", {}), ("and stop", "stop", {}),
        ("Quiet, please.", "stop", {}),
        # repeat
        ("Can you repeat that?", "repeat", {}), ("Say that again, please.", "repeat", {}),
        ("What did you say?", "repeat", {}), ("Pardon?", "repeat", {}), ("Sorry, what?", "repeat", {}),
        ("What was that you said?", "repeat", {}), ("One more time, please.", "repeat", {}),
        ("I didn't catch that.", "repeat", {}), ("Could you repeat yourself?", "repeat", {}),
        ("Repeat the last answer.", "repeat", {}),
        # read-text
        ("Read this.", "read-text", {}), ("Can you read this for me?", "read-text", {}),
        ("Read the sign, please.", "read-text", {}), ("What does the sign say?", "read-text", {}),
        ("Read that out loud.", "read-text", {}), ("Could you read the menu to me?", "read-text", {}),
        ("What's written here?", "read-text", {}), ("Read it aloud.", "read-text", {}),
        ("What does this say?", "read-text", {}), ("Please read out the label.", "read-text", {}),
        # identify
        ("What is this?", "identify", {}), ("What's that thing?", "identify", {}),
        ("Which product is this?", "identify", {}), ("What am I looking at?", "identify", {}),
        # navigate
        ("Take me to the Market Square.", "navigate", {"destination": "Market Square"}),
        ("How do I get to Kauppatori?", "navigate", {"destination": "Kauppatori"}),
        ("Navigate to the railway station.", "navigate", {"destination": "railway station"}),
        ("I want to go to the cathedral.", "navigate", {"destination": "cathedral"}),
        ("Where is the nearest pharmacy?", "navigate", {"query": "pharmacy"}),
        ("Is there a café nearby?", "navigate", {"query": "café"}), ("Where am I?", "navigate", {}),
        ("Hey, what street is this?", "navigate", {}), ("How far is it?", "navigate", {}),
        ("Stop navigation.", "navigate", {}), ("So are we there yet?", "navigate", {}),
        # meeting
        ("Record this meeting.", "meeting", {}), ("Okay, start recording the meeting.", "meeting", {}),
        ("Can you take notes of this meeting?", "meeting", {}), ("Take minutes for this meeting, please.", "meeting", {}),
        ("Start the meeting notes.", "meeting", {}), ("Please record this conversation.", "meeting", {}),
        ("Begin taking notes.", "meeting", {}), ("Stop recording.", "meeting", {}),
        ("The meeting is over.", "meeting", {}), ("Stop the recording, please.", "meeting", {}),
        ("What did we decide about the budget?", "meeting", {"topic": "budget"}),
        ("So what did we agree on the launch date?", "meeting", {"topic": "launch date"}),
        ("What was decided about the office move?", "meeting", {"topic": "office move"}),
        ("Search my meetings for the hiring plan.", "meeting", {"topic": "hiring plan"}),
        ("Where is it cheaper?", "identify", {}), ("Where can I buy this cheaper?", "identify", {}),
        ("Is this a good price?", "identify", {}), ("Compare prices for this.", "identify", {}),
        ("How much is this?", "identify", {}), ("Can you identify this product?", "identify", {}),
        ("Is this cheaper somewhere else?", "identify", {}),
        # translate
        ("Translate to German.", "translate", {"language": "de"}),
        ("Start translating into Chinese.", "translate", {"language": "zh"}),
        ("Help me talk to her in Spanish.", "translate", {"language": "es"}),
        ("Be my interpreter for French.", "translate", {"language": "fr"}),
        ("Turn on translation mode.", "translate", {}),
        ("Stop translating.", "translate", {}), ("and stop translating.", "translate", {}),
        ("OK, stop translation please", "translate", {}), ("Translation off.", "translate", {}),
        ("How do you say thank you in Chinese?", "translate", {"text": "thank you", "language": "zh"}),
        ("Translate good morning into German.", "translate", {"text": "good morning", "language": "de"}),
        # pay
        ("Pay this.", "pay", {}), ("I want to pay.", "pay", {}), ("Let me pay for this.", "pay", {}),
        ("Pay with my glasses.", "pay", {}), ("Scan to pay.", "pay", {}), ("Pay the bill, please.", "pay", {}),
        ("Can I pay here?", "pay", {}), ("Pay by QR code.", "pay", {}), ("OK, pay now.", "pay", {}),
        ("Scan the QR code and pay.", "pay", {}), ("Pay twelve euros fifty here.", "pay", {"amount": "twelve euros fifty"}),
        # ask (no intent: the agent answers)
        ("What is the capital of France?", "ask", {}), ("Tell me a joke.", "ask", {}),
        ("How tall is the Eiffel Tower?", "ask", {}), ("Who painted the Mona Lisa?", "ask", {}),
        ("Take a note.", "ask", {}), ("Who wrote Hamlet?", "ask", {}),
        ("What should I cook tonight?", "ask", {}), ("Is it going to rain?", "ask", {}),
        ("Explain photosynthesis in one sentence.", "ask", {}), ("How do I say no politely?", "ask", {}),
        # travel
        ("What's next on my trip?", "travel", {}), ("What is my next booking?", "travel", {}),
        ("When does my flight leave?", "travel", {"mode": "flight"}), ("What time is my train?", "travel", {"mode": "train"}),
        ("When do I need to leave?", "travel", {}), ("When should I leave for the airport?", "travel", {}),
        ("Remind me at 5 to call Anna.", "travel", {"when": "at 5", "task": "call Anna"}),
        ("Remind me in 10 minutes to take the laundry out.", "travel", {"when": "in 10 minutes", "task": "take the laundry out"}),
        ("Remind me to water the plants at 7 pm.", "travel", {"task": "water the plants", "when": "7 pm"}),
        ("Okay, where am I going next?", "travel", {}), ("When do I fly?", "travel", {}),
        ("Set a reminder for 6:30 to pick up the kids.", "travel", {"when": "6:30", "task": "pick up the kids"}),
        ("Remember that my locker is number 42.", "memory", {"what": "my locker is number 42"}),
        ("Please remember I parked on level three.", "memory", {"what": "I parked on level three"}),
        ("Make a note that the wifi password is on the fridge.", "memory", {"what": "the wifi password is on the fridge"}),
        ("Where did I park my car?", "memory", {}), ("Where's my bike?", "memory", {"topic": "bike"}),
        ("Where did I leave my keys?", "memory", {"topic": "my keys"}),
        ("What did I tell you about the wifi?", "memory", {"topic": "the wifi"}),
        ("Forget that.", "memory", {}), ("Forget everything from today.", "memory", {}),
        ("Remember what this looks like.", "memory", {"photo": True}),
    ],
    "zh": [
        ("几点了？", "time", {}), ("现在几点了？", "time", {}), ("现在几点钟？", "time", {}),
        ("请问现在几点？", "time", {}), ("现在是什么时间？", "time", {}), ("告诉我现在几点。", "time", {}),
        ("你知道现在几点吗？", "time", {}), ("看一下时间。", "time", {}), ("现在什么时间了？", "time", {}),
        ("眼镜，几点了？", "time", {}),
        ("还有多少电？", "battery", {}), ("电量还有多少？", "battery", {}), ("查看电量。", "battery", {}),
        ("电池还剩多少？", "battery", {}), ("电量怎么样？", "battery", {}), ("需要充电了吗？", "battery", {}),
        ("电够不够用？", "battery", {}), ("是不是没电了？", "battery", {}), ("正在充电吗？", "battery", {}),
        ("眼镜还剩多少电量？", "battery", {}),
        ("停！", "stop", {}), ("别说了。", "stop", {}), ("停一下。", "stop", {}), ("安静。", "stop", {}),
        ("够了。", "stop", {}), ("不要说了！", "stop", {}), ("等等，停下。", "stop", {}), ("闭嘴。", "stop", {}),
        ("算了。", "stop", {}), ("停止播放。", "stop", {}),
        ("再说一遍。", "repeat", {}), ("你能再说一遍吗？", "repeat", {}), ("你说什么？", "repeat", {}),
        ("没听清。", "repeat", {}), ("重复一下。", "repeat", {}), ("刚才你说什么了？", "repeat", {}),
        ("能再讲一次吗？", "repeat", {}), ("可以重复一次吗？", "repeat", {}), ("什么？", "repeat", {}),
        ("刚才说的是什么？", "repeat", {}),
        ("读一下这个。", "read-text", {}), ("帮我读一下这个。", "read-text", {}), ("这上面写的是什么？", "read-text", {}),
        ("念给我听。", "read-text", {}), ("读一下上面的文字。", "read-text", {}), ("这个写了什么？", "read-text", {}),
        ("能读一下这个吗？", "read-text", {}), ("上面写着什么？", "read-text", {}), ("读出来。", "read-text", {}),
        ("念一下菜单。", "read-text", {}),
        ("这是什么？", "identify", {}), ("这个是什么东西？", "identify", {}), ("这是什么牌子的？", "identify", {}),
        ("我在看的是什么？", "identify", {}), ("这个哪里买更便宜？", "identify", {}), ("帮我比较一下价格。", "identify", {}),
        ("这个多少钱？", "identify", {}), ("别的地方更便宜吗？", "identify", {}), ("识别一下这个产品。", "identify", {}),
        ("这个价格划算吗？", "identify", {}),
        ("翻译成德语。", "translate", {"language": "de"}), ("帮我翻译成英语。", "translate", {"language": "en"}),
        ("开始翻译。", "translate", {}), ("打开同声传译。", "translate", {}),
        ("我要跟她说日语。", "translate", {"language": "ja"}), ("停止翻译。", "translate", {}),
        ("不用翻译了。", "translate", {}), ("关闭翻译模式。", "translate", {}),
        ("谢谢用德语怎么说？", "translate", {"text": "谢谢", "language": "de"}),
        ("把早上好翻译成英语。", "translate", {"text": "早上好", "language": "en"}),
        ("付款。", "pay", {}), ("我要付款。", "pay", {}), ("扫码支付。", "pay", {}), ("用眼镜付钱。", "pay", {}),
        ("买单。", "pay", {}), ("帮我结账。", "pay", {}), ("可以扫二维码付款吗？", "pay", {}), ("我想支付。", "pay", {}),
        ("这单我来买单。", "pay", {}), ("扫一扫付款。", "pay", {}), ("付十二块五。", "pay", {"amount": "十二块五"}),
        ("带我去火车站。", "navigate", {"destination": "火车站"}), ("去赫尔辛基大教堂怎么走？", "navigate", {"destination": "赫尔辛基大教堂"}),
        ("导航到参议院广场。", "navigate", {"destination": "参议院广场"}), ("我想去农贸市场。", "navigate", {"destination": "农贸市场"}),
        ("最近的药店在哪里？", "navigate", {"query": "药店"}), ("附近有咖啡馆吗？", "navigate", {"query": "咖啡馆"}),
        ("我在哪里？", "navigate", {}), ("还有多远？", "navigate", {}), ("停止导航。", "navigate", {}),
        ("这是哪条街？", "navigate", {}), ("我们快到了吗？", "navigate", {}),
        ("开始会议记录。", "meeting", {}), ("帮我录一下这个会议。", "meeting", {}), ("请开始录音。", "meeting", {}),
        ("帮我做一下会议纪要。", "meeting", {}), ("把这次讨论录下来。", "meeting", {}), ("记录一下这次会议。", "meeting", {}),
        ("停止录音。", "meeting", {}), ("结束会议记录。", "meeting", {}), ("会议结束了。", "meeting", {}),
        ("好，停止记录。", "meeting", {}),
        ("我们关于预算决定了什么？", "meeting", {"topic": "预算"}), ("关于招聘我们是怎么定的？", "meeting", {"topic": "招聘"}),
        ("会上对新办公室怎么说的？", "meeting", {"topic": "新办公室"}), ("哪个会议讨论过发布日期？", "meeting", {"topic": "发布日期"}),
        ("法国的首都是哪里？", "ask", {}), ("讲个笑话。", "ask", {}), ("明天会下雨吗？", "ask", {}),
        ("记一下笔记。", "ask", {}), ("明天会下雨吗？", "ask", {}), ("埃菲尔铁塔有多高？", "ask", {}),
        ("今晚吃什么好？", "ask", {}), ("谁写了红楼梦？", "ask", {}), ("给我推荐一本书。", "ask", {}),
        ("什么是光合作用？", "ask", {}),
        # travel
        ("我接下来的行程是什么？", "travel", {}), ("我的航班几点起飞", "travel", {"mode": "flight"}),
        ("我的高铁几点开？", "travel", {"mode": "train"}), ("我什么时候该出发？", "travel", {}),
        ("我几点要去机场？", "travel", {}),
        ("五点提醒我给安娜打电话。", "travel", {"when": "五点", "task": "给安娜打电话"}),
        ("十分钟后提醒我关火", "travel", {"when": "十分钟后", "task": "关火"}),
        ("我下一个行程是啥", "travel", {}), ("我的火车什么时候发车？", "travel", {"mode": "train"}),
        ("明天早上八点提醒我带护照。", "travel", {"when": "明天早上八点", "task": "带护照"}),
        ("记住我的储物柜是42号。", "memory", {"what": "我的储物柜是42号"}),
        ("帮我记住车停在B2层", "memory", {"what": "车停在B2层"}), ("我把车停在哪里了？", "memory", {"topic": "车"}),
        ("我的钥匙放在哪儿了", "memory", {"topic": "钥匙"}), ("我的护照在哪里？", "memory", {"topic": "护照"}),
        ("你还记得wifi密码吗？", "memory", {"topic": "wifi密码"}), ("忘掉刚才那个。", "memory", {}),
        ("把今天的所有记录都删掉", "memory", {}), ("帮我记住这个样子", "memory", {"photo": True}),
        ("我让你记住了什么？", "memory", {}),
    ],
    "de": [
        ("Wie spät ist es?", "time", {}), ("Wie viel Uhr ist es?", "time", {}), ("Wieviel Uhr ist es gerade?", "time", {}),
        ("Weißt du die Uhrzeit?", "time", {}), ("Sag mir die Uhrzeit.", "time", {}), ("Wie spät ist es jetzt?", "time", {}),
        ("Uhrzeit, bitte.", "time", {}), ("Was ist die Uhrzeit?", "time", {}),
        ("Kannst du mir sagen, wie spät es ist?", "time", {}), ("Welche Uhrzeit haben wir?", "time", {}),
        ("Wie voll ist der Akku?", "battery", {}), ("Wie viel Akku habe ich noch?", "battery", {}),
        ("Akkustand?", "battery", {}), ("Wie ist der Ladestand?", "battery", {}), ("Zeig mir den Akkustand.", "battery", {}),
        ("Muss ich die Brille laden?", "battery", {}), ("Ist der Akku fast leer?", "battery", {}),
        ("Wie lange hält der Akku noch?", "battery", {}), ("Lädt die Brille?", "battery", {}),
        ("Wie viel Strom ist noch da?", "battery", {}),
        ("Stopp!", "stop", {}), ("STOPP.", "stop", {}), ("Halt!", "stop", {}), ("Sei still.", "stop", {}),
        ("Hör auf.", "stop", {}), ("Genug!", "stop", {}), ("Warte, stopp.", "stop", {}), ("Das reicht.", "stop", {}),
        ("Hör auf zu reden.", "stop", {}), ("Vergiss es.", "stop", {}),
        ("Kannst du das wiederholen?", "repeat", {}), ("Wiederhole das bitte.", "repeat", {}),
        ("Was hast du gesagt?", "repeat", {}), ("Wie hast du gesagt?", "repeat", {}), ("Sag das noch mal.", "repeat", {}),
        ("Noch einmal, bitte.", "repeat", {}), ("Ich habe das nicht verstanden.", "repeat", {}), ("Sag es noch einmal.", "repeat", {}),
        ("Könntest du es noch einmal wiederholen?", "repeat", {}), ("Wiederhole es.", "repeat", {}),
        ("Lies das vor.", "read-text", {}), ("Lies mir das bitte vor.", "read-text", {}),
        ("Kannst du mir das vorlesen?", "read-text", {}), ("Was steht da?", "read-text", {}),
        ("Was steht auf dem Schild?", "read-text", {}), ("Lies mir die Speisekarte vor.", "read-text", {}),
        ("Vorlesen, bitte.", "read-text", {}), ("Was steht hier?", "read-text", {}),
        ("Könntest du mir das Etikett vorlesen?", "read-text", {}), ("Lies den Text vor.", "read-text", {}),
        ("Was ist das?", "identify", {}), ("Was ist das hier?", "identify", {}), ("Was für ein Produkt ist das?", "identify", {}),
        ("Wie komme ich zum Hauptbahnhof?", "navigate", {"destination": "Hauptbahnhof"}),
        ("Bring mich zum Dom.", "navigate", {"destination": "Dom"}), ("Wo bin ich?", "navigate", {}),
        ("Navigation zum Senatsplatz.", "navigate", {"destination": "Senatsplatz"}),
        ("Ich möchte zum Marktplatz.", "navigate", {"destination": "Marktplatz"}),
        ("Wo ist die nächste Apotheke?", "navigate", {"query": "Apotheke"}),
        ("Gibt es hier einen Geldautomat?", "navigate", {"query": "Geldautomat"}),
        ("Wie weit ist es noch?", "navigate", {}), ("Navigation beenden.", "navigate", {}),
        ("Sag mal, welche Straße ist das?", "navigate", {}), ("Sind wir jetzt bald da?", "navigate", {}),
        ("Nimm dieses Meeting auf.", "meeting", {}), ("Nimm bitte das Gespräch auf.", "meeting", {}),
        ("Starte die Aufnahme.", "meeting", {}), ("Protokolliere bitte dieses Meeting.", "meeting", {}),
        ("Schreib das Gespräch mit.", "meeting", {}), ("Beginne bitte die Aufnahme.", "meeting", {}),
        ("Aufnahme beenden.", "meeting", {}), ("Stoppe bitte die Aufnahme.", "meeting", {}),
        ("Das Meeting ist vorbei.", "meeting", {}), ("Okay, Aufnahme stoppen.", "meeting", {}),
        ("Was haben wir zum Budget beschlossen?", "meeting", {"topic": "Budget"}),
        ("Was wurde über den Umzug entschieden?", "meeting", {"topic": "Umzug"}),
        ("Was haben wir beim Kundentermin vereinbart?", "meeting", {"topic": "Kundentermin"}),
        ("Durchsuche meine Meetings nach dem Einstellungsplan.", "meeting", {"topic": "Einstellungsplan"}),
        ("Was sehe ich da?", "identify", {}), ("Wo ist das günstiger?", "identify", {}),
        ("Gibt es das woanders billiger?", "identify", {}), ("Vergleiche die Preise.", "identify", {}),
        ("Ist das ein guter Preis?", "identify", {}), ("Was kostet das?", "identify", {}),
        ("Kannst du das erkennen?", "identify", {}),
        ("Übersetze ins Deutsche.", "translate", {"language": "de"}),
        ("Übersetzung starten.", "translate", {}),
        ("Hilf mir, mit ihr auf Chinesisch zu sprechen.", "translate", {"language": "zh"}),
        ("Sei mein Dolmetscher.", "translate", {}), ("Übersetze das Gespräch ins Englische.", "translate", {"language": "en"}),
        ("Übersetzung beenden.", "translate", {}), ("Hör auf zu übersetzen.", "translate", {}),
        ("Stopp die Übersetzung.", "translate", {}),
        ("Was heißt danke auf Chinesisch?", "translate", {"text": "danke", "language": "zh"}),
        ("Wie sagt man Guten Morgen auf Englisch?", "translate", {"text": "Guten Morgen", "language": "en"}),
        ("Bezahlen.", "pay", {}), ("Jetzt bezahlen.", "pay", {}), ("Ich möchte zahlen.", "pay", {}),
        ("Das bezahlen, bitte.", "pay", {}), ("Mit der Brille bezahlen.", "pay", {}), ("Per QR-Code bezahlen.", "pay", {}),
        ("Scannen und bezahlen.", "pay", {}), ("Kann ich hier bezahlen?", "pay", {}), ("Die Rechnung bezahlen.", "pay", {}),
        ("Hier zahlen.", "pay", {}), ("Zwölf Euro fünfzig bezahlen.", "pay", {"amount": "Zwölf Euro fünfzig"}),
        ("Was ist die Hauptstadt von Frankreich?", "ask", {}), ("Erzähl mir einen Witz.", "ask", {}),
        ("Wie spät ist es in Tokio?", "ask", {}), ("Mach eine Notiz.", "ask", {}), ("Wird es morgen regnen?", "ask", {}),
        ("Wie hoch ist der Eiffelturm?", "ask", {}), ("Wer hat Faust geschrieben?", "ask", {}),
        ("Was soll ich heute kochen?", "ask", {}), ("Empfiehl mir ein Buch.", "ask", {}), ("Was ist Photosynthese?", "ask", {}),
        # travel
        ("Was steht als Nächstes auf meiner Reise an?", "travel", {}), ("Wann fährt mein Zug?", "travel", {"mode": "train"}),
        ("Wann geht mein Flug?", "travel", {"mode": "flight"}), ("Wann muss ich los?", "travel", {}),
        ("Wann muss ich zum Flughafen?", "travel", {}),
        ("Erinnere mich um 5 daran, Anna anzurufen.", "travel", {"when": "um 5", "task": "Anna anzurufen"}),
        ("Erinnere mich in einer Stunde an den Termin.", "travel", {"when": "in einer Stunde", "task": "den Termin"}),
        ("Was ist meine nächste Buchung?", "travel", {}), ("Um wie viel Uhr fliegt mein Flieger?", "travel", {"mode": "flight"}),
        ("Erinnere mich morgen um 8 daran, den Pass mitzunehmen.", "travel", {"when": "morgen um 8", "task": "den Pass mitzunehmen"}),
        ("Merk dir, dass mein Schließfach die Nummer 42 hat.", "memory", {"what": "mein Schließfach die Nummer 42 hat"}),
        ("Merke dir, ich habe auf Ebene drei geparkt.", "memory", {"what": "ich habe auf Ebene drei geparkt"}),
        ("Wo habe ich mein Auto geparkt?", "memory", {"topic": "mein Auto"}), ("Wo hab ich das Auto geparkt?", "memory", {"topic": "das Auto"}),
        ("Wo ist mein Schlüssel?", "memory", {"topic": "Schlüssel"}),
        ("Was habe ich dir über das WLAN gesagt?", "memory", {"topic": "das WLAN"}),
        ("Vergiss das letzte.", "memory", {}), ("Bitte vergiss alles von heute.", "memory", {}),
        ("Merk dir, wie das aussieht.", "memory", {"photo": True}), ("Was hast du dir heute gemerkt?", "memory", {}),
    ],
}  # fmt: skip

CASES = [(language, *row) for language, rows in TABLES.items() for row in rows]


@pytest.fixture(scope="module")
def skills() -> Any:
    return fake_skills()


@pytest.mark.parametrize(("language", "said", "skill", "slots"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_phrase_routes_to_its_skill(skills: Any, language: str, said: str, skill: str, slots: dict[str, Any]) -> None:
    # The language as Whisper would detect it, with a wearer who speaks another one: both are tried.
    wearer = "en" if language != "en" else "zh"
    route = skills.route(Turn(text=said, language=language, wearer_language=wearer))
    assert route.skill == skill, f"{said!r} went to {route.skill} ({route.matched_by})"
    assert route.matched_by == ("agent" if skill == "ask" else "intent")
    for name, value in slots.items():
        assert route.args.get(name) == value, f"{said!r}: slot {name} = {route.args.get(name)!r}"
    if route.matched_by == "intent":
        assert route.language == language


def test_each_table_has_ten_phrasings_per_skill_and_language() -> None:
    names = {klass.name for klass in default_skills()}
    for language in LANGUAGES:
        counts = {name: sum(1 for row in TABLES[language] if row[1] == name) for name in names}
        assert all(n >= 10 for n in counts.values()), (language, counts)


def test_no_phrasing_is_a_template_line() -> None:
    templates = {
        s.casefold() for klass in default_skills() for lang in LANGUAGES for s in sentences(_package(klass), lang)
    }
    assert not [said for language, said, _, _ in CASES if said.casefold().strip(".?!。？！") in templates]


def test_typed_text_finds_its_language_without_a_hint(skills: Any) -> None:
    """REST text has no detected language: the wearer's language is tried, then the others."""
    for said, skill in [
        ("几点了？", "time"),
        ("Wie spät ist es?", "time"),
        ("这是什么？", "identify"),
        ("stopp", "stop"),
    ]:
        assert skills.route(Turn(text=said)).skill == skill, said


def test_german_matching_casefolds_sharp_s_and_keeps_the_slot_as_said(skills: Any) -> None:
    route = skills.route(Turn(text="WAS HEISST Straße AUF ENGLISCH?", language="de"))
    assert route.skill == "translate" and route.args == {"text": "Straße", "language": "en"}
    route = skills.route(Turn(text="Wie sagt man Grüße auf Deutsch?", language="de"))
    assert route.args == {"text": "Grüße", "language": "de"}


def test_a_general_question_is_not_taken_for_a_phrase_to_translate(skills: Any) -> None:
    """ "{text}的{language}是什么" must not read "世界上最高的山是什么" as the word 世界上最高 in the language 山."""
    assert skills.route(Turn(text="世界上最高的山是什么？", language="zh")).skill == "ask"


def test_skip_words_never_appear_inside_templates() -> None:
    """A skip word is removed from what was said before matching: a template that needs it can never match."""
    import yaml

    from glassmate.skills.intents import _read

    for language in LANGUAGES:
        skip = [w.casefold() for w in (_read("glassmate.skills", language) or {}).get("skip_words", [])]
        for klass in default_skills():
            for template in sentences(_package(klass), language):
                words = template.casefold().replace("[", " ").replace("]", " ").replace("(", " ").replace(")", " ")
                for word in skip:
                    required = word in words.replace("|", " ").split() if language != "zh" else word in words
                    if required:
                        assert (
                            f"[{word}]" in template.casefold()
                            or f"|{word}" in template.casefold()
                            or (f"{word}|" in template.casefold())
                        ), f"{klass.name} {language}: {template!r} needs the skip word {word!r}"
    assert yaml  # the intent files are YAML


def test_every_intent_names_a_tool_of_its_skills() -> None:
    """An intent whose name is not a tool would never match (the matcher skips it): refused at check time."""
    fake_skills().intents.check()
