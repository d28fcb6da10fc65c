"""The participant's copy of a consent decision: a PDF with the exact text, the decision and what
it means, when (UTC and the person's local time), on which channel, who (the participant code,
or the ledger's pseudonym), and the ledger record's hash, in the person's language.

After each decision the person gets a link to their copy (`/consent/copy/<token>`). The token
names the ledger record and carries a signature over its hash, under a key derived from the
pseudonym secret (every gateway shares it): a link cannot be guessed from another, and a record
changed since no longer matches its link. `trialbot consent copy` prints a participant's whole
history the same way, for the trial master file.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.consent import ledger
from bot.db.models import (
    ConsentRecord,
    ConsentSubject,
    Participant,
    StoredConsentText,
    as_utc,
)
from bot.i18n import messages

log = logging.getLogger(__name__)

_LABEL = b"trialbot consent copy v1"
# Debian's fonts-dejavu-core (scripts/setup.sh installs it): every letter of both languages.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_REGULAR, _BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"


def _channel(name: str, lang: str, channel_title: Callable[[str], str]) -> str:
    """The channel as the person calls it in their language ("Chat web"); an app by its name."""
    key = f"copy_channel_{name}"
    return messages.text(key, lang) if messages.has(key) else channel_title(name)


def _say(key: str, lang: str, **values: object) -> str:
    return messages.text(f"copy_{key}", lang, **{name: str(v) for name, v in values.items()})


class Tokens:
    """The links to copies: `<seq>-<signature>`, checked against the record as it is now."""

    def __init__(self, secret: bytes) -> None:
        self._key = hmac.new(secret, _LABEL, hashlib.sha256).digest()

    def issue(self, record: ConsentRecord) -> str:
        return f"{record.seq}-{self._sign(record)}"

    def record(self, session: Session, token: str) -> ConsentRecord | None:
        """The record `token` names, if the token is one this site issued for it as it is."""
        seq, _, signature = token.partition("-")
        if not seq.isdigit() or len(seq) > 12 or not signature:
            return None
        record = session.scalar(select(ConsentRecord).where(ConsentRecord.seq == int(seq)))
        if record is None or not hmac.compare_digest(signature, self._sign(record)):
            return None
        return record

    def _sign(self, record: ConsentRecord) -> str:
        message = f"{record.seq}:{record.hash}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class Entry:
    """One decision as the copy shows it."""

    record: ConsentRecord
    text: StoredConsentText | None


@dataclass(frozen=True)
class Copy:
    """What a copy holds: decisions of one person, and who they are to the site."""

    entries: tuple[Entry, ...]
    who: str  # the participant code, or the ledger's pseudonym
    pseudonymous: bool
    timezone: str | None  # the person's, when the site knows it
    language: str


def of_record(session: Session, record: ConsentRecord, *, language: str | None = None) -> Copy:
    """The copy of one decision, with what the site knows of its person."""
    code, zone = _participant(session, record.participant)
    return Copy(
        entries=(_entry(session, record),),
        who=code or record.participant,
        pseudonymous=code is None,
        timezone=zone,
        language=language or record.language,
    )


def of_participant(session: Session, participant: Participant, language: str) -> Copy | None:
    """Every decision of a participant's linked chat, oldest first; None before any."""
    if participant.sender_key is None:
        return None
    records = ledger.history(session, participant.sender_key)
    if not records:
        return None
    return Copy(
        entries=tuple(_entry(session, record) for record in records),
        who=participant.code,
        pseudonymous=False,
        timezone=participant.timezone,
        language=language,
    )


def _entry(session: Session, record: ConsentRecord) -> Entry:
    return Entry(record, session.get(StoredConsentText, (record.text_sha256, record.version)))


def _participant(session: Session, pseudonym: str) -> tuple[str | None, str | None]:
    """The participant code and time zone behind a ledger pseudonym, when linked: one query,
    each linked participant's pseudonym computed here (a pseudonym cannot be looked up)."""
    linked = session.execute(
        select(Participant.code, Participant.timezone, ConsentSubject).join(
            ConsentSubject, ConsentSubject.sender_key == Participant.sender_key
        )
    )
    for code, zone, subject in linked:
        if ledger.pseudonym_of(subject, subject.sender_key) == pseudonym:
            return code, zone
    return None, None


def render(copy: Copy, channel_title: Callable[[str], str] = str.capitalize) -> bytes:
    """The copy as a PDF."""
    lang = copy.language
    pdf = _Document(lang)
    many = len(copy.entries) > 1
    heading = _say("history", lang, who=copy.who) if many else _say("title", lang)
    pdf.set_title(heading)
    pdf.heading(heading, 15)
    for index, entry in enumerate(copy.entries):
        if index:
            pdf.add_page()
        _render_entry(pdf, copy, entry, channel_title)
    return bytes(pdf.output())


def _render_entry(
    pdf: _Document, copy: Copy, entry: Entry, channel_title: Callable[[str], str]
) -> None:
    lang, record, text = copy.language, entry.record, entry.text
    title = text.title if text else record.consent_id
    meaning = (
        _say("erased", lang)
        if record.decision == ledger.Decision.ERASED
        else _say(record.decision, lang, title=title)
    )
    pdf.heading(meaning, 12)
    decided = as_utc(record.recorded_at)
    when = decided.strftime("%Y-%m-%d %H:%M:%S UTC")
    if copy.timezone:
        local = decided.astimezone(ZoneInfo(copy.timezone)).strftime("%Y-%m-%d %H:%M:%S")
        city = copy.timezone.rsplit("/", 1)[-1].replace("_", " ")
        when += " · " + _say("local", lang, time=local, zone=city)
    decision = _say(f"decision_{record.decision}", lang)
    effective = text.effective.isoformat() if text else "?"
    who = _say("pseudonym", lang, who=copy.who) if copy.pseudonymous else copy.who
    pdf.fields(
        [
            (_say("decision", lang), decision),
            (
                _say("text", lang),
                f"{title}, {_say('version', lang, version=record.version, effective=effective)}",
            ),
            (_say("when", lang), when),
            (_say("channel", lang), _channel(record.channel, lang, channel_title)),
            (_say("participant", lang), who),
            (_say("record", lang), _say("record_line", lang, seq=record.seq, hash=record.hash)),
        ]
    )
    pdf.heading(_say("words", lang), 12)
    pdf.body(text.body if text else _say("missing", lang))
    pdf.note(_say("footer", lang))


class _Document(FPDF):
    """An A4 page in a Unicode font (DejaVu), with headings, fields and the text's paragraphs."""

    def __init__(self, lang: str) -> None:
        super().__init__(format="A4")
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_lang(lang)
        self.set_creator("trialbot")
        self._font = "Helvetica"
        if (FONT_DIR / _REGULAR).exists() and (FONT_DIR / _BOLD).exists():
            self.add_font("DejaVu", "", str(FONT_DIR / _REGULAR))
            self.add_font("DejaVu", "B", str(FONT_DIR / _BOLD))
            self._font = "DejaVu"
        else:
            log.warning(
                "no DejaVu font in %s (Debian: fonts-dejavu-core): consent copies use a font "
                "without some letters",
                FONT_DIR,
            )
        self.add_page()

    def heading(self, text: str, size: int) -> None:
        self.ln(2)
        self.set_font(self._font, "B", size)
        self._write(text, size * 0.5)
        self.ln(1)

    def fields(self, rows: Sequence[tuple[str, str]]) -> None:
        for label, value in rows:
            self.set_font(self._font, "B", 10)
            self.cell(40, 6, self._fit(label), new_x=XPos.RIGHT, new_y=YPos.TOP)
            self.set_font(self._font, "", 10)
            self.multi_cell(0, 6, self._fit(value), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def body(self, markdown: str) -> None:
        for paragraph in markdown.strip().split("\n\n"):
            for line in paragraph.splitlines():
                bold = line.startswith("**") and line.rstrip().endswith("**")
                plain = line.replace("**", "").strip()
                if plain.startswith(("- ", "* ")):
                    plain = "• " + plain[2:]
                self.set_font(self._font, "B" if bold else "", 10)
                self._write(plain, 5)
            self.ln(2)

    def note(self, text: str) -> None:
        self.ln(4)
        self.set_font(self._font, "", 8)
        self._write(text, 4)

    def _write(self, text: str, height: float) -> None:
        self.multi_cell(0, height, self._fit(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _fit(self, text: str) -> str:
        """Text the font can draw: all of it in DejaVu; Latin-1 in the fallback font."""
        if self._font == "DejaVu":
            return text
        swaps = {"’": "'", "‘": "'", "“": '"', "”": '"', "•": "-", "…": "...", "–": "-", "—": "-"}
        swaps |= {"\u202f": " "}
        text = "".join(swaps.get(char, char) for char in text)
        return text.encode("latin-1", "replace").decode("latin-1")


def filename(record: ConsentRecord) -> str:
    return f"consent-{record.consent_id}-v{record.version}-{record.seq}.pdf"
