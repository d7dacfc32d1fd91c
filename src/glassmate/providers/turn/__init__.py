"""End-of-turn detection from the audio itself: has the speaker finished, or only paused?"""
