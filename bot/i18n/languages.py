"""The languages the assistant speaks: every text, answer and criterion exists in each."""

from __future__ import annotations

from typing import Literal

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = ("en", "fr")
