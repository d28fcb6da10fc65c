"""A side effect's follow-up, in the chat and in the record staff read.

The gateway asks the questions itself, so Rasa is down in these tests: nothing here may need it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bot.channels.base import Inbound, Reply
from bot.cli import app
from bot.db.models import Participant, SafetyEvent, StaffAlert, StaffAudit
from bot.db.session import make_session_factory
from bot.gateway.relay import Relay
from bot.safety import alerts, asking, followup, report
from bot.safety.followup import Facts, extract, read_answer, taken
from bot.settings import Settings, get_settings
from bot.staff import inbox
from tests.fakes.rasa import UpRasa
from tests.gateway.test_relay_offline import _relay

RECEIVED = dt.datetime(2026, 11, 18, 10, 0, tzinfo=dt.UTC)  # a Wednesday


# --- reading the person's words ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "onset", "ongoing", "care"),
    [
        ("since monday my arm where they injected is swollen, still is", "2026-11-16", True, None),
        ("headache started 3 days ago, gone now", "2026-11-15", False, None),
        ("jai vomi toute la nuit hier, jsuis allé aux urgences", "2026-11-17", None, "emergency"),
        ("depuis 2 jours mal au ventre ça passe pas", "2026-11-16", True, None),
        ("rash after the second dose, they kept me 2 nights in hospital", None, None, "hospital"),
        ("dizzy since 12/11, didn't see anyone about it", "2026-11-12", True, "none"),
        # A faculty lost goes on; a symptom no longer had is over, and its "depuis" dates the end.
        ("je n'ai plus d'appétit depuis lundi", "2026-11-16", True, None),
        ("je n'ai plus de fièvre depuis hier", None, False, None),
        # Written on a Wednesday, Wednesday is last week's: today's would have said "today".
        ("it started on wednesday and it's still itchy", "2026-11-11", True, None),
        ("ça a commencé mercredi, ça gratte encore", "2026-11-11", True, None),
    ],
)
def test_a_report_says_what_it_says_and_nothing_is_guessed(
    text: str, onset: str | None, ongoing: bool | None, care: str | None
) -> None:
    facts = extract(text, RECEIVED)
    assert (facts.onset, facts.ongoing, facts.care) == (onset, ongoing, care)


def test_seriousness_follows_the_care_needed_not_the_severity() -> None:
    worst = extract("worst migraine of my life, couldn't get out of bed, saw nobody", RECEIVED)
    assert (worst.severity, worst.care, worst.serious, worst.seriousness) == (
        "severe", "none", False, []
    )  # fmt: skip
    admitted = extract("they admitted me to hospital with the rash", RECEIVED)
    assert admitted.serious and admitted.seriousness == ["hospitalisation"]
    casualty = extract("ended up in A&E last night, they sent me home", RECEIVED)
    assert casualty.seriousness == ["other_medically_important"]
    danger = extract("j'ai failli mourir, réanimation pendant 2 jours", RECEIVED)
    assert "life_threatening" in danger.seriousness
    assert extract("mal de tête depuis hier", RECEIVED).serious is None  # not known yet
    denied = extract("I didn't go to A&E, it was just a rash", RECEIVED)
    assert denied.care != "emergency"


def test_answers_typed_as_people_type_and_skips() -> None:
    assert read_answer("onset", "ya 2 jours", RECEIVED) == Facts(onset="2026-11-16")
    assert read_answer("ongoing", "nope its gone", RECEIVED) == Facts(ongoing=False)
    assert read_answer("ongoing", "oui encore", RECEIVED) == Facts(ongoing=True)
    assert read_answer("severity", "modéré", RECEIVED) == Facts(severity="moderate")
    assert read_answer("care", "had to go to A&E", RECEIVED) == Facts(care="emergency")
    assert read_answer("care", "non personne", RECEIVED) == Facts(care="none")
    assert read_answer("care", "/follow_up:care=hospital", RECEIVED) == Facts(care="hospital")
    assert read_answer("onset", "je sais pas", RECEIVED) == "skip"
    assert read_answer("severity", "no more questions please", RECEIVED) == "end"
    assert read_answer("onset", "banana", RECEIVED) is None


@pytest.mark.parametrize(
    ("step", "typed", "read"),
    [
        # Short answers that say more than yes or no.
        ("ongoing", "a bit", Facts(ongoing=True)),
        ("ongoing", "bof ouais", Facts(ongoing=True)),
        ("ongoing", "ça revient la nuit", Facts(ongoing=True)),
        ("ongoing", "going down slowly", Facts(ongoing=True)),
        ("ongoing", "RAS", Facts(ongoing=False)),
        ("ongoing", "all good now", Facts(ongoing=False)),
        ("ongoing", "no more since", Facts(ongoing=False)),
        ("ongoing", "arrêté tout seul", Facts(ongoing=False)),
        # Yes and no in SMS spelling, read as the pre-screening reads them.
        ("ongoing", "ui", Facts(ongoing=True)),
        ("ongoing", "nop", Facts(ongoing=False)),
        ("care", "nn", Facts(care="none")),
        ("care", "rang 111, they said keep an eye on it", Facts(care="none")),
        # Days as people shorten them.
        ("onset", "sat nite", Facts(onset="2026-11-14")),
        ("onset", "since last wed", Facts(onset="2026-11-11")),
        ("onset", "3j", Facts(onset="2026-11-15")),
        ("onset", "11/13", Facts(onset="2026-11-13")),
        # Negations and half-answers, as typed in the phone-sized chat.
        ("severity", "not bad", Facts(severity="mild")),
        ("severity", "pas trop", Facts(severity="mild")),
        ("severity", "cant go to work", Facts(severity="severe")),
        ("severity", "jsp moyen", Facts(severity="moderate")),
        ("care", "no doctor", Facts(care="none")),
        ("care", "I have not seen my GP yet", Facts(care="none")),
        ("care", "pas encore vu le médecin", Facts(care="none")),
        ("care", "shes in hospital i told u", Facts(care="hospital")),
        ("care", "appelé le 15 ils m'ont dit de me reposer", Facts(care="none")),
        ("ongoing", "worse tbh", Facts(ongoing=True)),
        (
            "product",
            "the tablets, this morn",
            Facts(product="the tablets", last_dose="2026-11-18"),
        ),
        ("severity", "arrete avec tes questions stp", "end"),
        (
            "product",
            "the blue inhaler, this mornin",
            Facts(product="the blue inhaler", last_dose="2026-11-18"),
        ),
    ],
)
def test_short_answers_as_patients_type_them(
    step: followup.Step, typed: str, read: Facts | str
) -> None:
    assert read_answer(step, typed, RECEIVED) == read


@pytest.mark.parametrize(
    ("text", "onset", "ongoing", "serious"),
    [
        # The day an end came is not the day it began.
        ("plus rien depuis samedi, c'était des diarrhées pendant deux jours", None, False, None),
        ("the eye twitch lasted the whole weekend then packed in on Monday", None, False, None),
        ("headache that lasted from Thursday till Saturday", "2026-11-12", False, None),
        # Care meant and not needed is no care; a ward now is a stay.
        ("my son wanted to call an ambulance but I said no, it passed", None, False, False),
        ("Je suis en cardiologie depuis jeudi, arrêt cardiaque", "2026-11-12", True, True),
        # A faculty that never came back is a disability, not an end.
        ("the sight in my eye never came back after the bleed", None, True, True),
        # Over, told by what is done again or not had since; the "since" dates the end.
        (
            "haven't needed my inhaler since sunday, the wheeze began on the 10th",
            "2026-11-10",
            False,
            None,
        ),
        ("pas eu le moindre malaise depuis vendredi", None, False, None),
        ("je remarche sans canne depuis hier", None, False, None),
        ("walking the dog as usual without any discomfort now", None, False, None),
        # Still there, told without "still"; a few words and how long, up to now.
        ("the swelling is about the same", None, True, None),
        ("sore throat 3 days", "2026-11-15", True, None),
        # A stay given as a range starts on its first day; advice by phone is no care.
        (
            "admitted 9th-12th Nov with pancreatitis, home now and eating normally",
            "2026-11-09",
            False,
            True,
        ),
        (
            "appelé le 15 lundi, le régulateur m'a dit de prendre rdv chez mon médecin, ça va "
            "mieux maintenant",
            "2026-11-16",
            False,
            False,
        ),
    ],
)
def test_what_ended_and_what_stays(
    text: str, onset: str | None, ongoing: bool | None, serious: bool | None
) -> None:
    facts = extract(text, RECEIVED)
    assert (facts.onset, facts.ongoing, facts.serious) == (onset, ongoing, serious)


# --- in the chat ------------------------------------------------------------------------------


async def _say(relay: Relay, sender: str, text: str) -> list[Reply]:
    return await relay.handle(Inbound("web", sender, text))


def _event(engine: Engine) -> SafetyEvent:
    with make_session_factory(engine)() as session:
        (event,) = session.scalars(select(SafetyEvent)).all()
        session.expunge(event)
        return event


def _titles(reply: Reply) -> list[str]:
    return [button.title for button in reply.buttons]


async def test_the_follow_up_asks_only_what_the_report_did_not_say(
    migrated_engine: Engine, alerting: Settings
) -> None:
    relay = _relay(migrated_engine, alerting)
    ack, first = await _say(relay, "p-1", "since yesterday the tablets give me bad headaches")
    assert ack.text is not None and "passed this on to the study team" in ack.text
    # The onset was said: the first question is the next one, with its buttons and a way out.
    assert first.text is not None and "Is it still going on?" in first.text
    assert "You can skip any of them" in first.text and "what you reported" in first.text
    assert _titles(first) == ["Yes, still", "No, it stopped", "Skip", "Stop the questions"]

    (severity,) = await _say(relay, "p-1", "yeah still there")
    assert severity.text is not None and "daily life" in severity.text
    assert _titles(severity) == ["Mild", "Moderate", "Severe", "Skip", "Stop the questions"]
    (care,) = await _say(relay, "p-1", "/follow_up:severity=moderate")
    assert care.text is not None and "any care" in care.text
    (product,) = await _say(relay, "p-1", "no just paracetamol")
    assert product.text is not None and "Which study treatment" in product.text
    assert _titles(product) == ["Skip", "Stop the questions"]  # the last one too
    (done,) = await _say(relay, "p-1", "the white tablets, this morning")
    assert done.text is not None and "added your answers" in done.text
    assert "urgent" not in done.text

    event = _event(migrated_engine)
    facts = asking.facts_of(event, relay.cipher)
    yesterday = event.created_at.date() - dt.timedelta(days=1)  # "since yesterday"
    assert facts.summary() == {
        "onset": yesterday.isoformat(),
        "ongoing": True,
        "severity": "moderate",
        "serious": False,
        "seriousness": [],
        "complete": True,
    }
    assert facts.product == "the white tablets"
    assert event.follow_up_step == asking.DONE and event.serious is False
    assert event.report_due is None
    assert "paracetamol" not in (event.follow_up or "")  # encrypted at rest


async def test_once_it_has_stopped_its_effect_on_daily_life_is_asked_of_the_past(
    migrated_engine: Engine, alerting: Settings
) -> None:
    relay = _relay(migrated_engine, alerting)
    await _say(relay, "p-past", "since yesterday the tablets give me bad headaches")
    (severity,) = await _say(relay, "p-past", "/follow_up:ongoing=no")
    assert severity.text is not None
    assert severity.text.startswith("How much did it affect your daily life?")
    assert "you could not do what you usually do" in severity.text
    await _say(relay, "p-fr", "j'ai eu des nausées mardi avec les comprimés")
    (grave,) = await _say(relay, "p-fr", "non c passé")
    assert grave.text is not None and "a-t-il gêné votre vie" in grave.text


async def test_a_serious_answer_sets_the_deadline_and_alerts_staff_at_once_in_french(
    migrated_engine: Engine, alerting: Settings
) -> None:
    relay = _relay(migrated_engine, alerting)
    ack, first = await _say(relay, "p-fr", "depuis la piqûre j'ai des plaques rouges partout")
    assert ack.text is not None and "transmis" in ack.text
    assert first.text is not None and "Quand cela a-t-il commencé" in first.text
    assert _titles(first)[:3] == ["Aujourd'hui", "Hier", "Passer"]
    await _say(relay, "p-fr", "/follow_up:onset=yesterday")
    await _say(relay, "p-fr", "oui toujours")
    await _say(relay, "p-fr", "sévère")
    sessions = make_session_factory(migrated_engine)
    with sessions() as session:
        before = session.scalar(select(func.count(StaffAlert.id)))
    urgent, product = await _say(relay, "p-fr", "j'ai passé la nuit à l'hôpital")
    assert product.text is not None and "traitement de l'étude" in product.text
    assert urgent.text is not None  # told at once, in a message of its own
    assert urgent.text.startswith("D'après ce que vous décrivez")
    event = _event(migrated_engine)
    assert event.serious is True
    assert event.report_due is not None
    assert event.report_due - event.created_at == dt.timedelta(hours=24)
    with sessions() as session:
        assert session.scalar(select(func.count(StaffAlert.id))) == (before or 0) + 1
        alert = session.scalars(select(StaffAlert).order_by(StaffAlert.id.desc())).first()
        assert alert is not None and alert.event_id == event.id
        subject, body = alerts.text_of(session.get(SafetyEvent, event.id), relay.cipher)  # type: ignore[arg-type]
    assert "SERIOUS" in subject
    assert "Report to the sponsor by" in body and "hospitalisation" in body
    (done,) = await _say(relay, "p-fr", "Passer")
    assert done.text is not None and done.text.startswith("Merci. J'ai ajouté vos réponses")


async def test_an_emergency_comes_first_and_the_follow_up_waits(
    migrated_engine: Engine, alerting: Settings
) -> None:
    relay = _relay(migrated_engine, alerting)
    await _say(relay, "p-e", "the injection site is really swollen and itchy")
    (emergency,) = await _say(relay, "p-e", "now my throat is closing up I can't breathe")
    assert emergency.text is not None and "112" in emergency.text
    (next_question,) = await _say(relay, "p-e", "this morning")  # the onset, still awaited
    assert next_question.text is not None and "still going on" in next_question.text


class _Answering(UpRasa):
    """Rasa up, answering every message from the knowledge base."""

    async def send(
        self, sender: str, text: str, metadata: dict[str, Any], parse: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        return [{"text": f"(the answer to {text!r})"}]


def _relay_with(engine: Engine, settings: Settings, rasa: UpRasa) -> Relay:
    return Relay(settings=settings, sessions=make_session_factory(engine), rasa=rasa, channels={})


def _answering_relay(engine: Engine, settings: Settings) -> Relay:
    return _relay_with(engine, settings, _Answering())


def _participant(engine: Engine, relay: Relay, sender: str, trial: str, language: str) -> None:
    """The web chat `sender` linked to a participant of `trial`."""
    zone = "Europe/Paris" if language == "fr" else "Europe/London"
    with make_session_factory(engine).begin() as session:
        session.add(
            Participant(
                code=f"S-{sender}", trial=trial, language=language, timezone=zone,
                sender_key=relay.sender_key("web", sender),
            )
        )  # fmt: skip


async def test_a_question_of_their_own_is_answered_then_the_question_is_shown_again(
    migrated_engine: Engine, alerting: Settings
) -> None:
    """Tried on the phone: a question in the middle of the follow-up ended it, and the side
    effect's course was never asked."""
    relay = _answering_relay(migrated_engine, alerting)
    await _say(relay, "p-q", "I keep feeling sick since the new pills")
    answer, still = await _say(relay, "p-q", "when is my next visit?")
    assert answer.text == "(the answer to 'when is my next visit?')"
    assert still.text is not None and still.text.startswith(
        "When you are ready, my question about what you reported is still open:"
    )
    assert "When did it start?" in still.text and _titles(still)[:2] == ["Today", "Yesterday"]
    (course,) = await _say(relay, "p-q", "sunday")
    assert course.text is not None and course.text.startswith("Is it still going on?")
    # "still" in a question of their own answers nothing: the question comes back.
    answer, still = await _say(relay, "p-q", "can I still take ibuprofen?")
    assert answer.text == "(the answer to 'can I still take ibuprofen?')"
    assert still.text is not None and still.text.endswith("Is it still going on?")
    # Moving on again at the same question ends them: nothing more after the answer.
    (only,) = await _say(relay, "p-q", "and paracetamol?")
    assert only.text == "(the answer to 'and paracetamol?')"
    assert _event(migrated_engine).follow_up_step == asking.DONE


async def test_a_report_in_two_messages_is_read_whole(
    migrated_engine: Engine, alerting: Settings
) -> None:
    relay = _answering_relay(migrated_engine, alerting)
    await _say(relay, "p-2", "the study tablets gave me a rash")
    (severity,) = await _say(relay, "p-2", "it started on monday and it's still itchy")
    assert severity.text is not None and "daily life" in severity.text  # course not asked
    facts = asking.facts_of(_event(migrated_engine), relay.cipher)
    assert facts.onset == _monday_before(_event(migrated_engine).created_at.date())
    assert facts.ongoing is True


def _monday_before(day: dt.date) -> str:
    back = (day.weekday() - 0) % 7 or 7
    return (day - dt.timedelta(days=back)).isoformat()


async def test_someone_writing_for_the_participant_is_asked_about_them(
    migrated_engine: Engine, alerting: Settings
) -> None:
    relay = _answering_relay(migrated_engine, alerting)
    ack, _first = await _say(
        relay, "p-rel", "I'm writing for my husband, the study pills give him bad cramps"
    )
    assert ack.text is not None
    assert "They should not stop or change their study treatment on their own." in ack.text
    await _say(relay, "p-rel", "/follow_up:onset=yesterday")
    (severity,) = await _say(relay, "p-rel", "yes still")
    assert severity.text is not None
    assert severity.text.startswith("How much does it affect their daily life?")
    (care,) = await _say(relay, "p-rel", "moderate")
    assert care.text == "Did they need any care for it?"
    await _say(relay, "p-rel-fr", "J'écris pour mon mari, depuis les comprimés de l'étude il vomit")
    await _say(relay, "p-rel-fr", "hier")
    (grave,) = await _say(relay, "p-rel-fr", "oui")
    assert grave.text is not None and "gêne-t-il sa vie de tous les jours" in grave.text
    await _say(relay, "p-rel-fr", "modéré")
    (when,) = await _say(relay, "p-rel-fr", "non")  # no care; the treatment was named
    assert when.text is not None and when.text.startswith(
        "Quand la personne a-t-elle pris son traitement"
    )
    (done,) = await _say(relay, "p-rel-fr", "hier soir")
    assert done.text is not None and "Si la personne se sent très mal" in done.text


async def test_an_unreadable_answer_is_asked_again_once_then_passed(
    migrated_engine: Engine, alerting: Settings
) -> None:
    relay = _relay(migrated_engine, alerting)
    await _say(relay, "p-u", "my legs ache since the study drug")
    (again,) = await _say(relay, "p-u", "hmm")
    assert again.text is not None and again.text.startswith("Sorry, I did not understand")
    assert "When did it start?" in again.text and _titles(again)[:2] == ["Today", "Yesterday"]
    # Not understood twice: the question is passed, the next one asked (not sent to Rasa, which
    # would answer "hmm" as a question).
    (following,) = await _say(relay, "p-u", "hmm")
    assert following.text is not None
    assert following.text.startswith("I'll leave that question out.\n\nIs it still going on?")
    (typed,) = await _say(relay, "p-u", "no more questions")
    assert typed.text is not None and "no more questions" in typed.text
    (later,) = await _say(relay, "p-u", "/follow_up:ongoing=yes")  # an old button, tapped later
    assert later.text is not None and "no more questions" in later.text


def test_serious_events_are_alerted_again_until_acknowledged(
    migrated_engine: Engine, alerting: Settings
) -> None:
    sessions = make_session_factory(migrated_engine)
    now = dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)
    with sessions.begin() as session:
        session.add(
            SafetyEvent(
                kind="adverse_event", category="x", sender_key="k", channel="web",
                language="en", text="x", serious=True, created_at=now - dt.timedelta(hours=3),
                report_due=now + dt.timedelta(hours=21), alerted_at=now - dt.timedelta(hours=2),
            )
        )  # fmt: skip
    with sessions.begin() as session:
        assert alerts.realert(session, alerting, now) == 1
    with sessions.begin() as session:
        assert alerts.realert(session, alerting, now) == 0  # not again within the hour
        session.execute(update(SafetyEvent).values(status="acknowledged"))
    later = now + dt.timedelta(hours=2)
    with sessions.begin() as session:
        assert alerts.realert(session, alerting, later) == 0  # acknowledged: no more
        assert session.scalar(select(func.count(StaffAlert.id))) == 1


# --- for staff --------------------------------------------------------------------------------


async def test_staff_show_export_and_correct_the_record(
    migrated_engine: Engine, alerting: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    relay = _relay(migrated_engine, alerting)
    await _say(relay, "p-s", "since monday my arm is swollen where they injected, still is")
    await _say(relay, "p-s", "/follow_up:severity=mild")
    with make_session_factory(migrated_engine).begin() as session:
        session.execute(update(SafetyEvent).values(trial="dmx-101"))
    url = migrated_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("TRIALBOT_VAR_DIR", str(alerting.var_dir))
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        (listed,) = json.loads(runner.invoke(app, ["safety", "list", "--json"]).output)
        assert listed["follow_up"] == {
            "onset": listed["follow_up"]["onset"] and _monday(listed), "ongoing": True,
            "severity": "mild",
            "serious": None, "seriousness": [], "complete": False,
        }  # fmt: skip
        assert "report_due" not in listed
        event_id = listed["id"]

        corrected = runner.invoke(app, ["safety", "correct", str(event_id), "care=hospital"])
        assert corrected.exit_code == 0, corrected.output
        assert "report due" in corrected.output
        wrong = runner.invoke(app, ["safety", "correct", str(event_id), "severity=awful"])
        assert wrong.exit_code == 1 and "mild, moderate, severe" in wrong.output

        shown = json.loads(runner.invoke(app, ["safety", "show", str(event_id), "--json"]).output)
        assert shown["seriousness_criteria"] == ["hospitalisation"] and shown["serious"] is True
        assert shown["reporter"] == "participant" and shown["outcome"] == (
            "not recovered/not resolved"
        )
        assert shown["corrected_by_staff"] == ["care"]
        assert shown["report_due"] is not None
        # A button tapped is its meaning, not its payload (staff saw "/follow_up:severity=mild").
        assert shown["follow_up_answers"] == [
            {"question": "severity", "answer": "mild", "tapped": True}
        ]
        printed = runner.invoke(app, ["safety", "show", str(event_id)]).output
        assert "severity: mild (button)" in printed and "/follow_up" not in printed
        missing = runner.invoke(app, ["safety", "show", "999", "--json"])
        assert missing.exit_code == 1 and json.loads(missing.output) == {
            "error": "there is no safety event 999"
        }

        out = tmp_path / "dmx.csv"
        exported = runner.invoke(
            app, ["safety", "export", "--trial", "dmx-101", "--format", "csv", "-o", str(out)]
        )
        assert exported.exit_code == 0, exported.output
        header, row = out.read_text(encoding="utf-8").splitlines()
        assert header.split(",")[:4] == ["id", "trial", "participant", "participant_code"]
        assert "hospitalisation" in row and "swollen" in row
        as_json = runner.invoke(app, ["safety", "export", "--trial", "dmx-101", "--format", "json"])
        assert [case["id"] for case in json.loads(as_json.output)] == [event_id]
    finally:
        get_settings.cache_clear()
    with Session(migrated_engine) as session:
        actions = session.scalars(select(StaffAudit.action).order_by(StaffAudit.id)).all()
        assert actions == ["safety.correct", "safety.export", "safety.export"]


def _monday(listed: dict[str, Any]) -> str:
    """The reported onset, when it is the Monday before the report ("since monday"): the one a
    week back when the report is written on a Monday."""
    onset = dt.date.fromisoformat(listed["follow_up"]["onset"])
    received = dt.datetime.fromisoformat(listed["created_at"]).date()
    assert onset.weekday() == 0 and 1 <= (received - onset).days <= 7, (onset, received)
    return str(onset.isoformat())


def test_payloads_are_the_gateways_alone() -> None:
    assert followup.is_button(followup.payload("care", "none"))
    assert not followup.is_button("/confirm_appointment")


async def test_answers_as_patients_give_them_in_french(
    migrated_engine: Engine, alerting: Settings
) -> None:
    """Played on the phone-sized web chat: "ça va ça vient" goes on, "assez gênant" answers the
    next question, and "c'est bon merci" ends the questions (and says so) instead of being
    asked again."""
    relay = _relay(migrated_engine, alerting)
    await _say(relay, "p-f", "jai mal au ventre depuis les comprimés")
    (ongoing,) = await _say(relay, "p-f", "avant hier")
    assert ongoing.text is not None and ongoing.text.startswith("Est-ce que ça dure encore")
    (severity,) = await _say(relay, "p-f", "ca va ca vient")
    assert severity.text is not None and "vie de tous les jours" in severity.text
    await _say(relay, "p-f", "Passer")
    (care,) = await _say(relay, "p-f", "assez genant")  # the severity, passed: no care answer
    assert care.text is not None and care.text.startswith("Désolé")  # not an answer to care
    facts = asking.facts_of(_event(migrated_engine), relay.cipher)
    assert facts.ongoing is True and facts.onset is not None
    (ended,) = await _say(relay, "p-f", "cest bon merci")  # done with the questions
    assert ended.text is not None and ended.text.startswith("D'accord, je m'arrête là.")
    assert _event(migrated_engine).follow_up_step == asking.DONE
    # Tried on the phone: "c bon" at a question got the assistant's goodbye, and the report
    # seemed forgotten.
    await _say(relay, "p-cb", "des boutons partout depuis les comprimés")
    (closed,) = await _say(relay, "p-cb", "c bon")
    assert closed.text is not None and "L'équipe de l'étude a votre signalement" in closed.text


async def test_a_question_in_the_same_message_is_answered_first_then_the_follow_up_waits(
    migrated_engine: Engine, alerting: Settings
) -> None:
    relay = _relay(migrated_engine, alerting)
    ack, answer = await _say(relay, "p-b", "since the injection my arm is swollen, is it paid?")
    assert ack.text is not None and "passed this on" in ack.text
    assert answer.text is not None and "can't answer right now" in answer.text  # Rasa is down
    assert _event(migrated_engine).follow_up_step == asking.LATER
    (back,) = await _say(relay, "p-b", "ok")  # Rasa still down: the follow-up waits for it
    assert back.text is not None and "can't answer right now" in back.text


async def test_another_button_tapped_meanwhile_goes_on_and_the_question_stays_open(
    migrated_engine: Engine, alerting: Settings
) -> None:
    relay = _relay(migrated_engine, alerting)
    await _say(relay, "p-t", "the study pills make me dizzy")
    (rasa,) = await _say(relay, "p-t", '/feedback{"helpful":"yes"}')  # an answer's 👍
    assert rasa.text is not None and "can't answer right now" in rasa.text  # went to Rasa
    assert _event(migrated_engine).follow_up_step == "onset"
    # (The tap still waits for Rasa, down here: it is tried again, and apologised for, too.)
    ongoing, *waiting = await _say(relay, "p-t", "yesterday")
    assert ongoing.text is not None and ongoing.text.startswith("Is it still going on?")
    assert [reply.text and "can't answer right now" in reply.text for reply in waiting] == [True]


async def test_stop_at_a_question_ends_the_questions_and_says_how_to_stop_messages(
    migrated_engine: Engine, alerting: Settings
) -> None:
    """Tried on the phone: "stop" at a question cancelled every reminder (the stop_messages
    command). It now ends the questions; STOP again stops the messages, as the reply says."""
    relay = _relay(migrated_engine, alerting)
    await _say(relay, "p-stop", "the tablets give me a rash since monday")
    (ended,) = await _say(relay, "p-stop", "stop")
    assert ended.text is not None and ended.text.startswith("All right, no more questions.")
    assert "write STOP again" in ended.text
    assert _event(migrated_engine).follow_up_step == asking.DONE
    (rasa,) = await _say(relay, "p-stop", "STOP")  # now the command, for Rasa (down here)
    assert rasa.text is not None and "can't answer right now" in rasa.text
    await _say(relay, "p-stop2", "since the injection my arm itches")
    (asked_to,) = await _say(relay, "p-stop2", "stop asking me")
    assert asked_to.text == (
        "All right, no more questions. The study team has your report and may contact you."
    )


async def test_a_report_that_says_why_it_is_serious_is_told_urgent_at_once(
    migrated_engine: Engine, alerting: Settings
) -> None:
    relay = _relay(migrated_engine, alerting)
    _ack, urgent, first = await _say(
        relay, "p-now", "the tablets made me so dizzy i fell and they kept me overnight in hospital"
    )
    assert (
        urgent.text
        == "Because of what you describe, the study team will treat your report as urgent."
    )
    assert first.text is not None and "When did it start?" in first.text
    assert _event(migrated_engine).serious is True


def test_a_report_that_names_the_study_treatment_is_asked_only_the_last_dose() -> None:
    """Tried on the phone: a report naming "les comprimés de l'étude" ended its questions
    without the last dose, which the safety officer needs."""
    said = extract("sore throat since i started the Study Tablets i think", RECEIVED)
    assert said.product == "the Study Tablets" and not said.known("product")
    asked = asking.question("product", "en", named=True)
    # Tried on the phone: "When did you last take it?", just after "no i just took
    # paracetamol", read as a question about the paracetamol.
    assert asked.text is not None
    assert asked.text.startswith("When did you last take your study treatment?")
    found = read_answer("product", "yesterday evening", RECEIVED)
    assert isinstance(found, Facts)
    after = followup.taken(said, "product", found, "yesterday evening", RECEIVED)
    assert after.product == "the Study Tablets" and after.last_dose == "2026-11-17"
    assert after.known("product")
    typed = followup.taken(
        said, "product", Facts(product="the white ones"), "the white ones", RECEIVED
    )
    assert typed.known("product") and typed.last_dose is None  # asked once: not again
    assert extract("mal au ventre depuis les comprimés de l'étude", RECEIVED).product == (
        "comprimés de l'étude"
    )
    assert not extract("rash after my jab", RECEIVED).known("product")  # which one: asked


@pytest.mark.parametrize(
    ("text", "who"),
    [
        ("this is his daughter. my dad passed away on the 13th", "relative"),
        ("J'écris pour mon conjoint qui participe à l'étude, il a de la fièvre", "relative"),
        ("Mon mari a été transporté par le SAMU, il est en réa", "relative"),
        # Replayed on the phone: a son and a daughter, who had said who they were earlier.
        ("so mum had a bad reaction friday night after her inhaler", "relative"),
        (
            "mon pere tousse beaucoup depuis 5 jours, depuis quil a commencé le nouvel inhalateur",
            "relative",
        ),
        # Tried on the phone: the person it happened to named by a pronoun, after a first
        # message that said who ("im writing for my mum") and was no report.
        ("she has a rash on her arms since yesterday", "relative"),
        ("hes been sick all night since the new tablets", "relative"),
        ("elle a des plaques rouges depuis hier", "relative"),
        ("du coup il a vomi 2 fois cette nuit", "relative"),
        # The participant telling of their own, with someone else in the story.
        ("i have a rash, she said its normal", "participant"),
        ("the nurse said she will call me, my chest hurts", "participant"),
        ("il y a des plaques sur mes bras depuis hier", "participant"),
        ("my husband had to drive me to A&E", "participant"),
        ("mon mari a appelé le 15, j'ai fait un malaise", "participant"),
        # A mother in the study telling of her baby is the participant.
        ("Our son was born on 3 November with a hole in his heart", "participant"),
    ],
)
def test_the_reporter_is_the_participant_or_a_relative_writing_for_them(
    text: str, who: str
) -> None:
    assert followup.reporter(text) == who


async def test_stop_at_the_treatment_question_is_no_treatment(
    migrated_engine: Engine, alerting: Settings
) -> None:
    """Tried on the phone: "stop" at the last question was saved as the study treatment."""
    relay = _relay(migrated_engine, alerting)
    await _say(relay, "p-st", "the tablets give me a rash since monday, still there")
    await _say(relay, "p-st", "mild")
    (product,) = await _say(relay, "p-st", "no")
    assert product.text is not None and "Which study treatment" in product.text
    (ended,) = await _say(relay, "p-st", "stop")
    assert ended.text is not None and "write STOP again" in ended.text
    assert asking.facts_of(_event(migrated_engine), relay.cipher).product is None


async def test_an_answer_with_a_question_after_it_gets_both(
    migrated_engine: Engine, alerting: Settings
) -> None:
    """Tried on the phone: "l'inhalateur violet, ce matin. au fait je dois continuer à le
    prendre ?" was all kept as the treatment's name, and the question was lost."""
    relay = _answering_relay(migrated_engine, alerting)
    await _say(relay, "p-aq", "the tablets gave me a rash since monday, still there")
    await _say(relay, "p-aq", "mild")
    await _say(relay, "p-aq", "no")
    (answer,) = await _say(
        relay, "p-aq", "the white tablets, this morning. btw should I keep taking them?"
    )
    assert answer.text is not None and "should I keep taking them?" in answer.text  # Rasa's
    facts = asking.facts_of(_event(migrated_engine), relay.cipher)
    assert facts.product == "the white tablets"
    assert _event(migrated_engine).follow_up_step == asking.DONE
    # Mid-way, the next question comes after the assistant's answer.
    await _say(relay, "p-aq2", "the study tablets give me headaches since yesterday")
    answer, course = await _say(relay, "p-aq2", "ya still there. will it last long?")
    assert answer.text is not None and "will it last long?" in answer.text
    assert course.text is not None and "daily life" in course.text
    # Tried on the phone: the opening words came again with it.
    assert course.text.startswith("How much does it affect your daily life?")


async def test_is_it_normal_is_said_to_be_the_study_teams_to_judge(
    migrated_engine: Engine, alerting: Settings
) -> None:
    """Tried on the phone: "is that normal with the tablets?" in a report, or alone in the
    middle of the questions, got no answer, or "I'm not sure I have a checked answer" and a
    knowledge gap for staff."""
    relay = _answering_relay(migrated_engine, alerting)
    said, first = await _say(
        relay,
        "p-n",
        "had a bad headache monday, gone since yesterday. is that normal with the tablets?",
    )
    assert said.text is not None and "Thank you for telling us" in said.text
    assert "You asked whether this is normal or serious. I can't judge that" in said.text
    assert first.text is not None and "How much did it affect your daily life?" in first.text
    normal, again = await _say(relay, "p-n", "is it normal??")
    assert normal.text is not None and normal.text.startswith("You asked whether this is normal")
    assert again.text is not None and "How much did it affect your daily life?" in again.text
    (both,) = await _say(relay, "p-n", "moderate. c grave ?")  # an answer, then the question
    assert both.text is not None and both.text.startswith("You asked whether this is normal")
    assert "Did you need any care for it?" in both.text
    assert asking.facts_of(_event(migrated_engine), relay.cipher).severity == "moderate"


class _AskingToContact(UpRasa):
    """Rasa ends a pre-screening with a question that has buttons."""

    async def send(
        self, sender: str, text: str, metadata: dict[str, Any], parse: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        if "contact" in text:
            return [{"text": "Noted."}]
        return [
            {
                "text": "Would you like the study team to contact you?",
                "buttons": [{"title": "Yes, contact me", "payload": "/contact"}],
            }
        ]


async def test_the_follow_up_waits_while_the_assistant_asks_with_buttons(
    migrated_engine: Engine, alerting: Settings
) -> None:
    """Tried on the phone: the follow-up's question came beside "would you like the team to
    contact you?", and the wish to be contacted was lost."""
    relay = _relay_with(migrated_engine, alerting, _AskingToContact())
    await _say(relay, "p-ch", "the study tablets give me headaches since yesterday")
    (choice,) = await _say(relay, "p-ch", "what happens next with my screening?")
    assert choice.text == "Would you like the study team to contact you?"  # nothing beside it
    noted, course = await _say(relay, "p-ch", "yes contact me please")
    assert noted.text == "Noted."
    assert course.text is not None and course.text.endswith("Is it still going on?")


async def test_stop_to_the_form_ends_the_questions_held_back_for_it(
    migrated_engine: Engine, alerting: Settings
) -> None:
    relay = _answering_relay(migrated_engine, alerting)
    await _say(relay, "p-hb", "the study tablets give me headaches since yesterday")
    with make_session_factory(migrated_engine).begin() as session:
        session.execute(update(SafetyEvent).values(follow_up_step=asking.LATER))
    (only,) = await _say(relay, "p-hb", "stop")
    assert only.text == "(the answer to 'stop')"  # the form's own stop, nothing more
    assert _event(migrated_engine).follow_up_step == asking.DONE


def test_its_not_an_emergency_answers_nothing_asked() -> None:
    """Replayed on the phone: "no its not an emergency now shes already in hospital" to "is it
    still going on?" was kept as "no, it has stopped"."""
    said = "no its not an emergency now shes already in hospital, the doctors think its the pills"
    assert read_answer("ongoing", said, RECEIVED) is None
    assert extract(said, RECEIVED).care == "hospital"
    assert extract("j'ai la diarrhée tout le temps", RECEIVED).ongoing is True


def test_an_age_is_not_when_it_started() -> None:
    said = extract("58 ans et depuis que je prends la metformine j'ai la diarrhée", RECEIVED)
    assert said.onset is None


class _Slots(_Answering):
    """Rasa up, keeping the slots the gateway sets."""

    def __init__(self) -> None:
        super().__init__()
        self.slots: dict[str, Any] = {}

    async def set_slots(self, sender: str, slots: dict[str, Any], *, new: bool = False) -> None:
        self.slots.update(slots)


async def test_the_trial_a_report_names_stays_in_context(
    migrated_engine: Engine, alerting: Settings
) -> None:
    """Tried on the phone: the asthma study named in a report was lost one message later (the
    next report had no trial, "c quoi le numéro de l'équipe" got both studies' numbers)."""
    rasa = _Slots()
    relay = _relay_with(migrated_engine, alerting, rasa)
    await _say(
        relay,
        "p-tr",
        "j'ai été hospitalisé à cause d'une réaction à l'inhalateur de l'étude asthme",
    )
    await _say(relay, "p-tr", "c quoi le numero de l'equipe ?")
    assert rasa.slots.get("trial") == "demo-asthma-002"
    await _say(relay, "p-tr", "stop")  # the follow-up's questions end
    await _say(relay, "p-tr", "et j'ai des plaques qui grattent depuis l'inhalateur")
    with make_session_factory(migrated_engine)() as session:
        trials = session.scalars(select(SafetyEvent.trial).order_by(SafetyEvent.id)).all()
    assert trials == ["demo-asthma-002", "demo-asthma-002"]


async def test_more_of_the_same_report_is_kept_with_it_not_counted_twice(
    migrated_engine: Engine, alerting: Settings
) -> None:
    """Replayed on the phone: a second message about the same hospital stay opened a second
    serious event, with a second acknowledgement and the first question again."""
    relay = _answering_relay(migrated_engine, alerting)
    await _say(
        relay, "p-more", "slt jai ete hospitalise 2 jours la semaine derniere a cause d une "
        "grosse reaction a l inhalateur de l etude asthme",
    )  # fmt: skip
    (added,) = await _say(
        relay, "p-more", "c etait une grosse crise d urticaire apres l inhalateur, j ai encore "
        "des plaques qui grattent",
    )  # fmt: skip
    assert added.text is not None and added.text.startswith(
        "Merci, je l'ai ajouté à votre signalement."
    )
    assert "Quand cela a-t-il commencé" in added.text  # still the question waiting
    event = _event(migrated_engine)  # one event
    assert "crise d urticaire" in (relay.cipher.decrypt(event.text) or "")
    assert asking.facts_of(event, relay.cipher).ongoing is True  # "j'ai encore des plaques"


class _NotSure(UpRasa):
    """Rasa has no checked answer, and offers the study team."""

    async def send(
        self, sender: str, text: str, metadata: dict[str, Any], parse: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        return [
            {
                "text": "I'm not sure I have a checked answer to that.",
                "buttons": [{"title": "Contact the study team", "payload": "/request_human"}],
            }
        ]


async def test_the_question_comes_back_after_an_answer_that_only_offers_the_team(
    migrated_engine: Engine, alerting: Settings
) -> None:
    """Replayed on the phone: after "I'm not sure… [Contact the study team]" the question was
    not shown again, and "a bit" then went to the assistant ("Goodbye, and take care")."""
    relay = _relay_with(migrated_engine, alerting, _NotSure())
    await _say(relay, "p-ns", "the study tablets give me headaches since yesterday")
    not_sure, still = await _say(relay, "p-ns", "will it go away on its own?")
    assert not_sure.text == "I'm not sure I have a checked answer to that."
    assert still.text is not None and still.text.endswith("Is it still going on?")
    (following,) = await _say(relay, "p-ns", "a bit")  # read by the follow-up
    # (How much of it is left: its effect on daily life is asked next.)
    assert following.text is not None and "How much does it affect" in following.text
    assert asking.facts_of(_event(migrated_engine), relay.cipher).ongoing is True


async def test_skip_typed_after_the_questions_ended_is_not_a_question(
    migrated_engine: Engine, alerting: Settings
) -> None:
    """Replayed on the phone: a stray "skip" after the last question was logged as a question no
    entry answers, and a second one handed the chat to the team."""
    relay = _answering_relay(migrated_engine, alerting)
    await _say(relay, "p-sk", "the study tablets give me headaches since yesterday")
    await _say(relay, "p-sk", "stop")
    (ended,) = await _say(relay, "p-sk", "skip")
    assert ended.text is not None and ended.text.startswith("All right, no more questions.")
    (other,) = await _say(relay, "p-sk2", "skip")  # no side effect of theirs: the assistant's
    assert other.text == "(the answer to 'skip')"


async def test_a_participant_telling_of_a_hospital_stay_or_a_symptom_reports_it(
    migrated_engine: Engine, alerting: Settings
) -> None:
    """Tried on the phone: a participant of the diabetes study wrote "i was admitted to hospital
    on wednesday for very low sugars, they kept me 2 nights, home now" and no safety event was
    made (the rules waited for the message to say it was about the trial); "jai mal au ventre et
    la diarhee depuis 3 jours" got only the answer about the visit."""
    relay = _answering_relay(migrated_engine, alerting)
    stay = (
        "i was admitted to hospital on wednesday for very low sugars, they kept me 2 nights, "
        "home now"
    )
    for sender in ("p-stay", "p-belly"):
        _participant(migrated_engine, relay, sender, "demo-t2d-001", "en")
    said, *_ = await _say(relay, "p-stay", stay)
    assert said.text is not None and "Thank you for telling us" in said.text
    event = _event(migrated_engine)
    assert event.kind == "adverse_event" and event.serious
    assert "hospitalisation" in asking.facts_of(event, relay.cipher).seriousness
    # Someone who is not a participant and says nothing of a trial: not a report (yet).
    (answer,) = await _say(relay, "p-someone", stay)
    assert answer.text == f"(the answer to {stay!r})"
    replies = await _say(
        relay,
        "p-belly",
        "jai mal au ventre et la diarhee depuis 3 jours c tjs la. c quand mon prochain rdv?",
    )
    assert any("the answer to 'c quand mon prochain rdv?'" in (r.text or "") for r in replies)
    with make_session_factory(migrated_engine)() as session:
        assert session.scalar(select(func.count()).select_from(SafetyEvent)) == 2


def test_answers_the_phone_tryout_read_wrong() -> None:
    """Tried on the phone: "last one yday morning, didnt take today" dated the last dose today,
    "not really bothering me, just annoying" was moderate, "comes n goes" not understood."""
    now = dt.datetime(2026, 12, 6, 10, tzinfo=dt.UTC)
    dose = read_answer("product", "dmx tabs, last one yday morning, didnt take today", now)
    assert isinstance(dose, Facts) and dose.last_dose == "2026-12-05"
    skipped = read_answer("product", "le dmx, je l'ai pas pris ce matin, dernier hier", now)
    assert isinstance(skipped, Facts) and skipped.last_dose == "2026-12-05"
    for said in ("not really bothering me, just annoying", "c genant mais sans plus"):
        found = read_answer("severity", said, now)
        assert isinstance(found, Facts) and found.severity == "mild", said
    for said in ("comes n goes", "ça va et ça vient"):
        found = read_answer("ongoing", said, now)
        assert isinstance(found, Facts) and found.ongoing is True, said


def test_not_going_to_work_is_no_answer_about_care() -> None:
    """Tried on the phone: "moyen, jsuis pas allé au boulot vendredi", answering how much it
    affects daily life, recorded "No care" although care was never asked nor said."""
    now = dt.datetime(2026, 12, 6, 10, tzinfo=dt.UTC)
    assert extract("jsuis pas allé au boulot vendredi", now).care is None
    for said in ("je suis pas allé chez le médecin", "pas allée aux urgences"):
        found = read_answer("care", said, now)
        assert isinstance(found, Facts) and found.care == "none", said


async def test_an_answer_then_a_question_after_a_comma_gets_both(
    migrated_engine: Engine, alerting: Settings
) -> None:
    """Tried on the phone: "jsp jai rien fait de special, c quoi mon prochain rdv", answering
    the care question, got the next question; the visit was never answered."""
    relay = _answering_relay(migrated_engine, alerting)
    await _say(
        relay, "p-cq", "j'ai des vertiges depuis lundi avec les comprimés de l'étude, c'est fini"
    )
    await _say(relay, "p-cq", "léger")
    answer, *_ = await _say(relay, "p-cq", "jsp jai rien fait de special, c quoi mon prochain rdv")
    assert answer.text is not None and "c quoi mon prochain rdv" in answer.text  # Rasa's
    assert asking.facts_of(_event(migrated_engine), relay.cipher).care == "none"


def test_words_that_name_no_treatment_are_no_answer_to_the_treatment_question() -> None:
    """Tried on the phone: "he IS in hospital already, they are looking after him", typed at
    the treatment question, was kept as the study treatment and the questions ended."""
    now = dt.datetime(2026, 12, 6, 10, tzinfo=dt.UTC)
    assert (
        read_answer("product", "he IS in hospital already, they are looking after him", now) is None
    )
    for said in ("the white ones", "le dmx", "the dmx tablets, yesterday morning", "XY-101 hier"):
        assert isinstance(read_answer("product", said, now), Facts), said


def test_a_number_of_days_is_no_severity_and_what_to_do_is_no_is_it_normal() -> None:
    """Replayed on the phone: "… depuis 3 jours c tjs la", under the severity question, was
    recorded as severe ("3"); "hes still in. what do i do" got "You asked whether this is
    normal" (the acknowledgement says what to do)."""
    now = dt.datetime(2026, 12, 6, 10, tzinfo=dt.UTC)
    said = "et du coup pour le mal de ventre et la diarhee ? depuis 3 jours c tjs la"
    assert read_answer("severity", said, now) is None
    for typed, level in (("3", "severe"), ("2 je dirais", "moderate")):
        found = read_answer("severity", typed, now)
        assert isinstance(found, Facts) and found.severity == level, typed
    from bot.safety import remainder

    assert not remainder.about_the_report("he was admitted yesterday, hes still in. what do i do")
    assert remainder.about_the_report("is that normal with the tablets?")


def test_the_treatment_named_as_the_one_started_is_the_study_treatment() -> None:
    """Replayed on the phone: "since i started the new inhaler…", "…apres linhalateur" left the
    study treatment "not known yet" in the record."""
    now = dt.datetime(2026, 12, 6, 10, tzinfo=dt.UTC)
    assert extract("since i started the new inhaler my heart races", now).product == (
        "the new inhaler"
    )
    assert extract("des plaques rouges partout apres linhalateur", now).product == "linhalateur"
    assert extract("g des crampes depuis que je prend le comprime", now).product == "le comprime"


async def test_is_it_normal_beside_another_question_gets_both(
    migrated_engine: Engine, alerting: Settings
) -> None:
    """Replayed on the phone: "ok but is it normal? and when is my next visit", in the middle
    of the questions, got the visit only."""
    relay = _answering_relay(migrated_engine, alerting)
    await _say(relay, "p-nb", "the study tablets give me headaches since yesterday")
    answer, normal, still = await _say(
        relay, "p-nb", "ok but is it normal? and when is my next visit"
    )
    assert answer.text is not None and "when is my next visit" in answer.text  # Rasa's
    assert normal.text is not None and normal.text.startswith("You asked whether this is normal")
    assert still.text is not None and still.text.endswith("Is it still going on?")


def test_the_day_someone_came_home_from_hospital_is_not_when_it_began() -> None:
    """Tried on the phone: "je suis sortie jeudi", answering when it started, dated the side
    effect to the day the person left hospital."""
    now = dt.datetime(2026, 12, 6, 10, tzinfo=dt.UTC)
    assert read_answer("onset", "je suis sortie jeudi", now) is None
    for said in (
        "on m'a gardée 2 nuits, je suis sortie de l'hôpital jeudi",
        "discharged on friday",
    ):
        assert extract(said, now).onset is None, said
    began = extract("i was in hospital, got discharged thursday, the rash started monday", now)
    assert began.onset == "2026-11-30"


async def test_a_participant_naming_the_study_treatment_by_its_code_is_not_asked_which(
    migrated_engine: Engine, alerting: Settings
) -> None:
    """Tried on the phone: "depuis que je prends le dmx", from a participant of the DMX-101
    study, left the study treatment unknown and its question was asked."""
    relay = _answering_relay(migrated_engine, alerting)
    _participant(migrated_engine, relay, "p-dmx", "demo-t2d-001", "fr")
    replies = await _say(
        relay, "p-dmx", "jai des nausees depuis que je prends le dmx, depuis mardi"
    )
    assert "Merci" in (replies[0].text or "")
    assert asking.facts_of(_event(migrated_engine), relay.cipher).product == "le dmx"
    assert extract("nausea since i started dmx", dt.datetime.now(dt.UTC)).product is None
    assert extract("nausea since i started dmx", dt.datetime.now(dt.UTC), ("DMX-101",)).product == (
        "dmx"
    )


async def test_an_answer_typed_just_after_moving_on_twice_is_taken(
    migrated_engine: Engine, alerting: Settings
) -> None:
    """Tried on the phone: after two questions of their own at "Is it still going on?", the
    person answered it ("yes still there"); the answer went to the assistant and was lost."""
    relay = _answering_relay(migrated_engine, alerting)
    await _say(relay, "p-late", "I keep feeling sick since the new pills, started sunday")
    await _say(relay, "p-late", "what time does the clinic open?")
    (only,) = await _say(relay, "p-late", "can i bring my husband to the visit?")
    assert only.text == "(the answer to 'can i bring my husband to the visit?')"
    (severity,) = await _say(relay, "p-late", "yes still there")
    assert severity.text is not None and "daily life" in severity.text
    assert asking.facts_of(_event(migrated_engine), relay.cipher).ongoing is True
    # The chance is one message: a question after the answer goes to the assistant.
    await _say(relay, "p-late2", "I keep feeling sick since the new pills, started sunday")
    await _say(relay, "p-late2", "what time does the clinic open?")
    await _say(relay, "p-late2", "can i bring my husband to the visit?")
    (other,) = await _say(relay, "p-late2", "and is parking free?")
    assert other.text == "(the answer to 'and is parking free?')"
    (lost,) = await _say(relay, "p-late2", "yes still there")
    assert lost.text == "(the answer to 'yes still there')"


def test_the_treatment_answer_keeps_the_treatment_apart_from_when_it_was_last_taken() -> None:
    """Tried on the phone: "les comprimes dmx, hier soir" and "the inhaler, this morning" were
    each recorded whole as the study treatment; "i get headaches from the inhaler since monday"
    left the treatment unknown; the answer to "when did you last take it?" was labelled as the
    answer about the treatment."""
    now = dt.datetime(2026, 12, 6, 10, tzinfo=dt.UTC)
    for said, product, last in (
        ("les comprimes dmx, hier soir", "les comprimes dmx", "2026-12-05"),
        ("the inhaler, this morning", "the inhaler", "2026-12-06"),
        ("the white ones", "the white ones", None),
    ):
        found = read_answer("product", said, now)
        assert isinstance(found, Facts), said
        assert (found.product, found.last_dose) == (product, last), said
    assert extract("i get headaches from the inhaler since monday", now).product == "the inhaler"
    known = Facts(product="le dmx")
    dose = read_answer("product", "ce matin au petit dej", now)
    assert isinstance(dose, Facts)
    after = taken(known, "product", dose, "ce matin au petit dej", now)
    assert after.product == "le dmx" and after.last_dose == "2026-12-06"
    assert after.answers == (("last_dose", "ce matin au petit dej"),)
    assert after.next_step() != "product"


async def test_a_participant_telling_a_symptom_came_back_worse_reports_it(
    migrated_engine: Engine, alerting: Settings
) -> None:
    """Tried on the phone: "the headaches are back again today, worse", from a participant
    whose first report's questions were over, got general advice; staff saw nothing."""
    relay = _answering_relay(migrated_engine, alerting)
    _participant(migrated_engine, relay, "p-back", "demo-asthma-002", "en")
    said, *_ = await _say(relay, "p-back", "the headaches are back again today, worse")
    assert said.text is not None and "Thank you for telling us" in said.text
    assert _event(migrated_engine).kind == "adverse_event"


def test_how_it_changed_is_no_severity() -> None:
    """Tried on the phone: "yes its still there, maybe a bit redder today", answering whether
    it goes on, recorded the effect on daily life as mild; it was never asked."""
    now = dt.datetime(2026, 12, 6, 10, tzinfo=dt.UTC)
    for said in ("yes its still there, maybe a bit redder today", "oui, un peu plus rouge"):
        found = read_answer("ongoing", said, now)
        assert isinstance(found, Facts) and found.ongoing is True, said
        assert taken(Facts(), "ongoing", found, said, now).severity is None, said
    for said in ("a bit", "un peu", "slightly"):
        found = read_answer("severity", said, now)
        assert isinstance(found, Facts) and found.severity == "mild", said


async def test_a_side_effect_that_came_back_is_tied_to_its_first_report(
    migrated_engine: Engine, alerting: Settings
) -> None:
    """Tried on the phone: "the headaches are back again today, worse", minutes after a first
    report of them, was a card of its own, unlinked, of another kind ("reported" where the first
    read "after treatment"); it asked "Is it still going on?" after "back again today", and for
    the study treatment the first report had named."""
    relay = _answering_relay(migrated_engine, alerting)
    _participant(migrated_engine, relay, "p-again", "demo-asthma-002", "en")
    await _say(relay, "p-again", "since i started the inhaler i get bad headaches")
    await _say(relay, "p-again", "stop the questions")
    ack, question = await _say(relay, "p-again", "the headaches are back again today, worse")
    assert ack.text is not None and "Thank you for telling us" in ack.text
    # Going on now, and the treatment known: the next question is how it affects daily life.
    assert question.text is not None and "daily life" in question.text
    with make_session_factory(migrated_engine)() as session:
        first, again = session.scalars(select(SafetyEvent).order_by(SafetyEvent.id)).all()
        cipher = relay.cipher
        assert cipher.decrypt(again.category) == cipher.decrypt(first.category)
        assert again.trial == first.trial == "demo-asthma-002"
        facts = asking.facts_of(again, cipher)
        assert (facts.ongoing, facts.product) == (True, "the inhaler")
        assert report.case(again, cipher, None)["recurrence_of"] == first.id
        assert report.case(first, cipher, None)["came_back"] == [again.id]
        cards = {item.id: item for item in inbox.items(session, cipher)}
    said = dict(cards[again.id].details)
    assert said["Came back after the report of"].endswith(f"(#{first.id})")
    assert dict(cards[first.id].details)["Came back"].endswith(f"(#{again.id})")
    # A new symptom, not said to be back, is a report of its own.
    await _say(relay, "p-again", "stop the questions")
    await _say(relay, "p-again", "i also have a rash on my arms since yesterday")
    with make_session_factory(migrated_engine)() as session:
        *_, newest = session.scalars(select(SafetyEvent).order_by(SafetyEvent.id)).all()
        assert newest.id != again.id
        assert report.case(newest, relay.cipher, None)["recurrence_of"] is None


async def test_care_still_to_come_is_no_care_yet_and_the_questions_go_on(
    migrated_engine: Engine, alerting: Settings
) -> None:
    """Tried on the phone: "not yet, might go see my gp tmrw", answering whether it needed any
    care, got "Goodbye" ("might go…" read as a question of the person's own, sent to the
    assistant), the questions stopped, and the record said a doctor had seen it."""
    relay = _answering_relay(migrated_engine, alerting)
    await _say(relay, "p-gp", "since yesterday the tablets give me bad headaches")
    await _say(relay, "p-gp", "yeah still there")
    (care,) = await _say(relay, "p-gp", "/follow_up:severity=moderate")
    assert care.text is not None and "any care" in care.text
    (product,) = await _say(relay, "p-gp", "not yet, might go see my gp tmrw")
    assert product.text is not None and "Which study treatment" in product.text
    facts = asking.facts_of(_event(migrated_engine), relay.cipher)
    assert facts.care == "none"
    assert ("care", "not yet, might go see my gp tmrw") in facts.answers


def test_the_treatment_named_with_avec_or_depuis_and_a_degree_is_no_severity() -> None:
    """Tried on the phone: "j'ai des palpitations avec l'inhalateur" and "g des vertiges dpuis
    les comprimes" left the study treatment unknown (it was asked again); "oui tjr un peu",
    answering whether it goes on, recorded a mild effect on daily life that was never asked."""
    now = dt.datetime(2026, 12, 6, 10, tzinfo=dt.UTC)
    for said, product in (
        ("j'ai des palpitations avec l'inhalateur, c'est grave ?", "l'inhalateur"),
        ("bjr g des vertiges dpuis les comprimes", "les comprimes"),
        ("palpitations with my inhaler", "my inhaler"),
    ):
        assert extract(said, now).product == product, said
    assert extract("des nausées avec le repas", now).product is None
    for said, severity in (
        ("oui tjr un peu", None),
        ("yes still a bit", None),
        ("still a bit, not too bad", "mild"),
    ):
        found = read_answer("ongoing", said, now)
        assert isinstance(found, Facts) and found.ongoing is True, said
        assert taken(Facts(), "ongoing", found, said, now).severity == severity, said


async def test_the_card_says_where_the_person_ended_the_questions_and_dates_read_as_dates(
    migrated_engine: Engine, alerting: Settings
) -> None:
    """Tried on the phone: a report whose questions the person stopped showed five "not known
    yet" as if answers were still coming; its onset read "2026-12-01" beside times written
    "06 Dec 2026 12:19"; "(#7)" named a report by a number no card showed."""
    relay = _relay(migrated_engine, alerting)
    await _say(relay, "p-card", "the tablets give me a rash since monday")
    await _say(relay, "p-card", "stop")
    with make_session_factory(migrated_engine)() as session:
        (card,) = inbox.items(session, relay.cipher)
    said = dict(card.details)
    assert said["Questions"] == "ended by the person at: Still going on"
    assert re.fullmatch(r"\d{2} [A-Z][a-z]{2} \d{4}", said["Onset"]), said["Onset"]
    with make_session_factory(migrated_engine)() as session:
        (french,) = inbox.items(session, relay.cipher, lang="fr")
    assert dict(french.details)["Questions"] == "arrêtées par la personne à : Toujours en cours"


async def test_a_goodbye_at_a_question_ends_the_questions_and_says_goodbye(
    migrated_engine: Engine, alerting: Settings
) -> None:
    """ "je vous laisse, bonne continuation" was taken for a skip ("Je laisse cette question de
    côté") and the next question came; "bye now" got no goodbye."""
    relay = _relay(migrated_engine, alerting)
    await _say(relay, "p-bye-fr", "jai mal au ventre depuis les comprimés")
    (ended,) = await _say(relay, "p-bye-fr", "je vous laisse, bonne continuation")
    assert ended.text is not None and ended.text.startswith("D'accord, je m'arrête là.")
    assert ended.text.endswith(
        "Au revoir, prenez soin de vous. Vous pouvez m'écrire ici à tout moment."
    )
    await _say(relay, "p-bye-en", "my legs ache since the study drug")
    (bye,) = await _say(relay, "p-bye-en", "bye now")
    assert bye.text is not None and "no more questions" in bye.text and "Goodbye" in bye.text
