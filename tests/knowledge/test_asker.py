"""A question asked for someone else is answered as the same question asked for oneself."""

from __future__ import annotations

import pytest

from bot.knowledge.asker import for_oneself
from bot.knowledge.service import KnowledgeBase


@pytest.mark.parametrize(
    ("asked", "lang", "read"),
    [
        ("she's 70, can she still take part at her age", "en",
         "I'm 70, can I still take part at my age"),
        ("my husband is shy: can he stop whenever he wants?", "en",
         "my husband is shy: can I stop whenever I want?"),
        ("does she have to sign herself", "en", "do I have to sign myself"),
        ("what happens to his data if he goes to hospital", "en",
         "what happens to my data if I go to hospital"),
        ("elle a 72 ans, c'est pas trop vieux ?", "fr", "j'ai 72 ans, c'est pas trop vieux ?"),
        ("et il touchera quelque chose pour ses journées ?", "fr",
         "et je toucherai quelque chose pour mes journées ?"),
        ("est-ce qu'elle pourra arrêter quand elle veut ?", "fr",
         "est-ce que je pourrai arrêter quand je veux ?"),
        ("ma mère a 80 ans, elle peut participer ?", "fr",
         "ma mère a 80 ans, je peux participer ?"),
        # In-laws, cousins and friends are the person asked about, as parents are.
        ("ma belle-mère prend plein de cachets, elle devra tout arrêter ?", "fr",
         "ma belle-mère prend plein de cachets, je devrai tout arrêter ?"),
        ("my mother-in-law is 70, can she still take part", "en",
         "my mother-in-law is 70, can I still take part"),
    ],
)  # fmt: skip
def test_a_question_about_someone_else_is_read_as_asked_for_oneself(
    asked: str, lang: str, read: str
) -> None:
    assert for_oneself(asked, lang) == read


@pytest.mark.parametrize(
    ("asked", "lang"),
    [
        # The asker acting for someone: the carers' entry answers that as it is.
        ("i am my nan's carer, can i do the paperwork for her", "en"),
        ("could i come along with him", "en"),
        ("will they pay me for the visits", "en"),  # "they" is mostly the study team
        ("je m'occupe de ma grand-mère, je peux signer à sa place ?", "fr"),
        ("il y a un parking ?", "fr"),  # no one's subject
        ("what is a placebo", "en"),
    ],
)
def test_a_question_of_ones_own_is_left_as_it_is(asked: str, lang: str) -> None:
    assert for_oneself(asked, lang) is None


@pytest.mark.parametrize(
    ("for_someone", "for_oneself_", "lang"),
    [
        ("she's 70, can she still take part in a trial at her age",
         "I'm 70, can I still take part in a trial at my age", "en"),
        ("can he stop the study whenever he wants?", "can I stop the study whenever I want?", "en"),
    ],
)  # fmt: skip
def test_a_relative_gets_the_answer_the_person_would(
    kb: KnowledgeBase, for_someone: str, for_oneself_: str, lang: str
) -> None:
    own = kb.ask(for_oneself_, lang)
    assert own.answered and own.entry is not None
    relative = kb.ask(for_someone, lang)
    assert relative.answered, relative.reason
    assert relative.entry is not None and relative.entry.key == own.entry.key
