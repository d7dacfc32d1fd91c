"""The skill interface: how a turn is answered. The router picks one skill per turn."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from glassmate.runtime import Models


@dataclass
class Frame:
    """The latest camera frame of a session; decoded lazily, at most once."""

    data: bytes
    captured_at_ms: int
    received_at: float = field(default_factory=time.monotonic)
    _pixels: np.ndarray | None = field(default=None, repr=False)

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
    network: str | None = None


@dataclass(frozen=True)
class Exchange:
    user: str
    assistant: str


@dataclass
class Turn:
    """One thing the wearer said, with what the session knows around it."""

    text: str
    language: str = "en"
    frame: Frame | None = None
    device: DeviceInfo = field(default_factory=DeviceInfo)
    history: Sequence[Exchange] = ()
    now: float = field(default_factory=time.time)
    payment_pending: bool = False  # a payment awaits its amount or confirmation: "confirm", "cancel", "12.50"


@dataclass
class SkillContext:
    models: Models
    # The session's controls (e.g. to switch translation on), when the skill runs inside a realtime session.
    session: Any = None
    # A HUD card the skill composed itself (title, lines, icon); otherwise the card summarises the answer.
    card: dict[str, Any] | None = None
    # The skill sent its card(s) itself (a payment's confirmation card goes out before anything is said).
    card_shown: bool = False


class Skill(Protocol):
    """A thing the assistant can do. `match` must be cheap and deterministic; `run` streams the answer text."""

    name: str
    # False for actions that must finish once started (a payment): barge-in then does not cancel them.
    cancellable: bool

    def match(self, turn: Turn) -> bool: ...

    def run(self, turn: Turn, ctx: SkillContext) -> AsyncGenerator[str, None]: ...
