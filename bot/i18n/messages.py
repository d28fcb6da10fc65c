"""The few texts the gateway says itself when Rasa cannot; all the others are in domain.yml."""

from __future__ import annotations

from bot.settings import Language

_TEXTS: dict[str, dict[Language, str]] = {
    "rasa_unavailable": {
        "en": (
            "Sorry, I can't answer right now. I have kept your message and will reply here as "
            "soon as I can. If this is an emergency, call {emergency_number}."
        ),
        "fr": (
            "Désolé, je ne peux pas répondre pour le moment. J'ai gardé votre message et je vous "
            "répondrai ici dès que possible. En cas d'urgence, appelez le {emergency_number}."
        ),
    },
}


def text(key: str, language: str, **values: str) -> str:
    """The gateway text `key` in `language` (English when the language is unknown)."""
    variants = _TEXTS[key]
    chosen = variants["fr"] if language == "fr" else variants["en"]
    return chosen.format(**values)
