"""The whole stack survives its parts being killed while people talk to it.

One stack; per fault, two conversations (English and French: a question, a pre-screening with its
consent, an age, a hand-off) run while the fault strikes at a random moment. After each: every
message answered (late answers delivered) and handled once by Rasa, every consent and screening
answer kept, nothing left behind, healthy again within 60 s; and nothing left once it stops.
`bench/chaos` plays more rounds and faults, and prints the figures.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from bench.chaos import scenario
from bot.localstack import local_stack

pytestmark = pytest.mark.e2e

FAULTS = ["kill action server", "kill Rasa", "kill gateway"]


def test_the_stack_recovers_from_each_fault_without_losing_or_repeating_anything(
    tmp_path: Path,
) -> None:
    rng = random.Random(19)
    every_group: set[int] = set()
    results = []
    with local_stack(tmp_path, env=scenario.stack_env()) as stack:
        for number, fault in enumerate(FAULTS, start=1):
            every_group |= scenario.groups(stack)
            results.append(scenario.play(stack, fault, 2, rng, number))
            every_group |= scenario.groups(stack)
    for result in results:
        assert result.ok, json.dumps(result.as_dict())
    assert scenario.orphans_after_stop(every_group) == []
