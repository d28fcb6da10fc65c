"""Handoff to the study team: a person's request for a human, answered by staff on their channel."""
