"""Questions typed in SMS spelling or with a slip are read as the entries spell them."""

from __future__ import annotations

import pytest

from bot.knowledge.spelling import Vocabulary, plain


@pytest.mark.parametrize(
    ("typed", "lang", "read"),
    [
        ("wat r the side efects of a trial", "en", "what are the side effects of a trial"),
        ("n whos protecting me if sumthing goes wrong", "en", "and whos protecting me if something"
         " goes wrong"),
        ("c koi les effets qd on fait un essai", "fr", "c'est quoi les effets quand on fait un"
         " essai"),
        ("jai combien de temps pr reflechir", "fr", "j'ai combien de temps pour reflechir"),
        # Words of the language itself, numbers and apostrophes are left as they are.
        ("c'est quoi l'étude ? 4 visites ou pas", "fr", "c'est quoi l'étude ? 4 visites ou pas"),
        ("is it 4 visits or 2", "en", "is it 4 visits or 2"),
    ],
)  # fmt: skip
def test_sms_spelling_is_spelt_out(typed: str, lang: str, read: str) -> None:
    assert plain(typed, lang) == read


def test_a_slip_of_one_letter_is_mended_to_a_word_of_the_entries() -> None:
    words = Vocabulary(["What is a clinical trial?", "The results of the study", "Can I quit?"])
    assert words.mend("wat even is a clinicl study") == "wat even is a clinical study"
    assert words.mend("can i quitt") == "can i quit"
    assert words.mend("when will i get the reuslts") == "when will i get the results"
    # Another letter in its place is another word; short words and known ones stay.
    assert words.mend("can i bring sweets, or a snack") == "can i bring sweets, or a snack"
    assert words.mend("clinical") == "clinical"


def test_another_word_or_another_form_of_one_is_no_slip() -> None:
    words = Vocabulary(["Vous ne suivez pas de cours.", "Les participants sont rémunérés."])
    assert words.mend("on me rembourse la course ?") == "on me rembourse la course ?"
    assert words.mend("on est rémunéré ?") == "on est rémunéré ?"
