"""The one list of the skills a glassmate server offers. Adding a skill means adding its package under skills/
and one line here; nothing else names it."""

from __future__ import annotations

from glassmate.skills.base import Skill


def default_skills() -> list[type[Skill]]:
    """The built-in skills, in the order their tools are offered to the agent."""
    from glassmate.skills.ask.skill import AskSkill
    from glassmate.skills.battery.skill import BatterySkill
    from glassmate.skills.identify.skill import IdentifySkill
    from glassmate.skills.meeting.skill import MeetingSkill
    from glassmate.skills.memory.skill import MemorySkill
    from glassmate.skills.navigate.skill import NavigateSkill
    from glassmate.skills.pay.skill import PaySkill
    from glassmate.skills.read_text.skill import ReadTextSkill
    from glassmate.skills.repeat.skill import RepeatSkill
    from glassmate.skills.stop.skill import StopSkill
    from glassmate.skills.time.skill import TimeSkill
    from glassmate.skills.translate.skill import TranslateSkill
    from glassmate.skills.travel.skill import TravelSkill

    return [TimeSkill, BatterySkill, StopSkill, RepeatSkill, ReadTextSkill, IdentifySkill, TranslateSkill, PaySkill,
            NavigateSkill, MeetingSkill, TravelSkill, MemorySkill, AskSkill]  # fmt: skip
