"""Pre-screening through the web chat, against the real Rasa and action servers, in both languages.

Every outcome of the CONTRACT is reached: likely eligible (with a contact request), not eligible
(with another trial suggested), needs review (with a staff follow-up), and "stop" part-way.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest

from bot.pseudonym import pseudonym
from bot.settings import Settings
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e


class Patient:
    """One person in the web chat: what they type, and what the assistant last said."""

    def __init__(self, stack: Stack, sender: str, lang: str) -> None:
        self.stack, self.sender, self.lang = stack, sender, lang
        self.last: list[dict[str, Any]] = []

    def says(self, text: str, **extra: Any) -> str:
        self.last = self.stack.chat(self.sender, text, lang=self.lang, **extra)
        return "\n".join(m.get("text", "") for m in self.last)

    def presses(self, title: str) -> str:
        buttons = [b for m in self.last for b in m.get("buttons", [])]
        (button,) = [b for b in buttons if b["title"] == title]
        return self.says(button["payload"])

    @property
    def buttons(self) -> list[str]:
        return [b["title"] for m in self.last for b in m.get("buttons", [])]

    def agrees_to_consent(self) -> str:
        """Press the consent question's "yes"; the answer includes what follows it."""
        (payload,) = [
            b["payload"]
            for m in self.last
            for b in m.get("buttons", [])
            if '"decision":"yes"' in b["payload"]
        ]
        return self.says(payload)

    def answers_the_diabetes_questions_from_its_type(self) -> str:
        """The DMX-101 questions after the age, answered as a likely participant; the outcome."""
        assert "at least 6 months ago" in self.presses("Type 2 diabetes")
        assert "metformin" in self.presses("Yes")
        assert "HbA1c" in self.says("yes I take metformin, and no insulin")
        assert "dialysis" in self.says("7.8 %")
        assert "sex at birth" in self.says("no")
        assert "pregnant" in self.presses("Female")
        return self.presses("No")

    @property
    def key(self) -> str:
        secret = Settings(TRIALBOT_VAR_DIR=self.stack.var_dir).pseudonym_secret()
        return pseudonym(secret, "web", self.sender)

    def rows(self, query: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.stack.var_dir / "trialbot.db") as connection:
            return connection.execute(query, (self.key,)).fetchall()


def test_likely_eligible_in_english_then_a_call_back_by_phone(stack: Stack) -> None:
    patient = Patient(stack, "e2e-screen-en-likely", "en")
    first = patient.says("can I join the diabetes study?")
    assert (
        "Before we go on" in first
        and patient.rows("SELECT * FROM screenings WHERE sender_key = ?") == []
    )
    started = patient.agrees_to_consent()
    assert "DMX-101 study (fictional demo)" in started and "How old are you?" in started
    assert "Which type of diabetes" in patient.says("I'm 52")
    assert patient.buttons == [
        "Type 2 diabetes", "Type 1 diabetes", "Another type", "I don't know",
    ]  # fmt: skip
    assert "at least 6 months ago" in patient.presses("Type 2 diabetes")
    assert "metformin" in patient.presses("Yes")
    # Several answers in one message: metformin, and insulin, which is then not asked.
    asked = patient.says("yes I take metformin, and no insulin")
    assert "HbA1c" in asked and "insulin" not in asked
    assert "a number from 3 to 20" in patient.says("25")  # out of range: asked again with it
    assert "dialysis" in patient.says("7.8 %")
    assert "sex at birth" in patient.says("no")
    assert "pregnant" in patient.presses("Female")
    outcome = patient.presses("No")
    assert "you may be able to take part" in outcome and "only the study team can decide" in outcome
    assert patient.buttons == ["Yes, contact me", "No, thanks"]
    (screening,) = patient.rows(
        "SELECT trial, criteria_version, outcome, answers, completed_at FROM screenings"
        " WHERE sender_key = ?"
    )
    assert screening[:3] == ("demo-t2d-001", 3, "likely_eligible") and screening[4] is not None
    assert "metformin" not in screening[3] and screening[3].startswith("gAAAAA")  # encrypted

    consent = patient.presses("Yes, contact me")
    assert "Before we go on" in consent  # being contacted needs its own consent
    assert "When would you prefer" in patient.agrees_to_consent()
    assert "How would you like them" in patient.presses("Morning")
    assert "Which phone number" in patient.presses("By phone")
    assert "doesn't look like a phone number" in patient.says("06 12")
    done = patient.says("+33 6 12 34 56 78")
    assert "you asked for the morning, and they will try to" in done
    (follow_up,) = patient.rows(
        "SELECT kind, trial, preferred_time, channel, phone, status FROM follow_ups"
        " WHERE sender_key = ?"
    )
    assert follow_up[:4] == ("contact", "demo-t2d-001", "morning", "phone")
    assert follow_up[4] and "612345678" not in follow_up[4] and follow_up[5] == "open"


def test_likely_eligible_in_french_with_several_answers_at_once(stack: Stack) -> None:
    patient = Patient(stack, "e2e-screen-fr-likely", "fr")
    patient.says("je voudrais participer à l'étude sur l'asthme")
    started = patient.agrees_to_consent()
    assert "l'étude AZ-202 sur l'asthme" in started and "Quel âge avez-vous" in started
    asked = patient.says("j'ai 40 ans et je ne fume pas")
    assert "diagnostiqué un asthme" in asked
    assert patient.buttons[:3] == [
        "Oui, il y a 12 mois ou plus", "Oui, il y a moins de 12 mois", "Non",
    ]  # fmt: skip
    assert "BPCO" in patient.presses("Oui, il y a 12 mois ou plus")
    assert "traitement de fond" in patient.presses("Non")
    assert "cortisone" in patient.presses("Oui")
    assert "hospitalisé" in patient.says("2 fois")
    asked = patient.presses("Non")
    assert "Fumez-vous" not in asked and "sexe à la naissance" in asked  # already answered
    outcome = patient.presses("Homme")
    assert "vous pourriez participer" in outcome and "seule l'équipe de l'étude" in outcome
    assert "Avant d'aller plus loin" in patient.presses("Oui, contactez-moi")
    assert "À quel moment" in patient.agrees_to_consent()
    assert "Comment souhaitez-vous" in patient.presses("L'après-midi")
    assert "vous écrira ici" in patient.presses("Ici, dans cette conversation")
    (row,) = patient.rows("SELECT outcome FROM screenings WHERE sender_key = ?")
    assert row == ("likely_eligible",)
    assert patient.rows(
        "SELECT preferred_time, channel, phone FROM follow_ups WHERE sender_key = ?"
    ) == [("afternoon", "chat", None)]


def test_not_eligible_in_english_suggests_the_other_trial(stack: Stack) -> None:
    patient = Patient(stack, "e2e-screen-en-not", "en")
    assert "Which study" in patient.says("am I eligible?")
    assert "Before we go on" in patient.presses("AZ-202 asthma study (fictional demo)")
    assert "How old are you?" in patient.agrees_to_consent()
    # A question instead of an answer: its vetted answer, then the same question again.
    answered = patient.says("will I get a placebo?")
    assert "placebo" in answered and "Source:" in answered and "How old are you?" in answered
    assert (
        "Thank you" in patient.presses("Yes 👍") and "How old are you?" in patient.last[-1]["text"]
    )
    patient.says("45")
    patient.presses("Yes, 12 months ago or more")
    patient.presses("No")  # COPD
    patient.presses("Yes")  # controller inhaler
    patient.says("1")  # steroid courses
    patient.presses("No")  # hospitalised
    outcome = patient.presses("Yes")  # smokes: excluded, at once
    assert "is not a match for you" in outcome and "changes nothing to your care" in outcome
    assert "do not rule you out of this other study" in outcome
    suggested, no_thanks = patient.buttons
    assert suggested.startswith("DMX-101 study (fictional demo)") and no_thanks == "No, thanks"
    resumed = patient.presses(suggested)
    # The age is known from the first screening: the diabetes study starts at its second question.
    assert "Which type of diabetes" in resumed and "How old" not in resumed
    assert patient.rows(
        "SELECT trial, outcome FROM screenings WHERE sender_key = ? ORDER BY id"
    ) == [
        ("demo-asthma-002", "not_eligible"),
        ("demo-t2d-001", "incomplete"),
    ]


def test_needs_review_in_french_records_a_staff_follow_up(stack: Stack) -> None:
    patient = Patient(stack, "e2e-screen-fr-review", "fr")
    patient.says("je suis diabétique, je peux m'inscrire ?")
    patient.agrees_to_consent()
    patient.says("58 ans")
    patient.presses("Diabète de type 2")
    patient.says("oui")
    patient.says("oui")
    patient.says("non")
    assert "dialyse" in patient.says("je sais pas")  # the HbA1c: "don't know" is an answer
    patient.says("non")
    outcome = patient.presses("Homme")
    assert "doivent être examinées par l'équipe" in outcome
    assert patient.rows("SELECT outcome FROM screenings WHERE sender_key = ?") == [
        ("needs_review",)
    ]
    assert patient.rows("SELECT kind, status FROM follow_ups WHERE sender_key = ?") == [
        ("review", "open")
    ]
    assert "personne ne vous contactera" in patient.presses("Non, merci")
    # Staff see what to review, and the answers (decrypted only on request).
    follow_ups = json.loads(stack.trialbot("screenings", "follow-ups", "--json"))
    mine = [f for f in follow_ups if f["participant"] == patient.key]
    assert [(f["kind"], f["trial"], f["language"]) for f in mine] == [
        ("review", "demo-t2d-001", "fr")
    ]
    listed = json.loads(stack.trialbot("screenings", "list", "--answers", "--json"))
    (screening,) = [s for s in listed if s["participant"] == patient.key]
    assert screening["answers"]["hba1c"] is None and screening["answers"]["age"] == 58
    assert {"criterion": "hba1c between 7.0 and 10.5", "question": "hba1c", "met": None} in (
        screening["reasons"]
    )


def test_stop_leaves_the_questions_and_a_new_start_resumes(stack: Stack) -> None:
    patient = Patient(stack, "e2e-screen-fr-stop", "fr")
    patient.says("je veux participer à l'essai sur l'asthme")
    patient.agrees_to_consent()
    patient.says("33 ans")
    stopped = patient.says("annuler")
    assert "j'ai arrêté les questions" in stopped
    assert "diagnostiqué" not in patient.says("merci")  # no question comes back on its own
    again = patient.says("je veux participer à l'essai sur l'asthme")
    assert "Quel âge" not in again and "diagnostiqué un asthme" in again
    assert patient.rows("SELECT outcome FROM screenings WHERE sender_key = ? ORDER BY id") == [
        ("stopped",),
        ("incomplete",),
    ]


def test_no_answer_is_stored_without_consent(stack: Stack) -> None:
    patient = Patient(stack, "e2e-screen-en-refused", "en")
    patient.says("can I take part in the asthma trial?")
    (payload,) = [
        b["payload"]
        for m in patient.last
        for b in m.get("buttons", [])
        if '"decision":"no"' in b["payload"]
    ]
    refused = patient.says(payload)
    assert "you said no" in refused and "How old" not in refused
    patient.says("I'm 45")
    assert patient.rows("SELECT * FROM screenings WHERE sender_key = ?") == []


def test_a_link_to_a_trial_starts_its_questions_without_asking_which(stack: Stack) -> None:
    patient = Patient(stack, "e2e-screen-link", "en")
    first = patient.says("am I eligible?", ref="camp_spring-fb__demo-asthma-002")
    assert "Which study" not in first and "Before we go on" in first
    assert "AZ-202 asthma study" in patient.agrees_to_consent()
    assert patient.rows("SELECT trial, campaign FROM screenings WHERE sender_key = ?") == [
        ("demo-asthma-002", "spring-fb")
    ]
