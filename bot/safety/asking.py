"""The follow-up of a side effect in the person's chat, and its record for staff.

The gateway acknowledges a side effect at once (bot.safety.respond); then, if the person is
not in the middle of a form, it asks the follow-up's first question. While a pre-screening
waits for an answer the follow-up waits too ("later"), and starts once the form is over.
Each answer is read by bot.safety.followup; the next question follows, until none is left or
the person asks for no more questions ("stop" at a question means these questions: the reply
says that STOP again stops every message). An answer that cannot be read is asked once more,
then its question is passed. A question or request of the person's own goes on to the
assistant as usual, and the question is shown again after its reply ("still open"); when the
person moves on a second time, or says goodbye, the follow-up ends there: every question can
be skipped. An answer followed by a question of the person's own ("the purple inhaler, this
morning. should I keep taking it?") is kept, and the question goes on to the assistant; the
next question comes after its reply. A question held back waits while the assistant asks
something with buttons ("shall the team contact you?"), and ends with the form when the person
says "stop" to it. Someone writing for the participant is asked about them ("their daily
life"). Another button tapped meanwhile goes on to the assistant and leaves the question open.
An emergency always comes first: it is checked before any of this.

The facts are kept encrypted on the event (`SafetyEvent.follow_up`). When they make the event
serious, its reporting deadline is set (`report_due`, `SAFETY_REPORT_HOURS` after the report
arrived) and staff are alerted at once, then again every `SAFETY_REALERT_MINUTES` until one of
them acknowledges it (`alerts.realert`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import trials, wording
from bot.channels.base import Button, Reply
from bot.crypto import Cipher
from bot.db.models import SafetyEvent, as_utc, utcnow
from bot.i18n import messages
from bot.safety import alerts, remainder, report
from bot.safety.followup import (
    CARE,
    CRITERIA,
    SEVERITIES,
    STEPS,
    Facts,
    Step,
    came_back,
    closes,
    extract,
    is_button,
    leaves,
    payload,
    read_answer,
    recurrence,
    reporter,
    taken,
)
from bot.settings import Settings

# "stop" alone, while a question waits.
STOP = re.compile(r"^(?:stop|stopp?e?r?|arr[eê]te[rz]?|arret)[.!]*$")

LATER = "later"  # waits for the form the person is in to end
DONE = "done"

# A side effect said to be back, or worse, is tied to the person's report of this long before.
RECURRENCE_WITHIN = dt.timedelta(days=30)


@dataclass(frozen=True)
class Turn:
    """What the follow-up makes of a message: its replies, and whether the message was an answer
    (else it goes on to the assistant as any message would)."""

    replies: tuple[Reply, ...]
    answered: bool
    # The message told more of the same side effect, kept with it: no new event for it.
    kept: bool = False


def facts_of(event: SafetyEvent, cipher: Cipher) -> Facts:
    return Facts.from_dict(report.record(event, cipher))


def open_for(session: Session, sender_key: str) -> SafetyEvent | None:
    """The person's side effect whose follow-up is not over, if any (the latest)."""
    return session.scalar(
        select(SafetyEvent)
        .where(
            SafetyEvent.sender_key == sender_key,
            SafetyEvent.kind == "adverse_event",
            SafetyEvent.follow_up_step.is_not(None),
            SafetyEvent.follow_up_step != DONE,
        )
        .order_by(SafetyEvent.id.desc())
        .limit(1)
    )


def start(
    session: Session,
    settings: Settings,
    cipher: Cipher,
    event: SafetyEvent,
    text: str,
    *,
    ask_now: bool,
) -> tuple[Reply, ...]:
    """Read what the report says; what to say after the acknowledgement: that the team will
    treat it as urgent when the report itself says why, and the first question when it may be
    asked now."""
    for older in session.scalars(
        select(SafetyEvent).where(
            SafetyEvent.sender_key == event.sender_key,
            SafetyEvent.id != event.id,
            SafetyEvent.follow_up_step.is_not(None),
            SafetyEvent.follow_up_step != DONE,
        )
    ):
        older.follow_up_step = DONE  # a new report: its questions, not the old one's
    received = as_utc(event.created_at)
    found = extract(text, received, _products(settings, event))
    first = _first_report(session, event, text)
    if first is not None:
        found = recurrence(found, facts_of(first, cipher))
        _link(session, cipher, first, event)
    save(session, settings, cipher, event, found)
    urgent = (Reply(text=messages.text("follow_up_serious", event.language)),)
    said = urgent if event.serious else ()
    facts = facts_of(event, cipher)
    step = facts.next_step()
    if step is None:
        event.follow_up_step = DONE
        return said
    if not ask_now:
        event.follow_up_step = LATER
        return said
    event.follow_up_step = step
    return (*said, _ask(event, cipher, step, facts, intro=True))


def _first_report(session: Session, event: SafetyEvent, text: str) -> SafetyEvent | None:
    """The person's report of a side effect that `text` says came back or got worse: their
    latest one of the last RECURRENCE_WITHIN; None when it tells of a new one."""
    if not came_back(text):
        return None
    since = as_utc(event.created_at) - RECURRENCE_WITHIN
    return session.scalar(
        select(SafetyEvent)
        .where(
            SafetyEvent.sender_key == event.sender_key,
            SafetyEvent.kind == "adverse_event",
            SafetyEvent.id < event.id,
            SafetyEvent.created_at >= since,
        )
        .order_by(SafetyEvent.id.desc())
        .limit(1)
    )


def _link(session: Session, cipher: Cipher, first: SafetyEvent, again: SafetyEvent) -> None:
    """Tie a side effect that came back to its first report, both ways, for the safety officer:
    one case with its course, not two unrelated ones. The recurrence is of the first's kind
    ("after the treatment") and trial."""
    earlier = report.record(first, cipher).get("came_back", [])
    _note(session, cipher, first, came_back=[*earlier, again.id])
    _note(session, cipher, again, recurrence_of=first.id)
    again.category = first.category
    again.trial = again.trial or first.trial


def ended_lately(session: Session, sender_key: str, now: dt.datetime) -> bool:
    """Whether a side effect of the person's, reported within the hour, has had its questions."""
    since = now - dt.timedelta(hours=1)
    return (
        session.scalar(
            select(SafetyEvent.id)
            .where(
                SafetyEvent.sender_key == sender_key,
                SafetyEvent.kind == "adverse_event",
                SafetyEvent.follow_up_step == DONE,
                SafetyEvent.created_at >= since,
            )
            .limit(1)
        )
        is not None
    )


def _products(settings: Settings, event: SafetyEvent) -> tuple[str, ...]:
    """The codes of the study treatments of the event's trial, when it is known."""
    found = trials.shared(settings.knowledge_dir).get().get(event.trial or "")
    return found.products if found is not None else ()


def still_waits(event: SafetyEvent, text: str) -> bool:
    """Whether a follow-up held back ("later") still waits after `text`: "stop" or a goodbye
    said to the form that held it back ends its questions too."""
    if STOP.match(text.strip().lower()) or leaves(text):
        event.follow_up_step = DONE
        return False
    return True


def resume(session: Session, cipher: Cipher, event: SafetyEvent) -> Reply | None:
    """The first question of a follow-up that waited for a form to end, or the question
    still open after the assistant answered a question of the person's own."""
    facts = facts_of(event, cipher)
    step = facts.next_step()
    event.follow_up_step = step or DONE
    if step is None:
        return None
    if _shown_again(event, cipher) != step:
        # The opening words once, before the first question only: after an answer that came
        # with a question of the person's own, the next question comes as it is.
        first = not facts.answers and not facts.skipped
        return _ask(event, cipher, step, facts, intro=first)
    # Asked already, and the person asked something of their own instead: still open.
    shown = _ask(event, cipher, step, facts)
    still = messages.text("follow_up_still_open", event.language)
    return replace(shown, text=f"{still}\n\n{shown.text}")


def answer(
    session: Session,
    settings: Settings,
    cipher: Cipher,
    event: SafetyEvent,
    text: str,
    *,
    now: dt.datetime | None = None,
    reports: bool = False,
) -> Turn:
    """What `text` does to the follow-up waiting for an answer to its question; `reports`: the
    safety check read a side effect in it too."""
    step: Step = event.follow_up_step  # type: ignore[assignment]
    language = event.language
    now = now or utcnow()
    # "the purple inhaler, this morning. btw should I keep taking it?": the answer is read, and
    # the question goes on to the assistant.
    said, asks_too = _answer_then_question(text)
    found = read_answer(step, said, now)
    if found is not None and _own_question(said):
        found = None  # "can I still take ibuprofen?" asks; its "still" answers nothing
    stop = STOP.match(text.strip().lower()) is not None
    if step == "product" and (stop or closes(text)):
        found = None  # not the name of a treatment
    facts = facts_of(event, cipher)
    stop = found is None and stop
    goodbye = wording.is_goodbye(text)  # "je vous laisse, bonne continuation": no skip
    if found == "end" or stop or goodbye or (found is None and closes(text)):
        # "stop" here most likely means these questions: they end, and the person is told how
        # to stop every message (STOP again, which then goes to the assistant as ever). "c bon",
        # "ok merci": done with the questions, and told the team has the report.
        _note(session, cipher, event, stopped=step)  # for staff: what was never asked
        event.follow_up_step = DONE
        key = "follow_up_ended_stop" if stop else "follow_up_ended"
        said = messages.text(key, language)
        if goodbye:
            said = f"{said} {messages.text('goodbye', language)}"
        return Turn((Reply(text=said),), True)
    if found is None and reports and not leaves(text):
        # "c'était une grosse crise d'urticaire, j'ai encore des plaques": more of the same
        # report, told while its questions go on (a second event would count it twice).
        return _more_details(session, settings, cipher, event, text, now)
    if found is None and not reports and remainder.only_about_the_report(text):
        # "is it normal??": the study team's to say, not the knowledge base's; said so, and
        # the question waiting is asked again.
        normal = Reply(text=messages.text("safety_is_it_normal", language))
        return Turn((normal, _ask(event, cipher, step, facts)), True)
    asks = any(wording.asks(part) for part in (text, *wording.clauses(text)))
    if found is None and (asks or len(text.split()) > 12 or leaves(text)):
        # Not an answer: the assistant answers it, then the question is shown once more; when
        # the person moves on again, the questions end there (every one may be skipped). "Is
        # it normal? and when is my next visit": the first is said to be the team's first.
        first: tuple[Reply, ...] = ()
        if remainder.about_the_report(text):
            first = (Reply(text=messages.text("safety_is_it_normal", language)),)
        if leaves(text) or _shown_again(event, cipher) == step:
            if not leaves(text):
                # Moved on again: the questions end here, but an answer to this one typed
                # just after the assistant's reply is still taken (`late_answer`).
                _note(session, cipher, event, dropped=step)
            event.follow_up_step = DONE
            return Turn(first, False)
        _note(session, cipher, event, shown_again=step)
        event.follow_up_step = LATER  # asked again after the assistant's reply (`resume`)
        return Turn(first, False)
    if found is None:
        # An answer to another of the questions ("assez gênant" asked whether it goes on)?
        elsewhere = _answers_another(facts, step, text, now)
        if elsewhere is not None:
            step, found = elsewhere
    if found is None and _asked_again(event, cipher) != step:
        _note(session, cipher, event, asked_again=step)
        return Turn((_ask(event, cipher, step, facts, again=True),), True)
    was_serious = bool(event.serious)
    passed = ""
    if found is None:  # not understood twice: the question is passed, and the person told
        passed = messages.text("follow_up_passed", language) + "\n\n"
    if found is None or found == "skip":
        facts = replace(facts, skipped=(*facts.skipped, step))
    else:
        facts = taken(facts, step, found, said, now)
    save(session, settings, cipher, event, facts)
    # Told at once, in a message of its own, when an answer makes it serious.
    urgent: tuple[Reply, ...] = ()
    if event.serious and not was_serious:
        urgent = (Reply(text=messages.text("follow_up_serious", language)),)
    step_next = facts.next_step()
    if asks_too and isinstance(found, Facts) and remainder.only_about_the_report(text):
        # "ya still there. is it normal??": answered here, then the next question.
        passed = messages.text("safety_is_it_normal", language) + "\n\n" + passed
        asks_too = False
    if asks_too and isinstance(found, Facts):
        # The assistant answers their question first; then the next question (`resume`).
        event.follow_up_step = LATER if step_next is not None else DONE
        return Turn(urgent, False)
    if step_next is not None:
        event.follow_up_step = step_next
        asked = _ask(event, cipher, step_next, facts)
        return Turn((*urgent, replace(asked, text=passed + (asked.text or ""))), True)
    event.follow_up_step = DONE
    done = messages.text(_done(event, cipher), language, emergency_number=settings.emergency_number)
    return Turn((*urgent, Reply(text=passed + done)), True)


def late_answer(
    session: Session,
    settings: Settings,
    cipher: Cipher,
    sender_key: str,
    text: str,
    *,
    now: dt.datetime | None = None,
) -> Turn | None:
    """The answer to the question the person moved on from twice, typed as their next message
    ("monday morning", once the assistant answered what they asked instead): taken, and the
    questions go on. Only the next message: whatever it is, the chance is then over."""
    now = now or utcnow()
    event = session.scalar(
        select(SafetyEvent)
        .where(
            SafetyEvent.sender_key == sender_key,
            SafetyEvent.kind == "adverse_event",
            SafetyEvent.follow_up_step == DONE,
            SafetyEvent.created_at >= now - dt.timedelta(hours=1),
        )
        .order_by(SafetyEvent.id.desc())
        .limit(1)
    )
    step = report.record(event, cipher).get("dropped") if event is not None else None
    if event is None or step not in STEPS:
        return None
    _note(session, cipher, event, dropped=None)
    if wording.asks(text) or len(text.split()) > 12 or leaves(text) or closes(text):
        return None
    if not isinstance(read_answer(step, text, now), Facts):
        return None
    event.follow_up_step = step
    turn = answer(session, settings, cipher, event, text, now=now)
    if not (turn.answered and turn.replies):
        event.follow_up_step = DONE
        return None
    return turn


def _more_details(
    session: Session,
    settings: Settings,
    cipher: Cipher,
    event: SafetyEvent,
    text: str,
    now: dt.datetime,
) -> Turn:
    """More of the report whose questions go on: its words kept after the first ones, its facts
    read; then the question waiting (or, when it also asks something, the assistant's answer
    first)."""
    told = cipher.decrypt(event.text) or ""
    event.text = cipher.encrypt(f"{told}\n{text.strip()}"[:4000])
    was_serious = bool(event.serious)
    facts = facts_of(event, cipher).merged(extract(text, now, _products(settings, event)))
    save(session, settings, cipher, event, facts)
    urgent: tuple[Reply, ...] = ()
    if event.serious and not was_serious:
        urgent = (Reply(text=messages.text("follow_up_serious", event.language)),)
    step = facts.next_step()
    if wording.asks(text):
        event.follow_up_step = LATER if step is not None else DONE
        return Turn(urgent, False, kept=True)
    added = messages.text("follow_up_added", event.language)
    if step is None:
        event.follow_up_step = DONE
        done = messages.text(
            _done(event, cipher), event.language, emergency_number=settings.emergency_number
        )
        return Turn((*urgent, Reply(text=done)), True, kept=True)
    event.follow_up_step = step
    asked = _ask(event, cipher, step, facts)
    return Turn((*urgent, replace(asked, text=f"{added}\n\n{asked.text}")), True, kept=True)


def _answer_then_question(text: str) -> tuple[str, bool]:
    """The answer part of `text`, and whether a question of the person's own follows it in a
    sentence of its own ("ya still there. is it normal??")."""
    parts = re.split(r"(?<=[.!;?])\s+", text.strip())
    for index, part in enumerate(parts[1:], start=1):
        if len(part.split()) >= 3 and (part.rstrip().endswith("?") or _own_question(part)):
            return " ".join(parts[:index]).strip(), True
    # Or after a comma: "jsp jai rien fait de special, c quoi mon prochain rdv".
    clauses = wording.clauses(text)
    for index, part in enumerate(clauses[1:], start=1):
        if _own_question(part):
            return ", ".join(clauses[:index]).strip(), True
    return text, False


def _own_question(text: str) -> bool:
    """A question of the person's own, worded as one ("is it normal to feel this tired?")."""
    return not is_button(text) and len(text.split()) >= 3 and wording.opens_as_question(text)


def _answers_another(
    facts: Facts, asked: Step, text: str, now: dt.datetime
) -> tuple[Step, Facts] | None:
    """The question still open, other than `asked`, that `text` answers, and what it says."""
    for step in STEPS:
        if step in (asked, "product") or facts.known(step):
            continue
        found = read_answer(step, text, now)
        if isinstance(found, Facts):
            return step, found
    return None


def save(
    session: Session,
    settings: Settings,
    cipher: Cipher,
    event: SafetyEvent,
    facts: Facts,
    *,
    now: dt.datetime | None = None,
) -> None:
    """Keep `facts` on the event; a newly serious event gets its deadline and its alerts."""
    record = {**report.record(event, cipher), **facts.as_dict()}
    event.follow_up = cipher.encrypt(json.dumps(record, sort_keys=True))
    was_serious = bool(event.serious)
    event.serious = facts.serious
    if facts.serious:
        if event.report_due is None:
            hours = dt.timedelta(hours=settings.safety_report_hours)
            event.report_due = as_utc(event.created_at) + hours
        if not was_serious:
            session.flush()
            alerts.queue(session, event, settings)
            event.alerted_at = now or utcnow()
    else:
        event.report_due = None


def _ask(
    event: SafetyEvent,
    cipher: Cipher,
    step: Step,
    facts: Facts,
    *,
    intro: bool = False,
    again: bool = False,
) -> Reply:
    return question(
        step, event.language, intro=intro, again=again, over=facts.ongoing is False,
        relative=_relative(event, cipher), named=facts.product is not None,
    )  # fmt: skip


def question(
    step: Step,
    language: str,
    *,
    intro: bool = False,
    again: bool = False,
    over: bool = False,
    relative: bool = False,
    named: bool = False,
) -> Reply:
    """A follow-up question, with its buttons (and always a way to skip it and to stop);
    `over`: the side effect has ended, and the severity is asked of the past; `relative`:
    someone writes for the participant, and is asked about them; `named`: the report named
    the study treatment, and only when it was last taken is asked."""
    key = f"follow_up_{step}{'_over' if over and step == 'severity' else ''}"
    if step == "product" and named:
        key = "follow_up_last_dose"
    if relative and messages.has(f"{key}_relative"):
        key = f"{key}_relative"
    said = messages.text(key, language)
    if intro:
        said = messages.text("follow_up_intro", language) + "\n\n" + said
    if again:
        said = messages.text("follow_up_again", language) + "\n\n" + said
    values = _BUTTONS[step]
    buttons = [
        Button(messages.text(f"follow_up_button_{value}", language), payload(step, value))
        for value in (*values, "skip")
    ]
    buttons.append(Button(messages.text("follow_up_button_end", language), payload(step, "end")))
    return Reply(text=said, buttons=tuple(buttons))


_BUTTONS: dict[Step, tuple[str, ...]] = {
    "onset": ("today", "yesterday"),
    "ongoing": ("yes", "no"),
    "severity": ("mild", "moderate", "severe"),
    "care": ("none", "doctor", "emergency", "hospital"),
    "product": (),
}


def _asked_again(event: SafetyEvent, cipher: Cipher) -> str | None:
    value = report.record(event, cipher).get("asked_again")
    return value if isinstance(value, str) else None


def _shown_again(event: SafetyEvent, cipher: Cipher) -> str | None:
    value = report.record(event, cipher).get("shown_again")
    return value if isinstance(value, str) else None


def _done(event: SafetyEvent, cipher: Cipher) -> str:
    """The thanks at the end: a relative is told what to do if the participant feels unwell."""
    return "follow_up_done_relative" if _relative(event, cipher) else "follow_up_done"


def _relative(event: SafetyEvent, cipher: Cipher) -> bool:
    """Whether someone wrote for the participant: the questions then ask about them."""
    return reporter(cipher.decrypt(event.text) or "") == "relative"


def _note(session: Session, cipher: Cipher, event: SafetyEvent, **values: Any) -> None:
    record = {**report.record(event, cipher), **values}
    event.follow_up = cipher.encrypt(json.dumps(record, sort_keys=True))


# What staff may set on a follow-up, and how each value is read from text.
CORRECTABLE = ("onset", "ongoing", "severity", "care", "product", "last_dose", "criteria")


class InvalidCorrection(ValueError):
    """A correction staff must change; the message says which value and why."""


def correct(
    session: Session,
    settings: Settings,
    cipher: Cipher,
    event: SafetyEvent,
    changes: dict[str, str],
) -> list[str]:
    """Staff complete or correct a side effect's record; the fields changed (for the audit
    log: names, never the values, which are health data). An empty value clears a field."""
    if event.kind != "adverse_event":
        raise InvalidCorrection(f"safety event {event.id} is an emergency: it has no follow-up")
    facts = facts_of(event, cipher)
    values: dict[str, Any] = {}
    for name, raw in changes.items():
        if name not in CORRECTABLE:
            known = ", ".join(CORRECTABLE)
            raise InvalidCorrection(f"{name!r} cannot be corrected (one of {known})")
        values[name] = _corrected_value(name, raw.strip())
    if "criteria" in values:
        # What the care needed implies is not kept twice: it follows the care if corrected.
        care = values.get("care", facts.care)
        implied = {"hospital": "hospitalisation", "emergency": "other_medically_important"}
        kept = {c for c in values["criteria"] if c != implied.get(care or "")}
        values["criteria"] = tuple(c for c in CRITERIA if c in kept)
    before = replace(facts, criteria=tuple(c for c in CRITERIA if c in facts.criteria))
    changed = [name for name, value in values.items() if value != getattr(before, name)]
    if not changed:
        return []
    if "onset" in values and values["onset"] is not None:
        values["onset_said"] = None
    values["inferred"] = tuple(name for name in facts.inferred if name not in changed)
    save(session, settings, cipher, event, replace(facts, **values))
    record = report.record(event, cipher)
    record["corrected_by_staff"] = sorted({*record.get("corrected_by_staff", []), *changed})
    event.follow_up = cipher.encrypt(json.dumps(record, sort_keys=True))
    return changed


def _corrected_value(name: str, raw: str) -> Any:
    if not raw:
        return [] if name == "criteria" else None
    if name in ("onset", "last_dose"):
        try:
            return dt.date.fromisoformat(raw).isoformat()
        except ValueError:
            raise InvalidCorrection(f"{name} {raw!r} is not a date (YYYY-MM-DD)") from None
    if name == "ongoing":
        if raw.lower() in ("yes", "true", "oui"):
            return True
        if raw.lower() in ("no", "false", "non"):
            return False
        raise InvalidCorrection(f"ongoing {raw!r} is not yes or no")
    if name == "severity":
        if raw not in SEVERITIES:
            raise InvalidCorrection(f"severity {raw!r} is not one of {', '.join(SEVERITIES)}")
        return raw
    if name == "care":
        if raw not in CARE:
            raise InvalidCorrection(f"care {raw!r} is not one of {', '.join(CARE)}")
        return raw
    if name == "criteria":
        criteria = [part.strip() for part in raw.split(",") if part.strip()]
        unknown = [c for c in criteria if c not in CRITERIA]
        if unknown:
            raise InvalidCorrection(
                f"{', '.join(unknown)}: not a seriousness criterion ({', '.join(CRITERIA)})"
            )
        return criteria
    return raw[:200]
