"""Rasa's TensorFlow models loaded without tracing a training step they never run.

To load DIET and TED, Rasa builds each model's weights by training it on one example
(`RasaModel.load`), then overwrites every weight with the trained ones. That one step runs as a
traced TensorFlow graph, whose tracing, with its gradients, is most of the time Rasa takes to
start (about 30 of 40 s on 2 cores). Run eagerly, the same step builds the same weights in a
fraction of that; the weights loaded next, and the traced prediction Rasa prepares after them,
are unchanged. Only DIET's loading for prediction is changed (run eagerly, TED's step builds
fewer weights than its checkpoint holds, and it predicts wrongly): TED, fine-tuning and training
are Rasa's own.

`.venv-rasa/bin/python -m rasa_addons.eager_build MODEL` loads MODEL both ways and prints, as
JSON, the seconds each load took and what each predicts: the intents of every third training
example, and TED's probabilities along the stories and rules (`tests/rasa/test_eager_build.py`).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

_installed = False


def install() -> None:
    """Replace `RasaModel.load` for prediction (once per process)."""
    global _installed
    if _installed:
        return
    import tensorflow as tf
    from rasa.nlu.classifiers.diet_classifier import DIET
    from rasa.utils.tensorflow import models
    from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
    from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator

    original = models.RasaModel.load.__func__  # type: ignore[attr-defined]

    def load(
        cls: type[models.RasaModel],
        model_file_name: str,
        model_data_example: Any,
        predict_data_example: Any = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> models.RasaModel:
        if finetune_mode or not issubclass(cls, DIET):
            return original(  # type: ignore[no-any-return]
                cls, model_file_name, model_data_example, predict_data_example, finetune_mode,
                *args, **kwargs,
            )  # fmt: skip
        model = cls(*args, **kwargs)
        config = kwargs.get("config", {})
        # As Rasa does, with the weight-building step run eagerly, not traced.
        model.compile(
            optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)), run_eagerly=True
        )
        model.fit(RasaBatchDataGenerator(model_data_example, batch_size=1), verbose=False)
        model.load_weights(model_file_name)
        model.run_eagerly = config.get(RUN_EAGERLY)  # predictions traced, as Rasa's own
        if predict_data_example:
            model.run_inference(predict_data_example)
        return model

    models.RasaModel.load = classmethod(load)  # type: ignore[assignment,method-assign]
    _installed = True


ROOT = Path(__file__).resolve().parents[1]


def predictions(model: str) -> tuple[float, dict[str, Any]]:
    from rasa.core.agent import load_agent
    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.core.training_data.structures import StoryGraph
    from rasa.shared.nlu.training_data.loading import load_data

    started = time.monotonic()
    agent = asyncio.run(load_agent(model_path=model))
    seconds = time.monotonic() - started
    seen: dict[str, Any] = {}
    texts = [m.get("text") for f in sorted((ROOT / "data" / "nlu").rglob("*.yml"))
             for m in load_data(str(f)).intent_examples]  # fmt: skip
    for text in texts[::3]:
        parsed = asyncio.run(agent.parse_message(text))
        seen[f"nlu {text}"] = [(i["name"], round(i["confidence"], 5))
                               for i in parsed["intent_ranking"][:3]]  # fmt: skip
    steps = []
    for folder in ("stories", "rules"):
        for file in sorted((ROOT / "data" / folder).rglob("*.yml")):
            steps += YAMLStoryReader(agent.domain).read_from_file(str(file))
    runner = agent.processor.graph_runner
    ted = next(name for name in runner._instantiated_nodes if "TEDPolicy" in name)
    trackers = TrainingDataGenerator(
        StoryGraph(steps), agent.domain, augmentation_factor=0, remove_duplicates=True
    ).generate()
    for tracker in trackers:  # in an order of their own: each step is named by its history
        events = list(tracker.events)
        for index, event in enumerate(events):
            if isinstance(event, ActionExecuted) and index > 0:
                state = DialogueStateTracker.from_events("t", events[:index], agent.domain.slots)
                probabilities = runner.run(inputs={"__tracker__": state}, targets=[ted])[ted]
                history = json.dumps(
                    [{k: v for k, v in e.as_dict().items() if k != "timestamp"}
                     for e in events[:index]], sort_keys=True, default=str,
                )  # fmt: skip
                seen[f"ted {history}"] = [round(p, 5) for p in probabilities.probabilities]
    return seconds, seen


def main() -> None:
    rasa_seconds, rasa_seen = predictions(sys.argv[1])
    install()
    eager_seconds, eager_seen = predictions(sys.argv[1])
    json.dump({"rasa": [rasa_seconds, rasa_seen], "eager": [eager_seconds, eager_seen]}, sys.stdout)


if __name__ == "__main__":
    main()
