"""Which language a conversation speaks: detection, locale and the person's own choice."""

from __future__ import annotations

import pytest

from bot.conversations import DETECTION_WINDOW, LanguageHints, apply_language_hints, as_language
from bot.db.models import Conversation, LanguageSource
from bot.i18n.detect import detect_language


@pytest.mark.parametrize(
    "text",
    ["bonjour", "slt", "merci bcp", "je voudrais participer à l'étude", "c quand mon rdv",
     "j'ai mal a la tete depuis hier", "est ce que c'est payé", "Ça coûte combien ?",
     "jarrive pu a respirer", "ma fille respire pu"],
)  # fmt: skip
def test_french_messages_are_recognised(text: str) -> None:
    assert detect_language(text) == "fr"


@pytest.mark.parametrize(
    "text",
    ["hello", "hi there", "thx", "can I join the study", "when is my next visit",
     "i have a headache since yesterday", "is it free", "What does it cost?"],
)  # fmt: skip
def test_english_messages_are_recognised(text: str) -> None:
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text", ["", "42", "👍", "ok", "Xyzzy", "/back_to_assistant"])
def test_no_evidence_gives_no_language(text: str) -> None:
    assert detect_language(text) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("fr", "fr"), ("fr-CA", "fr"), ("fr_BE", "fr"), ("EN-gb", "en"), ("de", None), (None, None)],
)
def test_locales_map_to_our_languages(value: str | None, expected: str | None) -> None:
    assert as_language(value) == expected


def _conversation(seen: int = 0, source: LanguageSource = LanguageSource.DEFAULT) -> Conversation:
    return Conversation(
        channel="web", sender_key="k", language="en", language_source=source, messages_seen=seen
    )


def test_first_messages_decide_the_language() -> None:
    conversation = _conversation()
    apply_language_hints(conversation, "bonjour", LanguageHints())
    assert conversation.language == "fr"


def test_later_messages_do_not_flip_it() -> None:
    conversation = _conversation(seen=DETECTION_WINDOW, source=LanguageSource.DETECTED)
    conversation.language = "fr"
    apply_language_hints(conversation, "ok thanks, see you", LanguageHints())
    assert conversation.language == "fr"


def test_a_stray_word_early_does_not_undo_what_earlier_words_decided() -> None:
    conversation = _conversation(seen=2, source=LanguageSource.DETECTED)
    apply_language_hints(conversation, "cool cheers, ta", LanguageHints())
    assert conversation.language == "en"


def test_a_choice_beats_detection_and_stays() -> None:
    conversation = _conversation()
    apply_language_hints(conversation, "hello", LanguageHints(chosen="fr"))
    apply_language_hints(conversation, "hello there, how are you", LanguageHints())
    assert (conversation.language, conversation.language_source) == ("fr", LanguageSource.CHOSEN)


def test_the_channel_locale_applies_when_the_text_says_nothing() -> None:
    conversation = _conversation()
    apply_language_hints(conversation, "👍", LanguageHints(locale="fr-FR"))
    assert (conversation.language, conversation.language_source) == ("fr", LanguageSource.LOCALE)


def test_a_whole_sentence_in_the_other_language_switches_it_later() -> None:
    conversation = _conversation(seen=DETECTION_WINDOW + 4, source=LanguageSource.DETECTED)
    conversation.language = "fr"
    apply_language_hints(
        conversation, "sorry my English is better, how many visits are there for the study?",
        LanguageHints(),
    )  # fmt: skip
    assert conversation.language == "en"
    apply_language_hints(
        conversation, "en fait je préfère qu'on parle en français si vous voulez bien",
        LanguageHints(),
    )  # fmt: skip
    assert conversation.language == "fr"


def test_a_sentence_does_not_switch_a_language_the_person_chose() -> None:
    conversation = _conversation(seen=DETECTION_WINDOW + 4, source=LanguageSource.CHOSEN)
    conversation.language = "fr"
    apply_language_hints(
        conversation, "how many visits are there for the study and where do I go?", LanguageHints()
    )
    assert conversation.language == "fr"
