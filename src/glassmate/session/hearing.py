"""The session's ears: the wearer's audio, from `input_audio_buffer.append` to a finished utterance.

Appends are checked and fed to the input buffer and its VAD (audio_input.py). Speech starting opens an Utterance
(utterance.py), which transcribes its chunks while the wearer talks; speech stopping, a client's commit, or (with
`semantic_vad`) a pause that the end-of-turn model and the words call finished, completes it and hands it to the
session (`RealtimeSession.committed`), which answers it.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import TYPE_CHECKING

import numpy as np
import openai.types.realtime as rt

from glassmate.config import VADSettings
from glassmate.errors import GlassmateError
from glassmate.events import ProtocolError, new_id
from glassmate.events import server_event as event
from glassmate.session.audio_input import RATE, InputAudio, InputEvent
from glassmate.session.turn_end import sounds_finished
from glassmate.session.utterance import Utterance

if TYPE_CHECKING:
    from glassmate.session.realtime import RealtimeSession

log = logging.getLogger("glassmate.session")
MAX_AUDIO_EVENT_BYTES = 1_000_000  # ~20 s of 24 kHz PCM16 in one append
MIN_COMMIT_MS = 100


class Hearing:
    def __init__(self, session: RealtimeSession) -> None:
        self.session = session
        self.input = self._new_input()
        self.utterance: Utterance | None = None  # the one being spoken, between speech_started and its end
        # semantic_vad: the last turn the VAD ended (at a pause judged finished, or after the silence), with where
        # its speech stopped. Speech that starts again within `turn.resume_ms` of that may go on with it.
        self._resumable: tuple[Utterance, int] | None = None
        # A turn judged finished at the pause that began at this position, waiting for `turn.min_silence_ms`.
        self._finished_at: tuple[Utterance, int] | None = None
        self._vad_trace = (0, 0.0)  # appends seen, loudest VAD probability since the last trace line

    def reset(self) -> None:
        """The session's audio settings changed: a new buffer and VAD, with them."""
        self.input = self._new_input()
        self._resumable = self._finished_at = None
        self.session.drop_speculation()

    def clear(self) -> None:
        """`input_audio_buffer.clear`: forget the buffered audio and the utterance in progress."""
        self.input.clear()
        self.utterance = None
        self._resumable = self._finished_at = None
        self.session.drop_speculation()

    def _new_input(self) -> InputAudio:
        config, settings = self.session.config, self.session.settings
        td = config.audio.input.turn_detection
        vad = None
        if td is not None:
            semantic = td.type == "semantic_vad"
            vad_settings = VADSettings(
                threshold=td.threshold,
                # semantic: a turn the end-of-turn check did not call finished ends after the eagerness's silence
                min_silence_ms=settings.turn.wait_ms[td.eagerness] if semantic else td.silence_duration_ms,
                prefix_padding_ms=td.prefix_padding_ms,
                min_speech_ms=settings.vad.min_speech_ms,
                pause_ms=settings.turn.pause_ms if semantic else settings.vad.pause_ms,
            )
            vad = self.session.models.vad.stream(vad_settings)
        return InputAudio(
            vad=vad,
            input_rate=config.audio.input.format.rate,
            prefix_padding_ms=td.prefix_padding_ms if td else 0,
        )

    async def append(self, b64: str) -> None:
        """One `input_audio_buffer.append`: base64 PCM16 at the session's input rate."""
        try:
            pcm = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ProtocolError("invalid-audio", "audio must be base64-encoded PCM16") from exc
        if len(pcm) > MAX_AUDIO_EVENT_BYTES:
            raise ProtocolError("audio-chunk-too-large", f"one append may carry at most {MAX_AUDIO_EVENT_BYTES} bytes")
        if len(pcm) % 2:
            raise ProtocolError("invalid-audio", f"PCM16 audio needs an even number of bytes, got {len(pcm)}")
        if not pcm:
            return
        events = self.input.append(pcm)
        self.session.skills.on_audio(self.input.last)
        self._trace_vad()
        for ev in events:
            await self._on_input(ev)
        if self._finished_at is not None:
            await self._end_if_silent_enough()

    async def _on_input(self, ev: InputEvent) -> None:
        session = self.session
        td = session.config.audio.input.turn_detection
        if ev.kind == "speech_started":
            continued = self._continued(ev.at_ms)
            self.utterance = Utterance(session, new_id("item"), continues=continued)
            await session.send(
                event(rt.InputAudioBufferSpeechStartedEvent, audio_start_ms=ev.at_ms, item_id=self.utterance.item_id)
            )
            if td is not None and td.interrupt_response:
                session.cancel_response("turn_detected")
            return
        utterance = self.utterance
        if utterance is None:
            return
        if ev.kind == "chunk":
            utterance.add_chunk(ev.audio)
        elif ev.kind == "tail":
            utterance.speculate(ev.audio, ev.at_ms)
        elif ev.kind == "speech_stopped":
            self.utterance = None
            semantic = td is not None and td.type == "semantic_vad"
            self._resumable = (utterance, ev.at_ms) if semantic else None
            await session.send(
                event(rt.InputAudioBufferSpeechStoppedEvent, audio_end_ms=ev.at_ms, item_id=utterance.item_id)
            )
            utterance.end_at(ev.audio, ev.at_ms)
            await session.committed(utterance)
        if ev.paused and td is not None and td.type == "semantic_vad":
            session.spawn(self._judge_pause(utterance, ev.at_ms), name="end-of-turn")

    async def _judge_pause(self, utterance: Utterance, at_ms: int) -> None:
        """semantic_vad: end the turn at the pause that began at `at_ms` if the voice sounds finished and the words
        heard so far can end a sentence; otherwise the VAD ends it after the longer silence."""
        session = self.session
        try:
            probability = await session.models.turn.score(self.input.utterance_audio())
        except GlassmateError as exc:  # the model is missing or failed: the silence alone ends the turn
            log.warning("session %s: the end-of-turn model failed (%s); waiting for the silence", session.id, exc.code)
            return
        if probability < session.settings.turn.finished or self.utterance is not utterance:
            log.debug("session %s: pause at %d ms, end-of-turn p %.2f: goes on", session.id, at_ms, probability)
            return
        text, language = await utterance.heard_until(at_ms)
        finished = sounds_finished(text, language)
        log.debug("session %s: pause at %d ms, p %.2f, words can end: %s", session.id, at_ms, probability, finished)
        if finished and self.utterance is utterance:
            self._finished_at = (utterance, at_ms)
            session.speculate(utterance, text)  # the answer starts now; it is heard once the turn has ended
            await self._end_if_silent_enough()

    async def _end_if_silent_enough(self) -> None:
        """End the turn judged finished once its silence is `turn.min_silence_ms` long; forget it if speech went
        on (or the turn ended otherwise) meanwhile."""
        assert self._finished_at is not None
        utterance, at_ms = self._finished_at
        vad = self.input.vad
        if self.utterance is not utterance or vad is None or vad.silent_since_ms != at_ms:
            self._finished_at = None
            if self.utterance is utterance:  # the wearer went on: the answer started early is dropped
                self.session.drop_speculation()
            return
        if self.input.position_ms - at_ms < self.session.settings.turn.min_silence_ms:
            return  # the next append looks again
        self._finished_at = None
        if (stopped := self.input.end_turn(at_ms)) is not None:
            await self._on_input(stopped)

    def _continued(self, speech_from_ms: int) -> Utterance | None:
        """The turn that speech starting now may go on with: the last one, if the VAD ended it and the wearer spoke
        again within `turn.resume_ms` of its last word ("What time | is it right now?"; after the long silence,
        that leaves the ~200 ms after it). Whether it does is decided once its words are known
        (RealtimeSession.joins). Not while an activity listens (translation hands on each clause as it is heard)."""
        resumable, self._resumable = self._resumable, None
        if resumable is None or self.session.skills.listener() is not None:
            return None
        previous, stopped_ms = resumable
        td = self.session.config.audio.input.turn_detection
        onset_ms = speech_from_ms + (td.prefix_padding_ms if td is not None else 0)  # at_ms includes the padding
        return previous if onset_ms - stopped_ms <= self.session.settings.turn.resume_ms else None

    def _trace_vad(self) -> None:
        """DEBUG: every 50 appends (about 2 s), the loudest VAD probability seen and the state of its scorer."""
        vad = self.input.vad
        if vad is None or not log.isEnabledFor(logging.DEBUG):
            return
        self._vad_trace = (self._vad_trace[0] + 1, max(self._vad_trace[1], vad.last_probability))
        if self._vad_trace[0] % 50 == 0:
            state = getattr(vad.scorer, "_h", None)
            norm = float(np.linalg.norm(state)) if state is not None else float("nan")
            log.debug("session %s: %d appends, VAD max p %.2f, speaking %s, state norm %.2f", self.session.id,
                      self._vad_trace[0], self._vad_trace[1], self.input.speaking, norm)  # fmt: skip
            self._vad_trace = (self._vad_trace[0], 0.0)

    async def commit(self) -> None:
        """`input_audio_buffer.commit`: what is buffered becomes an utterance (with a VAD, the one in progress)."""
        self._resumable = None
        if self.input.vad is not None and self.utterance is not None:
            utterance, self.utterance = self.utterance, None
            utterance.add_chunk(self.input.commit())
        else:
            audio = self.input.commit()
            if len(audio) * 1000 // RATE < MIN_COMMIT_MS:
                raise ProtocolError(
                    "input-audio-buffer-commit-empty", f"the buffer holds less than {MIN_COMMIT_MS} ms of audio"
                )
            utterance = Utterance(self.session, new_id("item"))
            utterance.add_chunk(audio)
        await self.session.committed(utterance)
