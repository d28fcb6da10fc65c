"""Eligibility pre-screening: criteria files, their evaluation, the conversation that asks."""
