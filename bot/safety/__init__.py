"""Safety: emergencies and side-effect reports caught on every message."""
