"""A realtime session: the state of one pair of glasses and the handling of its events.

Every task the session starts belongs to its TaskGroup; when the connection ends, `run` cancels them all, so a
dropped connection frees the models at once. Errors a client can act on become `error` events; bugs are logged
and reported as `internal-error` without details. CancelledError is always re-raised.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import difflib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import aclosing
from dataclasses import replace
from typing import Any

import openai.types.realtime as rt
from pydantic import BaseModel

from glassmate.config import Settings
from glassmate.engines import Priority, set_priority
from glassmate.errors import GlassmateError
from glassmate.events import (
    DeviceButton,
    DeviceState,
    InputImageAppend,
    PrivacyIndicatorEvent,
    ProtocolError,
    SessionConfig,
    SessionUpdate,
    error_event,
    new_id,
    parse_session_config,
    session_object,
)
from glassmate.events import (
    server_event as event,
)
from glassmate.imaging import image_size
from glassmate.providers.translate.base import detect_language
from glassmate.runtime import Models
from glassmate.session.conversation import Conversation
from glassmate.session.hearing import Hearing
from glassmate.session.port import SessionPort
from glassmate.session.respond import ResponseRun
from glassmate.session.speculation import SpeculativeAnswer
from glassmate.session.utterance import Utterance, user_item
from glassmate.skills.base import DeviceInfo, Exchange, Frame, Skill, SkillEnv, Turn
from glassmate.skills.routing import Route, Skills, say_route
from glassmate.skills.tools import ToolContext
from glassmate.text import normalise

log = logging.getLogger("glassmate.session")
Send = Callable[[dict[str, Any]], Awaitable[None]]
WAKE_WINDOW_S = 8.0  # after "hey glasses" alone, the next utterance needs no wake phrase
FINISHING_S = 0.5  # how long a closing session waits for the answer in progress to record its exchange
CAMERA_SHOWN_S = 3.0  # how long the HUD shows that a camera frame was kept
SPOKEN = {"en", "de", "zh", "fr", "es", "it", "ja", "ko", "pt", "ru", "nl", "sv", "fi", "pl", "tr", "ar", "hi"}


class RealtimeSession:
    def __init__(
        self,
        *,
        models: Models,
        skills: Sequence[type[Skill]],
        settings: Settings,
        send: Send,
        device: str | None,
        drop_audio: Callable[[str], None] | None = None,
        services: Any = None,
    ) -> None:
        self.id = new_id("sess")
        self.models = models
        self.settings = settings
        self._send = send
        self._drop_audio = drop_audio  # forgets a cancelled response's audio still waiting to be sent
        self.device_name = device
        self.config = SessionConfig()
        self.frame: Frame | None = None
        self.device = DeviceInfo()
        self.conversation = Conversation(self)  # what the LLM sees of this session's exchanges
        self._superseded: set[str] = set()  # user items a continuation replaced (Hearing._continued): not answered
        self._tasks: set[asyncio.Task[Any]] = set()
        self._group: asyncio.TaskGroup | None = None
        self.response: tuple[ResponseRun, asyncio.Task[Any]] | None = None
        self._pending_user: asyncio.Task[str] | None = None  # transcript awaiting response.create
        self._early: SpeculativeAnswer | None = None  # an answer started before its turn had surely ended
        self._last_item: str | None = None
        self._awake_until = 0.0
        self.closed = False
        self._keeping_audio = False  # a meeting is recorded: the HUD shows it (privacy.indicator)
        self._camera_kept_at = -CAMERA_SHOWN_S
        self.services = services
        # The skills see the session only through its port; they are built for this session alone.
        self.env = SkillEnv(models=models, settings=settings, services=services, port=SessionPort(self))
        self.skills = Skills.build(skills, self.env)
        self.hearing = Hearing(self)  # the audio input, from appends to finished utterances

    # -- plumbing -------------------------------------------------------------------------------------------

    async def send(self, data: dict[str, Any]) -> None:
        if not self.closed:
            await self._send(data)

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Start a task owned by this session; its failures become error events."""
        guarded = self._guard(coro)
        try:
            if self._group is None or self.closed:
                raise RuntimeError("the session is not running")
            task = self._group.create_task(guarded, name=f"{self.id}:{name}")
        except RuntimeError:  # closing: nothing new may start
            guarded.close()
            coro.close()
            raise asyncio.CancelledError from None
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        # A task cancelled before it ran never awaits `coro`: close it so it is not reported as leaked.
        task.add_done_callback(lambda _: coro.close())
        return task

    async def _guard(self, coro: Coroutine[Any, Any, Any]) -> Any:
        try:
            return await coro
        except asyncio.CancelledError:
            raise
        except GlassmateError as exc:
            await self.send(error_event(exc.code, exc.message))
        except Exception:
            log.exception("session %s: task failed", self.id)
            await self.send(error_event("internal-error", "something went wrong on the server; the session goes on"))
        return None

    async def run(self, incoming: AsyncIterator[BaseModel | ProtocolError]) -> None:
        """Handle events until the client goes away, then cancel everything the session started."""
        set_priority(Priority.INTERACTIVE)  # the models serve the wearer's turns before REST and background work
        async with asyncio.TaskGroup() as group:
            self._group = group
            try:
                await self.conversation.resume()
                await self.send(self._session_event("session.created"))
                self.skills.on_open()
                async for item in incoming:
                    if isinstance(item, ProtocolError):
                        await self.send(error_event(item.code, item.message, event_id=item.event_id, param=item.param))
                        continue
                    try:
                        await self.handle(item)
                    except ProtocolError as exc:
                        await self.send(error_event(exc.code, exc.message, event_id=exc.event_id, param=exc.param))
                    except GlassmateError as exc:
                        await self.send(error_event(exc.code, exc.message, event_id=getattr(item, "event_id", None)))
                    except Exception:  # a bug: logged, reported without details, and the session goes on
                        log.exception("session %s: handling %s failed", self.id, getattr(item, "type", "?"))
                        await self.send(error_event("internal-error", "the server failed to handle that event"))
            finally:
                # An answer that was just sent records its exchange as its task ends: let it, briefly, so the
                # conversation a reconnect continues has it.
                running = self.response[1] if self.response is not None else None
                if running is not None and not running.done():
                    await asyncio.wait([running], timeout=FINISHING_S)
                self.closed = True
                await self.conversation.save()
                self.skills.on_close()
                for task in list(self._tasks):
                    task.cancel()

    def _session_event(self, kind: str) -> dict[str, Any]:
        # Not validated by the SDK's model: glassmate's 16 kHz input rate is an extension its types do not allow.
        return {"type": kind, "event_id": new_id("event"), "session": session_object(self.config, self.id)}

    # -- events ---------------------------------------------------------------------------------------------

    async def handle(self, ev: BaseModel) -> None:
        if isinstance(ev, rt.InputAudioBufferAppendEvent):
            await self.hearing.append(ev.audio)
        elif isinstance(ev, SessionUpdate):
            before = self.config.audio.input
            self.config = parse_session_config(self.config, ev.session)
            if self.config.audio.input.model_dump() != before.model_dump():
                self.hearing.reset()
            self.skills.on_options(self.config)
            await self.send(self._session_event("session.updated"))
        elif isinstance(ev, rt.InputAudioBufferCommitEvent):
            await self.hearing.commit()
        elif isinstance(ev, rt.InputAudioBufferClearEvent):
            self.hearing.clear()
            await self.send(event(rt.InputAudioBufferClearedEvent))
        elif isinstance(ev, rt.ConversationItemCreateEvent):
            await self._create_item(ev)
        elif isinstance(ev, rt.ResponseCreateEvent):
            if self._pending_user is None:
                raise ProtocolError("no-input", "there is no user input to respond to", event_id=ev.event_id)
            pending, self._pending_user = self._pending_user, None
            self.spawn(self._respond_when_ready(pending), name="respond")
        elif isinstance(ev, rt.ResponseCancelEvent):
            if not self.cancel_response("client_cancelled"):
                raise ProtocolError("response-cancel-not-active", "no response is in progress", event_id=ev.event_id)
        elif isinstance(ev, InputImageAppend):
            self._append_image(ev)
        elif isinstance(ev, DeviceState):
            self._update_device(ev)
        elif isinstance(ev, DeviceButton):
            self._button(ev)
        elif (skill := self.skills.handles(ev)) is not None:  # a skill's own extension event
            self.spawn(skill.on_event(ev), name=f"{skill.name}-event")

    async def committed(self, utterance: Utterance) -> None:
        """An utterance is complete (the VAD's silence, the end-of-turn check or the client's commit): add it to the
        conversation, transcribe it, and answer it (or keep it for the client's response.create)."""
        await self.send(
            event(rt.InputAudioBufferCommittedEvent, item_id=utterance.item_id, previous_item_id=self._last_item)
        )
        item = user_item(utterance.item_id, None, audio=True)
        await self.send(event(rt.ConversationItemAdded, item=item, previous_item_id=self._last_item))
        self._last_item = utterance.item_id
        transcript = utterance.transcript = self.spawn(utterance.finish(), name="transcribe")
        td = self.config.audio.input.turn_detection
        if td is not None and td.create_response:
            self.spawn(self._respond_when_ready(transcript, utterance), name="respond")
        else:
            self._pending_user = transcript

    async def joins(self, previous: Utterance, words: str) -> bool:
        """Whether `words`, said within `turn.resume_ms` of the last word of a turn that has ended, go on with it
        ("What time | is it right now?"): they do unless they are a command of their own ("stop", "repeat that",
        "confirm"), which is how a wearer cuts in on the answer. If they do, the two are answered as one question
        and `previous` leaves the conversation: its item is deleted for the client, its exchange (if answered
        already) leaves the history, and an answer to it still running is not remembered."""
        if not words.strip():
            return False
        own = self._turn(words)
        matched = self.skills.match(own)
        if matched is not None or any(a.claim(own, matched) is not None for a in self.skills.activities):
            return False
        self._superseded.add(previous.item_id)
        self.conversation.forget(previous.item_id)
        log.info("session %s: the wearer went on after a pause; the turn continues %s", self.id, previous.item_id)
        await self.send(event(rt.ConversationItemDeletedEvent, item_id=previous.item_id))
        return True

    async def _create_item(self, ev: rt.ConversationItemCreateEvent) -> None:
        item = ev.item
        texts = [c.text for c in getattr(item, "content", []) or [] if getattr(c, "type", None) == "input_text"]
        if getattr(item, "role", None) != "user" or not texts:
            raise ProtocolError(
                "unsupported-item", "glassmate takes user messages with input_text content", event_id=ev.event_id
            )
        item_id = getattr(item, "id", None) or new_id("item")
        text = " ".join(t for t in texts if t)
        data = user_item(item_id, text, audio=False)
        await self.send(event(rt.ConversationItemAdded, item=data, previous_item_id=self._last_item))
        await self.send(event(rt.ConversationItemDone, item=data, previous_item_id=self._last_item))
        self._last_item = item_id
        done: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        done.set_result(text)
        self._pending_user = done  # type: ignore[assignment]

    def _append_image(self, ev: InputImageAppend) -> None:
        try:
            data = base64.b64decode(ev.image, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ProtocolError(
                "invalid-image", "image must be base64-encoded JPEG or PNG", event_id=ev.event_id
            ) from exc
        limits = self.settings.image
        if len(data) > limits.max_frame_bytes:
            raise ProtocolError(
                "image-too-large",
                f"a frame may be at most {limits.max_frame_bytes // 1_000_000} MB",
                event_id=ev.event_id,
            )
        try:
            image_size(data, limits)  # the header only: the pixels are decoded when a skill needs them
        except GlassmateError as exc:
            raise ProtocolError(exc.code, exc.message, event_id=ev.event_id) from exc
        self.frame = Frame(data, ev.captured_at_ms or int(time.time() * 1000))
        self.skills.on_frame(self.frame)

    def _update_device(self, ev: DeviceState) -> None:
        if ev.battery is not None:
            self.device.battery_level, self.device.charging = ev.battery.level, ev.battery.charging
        if ev.gps is not None:
            self.device.lat, self.device.lon = ev.gps.lat, ev.gps.lon
            self.device.accuracy_m = ev.gps.accuracy_m
        if ev.heading_deg is not None:
            self.device.heading_deg = ev.heading_deg
        if ev.gps is not None or ev.heading_deg is not None:
            self.skills.on_device(self.device)
        if ev.network is not None:
            self.device.network = ev.network

    def _button(self, ev: DeviceButton) -> None:
        """A button does what the activity in focus or a skill's policy says (double tap: repeat; long press:
        identify; while a payment is open, tap cancels it and long press confirms); otherwise a tap stops
        the answer that is playing."""
        route = self.skills.button(ev.button)
        if route is not None:
            turn = self._turn("")
            turn.button = ev.button
            self.spawn(self._respond(turn, route=route), name="respond")
        elif ev.button == "tap":
            self.cancel_response("client_cancelled")

    # -- turns and responses --------------------------------------------------------------------------------

    def cancel_response(self, reason: str) -> bool:
        """Cancel the response in progress, unless its skill must not be interrupted."""
        if self.response is None or self.response[1].done():
            return False
        run, task = self.response
        if not run.route.cancellable:
            return False
        run.result.reason = reason
        task.cancel()
        if self._drop_audio is not None:
            self._drop_audio(run.result.id)
        return True

    async def _respond_when_ready(
        self, transcript: asyncio.Future[str] | asyncio.Task[str], utterance: Utterance | None = None
    ) -> None:
        text = await transcript
        early = self._early if self._early is not None and self._early.utterance is utterance else None
        if early is not None:  # this turn's answer, started at its judged pause
            self._early = None
            if text is not None and early.text == text and not self._answering(but=early.task):
                await self._release(early)
                return
            early.drop()  # the words or the moment changed: answered anew below, if at all
        if text is None:  # transcription failed; its error was reported
            return
        if utterance is not None and utterance.item_id in self._superseded:  # the wearer went on: answered as one
            return
        turn = self._turn(text, utterance)
        route = self.skills.route(turn)
        if route.matched_by != "activity":  # an activity waiting for an answer needs no wake phrase
            turn.text = self._apply_wake_phrase(text)
            if not turn.text:
                return
            if turn.text != text:
                route = self.skills.route(turn)
        await self._respond(turn, route=route)

    def speculate(self, utterance: Utterance, text: str) -> None:
        """Start answering `text` (the words up to a pause judged finished) before the silence has confirmed that
        the turn ended there; what the answer sends is held until it has (session/speculation.py). Only an intent
        whose tool reads and needs no model (the time, the battery, repeat, where am I, the next trip): its answer
        is ready at once, and a wrong guess costs one short synthesis. Not the agent or a camera tool: started early
        the LLM gained ~14 ms (bench/RESULTS.md), and a dropped LLM prefill or OCR pass holds both cores for
        hundreds of ms that cannot be interrupted, while the wearer is still speaking. Nor when the answer could
        depend on what is still undecided: a turn an activity in focus might claim (a payment waiting for
        "confirm", a place to choose), a wake phrase, a turn that may join the one before, an answer still
        playing."""
        self.drop_speculation()
        td = self.config.audio.input.turn_detection
        if (
            not self.settings.turn.answer_early
            or td is None
            or not td.create_response
            or not text.strip()
            or self.config.glassmate.wake_phrase
            or utterance.continues is not None
            or self.skills.activities
            or self._answering()
        ):
            return
        turn = self._turn(text, utterance)
        route = self.skills.route(turn)
        tool = self.skills.tools.get(route.tool or "")
        if route.matched_by != "intent" or tool is None or tool.policy.side_effects or tool.skill.policy.models:
            return
        early = self._early = SpeculativeAnswer(utterance, text, self.send)
        early.task = self.spawn(self._respond_early(turn, route, early), name="respond-early")
        log.debug("session %s: answering %s early (%s)", self.id, utterance.item_id, route.skill)

    def drop_speculation(self) -> None:
        """The wearer went on after the pause judged finished: the answer started early is cancelled unheard."""
        early, self._early = self._early, None
        if early is not None:
            log.debug("session %s: the answer started early to %s is dropped", self.id, early.utterance.item_id)
            early.drop()

    async def _respond_early(self, turn: Turn, route: Route, early: SpeculativeAnswer) -> None:
        try:
            await self._respond(turn, route=route, early=early)
        except GlassmateError as exc:  # reported once the turn has ended, like the rest of the answer
            await early.send(error_event(exc.code, exc.message))

    async def _release(self, early: SpeculativeAnswer) -> None:
        """The turn ended where the early answer assumed: it becomes the response in progress, and is heard."""
        if early.run is not None and early.task is not None:
            self.response = (early.run, early.task)
        await early.release()

    def _answering(self, *, but: asyncio.Task[Any] | None = None) -> bool:
        """Whether a response other than `but` is in progress."""
        running = self.response[1] if self.response is not None else None
        return running is not None and not running.done() and running is not but

    def _turn(self, text: str, utterance: Utterance | None = None) -> Turn:
        language = utterance.detected if utterance is not None else detect_language(text)
        return Turn(
            text=text,
            language=language,
            wearer_language=self.config.glassmate.language,
            frame=self.frame,
            device=self.device,
            history=tuple(self.conversation.exchanges),
            item_id=utterance.item_id if utterance is not None else None,
        )

    def update_options(self, **changes: Any) -> None:
        """Change the session's `glassmate` options (a skill switching translation on) and tell the client."""
        glassmate = self.config.glassmate
        for name, value in changes.items():
            current = getattr(glassmate, name)
            update = value if not isinstance(current, BaseModel) else current.model_copy(update=value)
            glassmate = glassmate.model_copy(update={name: update})
        self.config = self.config.model_copy(update={"glassmate": glassmate})
        self.skills.on_options(self.config)
        self.spawn(self.send(self._session_event("session.updated")), name="session-updated")

    def _apply_wake_phrase(self, text: str) -> str:
        """The request without the wake phrase, or "" if the wake phrase is required and missing."""
        phrase = self.config.glassmate.wake_phrase
        if not phrase:
            return text
        if time.monotonic() < self._awake_until:
            self._awake_until = 0.0
            return text
        said, wanted = normalise(text).split(), normalise(phrase).split()
        head = " ".join(said[: len(wanted)])
        if difflib.SequenceMatcher(None, head, " ".join(wanted)).ratio() < 0.75:
            return ""
        rest = " ".join(text.split()[len(wanted) :]).lstrip(",.!? ")
        if not rest:
            self._awake_until = time.monotonic() + WAKE_WINDOW_S
        return rest

    async def _respond(self, said: str | Turn, *, route: Route | None = None, speech_language: str | None = None,
                       early: SpeculativeAnswer | None = None) -> None:  # fmt: skip
        turn = said if isinstance(said, Turn) else self._turn(said)
        chosen = route or self.skills.route(turn)
        ctx = ToolContext(turn=turn, env=self.env, turn_ended=early.turn_ended if early is not None else None)
        if chosen.silent:  # an activity handled it without an answer of its own (it may `say` something)
            async with aclosing(chosen.run(ctx)) as outputs:
                async for _ in outputs:
                    pass
            return
        running = self.response[1] if self.response is not None else None
        if early is None and running is not None and not running.done() and running is not asyncio.current_task():
            # A new turn supersedes the answer in progress; one that must not be interrupted is awaited. (A task
            # that says several things in turn, like the navigation's speaker, follows its own answer.) An answer
            # started early touches nothing yet: if another began meanwhile, it is dropped on release.
            self.cancel_response("turn_detected")
            await asyncio.gather(running, return_exceptions=True)
        run = ResponseRun(
            route=chosen,
            ctx=ctx,
            policy_of=self.skills.policy,
            tts=self.models.tts,
            send=early.send if early is not None else self.send,
            modalities=list(self.config.output_modalities),
            output_rate=self.config.audio.output.format.rate,
            speech_language=speech_language or self._speech_language(chosen.language or turn.reply_language),
            voice=self.config.audio.output.voice,
            started_early=early is not None,
        )
        task = asyncio.current_task()
        assert task is not None
        if early is not None:
            early.run = run
        if early is None or early.turn_ended.is_set():
            self.response = (run, task)
        result = await run.run()
        if early is not None:
            await early.turn_ended.wait()  # remembered only once the turn was surely the wearer's whole question
        if result.text and self.skills.policy(result.route).remembered and turn.item_id not in self._superseded:
            self.conversation.remember(turn.item_id, Exchange(turn.text, result.text))

    async def say(self, text: str, *, skill: str, language: str | None = None, interrupt: bool = True,
                  card: bool = True) -> None:  # fmt: skip
        """Say `text` as a response of its own (a step the wearer did not ask for by voice: a payment card
        found in view, an expiry, a translation to speak back, a navigation announcement). `interrupt=False`
        waits for the answer in progress to end instead of cutting it short."""
        if text:
            running = self.response[1] if self.response is not None else None
            if not interrupt and running is not None and not running.done() and running is not asyncio.current_task():
                await asyncio.gather(running, return_exceptions=True)
            policy = self.skills.policy(skill)
            route = say_route(text, skill=skill, policy=policy if card else replace(policy, summary_card=False))
            await self._respond(f"({skill})", route=route, speech_language=language)

    def clear_history(self) -> None:
        self.conversation.clear()

    def indicate(self, *, audio: bool | None = None, camera: bool | None = None) -> None:
        """Update the HUD's recording indicator (privacy.indicator): audio kept (a meeting), a frame kept."""
        if audio is not None:
            self._keeping_audio = audio
        if camera:
            self._camera_kept_at = kept_at = time.monotonic()
            self.spawn(self._camera_shown(kept_at), name="camera-indicator")
        self.spawn(self._send_indicator(), name="privacy-indicator")

    async def _camera_shown(self, kept_at: float) -> None:
        await asyncio.sleep(CAMERA_SHOWN_S)
        if self._camera_kept_at == kept_at:  # no frame kept since: the camera light goes off
            await self._send_indicator()

    async def _send_indicator(self) -> None:
        camera = time.monotonic() - self._camera_kept_at < CAMERA_SHOWN_S - 0.01
        await self.send(event(PrivacyIndicatorEvent, audio=self._keeping_audio, camera=camera))

    @staticmethod
    def _speech_language(language: str) -> str:
        return language if language in SPOKEN else "en"
