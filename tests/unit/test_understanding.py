"""The gateway's reading of what a message's words make certain (bot/understanding.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.trials import Catalogue, without_name
from bot.trials import Screenable as Trial
from bot.understanding import read

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


@pytest.fixture(scope="module")
def trials() -> dict[str, Trial]:
    return Catalogue(KNOWLEDGE).screenable()


@pytest.mark.parametrize(
    ("text", "trial"),
    [
        ("could my dad get onto the diabetes trial", "demo-t2d-001"),
        ("id love to try the asthma one, sign me up", "demo-asthma-002"),
        ("is the dmx study something i could do", "demo-t2d-001"),
        ("l'essai asthme je peux le faire moi ?", "demo-asthma-002"),
        ("ma mère pourrait entrer dans l'étude diabète ?", "demo-t2d-001"),
        ("how do i enrol", None),
        ("comment on postule", None),
        # with an age, a "when", an "if" that means "whether"
        ("my mum is 70 can she join the asthma study", "demo-asthma-002"),
        ("ma mere a 70 ans elle peut faire l etude asthme", "demo-asthma-002"),
        ("when can i sign up", None),
        ("im 45 can i join a trial", None),
        ("i want to know if i can join the asthma study", "demo-asthma-002"),
        (
            "Bonjour Madame, Monsieur, je souhaiterais savoir si je pourrais participer à l'étude "
            "concernant l'asthme.",
            "demo-asthma-002",
        ),
        # in so many other words
        ("could you put me down for the diabetes trial", "demo-t2d-001"),
        ("je veux bien tenter l'essai diabète", "demo-t2d-001"),
        ("est-ce que j'entre dans vos critères pour l'asthme ?", "demo-asthma-002"),
        ("would i meet the criteria, i have type 2", None),
        ("is the DMX-101 one open to someone like me?", "demo-t2d-001"),
    ],
)
def test_requests_to_take_part_start_the_pre_screening(
    trials: dict[str, Trial], text: str, trial: str | None
) -> None:
    reading = read(text, trials)
    assert reading is not None and reading.intent == "start_screening"
    assert reading.entities.get("trial") == trial


@pytest.mark.parametrize(
    "text",
    [
        "how many visits does the asthma study have",
        "combien de temps dure l'essai diabète ?",
        "is there a placebo in the dmx trial",
        "do people get paid in the asthma research",
        "why would i do a trial",
        "can i sign up for reminders",
        "what do participants do",
        "is it free to take part? and can i quit whenever i want",
        "c'est gratuit de participer ? et je peux arreter qd je veux ?",
        "which one has the fewest visits",
        "les critères de l'étude asthme, c'est quoi ?",
    ],
)
def test_questions_naming_a_study_are_not_requests_to_join(
    trials: dict[str, Trial], text: str
) -> None:
    reading = read(text, trials)
    assert reading is None or reading.intent != "start_screening"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("je comprends mal l'anglais, vous pouvez parler français ?", "fr"),
        ("my french isn't great, could you answer in english", "en"),
        ("en français svp", "fr"),
        ("english please", "en"),
    ],
)
def test_a_wish_for_a_language_names_the_one_asked_for(
    trials: dict[str, Trial], text: str, language: str
) -> None:
    reading = read(text, trials)
    assert reading is not None and reading.intent == "change_language"
    assert reading.entities == {"language": language}


def test_a_question_about_a_language_is_not_a_switch(trials: dict[str, Trial]) -> None:
    for text in ("is the information sheet available in english?", "le site est en anglais ?"):
        reading = read(text, trials)
        assert reading is None or reading.intent != "change_language"


def test_a_wish_to_talk_to_someone_is_a_request_for_the_team(trials: dict[str, Trial]) -> None:
    for text in (
        "i need to speak with a real person",
        "je voudrais parler à un médecin",
        "je veux parler directement au médecin de l'étude",
    ):
        reading = read(text, trials)
        assert reading is not None and reading.intent == "request_human"
    reading = read("who do i talk to about my visit", trials)
    assert reading is None or reading.intent != "request_human"


@pytest.mark.parametrize("text", ["thx bye", "merci bcp, au revoir", "ok thanks, bye"])
def test_a_goodbye_with_thanks_is_a_goodbye(trials: dict[str, Trial], text: str) -> None:
    reading = read(text, trials)
    assert reading is not None and reading.intent == "goodbye"


def test_words_that_cannot_carry_an_intent_make_it_a_question(trials: dict[str, Trial]) -> None:
    reading = read("the dmx thing, would that suit someone like me?", trials)
    assert reading is not None
    reading = read("can i leave whenever i want?", trials)
    assert reading is not None
    assert {"withdraw_consent", "erase_my_data"} <= set(reading.impossible)
    assert reading.as_metadata()["instead"] == "faq"
    # A question the safety check let through is not talk about one's health.
    reading = read("i work nights, could the checkups be done at the weekend?", trials)
    assert reading is not None and "emergency" in reading.impossible


def test_calling_off_a_request_or_another_machine_is_no_erasure_or_bot_question(
    trials: dict[str, Trial],
) -> None:
    """Tried on the phone: "ok forget the team, i'll carry on with you" got "Delete your data?",
    and "which floor is the vending machine on" got "I'm an automated assistant, not a person"."""
    reading = read("ok forget the team, i'll carry on with you", trials)
    assert reading is not None and "erase_my_data" in reading.impossible
    reading = read("which floor is the vending machine on", trials)
    assert reading is not None and "bot_challenge" in reading.impossible
    reading = read("forget my request and delete my data", trials)
    assert reading is None or "erase_my_data" not in reading.impossible
    reading = read("are you a machine", trials)
    assert reading is None or "bot_challenge" not in reading.impossible


def test_asking_why_or_whether_something_rules_one_out_is_no_request_to_join(
    trials: dict[str, Trial],
) -> None:
    """From the conversation benchmark: each got "Which study would you like to check?"."""
    for text in (
        "y would anyone volunteer for a drug test tbh",
        "pk je participerais en fait, ca m'apporte quoi",
        "ive had kidney stones on and off for years, would that stop me joining a trial",
    ):
        reading = read(text, trials)
        assert reading is not None and "start_screening" in reading.impossible, text
    for text in ("pourquoi pas, je veux bien m'inscrire à l'étude asthme", "sign me up, why not"):
        reading = read(text, trials)
        assert reading is not None and reading.intent == "start_screening", text


def test_a_question_about_erasure_asks_for_none(trials: dict[str, Trial]) -> None:
    """From the conversation benchmark: "if i quit halfway, do you delete everything you collected
    on me?" got "Delete your data?"; it asks what happens to the data."""
    for text in (
        "if i quit halfway, do you delete everything you collected on me?",
        "how do i get my data deleted?",
    ):
        reading = read(text, trials)
        assert reading is not None and "erase_my_data" in reading.impossible, text
    for text in (
        "can you delete my data?",
        "delete my data?",
        "vous pouvez supprimer mes données ?",
    ):
        reading = read(text, trials)
        assert reading is None or "erase_my_data" not in reading.impossible, text


def test_explicit_words_keep_their_intent_open(trials: dict[str, Trial]) -> None:
    reading = read("please delete everything you have on me", trials)
    assert reading is None or "erase_my_data" not in reading.impossible
    reading = read("je retire mon consentement", trials)
    assert reading is None or "withdraw_consent" not in reading.impossible
    assert read("/consent_decision", trials) is None  # a button says its intent itself


def test_a_question_about_visits_is_no_request_to_move_one(trials: dict[str, Trial]) -> None:
    reading = read("do i have to fast before the visit?", trials)
    assert reading is not None
    assert {"reschedule_appointment", "cancel_appointment"} <= set(reading.impossible)
    reading = read("can we push my appointment back a week?", trials)
    assert reading is None or "reschedule_appointment" not in reading.impossible
    reading = read("je pourrai pas venir jeudi", trials)
    assert reading is None or "cancel_appointment" not in reading.impossible


def test_a_question_for_the_teams_number_is_for_the_knowledge_base(
    trials: dict[str, Trial],
) -> None:
    for text in (
        "how do i get in touch with whoever runs the asthma study",
        "je peux quand même en parler à l'équipe au téléphone ? vous avez leur numéro ?",
    ):
        reading = read(text, trials)
        assert reading is not None and reading.intent == "faq", text


def test_asking_who_may_take_part_is_no_request_to_join(trials: dict[str, Trial]) -> None:
    for text in ("who is allowed to take part in a trial?", "qui peut participer à un essai ?"):
        reading = read(text, trials)
        assert reading is not None and "start_screening" in reading.impossible, text


def test_a_withdrawal_in_so_many_words_is_one(trials: dict[str, Trial]) -> None:
    for text in (
        "i'm taking back my consent, stop using my data",
        "je retire mon consentement",
        "je reviens sur mon accord pour les rappels : je retire ce consentement",
    ):
        reading = read(text, trials)
        assert reading is not None and reading.intent == "withdraw_consent", text
    reading = read("can i withdraw my consent later?", trials)
    assert reading is None or reading.intent != "withdraw_consent"


def test_a_question_about_someone_is_no_request_for_someone(trials: dict[str, Trial]) -> None:
    reading = read("and someone with psoriasis?", trials)
    assert reading is not None and "request_human" in reading.impossible
    reading = read("can a real person call me back?", trials)
    assert reading is None or "request_human" not in reading.impossible


def test_a_greeting_with_a_vague_wish_stays_a_greeting(trials: dict[str, Trial]) -> None:
    reading = read("bonjour, je voudrais des infos", trials)
    assert reading is None or "greet" not in reading.impossible
    reading = read("hello there, what does a study visit involve?", trials)
    assert reading is not None and "greet" in reading.impossible


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("oui je veux bien que l'équipe me rappelle", "affirm"),
        ("yes pls contact me", "affirm"),
        ("Oui pourquoi pas", "affirm"),
        ("d'accord, le matin plutôt", "affirm"),
        ("nah im good", "deny"),
        ("non merci ça ira", "deny"),
        ("oui mais je préfère un mail", None),  # "but" takes it back
        ("yes? what does that mean", None),  # a question
        ("ok thanks", None),  # taking in what was said
        ("ok go ahead", "affirm"),  # under a consent question: a yes, not a goodbye
        ("ok je suis d'accord pour le questionnaire", "affirm"),
        ("right, lets go", "affirm"),
        ("ok", None),
        ("go on?", None),
        ("nobody called me yet", None),
        ("I'm not sure, maybe", None),
        # a yes said in passing
        ("fine", "affirm"),
        ("thats fine by me", "affirm"),
        ("ça me va", "affirm"),
        ("no problem", "affirm"),
        ("no thats fine", "deny"),
        ("fine, but who sees them?", None),
    ],
)
def test_a_message_that_opens_with_a_clear_yes_or_no_carries_it(
    text: str, answer: str | None
) -> None:
    reading = read(text, {})
    assert (reading.answer if reading else None) == answer
    if answer:
        assert reading is not None and reading.as_metadata()["answer"] == answer


def test_a_question_about_ones_visit_confirms_nothing() -> None:
    """Tried on the phone: "au fait mon rdv c lundi ou mardi ?" confirmed the visit."""
    for text in ("au fait mon rdv c lundi ou mardi ?", "is my appointment on monday or tuesday?"):
        reading = read(text, {})
        assert reading is not None and "confirm_appointment" in reading.impossible
        assert reading.as_metadata()["instead_of"] == {"confirm_appointment": "my_appointments"}
    confirms = read("oui je serai bien là à mon prochain rendez-vous, je confirme", {})
    assert confirms is None or "confirm_appointment" not in confirms.impossible


@pytest.mark.parametrize(
    "text",
    [
        "who gets to see my medical stuff if i sign up",
        "Good afternoon. I should like to know whether, having agreed to take part in a study, "
        "I would be permitted to change my mind at a later date.",
        "si je participe je suis payé ?",
        "can my 10 yr old son join a study, he has really bad eczema",
        "she's 70, can she still take part in a trial at her age",
        "ma fille a 14 ans elle peut participer a une etude",
    ],
)
def test_taking_part_as_a_condition_or_at_someones_age_is_a_question(
    trials: dict[str, Trial], text: str
) -> None:
    """From the conversation benchmark: each got "Which study would you like to check?" (the
    actions' side: tests/actions/test_misreadings.py)."""
    reading = read(text, trials)
    assert reading is not None and reading.intent is None
    assert "start_screening" in reading.impossible


def test_the_words_naming_a_study_are_taken_out_of_a_question_about_it(
    trials: dict[str, Trial],
) -> None:
    diabetes, asthma = trials["demo-t2d-001"], trials["demo-asthma-002"]
    assert without_name(diabetes, "how long does the diabetes one run") == "how long does run"
    assert without_name(asthma, "how many visits for the AZ-202 trial?") == "how many visits ?"
    assert without_name(asthma, "elle dure combien de temps l'étude asthme") == (
        "elle dure combien de temps"
    )
    # A condition told is no study named.
    said = "je suis diabétique, c'est quoi l'étude"
    assert without_name(diabetes, said) == said


def test_taking_in_what_was_said_is_no_goodbye(trials: dict[str, Trial]) -> None:
    """From the conversation benchmark: "ok i see", under the consent question, got "Au revoir"."""
    for text in ("ok i see", "ah je vois", "hein ?"):
        reading = read(text, trials)
        assert reading is not None and "goodbye" in reading.impossible, text
        # Nor a yes to a consent question: "ok je vois" had recorded an agreement.
        assert "affirm" in reading.impossible, text
    reading = read("oui je vois, d'accord", trials)
    assert reading is not None and reading.answer == "affirm" and "affirm" not in reading.impossible
    reading = read("ok see you later", trials)
    assert reading is None or "goodbye" not in reading.impossible
