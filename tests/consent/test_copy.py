"""The participant's copy of a consent decision: a PDF that says what was decided, when, where and
by whom, with the exact text and the ledger record's hash; reached only by its own link."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session, sessionmaker

from bot.consent import copy, service
from bot.consent.texts import load_consents
from bot.db.models import ConsentRecord, Participant
from bot.settings import PROJECT_ROOT

WHO = "whatsapp-9b2e51"


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge" / "consent", target / "consent")
    return target


def _decide(session: Session, knowledge: Path, lang: str, agreed: bool = True) -> ConsentRecord:
    shown = service.to_ask(session, load_consents(knowledge), WHO, "reminders", lang)
    assert shown is not None
    return service.decide(session, WHO, shown.reference, agreed=agreed)


def _text(pdf: bytes) -> str:
    """The PDF's text as a reader extracts it, with lines joined (wrapping is the layout's)."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


def _words(text: str) -> str:
    return " ".join(text.replace("**", "").split())


def test_a_copy_says_what_was_decided_when_where_and_by_whom(
    sessions: sessionmaker[Session], knowledge: Path
) -> None:
    with sessions.begin() as session:
        session.add(
            Participant(code="S-042", trial="demo-t2d-001", sender_key=WHO, timezone="Europe/Paris")
        )
        record = _decide(session, knowledge, "fr")
        pdf = copy.render(copy.of_record(session, record), {"whatsapp": "WhatsApp"}.__getitem__)
    text = _text(pdf)
    assert pdf.startswith(b"%PDF-")
    assert "Votre copie de votre décision de consentement" in text
    assert "Vous avez accepté « Rappels de rendez-vous dans cette conversation »." in _words(text)
    assert "accord donné" in text and "version 1 du 2026-11-01" in text
    assert record.recorded_at.strftime("%Y-%m-%d %H:%M") in text and "UTC" in text
    assert "(heure de Paris)" in text
    assert "WhatsApp" in text and "S-042" in text
    assert record.hash in text.replace(" ", "")
    # The exact words the person agreed to, all of them.
    body = (knowledge / "consent" / "reminders.fr.md").read_text().split("---", 2)[2]
    first, last = body.strip().split("\n\n")[0], body.strip().split("\n\n")[-1]
    assert _words(first)[:80] in _words(text) and _words(last) in _words(text)


def test_a_refusal_and_a_withdrawal_say_what_they_mean(
    sessions: sessionmaker[Session], knowledge: Path
) -> None:
    with sessions.begin() as session:
        refused = _decide(session, knowledge, "en", agreed=False)
        text = _text(copy.render(copy.of_record(session, refused)))
        assert "You said no to “Appointment reminders in this chat”." in _words(text)
        assert "This changes nothing to your care." in text
        assert "(pseudonym)" in text  # not a participant: the ledger's pseudonym, never the id
        assert WHO not in text
        _decide(session, knowledge, "en")
        (withdrawn,) = withdrawal_records(session)
        text = _text(copy.render(copy.of_record(session, withdrawn)))
        assert "You withdrew your agreement to “Appointment reminders" in _words(text)


def withdrawal_records(session: Session) -> list[ConsentRecord]:
    from bot.rights import withdrawal

    return withdrawal.withdraw(session, WHO)


def test_a_link_opens_its_own_copy_only(sessions: sessionmaker[Session], knowledge: Path) -> None:
    tokens = copy.Tokens(b"a secret of this site")
    with sessions.begin() as session:
        first = _decide(session, knowledge, "en", agreed=False)
        second = _decide(session, knowledge, "en")
        token = tokens.issue(second)
        found = tokens.record(session, token)
        assert found is not None and found.seq == second.seq
        # Another record's number with this signature, another site's link, or nonsense: nothing.
        forged = f"{first.seq}-{token.partition('-')[2]}"
        assert tokens.record(session, forged) is None
        assert copy.Tokens(b"another site").record(session, token) is None
        for nonsense in ("", "1", "x-y", "99999999999999999-abc", f"{second.seq}-"):
            assert tokens.record(session, nonsense) is None


def test_the_trial_master_file_gets_a_participant_s_whole_history(
    sessions: sessionmaker[Session], knowledge: Path
) -> None:
    with sessions.begin() as session:
        participant = Participant(code="S-043", trial="demo-t2d-001", sender_key=WHO)
        session.add(participant)
        _decide(session, knowledge, "en", agreed=False)
        _decide(session, knowledge, "en")
        history = copy.of_participant(session, participant, "en")
        assert history is not None
        pdf = copy.render(history)
    reader = PdfReader(io.BytesIO(pdf))
    text = _text(pdf)
    assert len(reader.pages) >= 2
    assert "Consent decisions of participant S-043" in text
    assert text.index("You said no to") < text.index("You agreed to")


def test_without_the_unicode_font_the_copy_still_reads(
    sessions: sessionmaker[Session], knowledge: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(copy, "FONT_DIR", Path("/nonexistent"))
    with sessions.begin() as session:
        record = _decide(session, knowledge, "fr")
        text = _text(copy.render(copy.of_record(session, record)))
    assert "Vous avez accepté" in text and "décision" in text


def test_the_web_chat_is_named_in_the_persons_language(
    sessions: sessionmaker[Session], knowledge: Path
) -> None:
    """Tried on the phone: the French copy said "Canal : Web chat"."""
    with sessions.begin() as session:
        shown = service.to_ask(session, load_consents(knowledge), "web-5c1d07", "reminders", "fr")
        assert shown is not None
        record = service.decide(session, "web-5c1d07", shown.reference, agreed=True)
        pdf = copy.render(copy.of_record(session, record), {"web": "Web chat"}.__getitem__)
    assert "Chat web" in _text(pdf) and "Web chat" not in _text(pdf)


def test_each_purpose_reads_after_refused_in_french() -> None:
    """Tried on the phone: "vous avez refusé recevoir des rappels de rendez-vous"."""
    from bot.consent.texts import PURPOSES

    for consent_id, said in PURPOSES.items():
        assert said["fr"].startswith(("le ", "la ", "les ", "l'")), consent_id
