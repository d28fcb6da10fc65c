"""Rasa started by `trialbot run` loads its model faster (rasa_addons.eager_build) and predicts
exactly what Rasa's own loading predicts: the intent of every third training example and TED's
probabilities at every step of the stories and rules, to five decimals."""

from __future__ import annotations

import json

from bot import rasa_server
from bot.settings import get_settings
from tests.rasa.running import rasa_python


def test_the_faster_load_predicts_what_rasas_own_load_predicts() -> None:
    model = rasa_server.train(get_settings())
    loading = ("-m", "rasa_addons.eager_build", str(model))
    result = rasa_python(*loading, log_level="WARNING", timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    (rasa_seconds, rasa_seen), (eager_seconds, eager_seen) = figures["rasa"], figures["eager"]
    assert any(key.startswith("ted ") for key in rasa_seen)
    assert any(key.startswith("nlu ") for key in rasa_seen)
    different = [key for key in rasa_seen if eager_seen.get(key) != rasa_seen[key]]
    assert different == [], different[:5]
    print(f"model loaded in {rasa_seconds:.1f} s by Rasa, {eager_seconds:.1f} s eagerly")
