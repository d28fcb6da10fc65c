"""The gateway's reading of a message, taken over the intent classifier's guess.

The gateway sends with each message what its words make certain (`bot/understanding.py`):
an intent with its entities, or intents the words cannot carry. This component, last in the
NLU pipeline (config.yml), applies it; a message without a reading (and `/model/parse`, which
has no metadata) keeps the classifier's intent.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message

READING = "reading"
EXTRACTOR = "GatewayReading"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class GatewayReading(GraphComponent, IntentClassifier):
    @classmethod
    def required_components(cls) -> list[type]:
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GatewayReading:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            reading = (message.get("metadata") or {}).get(READING)
            if isinstance(reading, dict):
                apply(message, reading)
        return messages


def apply(message: Message, reading: dict[str, Any]) -> None:
    guessed = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
    name = reading.get("intent")
    if not name and guessed in (reading.get("impossible") or ()):
        name = (reading.get("instead_of") or {}).get(guessed) or reading.get("instead")
    if not name or name == guessed:
        _add_entities(message, reading)
        return
    chosen = {INTENT_NAME_KEY: str(name), PREDICTED_CONFIDENCE_KEY: 1.0}
    message.set(INTENT, chosen, add_to_output=True)
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != name]
    message.set(INTENT_RANKING_KEY, [chosen, *ranking], add_to_output=True)
    _add_entities(message, reading)


def _add_entities(message: Message, reading: dict[str, Any]) -> None:
    given = [e for e in reading.get("entities") or [] if isinstance(e, dict) and e.get("value")]
    if not given:
        return
    entities = [e for e in message.get(ENTITIES) or [] if e.get("entity") not in
                {g.get("entity") for g in given}]  # fmt: skip
    for entity in given:
        entities.append(
            {"entity": str(entity["entity"]), "value": str(entity["value"]),
             "extractor": EXTRACTOR, "confidence_entity": 1.0}
        )  # fmt: skip
    message.set(ENTITIES, entities, add_to_output=True)
