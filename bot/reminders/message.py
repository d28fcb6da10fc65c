"""The reminder a participant receives: what, when (local, as people write it), where, what to
bring, and one-tap buttons to confirm, ask to reschedule, or cancel."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from bot.channels.base import Button, Reply
from bot.db.models import Appointment, as_utc
from bot.trials import Trial

_DAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
}
_MONTHS = {
    "en": (
        "January", "February", "March", "April", "May", "June", "July", "August", "September",
        "October", "November", "December",
    ),
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
        "octobre", "novembre", "décembre",
    ),
}  # fmt: skip
_BUTTONS = {
    "en": (("✅ Confirm", "confirm"), ("📅 Reschedule", "reschedule"), ("❌ Cancel", "cancel")),
    "fr": (
        ("✅ Je confirme", "confirm"),
        ("📅 Changer la date", "reschedule"),
        ("❌ Annuler", "cancel"),
    ),
}
INTENTS = {
    "confirm": "confirm_appointment",
    "reschedule": "reschedule_appointment",
    "cancel": "cancel_appointment",
}


def when(moment: dt.datetime, timezone: str, lang: str, reader: str | None = None) -> str:
    """ "Thursday 10 December at 9:00" / "jeudi 10 décembre à 9 h 00", in the given zone (the
    site's); with its name when the `reader`'s zone has another time then: "at 9:00 (Paris
    time)", never a time the person would read as their own."""
    local = moment.astimezone(ZoneInfo(timezone))
    day, month = _DAYS[lang][local.weekday()], _MONTHS[lang][local.month - 1]
    if lang == "fr":
        said = f"{day} {local.day} {month} à {local.hour} h {local.minute:02d}"
    else:
        said = f"{day} {local.day} {month} at {local.hour}:{local.minute:02d}"
    if reader is None or moment.astimezone(ZoneInfo(reader)).utcoffset() == local.utcoffset():
        return said
    city = timezone.rsplit("/", 1)[-1].replace("_", " ")
    return f"{said} (heure de {city})" if lang == "fr" else f"{said} ({city} time)"


def render(
    appointment: Appointment, trial: Trial | None, lang: str, reader: str | None = None
) -> Reply:
    """The reminder of `appointment`, in `lang`, for a participant in the zone `reader`."""
    lang = "fr" if lang == "fr" else "en"
    starts_at = as_utc(appointment.starts_at)
    # Inside a sentence, never inside brackets: titles may carry brackets of their own.
    title = (
        trial.in_sentence.get(lang) or trial.short_title.get(lang) if trial else None
    ) or appointment.trial
    site = (trial.sites.get(appointment.site) if trial else None) or {}
    name = _text(site.get("name"), lang) or appointment.site
    address = str(site.get("address") or "")
    directions = _text(site.get("directions"), lang)
    bring = trial.bring.get(lang) if trial else None
    moment = when(starts_at, appointment.timezone, lang, reader)
    place = f"📍 {name}" + (f", {address}" if address else "")
    place += f". {directions}" if directions else ""
    if lang == "fr":
        lines = [
            f"Rappel : votre rendez-vous « {appointment.kind} » pour {title} : **{moment}**.",
            place,
        ]
        if bring:
            lines.append(f"À apporter : {bring}")
        lines.append("Merci de confirmer votre venue, ou de nous dire s'il faut changer la date.")
    else:
        lines = [
            f"Reminder: your {appointment.kind} appointment for {title} is on **{moment}**.",
            place,
        ]
        if bring:
            lines.append(f"Please bring {bring}")
        lines.append("Please confirm you are coming, or tell us if the date needs to change.")
    payload = json.dumps({"appointment_id": str(appointment.id)}, separators=(",", ":"))
    buttons = tuple(
        Button(title=title_, payload=f"/{INTENTS[action]}{payload}")
        for title_, action in _BUTTONS[lang]
    )
    return Reply(text="\n\n".join(lines), buttons=buttons)


def _text(value: object, lang: str) -> str:
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("en") or "")
    return str(value or "")
