"""The safety check: emergencies and side effects caught through typos, negations respected."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import yaml

from bench.safety_eval.scoring import evaluate, load
from bot.safety.detect import Intent, assess, check, check_participant, corrected, fold
from bot.safety.rules import SMS
from bot.settings import PROJECT_ROOT


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I cant breath", "breathing"),
        ("help my chest pian is crushing", "chest_pain"),
        ("pain in my cehst and down my left arm", "chest_pain"),
        ("yes I'm 54 but I have a crushing pain in my chest right now", "chest_pain"),
        ("my husband collapsed and wont wake up", "unconscious"),
        ("her face is drooping and she slurs", "stroke"),
        ("my throat is swelling after the injection", "allergy"),
        ("I took the whole bottle of pills", "overdose"),
        ("I want to end it all", "suicide"),
        ("j'arrive plus a respirer", "breathing"),
        ("g mal a la poitrine ça serre fort", "chest_pain"),
        ("je veux en finir", "suicide"),
        ("il a perdu connaissance", "unconscious"),
        ("ma langue gonfle depuis le comprimé", "allergy"),
        ("mon cœur me serre très fort", "chest_pain"),  # the ligature read as "oe"
        ("elle ne voit plus d'un œil", "stroke"),
    ],
)
def test_emergencies_are_caught_in_both_languages(text: str, category: str) -> None:
    finding = check(text)
    assert finding is not None and finding.kind == "emergency", text
    assert finding.category == category


@pytest.mark.parametrize(
    "text",
    [
        "since the new tablets I get headaches every afternoon",
        "depuis la piqure j'ai des boutons partout",
        "the injection site is swollen and red since yesterday's dose",
        # A doubled letter typed once, tried on the phone-sized chat: no acknowledgement at all.
        "the tablets made me so dizy i fell and they kept me overnight in hospital",
        "my arm is swolen since the injection",
    ],
)
def test_side_effects_of_the_treatment_are_caught(text: str) -> None:
    finding = check(text)
    assert finding is not None and finding.kind == "adverse_event", text


@pytest.mark.parametrize(
    "text",
    [
        "no chest pain at all, just wondering about parking",
        "pas de douleur à la poitrine, tout va bien",
        "I had a heart attack 10 years ago, can I still join?",
        "what side effects can the drug cause?",
        "ces formulaires me tuent",
        "I'm dying to know the results",
        "where is the site?",
    ],
)
def test_what_needs_no_alert_raises_none(text: str) -> None:
    assert check(text) is None, check(text)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_evaluation_set_is_large_and_covers_every_kind(language: str) -> None:
    items = load()[language]
    assert len(items) >= 150
    kinds = {item.get("kind") for item in items if item["label"] == "emergency"}
    assert kinds == {
        "chest_pain", "breathing", "stroke", "unconscious", "allergy", "overdose", "suicide"
    }  # fmt: skip
    assert len({item["text"] for item in items}) == len(items)  # no message twice
    figures = evaluate(items).figures()
    assert figures["adverse_event_messages"] >= 40 and figures["none_messages"] >= 60


def _nlu_examples() -> dict[str, list[str]]:
    examples: dict[str, list[str]] = {}
    for path in sorted((PROJECT_ROOT / "data" / "nlu").glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" not in item:
                continue
            for line in str(item.get("examples") or "").splitlines():
                text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line.strip().removeprefix("- "))
                if text:
                    examples.setdefault(item["intent"], []).append(text)
    return examples


def test_the_rules_raise_nothing_on_what_the_nlu_learns_as_ordinary() -> None:
    """The rules and the NLU share the work (see `assess`), but the rules alone must never
    alarm on the 1,000-odd examples of every other intent."""
    examples = _nlu_examples()
    caught = [t for t in examples["emergency"] if (f := check(t)) is not None]
    assert len(caught) >= 0.9 * len(examples["emergency"])
    assert all(f.kind == "emergency" for t in caught if (f := check(t)) is not None)
    ordinary = [t for intent, texts in examples.items() for t in texts
                if intent not in ("emergency", "report_side_effect")]  # fmt: skip
    assert len(ordinary) > 800
    assert [t for t in ordinary if check(t) is not None] == []


def test_the_nlu_reading_catches_what_the_rules_miss() -> None:
    vague = "please help, something is very wrong with me"
    assert check(vague) is None
    finding = assess(vague, Intent("emergency", 0.91))
    assert finding is not None and finding.kind == "emergency"
    assert finding.category == "general" and "0.91" in finding.matched
    side_effect = assess("my ears feel funny lately", Intent("report_side_effect", 0.8))
    assert side_effect is not None and side_effect.kind == "adverse_event"


def test_the_nlu_reading_of_thoughts_of_dying_brings_the_crisis_line() -> None:
    finding = assess("honestly i would rather be dead", Intent("emergency", 0.7))
    assert finding is not None and finding.category == "suicide"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("please help, something is very wrong with me", Intent("emergency", 0.3)),  # unsure
        ("please help, something is very wrong with me", Intent("faq", 0.99)),
        ("I don't feel anything wrong in my heart", Intent("emergency", 0.8)),  # a negation
        ("lol my heart nearly stopped at the bill", Intent("emergency", 0.8)),  # a joke
        ("my heart went funny 10 years ago", Intent("emergency", 0.8)),  # long past
        # Tried on the phone, answering how much a side effect affected daily life: a stay in
        # hospital told as past got "Appelez le 112 maintenant" and an emergency card.
        ("severe forcement j etais a l hopital", Intent("emergency", 0.8)),
        ("severe, i was in hospital for 2 nights", Intent("emergency", 0.8)),
    ],
)
def test_the_nlu_reading_alone_raises_nothing_when_unsure_negated_or_not_now(
    text: str, intent: Intent
) -> None:
    assert assess(text, intent) is None


def test_a_rule_finding_stands_whatever_the_nlu_read() -> None:
    finding = assess("I can't breathe", Intent("greet", 0.99))
    assert finding is not None and finding.category == "breathing"


def test_a_buttons_payload_is_not_read_as_the_persons_words() -> None:
    words = "my ears feel funny lately"  # a side effect by the NLU's reading alone
    assert assess(words, Intent("report_side_effect", 0.8)) is not None
    payload = f'/inform{{"note": "{words}"}}'
    assert assess(payload, Intent("report_side_effect", 0.8)) is None


# A condition someone has had for years is their medical history, not a reaction to the study
# treatment: asking to join a study, or answering a pre-screening question, is no side effect.
HISTORY = [
    "ive had eczema since i was little, is the skin trial still recruiting?",
    "I've suffered from migraines for years, would the study drug help them?",
    "been diabetic all my life, what does the study involve",
    "they diagnosed my asthma back in 2009, can I still sign up",
    "j'ai de l'eczéma depuis toute petite, je peux m'inscrire ?",
    "ouais depuis que j'suis gamin",
    "jai des migraines depuis 10 ans, le traitement de l'étude peut m'aider ?",
    "je suis asthmatique depuis toujours, c'est grave pour l'étude ?",
    "diabétique diagnostiqué en 2012, je peux participer à l'essai ?",
    "jai de lasthme depuis lenfance, je tousse tjr un peu le matin",
]


@pytest.mark.parametrize("text", HISTORY)
def test_a_long_standing_condition_is_history_not_a_side_effect(text: str) -> None:
    assert check(text) is None, check(text)
    # The NLU may take "since"/"depuis" for a report: the history keeps it from counting.
    assert assess(text, Intent("report_side_effect", 0.9)) is None


@pytest.mark.parametrize(
    "text",
    [
        "since the injection ive had a rash on my arm",
        "depuis le traitement j'ai des vertiges",
        "ive had eczema for years but since the first dose it is much worse",
        "asthmatique depuis l'enfance, mais depuis la piqûre j'ai des plaques qui grattent",
    ],
)
def test_a_condition_linked_to_the_study_treatment_is_still_a_side_effect(text: str) -> None:
    finding = assess(text, Intent("report_side_effect", 0.9))
    assert finding is not None and finding.kind == "adverse_event", text
    assert check(text) == finding  # the rules found it, not only the NLU


@pytest.mark.parametrize(
    "text",
    [
        "since the injection my arm is swollen, and when is my next visit?",
        "depuis la piqure j'ai le bras tout rouge, et c'est quand mon prochain rdv ?",
    ],
)
def test_a_side_effect_that_also_asks_something_is_still_a_side_effect(text: str) -> None:
    finding = check(text)
    assert finding is not None and finding.kind == "adverse_event", text


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("cant breeth", "breathing"),  # spelt as it sounds
        ("jarrive pa a respiré", "breathing"),  # SMS spelling
        ("ma fille respir pu", "breathing"),
        ("g du mal a resperer", "breathing"),
        ("my dad's lips are going grey and he can hardly breathe", "breathing"),
        ("her inhaler is doing nothing and she's wheezing", "breathing"),
        ("mon mari est par terre dans le salon, il bouge plus", "unconscious"),
        ("my wife just went down in the garden and she's not answering me", "unconscious"),
        ("fever and my neck is so stiff i cannot bend it", "general"),
        ("je suis enceinte de 6 mois et je perds du sang", "bleeding"),
        ("j'ai pensé toute la journée à me donner la mort", "suicide"),
        ("j'ai peur de me faire du mal cette nuit", "suicide"),
        ("had a heart attack years ago and now that crushing chest pain is back", "chest_pain"),
    ],
)
def test_red_flags_are_caught_through_sms_spelling_and_new_wording(
    text: str, category: str
) -> None:
    finding = check(text)
    assert finding is not None and finding.kind == "emergency", text
    assert finding.category == category


@pytest.mark.parametrize(
    "text",
    [
        "my wife isn't answering her phone, can I move her visit?",
        "ma femme répond pas au téléphone, on peut décaler ?",
        "mon chef va me tuer si j'arrive en retard",
        "c'est quoi les signes d'une réaction allergique ?",
        "I get out of breath on the stairs, always have",
        "je vais mourir de honte",
        "ma belle-mère prend plein de cachets, elle devra tout arrêter si elle fait un essai ?",
        "she takes loads of tablets for her heart",
    ],
)
def test_everyday_words_that_sound_alarming_raise_none(text: str) -> None:
    assert check(text) is None, check(text)


@pytest.mark.parametrize(
    "text",
    ["elle a pris plein de cachets", "he took loads of pills", "il a avalé une poignée de cachets"],
)
def test_too_many_pills_taken_is_still_an_overdose(text: str) -> None:
    found = check(text)
    assert found is not None and found.category == "overdose"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("pulled a muscle in my back carrying the shopping", Intent("emergency", 0.99)),
        ("mon fils est tombé du vélo, juste un genou égratigné", Intent("emergency", 0.99)),
        ("I'm puffed out after the stairs, always have been", Intent("emergency", 0.99)),
        ("je prends déjà des cachets pour la tension, c'est autorisé ?", Intent("emergency", 0.9)),
        ("how many capsules do I take each morning?", Intent("report_side_effect", 0.95)),
        ("feeling great since I joined the study!", Intent("report_side_effect", 0.99)),
        ("je suis allergique à la pénicilline, ça pose problème ?", Intent("emergency", 0.6)),
        ("so bored in this waiting room I could die", Intent("emergency", 1.0)),
        ("does a racing heart happen often with this drug?", Intent("emergency", 0.9)),
        ("on m'a enlevé une dent ce matin, ça tire un peu", Intent("report_side_effect", 0.9)),
        ("and im on blood thinners long term, is that a problem", Intent("emergency", 0.99)),
    ],
)
def test_the_nlu_reading_alone_raises_nothing_on_everyday_readings(
    text: str, intent: Intent
) -> None:
    """The NLU is sure of itself on wording it never saw: questions about the trial, minor
    mishaps, effort and good news keep its reading alone from raising an alarm."""
    assert assess(text, intent) is None, assess(text, intent)


def test_the_benchmark_scores_an_unseen_set_when_there_is_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench.safety_eval import __main__ as bench

    unseen = tmp_path / "unseen.yml"
    unseen.write_text(
        "en:\n  - {text: 'my husband is not breathing', label: emergency, kind: breathing}\n"
        "fr:\n  - {text: 'où est le parking ?', label: none, note: question}\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(bench, "WHOLE_SETS", {**bench.WHOLE_SETS, "unseen": unseen})
    monkeypatch.setattr(sys, "argv", ["safety_eval", "--rules-only", "--json"])
    bench.main()  # the exit code says whether a two-message set meets the targets: no matter
    rows = {(r["language"], r["part"]): r for r in json.loads(capsys.readouterr().out)}
    assert rows["en", "unseen"]["emergency_recall"] == 1.0
    assert rows["fr", "unseen"]["false_alarm_rate"] == 0.0
    assert ("en", "fresh") in rows and ("fr", "held-out") in rows
    assert ("en", "sealed") not in rows  # scored only when asked for (--sealed)


@pytest.mark.parametrize(
    "text",
    [
        # Tried on the phone: each got a "no verified answer" or general advice, and no event.
        "i was admitted to hospital on friday for 2 nights because of a bad reaction to the "
        "asthma study inhaler",
        "j ai ete hospitalisee hier a cause des comprimes de l etude",
        "slt jai ete hospitalise 2 jours la semaine derniere a cause d une grosse reaction a l "
        "inhalateur de l etude asthme",
        "no its not an emergency now shes already in hospital, the doctors think its the study "
        "tablets",
        # In hospital, whatever the cause, while in the trial: a serious adverse event.
        "hello im writing for my mum shes in the diabetes trial, she was admitted to hospital "
        "last night with really bad vomiting",
        "il participe a l etude et il est a l hopital depuis hier",
    ],
)
def test_a_hospital_stay_tied_to_the_treatment_or_in_the_trial_is_a_side_effect(
    text: str,
) -> None:
    found = check(text)
    assert found is not None and found.kind == "adverse_event", found


@pytest.mark.parametrize(
    "text",
    ["I was not admitted, just seen in A&E", "my study visit at the hospital went well"],
)
def test_no_stay_or_a_visit_is_no_hospital_stay(text: str) -> None:
    assert check(text) is None


@pytest.mark.parametrize(
    "text",
    [
        # Tried on the phone: each got "Call 112 now".
        "yes sore throat and hoarse voice since wed",
        "yes n its spreading to his chest now. could it be the injection?",
        "ah et il s est cogne la tete en tombant, on est alle aux urgences, il est rentre a la "
        "maison",
    ],
)
def test_where_a_rash_is_a_sore_throat_or_a_visit_over_is_no_emergency(text: str) -> None:
    assert assess(text, Intent("emergency", 0.9)) is None


def test_a_danger_beside_a_mild_mention_still_counts() -> None:
    found = assess("rash on my chest and I cant breathe", Intent("emergency", 0.9))
    assert found is not None and found.kind == "emergency"


def test_avc_as_sms_for_avec_is_no_stroke() -> None:
    """Replayed on the phone: "des palpitations depuis 2j avc l'inhalateur" got "call 112"."""
    found = check("bjr jsuis ds l etude asthme, g des palpitations depuis 2j avc l inhalateur")
    assert found is not None and found.kind == "adverse_event"
    stroke = check("je crois que mon pere fait un avc")
    assert stroke is not None and stroke.category == "stroke"


def test_a_symptom_of_someone_in_the_trial_is_a_side_effect_not_a_question_about_one() -> None:
    """Replayed on the phone: a daughter's report of her mother's dizziness raised nothing."""
    found = check(
        "bonjour c sa fille, ma mere est dans l etude diabete elle a des vertiges depuis hier"
    )
    assert found is not None and found.kind == "adverse_event"
    assert check("I am in the asthma study, is headache a side effect?") is None


def test_someone_already_in_hospital_is_no_emergency_from_the_nlu_alone() -> None:
    """Tried on the phone: a wife answering the follow-up, "well hes in hospital so severe i
    guess", then "he IS in hospital already", got "Call 112 now" twice (the NLU read an
    emergency). A danger the rules know still is one, in hospital or not."""
    sure = Intent("emergency", 1.0)
    for text in (
        "well hes in hospital so severe i guess",
        "he IS in hospital already, they are looking after him",
        "elle est toujours à l'hôpital, ils s'occupent bien d'elle",
    ):
        assert assess(text, sure) is None, text
    for text in (
        "my husband is in hospital and cant breathe",
        "elle est à l'hôpital, elle respire plus",
    ):
        found = assess(text, sure)
        assert found is not None and found.kind == "emergency", text


def test_help_on_its_way_is_no_second_emergency_from_the_nlu_alone() -> None:
    """From the conversation benchmark, tried on the web chat: after "Call 112 now", "ambulance
    on its way now" got "This sounds like an emergency. Call 112 now" again and a second alert
    for staff (the NLU read an emergency). Help that is coming, or there, is care; a danger the
    rules know still is an emergency."""
    sure = Intent("emergency", 1.0)
    for text in (
        "ambulance on its way now",
        "the ambulance is coming, thank you",
        "paramedics are here now",
        "ok the ambulance just arrived",
        "help is on the way",
        "l'ambulance est en route",
        "les pompiers arrivent",
        "le samu est là",
        "c bon les secours sont arrivés",
    ):
        assert assess(text, sure) is None, text
    for text in (
        "the ambulance is coming but he cant breathe",
        "les pompiers arrivent mais elle respire plus",
        "call an ambulance",
        "appelez une ambulance",
    ):
        found = assess(text, sure)
        assert found is not None and found.kind == "emergency", text


def test_an_emergency_seen_at_the_emergency_department_and_over_is_a_side_effect() -> None:
    """Tried on the phone: "...les levres gonflees apres linhalateur, jsuis allé aux urgences
    hier soir ils mont donné un antihistaminique et je suis rentrée" got "Appelez le 112
    maintenant", and no side effect was recorded. The same happening again is an emergency."""
    for text in (
        "g eu des plaques rouges partout et les levres gonflees apres linhalateur, jsuis allé aux "
        "urgences hier soir ils mont donné un antihistaminique et je suis rentrée",
        "my lips swelled up after the jab, went to A&E last night and they sent me home",
    ):
        found = check(text)
        assert found is not None and found.kind == "adverse_event", text
    for text in (
        "went to A&E, sent home, now my lips are swelling again",
        "after the tablets my throat swelled, we went to A&E and they sent us home but its "
        "swelling again now",
    ):
        found = check(text)
        assert found is not None and found.kind == "emergency", text


def test_afraid_of_the_treatment_is_no_emergency_from_the_nlu_alone() -> None:
    """Replayed on the phone: a son asking "should she keep using the inhaler?? shes scared to
    use it now" got "Call 112 now" (the NLU read an emergency, "scared" a danger)."""
    sure = Intent("emergency", 0.9)
    assert assess("should she keep using the inhaler?? shes scared to use it now", sure) is None
    assert assess("j'ai peur de reprendre les comprimés, c'est normal ?", sure) is None
    found = assess("im scared, my chest hurts and i cant breathe", sure)
    assert found is not None and found.kind == "emergency"


def test_ending_up_in_hospital_told_as_past_is_a_serious_side_effect() -> None:
    """Replayed on the phone: a participant telling again of their stay, "my sugar went really
    low since starting the study pills and i ended up in hospital", got "Call 112 now" and an
    emergency card beside the serious event already recorded."""
    for text in (
        "my sugar went really low since starting the study pills and i ended up in hospital",
        "he collapsed after the tablets and ended up in hospital",
        "je me suis retrouvée aux urgences après les comprimés, malaise",
    ):
        found = check(text)
        assert found is not None and found.kind == "adverse_event", text
    for text in (
        "i ended up in hospital last night and now i cant breathe",
        "my sugar is really low, im shaking",
    ):
        found = check(text)
        assert found is not None and found.kind == "emergency", text


def test_an_inhaler_is_a_treatment_not_a_breath() -> None:
    """Found while writing a test: "since i started the inhaler i get bad headaches" was an
    emergency about breathing ("inhal…" read as breathing, then "bad"): the person would have
    been told to call 112 for headaches. The device is a study treatment; breathing in is still
    breathing."""
    for text in (
        "since i started the inhaler i get bad headaches",
        "depuis l'inhalateur j'ai des migraines, c'est dur",
    ):
        found = check(text)
        assert found is not None and found.kind == "adverse_event", text
    for text in ("it's really hard to inhale", "i can barely inhale"):
        found = check(text)
        assert found is not None and found.category == "breathing", text


def test_a_participant_s_symptom_with_a_word_between_is_reported() -> None:
    """Found while writing a test: "i also have a rash on my arms since yesterday", from a
    participant, raised nothing (only "i have" was heard, not "i also have")."""
    for text in (
        "i also have a rash on my arms since yesterday",
        "i still get headaches every morning",
        "she also has a rash now",
    ):
        found = check_participant(text)
        assert found is not None and found.kind == "adverse_event", text
    assert check_participant("i also have a question about the visits") is None


# Slips the check reads as another form of the same word, the only changes it may make to the
# words of the entries and of the NLU examples.
_SAME_WORD = {
    ("collapse", "collapsed"), ("patches", "patchs"), ("periodes", "periods"),
    ("allergie", "allergic"), ("signale", "signaler"), ("breathin", "breathing"),
    ("diarrhea", "diarrhoea"), ("problem", "probleme"),
}  # fmt: skip


def test_words_people_write_are_not_read_as_other_words() -> None:
    """ "is there a lift to the 3rd floor" was read "is three a lift to the 3rd floor" and the
    NLU's reading made it an emergency ("Call 112 now"); "signer" (to sign) read "saigner" (to
    bleed), "nose" read "noose"."""
    files = [
        *PROJECT_ROOT.glob("knowledge/faq/*/*.md"),
        *PROJECT_ROOT.glob("knowledge/faq/*/*.yml"),
    ]
    files += PROJECT_ROOT.glob("data/nlu/*.yml")
    words = {w for f in files for w in fold(f.read_text(encoding="utf-8")).split() if w.isalpha()}
    assert len(words) > 3000  # the files were read
    # SMS spelling is spelt out ("jai" is "j'ai"); any other word stays as it is.
    misread = {(w, corrected(w)) for w in words if corrected(w) != SMS.get(w, w)} - _SAME_WORD
    assert not misread, sorted(misread)
    assert corrected(fold("is there a lift to the 3rd floor")) == "is there a lift to the 3rd floor"
