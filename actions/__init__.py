"""Rasa custom actions: thin classes that read slots, call one function of `bot`, return events.

Served by the action server in the app's environment: `trialbot actions`.
"""
