"""The last reply of a request to be contacted says the chosen time back as a wish, in words."""

from __future__ import annotations

import pytest
import yaml

from actions.contact import when_said
from bot.settings import PROJECT_ROOT


def _said(response: str, lang: str, when: str) -> str:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    variants = domain["responses"][response]
    text = next(
        v["text"]
        for v in variants
        if any(c.get("value") == lang for c in v.get("condition") or [])
        or (lang == "en" and not v.get("condition"))
    )
    return str(text.format(contact_time=when_said(lang, when)))


@pytest.mark.parametrize("how", ["phone", "chat"])
def test_the_chosen_time_is_a_wish_and_any_time_reads_as_such(how: str) -> None:
    response = f"utter_contact_recorded_{how}"
    assert _said(response, "en", "evening").endswith(
        "; you asked for the evening, and they will try to."
    )
    assert _said(response, "fr", "evening").endswith("; vous avez demandé le soir, elle essaiera.")
    anytime = _said(response, "en", "any")
    assert "asked for any time" not in anytime and "try to" not in anytime
    assert anytime.endswith("any time suits you, so they will get in touch when they can.")
    assert _said(response, "fr", "any").endswith(
        "tout moment vous convient : elle vous contactera dès que possible."
    )
