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
        ("combien de fois à l'hosto", "fr", "combien de fois à l'hôpital"),
        # Words of the language itself, numbers and apostrophes are left as they are.
        ("c'est quoi l'étude ? 4 visites ou pas", "fr", "c'est quoi l'étude ? 4 visites ou pas"),
        ("is it 4 visits or 2", "en", "is it 4 visits or 2"),
    ],
)  # fmt: skip
def test_sms_spelling_is_spelt_out(typed: str, lang: str, read: str) -> None:
    assert plain(typed, lang) == read


@pytest.mark.parametrize(
    ("typed", "lang", "read"),
    [
        ("helo do i get payed", "en", "do i get paid"),
        ("Hi there, what is a placebo? thanks", "en", "what is a placebo?"),
        ("whats in it for me honestly", "en", "what is in it for me"),
        ("Bonjour à tous, combien de visites ?", "fr", "combien de visites ?"),
        ("pk les gens testent des medicaments franchement", "fr",
         "pourquoi les gens testent des medicaments"),
        # Nothing but a greeting stays one; a greeting inside a question is its own words.
        ("hello", "en", "hello"),
        ("can i say hello to the nurse", "en", "can i say hello to the nurse"),
    ],
)  # fmt: skip
def test_a_greeting_before_a_question_and_a_word_of_manner_after_it_are_left_out(
    typed: str, lang: str, read: str
) -> None:
    """ "helo do i get payed" scored below the threshold with its greeting, 0.71 without."""
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
