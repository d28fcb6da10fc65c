"""How a visit is described in the chat, in each language."""

from __future__ import annotations

import datetime as dt

from actions.appointments import _describe
from bot.reminders.requests import Upcoming


def test_french_puts_a_space_that_never_breaks_before_the_colon() -> None:
    """Tried on the phone: « mercredi 9 décembre à 8 h 30: visite de suivi »."""
    visit = Upcoming(
        id=1, starts_at=dt.datetime(2026, 12, 9, 7, 30, tzinfo=dt.UTC), timezone="Europe/Paris",
        kind="visite de suivi", trial="demo-t2d-001", site="paris-nord", status="scheduled",
    )  # fmt: skip
    assert "8 h 30\u00a0: visite de suivi" in _describe(visit, "fr")
    assert ": follow-up" in _describe(
        visit.__class__(**{**visit.__dict__, "kind": "follow-up"}), "en"
    )
