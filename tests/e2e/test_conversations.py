"""Whole conversations through the web chat, checked turn by turn as the benchmark does.

Every failure issue 17 lists, word for word (`bench/conversations/regression/`), and a few
conversations of the benchmark's tuning half (never the held-out one), in both languages. Each
runs as a new person against the session's real stack, with the benchmark's own player and
checks (`bench/conversations`): a failure names each turn that went wrong, what was expected
and what came.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.conversations.play import Player, Target
from bench.conversations.script import REGRESSION, SETS, Conversation, load
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e

# From the tuning half: one per kind of conversation the regression files do not cover.
FROM_THE_BENCHMARK = (
    "em-fr-poitrine-milieu",  # an emergency in the middle of the pre-screening
    "ho-en-back",  # the study team asked for, then back to the assistant
    "scr-fr-oui-plus-12-mois",  # answers with extra words
    "se-en-participant-move-visit",  # a linked participant: a side effect and a visit to move
    "rem-fr-confirmer",  # reminders' consent, then a visit confirmed in words
    "lang-en-to-fr",  # a switch to French in words
    "int-fr-cout-milieu",  # a question mid-form, then the form goes on
    "off-fr-foot",  # off-topic: declined, something offered next
)


def _conversations() -> list[Conversation]:
    chosen = [c for c in load(SETS) if c.id in FROM_THE_BENCHMARK]
    assert {c.id for c in chosen} == set(FROM_THE_BENCHMARK), "a listed conversation is gone"
    assert all(c.part == "tuning" for c in chosen), "the held-out half stays out of the tests"
    return [*load(REGRESSION), *chosen]


@pytest.fixture(scope="module")
def player(stack: Stack) -> Iterator[Player]:
    played = Player(Target(stack.url, stack.var_dir))
    yield played
    played.close()


@pytest.mark.parametrize("conversation", _conversations(), ids=lambda c: c.id)
def test_every_turn_does_what_the_person_needs(player: Player, conversation: Conversation) -> None:
    played = player.play(conversation)
    assert played.error is None, f"{conversation.id} broke off: {played.error}"
    wrong = [
        f"{conversation.path.name}:{turn.turn.line}: {turn.sent!r}\n"
        f"    {'; '.join(turn.failures)}\n    got: {turn.reply}"
        for turn in played.turns
        if not turn.passed
    ]
    assert not wrong, f"{conversation.id}: {len(wrong)} turn(s) wrong\n" + "\n".join(wrong)
