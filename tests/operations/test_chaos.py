"""The whole stack survives its parts being killed while people talk to it.

One stack; per fault, two conversations (English and French: a question, a pre-screening with its
consent, an age, a hand-off) run while the fault strikes at a random moment. After each: every
message answered (late answers delivered) and handled once by Rasa, every consent and screening
answer kept, nothing left behind, healthy again within 60 s; and nothing left once it stops.
The gateway is killed while it sends reminders (it is the reminder dispatcher of `trialbot run`):
every reminder arrives, at most one twice. `bench/chaos` plays more rounds and faults, and prints
the figures.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from bench.chaos import reminders, scenario
from bot.localstack import local_stack

pytestmark = pytest.mark.e2e


def _play(tmp_path: Path, names: list[str]) -> list[scenario.Round]:
    rng = random.Random(19)
    faults = dict(scenario.FAULTS)
    faults[reminders.FAULT] = reminders.KillDispatcherWhileSending(rng)
    every_group: set[int] = set()
    results = []
    with local_stack(tmp_path, env=scenario.stack_env()) as stack:
        for number, fault in enumerate(names, start=1):
            every_group |= scenario.groups(stack)
            results.append(scenario.play(stack, fault, 2, rng, number, faults))
            every_group |= scenario.groups(stack)
    assert scenario.orphans_after_stop(every_group) == []
    return results


def test_the_stack_recovers_from_each_fault_without_losing_or_repeating_anything(
    tmp_path: Path,
) -> None:
    results = _play(tmp_path, ["kill Rasa", reminders.FAULT])
    for result in results:
        assert result.ok, json.dumps(result.as_dict())
    dispatcher = results[-1].as_dict()
    assert dispatcher["reminders_lost"] == 0 and dispatcher["reminders_sent_twice"] <= 1


def test_killing_the_action_server_during_an_action_loses_nothing(tmp_path: Path) -> None:
    (result,) = _play(tmp_path, ["kill action server"])
    assert result.ok, json.dumps(result.as_dict())
