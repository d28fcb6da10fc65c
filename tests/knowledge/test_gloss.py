"""French questions are also read word for word in English, by the encoder tuned on English."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.entries import load_faq
from bot.knowledge.gloss import Glossary, glossary
from bot.knowledge.service import KnowledgeBase
from bot.settings import PROJECT_ROOT

WORDS = Glossary(
    {"je": "i", "garde": "keep", "étude": "study", "l": "the", "ne": "", "peut-être": "maybe"}
)


@pytest.mark.parametrize(
    ("french", "english"),
    [
        ("Je garde l'étude", "i keep the study"),  # apostrophes part words
        ("je garde l’etude", "i keep the study"),  # a typographic one, no accent
        ("je ne garde", "i keep"),  # an empty translation drops the word
        ("peut-être metformine", "maybe metformine"),  # unknown words stay as written
        ("je-garde", "i keep"),  # a hyphenated form the glossary lacks, by its parts
    ],
)
def test_a_question_is_read_word_for_word(french: str, english: str) -> None:
    assert WORDS.gloss(french) == english


def test_a_line_without_a_translation_is_named_with_its_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "fr-en.tsv"
    path.write_text("je\ti\ngarde keep\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"fr-en\.tsv:2: expected a word, a tab"):
        Glossary.read(path)


def test_the_shipped_glossary_knows_every_word_of_the_french_titles_and_questions() -> None:
    shipped = glossary("fr", "en")
    assert shipped is not None
    loaded = load_faq(PROJECT_ROOT / "knowledge")
    phrases = [
        text
        for entry in loaded.entries
        if entry.lang == "fr"
        for text in (entry.title, *entry.questions)
    ]
    missing = sorted({w for text in phrases for w in shipped.unknown(text) if not w.isdigit()})
    assert not missing, f"add them to bot/knowledge/glossaries/fr-en.tsv: {missing}"


def test_a_french_question_in_words_no_entry_uses_is_answered_through_english(
    kb: KnowledgeBase,
) -> None:
    # "filer" (give) and "infos perso" are in no French entry; read in English, the question
    # is the privacy entry's. Read in French alone it was not answered.
    decision = kb.ask("je peux filer mes infos perso sans risque ?", "fr")
    assert decision.answered and decision.entry is not None
    assert decision.entry.id == "privacy" and decision.entry.lang == "fr"
