"""Which of an answer's streamed words go to the voice when: whole sentences, long clauses, and the first clause
(or first 8 words) early, so the wearer hears the answer start while the LLM is still writing it."""

from __future__ import annotations

import pytest

from glassmate.session.respond import speakable


def spoken(tokens: list[str]) -> list[str]:
    """The pieces the TTS is given for an answer streamed as `tokens` (the rest at the end, as respond.py does)."""
    pieces, pending = [], ""
    for token in tokens:
        speak, pending = speakable(pending + token, first=not pieces)
        if speak:
            pieces.append(speak)
    return pieces + ([pending.strip()] if pending.strip() else [])


@pytest.mark.parametrize(
    ("tokens", "pieces"),
    [
        # The first clause goes at its comma once it has 3 words; later clauses wait for their sentence.
        (
            ["The", " largest", " planet", ",", " by", " far", ",", " is", " Jupiter", ".", " It", " is", " big", "."],
            ["The largest planet,", "by far, is Jupiter.", "It is big."],
        ),
        # A one-word opening waits for more.
        (["Sure", ",", " here", " it", " is", "."], ["Sure, here it is."]),
        # Without a comma, the first 8 words go on their own; the word being written waits.
        (
            ["The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", " again", "."],
            ["The quick brown fox jumps over the lazy", "dog again."],
        ),
        # A number's decimal point or comma is no sentence or clause end.
        (["It", " costs", " 3", ".", "5", "0", " euros", "."], ["It costs 3.50 euros."]),
        (["Das", " kostet", " 3", ",", "5", "0", " Euro", ",", " etwa", "."], ["Das kostet 3,50 Euro,", "etwa."]),
        # ... but a sentence that ends with a number is cut when the next one starts.
        (["In", " 1", "9", "9", "9", ".", " Then", " rain", "."], ["In 1999.", "Then rain."]),
        # Chinese: the full-width comma, two characters counting as a word.
        (
            ["木星", "是", "最大", "的", "行星", "，", "它", "是", "气态", "巨行星", "。"],
            ["木星是最大的行星，", "它是气态巨行星。"],
        ),
        (["Yes", "."], ["Yes."]),
        # A deterministic skill's whole answer in one delta: its sentences (a clock's colon is no cut).
        (["It is 10:30. Your train leaves at 11."], ["It is 10:30.", "Your train leaves at 11."]),
    ],
)
def test_pieces(tokens: list[str], pieces: list[str]) -> None:
    assert spoken(tokens) == pieces


def test_a_long_clause_goes_without_waiting_for_its_sentence_also_later() -> None:
    text, rest = speakable("and then you walk along the harbour for a while, past", first=False)
    assert (text, rest) == ("and then you walk along the harbour for a while,", " past")
    assert speakable("and then, past", first=False) == ("", "and then, past")
