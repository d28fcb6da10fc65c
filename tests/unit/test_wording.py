"""The words that decide whether a message withdraws consent, asks to take part, or thanks."""

from __future__ import annotations

import pytest

from bot import wording


@pytest.mark.parametrize(
    "text",
    [
        "jpeux arreter qd je veux?",
        "can i quitt anytime",
        "Est-ce que je pourrai partir en cours d'étude ?",
        "am I allowed to stop whenever I like",
    ],
)
def test_asking_whether_one_may_leave_is_a_question(text: str) -> None:
    assert wording.asks_whether_one_may_leave(text)


@pytest.mark.parametrize(
    "text",
    [
        "I want to quit the trial",
        "je veux retirer mon consentement",
        "can I withdraw my consent?",
        "je ne veux plus participer",
    ],
)
def test_explicit_words_withdraw(text: str) -> None:
    assert not wording.asks_whether_one_may_leave(text)


@pytest.mark.parametrize(
    "text",
    [
        "combien de visites pour l'étude asthme ?",
        "how long does the diabetes study last?",
        "c quoi le numero de l'equipe de l'etude diabete",
    ],
)
def test_a_question_naming_a_trial_is_not_a_request_to_join(text: str) -> None:
    assert wording.asks_without_joining(text)


@pytest.mark.parametrize(
    "text",
    [
        "I've had asthma since I was a kid, can I join the asthma study?",
        "Est-ce que je peux participer à l'étude sur l'asthme ?",
        "am i eligible for the diabetes one",
        "ok he's fine now, can we go on with the questions?",
        "je veux m'inscrire",
        "l'étude asthme m'intéresse, je peux la faire ?",
        '/start_screening{"trial": "demo-t2d-001"}',
    ],
)
def test_requests_to_take_part_still_start_it(text: str) -> None:
    assert not wording.asks_without_joining(text)


@pytest.mark.parametrize("text", ["great thank you", "Ok merci beaucoup !", "thx", "Merci 👍"])
def test_thanks(text: str) -> None:
    assert wording.is_thanks(text)


@pytest.mark.parametrize("text", ["thanks, when is my visit?", "super", "ok", "merci mais non"])
def test_not_only_thanks(text: str) -> None:
    assert not wording.is_thanks(text)


@pytest.mark.parametrize(
    ("text", "back"),
    [
        ("back to the assistant", True),
        ("revenir à l’assistant svp", True),
        ("i want to go back to the bot", True),
        ("the assistant sent me back to my question", False),
    ],
)
def test_typed_back_to_the_assistant(text: str, back: bool) -> None:
    assert wording.back_to_the_assistant(text) is back


@pytest.mark.parametrize(
    ("text", "go_on"),
    [
        ("ok he's fine now, can we go on with the questions?", True),
        ("c bon on reprend les questions", True),
        ("question suivante svp", True),
        ("yes I continue my metformin", False),
        ("je continue la metformine", False),
    ],
)
def test_going_on_with_the_questions(text: str, go_on: bool) -> None:
    assert wording.wants_to_go_on(text) is go_on


@pytest.mark.parametrize(
    ("text", "joins"),
    [
        ("l'étude asthme m'intéresse, je peux la faire ?", True),
        ("i'm interested in the asthma study", True),
        ("je peux faire quoi pour mon dos ?", False),
    ],
)
def test_interest_in_a_study_is_a_request_to_join(text: str, joins: bool) -> None:
    assert wording.asks_to_join(text) is joins


@pytest.mark.parametrize(
    "text",
    [
        "parfait, je vous souhaite une bonne soirée",
        "thx, bye",
        "bye now",
        "je vous laisse, bonne continuation",
    ],
)
def test_goodbyes(text: str) -> None:
    assert wording.is_goodbye(text)


@pytest.mark.parametrize("text", ["laisse tomber", "now what", "bye the way, is it free?"])
def test_not_goodbyes(text: str) -> None:
    assert not wording.is_goodbye(text)


@pytest.mark.parametrize(
    ("text", "acknowledges"),
    [("ok", True), ("d'accord", True), ("ok thanks", True), ("ok but when?", False), ("52", False)],
)
def test_acknowledgements(text: str, acknowledges: bool) -> None:
    assert wording.is_acknowledgement(text) is acknowledges


def test_questions_for_the_teams_number_are_told_from_numbers_of_things() -> None:
    from bot.wording import asks_for_contact

    asked = (
        "c koi le numéro de l'équipe",
        "how can i phone the research nurse",
        "what's the study team's email",
        "je peux joindre l'équipe comment ?",
        "le numero de lequipe du diabete svp",
        # whom to turn to
        "ok so who do i talk to about this",
        "je m'adresse à qui pour ça",
        "qui dois-je contacter",
        # when they answer: the team's entry gives its hours with its number
        "what time are they open",
        "when is the study team available",
        "c quoi leurs horaires",
        "ils sont joignables quand ?",
        "whats the number of the team",
        "what's the number of the research nurse",
    )
    for text in asked:
        assert asks_for_contact(text), text
    for text in (
        "what's the number of visits",
        "i changed my phone",
        "how many visits",
        "who sees my data",
        "who do i give my consent to",
        "what time is my visit",
        "when is the study available",
        "quelles sont les heures des visites",
    ):
        assert not asks_for_contact(text), text


def test_calling_off_a_request_to_the_team_in_words() -> None:
    from bot.wording import drops_request

    assert drops_request("all good now, you can cancel my request")
    assert drops_request("vous pouvez annuler ma demande, merci")
    assert not drops_request("cancel my appointment on friday")
    # From the conversation benchmark: the assistant said the request was closed; it was not.
    assert drops_request("ok forget the team, i'll carry on with you the assistant")
    assert drops_request("bon oubliez l'équipe, je continue avec vous l'assistant")
    assert drops_request(
        "c'est pas la peine de déranger qui que ce soit, je retourne à l'assistant"
    )
    assert not drops_request("can i stay with my mum during the visits")
    assert not drops_request("can we continue with the questions")


def test_a_question_about_a_relatives_visits_is_told_from_ones_own() -> None:
    """Tried on the phone: "my dad is in the asthma trial, when is his next appointment?" got
    "I have no upcoming appointment for you"."""
    for text in (
        "my dad is in the asthma trial, when is his next appointment?",
        "when is my mums next visit",
        "c quand le prochain rdv de ma mere ?",
        "c quand son prochain rdv",
    ):
        assert wording.about_someone_else(text), text
    for text in ("when is my next visit", "c quand mon rdv avec ma fille", "is my data shared"):
        assert not wording.about_someone_else(text), text


def test_a_question_about_what_a_consent_covers_is_told_from_any_other() -> None:
    """Tried on the phone: "what time does the clinic open", under the reminders consent
    question, was pointed to the consent text ("what your answers are used for")."""
    for text in (
        "who can see my answers?",
        "will you text me every day?",
        "vous gardez mes donnees combien de temps ?",
    ):
        assert wording.about_consent(text), text
    for text in (
        "what time does the clinic open",
        "can i bring my husband to the visit",
        "c quoi le parking",
    ):
        assert not wording.about_consent(text), text


def test_asking_whether_one_fits_a_study_is_a_request_to_take_part() -> None:
    """In a set of new conversations: "am i eligable for the dmx study" got the placebo entry,
    "diabetes research study, am i a fit?" and "…i might fit the DMX-101 trial, can you check"
    got "not sure"."""
    for text in (
        "am i eligable for the dmx study",
        "diabetes research study, am i a fit?",
        "my doctor said i might fit the DMX-101 trial, can you check",
        "would i qualify for the asthma study",
        # And in the held-out half of that set, once looked at:
        "check if i fit the diabetes study pls",
        "je suis diabétique, je peux faire votre essai ?",
        "l'essai sur l'asthme ça pourrait me correspondre ?",
        "would the asthma study work for someone like me",
        "asthmatic, wondering if your study is open to me",
    ):
        assert wording.asks_to_join(text), text
    for text in (
        "does the study fit around my work?",
        "is it a good fit for kids?",
        "is the study open on saturdays?",
    ):
        assert not wording.asks_to_join(text), text


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("et la salle d attente elle a des fenetres ou pas", True),
        ("c gratuit ou non", True),
        ("the parking is free or not", True),
        ("c'est remboursé, n'est-ce pas", True),
        ("je ne sais pas", False),
        ("i have not", False),
        # or by its words inside, as spoken French puts them
        ("jai combien de temps pr reflechir avant de signer", True),
        ("elle dure combien de temps l'étude asthme", True),
        ("je sais pas combien de fois", False),
        # or by its first words as typed on a phone
        ("pk je dois signer 2 fois", True),
        ("y would anyone volunteer for a drug test", True),
    ],
)
def test_a_question_told_by_its_words(text: str, question: bool) -> None:
    assert wording.is_question(text) is question


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("would my diabetes stop me joining", True),
        ("ive had kidney trouble for ages, does that really rule me out", True),
        ("ive got psoriasis for years is that an issue", True),
        ("je suis sous anticoagulants, ça m'empêche de participer ?", True),
        ("j'ai de l'eczéma depuis toujours, c'est un souci ?", True),
        # leaving, a visit, pay or a job: not whether one may take part
        ("can i stop the study whenever i want", False),
        ("does it matter if i miss a visit", False),
        ("does that stop me from getting paid", False),
        ("is this study a problem for my job", False),
        ("ça compte comme une visite", False),
    ],
)
def test_whether_something_one_has_keeps_one_out(text: str, counts: bool) -> None:
    assert wording.asks_whether_a_condition_counts(text) is counts


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("what about my asthma", True),
        ("et pour le diabète ?", True),
        ("and the diabetes study, how many visits", False),
        ("and how much do i get paid", False),
        ("et pour l'asthme, ça dure combien", False),
    ],
)
def test_a_follow_up_that_only_names_what_it_is_about(text: str, names: bool) -> None:
    assert wording.only_names(text) is names


def test_a_part_that_points_back_is_read_with_the_one_before() -> None:
    assert wording.points_back("does that stop me taking part")
    assert wording.points_back("ça compte pour l'essai ?")
    assert not wording.points_back("do i get paid")


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("when is my next visit", True),
        ("when's my appt", True),
        ("quand est mon rendez-vous ?", True),
        ("c'est quand la prochaine visite", True),
        ("when i come for my visit can my wife come", False),
        ("how many visits are there?", False),
        ("when is my mums next visit", False),  # someone else's
    ],
)
def test_asking_when_ones_own_visit_is(text: str, asks: bool) -> None:
    assert wording.asks_when_my_visit_is(text) is asks
