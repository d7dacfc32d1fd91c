"""What a skill is made of: the turn it answers, its policy, its typed outputs, and the narrow port through which
it (and its long-running activities) reach the session. A skill never sees the session object itself."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

import numpy as np

if TYPE_CHECKING:
    from glassmate.config import Settings
    from glassmate.events import SessionConfig
    from glassmate.providers.llm.base import ChatMessage
    from glassmate.runtime import Models
    from glassmate.skills.routing import Route

LANGUAGES = ("zh", "en", "de")  # every skill speaks these; intents are written in each


@dataclass
class Frame:
    """The latest camera frame of a session; decoded lazily, at most once."""

    data: bytes
    captured_at_ms: int
    received_at: float = field(default_factory=time.monotonic)
    _pixels: np.ndarray | None = field(default=None, repr=False)
    # Sent with the question itself (an image in a chat request), not the glasses' running camera: the agent then
    # reads it into the prompt, as the photo is part of what was asked.
    attached: bool = False

    def age_s(self) -> float:
        return time.monotonic() - self.received_at

    def pixels(self) -> np.ndarray:
        """The frame as an RGB array, decoded on first use (size limits were checked when it arrived)."""
        if self._pixels is None:
            from glassmate.imaging import load_image

            self._pixels = load_image(self.data)
        return self._pixels


@dataclass
class DeviceInfo:
    battery_level: float | None = None
    charging: bool | None = None
    lat: float | None = None
    lon: float | None = None
    heading_deg: float | None = None
    accuracy_m: float | None = None  # of the last GPS fix, as the device reports it
    network: str | None = None


@dataclass(frozen=True)
class Exchange:
    user: str
    assistant: str


@dataclass
class Turn:
    """One thing the wearer said (or typed), with what the session knows around it."""

    text: str
    language: str | None = None  # as detected: Whisper's language, or the script of typed text
    wearer_language: str = "en"  # the session's configured language
    frame: Frame | None = None
    device: DeviceInfo = field(default_factory=DeviceInfo)
    history: Sequence[Exchange] = ()
    now: float = field(default_factory=time.time)
    item_id: str | None = None  # the conversation item of a spoken turn
    button: str | None = None  # a device button pressed instead of words ("long_press")
    # A REST conversation that holds tool calls and their results: the agent continues it message by message.
    transcript: Sequence[ChatMessage] = ()

    @property
    def reply_language(self) -> str:
        """The language to answer in: the one the wearer used, when the skills speak it."""
        if self.language in LANGUAGES:
            return self.language
        return self.wearer_language if self.wearer_language in LANGUAGES else "en"


@dataclass(frozen=True)
class Card:
    """A HUD card a tool shows (a product, a payment); without one, the answer is summarised on a card."""

    title: str
    lines: Sequence[str] = ()
    icon: str = "info"
    id: str | None = None
    ttl_ms: int | None = None
    priority: Literal["normal", "high"] = "normal"

    def as_dict(self, default_id: str) -> dict[str, Any]:
        lines = [line[:40] for line in self.lines]
        return {"id": self.id or default_id, "title": self.title[:40], "lines": lines, "icon": self.icon,
                "ttl_ms": self.ttl_ms or 4000 + 400 * len(lines), "priority": self.priority}  # fmt: skip


# What a tool yields: text deltas (spoken and shown as they come) and cards.
Output = str | Card


@dataclass(frozen=True)
class SkillPolicy:
    """How the session treats a skill: declared once, on the skill, instead of lists of names elsewhere."""

    icon: str = "info"  # the HUD card's icon for its answers
    command_while_busy: bool = False  # still a command while an activity listens (translation, a meeting)
    remembered: bool = True  # its exchanges go into the conversation history the LLM sees
    summary_card: bool = True  # its answers are summarised on a HUD card (unless a tool shows its own)
    models: tuple[str, ...] = ()  # the providers it needs (documentation, and a check at start-up)
    buttons: tuple[str, ...] = ()  # device buttons that call its first tool ("long_press", "double_tap")


class Port(Protocol):
    """What a skill and its activities may do to the session they serve."""

    session_id: str
    device_name: str | None

    @property
    def config(self) -> SessionConfig: ...

    async def say(self, text: str, *, skill: str, language: str | None = None, interrupt: bool = True,
                  card: bool = True) -> None:  # fmt: skip
        """Speak `text` as a response of its own (a step the wearer did not ask for by voice). `interrupt=False`:
        after the answer in progress rather than instead of it; `card=False`: no summary card (the caller shows
        its own)."""

    async def show(self, card: Card) -> None:
        """Put a card on the HUD now."""

    async def emit(self, event: dict[str, Any]) -> None:
        """Send a server event (e.g. `payment.updated`, a caption)."""

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Run a task owned by the session (cancelled when it ends)."""

    def focus(self, activity: Activity) -> None:
        """Put an activity in focus: it may claim turns until released."""

    def release(self, activity: Activity) -> None: ...

    def update_options(self, **changes: Any) -> None:
        """Change the session's `glassmate` options (e.g. translation on) and tell the client."""

    def indicate(self, *, audio: bool | None = None, camera: bool | None = None) -> None:
        """Tell the wearer (the HUD's recording indicator) that audio is being kept beyond the turn (audio=True
        until audio=False: a meeting), or that a camera frame was just kept (camera=True: shown for a moment)."""

    def clear_history(self) -> None:
        """Forget the conversation the session holds (the wearer said "forget everything from today")."""

    def is_command(self, text: str, language: str | None, *, listener: Activity) -> bool:
        """Whether these words are for the glasses (another activity claims them, or they match the intent of
        a skill that stays a command) rather than for the activity that listens."""


class Activity:
    """A long-running flow of a skill (a payment awaiting confirmation, translation mode): while in focus it sees
    every turn first and may claim it, and may listen to utterances as they are heard."""

    skill: str = ""
    # True: utterances are transcribed for this activity clause by clause (see `clause`).
    listens: bool = False

    def claim(self, turn: Turn, matched: Route | None) -> Route | None:
        """The route for a turn this activity answers (e.g. "confirm"); `matched` is what intents found."""
        return None

    def claim_button(self, button: str) -> Route | None:
        """The route for a device button this activity answers (a tap cancels a payment)."""
        return None

    def transcription(self, wearer_language: str) -> tuple[str | None, tuple[str, ...]]:
        """The language to transcribe in (None: detect) and the candidates to detect among."""
        return wearer_language, ()

    def side(self, language: str | None) -> str:
        """Whose words these are ("me" or "them"), for captions."""
        return "me"

    async def clause(self, text: str, language: str | None, item_id: str) -> None:
        """One clause of an utterance was heard (the speaker may still be talking)."""


class SkillEnv:
    """What a skill instance is given: the models, the settings, the server's services, and the session's port
    (None when the skill answers a REST request, where no session exists)."""

    def __init__(self, *, models: Models, settings: Settings, services: Any = None, port: Port | None = None) -> None:
        self.models = models
        self.settings = settings
        self.services = services
        self.port = port


class Skill:
    """A thing the assistant can do. Subclasses declare `name`, `policy` and `@tool` methods, and put their intents
    in `intents/<language>.yaml` beside their module. One instance per session (or REST request)."""

    name: ClassVar[str]
    policy: ClassVar[SkillPolicy] = SkillPolicy()
    # Extension client events this skill handles (their pydantic models), passed to `on_event`.
    events: ClassVar[tuple[type, ...]] = ()

    def __init__(self, *, env: SkillEnv) -> None:
        self.env = env

    @property
    def port(self) -> Port | None:
        return self.env.port

    def offers(self, tool: str) -> bool:
        """Whether the agent may show the LLM this tool now. A tool that only means something in a state (how far
        is it still, stop what is not running) is left out of it: the small model took "How many days are in a
        week?" for `how_far` when no route was being walked. Intents and buttons still reach every tool."""
        return True

    def on_open(self) -> None:
        """The session is running (the port can spawn tasks): a realtime session only, once."""

    def on_close(self) -> None:
        """The session ended (its tasks are being cancelled)."""

    def on_frame(self, frame: Frame) -> None:
        """A camera frame arrived (called for every frame: keep it cheap, spawn real work)."""

    def on_device(self, device: DeviceInfo) -> None:
        """The device sent its state with a GPS fix or a heading (called for every one: keep it cheap)."""

    def on_audio(self, samples: np.ndarray) -> None:
        """Microphone audio arrived (16 kHz float32, every append, about 40 ms: keep it cheap)."""

    def on_options(self, config: SessionConfig) -> None:
        """The session's configuration changed (session.update, or a skill's update_options)."""

    async def on_event(self, event: Any) -> None:
        """One of `events` arrived from the client."""
