"""Meeting notes on the glasses: record a meeting by voice (an activity), then transcript, speakers and notes."""

from glassmate.skills.meeting.skill import MeetingSkill

__all__ = ["MeetingSkill"]
