"""Reminder throughput with several dispatchers, one killed."""
