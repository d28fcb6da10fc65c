"""Scheduled check-ins: short questionnaires sent to participants between visits."""
