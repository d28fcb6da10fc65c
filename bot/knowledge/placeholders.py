"""Text left for the study site to complete, in the files whose words patients are shown.

Demo and template files leave gaps for each site, written `[SITE TO COMPLETE: …]`,
`[À COMPLÉTER PAR LE CENTRE : …]` or, where the gap is shown as it stands (a consent text is shown
word for word), `(to be completed by the study site: …)` / `(à compléter par le centre de
l'étude : …)`. In development a gap is a warning and answers show it in the patient's words; with
`TRIALBOT_ENV=production` it is an error for `kb lint`, and `trialbot run` and `serve` refuse to
start: patients must never be shown a text the site has not finished.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PLACEHOLDER = re.compile(
    r"\[\s*(?:site\s+to\s+complete|to\s+be\s+completed|to\s+complete|à\s+compléter"
    r"|a\s+completer|todo|tbd)\b[^\]\n]*\]"
    r"|\(\s*(?:to\s+be\s+completed\s+by\s+the\s+(?:study\s+)?site|à\s+compléter\s+par\s+le\s+centre)"
    r"[^)\n]*\)",
    re.IGNORECASE,
)
# How a bracketed gap is shown to a patient outside production.
SHOWN: dict[str, str] = {
    "en": "(to be completed by the study site)",
    "fr": "(à compléter par le centre de l'étude)",
}
# The files whose text patients see: answers, consent texts, and the trials' facts, sites,
# eligibility questions and check-ins.
PATIENT_FILES = ("faq/*/*.md", "consent/*.md", "trials/*/*.yml")


def mark_for_patients(text: str, lang: str) -> str:
    """`text` with each bracketed gap shown as a plain note that the site will complete it."""
    shown = SHOWN.get(lang, SHOWN["en"])
    return PLACEHOLDER.sub(lambda m: m.group(0) if m.group(0)[0] == "(" else shown, text)


@dataclass(frozen=True)
class Gap:
    path: Path
    line: int
    text: str

    @property
    def message(self) -> str:
        return (
            f"text left for the study site to complete is shown to patients: {self.text}; "
            "write the site's own text in its place"
        )

    def where(self, root: Path) -> str:
        shown = self.path
        with contextlib.suppress(ValueError):
            shown = self.path.relative_to(root.parent)
        return f"{shown}:{self.line}"


def find_placeholders(root: Path) -> list[Gap]:
    """Every gap left for the site in a file patients see."""
    return [
        Gap(path, line, text)
        for pattern in PATIENT_FILES
        for path in sorted(root.glob(pattern))
        for line, text in _gaps(path)
    ]


def start_blocker(root: Path, production: bool) -> str | None:
    """One line that says why the assistant may not start in production, or None."""
    if not production:
        return None
    found = find_placeholders(root)
    if not found:
        return None
    first = found[0]
    more = f" ({len(found) - 1} more: `trialbot kb lint`)" if len(found) > 1 else ""
    return (
        f"{first.where(root)}: text left for the study site to complete would be shown to "
        f"patients; write the site's own text there before starting with TRIALBOT_ENV=production"
        f"{more}"
    )


def _gaps(path: Path) -> Iterator[tuple[int, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return  # the file's own reader reports it
    yaml_file = path.suffix in (".yml", ".yaml")
    for number, line in enumerate(text.splitlines(), start=1):
        for match in PLACEHOLDER.finditer(line):
            before = line[: match.start()]
            if yaml_file and (before.lstrip().startswith("#") or " #" in before):
                continue  # a comment: never shown
            yield number, match.group(0)
