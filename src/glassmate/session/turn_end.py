"""Has the wearer finished speaking? The end-of-turn decision at a short pause, from the sound and the words.

`semantic_vad` turn detection asks at each pause inside speech (the VAD's `pause_ms`, 200 ms): the acoustic model
(Smart Turn v3.2) scores whether the voice sounds finished, and the words heard so far (the speculative
transcript, which the answer needs anyway, so waiting for it costs no time) must not stop on a word that cannot
end a sentence ("take me to the", "wie komme ich zum", "带我去"). Both must agree; otherwise the turn ends only
after the longer silence that the session's eagerness allows. The acoustic model cannot tell a synthetic voice's
mid-sentence pause from an ending (its intonation is flat), which is why the words are checked too.
"""

from __future__ import annotations

import re

# Words after which a sentence goes on: articles, prepositions, conjunctions, possessives, fillers. Kept to words
# that (almost) never end one: not "this", "on", "is" ("where it is"), "an", "es", "nach", "什么", "我".
_DANGLING = {
    "en": "a an the to of into onto than and or but nor because if whose whom my your our their um uh er erm",
    "de": """der die den dem des ein eine einen einem einer eines zum zur und oder aber denn sondern weil dass ob
        wenn als von vom bei beim im ins am für über unter hinter neben zwischen gegen ohne bis mein
        meine meinen meinem meiner dein deine deinen seine ihre unsere äh ähm öh""",
    # Chinese has no spaces: the transcript's end is compared, so no word here may end a common word ("的" ends
    # 好的, "和" 暖和, "及" 来不及, "被" 棉被, "这个" 我要这个).
    "zh": "或者 还是 但是 可是 因为 所以 如果 然后 而且 把 嗯 呃",
}
_WORDS = {lang: frozenset(words.split()) for lang, words in _DANGLING.items()}
_TRAILING_OFF = re.compile(r"(\.\.\.|…|,|，|、|-|—|:|：)\s*$")
_CJK = re.compile(r"[\u3400-\u9fff]")


def sounds_finished(text: str, language: str | None) -> bool:
    """Whether a transcript so far can be a whole turn: not empty, not trailing off ("…", a comma), and not
    stopping on a word after which a sentence goes on, in the language heard (or any of ours when unknown)."""
    text = text.strip()
    if not re.search(r"\w", text) or _TRAILING_OFF.search(text):
        return False
    words = re.sub(r"[^\w\s']", " ", text.casefold()).split()
    if not words:
        return False
    languages = [language] if language in _WORDS else list(_WORDS)
    last = words[-1]
    for lang in languages:
        if lang == "zh" or _CJK.search(last):
            if any(last.endswith(w) for w in _WORDS["zh"]):
                return False
        elif last in _WORDS[lang]:
            return False
    return True
