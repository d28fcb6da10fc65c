"""What else a message says besides the side effect it reports.

"Since the injection my arm is swollen, and when is my next visit?" reports a side effect and asks
something. The gateway acknowledges the report itself; the rest of the message ("when is my next
visit?") still deserves its answer, or a form going on its answer ("54, and the tablets give me
headaches" answers "How old are you?"). The message is cut into clauses at sentence ends, commas
and the conjunctions that join two requests; the clauses that carry no finding of their own are
the rest. Questions about the report itself ("is that normal?") are what the acknowledgement
answers, so they are not the rest. A clause counts only when it asks or answers something: a
question, a request, or a short answer to a form's question ("yes", "54"); "red and swollen"
is one report, not a report and a request.
"""

from __future__ import annotations

import re

from bot import wording
from bot.safety import detect

# A short answer to a form's question: yes or no, a number, "I don't know".
_ANSWERS = re.compile(
    r"^(?:yes|yeah|yep|yup|no|nope|nah|oui|ouais|ouai|non|nan|si|i don'?t know|dunno|idk|"
    r"je (?:ne )?sais pas|jsp|chais pas|\d+(?:[.,]\d+)?(?: ?\w+)?)$"
)
# Questions about the side effect itself, which the acknowledgement answers.
_ABOUT_THE_REPORT = re.compile(
    r"^(?:(?:is|was) (?:that|this|it) (?:normal|ok|okay|bad|serious|dangerous|a side effect|"
    r"expected|common)|should i (?:be )?(?:worried|worry|stop|do something)|"
    r"what (?:should|do) i do|"
    r"(?:est[- ]ce que )?(?:c'?est|c) (?:normal|grave|dangereux|un effet secondaire)|"
    r"est[- ]ce (?:normal|grave|dangereux)|"
    r"(?:je )?(?:dois|devrais)[- ]je (?:m'inquieter|m inquieter|arreter|faire quelque chose)|"
    r"(?:je )?(?:dois|devrais) (?:m'inquieter|m inquieter|arreter)|que (?:dois[- ]je|faire)|"
    r"quoi faire|je fais quoi)\b"
)


def rest(text: str) -> str:
    """The part of `text` that the side effect it reports does not cover ("" when none)."""
    clauses = wording.clauses(text)
    if len(clauses) < 2:
        return ""
    # A clause that a participant's words would make a report is part of the report too.
    kept = [c for c in clauses if detect.check(c) is None and detect.check_participant(c) is None]
    if len(kept) == len(clauses):
        # No clause reports the side effect alone: it takes the whole message to say it.
        return ""
    return " ".join(c for c in kept if _asks_or_answers(c))


def about_the_report(text: str) -> bool:
    """Whether `text` asks whether the side effect is normal or serious ("is that normal with
    the tablets?", "c grave ?"): the study team's to judge, which the assistant does not.
    "What should I do?" is not among them: the acknowledgement says what to do."""
    return any(
        _ABOUT_THE_REPORT.search(folded)
        and _IS_IT_NORMAL.search(folded)
        and not _DOING.search(folded)
        for folded in (detect.fold(c) for c in wording.clauses(text) or [text])
    )


# Whether something may be done about it ("is it ok if she puts some cream on it?"): a question
# of its own for the assistant, not whether the side effect is normal.
_DOING = re.compile(
    r"\b(?:ok|okay|alright|fine|safe) (?:if|to|for (?:me|her|him|them) to)\b|"
    r"\b(?:can|could|should|may) (?:i|she|he|we|they) (?:take|put|use|apply|have|give|keep)\b|"
    r"\b(?:je peux|puis je|peut elle|peut il|est ce que je peux) (?:prendre|mettre|appliquer)\b"
)


_IS_IT_NORMAL = re.compile(
    r"\b(?:normal|ok|okay|bad|serious|dangerous|a side effect|expected|common|grave|dangereux|"
    r"un effet secondaire|m'inquieter|m inquieter|worried|worry)\b"
)


def only_about_the_report(text: str) -> bool:
    """Whether `text` asks about the side effect itself and nothing else ("is it normal??";
    not "is it normal? and when is my next visit")."""
    clauses = [c for c in wording.clauses(text) if detect.fold(c)] or [text]  # not a lone "?"
    about = [about_the_report(c) for c in clauses]
    return any(about) and not any(
        wording.asks(c) for c, its in zip(clauses, about, strict=True) if not its
    )


def _asks_or_answers(clause: str) -> bool:
    folded = detect.fold(clause)
    if not folded or _ABOUT_THE_REPORT.search(folded):
        return False
    return wording.asks(clause) or bool(_ANSWERS.search(folded))
