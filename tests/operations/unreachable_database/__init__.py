"""Actions failing the two ways the action server tells apart (test_action_server_failures)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import OperationalError


class DatabaseGone(Action):
    def name(self) -> str:
        return "action_database_gone"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any) -> list[Any]:
        driver = Exception("server closed the connection unexpectedly")
        raise OperationalError("UPDATE screenings SET answers=%(a)s", {"a": "I am 52"}, driver)


class Broken(Action):
    def name(self) -> str:
        return "action_broken"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any) -> list[Any]:
        raise ValueError("a fault of the action itself")
