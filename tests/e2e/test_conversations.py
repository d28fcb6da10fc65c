"""Whole conversations through the web chat, checked turn by turn as the benchmark does.

Every failure issue 17 lists, word for word (`bench/conversations/regression/`), and a few
conversations of the benchmark's tuning half (never the held-out one), in both languages. Each
runs as a new person against the session's real stack, with the benchmark's own player and
checks (`bench/conversations`): a failure names each turn that went wrong, what was expected
and what came.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.conversations.check import Observed, Reply, check, language_of, read_knowledge
from bench.conversations.play import Player, Target
from bench.conversations.script import REGRESSION, SETS, Conversation, ScriptError, load
from bot.settings import PROJECT_ROOT
from tests.e2e.conftest import Stack

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
    "scr-en-yeah-54",  # a request to join in SMS spelling, answers with extra words
    "tel-fr-sans-contexte",  # the team's number asked without context, then for a study named
    "rem-en-confirm",  # a link code inside a sentence, then a visit confirmed in words
    "lang-fr-english-words",  # a wish for English that names French first
)


# Known to fail, and why: each is expected to fail (strict: the day it passes, this list must
# shrink). Empty since English is encoded by the model tuned on the entries (`trialbot kb tune`).
KNOWN_TO_FAIL: dict[str, str] = {}


def _conversations() -> list[object]:
    chosen = [c for c in load(SETS) if c.id in FROM_THE_BENCHMARK]
    assert {c.id for c in chosen} == set(FROM_THE_BENCHMARK), "a listed conversation is gone"
    assert all(c.part == "tuning" for c in chosen), "the held-out half stays out of the tests"
    return [
        pytest.param(c, marks=pytest.mark.xfail(reason=KNOWN_TO_FAIL[c.id], strict=True))
        if c.id in KNOWN_TO_FAIL
        else c
        for c in [*load(REGRESSION), *chosen]
    ]


@pytest.fixture(scope="module")
def player(stack: Stack) -> Iterator[Player]:
    played = Player(Target(stack.url, stack.var_dir))
    yield played
    played.close()


@pytest.mark.e2e
@pytest.mark.parametrize("conversation", _conversations(), ids=lambda c: getattr(c, "id", "?"))
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


# The checks themselves: a check that cannot fail would pass every conversation.
KNOWLEDGE = read_knowledge(PROJECT_ROOT / "knowledge", "112")


def _reply(text: str, *payloads: str) -> Reply:
    buttons = [{"title": p, "payload": p} for p in payloads]
    return Reply(({"text": text, "buttons": buttons},))


def _check(expect: dict[str, object], reply: Reply, lang: str = "en", **seen: object) -> list[str]:
    return check(expect, reply, Observed(**seen), KNOWLEDGE, lang)  # type: ignore[arg-type]


def test_an_answer_is_the_entry_its_feedback_button_names() -> None:
    given = _reply(
        "You may receive a placebo.", '/feedback{"entry_id": "placebo", "helpful": "yes"}'
    )
    assert _check({"answer": "placebo"}, given) == []
    assert _check({"answer": ["placebo-demo-t2d-001", "placebo"]}, given) == []
    assert _check({"answer": "cost"}, given) == ["answer: expected cost, got placebo"]
    declined = _reply("I'm not sure I have a checked answer to that.", "/request_human")
    assert _check({"answer": "cost"}, declined) == ["answer: expected cost, got no vetted answer"]
    assert _check({"no_answer": True, "offers": True}, declined) == []
    assert _check({"offers": True}, _reply("Sorry, I can only help with trials.")) != []


def test_the_question_asked_is_the_last_one_in_the_reply_in_either_wording() -> None:
    asked = _reply("You may be paid.\n\nHow old are you?")
    assert _check({"asks": "age"}, asked) == []
    assert _check({"asks": "diabetes_type"}, asked) == ["asks: expected diabetes_type, got age"]
    assert _check({"asks": "none"}, asked) != []
    french = _reply("Utilisez-vous actuellement de l'insuline, en injection ou avec une pompe ?")
    assert _check({"asks": "insulin"}, french, "fr") == []
    by_buttons = _reply("Please choose:", "Female", "Male")  # the options of `sex`
    assert _check({"asks": "sex"}, by_buttons) == []


def test_numbers_consent_safety_and_language() -> None:
    call = _reply("Please also call them on +33 1 99 00 12 34. In an emergency call 112.")
    assert _check({"phone": "+33 1 99 00 12 34", "emergency_number": True}, call) == []
    assert _check({"phone": "+33 1 99 00 12 40"}, call) != []
    assert _check({"phone": "+33 1 99 00 12 34"}, _reply("Appelez le 01 99 00 12 34."), "fr") == []
    assert _check({"emergency_number": True}, _reply("Call 1120 now")) != []
    title = next(t for t in KNOWLEDGE.consent_titles["prescreening"] if "sélection" in t)
    consent = _reply(f"Avant d'aller plus loin, merci de lire « {title} » :")
    assert _check({"consent": "prescreening"}, consent, "fr") == []
    assert _check({"consent": "none"}, consent, "fr") != []
    assert _check({"safety": "adverse_event"}, call, safety=["adverse_event"]) == []
    assert _check({"safety": "none"}, call, safety=["emergency"]) != []
    assert (
        language_of("Merci de nous l'avoir signalé. Appelez-la aussi, et ne modifiez pas") == "fr"
    )
    assert language_of("Thank you for telling us. Please also call them.") == "en"
    assert language_of("OK") is None  # too short to tell: never a failure
    assert _check(
        {}, _reply("Thank you for telling us, I have passed it on to the team."), "fr"
    ) == ["lang: expected fr, got en"]


def test_a_script_with_a_mistake_says_where(tmp_path: Path) -> None:
    (tmp_path / "broken.yml").write_text(
        "conversations:\n"
        "  - id: c1\n"
        "    lang: en\n"
        "    turns:\n"
        "      - say: hi\n"
        "        safety: maybe\n"
        "      - say: bye\n"
        "      - say: again\n"
        "        answer: cost\n"
    )
    with pytest.raises(ScriptError) as raised:
        load(tmp_path)
    problems = str(raised.value).splitlines()
    assert "broken.yml:5: c1: safety: one of" in problems[0]
    assert problems[1] == "broken.yml:7: c1: a turn says what must happen (answer, asks, …)"


def test_the_page_must_follow_the_conversation_language_when_the_gateway_says_it() -> None:
    french = Reply(({"text": "D'accord, je vous parle en français désormais."},), page_lang="en")
    assert _check({}, french, "fr") == ["page_lang: the page shows en, the conversation is fr"]
    assert _check({"lang": "any"}, french, "fr") == []
    assert _check({}, Reply(french.messages, page_lang="fr"), "fr") == []
