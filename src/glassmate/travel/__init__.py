"""The travel skill: calendars and bookings in, reminders out."""
