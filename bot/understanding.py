"""What a message's words make certain, where the statistical NLU is known to misread them.

Rasa's intent classifier learns from a few dozen examples per intent, and on wording it never saw
it can be confidently wrong: "kan i get on the diabetes trial" read as a question for the
knowledge base, "le DMX-101 ça m'irait à moi ?" as a request to erase one's data, "i live 2 hours
away, can some checkups be done from home?" as an emergency. The gateway reads each message with
the rules below before Rasa does, and sends what they make certain with the message
(`metadata["reading"]`); Rasa's last NLU component (`rasa_addons.reading.GatewayReading`) takes it
over the classifier's guess. A reading is one of:

- `intent`: the words leave no doubt (a request to take part, to be answered in a language, to
  talk to a person), with the entities that go with it;
- `impossible`: intents these words cannot carry (erasing one's data takes the words of erasing;
  a safety intent on a message the gateway's safety check found nothing in, that asks something,
  is a question), which become a question for the knowledge base.

The safety check stays the gateway's (`bot/safety/`): a reading never makes or unmakes an
emergency, it only keeps the dialogue from acting on a misread one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from bot import wording
from bot.trials import Screenable as Trial
from bot.trials import named_in

# The knowledge base's intent: where a message goes that is a question after all.
QUESTION = "faq"

# Something a person may take part in.
_STUDY = re.compile(
    r"\b(?:study|studies|trial|trials|research|program(?:me)?|etudes?|essais?|recherches?|"
    r"programme|protocole)\b"
)
# The verbs of taking part, as people type them; with a person ("i", "me", "my mum", "je"…).
_TAKE_PART = re.compile(
    r"\b(?:join\w*|get (?:on|onto|into|in)(?! touch)|sign(?:ing)? (?:up|me up)|enrol\w*|enroll\w*|"
    r"apply\w*|try (?:it|the|this|that|for)|do (?:it|the|this|that)|take (?:me|him|her|part)|"
    r"part of|participat\w*|be in|qualif\w*|eligib\w*|suitable|fit for|volunteer (?:for|in)|"
    r"register\w*|go for it|count me in|a candidate|"
    r"particip\w*|inscri\w*|inscrire|postul\w*|rejoindre|faire partie|venir|rentrer|entrer|"
    r"tenter|candidat\w*|m'irait|pour moi|coch\w* les cases|me prendre|prendre part|en etre|"
    r"(?:la|le|l'|l) ?faire|faire (?:l'|la |le |l |cette |cet )?(?:etude|essai|recherche)|"
    r"y aller|for me|(?:i|we|he|she) (?:could|can|might|would) do|suit (?:me|him|her|us|my \w+|"
    r"someone like me))\b"
)
# Verbs that ask to take part on their own ("how do i sign up for it?"), the study understood.
_SIGN_UP = re.compile(
    r"\b(?:join|joining|sign(?:ing)? (?:up|me up)|enrol|enroll|enrolling|register|apply|"
    r"participate|take part|particip(?:er|e)|m'inscri\w*|inscri(?:re|s|t)|postul\w*|"
    r"candidat(?:er|e)|prendre part)\b"
)
# What else one signs up for.
_NOT_A_STUDY = re.compile(r"\b(?:reminders?|rappels?|notifications?|messages?|newsletter|sms)\b")
_PERSON = re.compile(
    r"\b(?:i|i'm|im|i'd|id|me|my|we|us|he|she|him|her|je|j|j'|moi|me|m'|ma|mon|il|elle|on|"
    r"jpeux|jveux|chui|jsuis)\b|\bj'|\bm'"
)
# What a question about a study asks, rather than asking to take part in it.
_TOPIC = re.compile(
    r"\b(?:how many|how long|how much|how often|why|y would|visits?|placebo|paid|pay|money|free|"
    r"cost\w*|side effects?|risks?|safe|duration|last|lasts|combien|pourquoi|pk|visites?|payee?s?|"
    r"gratuit\w*|"
    r"remuner\w*|indemnis\w*|dure|duree|effets?|risques?|frais|rembours\w*)\b"
)

# A language by its name, in either language.
_LANGUAGE_NAMES = {
    "english": "en",
    "anglais": "en",
    "french": "fr",
    "francais": "fr",
}
_LANGUAGE_NAME = re.compile(r"\b(english|anglais|french|francais)\b")
# A wish to be answered in a language: a verb of speaking or writing before its name, or its
# name alone ("en français svp").
_LANGUAGE_WISH = re.compile(
    r"\b(?:speak\w*|talk\w*|writ\w*|answer\w*|repl\w*|respond\w*|switch\w*|change\w*|chat\w*|"
    r"continu\w*|go on|parl\w*|ecri\w*|repond\w*|pass\w*|mett\w*|discut\w*)\b.{0,40}?\b(?:in |en )?"
    r"(?:english|anglais|french|francais)\b"
)
_LANGUAGE_ALONE = re.compile(
    r"^(?:(?:ok|okay|please|pls|svp|stp|can you|could you|en|in|plutot|rather) )*"
    r"(?:english|anglais|french|francais)(?: (?:please|pls|plz|svp|stp|merci|thanks))*$"
)

# A wish to talk to a person of the team (not a question about whom to ask).
_PERSON_WISH = re.compile(
    r"\b(?:(?:talk|speak|chat)(?:ing)? (?:to|with) (?:a |an |the |some |my |your )?"
    r"(?:real |actual |live |human |study |research |trial )?"
    r"(?:person|human|someone|somebody|doctor|dr|nurse|"
    r"team|staff|coordinator|investigator|people|member)|(?:real|actual|live) (?:person|human)|"
    r"parler (?:directement |tout de suite |vite )?(?:a|avec|au|aux) "
    r"(?:un |une |le |la |l'|l |des |quelqu'un|quelquun|votre |vos )?"
    r"(?:vrai |vraie |vraies |vrais )?(?:personne|humain|medecin|docteur|infirmi\w*|equipe|"
    r"quelqu'un|quelquun|coordinat\w*|investigat\w*|membre)|(?:vraie|vrai) (?:personne|humain))"
)
# The words of a wish for a person of the team, when a question asks for one.
_HUMAN = re.compile(
    r"\b(?:human|humain\w*|real person|actual person|vraie? personne|agent|operator|operat\w*|"
    r"(?:talk|speak|chat|parler|discuter) (?:to|with|a|avec)|put me through|mettre en relation|"
    r"call me|rappel\w*|appel\w* moi|contact me|contactez moi|someone (?:from|of|at) the|"
    r"quelqu'un de l'equipe)\b"
)
_WHO = re.compile(r"^(?:(?:and|so|et|alors|ok) )?(?:who|whom|qui|a qui)\b")

# The words without which a message does not ask to erase one's data, or to withdraw a consent.
_ERASE = re.compile(
    r"\b(?:delet\w*|eras\w*|remov\w*|wipe\w*|forget|destroy\w*|get rid|efface\w*|supprim\w*|"
    r"oubli\w*|detrui\w*|retir\w*|enlev\w*|droit a l'oubli)\b"
)
# An erasure asked for, even as a question ("can you delete my data?", "supprimez tout svp").
_ERASE_ASKED_FOR = re.compile(
    r"\b(?:can|could|would|will) (?:you|u) (?:please |pls |plz )?(?:delete|erase|remove|wipe|"
    r"forget|destroy|get rid)|\b(?:(?:pouvez|pourriez|peux|pourrais|voulez)[- ]?(?:vous|tu)|"
    r"(?:vous|tu) (?:pouvez|pourriez|peux|pourrais|voulez)) "
    r"(?:svp |stp )?(?:supprimer|effacer|detruire|oublier|retirer|enlever)|\b(?:i (?:want|wanna|"
    r"would like|need)|i'd like|id like|je (?:veux|voudrais|souhaite)|j'aimerais)\b|\b(?:please|"
    r"pls|plz|svp|stp|droit a l'oubli)\b|^(?:\w+ )?(?:delete|erase|remove|wipe|forget|supprim\w*|"
    r"effac\w*|oubli\w*)\b"
)
_WITHDRAW = re.compile(
    r"\b(?:consent\w*|withdraw\w*|revok\w*|revoqu\w*|retir\w*|retract\w*|opt out|take back|"
    r"desinscri\w*|unsubscribe|accord|agreement|stop using|n'utilisez plus|arretez d'utiliser)\b"
)
# The words without which a message does not ask whether it talks to a machine.
_MACHINE = re.compile(
    r"\b(?:bot|robot|chatbot|machine|ai|ia|computer|automat\w*|ordinateur|human|humain|real|"
    r"vrai|vraie|person|personne|people|someone|quelqu'un|quelquun|who are you|qui es tu|"
    r"t'es qui|tes qui|qui etes vous)\b"
)
# Machines that are not this one: "which floor is the vending machine on".
_OTHER_MACHINES = re.compile(
    r"\b(?:(?:vending|cash|coffee|ticket|parking|drinks?|snack|x ray|mri|scan|washing) machines?|"
    r"machines? (?:a|à) (?:cafe|café|boissons?|tickets?|laver))\b"
)
# A withdrawal of consent in so many words ("i take back my agreement", "je retire mon accord").
_WITHDRAWAL = re.compile(
    r"\b(?:(?:withdraw\w*|take back|taking back|revok\w*|retract\w*|cancel\w*) (?:my |your |the |"
    r"this |that )?(?:consent|agreement|permission)|(?:retir\w*|revoqu\w*|annul\w*|reviens sur|"
    r"revenir sur) (?:mon |ma |le |la |l'|l |ce |cet |cette )?(?:consentement|accord|"
    r"autorisation)|(?:don't|dont|do not|stop) us(?:e|ing) my "
    r"(?:answers|data|information)|n'utilisez plus mes (?:reponses|donnees)|"
    r"(?:arretez|cessez) d'utiliser mes (?:reponses|donnees))\b"
)
# The words without which a message does not ask to move or to cancel a visit.
_MOVE = re.compile(
    r"\b(?:resched\w*|move|moving|change|changing|another (?:day|date|time)|postpone\w*|"
    r"push (?:\S+ ){0,3}back|bring (?:\S+ ){0,3}forward|decal\w*|deplac\w*|report\w*|chang\w*|"
    r"autre (?:date|jour|heure|moment|creneau)|avanc\w*|repouss\w*)\b"
)
_CANCEL = re.compile(
    r"\b(?:cancel\w*|call (?:it )?off|annul\w*|can't come|cant come|cannot come|won't (?:come|"
    r"make)|wont (?:come|make)|can't make|cant make|pourrai pas venir|peux pas venir|"
    r"viendrai pas|pas venir)\b"
)
# Intents whose replies take a message for talk about one's health.
_HEALTH_INTENTS = ("emergency", "report_side_effect", "health_chatter")


@dataclass(frozen=True)
class Reading:
    intent: str | None = None
    entities: dict[str, str] = field(default_factory=dict)
    impossible: tuple[str, ...] = ()
    # "affirm" or "deny" when the message opens with a clear yes or no and asks nothing: its
    # answer to a yes-or-no question the assistant has just asked with buttons, whatever the
    # rest says ("oui je veux bien que l'équipe me rappelle"). Rasa applies it only there
    # (`rasa_addons.answers`): elsewhere "yes please call me" is a request of its own.
    answer: str | None = None

    def as_metadata(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if self.answer:
            found["answer"] = self.answer
        if self.intent:
            found["intent"] = self.intent
            found["entities"] = [
                {"entity": name, "value": value} for name, value in self.entities.items()
            ]
        if self.impossible:
            found["impossible"] = list(self.impossible)
            found["instead"] = QUESTION
            if "confirm_appointment" in self.impossible:
                # A question about one's visit is answered with one's visits.
                found["instead_of"] = {"confirm_appointment": "my_appointments"}
        return found


def read(text: str, trials: dict[str, Trial]) -> Reading | None:
    """What the words of `text` make certain, if anything (None: the NLU decides alone).

    The gateway's safety check has read the message already: an emergency never reaches Rasa,
    and of a side-effect report only what else it says does.
    """
    if not text or text.startswith("/"):
        return None  # a button's payload says its intent itself
    words = wording.words(text)
    found = _read(text, words, trials)
    if (answer := answers_yes_or_no(text, words)) is None:
        return found
    return replace(found, answer=answer) if found else Reading(answer=answer)


def _read(text: str, words: str, trials: dict[str, Trial]) -> Reading | None:
    if language := asks_for_language(words):
        return Reading(intent="change_language", entities={"language": language})
    if _WITHDRAWAL.search(words) and not wording.is_question(text):
        return Reading(intent="withdraw_consent")
    if wording.asks_for_contact(text):
        # The knowledge base gives the number, even to "can I talk to them? their number?".
        return Reading(intent=QUESTION)
    if wants_a_person(words):
        return Reading(intent="request_human")
    if wording.is_goodbye(text):
        return Reading(intent="goodbye")  # "thx bye" is no thanks waiting for more
    if asks_to_take_part(text, words, trials):
        trial = named_in(trials, text)
        return Reading(intent="start_screening", entities={"trial": trial} if trial else {})
    impossible = impossible_intents(text, words)
    if "start_screening" not in impossible and not_a_request_to_take_part(text, trials):
        impossible = (*impossible, "start_screening")
    return Reading(impossible=impossible) if impossible else None


def answers_yes_or_no(text: str, words: str | None = None) -> str | None:
    """ "affirm" or "deny" when `text` opens with a clear yes or no and asks nothing, with no
    "but" taking it back ("oui mais…"); else None. "ok" is not among them: "ok thanks" takes in
    what was said."""
    words = wording.words(text) if words is None else words
    if "?" in text or _TAKES_BACK.search(words):
        return None
    if _OPENS_WITH_YES.match(words):
        return "affirm"
    if _OPENS_WITH_NO.match(words):
        return "deny"
    return None


# "ok" alone takes in what was said; "ok go ahead", "ok je suis d'accord" agree.
_OPENS_WITH_YES = re.compile(
    r"(?:(?:ok|okay|oki|okey|alright|right|bon|ben|ah|oh) )?"
    r"(?:yes|yess+|yeah|yea|yep|yup|yh|ya|sure|of course|absolutely|definitely|please do|"
    r"yes please|oui|ouii+|ouais|ouai|wi|ui|d'accord|d accord|dac|daccord|volontiers|bien sur|"
    r"avec plaisir|je veux bien|carrement|tout a fait|bien entendu|i agree|agreed|i accept|"
    r"go ahead|go on|carry on|let's go|lets go|je suis d'accord|je suis d accord|j'accepte|"
    r"j accepte|allez y|vas y|allons y|"
    # as a yes is said in passing
    r"fine|that's fine|thats fine|that is fine|fine by me|sounds good|no problem|no worries|"
    r"ca me va|ca marche|pas de souci|pas de soucis|pas de probleme|aucun probleme)\b"
)
_OPENS_WITH_NO = re.compile(
    r"(?:no|noo+|nope|nah|non|nan|pas maintenant|pas pour l'instant|not now|not for now|"
    r"no thanks|non merci)\b"
)
_TAKES_BACK = re.compile(
    r"\b(?:but|except|although|though|unless|mais|sauf|sauf si|quoique|par contre|not sure|"
    r"pas sur|pas sure|dunno|je sais pas|jsp|i don't know|i dont know)\b"
)


def asks_for_language(words: str) -> str | None:
    """The language a message asks to be answered in: the last one it names in such a wish
    ("sorry my french is bad, do you speak english?" asks for English)."""
    if not (_LANGUAGE_WISH.search(words) or _LANGUAGE_ALONE.search(words)):
        return None
    names = _LANGUAGE_NAME.findall(words)
    return _LANGUAGE_NAMES[names[-1]] if names else None


def wants_a_person(words: str) -> bool:
    """A wish to talk to someone of the team ("i want to talk to the study doctor directly")."""
    return bool(_PERSON_WISH.search(words)) and not _WHO.search(words)


def not_a_request_to_take_part(text: str, trials: dict[str, Trial]) -> bool:
    """Taking part named as a condition ("if i sign up…"), or whether someone else may at their
    age, in none of `trials`: a question, whatever the classifier or the words of joining make
    of it ("can my 10 yr old son join a study?"; "…the asthma study?" asks to pre-screen him)."""
    if wording.joins_as_a_condition(text) or _WHY_OR_WHETHER_IT_STOPS.search(wording.words(text)):
        return True
    return wording.asks_whether_someone_may_at_their_age(text) and named_in(trials, text) is None


# "y would anyone volunteer for a drug test", "pk je participerais, ca m'apporte quoi" ask why;
# "kidney stones for years, would that stop me joining a trial" asks whether it rules one out.
_WHY_OR_WHETHER_IT_STOPS = re.compile(
    r"^(?:(?:and|so|but|ok|et|alors|mais|bon) )?(?:why|y|pk|pq|pkoi|pourquoi)\b(?! not| pas)|"
    r"\b(?:stops?|prevents?|keeps?|rules?|excludes?|bars?) (?:me|him|her|them|someone|you) "
    r"(?:out )?(?:from )?(?:joining|taking part|being|getting|participating|signing up)|"
    r"\b(?:m|l|vous)'(?:empech|exclu)\w*"
)


def asks_to_take_part(text: str, words: str, trials: dict[str, Trial]) -> bool:
    """A request to take part in a study, however it is worded ("kan i get on the diabetes
    trial", "étude asthme, je peux postuler ?"), and not a question about one."""
    if _NOT_A_STUDY.search(words) or not_a_request_to_take_part(text, trials):
        return False
    if wording.asks_to_join(text):
        return True
    if _TOPIC.search(words):
        return False
    if not _PERSON.search(words):
        return False
    if _SIGN_UP.search(words):
        return True
    names_one = named_in(trials, text) is not None or bool(_STUDY.search(words))
    return names_one and bool(_TAKE_PART.search(words))


def impossible_intents(text: str, words: str) -> tuple[str, ...]:
    """Intents that these words cannot carry."""
    impossible: list[str] = []
    question = any(wording.asks(part) for part in [text, *wording.clauses(text)])
    if not _ERASE.search(wording.without_dropping(words)) or (
        question and not _ERASE_ASKED_FOR.search(words)
    ):
        # "ok forget the team, i'll carry on with you" calls off a request: it erases nothing;
        # "if i quit halfway, do you delete everything?" asks what happens, it asks for nothing.
        impossible.append("erase_my_data")
    if not _WITHDRAW.search(words):
        impossible.append("withdraw_consent")
    if not _MACHINE.search(_OTHER_MACHINES.sub("", words)):
        impossible.append("bot_challenge")
    if question and not _HUMAN.search(words):
        # "and someone with psoriasis?" asks about someone, not for someone of the team.
        impossible.append("request_human")
    if _WHO.search(words):
        impossible.append("start_screening")  # "who can take part in a trial?" asks who
    if wording.takes_in(text) or wording.is_puzzled(text):
        impossible.append("goodbye")  # "ok i see": the NLU heard "see you"
        if answers_yes_or_no(text, words) != "affirm":
            # Nor a yes: "ok je vois" under a consent question takes in the text, agrees to none.
            impossible.append("affirm")
    if not _MOVE.search(words):
        impossible.append("reschedule_appointment")
    if not _CANCEL.search(words):
        impossible.append("cancel_appointment")
    if question:
        # What reaches Rasa holds no emergency and no side effect the gateway's check found.
        impossible.extend(_HEALTH_INTENTS)
    asked = any(wording.is_question(part) for part in [text, *wording.clauses(text)])
    if asked:
        # "au fait mon rdv c lundi ou mardi ?" asks about the visit: it confirms nothing.
        impossible.append("confirm_appointment")
    if asked and len(words.split()) > 3:
        # "hi, what does a visit involve?" is a question; "bonjour, je voudrais des infos" a hello.
        impossible.append("greet")
    return tuple(impossible)
