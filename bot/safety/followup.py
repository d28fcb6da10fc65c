"""The follow-up of a reported side effect: the facts a safety officer needs, read from the
person's words and asked for one question at a time.

A report ("since monday my arm is swollen where they injected, had to go to A&E") often says
some of the facts already; `extract` reads them, and the follow-up asks only for the rest, in
the order of `STEPS`: when it started, whether it is still going on, how much it affects daily
life, what care it needed, and which study treatment (and when it was last taken). Every
question can be skipped; an answer that cannot be read is asked once more, then skipped.

Seriousness follows the usual criteria of an individual case safety report (ICH E2A): death,
life-threatening, hospitalisation, disability, congenital anomaly, other medically important.
Emergency care without a stay in hospital counts as "other medically important" until staff
decide otherwise: a safety officer would rather review one event too many. Severity is not
seriousness: the worst migraine of one's life, treated at home, is severe and not serious.

Everything here reads folded text (lower case, no accents), in English and French, typed as
people type on a phone.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from bot.safety import rules
from bot.screening import words as dates
from bot.screening.parse import polarity
from bot.wording import KIN_EN, KIN_FR, fold

Step = Literal["onset", "ongoing", "severity", "care", "product"]
STEPS: tuple[Step, ...] = ("onset", "ongoing", "severity", "care", "product")
SEVERITIES = ("mild", "moderate", "severe")
# What care the side effect needed, from least to most.
CARE = ("none", "doctor", "emergency", "hospital")
CRITERIA = (
    "death",
    "life_threatening",
    "hospitalisation",
    "disability",
    "congenital_anomaly",
    "other_medically_important",
)


@dataclass(frozen=True)
class Facts:
    """What is known of one side effect; None where it is not (yet) known."""

    onset: str | None = None  # ISO date
    onset_said: str | None = None  # the words, when they date it less precisely than a day
    ongoing: bool | None = None
    severity: str | None = None
    care: str | None = None  # one of CARE
    product: str | None = None  # the study treatment, in the person's words
    last_dose: str | None = None  # ISO date, when the answer gives one
    criteria: tuple[str, ...] = ()  # seriousness criteria the words state themselves
    skipped: tuple[str, ...] = ()  # the steps the person skipped or could not answer
    # Values read from how the report is told rather than said outright ("I feel sick since
    # Monday": still going on, by its tense); their question is asked all the same.
    inferred: tuple[str, ...] = ()
    answers: tuple[tuple[str, str], ...] = field(default=())  # (step, their words)

    @property
    def seriousness(self) -> list[str]:
        found = set(self.criteria)
        if self.care == "hospital":
            found.add("hospitalisation")
        elif self.care == "emergency":
            found.add("other_medically_important")
        return [criterion for criterion in CRITERIA if criterion in found]

    @property
    def serious(self) -> bool | None:
        """True with a criterion; False once the care needed is known and none applies."""
        if self.seriousness:
            return True
        return False if self.care is not None else None

    @property
    def complete(self) -> bool:
        return None not in (self.onset or self.onset_said, self.ongoing, self.severity, self.care)

    def known(self, step: Step) -> bool:
        """Whether `step` needs no question: answered, skipped, or said in the report."""
        if step in self.skipped:
            return True
        if step in self.inferred:
            return False
        if step == "onset" and self.onset_said and any(s == "onset" for s, _ in self.answers):
            return True  # asked, and answered as precisely as the person could
        if step == "product" and self.product is not None and self.last_dose is None:
            # The report named the treatment: when it was last taken is asked, once.
            return any(s in ("product", "last_dose") for s, _ in self.answers)
        value = {
            "onset": self.onset,  # "since the injection" said in a report: asked all the same
            "ongoing": self.ongoing,
            "severity": self.severity,
            "care": self.care,
            "product": self.product,
        }[step]
        return value is not None

    def next_step(self) -> Step | None:
        return next((step for step in STEPS if not self.known(step)), None)

    def merged(self, other: Facts) -> Facts:
        """These facts, with what `other` knows and these do not."""
        values = {
            name: (
                getattr(other, name)
                if getattr(other, name) is not None
                and (getattr(self, name) is None or name in self.inferred)
                else getattr(self, name)
            )
            for name in ("onset", "onset_said", "ongoing", "severity", "care", "product")
        }
        values["inferred"] = tuple(n for n in self.inferred if getattr(other, n, None) is None)
        values["last_dose"] = self.last_dose or other.last_dose
        if values["care"] is not None and other.care is not None:
            values["care"] = max(values["care"], other.care, key=CARE.index)
        criteria = tuple(c for c in CRITERIA if c in {*self.criteria, *other.criteria})
        return replace(self, **values, criteria=criteria)

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "criteria": list(self.criteria),
            "skipped": list(self.skipped),
            "inferred": list(self.inferred),
            "answers": [list(pair) for pair in self.answers],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Facts:
        return cls(
            onset=data.get("onset"),
            onset_said=data.get("onset_said"),
            ongoing=data.get("ongoing"),
            severity=data.get("severity"),
            care=data.get("care"),
            product=data.get("product"),
            last_dose=data.get("last_dose"),
            criteria=tuple(data.get("criteria") or ()),
            skipped=tuple(data.get("skipped") or ()),
            inferred=tuple(data.get("inferred") or ()),
            answers=tuple((str(a), str(b)) for a, b in data.get("answers") or ()),
        )

    def summary(self) -> dict[str, Any]:
        """The CONTRACT's `follow_up` object."""
        return {
            "onset": self.onset or self.onset_said,
            "ongoing": self.ongoing,
            "severity": self.severity,
            "serious": self.serious,
            "seriousness": self.seriousness,
            "complete": self.complete,
        }


def extract(text: str, received: dt.datetime, products: tuple[str, ...] = ()) -> Facts:
    """What a report says of its side effect, with nothing guessed; `products`: the codes of
    the study treatments of the person's trial ("DMX-101"), which they may name by them."""
    folded = _NOT_AN_EMERGENCY.sub(" ", _folded(text))
    today = received.date()
    # "dry cough 3 days", "diarrhée 3 jours": a few words and how long, up to now.
    lasting = _HOW_LONG_ALONE.search(folded) if len(folded.split()) <= 6 else None
    if lasting is not None:
        folded = f"{folded[: lasting.start()]} for {lasting[1]} days now"
    onset, said = _onset(folded, today)
    ongoing = _ongoing(folded)
    inferred: tuple[str, ...] = ()
    if ongoing is None and _told_as_present(folded) and not _CRITERIA["death"].search(folded):
        ongoing, inferred = True, ("ongoing",)
    criteria = _criteria(folded)
    if ongoing is None and "congenital_anomaly" in criteria:
        ongoing = True  # what a child is born with is still there
    return Facts(
        product=_product(text, products),
        onset=onset,
        onset_said=said,
        ongoing=ongoing,
        inferred=inferred,
        severity=_severity(folded),
        care=_care(folded),
        criteria=criteria,
    )


_CAME_BACK = re.compile(rules.BACK)


def came_back(text: str) -> bool:
    """Whether a report tells of a side effect that is back, or worse: "the headaches are back
    again today", "les vertiges sont revenus"."""
    return _CAME_BACK.search(_folded(text)) is not None


def recurrence(facts: Facts, first: Facts) -> Facts:
    """What a report of a side effect that came back knows: it is going on now, and its study
    treatment is the first report's unless it names another."""
    ongoing = True if facts.ongoing is None or "ongoing" in facts.inferred else facts.ongoing
    return replace(
        facts,
        ongoing=ongoing,
        inferred=tuple(name for name in facts.inferred if name != "ongoing"),
        product=facts.product or first.product,
        last_dose=facts.last_dose or (first.last_dose if facts.product is None else None),
    )


# "no it's not an emergency, she's in hospital": its "no" answers nothing that was asked.
_NOT_AN_EMERGENCY = re.compile(
    r"(?:^(?:no|non|nope|nah)\b[ ,.!]*)?\b(?:it'?s|its|it is|c'?est|cest|c|ce n'?est) "
    r"(?:not|pas|no longer|plus) (?:an |une )?(?:emergency|urgence)\b[ ,.!]*(?:now|maintenant)?"
)
_HOW_LONG_ALONE = re.compile(r"(?<!ago )(?<!for )(?<!pendant )\b(\d+) ?(?:days?|jours?|j)$")

Answer = Facts | Literal["skip", "end"] | None


def read_answer(step: Step, text: str, received: dt.datetime) -> Answer:
    """The facts an answer to `step`'s question gives: "skip" when the person passes, "end"
    when they want no more questions, None when it does not read as an answer to it."""
    folded = _NOT_AN_EMERGENCY.sub(" ", _folded(text)).strip()
    button = _BUTTON.match(text.strip())
    if button is not None:
        return _from_button(button["step"], button["value"], received)
    if _END.search(folded):
        return "end"
    skipped = _SKIP.search(folded)
    if skipped is not None:
        rest = folded[skipped.end() :].strip(" ,.;!?")
        found = read_answer(step, rest, received) if rest else None
        return found if isinstance(found, Facts) else "skip"  # "jsp, moyen": moderate
    today = received.date()
    if step == "onset":
        text = _as_when(folded)
    found = extract(text, received)
    if step == "onset":
        if found.onset or found.onset_said:
            return Facts(onset=found.onset, onset_said=found.onset_said)
        return None
    if step == "ongoing":
        ongoing = _course_answer(text, folded, found)
        return None if ongoing is None else Facts(ongoing=ongoing)
    if step == "severity":
        severity = found.severity or _severity_word(folded)
        return None if severity is None else Facts(severity=severity)
    if step == "care":
        # "nn", "nop": a no alone; "pas trop" (to another question) is not one.
        alone = len(folded.split()) == 1
        said_no = (
            _yes_no(folded) is False
            or (alone and polarity(text) is False)
            or _NOT_YET.search(folded) is not None
        )
        care = found.care or ("none" if said_no else None)
        if care is None and _NOBODY.search(folded):
            care = "none"
        return None if care is None else Facts(care=care, criteria=found.criteria)
    # product: their words; a date in them is the last dose ("didn't take today" is not one).
    # Words that name no treatment and no day are no answer ("he IS in hospital already").
    if len(folded.split()) > 40 or (
        len(folded.split()) > 4
        and not _A_TREATMENT.search(folded)
        and not any(day is not None for day in _days(_as_when(folded, alone=False), today))
    ):
        return None
    taken_on = " , ".join(p for p in re.split(r"[,;.]", folded) if not _NOT_TAKEN.search(p))
    named = _days(_as_when(taken_on, alone=False), today)
    days = [day for day in named if day is not None and day <= today]
    last = max(days).isoformat() if days else None  # the latest day named: the last dose
    # "les comprimes dmx, hier soir": the treatment is the part that names no day.
    parts = [p.strip() for p in re.split(r"[,;.]", text) if p.strip()]
    undated = [p for p in parts if not any(_days(_as_when(_folded(p), alone=False), today))]
    product = ", ".join(undated) if undated and len(undated) < len(parts) else text.strip()
    return Facts(product=product[:200], last_dose=last)


# What names a study treatment in an answer: a kind of treatment, or a code ("XY-101", "ab 202").
_A_TREATMENT = re.compile(rf"\b(?:{rules.TREATMENT_WORDS}|[a-z]{{2,4}}[- ]?\d{{2,4}})\b")
# A day the treatment was not taken: "didn't take today", "pas pris ce matin", "skipped monday".
_NOT_TAKEN = re.compile(
    r"\b(?:didn'?t|didnt|did not|haven'?t|havent|have not|not taken|skipped|missed|forgot|"
    r"pas pris|pas prise?|oublie\w*|saute\w*|rate)\b"
)


def taken(facts: Facts, step: Step, found: Facts, text: str, received: dt.datetime) -> Facts:
    """`facts` once `text` answered `step`'s question with `found`: what it answers, what else
    it says outright of the side effect, and the person's words."""
    # With the treatment known, its question asked when it was last taken: the answer says so.
    asked = "last_dose" if step == "product" and facts.product is not None else step
    facts = facts.merged(found).merged(_besides(step, text, received))
    return replace(facts, answers=(*facts.answers, (asked, text.strip()[:500])))


def _besides(step: Step, text: str, received: dt.datetime) -> Facts:
    """What an answer tells of the side effect besides what was asked, said outright ("since
    monday and still itchy" to "when did it start?"): the rest of a report sent in two parts.
    Only an answer about its course dates its start: a day in another answer tells of the care,
    the time off work or the last dose."""
    said = extract(text, received)
    if step != "ongoing":  # "yes since monday"; not "j'ai dû poser 2 jours", nor a last dose
        said = replace(said, onset=None, onset_said=None)
    if "ongoing" in said.inferred:  # told in the present: the course is still asked
        said = replace(said, ongoing=None)
    if step == "ongoing" and _severity(_DEGREE_ONLY.sub(" ", _folded(text))) is None:
        # "oui tjr un peu", "yes still a bit": how much of it is left, not how much it gets in
        # the way of daily life, which is asked.
        said = replace(said, severity=None)
    return replace(said, inferred=(), product=None)


_DEGREE_ONLY = re.compile(r"\b(?:a (?:bit|little|tad)|a little bit|slightly|un peu)\b")


_SHORT_DAY = re.compile(
    r"^((?:since |from |on |depuis |le )?(?:last )?)(sat|sun|mon|tue|wed|thu|thur|fri|sam|dim|"
    r"lun|mar|mer|jeu|"
    r"ven)\b"
)
_SHORT_DAYS = {
    "sat": "saturday", "sun": "sunday", "mon": "monday", "tue": "tuesday", "wed": "wednesday",
    "thu": "thursday", "thur": "thursday", "fri": "friday", "sam": "samedi", "dim": "dimanche",
    "lun": "lundi", "mar": "mardi", "mer": "mercredi", "jeu": "jeudi", "ven": "vendredi",
}  # fmt: skip


def _as_when(folded: str, *, alone: bool = True) -> str:
    """An answer to "when did it start?" (or "when did you last take it?") as a report would
    say it: "sat nite" is Saturday night, "3 jours" three days ago, "this morn" this morning.
    Only in an answer: in a report, "the sun" is no day. `alone`: the answer is only the day."""
    folded = re.sub(r"\bthis (?:am|morn|mornin'?|mrng|morng)\b", "this morning", folded)
    folded = re.sub(r"\b(?:ce mat|c matin|ce mat1)\b", "ce matin", folded)
    folded = re.sub(r"\b(?:last nite|lastnight|las nite)\b", "last night", folded)
    if not alone:
        days = "|".join(_SHORT_DAYS)
        return re.sub(rf"\blast ({days})\b", lambda m: f"last {_SHORT_DAYS[m[1]]}", folded)
    folded = _SHORT_DAY.sub(lambda m: f"{m[1]}{_SHORT_DAYS[m[2]]}", folded)
    return re.sub(r"^(?:about |around |environ )?(\d+) (days?|jours?)$", r"\1 \2 ago", folded)


def leaves(text: str) -> bool:
    """A message that closes the exchange rather than answers ("stop", "c'est bon merci")."""
    return _LEAVES.search(_folded(text)) is not None


def skips(text: str) -> bool:
    """ "skip", "passer", "next" typed alone."""
    return _SKIPS_ALONE.fullmatch(_folded(text).strip(" .!")) is not None


_SKIPS_ALONE = re.compile(r"skip|pass|next|passer|suivant|je passe|skip it|skip that")


def closes(text: str) -> bool:
    """A goodbye or thanks where an answer was awaited ("c bon", "ok merci", "bye")."""
    return _CLOSES.search(_folded(text)) is not None


def payload(step: Step, value: str) -> str:
    """What a follow-up button sends: the gateway reads it, Rasa never sees it."""
    return f"/follow_up:{step}={value}"


def is_button(text: str) -> bool:
    return _BUTTON.match(text.strip()) is not None


def button_value(text: str) -> str | None:
    """What a follow-up button tapped says ("moderate", "yes"); None for typed words."""
    found = _BUTTON.match(text.strip())
    return found.group("value") if found else None


def _from_button(step: str, value: str, received: dt.datetime) -> Answer:
    """What a follow-up button says; "today" and "yesterday" dated from when it was tapped."""
    if value == "skip":
        return "skip"
    if value == "end":
        return "end"
    if step == "ongoing" and value in ("yes", "no"):
        return Facts(ongoing=value == "yes")
    if step == "severity" and value in SEVERITIES:
        return Facts(severity=value)
    if step == "care" and value in CARE:
        return Facts(care=value)
    days = {"today": 0, "yesterday": 1}.get(value) if step == "onset" else None
    if days is None:
        return None
    return Facts(onset=(received.date() - dt.timedelta(days=days)).isoformat())


_BUTTON = re.compile(r"^/follow_up:(?P<step>[a-z_]+)=(?P<value>[a-z_]+)$")

# Typing and SMS spellings, read as words before the patterns run.
_SPELLINGS = (
    (r"\b(?:2day|tday|tdy)\b", "today"),
    (r"\b(?:yday|yest|ystrday|yesterdy|yestrday|yesterady)\b", "yesterday"),
    (r"\b(?:tonite|2nite)\b", "tonight"),
    (r"\b(?:aujourdhui|aujourd hui|auj|ajd|aujd)\b", "aujourd'hui"),
    (
        r"(?<!il )\b(?:il ya|ya|y a)\b(?= (?:\d|un|une|deux|trois|quatre|cinq|six|huit|dix|"
        r"quinze|quelques|plus))",
        "il y a",
    ),
    (r"\b(?:hier soir|cette nuit)\b", "hier"),
    (r"\b(?:jsuis|chuis|jsui|chui)\b", "je suis"),
    (r"\b(?:tjrs|tjs|toujour)\b", "toujours"),
    (r"\b(?:qd|qnd)\b", "quand"),
    (r"\b(?:pcq|pck|psk)\b", "parce que"),
    (r"\b(?:hopital|hosto|hostau|hospital|hosp|hospitl|hosiptal)\b", "hospital"),
    # "je suis en cardiologie depuis": a ward, a stay in hospital, not a visit to a specialist.
    (
        r"\b(?:suis|est|etait|etais) (?:encore |toujours )?en (?:cardiolog|neurolog|pneumolog|"
        r"gastro)\w*",
        "suis hospitalise",
    ),
    # "Bonjour docteur," greets; it is no care given.
    (
        r"^(?:bonjour|bonsoir|salut|hello|hi|dear|cher|chere)\s+(?:docteur|doctor|dr|doc)\b",
        "bonjour",
    ),
    (r"\b(?:dr|doc|docteur|gp|medecin|medcin|generaliste|toubib)\b", "doctor"),
    (
        r"\b(?:dermato\w*|neurolog\w*|cardiolog\w*|gastro\w*|pneumolog\w*|rhumatolog\w*|"
        r"ophtalmo\w*|ophthalmolog\w*|gyn[ae]\w*|specialist|specialiste|orl)\b",
        "doctor",
    ),
    (r"\b(?:la nuit derniere|last evening)\b", "last night"),
    (r"\b24/7\b", "all the time"),
    (r"\b(\d+) ?j\b(?!')", r"\1 jours"),
    (r"\b(?:ca a passe|sa a passe|c'?est passe tout seul)\b", "ca passe"),
    (r"\bmnt\b", "maintenant"),
    (r"\b(?:comes?|come) (?:n|an|&|and) (?:goes?|go)\b", "comes and goes"),
    (r"\b(?:ca|sa|ça) va et (?:ca|sa|ça) vient\b", "par moments"),
    (r"\bbcp\b", "beaucoup"),
    (r"\bwk\b", "week"),
    (r"\bwks\b", "weeks"),
)
_SPELLING_RES = tuple((re.compile(pattern), word) for pattern, word in _SPELLINGS)


def _folded(text: str) -> str:
    folded = re.sub(r"[’`´]", "'", fold(text))
    folded = re.sub(r"\s+", " ", folded.replace("&", " and ")).strip()
    for pattern, word in _SPELLING_RES:
        folded = pattern.sub(word, folded)
    return folded


# A negation among the words just before a match: "didn't go to A&E", "pas allé aux urgences".
_NEGATION = re.compile(
    r"\b(?:not|no|never|didn'?t|didnt|did not|haven'?t|havent|have not|wasn'?t|wasnt|don'?t|"
    r"dont|no need|without|ne|n'|pas|jamais|sans|aucun|aucune|nobody|personne|failli|"
    r"told me to|told us to|said to|said go|advised|dit d'?|conseille|voulaient|wanted to)\b|n'"
)


def _negated(folded: str, start: int, words: int = 5) -> bool:
    clause = re.split(r"[.;!?,]| but | mais | and | et | puis ", folded[:start])[-1]  # its clause
    before = " ".join(clause.split()[-words:])
    return _NEGATION.search(before) is not None


def _first(pattern: re.Pattern[str], folded: str) -> re.Match[str] | None:
    """The first match of `pattern` with no negation before it."""
    return next((m for m in pattern.finditer(folded) if not _negated(folded, m.start())), None)


_WEEKDAYS = {
    "monday": 0, "lundi": 0, "tuesday": 1, "tues": 1, "mardi": 1, "wednesday": 2, "weds": 2,
    "mercredi": 2, "thursday": 3, "thurs": 3, "jeudi": 3, "friday": 4, "vendredi": 4,
    "saturday": 5, "samedi": 5, "sunday": 6, "dimanche": 6,
}  # fmt: skip
_MONTHS = dates.MONTHS
_WEEKDAY_WORD = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_MONTH_WORD = "|".join(sorted(_MONTHS, key=len, reverse=True))
_TODAY = re.compile(
    r"\b(?:today|this morning|this afternoon|this evening|tonight|earlier today|"
    r"aujourd'hui|ce matin|a matin|cet apres[- ]midi|ce soir|tout a l'heure|depuis ce matin|"
    r"(?:\d+|an|a few|couple of) (?:hours?|hrs?|minutes?|mins?) ago|"
    r"il y a (?:\d+|une|quelques) ?(?:heures?|h|minutes?|min))\b"
)
_YESTERDAY = re.compile(r"\b(?:yesterday|last night|hier|avant[- ]hier|all night|toute la nuit)\b")
_WEEKDAY = re.compile(rf"\b(?:(last|dernier) )?({_WEEKDAY_WORD})\b(?: (dernier|passe))?")
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th|er)? (?:of )?({_MONTH_WORD})\b\.?|"
    rf"\b({_MONTH_WORD}) (\d{{1,2}})(?:st|nd|rd|th)?\b|"
    r"(?<![\d/.-])(\d{1,2})/(\d{1,2})(?:/(?:20)?\d\d)?(?![\d/])"
)
_AGO = re.compile(
    r"\b(?:(\d+) (days?|jours?|weeks?|semaines?) (?:ago|now|back)|"
    r"(?:il y a|ca fait|sa fait|depuis|since|^for|the (?:last|past)|these (?:last|past)) "
    r"(\d+) (jours?|semaines?|days?|weeks?))\b"
)
# Days the words date only roughly: kept as words, never as a guessed date.
_ROUGHLY = re.compile(
    r"\b(?:last week|a few days|few days|couple (?:of )?days|for a while|a while|some time|"
    r"la semaine derniere|quelques jours|plusieurs jours|depuis un moment|depuis quelque temps|"
    r"depuis un bout|recently|recemment|ces derniers jours|the past few days|"
    r"(?:since|over|depuis|pendant) (?:the |le |la )?(?:week[- ]?end|fin de semaine)|"
    r"(?:since|after|depuis|apres) (?:the|my|la|le|ma|mon) (?:first|second|third|last|\d+\w*|"
    r"premiere?|deuxieme|seconde?|troisieme|derniere?)? ?(?:dose|injection|shot|jab|piqure|"
    r"prise|visit|visite|perfusion|infusion|cure))\b"
)


# "a week or so ago", "il y a environ 10 jours": said as roughly as that, kept as words.
_APPROXIMATE = re.compile(
    r"\b(?:(?:about|around|roughly|approximately|approx|maybe|environ|a peu pres|a peu pret|"
    r"plus ou moins|genre|une) (?:\d+|a|one|two|une|deux|dizaine) ?(?:days?|weeks?|jours?|"
    r"semaines?|de jours)|(?:days?|weeks?|ago|week) or so|(?:\d+|a) (?:days?|weeks?) ish|"
    r"(?:days?|weeks?|jours?|semaines?) (?:give or take|more or less|plus ou moins|environ))\b"
)
# A month named without its day ("in October", "en octobre"), before this one: said roughly.
_MONTH_ONLY = re.compile(rf"\b(?:in|en|since|depuis|during|debut|fin|mid) ({_MONTH_WORD})\b(?! \d)")
# "since the weekend", "depuis la 2e dose": when it began is no day, whatever follows.
_SINCE_ROUGH = re.compile(
    r"\b(?:since|depuis) (?:the |le |la )?(?:week[- ]?end|fin de semaine|(?:\d+\w*|first|second|"
    r"premiere?|deuxieme|seconde?) (?:dose|injection|shot|jab|piqure|prise))\b"
)
# When it ended, not when it began: "fini depuis hier", "gone since yesterday".
# What a person can lose, so that "je n'ai plus d'appétit" tells of a symptom that goes on.
_FACULTY = "(?:appetit|faim|gout|odorat|energie|force|sommeil|envie|souffle|libido)"
_ENDED_WHEN = re.compile(
    rf"\b(?:(?:n'?|j'?)?ai plus(?! (?:du tout )?(?:d'?|de )?{_FACULTY})|fini|finie|termine|"
    r"terminee|parti|partie|passe|disparu|disparue|gone|finished|stopped|cleared|fine|better|"
    r"mieux|ca va)(?: \w+){0,2} (?:depuis|since|on|le)? ?"
    rf"(?:hier|yesterday|today|aujourd'hui|ce matin|this morning|last night|{_WEEKDAY_WORD})\b"
)
# The clause that tells of a death dates the death, not the side effect, when the report tells
# of what came before it ("short of breath for a few days before", "admis quatre jours plus tôt").
_DEATH_CLAUSE = re.compile(
    r"[^.;]*\b(?:passed away|has died|she died|he died|decede\w*|est mort\w*)\b[^.;]*"
)
_BEFORE_DEATH = re.compile(r"\b(?:before|beforehand|plus tot|avant|had been|avait ete)\b")


def _onset(folded: str, today: dt.date) -> tuple[str | None, str | None]:
    """The day it started (ISO), or the rough words that date it, or neither."""
    if _BEFORE_DEATH.search(folded):
        folded = _DEATH_CLAUSE.sub(" ", folded)
    folded = _ENDED_WHEN.sub(" ", folded)
    folded = _ENDED_THEN.sub(" ", folded)
    folded = _NOT_ONSET.sub(" ", folded)
    folded = _AGE.sub(" ", folded)  # "58 ans et depuis les comprimés…": an age, not a date
    folded = _OVER_TOLD_THEN.sub(" ", folded)  # "je remarche depuis hier": the end's day
    folded = _RANGE.sub(lambda m: f"{m[1]} {m[3]} to {m[2]} {m[3]}", folded)
    folded = _SINCE_SHORT_DAY.sub(lambda m: f"{m[1] or m[3]} {_SHORT_DAYS[m[2] or m[4]]}", folded)
    since = _SINCE_ROUGH.search(folded)
    if since is not None:
        return None, since.group(0)  # "since the weekend…, the last one this morning"
    month = _MONTH_ONLY.search(folded)
    if month is not None and _MONTHS[month[1]] != today.month:
        return None, month.group(0)  # "en octobre": no day to give
    day = None if _APPROXIMATE.search(folded) else _onset_day(folded, today)
    if day is not None and day <= today:
        return day.isoformat(), None
    rough = _ROUGHLY.search(folded)
    return None, rough.group(0) if rough else None


# Days that date something other than the start: the last time, the end, a visit to the doctor,
# the return to work ("la dernière fois c'était le 14", "haven't had one since the weekend",
# "saw my GP on Friday about…", "j'ai pu reprendre le boulot lundi").
_NOT_ONSET = re.compile(
    r"\b(?:la derniere fois|the last (?:one|time)|last one)[^.;]{0,25}|"
    r"(?:haven'?t|havent|have not|hasn'?t|pas eu|plus eu|aucune? autre|nothing like (?:it|that) )"
    r"[^.;]*?(?:since|depuis)[^.;,]*|"
    r"(?:saw|seen|visited|went to|vu|consulte|passee? chez) (?:my |the |mon |ma |le |la )?"
    r"(?:gp|doctor|doc|medecin(?: traitant)?|nurse|pharmacist|dentist|generaliste|pharmacien\w*|"
    r"infirmi\w*)(?: on| ce| le)? (?:\w+day|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)|"
    r"(?:pu reprendre|back (?:to|at) work|reached|returned to work|repris le \w+)[^.,;]{0,30}|"
    # The day they came home from hospital: "je suis sortie jeudi", "discharged on friday".
    r"(?:suis sortie?|est sortie?|sortie? de l'?(?:hopital|hosto|clinique)|discharged|"
    r"got (?:out|home)|came (?:out|home)|let out|left (?:the )?hospital)[^.,;]{0,30}|"
    r"(?:appel\w*|compos\w*|fait) (?:le |la )?(?:15|17|18|112|114|115)\b"  # a number, not a day
)
_AGE = re.compile(
    r"(?<!il y a )(?<!depuis )(?<!ca fait )(?<!since )(?<!for )(?<!pendant )"
    r"\b\d{1,3} ?(?:ans|yo|y/o|years? old)\b"
)
# "9th-12th Nov", "from 10th to 13th Nov", "du 10 au 13 novembre": from the first day.
_RANGE = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th|er)? ?(?:-|to|au|till|until) ?(\d{{1,2}})(?:st|nd|rd|th)? "
    rf"({_MONTH_WORD})\b"
)
# "since mon", "depuis jeu" (not "depuis mon lit", nor "since sun exposure").
_SINCE_SHORT_DAY = re.compile(
    r"\b(since|from) (mon|tue|wed|thu|thur|fri|sat)\b|\b(depuis) (lun|mer|jeu|ven|sam|dim)\b"
)


def _onset_day(folded: str, today: dt.date) -> dt.date | None:
    """The earliest day the words name: a report tells how it began, then what followed
    ("since the 10th…, ended up in A&E on saturday")."""
    found = [day for day in _days(folded, today) if day is not None and day <= today]
    return min(found) if found else None


def _days(folded: str, today: dt.date) -> Iterator[dt.date | None]:
    text = dates.digits(folded)
    for ago in _AGO.finditer(text):
        count = int(ago[1] or ago[3])
        unit = ago[2] or ago[4]
        yield today - dt.timedelta(days=count * (7 if unit.startswith(("w", "s")) else 1))
    if re.search(r"\b(?:a|one|1) week ago\b|\bil y a (?:une|1) semaine\b", text):
        yield today - dt.timedelta(days=7)
    if re.search(r"\b(?:2|two) weeks ago\b|\bil y a (?:2|deux) semaines\b", text):
        yield today - dt.timedelta(days=14)
    if re.search(r"\bavant[- ]hier\b|\bday before yesterday\b", folded):
        yield today - dt.timedelta(days=2)
    if _YESTERDAY.search(folded):
        yield today - dt.timedelta(days=1)
    if _TODAY.search(folded):
        yield today
    for named in _DAY_MONTH.finditer(text):
        yield _dated(named, today)
    for day in _DAY_ALONE.finditer(text):
        yield _in_month(int(day[1] or day[2]), today)
    for weekday in _WEEKDAY.finditer(folded):
        wanted = _WEEKDAYS[weekday[2]]
        # Today's own name is last week's: "it started on monday", written on a Monday,
        # would have said "today" (or "this morning") otherwise.
        yield today - dt.timedelta(days=(today.weekday() - wanted) % 7 or 7)
    if _LASTING.search(text):  # "for 2 weeks now", "depuis 10 jours": a span up to today
        span = dates.span(text, today)
        if span is not None and span.earliest is not None and span.earliest == span.latest:
            yield span.earliest


# "on the 12th", "since the 10th", "le 12", "depuis le 10": a day of this month (else the last).
_DAY_ALONE = re.compile(
    r"(?:\b(?:on|since|from|noticed|started|began)|^) ?the (\d{1,2})(?:st|nd|rd|th)\b"
    r"(?! (?:dose|injection|shot|jab|infusion|"
    r"visit|course|cycle|week|day|time|tablet|pill|treatment))|"
    r"\b(?:le|depuis le|du|mardi|lundi|mercredi|jeudi|vendredi|samedi|dimanche) (\d{1,2})(?:er)?\b"
    r"(?! ?(?:mg|ml|h|heures?|ans|jours|fois|%|g|/|\d))"
)
# A time that runs up to now: "for 2 weeks now", "has been blurry for 10 days", "depuis 3 jours".
_LASTING = re.compile(
    r"\b(?:depuis|dpuis|ca fait|sa fait|il y a)\b|\bfor \d+ \w+ now\b|"
    r"\b(?:been|have had|'ve had|ve had|has had)\b.*\bfor \d+\b|\bago\b"
)


def _in_month(day: int, today: dt.date) -> dt.date | None:
    if not 1 <= day <= 31:
        return None
    try:
        when = today.replace(day=day)
    except ValueError:
        return None
    if when <= today:
        return when
    last = today.replace(day=1) - dt.timedelta(days=1)
    try:
        return last.replace(day=day)
    except ValueError:
        return None


def _dated(found: re.Match[str], today: dt.date) -> dt.date | None:
    if found[1]:
        day, month = int(found[1]), _MONTHS[found[2]]
    elif found[3]:
        day, month = int(found[4]), _MONTHS[found[3]]
    else:
        day, month = int(found[5]), int(found[6])
        if month > 12 >= day:
            day, month = month, day  # "11/13": written month first
    try:
        when = dt.date(today.year, month, day)
    except ValueError:
        return None
    return when if when <= today else _year_before(when)


def _year_before(day: dt.date) -> dt.date | None:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return None


_STILL = re.compile(
    r"\b(?:(?<!can )(?<!could )(?<!cn )still(?! (?:able|manage))|ongoing|"
    r"keeps? (?:on|coming|happening|getting)|keep getting|won'?t go|wont go|"
    r"comes? and goes?|on and off|off and on|ca va ca vient|ca vient et ca repart|par moments|"
    r"par periodes|intermittent\w*|"
    r"not (?:gone|going away|stopped|better)|hasn'?t (?:gone|stopped|settled|cleared)|"
    r"hasnt (?:gone|stopped|settled|cleared)|isn'?t (?:going|getting better)|getting worse|"
    r"worse and worse|every (?:day|morning|night|evening)|each (?:day|morning)|all the time|"
    r"constantly|non stop|nonstop|right now|at the moment|as we speak|currently|"
    r"toujours|encore|continue(?! a | to )|persiste|tout le temps|en permanence|h24|"
    r"ne passe pas|passe pas|ne part pas|part pas|"
    r"pas (?:parti|passe|fini|disparu|partie)|s'aggrave|s aggrave|empire|de pire en pire|"
    r"tous les (?:jours|matins|soirs)|chaque (?:jour|matin|soir|nuit)|en ce moment|"
    r"actuellement|sans arret|non[- ]stop|la maintenant|depuis (?:ce matin|hier|\d+ jours)|"
    r"persist\w*|reste\w* (?:gonfle\w*|rouge\w*|douloureu\w*|enfle\w*)|remains?|"
    r"(?:can|could) no longer|can'?t \w+ (?:\w+ )?any ?more|permanent\w*|definiti\w*|for life|"
    r"a vie|sequelles?|toujours pas|ne \w+ (?:toujours )?plus|n'?entends? plus|worse in the|"
    r"\d+ (?:days?|weeks?) now|driving me|scars?|scarred|cicatrices?|same thing again|"
    r"the (?:second|third|fourth|\d+\w*) time|(?:is|'?s|are) in (?:intensive care|icu|the hospital|"
    r"hospital)|(?:est|suis) (?:en rea|hospitalisee?|au lit|couchee?)|en rea depuis|"
    r"n'?arrive plus|mais ca va mieux|presque partie?|commence a partir|encore (?:la|un peu)|"
    # "je n'ai plus d'appétit": a faculty lost, which goes on, not a symptom that ended.
    rf"(?:n'?|j'?)?ai plus (?:du tout )?(?:d'?|de )?{_FACULTY}|plus (?:d'?|de ){_FACULTY}|"
    # What does not end: "une toux qui me lâche pas", "the sight never came back", a ward now.
    r"come?s? and go(?:es)?|(?:me )?lache(?:nt)? pas|(?:sight|vision|hearing|smell|taste|"
    r"feeling|strength) (?:\w+ ){0,4}never (?:came|come|comes) back|"
    r"(?:i'?m|im|is|'s) on the \w+ ward|hospital bed|lit d'?hopital|"
    r"(?:ecris|ecrit) (?:de|depuis) l'?hopital|never (?:settles?|goes|stops|eases)(?: down| away)?|"
    r"(?:doesn'?t|does not|don'?t) work (?:like|as) (?:before|it used to)|"
    r"(?:ne )?marche plus comme avant)\b"
)
_STOPPED = re.compile(
    r"\b(?:gone(?! through)|went away|go away on its own|stopped(?! \w+ing)|passed(?! away)|"
    r"it'?s over|its over|over now|"
    r"settled|resolved|cleared(?: up)?|disappeared|only lasted|lasted (?:about |around |for |"
    r"maybe |like |roughly )?(?:\d+|an?|a few|half)|for (?:about |around |maybe |like )?"
    r"(?:\d+|an?|a few) ?(?:minutes?|hours?|mins?|hrs?|h)\b|"
    r"(?:been )?(?:ok|okay|fine|good|alright|all right) since|depuis (?:ca|sa|c) va|ca va depuis|"
    r"no longer|(?:not|no|isn'?t|isnt) (?:there |here )?any ?more|fine now|ok now|okay now|"
    r"back to normal|better now|"
    r"c'?est passe|ca (?:s'?est )?passe|c passe|est passe|passe maintenant|parti|partie|"
    r"disparu|disparue|fini|finie|termine|terminee|plus rien|"
    # "je n'ai plus de fièvre depuis hier": the "depuis" dates the end.
    r"(?:n'?|j'?)?ai plus (?:de |d'?)?\w+ depuis (?:ce matin|hier|\d+ jours|\w+)|"
    r"n'?ai plus|ai plus|j'?ai plus|"
    r"a dure|n'a dure|seulement \d+ (?:minutes?|heures?)|pendant (?:genre |environ |a peu pres )?"
    r"(?:\d+ ?(?:min|minutes?|h|heures?)|une heure|une minute|quelques (?:minutes|heures))|"
    r"revenu a la normale|ca va mieux maintenant|tout va bien maintenant|"
    r"(?:been |all )?fine since|(?:was |been )?fine by|all fine now|(?<!said )(?<!says )"
    r"(?:they'?re|theyre|it'?s|its) fine|ca va maintenant|va bien depuis|redescendu|"
    r"rentree? dans l'?ordre|finished|"
    r"(?:fine|ok|okay|better|good|alright|all right) (?:today|this morning)|brought it down|"
    r"(?:ce matin|aujourd'?hui) (?:ca va|c'?est bon|plus rien)|va mieux|plus de \w+ depuis|"
    r"no (?:more )?\w+ since|aucune? \w+ depuis|eased(?: off)?|settled|went down|healed|"
    r"(?:fully )?recovered|"
    r"(?:was|is) normal (?:by|again|now)|normal by|normal again|lasted (?:from|till|until)|"
    r"(?:haven'?t|havent|have not|not|never) (?:had|felt|noticed) (?:any ?more|another|"
    r"one|any|anything|that \w+ again|it again)|nothing since|no (?:further|"
    r"more) (?:\w+ )?(?:since|"
    r"problems?|episodes?|issues?|symptoms?)|(?:hasn'?t|has not|not|it'?s not) come back|"
    r"home now and (?:feeling )?(?:fine|ok|well)|feel(?:ing)? (?:fine|ok|okay|well)|"
    r"doing (?:alright|ok|fine|well)|"
    r"(?:fievre|temperature|tension) (?:est )?(?:tombee|redescendue)|calme|"
    r"s'?est arrete\w*|a arrete|allait mieux|"
    r"ca allait|je vais bien|va bien|se porte bien|je me sens bien|depuis (?:tout va bien|"
    r"plus rien|je n'?ai plus rien|rien)|plus maintenant|a part ca tout va bien|"
    r"redescendue?|"
    # Back to how things were: "coffee smells like coffee again", "right as rain", "nickel".
    r"(?:smooth|normal|clear|fine|myself|human|well|eating|sleeping|walking|working|running)"
    r" again|(?:smells?|tastes?) (?:of|like) \w+ again|right as rain|like nothing happened|"
    r"back (?:to|at|on|in) (?:my |the )?(?:normal|usual|myself|work|desk|track|feet|routine)|"
    r"(?:not|no) (?:a )?trace|can'?t find it|slept it off|packed (?:in|up)|"
    r"(?:heal|clear|settle)(?:ed)? up|took (?:about |around )?(?:a |\w+ )(?:days?|weeks?) to "
    r"(?:heal|clear|settle|go)|next day (?:i was|i'?m) (?:out|back|fine)|all good now|"
    r"repartie? comme en 40|effacee?s?|(?:m'?ont|m'?a|m'?a enfin|m'?ont enfin) lachee?s?|"
    r"ca va ben|histoire ancienne|retrouve (?:l'?|le |la |mes |mon )\w+|plus trace|"
    r"(?:etait|est) (?:nickel|correct|normale?)|(?:a l'?air|semble) normale?|envolee?s?|"
    r"que dalle|rentree?s? dans l'?ordre|c'?etait correct|redevenue?s? normale?s?|"
    r"jamais eu ca depuis|rien depuis|tarie?s?|(?:mangeais|dormais|marchais|travaillais) "
    r"normalement|je revis|plus eu (?:de |d'?)\w+)\b"
)


# "ça passe pas": French puts its negation after the verb.
_NOT_AFTER = re.compile(r"\s*(?:pas|toujours pas|not)\b")


# An end followed, in its clause, by the day it came: "plus rien depuis samedi", "la fièvre est
# tombée jeudi", "packed in on Monday". That day dates the end, not the onset.
_ENDED_THEN = re.compile(
    rf"\b(?:plus rien|nothing since|no \w+ since|(?:n'?|j'?)?ai plus (?:mal|(?:de |d'?)"
    rf"(?!{_FACULTY})\w+)|"
    r"je revis|(?:s'?est |est )?(?:envolee?|tombee|tarie?|calmee?|effacee?s?)|"
    r"rentree?s? dans l'?ordre|redevenue?s? normale?s?|retrouve (?:l'?|le |la |mes |mon )\w+|"
    r"packed (?:in|up)|cleared(?: up)?|went away|disappeared|disparue?s?)"
    r"[^.,;!?]{0,30}?\b(?:depuis |since |on |le |vers |by )?"
    rf"(?:hier|yesterday|today|aujourd'hui|ce matin|this morning|last night|{_WEEKDAY_WORD})\b"
)


def _ongoing(folded: str) -> bool | None:
    """Still going on (True), over (False), or not said."""
    if _CRITERIA["death"].search(folded):
        return None  # the outcome is death: neither going on nor over
    folded = _ENDED_WHEN.sub(" it's over ", folded)  # "fini depuis hier": not a "depuis" of now
    by_place = lambda m: m.start()  # noqa: E731
    stills = sorted([*_STILL.finditer(folded), *_GOES_ON_TOLD.finditer(folded)], key=by_place)
    over = sorted([*_STOPPED.finditer(folded), *_OVER_TOLD.finditer(folded)], key=by_place)
    # "je remarche depuis hier": a "depuis" just after an end dates the end.
    stills = [s for s in stills if not (s.group(0).startswith("depuis") and _just_after(s, over))]
    stopped = next(
        (
            m
            for m in over
            if not _negated(folded, m.start())
            and not _NOT_AFTER.match(folded, m.end())
            # "can no longer close my eye" says a loss that lasts, not an end.
            and not any(s.start() <= m.start() < s.end() for s in stills)
        ),
        None,
    )
    # What is still there, said after what ended: "better now, but the leg is still swollen";
    # "fini depuis hier" is an end, not a "depuis" that runs up to now.
    still = next((s for s in stills if stopped is None or s.start() >= stopped.end()), None)
    if still is None and stopped is None and stills:
        still = stills[0]
    if still is not None:
        return True
    if stopped is not None and _RECURRING.search(folded) and _EPISODE.search(stopped.group(0)):
        return True  # "almost every evening; on Sunday it lasted an hour": one bout of many
    if stopped is not None:
        return False
    return None


# Over, told by what the person does again or has not had since ("haven't needed the inhaler
# since Saturday", "walking the dog as usual without any discomfort", "pas eu le moindre
# vertige depuis vendredi", "la peau est redevenue nette").
_OVER_TOLD = re.compile(
    r"\b(?:(?:haven'?t|havent|have not|hasn'?t|hasnt|has not) (?:had|seen|needed|noticed|used|"
    r"felt) (?:a |an |any |the |my |another )?(?:[\w']+ ){0,3}since|"
    r"nothing like (?:it|that|this) since|not a (?:twinge|thing|peep|drop|single \w+) since|"
    r"(?:walking|working|going|doing \w+|running|eating|sleeping) (?:[\w']+ ){0,4}as usual|"
    r"without (?:any |a )?(?:discomfort|pain|problems?|trouble|bother|issues?)|no bother|"
    r"(?<!tests )(?<!test )(?<!results )(?<!bloods )(?<!scan )(?<!ecg )"
    r"(?:feels?|looks?|is|are|was|were|been) (?:completely |totally |perfectly |all )?normal"
    r"(?! for me)|(?:back to|back at) (?:its|her|his|their|our) (?:normal|usual)|"
    r"(?:eating|walking|breathing|sleeping|working|moving|beating) normally|"
    r"normal for (?:\d+|a|two|three|several) \w+|my old self|first time in (?:ages|weeks|days)|"
    r"(?:let|eased|cleared|dried) up|sorted (?:itself |themselves )?out|"
    r"(?<!until )(?<!before )i was (?:ok|okay|fine|alright|all right|better)"
    r"(?! until| till| before)|"
    r"can (?:[\w']+ ){1,4}properly|slept (?:right )?through|sleeping like a (?:baby|log)|"
    r"(?:pas eu|plus eu|aucune? autre|pas (?:un|une) seule?|pas d'?autre) (?:le moindre |la "
    r"moindre |de |d'?|un |une )?\w+ depuis|n'?(?:a|ai|avons) plus (?:\w+ )?(?:convulse|vomi|"
    r"saigne|eu)\w*|redevenue?s? (?:nette?s?|lisses?|propres?|normale?s?|normaux)|"
    r"(?:dors|dort|mange|marche|respire|bat|travaille) (?:a nouveau|de nouveau|normalement)|"
    r"\bremarche|mauvais souvenir|(?:je suis|suis) en forme|bien recupere|a bien recupere|"
    r"ont cesse|a cesse|ai pu reprendre|(?:je )?file correct|"
    r"(?:c'?est|est) revenue? (?:a la )?normale?|"
    r"ete normales?|plus de [a-z]+(?=\s*(?:[.!]|$)))\b"
)
_OVER_TOLD_THEN = re.compile(rf"(?:{_OVER_TOLD.pattern})[^.,;!?]{{0,30}}")
# Still there, told without "still": "about the same", "legs feel weak today as well", "most
# nights", the odd flutter, a rash spreading, a ward now ("il est en néphro").
_GOES_ON_TOLD = re.compile(
    r"\b(?:about the same|the same as (?:before|yesterday)|(?:today|this morning) as well|"
    r"as well today|(?:aujourd'?hui|ce matin) (?:aussi|encore)|most (?:nights|days|mornings|"
    r"evenings)|the odd \w+|less than before|moins qu'?avant|spreading|getting bigger|"
    r"s'?etend|s'?agrandit|degonfle doucement|(?:is|are|'s) a nightmare|bothers? me|"
    r"(?:have|has|'ve|ive) been (?!fine|ok|okay|good|well|great|alright|normal|better)"
    r"(?:a bit |quite |very |really )?\w+ (?:[\w']+ ){0,3}since\b|"
    r"(?:est|suis) en (?:nephro\w*|cardio\w*|neuro\w*|pneumo\w*|gastro\w*|onco\w*|hemato\w*|"
    r"medecine|chirurgie)|"
    r"(?:\d+|[a-z]+)[- ](?:\d+ )?fois par (?:jour|nuit|semaine)|(?:\d+|several|a few) times a "
    r"(?:day|night|week)|du matin au soir|from morning (?:till|to) night|"
    r"pelent|pele|tout tourne|me serrent)\b"
)


def _just_after(match: re.Match[str], others: list[re.Match[str]]) -> bool:
    return any(0 <= match.start() - other.end() < 30 for other in others)


def _told_as_present(folded: str) -> bool:
    """ "I feel sick since the new pills": told in the present, it likely goes on."""
    return _PRESENT.search(folded) is not None


_RECURRING = re.compile(
    r"\b(?:every|each|tous les|toutes les|chaque|on and off|de temps en temps|presque tous)\b"
)
_EPISODE = re.compile(r"lasted|dure|for |pendant|seulement")
# Told in the present tense: what the person has now, or has had up to now.
_PRESENT = re.compile(
    r"\b(?:since|depuis|dpuis)\b(?!\s*(?:then|$|[.,!]))|\b(?:i'?ve been|ive been|i have been|"
    r"has been|have been|i feel|i get|i keep|i have|i'?ve got|ive got|i'?m getting|im getting|"
    r"i'?m having|im having|on and off|after every (?:dose|injection|tablet|pill))\b|"
    r"\b(?:toutes les|tous les) (?:nuits|soirs|jours|matins)\b|\bpresque tous les\b|"
    r"\bde temps en temps\b|\bfor [\w ]{1,15} now\b|\bfor ages\b|\bbeen like (?:that|this)\b|"
    r"\bca fait (?:un moment|un bout|longtemps|des semaines|\d+|quelques)\b|"
    r"\b(?:every \w+|whenever|each time|a chaque fois|chaque fois)\b|"
    r"\b(?:(?:is|are) (?:swollen|sore|numb|itchy|red|painful|weak|heavy)|feels? heavy|"
    r"(?:tremblent|gonflent|grattent|piquent|brulent)|"
    r"started|began|start(?:ed)? on|a commence|ca a commence|has had|have had|'?ve had|"
    r"it'?s (?:really |very |so )?\w+ing|i'?m \w+ing|is \w+ing|elle fait|il fait|"
    r"ca fait mal|me gratte|me lance|j'?ai (?:mal|des|une|un) |"
    # What a person lives with, told as it is: "ankles puff up by lunchtime", "je tousse".
    r"\b(?:puffs? up|(?:is|are) (?:the|about the) size of|drives? me (?:nuts|mad|crazy)|"
    r"itch(?:es|y)|hang(?:s|ing)? (?:about|around)|faded to|(?:is|are) (?:fat|purple|raw|hot|"
    r"tender|stiff|blurry|dry|red|sore)|keeps? me (?:up|awake)|worse (?:at|in the) \w+|"
    r"je passe mes (?:journees|nuits)|chaque (?:apres[- ]midi|semaine)|je me reveille|"
    r"je tousse|reviennent|ca revient|apres chaque (?:prise|dose|injection|piqure))\b)"
)


_MILD = re.compile(
    # "a bit redder", "un peu plus rouge": how it changed, not how much it bothers them.
    r"\b(?:(?:a (?:bit|little|tad)|a little bit|slightly|un peu)"
    r"(?! (?:\w+er|more|less|better|worse|plus|moins|mieux|pire)\b)|"
    r"slight|mild(?:ly)?|minor|not (?:too |that |so "
    r"|really )?bad|^pas trop\b|^pas tant|^not (?:much|really|a lot)|nothing (?:major|serious|"
    r"much)|bearable|manageable|leger|legere|legerement|"
    r"pas (?:trop|tres) (?:grave|fort|forte|mal)|pas grave|supportable|rien de grave|"
    r"(?:can|could|cn) still (?:work|go|do|get on)|(?:still|ai) (?:able|managed?) to|"
    r"(?:j'?arrive|jarrive|je peux) (?:encore|quand meme|qd meme) a?)\b"
)
_MODERATE = re.compile(
    r"\b(?:moderate(?:ly)?|quite (?:bad|painful|sore|strong)|pretty (?:bad|painful|sore)|"
    r"annoying|hard to (?:work|sleep|concentrate|focus|walk)|gets in the way|"
    r"assez (?:fort|forte|genant|penible|douloureux|douloureuse)|modere|moderee|genant|genante|"
    r"penible|difficile de)\b"
)
_SEVERE = re.compile(
    r"\b(?:severe(?:ly)?|unbearable|excruciating|agoni[sz]ing|worst|terrible|horrible|awful|"
    r"can'?t (?:do anything|get out of bed|get up|work|function|move|stand)|"
    r"couldn'?t (?:do anything|get out of bed|get up|work|function|move|stand|go to work)|"
    r"cant (?:do anything|get out of bed|get up|work|function|move)|"
    r"(?:can'?t|cant|cannot) (?:go|get) (?:to|into) (?:work|school)|"
    r"(?:stayed|stuck|in) (?:in )?bed all day|bed ?ridden|off work|"
    r"insupportable|atroce|horrible|terrible|affreux|affreuse|cloue au lit|clouee au lit|"
    r"au lit toute la journee|(?:pas pu|impossible de|peux pas|peux plus|pu) "
    r"(?:me lever|travailler|bouger|rien faire|aller (?:au|bosser))|arret de travail|"
    r"sever|enorme)\b"
)


# Said to be a nuisance and no more: mild, whatever word of bother comes with it ("not really
# bothering me, just annoying").
_ONLY_A_NUISANCE = re.compile(
    r"\b(?:just (?:annoying|irritating|a nuisance|a pain)|not really (?:bother|affect)\w*|"
    r"(?:doesn'?t|doesnt|does not|isn'?t|isnt) (?:really )?(?:bother\w*|affect\w*|stop\w*) me|"
    r"(?:ne )?me gene pas(?: vraiment| trop| beaucoup)?|juste (?:genant|penible|agacant|chiant)|"
    r"sans plus)\b"
)


def _severity(folded: str) -> str | None:
    if _first(_SEVERE, folded):
        return "severe"
    if _ONLY_A_NUISANCE.search(folded):
        return "mild"
    if _first(_MODERATE, folded):
        return "moderate"
    if _MILD.search(folded):
        return "mild"
    return None


_UNIT = re.compile(r"(?:days?|jours?|j|weeks?|semaines?|hours?|heures?|h|months?|mois)$")


def _severity_word(folded: str) -> str | None:
    """A one-word answer to the severity question: "mild", "modéré", "1", "moyen"."""
    words = {
        "mild": "mild", "light": "mild", "low": "mild", "leger": "mild", "legere": "mild",
        "faible": "mild", "moderate": "moderate", "medium": "moderate", "moyen": "moderate",
        "moyenne": "moderate", "modere": "moderate", "moderee": "moderate", "severe": "severe",
        "bad": "severe", "strong": "severe", "fort": "severe", "forte": "severe",
        "grave": "severe", "1": "mild", "2": "moderate", "3": "severe",
    }  # fmt: skip
    said = [word.strip(".!,") for word in folded.replace("-", " ").split()]
    for index, (before, word) in enumerate(zip(["", *said], said, strict=False)):
        if word.isdigit() and (index > 0 or _UNIT.match(" ".join(said[1:2]))) and len(said) > 2:
            continue  # "depuis 3 jours" is no "3"; "3" or "2 je dirais" is
        if word in words and before not in ("not", "no", "pas", "never", "jamais"):
            return words[word]  # "not bad" is no "bad"
    return None


_HOSPITAL_STAY = re.compile(
    r"\b(?:admitted|kept (?:me |him |her )?(?:in|overnight)|(?:on|in) the (?:\w+ )?unit for|"
    r"hospital bed|lit d'?hopital|"
    r"(?:ecris|ecrit) (?:de|depuis) l'?hopital|stayed (?:\d+ |a |one |two |the )?"
    r"(?:nights?|days?)? ?(?:in|at) (?:the )?hospital|overnight (?:in|at) (?:the )?hospital|"
    r"(?:nights?|days?) (?:in|at) (?:the )?hospital|in hospital for|hospitali[sz]ed|"
    r"i'?m in (?:the )?hospital|im in (?:the )?hospital|still in (?:the )?hospital|"
    r"(?:s?he'?s|s?hes|she is|he is|they'?re|is) (?:still |already |now )?in (?:the )?hospital|"
    r"hospitalise|hospitalisee|hospitalisation|garde(?:e)? (?:a l'?hospital|en observation|"
    r"la nuit|\d+ (?:nuits?|jours))|reste(?:e)? (?:\d+ |une |deux |trois )?(?:nuits?|jours?) "
    r"(?:a l'?hospital|a l hospital)|(?:nuits?|jours?|semaines?) a l'?hospital|"
    r"je suis a l'?hospital|"
    r"suis a l'?hospital|spent (?:\w+ ){0,2}(?:nights?|days?|weeks?) (?:in|on|at)|"
    r"kept (?:me|him|her) (?:on|in) |kept (?:me|him|her)\b[^.]{0,40}\b(?:nights?|overnight)|"
    r"(?:nights?|days?) (?:in|on) (?:the )?(?:\w+ ){0,2}(?:ward|unit|intensive care|icu)|"
    r"(?:nuits?|jours?|semaines?) en (?:rea|reanimation|soins intensifs|observation)|"
    r"garde(?:e|s)? (?:\w+ ){0,3}(?:a l'?hospital|en observation|nuits?|la nuit)|"
    r"jusqu'?au lendemain|intensive care|icu|soins intensifs|en rea(?:nimation)?|"
    r"admise?s?|(?:still |now )?(?:on|in) the (?:\w+ )?ward|kept in|hospitalisee?s?|"
    r"took (?:me|him|her) in|stayed (?:\w+ ){0,2}nights?|"
    r"passe (?:\w+ ){0,2}jours? (?:a l'?hospital|aux soins intensifs|en rea))\b"
)
_EMERGENCY_CARE = re.compile(
    r"\b(?:a and e|a ?& ?e|emergency (?:room|department|dept|services?|care)|the er|er visit|"
    r"to er|in er|at er|casualty|ambulance|paramedics?|999|911|112|15|samu|pompiers|"
    r"ambulanci(?:er|ere)s?|smur|"
    r"urgences?|urgence|aux urg|hospital|(?:to|at|in) (?:the )?ed)\b"
)
_DOCTOR = re.compile(
    r"\b(?:doctor|nurse|pharmacist|pharmacy|chemist|clinic|walk[- ]in|saw someone|infirmiere|"
    r"infirmier|"
    r"pharmacien|"
    r"pharmacienne|pharmacie|pharma|dispensaire|centre de sante|consult(?:e|ation)?|cabinet|"
    r"sos medecins|optician|optometrist|"
    r"dentist|physio\w*|opticien\w*|audioprothesiste|dentiste|kine\w*|osteo\w*)\b"
)
# "the nurse said to report this": an instruction to tell the team, not care given.
_TOLD_TO_REPORT = re.compile(
    r"\s*(?:said|told me|asked me|m'?a dit|m'?a demande)\s*(?:to|de)\s*(?:vous\s*)?"
    r"(?:le\s*|l'?\s*)?(?:report|tell|let you know|signaler|dire|prevenir|declarer)"
)
_NOBODY = re.compile(
    r"\b(?:nobody|no one|noone|didn'?t (?:see|need) anyone|no need|nothing|nope|nah|no care|"
    r"just (?:rested|slept|took)|took (?:some )?(?:paracetamol|ibuprofen|tylenol|advil)|"
    r"personne|rien|pas besoin|j'?ai vu personne|ai vu personne|pris (?:un |du )?(?:doliprane|"
    r"paracetamol|dafalgan|efferalgan|ibuprofene|advil|spasfon)|non|aucun)\b"
)


def _care(folded: str) -> str | None:
    """The most care the words say it needed (never guessed from a denial, or from what
    someone only wanted to do: "my husband wanted to call an ambulance but I said no")."""
    if _first(_HOSPITAL_STAY, folded):
        return "hospital"
    emergency: list[re.Match[str]] = []
    meant: list[re.Match[str]] = []
    for m in _EMERGENCY_CARE.finditer(folded):
        if _A_VISIT.search(folded[max(0, m.start() - 30) : m.start()]):
            continue
        if _MESSENGER.match(folded, m.end()):
            continue  # "the hospital asked me to let you know"
        denied = (
            _negated(folded, m.start())
            or _HYPOTHETICAL.search(_clause(folded, m))
            or _advised_by_phone(folded, m)
        )
        (meant if denied else emergency).append(m)
    if emergency and not all(_dose_number(m) for m in emergency):
        return "emergency"
    doctor = [
        m
        for m in _DOCTOR.finditer(folded)
        if not _TOLD_TO_REPORT.match(folded, m.end()) and not _negated(folded, m.start())
    ]
    if any(not _PLANNED.search(_whole_clause(folded, m)) for m in doctor):
        return "doctor"
    if doctor:
        return "none"  # a doctor to be seen ("gp tomorrow"): no care so far
    if meant and _REFUSED.search(folded):
        return "none"  # "wanted to call an ambulance but I said no": no care was needed
    if re.search(
        r"\b(?:didn'?t|did not|haven'?t|have not|no need to|not) (?:see|seen|call|called|go|gone|"
        r"need|needed|bother)\b.*\b(?:doctor|anyone|anybody|hospital|a and e|urgences?)|"
        r"\b(?:pas|jamais) (?:vu|consulte|appele|besoin)\b|\bj'?ai vu personne\b|"
        # "pas allé chez le médecin", not "pas allé au boulot"
        r"\b(?:pas|jamais) allee? (?:chez|aux urgences|a l'?hopital|a l'?hospital|voir|"
        r"consulter)\b|"
        r"\bvu personne\b|\b(?:saw|seen|see|called|asked) (?:nobody|no one|noone)\b|"
        r"\bno (?:doctor|need to see)\b|\b(?:(?:rang|called|phoned) (?:111|the (?:trial|study) "
        r"(?:line|team|nurse))|keep an eye on it|told me to rest|(?:m'?ont|"
        r"m'?a) dit de (?:me reposer|rester|surveiller|prendre (?:un )?(?:rendez|rdv)|boire|"
        r"attendre)|told me to (?:keep|watch|wait|drink|book)|manage at home|rest at home|"
        r"stay(?:ed)? at home|resté a la maison|reste a la maison|suis reste\w* a la maison)\b",
        folded,
    ):
        return "none"
    return None


# "the hospital asked me to let you know": who passes the message on, not care given.
_MESSENGER = re.compile(r"\s*(?:asked|told me to (?:tell|let)|wants? me to|m'?a demande)\b")
# An instruction ("m'a dit de", "told me to"), not news ("m'ont dit que j'aurais pu y passer").
_PHONE_ADVICE = re.compile(
    r"\b(?:dit de|said to|told me to|advised|conseille de|m'?a conseille|m'?ont conseille)\b"
)
_CAME = re.compile(
    r"\b(?:ambulance|ambulanci\w+|paramedics?|pompiers|urgences?|a and e|a ?& ?e|emergency "
    r"room|the er|smur|sont venus|came|arrived|emmene\w*|took me|taken|sur place|on the spot|"
    r"checked me|examine\w*|soigne\w*)\b"
)


def _advised_by_phone(folded: str, m: re.Match[str]) -> bool:
    """ "J'ai appelé le 15, le régulateur m'a dit de prendre rendez-vous": advice by phone, no
    emergency care, when no crew came and no emergency department was visited."""
    return (
        m.group(0) in ("15", "112", "999", "911", "samu")
        and _PHONE_ADVICE.search(_sentence(folded, m)) is not None
        and _CAME.search(folded) is None
    )


# "my study visit at the hospital": the place of a visit, not care needed.
_A_VISIT = re.compile(r"\b(?:visit|visite|appointment|rendez[- ]vous|rdv|consultation)\b")
# Care someone meant or offered, not care given.
_HYPOTHETICAL = re.compile(
    r"\b(?:wanted (?:me )?to|want(?:s|ed)? me to|was going to|were going to|almost|nearly|"
    r"offered to|suggested|thought about|voulait|voulais|allait|allais|a propose|proposait|"
    r"hesite|close to (?:going|calling|ringing)|pas loin d'?(?:aller|appeler)|a deux doigts)\b"
)


# Care still to come, not care it needed so far: "not yet, might go see my gp tmrw".
_PLANNED = re.compile(
    r"\b(?:might|may|will|i'?ll|ill|going to|gonna|gna|plan(?:ning)? to|thinking of|booked|"
    r"tomorrow|tmrw|tmr|2moro|next week|later|je vais|j'?irai|vais aller|vais voir|"
    r"vais appeler|pense aller|demain|la semaine prochaine|plus tard|prendre (?:un )?rdv)\b"
)


# Care someone meant that did not happen: "almost went", "I said no", "finalement ça s'est calmé".
_REFUSED = re.compile(
    r"\b(?:almost|nearly|said no|refused|didn'?t (?:go|need)|did not (?:go|need)|"
    r"(?:settled|went|passed|calmed) (?:down |away )?(?:by itself|on its own)|j'?ai refuse|"
    r"failli|finalement|a passe tout seul|s'?est calme|eased (?:off|up)|close to|"
    r"(?:rentre|rentree|reste|restee) (?:a la maison|chez moi|en taxi))\b"
)


# The study treatment named in a report ("since I started the study tablets", "après la piqûre de
# l'essai"): its question is then not asked again. Only the study's own, not any medicine.
_PRODUCT = re.compile(
    r"\b(?:(?:the |my )?(?:study|trial) (?:drug|med(?:ication|icine|s)?|tablets?|pills?|capsules?|"
    r"injections?|infusions?|treatment|jabs?|shots?|patch(?:es)?|inhaler|spray)|"
    r"(?:traitement|medicament|medoc|cachets?|comprimes?|gelules?|piqures?|injections?|"
    r"perfusions?|patchs?|inhalateur) de l'?(?:etude|essai))\b"
)


def reporter(text: str) -> str:
    """Who tells of the side effect: "participant", or "relative" when someone writes about
    them ("this is his daughter", "mon mari a fait un malaise"). A parent telling of the baby
    born during the study is the participant."""
    folded = _folded(text)
    if _CRITERIA["congenital_anomaly"].search(folded):
        return "participant"
    if _FOR_SOMEONE.search(folded):
        return "relative"
    if _ABOUT_SOMEONE.search(folded) and not _MYSELF.search(folded):
        return "relative"
    if _SHE_OR_HE.search(folded) and not _MY_OWN.search(folded):
        # "she has a rash on her arms since yesterday", after "im writing for my mum": the
        # person it happened to is named by a pronoun once the first message said who.
        return "relative"
    return "participant"


# "she has…", "il a vomi": someone else as the subject of the report's first clause.
_SHE_OR_HE = re.compile(
    r"(?:^|[.,;!?] |\b(?:and|but|so|now|well|ok|et|mais|alors|bon|ben|du coup) )"
    r"(?:she|he|shes|hes)(?:'s| is| was| has| had| been| got| gets| can'?t| couldn'?t| feels| "
    r"felt| started| keeps| woke| threw| ended| went| says| said| complains| complained)\b|"
    r"(?:^|[.,;!?] |\b(?:et|mais|alors|bon|ben|du coup) )"
    r"(?:elle|il) (?:a (?!l'air)|est |avait |etait |s'est |se sent |n'arrive|ne |n'a |vomit|tousse|"
    r"se plaint|dit )"
)
# The writer's own symptoms: then the report is theirs, whoever else it names.
_MY_OWN = re.compile(
    r"\b(?:i (?:have|had|got|feel|felt|was|am|threw|can'?t|couldn'?t)|i'?ve|i'?m (?:sick|ill|"
    r"in pain|dizzy|unwell|feeling)|j'? ?ai (?:eu|mal|des|une|un|vomi|fait)|"
    r"je (?:suis|me sens|tousse|vomis))\b"
)

# Someone says who they are to the participant: they write for them.
_FOR_SOMEONE = re.compile(
    rf"\b(?:this is (?:his|her|their) {KIN_EN}|i'?m (?:the |his |her )?{KIN_EN} of|"
    rf"(?:writing|messaging|texting|contacting you) (?:for|on behalf of|about) (?:my|our) |"
    rf"j'?ecris (?:pour|au sujet de|de la part de) (?:mon|ma|notre) |je suis (?:sa|son) {KIN_FR}|"
    rf"(?:c'?est|cest|c) pour (?:mon|ma|notre) {KIN_FR}|on behalf of (?:my|our) |"
    rf"(?:my|our) {KIN_EN} (?:is|'s|s) (?:in|on|taking part in) (?:the|your|this) )"
)
# A relative as the one it happened to ("my husband collapsed", "ma mère est décédée"), told by
# someone who tells of nothing that happened to themselves.
_ABOUT_SOMEONE = re.compile(
    rf"\b(?:(?:my|our) {KIN_EN}(?:'s| is| was| has| had| passed| died| collapsed| ended| got|"
    rf" went| can'?t| couldn'?t| who| \(?(?:participant|trial|study))|"
    # "so mum had a bad reaction": a parent named as people call them, without "my".
    rf"(?:^|so |and |but |well )(?:mum|mom|mam|dad|mummy|mommy|daddy) (?:is|was|has|had|got|"
    rf"felt|feels|can'?t|couldn'?t|went|ended)|"
    rf"(?:mon|ma|notre) {KIN_FR} (?:a |est |avait |etait |qui |s'?est |ne |n'|participe|"
    rf"[a-z]+(?:e|ent|ait) ))"
)
_MYSELF = re.compile(
    r"\b(?:i (?:was|had|have|feel|felt|got|get|am|can'?t|couldn'?t)|i'?m|i'?ve|me|myself|"
    r"j'?ai (?:eu|mal|fait|des|une|un|vomi|saigne)|je (?:suis|me|sens|peux)|"
    r"m'?(?:a|ont) (?:emmene|conduit|garde|hospitalise|soigne|transporte)\w*)\b"
)


# A treatment named as the one started or taken before it began ("since i started the new
# inhaler", "apres linhalateur", "depuis que je prends le comprime"): the one reported. Not a jab
# or an injection: which one (the study's, a vaccine) is asked.
_PRODUCT_TAKEN = re.compile(
    r"\b(?:since|after|started|starting|began|from|because of|due to|with|depuis|dpuis|apres|"
    r"commence\w*|a cause|avec|avc|sous)(?: (?:i|je|que je|qu'il|"
    r"qu'elle|il|elle|she|he|j'ai|started|starting|began|commence\w*|pris|prend\w*|taking|"
    r"took|take|using|used|use|utilise\w*|on|de))* (?P<product>(?:the|my|his|her|le|la|les|l'|l|"
    r"mon|ma|mes|son|sa|ses|this|ce|cet|cette|des|du) ?(?:(?:new|nouveau|nouvel|nouvelle|purple|"
    r"white|blue|violet|blanc|blanche|bleu) )?(?:inhaler|inhalateur|tablets?|pills?|comprimes?|"
    r"cachets?|gelules?|patch|spray|[a-z]{2,4}[- ]?\d{2,4}))\b"
)


def _product(text: str, products: tuple[str, ...] = ()) -> str | None:
    """The study treatment a report names, in the person's own words."""
    plain = re.sub(r"[’`´]", "'", fold(text))
    found = _PRODUCT.search(plain) or _PRODUCT_TAKEN.search(plain) or _by_code(plain, products)
    if found is None:
        return None
    part = "product" if "product" in found.re.groupindex else 0  # the name, not "since"
    start, end = found.span(part)
    same = len(plain) == len(text)  # folding kept every character's place
    return (text[start:end] if same else found.group(part)).strip()


def _by_code(plain: str, products: tuple[str, ...]) -> re.Match[str] | None:
    """A study treatment named by its code, or by the code's letters ("le dmx", "my az202")."""
    for code in products:
        parts = re.fullmatch(r"([A-Za-z]+)-?(\d+)", code)
        if parts is None:
            continue
        letters, digits = parts[1].lower(), parts[2]
        found = re.search(
            rf"\b(?:(?:the|my|le|la|l'|du|de la|mon|ma) ?)?{letters}(?:[- ]?{digits})?\b", plain
        )
        if found is not None:
            return found
    return None


def _sentence(folded: str, match: re.Match[str]) -> str:
    """The sentence `match` is in."""
    start = max(folded.rfind(stop, 0, match.start()) for stop in ".;!?") + 1
    ends = [i for i in (folded.find(stop, match.end()) for stop in ".;!?") if i >= 0]
    return folded[start : min(ends, default=len(folded))]


def _clause(folded: str, match: re.Match[str]) -> str:
    """The words of `match`'s clause before it."""
    return re.split(r"[.;!?,]| but | mais ", folded[: match.start()])[-1]


def _whole_clause(folded: str, match: re.Match[str]) -> str:
    """The words of `match`'s clause, before and after it."""
    after = re.split(r"[.;!?,]| but | mais | and | et ", folded[match.end() :])[0]
    return _clause(folded, match) + match.group(0) + after


def _dose_number(found: re.Match[str]) -> bool:
    """ "15" as an emergency number only where it is one, not "15 mg" or "since the 15th"."""
    if found.group(0) not in ("15", "112", "999", "911"):
        return False
    after = found.string[found.end() : found.end() + 12]
    before = found.string[max(0, found.start() - 12) : found.start()]
    called = re.search(r"(?:called|call|appele|appeler|fait le|compose)\s*$", before)
    return called is None or re.match(r"\s*(?:mg|ml|min|h|jours?|days?)", after) is not None


_CRITERIA = {
    "life_threatening": re.compile(
        r"\b(?:(?:nearly|almost|could have|could've|thought i (?:was going to|would)|"
        r"thought i'?d) die[d]?|life[- ]threatening|intensive care|icu|resuscitat\w*|"
        r"my life was in danger|minutes from (?:dying|death)|failli y passer|(?:c'?etait|c etait) "
        r"moins une|cru (?:me |le |la |l'?)perdre|resus|tube down (?:my|his|her) throat|(?:j'?ai|"
        r"jai|on a) (?:failli|cru) mourir|reanimation|"
        r"soins intensifs|pronostic vital|en danger de mort|reanime|could(?: have|'ve) killed me|"
        r"(?:j'?aurais|il aurait|elle aurait) pu (?:y rester|mourir|y passer)|"
        r"aurait pu (?:me |le |la )?tuer|heart (?:had )?stopped|cardiac arrest|"
        r"arret cardiaque|coeur (?:s'?est )?arrete|had to shock|defibrillat\w*|"
        r"could have been fatal|potentially fatal|ventilator|intubat\w*|cpr|choc septique|"
        r"en rea|aurais pu y rester|massage cardiaque)\b"
    ),
    "disability": re.compile(
        r"\b(?:(?:doesn'?t|does not|don'?t) work (?:like|as) (?:before|it used to)|"
        r"(?:ne )?marche plus comme avant|irreversible|as good as it gets|perte de (?:la vue|la "
        r"vision|l'?audition|l'?ouie)|(?:sight|vision|hearing) (?:\w+ ){0,5}never (?:came|"
        r"come) back|(?:can'?t|cannot|cant|unable to) (?:walk|see|hear|work) any ?more|"
        r"lost (?:my|the) (?:sight|hearing|vision|use)|permanent(?:ly)? (?:damage|disab\w*)|"
        r"paraly[sz]\w*|disabled now|(?:ne )?(?:peux|peut|pourrai) plus (?:marcher|voir|"
        r"entendre|travailler|me servir|utiliser|reprendre)|paralyse\w*|handicap\w*|"
        r"perdu (?:la vue|l'?audition|l'?usage)|(?:can'?t|cannot|cant) walk without|"
        r"may not improve|might not improve|won'?t (?:be able to )?(?:go back to|return to) "
        r"(?:my )?(?:job|work)|(?:restera|resterait) comme ca|sequelles?|"
        r"permanent|permanente|definitif|definitive|n'?arrive plus a (?:me|se) servir|"
        r"ne reviendra (?:\w+ ){0,3}pas|won'?t come back|will never (?:be|come) back|"
        r"for good|(?:had|have) to (?:stop|give up|quit) (?:working|work|my job)|"
        r"stop(?:ped)? working|won'?t come back|(?:ne )?reviendra (?:pas|plus|jamais)|"
        r"can'?t see out of|(?:du|dois|devoir) arreter (?:mon|de) (?:boulot|travail|travailler)|"
        r"pourrai(?:t|s)? plus (?:reprendre|travailler|marcher|voir))\b"
    ),
    "congenital_anomaly": re.compile(
        r"\b(?:birth defect|born\b[^.]{0,30}\bwith|congenital|malformation|"
        r"(?:est|suis|sont|bebe|enfant|fille|fils) (?:\w+ )?nee?s?\b[^.]{0,40}\bavec|"
        r"anomalie congenitale|born [^.]{0,30}\b(?:has|had) an? (?:extra|missing|hole|cleft)|"
        r"nee?s? [^.]{0,40}\ba une (?:fente|malformation|anomalie)|fente labiale|pied bot|"
        r"bec de lievre|spina bifida|cleft (?:lip|palate)|club ?foot|extra (?:finger|toe)|"
        r"hole in (?:his|her|the|their) heart)\b"
    ),
    "death": re.compile(
        r"\b(?:passed away|has died|she died|he died|(?<!nearly )(?<!almost )(?<!have )died|"
        r"est decede\w*|decede\w*|est mort\w*|deces)\b"
    ),
}


def _criteria(folded: str) -> tuple[str, ...]:
    return tuple(name for name, pattern in _CRITERIA.items() if _first(pattern, folded))


_YES = re.compile(
    r"^(?:yes|yeah|yep|yup|ya|ye|yh|y|still|oui|ouais|ouai|ouii+|wi|si|bien sur|of course|"
    r"sure|definitely|toujours|encore)\b"
)
_NO = re.compile(r"^(?:no|nope|nah|na|non|nan|n|pas du tout|not at all|not really|pas vraiment)\b")


# Short answers to "is it still going on?" that say more than yes or no: "a bit" and "ça revient
# la nuit" say it is; "all good now", "RAS" and "c bon" say it is over.
_STILL_ANSWER = re.compile(
    r"^(?:(?:a |just a )?(?:bit|little)|a little bit|kinda|kind of|sort of|slightly|sometimes|"
    r"some days|now and then|(?:tbh |honestly )?yeah|it comes back|comes back|worse|same|"
    r"pire|pareil|idem|"
    r"un peu|un petit peu|legerement|bof|parfois|des fois|par moments|ca revient|ca reprend|"
    r"de temps en temps)\b|"
    r"\b(?:going down|getting better|improving|healing|slowly|recovering|better but|"
    r"mieux mais|je recupere|ca s'?ameliore|s'?ameliore|en train de|pele|desquame)\b"
)
_NO_IT_ENDED = re.compile(
    r"^(?:no|non|nope|nan|nah|not)\b[, ]*(?:since|depuis)\b|"
    r"^(?:no|non|nope|nan|nah)\b.*\b(?:ca va|sa va|fine|ok|okay|better|mieux|gone|parti)\b"
)
_BUT_STILL = re.compile(r"\b(?:still|toujours|encore|but|mais|tjs|tjrs)\b")
_OVER_ANSWER = re.compile(
    r"^(?:all (?:good|fine|gone|clear)|ras|r a s|c bon|c'?est bon|cest bon|ca va|sa va|"
    r"rien|nothing|none|fine|good|no more)\b(?! mais| but)|"
    r"\b(?:\w+ing again|rien depuis|nothing since|(?:pas|plus) eu (?:de |d'?)|"
    r"arrete\w* (?:tout seul|toute seule|de lui[- ]meme|d'?elle[- ]meme)|"
    r"stopped (?:by|on) its own|went away)\b"
)


# "not yet", "pas encore vu de médecin", "lol no": no care so far.
_NOT_YET = re.compile(r"^(?:not yet|pas encore|nobody yet)\b|\b(?:no|non|nope|nah|nan)$")


def _course_answer(text: str, folded: str, found: Facts) -> bool | None:
    """An answer to "is it still going on?": its short forms first ("a bit", "RAS"), then what
    it says as a report would, then yes or no."""
    if _NO_IT_ENDED.search(folded) and not _BUT_STILL.search(folded):
        return False  # "non depuis hier ça va", "not since yday"
    if _STILL_ANSWER.search(folded):
        return True
    if found.ongoing is not None and "ongoing" not in found.inferred:
        return found.ongoing
    if _OVER_ANSWER.search(folded):
        return False
    if found.ongoing is not None:
        return found.ongoing
    said = _yes_no(folded)
    if said is None and len(folded.split()) == 1:
        said = polarity(text)  # "ui", "nop"; not "pas trop", which answers another question
    return said


def _yes_no(folded: str) -> bool | None:
    if _NO.search(folded):
        return False
    if _YES.search(folded):
        return True
    return None


_SKIP = re.compile(
    r"^(?:skip|pass|next|dunno|idk|i don'?t know|dont know|not sure|no idea|je (?:ne )?sais pas|"
    r"jsais pas|jsp|chais pas|sais pas|aucune idee|passer|suivant|je passe)\b"
)
_LEAVES = re.compile(
    r"^(?:unsubscribe|cancel|annuler|help|aide|menu|bye|goodbye|"
    r"au revoir|ciao|thanks?|thank you|thx|ty|merci|ok thanks|ok merci|that'?s all|c'?est bon|"
    r"cest bon|c bon|c'?est tout|cest tout|laisse tomber|forget it|never ?mind)\b"
)
# A goodbye or thanks at a question: the person is done with the questions.
_CLOSES = re.compile(
    r"^(?:bye|goodbye|au revoir|ciao|thanks?|thank you|thx|ty|merci|ok thanks|ok merci|"
    r"that'?s all|c'?est bon|cest bon|c bon|c'?est tout|cest tout|laisse tomber|forget it|"
    r"never ?mind|no thanks?|non merci)\b"
)
_END = re.compile(
    r"\b(?:no more questions|enough questions|stop (?:the|these|asking) questions?|"
    r"^(?:please )?stop asking(?: me)?(?: questions)?|^no more\b(?! since)|^enough\b|^ca suffit|"
    r"^arrete(?:z)? (?:de (?:me )?(?:demander|poser)|les questions)|"
    r"plus de questions|arrete(?:z)? (?:les|vos|de poser des|avec (?:tes|vos|les)) questions|"
    r"assez de questions|stop (?:with )?(?:the |your )?questions)\b"
)
