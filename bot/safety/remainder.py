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

from bot.safety import detect

# Where one request ends and another may begin: sentence ends, commas, and the words that join
# two requests in one message.
_BOUNDARY = re.compile(
    r"(?<=[.!?;\n])\s*|\s*,\s*|\s+(?:and also|and|but|also|plus|btw|by the way|et aussi|et|mais|"
    r"aussi|sinon|au fait|ps)\s+",
    re.IGNORECASE,
)
_CONJUNCTION = re.compile(r"^(?:and|but|also|so|et|mais|aussi|donc)\s+", re.IGNORECASE)
# A question or a request, by its first words (folded: lower case, no accents).
_ASKS = re.compile(
    r"^(?:(?:and|so|also|et|mais|alors|sinon|au fait) )?(?:what|whats|wat|when|where|how|who|"
    r"which|why|can|could|cn|may|might|will|would|shall|is|are|am|do|does|did|have|has|should|"
    r"any|tell me|i (?:want|wanna|would like|need|d like)|i'd like|id like|pls|please|"
    r"quand|ou|comment|combien|qui|quel|quelle|quels|quelles|pourquoi|est ce|est-ce|c'est quoi|"
    r"c quoi|ces quoi|cest quoi|c'est combien|c'est ou|c'est quand|peux|puis|pouvez|pourriez|"
    r"jpeux|je peux|on peut|y a t il|y a-t-il|il y a|ya|je (?:veux|voudrais|souhaite)|"
    r"j'aimerais|jaimerais|je voulais|dites moi|dis moi|svp|stp)\b"
)
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
    r"(?:est[- ]ce que )?c'?est (?:normal|grave|dangereux|un effet secondaire)|"
    r"(?:je )?(?:dois|devrais)[- ]je (?:m'inquieter|m inquieter|arreter|faire quelque chose)|"
    r"(?:je )?(?:dois|devrais) (?:m'inquieter|m inquieter|arreter)|que (?:dois[- ]je|faire)|"
    r"quoi faire|je fais quoi)\b"
)


def rest(text: str) -> str:
    """The part of `text` that the side effect it reports does not cover ("" when none)."""
    clauses = [c.strip() for c in _BOUNDARY.split(text) if c and c.strip()]
    if len(clauses) < 2:
        return ""
    kept = [c for c in clauses if detect.check(c) is None]
    if len(kept) == len(clauses):
        # No clause reports the side effect alone: it takes the whole message to say it.
        return ""
    return " ".join(_CONJUNCTION.sub("", c) for c in kept if _asks_or_answers(c))


def _asks_or_answers(clause: str) -> bool:
    folded = detect.fold(clause)
    if not folded or _ABOUT_THE_REPORT.search(folded):
        return False
    return clause.rstrip().endswith("?") or bool(_ASKS.search(folded) or _ANSWERS.search(folded))
