"""A check-in in the participant's chat: its questions one at a time, their answers kept.

The dispatcher sends a check-in's first question (`opening`); the gateway then reads each
message of the participant, before the assistant does, while the check-in waits for an answer
(`open_for`, `answer`). An emergency is checked before any of this, as on every message.

- An answer is read as the pre-screening reads one (bot.screening.parse: numbers in words,
  yes and no with extra words, an option's label); a button says it exactly.
- An answer that cannot be read is asked once more, in simpler words with what would answer
  it; then the question is passed ("I'll leave that question out"). "Skip" passes it at once.
- A question or request of the person's own is not an answer: it goes on to the assistant, and
  the check-in's question is shown again after the assistant's reply.
- "stop" at a question ends the check-in (the answers given are kept); STOP again stops every
  message, as ever.
- An answer that meets one of the check-in's `symptoms` conditions, or that the safety check
  reads as a side effect, opens a safety event at once (staff are alerted, the person gets the
  acknowledgement with the team's number); its follow-up questions come after the check-in's.
- Once the last question is answered or passed, the person is thanked. Answers are kept
  encrypted on the row (`Checkin.answers`): {"answers": {id: value}, "passed": [...],
  "stopped": bool}; a value None is "I don't know".
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import wording
from bot.channels.base import Button, Reply
from bot.checkins.schedule import Checkin as Planned
from bot.crypto import Cipher
from bot.db.models import Checkin, CheckinStatus, Participant, SafetyEvent, utcnow
from bot.i18n import messages
from bot.safety import asking as follow_up
from bot.safety import events, respond
from bot.safety.detect import Finding
from bot.safety.followup import leaves
from bot.screening.criteria import Answer, Question
from bot.screening.evaluate import holds
from bot.screening.parse import Parsed, asks, expected, parse
from bot.settings import Settings
from bot.trials import Trial

PREFIX = "/checkin:"
_BUTTON = re.compile(r"^/checkin:([A-Za-z0-9_-]+)=(.+)$")
_STOP = follow_up.STOP
SKIP, DONT_KNOW, STOP = "skip", "dont_know", "stop"


@dataclass(frozen=True)
class Turn:
    """What the check-in makes of a message: its replies, and whether the message was an answer
    (else it goes on to the assistant, and `replies` come after the assistant's). An answer
    that also asks something ("7, and is there a placebo?") goes on to the assistant as well
    (`goes_on`): its answer first, then the check-in's replies."""

    replies: tuple[Reply, ...]
    answered: bool
    goes_on: bool = False


@dataclass
class Given:
    """What the participant has said so far (the row's decrypted answers)."""

    answers: dict[str, Answer]
    passed: list[str]
    stopped: bool = False

    @classmethod
    def of(cls, row: Checkin, cipher: Cipher) -> Given:
        data = json.loads(cipher.decrypt(row.answers)) if row.answers else {}
        return cls(dict(data.get("answers") or {}), list(data.get("passed") or []),
                   bool(data.get("stopped")))  # fmt: skip

    def keep(self, row: Checkin, cipher: Cipher) -> None:
        data = {"answers": self.answers, "passed": self.passed, "stopped": self.stopped}
        row.answers = cipher.encrypt(json.dumps(data, sort_keys=True))


def is_button(text: str) -> bool:
    return _BUTTON.match(text.strip()) is not None


def payload(question: str, value: str) -> str:
    """What a check-in's button sends: the gateway reads it, the assistant never sees it."""
    return f"{PREFIX}{question}={value}"


def open_for(session: Session, sender_key: str, now: dt.datetime) -> Checkin | None:
    """The participant's check-in waiting for an answer, if any (the latest)."""
    return session.scalar(
        select(Checkin)
        .join(Participant, Participant.id == Checkin.participant_id)
        .where(
            Participant.sender_key == sender_key,
            Checkin.status == CheckinStatus.SENT,
            Checkin.step.is_not(None),
            Checkin.closes_at > now,
        )
        .order_by(Checkin.id.desc())
        .limit(1)
    )


def opening(planned: Planned, trial: Trial | None, language: str) -> Reply:
    """The check-in's first message: what it is, and its first question."""
    lang = "fr" if language == "fr" else "en"
    title = planned.title.get(lang) or planned.id
    if trial is not None:  # in a sentence, never in brackets: trial titles have their own
        title = messages.text("checkin_for_trial", lang, title=title, trial=trial.named(lang))
    count = len(planned.questions)
    intro = (
        messages.text("checkin_intro_one", lang, title=title)
        if count == 1
        else messages.text("checkin_intro", lang, title=title, count=str(count))
    )
    first = planned.questions[0]
    asked = question(first, lang, last=count == 1)
    return Reply(text=f"{intro}\n\n{asked.text}", buttons=asked.buttons)


def question(asked: Question, language: str, *, again: bool = False, last: bool = False) -> Reply:
    """One question with its buttons: the answers it takes, "Skip", and a way to stop."""
    lang = "fr" if language == "fr" else "en"
    said = asked.text.get(lang) or asked.text["en"]
    if again:
        simpler = asked.simple.get(lang) or said
        if asked.type in ("yes_no", "choice", "scale"):
            sorry = messages.text("follow_up_again", lang)
        else:
            sorry = messages.text("checkin_again", lang, expected=expected(asked, lang))
        said = f"{sorry}\n\n{simpler}"
    values: list[tuple[str, str]] = []
    if asked.type == "yes_no":
        values = [(messages.text(f"checkin_button_{v}", lang), v) for v in ("yes", "no")]
    elif asked.type == "choice":
        values = [(labels.get(lang, key), key) for key, labels in asked.options.items()]
        values.append((messages.text("checkin_button_dont_know", lang), DONT_KNOW))
    elif asked.type == "scale":
        values = [(str(n), str(n)) for n in range(0, 11)]
    values.append((messages.text("checkin_button_skip", lang), SKIP))
    if not last:
        values.append((messages.text("checkin_button_stop", lang), STOP))
    buttons = tuple(Button(title, payload(asked.id, value)) for title, value in values)
    return Reply(text=said, buttons=buttons)


def answer(
    session: Session,
    settings: Settings,
    cipher: Cipher,
    row: Checkin,
    planned: Planned | None,
    text: str,
    *,
    language: str,
    trial: Trial | None,
    finding: Finding | None = None,
    now: dt.datetime | None = None,
) -> Turn:
    """What `text` does to the check-in waiting for an answer to its question `row.step`."""
    now = now or utcnow()
    lang = "fr" if language == "fr" else "en"
    asked = planned.question(row.step) if planned is not None else None
    if planned is None or asked is None:
        # The file changed under it: what was answered is kept, and the check-in is over.
        _close(row, now)
        return Turn((), False)
    given = Given.of(row, cipher)
    button = _BUTTON.match(text.strip())
    if button is not None and button[1] != asked.id:
        # A button of an earlier question: the one waiting now is asked again.
        return Turn((question(asked, lang, last=_last(planned, asked, given)),), True)
    value = button[2] if button is not None else None
    if value == STOP or (value is None and _STOP.match(text.strip().lower())):
        given.stopped = True
        given.keep(row, cipher)
        _close(row, now)
        return Turn((Reply(text=messages.text("checkin_stopped", lang)),), True)
    reading = _read(asked, text, value, lang, now)
    if (
        reading is None
        and value is None
        and (asks(text) is True or wording.asks(text) or leaves(text) or len(text.split()) > 15)
    ):
        # Not an answer: the assistant answers it, then the question is shown again.
        still = messages.text("checkin_still_open", lang)
        shown = question(asked, lang, last=_last(planned, asked, given))
        return Turn((Reply(text=f"{still}\n\n{shown.text}", buttons=shown.buttons),), False)
    replies: list[Reply] = []
    parsed = reading if isinstance(reading, Parsed) else None
    if parsed is not None:
        given.answers[asked.id] = parsed.value
    told = finding is not None and finding.kind == "adverse_event"
    if (told or _reports(planned, asked, parsed)) and row.safety_event_id is None:
        event = _report(session, settings, cipher, row, planned, asked, text, lang, trial)
        row.safety_event_id = event.id
        phone = trial.phone if trial is not None else None
        found = Finding("adverse_event", "reported", f"check-in {planned.id}")
        replies.append(Reply(text=respond.reply_text(found, lang, settings, phone)))
    if reading is None and value is None and (told or not row.asked_again):
        # Not read: asked once more (after the acknowledgement of a side effect it told of).
        row.asked_again = row.asked_again or not told
        again = not told
        replies.append(question(asked, lang, again=again, last=_last(planned, asked, given)))
        return Turn(tuple(replies), True)
    passed = ""
    if parsed is None:  # passed: skipped, or not understood twice
        given.passed.append(asked.id)
        if reading is None:
            passed = messages.text("follow_up_passed", lang) + "\n\n"
    given.keep(row, cipher)
    row.asked_again = False
    following = _next(planned, asked, given)
    if following is not None:
        row.step = following.id
        shown = question(following, lang, last=_last(planned, following, given))
        replies.append(Reply(text=passed + (shown.text or ""), buttons=shown.buttons))
        return Turn(tuple(replies), True, _also_asks(text, value))
    _close(row, now)
    replies.append(Reply(text=passed + messages.text("checkin_done", lang)))
    replies.extend(_follow_up(session, cipher, row))
    return Turn(tuple(replies), True, _also_asks(text, value))


def _also_asks(text: str, button: str | None) -> bool:
    """Whether an answer also asks something of the assistant ("7, and is there a placebo?")."""
    return button is None and (asks(text) is True or wording.asks(text))


def _reports(planned: Planned, asked: Question, parsed: Parsed | None) -> bool:
    """Whether the answer meets one of the check-in's `symptoms` conditions."""
    if parsed is None or parsed.value is None:
        return False
    value = parsed.value
    return any(c.question == asked.id and holds(c, asked, value) for c in planned.symptoms)


def _read(
    asked: Question, text: str, button: str | None, lang: str, now: dt.datetime
) -> Parsed | str | None:
    """The answer: Parsed, SKIP, or None when it cannot be read."""
    if button == SKIP:
        return SKIP
    if button == DONT_KNOW:
        return Parsed(None)
    if button is not None:
        if asked.type == "yes_no" and button in ("yes", "no"):
            return Parsed(button == "yes")
        if asked.type == "choice" and button in asked.options:
            return Parsed(button)
        if asked.type == "scale" and button.isdigit() and 0 <= int(button) <= 10:
            return Parsed(int(button))
        return None
    if text.strip().lower() in ("skip", "passer", "pass", "next", "suivant"):
        return SKIP
    found = parse(asked, text, lang, now.date())
    return found if isinstance(found, Parsed) else None


def _next(planned: Planned, asked: Question, given: Given) -> Question | None:
    """The next question that applies: one asked only if an earlier answer says so (`ask_if`)
    is left out when that answer does not."""
    following = planned.after(asked.id)
    while following is not None and not _applies(planned, following, given):
        following = planned.after(following.id)
    return following


def _applies(planned: Planned, candidate: Question, given: Given) -> bool:
    condition = candidate.ask_if
    if condition is None:
        return True
    parent = planned.question(condition.question)
    value = given.answers.get(condition.question)
    return parent is not None and value is not None and holds(condition, parent, value)


def _last(planned: Planned, asked: Question, given: Given) -> bool:
    return _next(planned, asked, given) is None


def _close(row: Checkin, now: dt.datetime) -> None:
    row.status, row.step, row.answered_at = CheckinStatus.ANSWERED, None, now


def _report(
    session: Session,
    settings: Settings,
    cipher: Cipher,
    row: Checkin,
    planned: Planned,
    asked: Question,
    text: str,
    lang: str,
    trial: Trial | None,
) -> SafetyEvent:
    """The side effect an answer reports, for staff: the question and what the person said.
    Its follow-up waits for the check-in to end."""
    participant = session.get(Participant, row.participant_id)
    assert participant is not None and participant.sender_key is not None
    conversation_channel = row.channel or "unknown"
    said = text.strip()
    if is_button(said):
        said = _shown_answer(asked, said, lang)
    words = f"{planned.title.get(lang, planned.id)}: {asked.text.get(lang)} {said}"
    finding = Finding("adverse_event", "reported", f"check-in {planned.id}: {asked.id}")
    event = events.record(
        session, settings, cipher, finding, sender_key=participant.sender_key,
        channel=conversation_channel, language=lang, text=words,
        trial=trial.id if trial is not None else row.trial,
    )  # fmt: skip
    follow_up.start(session, settings, cipher, event, text.strip(), ask_now=False)
    return event


def _shown_answer(asked: Question, button: str, lang: str) -> str:
    """A button's answer as the person saw it ("Yes", "7")."""
    match = _BUTTON.match(button)
    value = match[2] if match is not None else button
    if value in ("yes", "no"):
        return messages.text(f"checkin_button_{value}", lang)
    if value in asked.options:
        return asked.options[value].get(lang, value)
    return value


def _follow_up(session: Session, cipher: Cipher, row: Checkin) -> tuple[Reply, ...]:
    """The follow-up of a side effect the check-in reported, once the check-in is over."""
    if row.safety_event_id is None:
        return ()
    event = session.get(SafetyEvent, row.safety_event_id)
    if event is None or event.follow_up_step != follow_up.LATER:
        return ()
    asked = follow_up.resume(session, cipher, event)
    return (asked,) if asked is not None else ()
