"""The reading the gateway already took is the turn's, for the very words it read only
(rasa_addons.gateway_channel.given_parse), with the gateway's own reading applied on top as the
pipeline's last component would."""

from __future__ import annotations

import json

from tests.rasa.running import rasa_python

SNIPPET = """
import json
from rasa_addons.gateway_channel import given_parse
parse = {"text": "i want to join", "intent": {"name": "faq", "confidence": 0.61},
         "entities": [], "intent_ranking": [{"name": "faq", "confidence": 0.61},
                                            {"name": "start_screening", "confidence": 0.3}]}
reading = {"reading": {"intent": "start_screening",
                       "entities": [{"entity": "trial", "value": "DMX-101"}]}}
print(json.dumps({
    "same": given_parse({"parse": parse}, "i want to join", {}),
    "other_words": given_parse({"parse": parse}, "i want to leave", {}),
    "none": given_parse({}, "i want to join", {}),
    "malformed": given_parse({"parse": {"text": "i want to join", "intent": "faq"}},
                             "i want to join", {}),
    "with_reading": given_parse({"parse": parse}, "i want to join", reading),
}))
"""


def test_the_given_reading_is_used_for_its_own_words_only() -> None:
    result = rasa_python("-c", SNIPPET, log_level="WARNING", timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["same"]["intent"] == {"name": "faq", "confidence": 0.61}
    assert found["other_words"] is None  # what Rasa reads was not what was read: it reads it
    assert found["none"] is None and found["malformed"] is None
    applied = found["with_reading"]
    assert applied["intent"] == {"name": "start_screening", "confidence": 1.0}
    assert [r["name"] for r in applied["intent_ranking"]] == ["start_screening", "faq"]
    assert applied["entities"][0]["value"] == "DMX-101"
