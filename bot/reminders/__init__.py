"""Appointment reminders: what may be sent, to whom, and when."""
