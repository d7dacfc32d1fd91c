"""Test speech that sounds more like people than one TTS voice at one pace: Piper and espeak-ng voices at several
speeds, with a pause inside the sentence where a speaker hesitates ("Take me to the | railway station").

A sentence is synthesised whole, so the words before the pause keep the sentence's running intonation (a
hesitation, not an ending), and the pause is inserted at the quietest moment near the "|" mark (the boundary
between two words). Used by bench/voice_latency.py and the end-of-turn tests.
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass
from typing import Literal

import numpy as np
import soundfile

from glassmate.audio import ASR_RATE, Audio

RATE = ASR_RATE
Voice = Literal["piper", "espeak"]
_ESPEAK_VOICES = {"en": "en-us", "de": "de", "zh": "cmn"}


@dataclass(frozen=True)
class Spoken:
    audio: Audio  # 16 kHz, leading and trailing silence trimmed
    pause_at_s: float | None  # where the inserted pause begins (None: no pause)
    pause_s: float


def _trim(samples: np.ndarray, level: float = 0.01) -> np.ndarray:
    loud = np.nonzero(np.abs(samples) > level)[0]
    return samples[loud[0] : loud[-1] + 1] if len(loud) else samples[:0]


def synthesize(text: str, *, voice: Voice, language: str, speed: float, piper_voice: object | None = None,
               steady: bool = False) -> np.ndarray:  # fmt: skip
    """`text` spoken at `speed` (1.0: the voice's own pace) as 16 kHz float32, silence trimmed. Piper needs its
    loaded voice (`PiperTTS._engine()`); espeak-ng runs as a program. Piper draws random noise for each sentence,
    so its speech differs from run to run; `steady` turns the noise off: the same samples every time."""
    if voice == "piper":
        from piper import SynthesisConfig

        if piper_voice is None:
            raise ValueError("Piper needs its loaded voice")
        noise = {"noise_scale": 0.0, "noise_w_scale": 0.0} if steady else {}
        config = SynthesisConfig(length_scale=1 / speed, **noise)  # type: ignore[arg-type]
        chunks = list(piper_voice.synthesize(text, syn_config=config))  # type: ignore[attr-defined]
        samples = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
        rate = chunks[0].sample_rate
    else:
        out = subprocess.run(["espeak-ng", "-v", _ESPEAK_VOICES.get(language, language), "-s", str(round(175 * speed)),
                              "--stdout", "-b", "1"], input=text.encode(), capture_output=True, check=True)  # fmt: skip
        data, rate = soundfile.read(io.BytesIO(out.stdout), dtype="float32", always_2d=True)
        samples = data.mean(axis=1)
    return _trim(Audio(samples, rate).resampled(RATE).samples.astype(np.float32))


def word_boundary(samples: np.ndarray, near: float, *, spread: float = 0.15, frame_s: float = 0.03) -> int:
    """The sample index of the quietest short frame within ±spread (as a fraction of the length) of `near`."""
    frame = int(frame_s * RATE)
    lo = max(frame, int((near - spread) * len(samples)))
    hi = min(len(samples) - 2 * frame, int((near + spread) * len(samples)))
    starts = list(range(lo, max(lo + 1, hi), frame // 3))
    energy = [float(np.mean(samples[s : s + frame] ** 2)) for s in starts]
    return starts[int(np.argmin(energy))] + frame // 2


def spoken(text: str, *, voice: Voice, language: str, speed: float = 1.0, pause_s: float = 0.5,
           piper_voice: object | None = None, steady: bool = False) -> Spoken:  # fmt: skip
    """The sentence (a "|" marks where the speaker pauses for `pause_s`) as a voice would say it."""
    before, bar, after = text.partition("|")
    whole = " ".join((before.strip() + " " + after.strip()).split()) if bar else text
    samples = synthesize(whole, voice=voice, language=language, speed=speed, piper_voice=piper_voice, steady=steady)
    if not bar:
        return Spoken(Audio(samples, RATE), None, 0.0)
    cut = word_boundary(samples, len(before.strip()) / max(1, len(whole)))
    joined = np.concatenate([samples[:cut], np.zeros(int(pause_s * RATE), np.float32), samples[cut:]])
    return Spoken(Audio(joined, RATE), cut / RATE, pause_s)
