"""Numbers and times written in words, in English and French, as the parser needs them.

`quarante-cinq` is 45, `twice` 2, `deux fois par semaine` a rate; `il y a 2 ans`, `last summer`,
`en mars dernier`, `since 2019`, `plus de 12 mois` are spans of dates. A span is never narrowed
by a guess: "last year" is the whole of last year, "more than 12 months ago" has no earliest date.
All functions take text already folded (lower case, no accents).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14,
    "quinze": 15, "seize": 16, "vingt": 20, "vingts": 20, "trente": 30, "quarante": 40,
    "cinquante": 50, "soixante": 60, "septante": 70, "huitante": 80, "octante": 80,
    "nonante": 90,
}  # fmt: skip
_HUNDRED = ("hundred", "cent", "cents")
# "une dizaine de fois": about ten. Read only where an approximate count is fine (a count).
_ABOUT = {
    "dizaine": 10, "douzaine": 12, "quinzaine": 15, "vingtaine": 20, "trentaine": 30,
    "dozen": 12,
}  # fmt: skip
# Words that are numbers only in some places: "un" is mostly an article ("un diabète").
_ARTICLES = ("un", "une", "a", "one")
_COUNTED = (
    r"fois|times?|x|an|ans|annees?|years?|yrs?|mois|months?|semaines?|weeks?|jours?|days?|"
    r"seule?s?|single|cures?|courses?|crises?"
)
_NUMBER_WORD = "|".join(sorted((*_UNITS, *_HUNDRED), key=len, reverse=True))
_RUN = re.compile(
    rf"\b(?:{_NUMBER_WORD})(?:(?:[\s-]+(?:et|and)[\s-]+|[\s-]+)(?:{_NUMBER_WORD}))*\b"
)


def digits(text: str, *, approximate: bool = False, articles: bool = True) -> str:
    """`text` with its numbers in words written in digits: "j ai quarante-cinq ans" → "j ai 45 ans".

    With `approximate`, "une dizaine" is 10 and "a few" stays unread (a count, where about ten is
    an answer; never for an age). Without `articles`, "a" and "un" before a counted word stay
    words: "what counts as a course" holds no age.
    """
    text = re.sub(r"\bpour\s*cents?\b", " % ", text)  # "7,5 pour cent" is no hundred
    text = re.sub(r"\b(?:a\s+)?couple(?:\s+of)?\b", " 2 ", text)
    text = re.sub(r"\bonce\b", " 1 time ", text)
    text = re.sub(r"\btwice\b", " 2 times ", text)
    text = re.sub(r"\bno one\b|\banyone\b|\bsomeone\b", " person ", text)
    if approximate:
        for word, value in _ABOUT.items():
            text = re.sub(rf"\b(?:une\s+|a\s+)?(?:half\s+a\s+)?{word}s?\b", f" {value} ", text)
    ones = "a|an|un|une|one" if articles else "one"
    text = re.sub(
        rf"(?<!et )(?<!and )\b({ones})(?=[\s-]+(?:{_COUNTED})\b)",
        lambda m: m[0] if m[1] == "an" or _AFTER_TENS.search(m.string[: m.start()]) else "1",
        text,
    )
    return _RUN.sub(_run_digits, text)


# Tens just before: "forty-one years", "quarante et un ans" are one number, not 40 and 1.
_AFTER_TENS = re.compile(rf"\b(?:{_NUMBER_WORD})[\s-]+(?:(?:et|and)[\s-]+)?$")


def _run_digits(match: re.Match[str]) -> str:
    words = [w for w in re.split(r"[\s-]+", match[0]) if w and w not in ("et", "and")]
    if len(words) == 1 and words[0] in _ARTICLES[:2] and match.string.strip() != words[0]:
        return match[0]  # "un", "une" in a sentence: an article
    if words == ["sept"] and re.match(r"\.?\s+(\d{4}|dernier)", match.string[match.end() :]):
        return match[0]  # "sept 2019": September
    return " ".join(str(n) for n in _combine(words))


def _combine(words: list[str]) -> list[int]:
    """Number words into numbers: "soixante dix sept" → [77], "one two" → [1, 2]."""
    numbers: list[int] = []
    current: int | None = None
    last = 0  # the last part added: what may follow it
    for word in words:
        if word in _HUNDRED:
            current, last = (current or 1) * 100, 100
            continue
        value = _UNITS[word]
        if word.startswith("vingt") and current is not None and last == 4:
            current, last = current - 4 + 80, 80  # quatre-vingt(s)
        elif current is None:
            current, last = value, value
        elif _follows(last, value):
            current, last = current + value, value
        else:
            numbers.append(current)
            current, last = value, value
    if current is not None:
        numbers.append(current)
    return numbers


def _follows(last: int, value: int) -> bool:
    if last == 100:
        return value < 100
    if last >= 20 and last % 10 == 0:
        # forty five, soixante-dix, quatre-vingt-douze: units, and teens after 60 and 80
        return value < 10 or (last in (60, 80) and 10 <= value < 20)
    return last == 10 and 0 < value < 10  # dix-sept


@dataclass(frozen=True)
class Rate:
    """ "2 fois par semaine": `count` times every `days` days."""

    count: int
    days: float


_UNIT_DAYS = {
    "day": 1, "jour": 1, "week": 7, "semaine": 7, "month": 30.44, "mois": 30.44,
    "year": 365.25, "an": 365.25, "annee": 365.25, "yr": 365.25, "wk": 7, "mth": 30.44,
}  # fmt: skip
_UNIT = r"(day|jour|week|semaine|month|mois|year|annee|an|yr|wk|mth)s?"
_RATE = re.compile(
    rf"\b(\d+)\s*(?:x|fois|times?)?\s*"
    rf"(?:(?:/|par|per|a|an|every|chaque|each|tous les|toutes les)\s*(?:1\s+)?|1\s+){_UNIT}\b"
)


def rate(text: str) -> Rate | None:
    """A count per period in `text` (digits already), or None."""
    found = _RATE.search(text)
    return Rate(int(found[1]), _UNIT_DAYS[found[2]]) if found else None


def period_days(text: str) -> float | None:
    """The period a question counts over: "in the last 12 months", "cette semaine"..."""
    folded = digits(text)
    last = re.search(
        rf"\b(?:last|past|derniers?|dernieres?|des|les)\s+(\d+)\s+(?:derniers?\s+|dernieres?\s+)?"
        rf"{_UNIT}",
        folded,
    )
    if last:
        return int(last[1]) * _UNIT_DAYS[last[2]]
    per = re.search(rf"\b(?:this|per|a|each|cette|ce|par|chaque)\s+{_UNIT}\b", folded)
    return _UNIT_DAYS[per[1]] if per else None


@dataclass(frozen=True)
class Span:
    """When something happened: between `earliest` and `latest` (None: no bound that side)."""

    earliest: dt.date | None
    latest: dt.date | None

    def months_ago(self, today: dt.date) -> tuple[float, float]:
        """How long ago, in months: (at least, at most); the most is infinite when unbounded."""
        least = (today - self.latest).days / 30.44 if self.latest else 0.0
        most = (today - self.earliest).days / 30.44 if self.earliest else float("inf")
        return max(least, 0.0), max(most, 0.0)


# Month names and their usual short forms, folded, in both languages.
MONTHS = {
    "jan": 1, "janv": 1, "january": 1, "janvier": 1, "feb": 2, "fev": 2, "february": 2,
    "fevrier": 2, "mar": 3, "march": 3, "mars": 3, "apr": 4, "avr": 4, "april": 4, "avril": 4,
    "may": 5, "mai": 5, "jun": 6, "june": 6, "juin": 6, "jul": 7, "july": 7, "juillet": 7,
    "juil": 7,
    "aug": 8, "august": 8, "aout": 8, "sep": 9, "sept": 9, "september": 9, "septembre": 9,
    "oct": 10, "october": 10, "octobre": 10, "nov": 11, "november": 11, "novembre": 11,
    "dec": 12, "december": 12, "decembre": 12,
}  # fmt: skip
# Meteorological seasons (northern hemisphere): first month, number of months.
_SEASONS = {
    "spring": 3, "printemps": 3, "summer": 6, "ete": 6, "autumn": 9, "fall": 9, "automne": 9,
    "winter": 12, "hiver": 12,
}  # fmt: skip
_MONTH_WORD = "|".join(sorted(MONTHS, key=len, reverse=True))
_SEASON_WORD = "|".join(_SEASONS)
_LAST = r"(?:last|dernier|derniere|passe|passee)"
_MORE = r"(?:more than|over|at least|plus de|plus d|au moins|above|depuis plus de)"
_LESS = (
    r"(?:less than|under|within the last|within|in the last|in the past|moins de|moins d|"
    r"depuis moins de|au cours des|dans les)"
)
# Since childhood: long ago, whatever the age (at least five years). Said of oneself or of the
# person one answers for ("since she was a kid", "depuis qu'il est tout petit").
_WHO_WAS = r"(?:(?:i|she|he|they|we|you) (?:was|were)|(?:i ve|ive|she s|shes|he s|hes) been)"
_CHILD = r"(?:kid|child|little|lil|small|baby|toddler|tot|young|teen|teenager|infant)"
_PETIT = r"(?:petite?s?|ptite?s?|enfants?|bebe|jeunes?|ados?|gamine?s?|minots?)"
_SINCE_FR = r"(?:depuis|dpuis|depui|dps)"
_EST = r"(?:(?:que|ke) je suis|(?:que|ke) j etais|(?:qu|k) (?:il|elle) (?:est|etait))"
_LONG_AGO = re.compile(
    rf"\b(since (?:{_WHO_WAS} )?(?:a |very )?{_CHILD}|"
    rf"since (?:{_WHO_WAS}|age|the age of) \d+|"
    r"since (?:(?:i|she|he|they|you) (?:was|were) )?born|since birth|"
    r"since (?:(?:my|her|his|their|your|early) )?(?:childhood|infancy|youth|teens|early years)|"
    rf"since (?:{_WHO_WAS} (?:in|at) )?(?:(?:primary|elementary|grade|nursery|middle|high) )?"
    r"school|"
    r"for (?:many |so many )?(?:years|ages|decades)|"
    r"for (?:a )?(?:very |really )?long (?:time|while)|"
    rf"(?:when|quand) (?:{_WHO_WAS}|j etais|elle etait|il etait) (?:a |very )?(?:{_CHILD}|petite?|"
    r"enfant|bebe|jeune|ado)|"
    rf"as an? (?:{_CHILD}|baby)|as a little (?:kid|girl|boy|one)|"
    r"all (?:my|her|his|their|your) li(?:fe|ves)|(?:my|her|his|their|your) whole li(?:fe|ves)|"
    r"forever|for ever|ages ago|years ago|decades ago|long time ago|long ago|"
    rf"{_SINCE_FR} {_EST} nee?s?|"
    rf"{_SINCE_FR} (?:l age de|mes|ses|que j ai|que j avais|qu (?:il|elle) (?:a|avait)) "
    r"\d+(?: ans)?|"
    rf"{_SINCE_FR} (?:{_EST} |l |mon |ma |son |sa |leur )?(?:tout |toute |tres |tte )?(?:{_PETIT}|"
    r"enfance|naissance|jeunesse|adolescence|toujours|tjrs|tjs|longtemps|lgtemps|des annees|"
    r"des lustres|des decennies|un bail|belle lurette|la nuit des temps)|"
    rf"{_SINCE_FR} (?:l |la |le )?(?:ecole|maternelle|primaire|college)|"
    r"(?:ca|sa|ça) fait (?:des annees|longtemps|lgtemps|un bail|des lustres|une eternite|"
    r"des decennies)|"
    r"toute (?:ma|sa|leur|ta) vie|il y a (?:tres )?longtemps|il y a des annees)\b"
)


def span(text: str, today: dt.date) -> Span | None:
    """When `text` says something happened, or None if it names no time."""
    text = _ABOUT_AN_AMOUNT.sub(lambda m: f" {_ABOUT[m[1]]} ", digits(text))
    for reader in (_exact_date, _month_year, _relative_amount, _named_period, _year):
        found = reader(text, today)
        if found is not None:
            return found
    if _LONG_AGO.search(text):
        return Span(None, _add_months(today, -60))
    if _SOME_YEARS.search(text):
        return Span(None, _add_months(today, -24))
    return None


# "il y a une vingtaine d'années", "a dozen years ago": about that many, a time all the same.
_ABOUT_AN_AMOUNT = re.compile(
    rf"\b(?:une\s+|a\s+)?({'|'.join(_ABOUT)})s?(?:\s+(?:of|de|d)\b|\s*d')?\s*(?={_UNIT}\b)"
)
# "a few years ago", "ça fait quelques années": at least two years.
_SOME_YEARS = re.compile(
    r"\b(?:a few|few|several|some|quelques|plusieurs|2 3|deux trois) (?:years|yrs|annees|ans)\b"
)


_TIMED = re.compile(
    r"\b(?:since|when|depuis|quand|a|at)[\s']+(?:i[\s']+was|i[\s']+were|age|the age of|"
    r"l[\s']*age[\s']+de|j[\s']*avais|j[\s']*etais|que[\s']+j[\s']*avais|que[\s']+j[\s']*ai|mes|ses|"
    r"(?:she|he|they|we)[\s']+(?:was|were)|qu[\s']*(?:il|elle)[\s']+(?:a|avait))"
    r"\s+\d+(?:\s+(?:ans|years?(?: old)?))?|"
    rf"\b(?:ago|il y a|y a|ya|depuis|dpuis|depui|since|for|pendant|back in|in|en)\s+"
    rf"(?:(?:{_MORE}|{_LESS})\s+)?"
    rf"\d+(?:[.,]5)?(?:\s+{_UNIT})?|\b\d+(?:[.,]5)?\s+{_UNIT}\s+ago\b|"
    r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b\d{4}-\d{1,2}-\d{1,2}\b|(?<![\d.,])(?:19|20)\d{2}\b"
)


def without_times(text: str) -> str:
    """`text` (digits already) without its times: "diagnosed 3 years ago, I'm 45" → "…, I'm 45"."""
    return _TIMED.sub(" ", text)


def _exact_date(text: str, today: dt.date) -> Span | None:
    iso = re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", text)
    numeric = re.search(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\b", text)  # day first
    named = re.search(rf"\b(\d{{1,2}})(?:st|nd|rd|th|er)?\s+({_MONTH_WORD})\.?\s+(\d{{4}})\b", text)
    try:
        if iso:
            day = dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
        elif numeric:
            year = int(numeric[3]) + (2000 if len(numeric[3]) == 2 else 0)
            if year > today.year:
                year -= 100
            day = dt.date(year, int(numeric[2]), int(numeric[1]))
        elif named:
            day = dt.date(int(named[3]), MONTHS[named[2]], int(named[1]))
        else:
            return None
    except ValueError:
        return Span(None, None)  # a date that does not exist: said, but unreadable
    return Span(day, day)


def _month_year(text: str, today: dt.date) -> Span | None:
    named = re.search(rf"\b({_MONTH_WORD})\.?\s+(?:de\s+|of\s+)?(\d{{4}})\b", text)
    numeric = re.search(r"(?<![\d/.-])(\d{1,2})[/.-](\d{4})\b", text)
    if named:
        month, year = MONTHS[named[1]], int(named[2])
    elif numeric and 1 <= int(numeric[1]) <= 12:
        month, year = int(numeric[1]), int(numeric[2])
    else:
        return None
    return _month(year, month)


def _relative_amount(text: str, today: dt.date) -> Span | None:
    """ "3 years ago", "il y a plus de 12 mois", "for 2 years", "depuis moins de 6 mois"."""
    found = re.search(
        rf"(?:\b({_MORE}|{_LESS})\s+)?(\d+(?:[.,]5)?)\s+{_UNIT}"
        rf"(?:\s+ago)?(?:\s+(or more|ou plus|or less|ou moins|and more|et plus))?",
        text,
    )
    if found is None:
        return None
    timed = re.search(r"\b(ago|il y a|y a|ya|depuis|dpuis|depui|since|for|pendant|back)\b", text)
    if not timed and not found[1] and not found[4]:
        return None  # "2 years" alone may be an age or a length: not a time
    months = float(found[2].replace(",", ".")) * _UNIT_DAYS[found[3]] / 30.44
    moment = _add_days(today, -months * 30.44)
    more = (
        (found[1] and re.match(_MORE, found[1]))
        or (found[4] and "plus" in found[4])
        or (found[4] and "more" in found[4])
    )
    less = (
        (found[1] and re.match(_LESS, found[1]))
        or (found[4] and "moins" in found[4])
        or (found[4] and "less" in found[4])
    )
    # "more than 12 months" excludes 12 months exactly, "12 months or more" includes it.
    if more:
        strict = found[1] is not None and not re.match(r"at least|au moins", found[1])
        return Span(None, moment - dt.timedelta(days=1) if strict else moment)
    if less:
        return Span(moment + dt.timedelta(days=1), today)
    return Span(moment, moment)


def _named_period(text: str, today: dt.date) -> Span | None:
    """ "last summer", "en mars dernier", "l'annee derniere", "yesterday", "last week"."""
    if re.search(r"\b(yesterday|hier)\b", text):
        day = today - dt.timedelta(days=1)
        return Span(day, day)
    if re.search(rf"\b(last|this past) week\b|\bsemaine {_LAST}\b", text):
        return Span(today - dt.timedelta(days=13), today - dt.timedelta(days=7))
    if re.search(rf"\blast month\b|\bmois {_LAST}\b", text):
        first = _add_months(today.replace(day=1), -1)
        return _month(first.year, first.month)
    if re.search(rf"\blast year\b|\b(annee|an) {_LAST}\b", text):
        return _year_span(today.year - 1)
    if re.search(r"\bthis year\b|\bcette annee\b", text):
        return Span(dt.date(today.year, 1, 1), today)
    month = re.search(rf"\b(?:(last|this past)\s+)?({_MONTH_WORD})\b(?:\s+({_LAST}))?", text)
    if month and month[2] in MONTHS and (month[1] or month[3] or _alone(text, month[2])):
        number = MONTHS[month[2]]
        year = today.year if number < today.month else today.year - 1
        return _month(year, number)
    season = re.search(rf"\b(?:(last|this past)\s+)?({_SEASON_WORD})\b(?:\s+({_LAST}))?", text)
    if season and (season[1] or season[3]):
        start = _SEASONS[season[2]]
        year = today.year if (start, 1) < (today.month, today.day) else today.year - 1
        first = dt.date(year, start, 1)
        end = _add_days(_add_months(first, 3), -1)
        if end >= today:  # the season is not over: "last summer" is the one before
            first, end = _add_months(first, -12), _add_months(end, -12)
        return Span(first, min(end, today))
    return None


def _alone(text: str, month: str) -> bool:
    """ "en mars", "in march": a month with nothing else that dates it is the last one."""
    return re.search(rf"\b(en|in|au mois de|depuis|since)\s+{month}\b", text) is not None


def _year(text: str, today: dt.date) -> Span | None:
    found = re.search(r"(?<![\d/.,-])(19\d{2}|20\d{2})(?![\d/.,-])", text)
    if found is None or int(found[1]) > today.year:
        return None
    return _year_span(int(found[1]))


def _year_span(year: int) -> Span:
    return Span(dt.date(year, 1, 1), dt.date(year, 12, 31))


def _month(year: int, month: int) -> Span:
    first = dt.date(year, month, 1)
    return Span(first, _add_days(_add_months(first, 1), -1))


def _add_days(day: dt.date, days: float) -> dt.date:
    return day + dt.timedelta(days=round(days))


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, 28))
