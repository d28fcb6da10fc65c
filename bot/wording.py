"""What a message's own words say about what the person wants, where the NLU's reading is risky.

Two readings change what happens to a person, and the NLU makes them from words alone: that they
withdraw their consent, and that they want to be pre-screened for a trial. Asking *whether* one
may leave ("can i quit anytime?") is a question for the knowledge base, and so is a question that
names a trial ("combien de visites pour l'étude asthme ?"). The actions check these readings here
before acting on them; a reading they set aside is recorded for staff as a gap.
"""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Lower case without accents: "Ça coûte" and "ca coute" become the same words."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# A question by its first words, in either language, typed as people type.
# An auxiliary that opens a statement with its subject left out, not a question: "might go see
# my gp tmrw", "will call them", "did nothing", "do not know".
_STATEMENT_AFTER = (
    r"(?! (?:not|nothing|probably|maybe|prob|defo|definitely|try|go|see|call|ring|phone|come|"
    r"get|ask|wait|check|keep|book|let|tell|need|have to)\b)"
)
_QUESTION_START = re.compile(
    r"^(?:(?:and|so|but|et|mais|alors|euh|hi|hello|helo|hey|hiya|bonjour|salut|"
    r"ok|okay|hang on|hold on|wait|sorry|oh|ah|um|erm|actually|quick question|one question|"
    r"attendez|attends|pardon|au fait|dites|une question|petite question) )*"
    r"(?:what|whats|wat|wats|wots|wot|when|where|"
    rf"how|who|which|why|(?:can|could|cn|may|might|will|would|is|are|am|do|does|did|should)"
    rf"{_STATEMENT_AFTER}|if|"
    r"quand|ou|comment|combien|qui|quel|quelle|quels|quelles|pourquoi|est ce|c quoi|c'est quoi|"
    r"c quand|c'est quand|cest quand|c koi|cest koi|c'est koi|"
    r"cest quoi|peut|peux|puis|pouvez|pourrais|pourrai|jpeux|je peux|j'peux|on peut|est il|"
    r"ai je|y a t il|si je|et si|a quel|a quelle|"
    # as typed on a phone
    r"pk|pq|pkoi|pourkoi|kel|kelle|kels|cb|cmb|hw|wen|wer|y (?:would|do|does|is|are|cant))\b"
)
# The words of a request to take part.
_JOIN = re.compile(
    r"\b(?:join\w*|take part|taking part|participat\w*|sign\w* up|sign me|enrol\w*|enroll\w*|"
    r"eligib\w*|eligab\w*|elligib\w*|elegib\w*|qualif\w*|apply|applying|screen\w*|register\w*|"
    r"volunteer\w*|be in|get in|"
    r"be part|be a part|candidat\w*|particip\w*|inscri\w*|rejoindre|rejoins|eligible\w*|"
    r"faire partie|postuler|entrer dans|etre dans|m'engager|questionnaire|test\w* (?:my|mon|ma) "
    r"eligib\w*|start|commencer|demarrer|go on|carry on|continue|resume|reprendre|continuer|"
    r"questions|recruit\w*|recrut\w*)\b"
)
# Where one request ends and another may begin: sentence ends, commas, and the words that join
# two requests in one message.
_BOUNDARY = re.compile(
    r"(?<=[.!?;\n])\s*|\s*,\s*|\s+(?:and also|and|but|also|plus|btw|by the way|et aussi|et|mais|"
    r"aussi|sinon|au fait|ps)\s+",
    re.IGNORECASE,
)
_CONJUNCTION = re.compile(r"^(?:and|but|also|so|et|mais|aussi|donc)\s+", re.IGNORECASE)


def clauses(text: str) -> list[str]:
    """`text` cut where one request may end and another begin, each part stripped."""
    parts = (_CONJUNCTION.sub("", part.strip()) for part in _BOUNDARY.split(text) if part)
    return [part for part in parts if part]


# A request to take part, in so many words.
_JOIN_REQUEST = re.compile(
    r"\b(?:(?:can|could|may) (?:i|we|he|she|my \w+) (?:\w+ )?(?:join|take part|participate|"
    r"sign up|enrol\w*|enroll|apply|be in|be part)|(?:i|i'd|id) (?:want|wanna|would like|like|"
    r"wish) to (?:join|take part|participate|sign up|enrol\w*|enroll|apply|be in|volunteer)|"
    r"sign me up|am i (?:eligible|eligable|elligible|eligble|elegible|a (?:good )?fit|suitable)|"
    r"(?:would|could|do|might|will) i (?:be (?:a (?:good )?)?)?(?:fit|qualify|be eligible|"
    r"be suitable)|i might (?:be a )?fit|"
    r"(?:est ce que |est-ce que )?(?:je|j') ?(?:peux|pourrais|puis) "
    r"(?:\w+ )?(?:participer|m'inscrire|rejoindre|faire partie|entrer)|puis je participer|"
    r"(?:je|j) ?(?:veux|voudrais|souhaite|aimerais|veu) (?:\w+ )?(?:participer|m'inscrire|"
    r"rejoindre|faire partie|faire l'etude|faire l'essai|(?:essayer|tenter) (?:l'|l |cette |"
    r"cet |votre )?(?:etude|essai))|jveux participer|suis je eligible|"
    # "est ce que je rentre dans les critères de l'étude", "do i meet the criteria".
    r"(?:je|j') ?(?:rentre|entre|corresponds?) (?:\w+ ){0,2}(?:dans|a|aux) (?:les |vos )?criteres|"
    r"(?:do|would|will|could) i (?:meet|fit|match) (?:the |your |its |their )?(?:criteria|"
    r"requirements)|(?:put|add) (?:me|him|her|us) (?:down )?(?:for|on|to) (?:the |a |this |that |"
    r"your )?(?:[\w']+ ){0,2}(?:study|trial|research|one)|count me in|"
    r"je suis eligible|(?:je )?(?:peux|pourrais|puis) (?:je )?faire "
    r"(?:l'|l |votre |vos |cet |cette |ce )?(?:etude|essai)|"
    r"(?:je )?(?:peux|pourrais|puis) (?:je )?(?:y |la |le )(?:participer|faire|rejoindre)|"
    r"(?:etude|essai|study|trial) (?:\w+ ){0,3}(?:m'interesse|interests me)|"
    r"(?:i'm|im|i am) interested in (?:joining|taking part|the \w+ (?:study|trial))|"
    # Whether a study suits them: "check if i fit the diabetes study", "would the asthma study
    # work for someone like me", "l'essai sur l'asthme ça pourrait me correspondre ?".
    r"(?:i|me) fit (?:[\w']+ ){0,4}(?:study|trial|research)|"
    r"(?:study|trial|research|etude|essai|one)(?: [\w']+){0,6} (?:for someone like me|"
    r"(?:open|right|suitable) (?:to|for) (?:me|someone like me)|work for me|me correspond\w*|"
    r"me convien\w*|pour quelqu'un comme moi|m'accept\w*|"
    r"accept me|take me))\b"
)
# Words that can only mean the consent itself.
_CONSENT = re.compile(
    r"\b(?:consent\w*|withdraw\w*|revok\w*|revoqu\w*|retir\w*|retract\w*|opt out|"
    r"desinscri\w*|unsubscribe)\b"
)


# Thanks and the words that go with them ("great thank you so much!").
_THANKS = frozenset(
    [
        "thank",
        "thanks",
        "thanx",
        "thx",
        "ty",
        "tysm",
        "cheers",
        "great",
        "super",
        "perfect",
        "ok",
        "okay",
        "k",
        "cool",
        "nice",
        "good",
        "awesome",
        "lovely",
        "brilliant",
        "fine",
        "alright",
        "all",
        "right",
        "got",
        "it",
        "noted",
        "you",
        "so",
        "much",
        "very",
        "a",
        "lot",
        "again",
        "and",
        "merci",
        "beaucoup",
        "bcp",
        "mille",
        "fois",
        "parfait",
        "genial",
        "top",
        "nickel",
        "daccord",
        "d'accord",
        "dac",
        "bien",
        "tres",
        "trop",
        "sympa",
        "c'est",
        "ca",
        "vous",
        "toi",
        "cool",
        "oui",
        "yes",
        "ah",
        "oh",
    ]
)
_THANKING = frozenset(["thank", "thanks", "thanx", "thx", "ty", "tysm", "cheers", "merci"])


_BYE = frozenset(
    ["bye", "byebye", "goodbye", "cya", "ciao", "later", "see", "soon", "night", "au", "revoir",
     "aurevoir", "a", "plus", "bientot", "bonne", "journee", "soiree", "salut", "tchao", "bisous",
     "have", "nice", "day", "take", "care", "je", "vous", "te", "souhaite", "wish", "good",
     "evening", "weekend", "week", "end", "une", "un", "now", "continuation", "laisse", "ttyl",
     "adieu"]
)  # fmt: skip
_SAYING_BYE = frozenset(
    ["bye", "byebye", "goodbye", "cya", "ciao", "revoir", "aurevoir", "tchao", "soiree",
     "journee", "bientot", "evening", "weekend", "continuation", "laisse", "ttyl", "adieu"]
)  # fmt: skip


def is_thanks(text: str) -> bool:
    """Thanks, or an acknowledgement that asks for nothing ("great thank you", "ok merci")."""
    words = _words(text).split()
    return bool(words) and all(w in _THANKS for w in words) and bool(_THANKING & set(words))


def thanks_and_asks_nothing(text: str) -> bool:
    """Thanks among other words that ask nothing ("cheers, thats all i needed", "friday works,
    thanks very much")."""
    return bool(_THANKING & set(_words(text).split())) and not asks(text)


def is_puzzled(text: str) -> bool:
    """Not having followed, and nothing more ("hein ?", "huh?", "sorry what", "j'ai pas compris"):
    no question for the knowledge base."""
    return _PUZZLED.fullmatch(_words(text)) is not None


_PUZZLED = re.compile(
    r"(?:(?:ok|so|sorry|pardon|euh|heu|hmm|um|uh|eh|ah|oh|wait|attends|attendez|desole|desolee) )*"
    r"(?:hein|huh|what|quoi|pardon|sorry|comment|eh|what do you mean|wdym|c'est a dire|cad|"
    r"i don'?t (?:get it|understand)|i dont (?:get it|understand)|i do not understand|"
    r"(?:je )?(?:ne )?comprends? (?:pas|rien)|j'ai (?:pas|rien) compris|pas compris|"
    r"je capte pas|come again)(?: (?:sorry|pardon|desole|desolee|la|again))*"
)


def takes_in(text: str) -> bool:
    """Having taken in what was said ("ok i see", "je vois"): no goodbye, whatever "see" says."""
    return _TAKES_IN.search(_words(text)) is not None and not is_goodbye(text)


_TAKES_IN = re.compile(r"\b(?:i see|je vois|understood|compris|got it|i get it|makes sense)\b")


def is_acknowledgement(text: str) -> bool:
    """Taking in what was said, asking nothing ("ok", "d'accord", "ok thanks")."""
    words = _words(text).split()
    return bool(words) and all(w in _THANKS for w in words)


def feels_unwell(text: str) -> bool:
    """Feeling unwell, said and nothing more ("hey i dont feel great tbh", "je me sens pas
    bien"): no question for the knowledge base, and not yet a report to pass on."""
    return _UNWELL.fullmatch(_words(text)) is not None


_UNWELL = re.compile(
    r"(?:(?:hey|hi|hello|bonjour|salut|slt|coucou|so|well|bah|ben|euh|um|hmm|honestly|"
    r"franchement) )*(?:i|im|i'm|je|j)? ?(?:(?:do ?n'?t|dont|do not|am not|m not|not) "
    r"(?:feel(?:ing)?|feel) (?:(?:so|very|too|that|really) )?(?:great|good|well|right|myself|"
    r"100 ?%?)|feel(?:ing)? (?:(?:a bit|kinda|kind of|quite|really|so|very|pretty) )?(?:unwell|"
    r"off|rough|awful|terrible|bad|crap|rubbish|ill|sick|poorly|funny|weird|strange)|"
    r"(?:me )?sens (?:pas|vraiment pas|pas tres|pas trop) (?:bien|top|terrible)|me sens "
    r"(?:mal|bizarre|patraque|pas bien)|suis (?:pas bien|patraque|mal fichue?|pas en forme)|"
    r"ca va pas (?:trop|tres|fort)?|pas en forme|pas la forme)(?: (?:tbh|honestly|today|"
    r"aujourd'?hui|ce matin|lately|these days|en ce moment|franchement|du tout|at all|really))*"
)


def is_goodbye(text: str) -> bool:
    """A goodbye, perhaps with thanks, that asks for nothing ("thx, bye", "merci au revoir")."""
    words = _words(text).split()
    return (
        bool(words)
        and all(w in _THANKS or w in _BYE for w in words)
        and bool(_SAYING_BYE & set(words))
    )


# The wish to leave the study team for the assistant, typed rather than tapped.
_BACK = re.compile(
    r"^(?:(?:ok|okay|non|no|nan) )?(?:(?:i want to |i'd like to |je veux |je voudrais |take me )?"
    r"(?:go )?back to the (?:assistant|bot|chatbot|robot)|(?:back|return) to (?:the )?"
    r"(?:assistant|bot|chatbot)|(?:je veux |je voudrais )?(?:revenir|retourner|retour) (?:a|avec) "
    r"(?:l'assistant|l assistant|le bot|le robot|le chatbot))(?: please| svp| stp)?$"
)


# The wish to go on with the questions after an interruption.
_GO_ON = re.compile(
    r"\b(?:(?:go on|carry on|continue|resume|keep going|get back to|back to) (?:with )?"
    r"(?:the |my )?(?:questions?|questionnaire|form|screening)|(?:can|could|shall) we "
    r"(?:go on|continue|carry on|resume)|let'?s (?:go on|continue|carry on)|next question|"
    r"on (?:continue|reprend|peut continuer|peut reprendre)|(?:reprendre|continuer|reprenons|"
    r"continuons) (?:les |le |avec les )?(?:questions?|questionnaire)|la suite (?:des questions|"
    r"du questionnaire)|question suivante)\b"
)


def wants_to_go_on(text: str) -> bool:
    """The wish to go on with the questions ("can we go on with the questions?", "on reprend")."""
    return bool(_GO_ON.search(_words(text)))


def back_to_the_assistant(text: str) -> bool:
    """The typed wish to go back from the study team to the assistant ("back to the assistant")."""
    return bool(_BACK.search(_words(text)))


# A request by its first words ("I'd like…", "je voudrais…", "tell me…").
_REQUEST_START = re.compile(
    r"^(?:(?:and|so|but|et|mais|alors) )?(?:i (?:want|wanna|would like|need)|i'd like|id like|"
    r"tell me|show me|give me|send me|please|pls|plz|je (?:veux|voudrais|souhaite|cherche)|"
    r"j'aimerais|jaimerais|je voulais|jveux|dites moi|dis moi|donnez moi|envoyez moi|svp|stp|"
    # "je dois décaler mon prochain rdv": a visit to move, asked of the assistant.
    r"(?:i (?:have|need|got) to|i must|i gotta|je dois|il faut que je|faut que je|j'ai besoin de) "
    r"(?:move|change|cancel|reschedule|postpone|push|rearrange|decaler|annuler|changer|reporter|"
    r"deplacer|modifier))\b"
)


def asks(text: str) -> bool:
    """Whether `text` asks a question or makes a request."""
    return is_question(text) or bool(_REQUEST_START.search(_words(text)))


def is_question(text: str) -> bool:
    """Whether `text` asks something (a question mark, the first words of a question, or the
    last words of one: "elle a des fenêtres ou pas", "it's free or not")."""
    said = _words(text)
    return (
        text.rstrip().endswith("?")
        or bool(_QUESTION_START.search(said))
        or bool(_QUESTION_END.search(said))
        or (bool(_QUESTION_INSIDE.search(said)) and not _NOT_KNOWING.search(said))
    )


_QUESTION_END = re.compile(r"\b(?:ou pas|ou non|or not|n'est ce pas|n est ce pas)$")
# Spoken French puts the question word inside: "jai combien de temps pr reflechir", "elle dure
# combien de temps l'étude", "je dois venir pourquoi".
_QUESTION_INSIDE = re.compile(
    r"\b(?:combien de (?:temps|fois|visites?|rdv|rendez vous|jours|semaines|mois|ans|annees)|"
    r"combien (?:ca|ça|ce|c'est|coute|dure|paye|payes)|ca dure combien|ça dure combien|"
    r"dure combien|coute combien)\b"
)
# "je sais pas combien de fois": an answer that does not know, no question.
_NOT_KNOWING = re.compile(r"\b(?:sais|sait|souviens|rappelle)\w* (?:pas |plus )?(?:trop )?combien")


def opens_as_question(text: str) -> bool:
    """Whether `text` begins as a question does ("can I…", "est-ce que…"), whatever follows."""
    return bool(_QUESTION_START.search(_words(text)))


def asks_whether_one_may_leave(text: str) -> bool:
    """A question about leaving ("can i quit anytime?"), not a withdrawal of consent."""
    return is_question(text) and not _CONSENT.search(_words(text))


# Taking part as the condition of a question, not asked for: "who sees my records if i sign up",
# "having agreed to take part, may I change my mind", "si je participe, je suis payé ?". ("if i
# can join…", "si je pourrais participer…" ask whether one can: a request.)
_ONCE_IN = re.compile(
    r"\b(?:(?:if|once|when|after|si|une fois|quand|apres) (?:i|we|you|he|she|they|je|j|on|il|elle|"
    r"my \w+|mon \w+|ma \w+) (?:do |ever |decide to |end up |were to |finally )?(?:join|joined|"
    r"sign up|signed up|take part|enrol\w*|participe|participes|participez|m'inscris|m inscris)|"
    r"having (?:\S+ )?(?:agreed|joined|signed|taken part))\b"
)
# Whether someone else, at their age, may take part in studies at all: "can my 10 yr old son
# join a study", "elle a 72 ans, c'est pas trop vieux pour un essai ?".
_SOMEONE_S_AGE = re.compile(
    r"^(?=.*\b(?:son|daughter|child|kid|boy|girl|mum|mom|mother|dad|father|nan|gran\w*|she|he|"
    r"fils|fille|enfant|mere|pere|mamie|papi|elle|il)\b)"
    r"(?=.*\b(?:\d+ ?(?:yrs?|years?|ans)|(?:his|her|son|sa|their) age|too old|too young|"
    r"trop (?:vieux|vieille|jeune|age\w*))\b)"
)


def joins_as_a_condition(text: str) -> bool:
    """Taking part named as the condition of a question: "who sees my records if i sign up"."""
    return bool(_ONCE_IN.search(_words(text)))


def asks_whether_someone_may_at_their_age(text: str) -> bool:
    """Whether someone else may take part at their age ("she's 70, can she still take part in a
    trial?"): a question, unless it names one of the site's studies (the caller checks)."""
    return bool(_SOMEONE_S_AGE.search(_words(text)))


def asks_to_join(text: str) -> bool:
    """The words of a request to take part, whatever else the message says ("…, can I join the
    study?"); `understanding.not_a_request_to_take_part` sets aside the questions among them."""
    return bool(_JOIN_REQUEST.search(_words(text)))


def asks_without_joining(text: str) -> bool:
    """A question that does not ask to take part ("how many visits in the asthma study?")."""
    words = _words(text)
    return is_question(text) and not _JOIN.search(words) and not _JOIN_REQUEST.search(words)


def _words(text: str) -> str:
    folded = fold(text).replace("’", "'").replace("-", " ")
    return " ".join(re.findall(r"[a-z0-9']+", folded))


def words(text: str) -> str:
    """`text` as the rules read it: folded (lower case, no accents), words and apostrophes."""
    return _words(text)


# A question for the study team's phone number or address, or how to reach them.
_TEAM = (
    r"(?:team|study|studies|staff|nurse|doctor|research\w*|coordinator|people|them|you|site|"
    r"equipe|lequipe|dequipe|infirmi\w*|medecin|docteur|gens|centre|hopital|vous|les joindre|"
    r"la joindre)"
)
_CONTACT = re.compile(
    r"\b(?:(?:phone|telephone|tel|number|numero|num|no|email|e mail|mail|address|adresse|"
    r"contact\w*|reach|get in touch|call|ring|joindre|appeler|appelle|contacter|ecrire)\b"
    rf"(?:\s+\S+){{0,6}}?\s+(?:l'|d')?{_TEAM}\b|{_TEAM}(?:'s|s)?\s+(?:\S+\s+){{0,3}}?"
    r"(?:phone|telephone|tel|number|numero|num|email|mail|address|adresse)\b|"
    r"(?:what|whats|wat|which|quel|c quoi le|c'est quoi le|cest quoi le|give me|donne\w*|"
    r"send me) (?:\S+ ){0,3}(?:phone|tel|number|numero|num|email)\b|"
    # whom to turn to: "who do i ask then", "je parle à qui", "à qui je m'adresse"
    r"who (?:should|do|can|could|would|shall|will) i (?:ask|talk|speak|contact|call|ring|turn|"
    r"go|see|get in touch)|"
    r"(?:je|j'|jdois|je dois|je peux|jpeux) ?(?:demande\w*|parle\w*|m'adresse\w*|m adresse\w*|"
    r"vais voir|appelle\w*|contacte\w*|ecri\w*) a qui|"
    r"a qui (?:je|j'|dois|puis|peux|faut|on) ?(?:\S+ ){0,2}(?:demander|parler|adresser|"
    r"m'adresser|appeler|ecrire|poser|demande|parle|adresse)|"
    r"qui (?:dois|puis|peux|faut) ?(?:je|il)? ?(?:contacter|appeler|joindre|demander|voir)|"
    # when they answer: "wat hours r they open", "c quoi leurs horaires", "ils sont joignables
    # quand" (the team's entry gives its hours with its number)
    r"(?:what|whats|wat|which|quels?|quelles?|c quoi|c'est quoi|cest quoi) (?:\S+ ){0,3}"
    r"(?:hours|times|horaires?) (?:\S+ ){0,3}(?:open|available|reachable|answer\w*|joignables?|"
    r"ouvert\w*|disponibles?)|(?:opening|office) hours|their hours|leurs horaires|"
    r"horaires? (?:d'ouverture|de l'equipe|du centre)|(?:what time|when) (?:is|are|do|does) "
    r"(?:the )?(?:study |research )?(?:team|they|them|staff|nurses?) (?:\S+ ){0,2}(?:open|"
    r"available|reachable|"
    r"answer\w*|pick up)|(?:ils|elles|l'equipe|vous) (?:sont|est|etes) (?:joignables?|"
    r"disponibles?|ouverts?) (?:quand|a quelle heure)|a quelle heure (?:\S+ ){0,3}(?:appeler|"
    r"joindre|contacter|les appeler))\b"
)


def asks_for_contact(text: str) -> bool:
    """A question for the team's number or how to reach them ("c quoi le tel de l'équipe",
    "what number can i ring the team on"), not for a number of something."""
    found = words(text)
    return bool(_CONTACT.search(found)) and not _NUMBER_OF_THINGS.search(found)


# "the number of visits" counts things; "the number of the team" is still its phone number.
_NUMBER_OF_THINGS = re.compile(
    r"\bnumbers? of\b(?! (?:the |your |my |this |that )?(?:\w+ ){0,2}(?:team|nurses?|doctors?|"
    r"staff|coordinator|site|centre|center|clinic|hospital|office)\b)|"
    r"\bnombre de\b"
)


# Family and close ones, as people name them (folded).
KIN_EN = (
    r"(?:mum|mom|mother|dad|father|husband|wife|son|daughter|partner|brother|sister|grandma|"
    r"grandmother|grandpa|grandfather|uncle|aunt|fiance|fiancee)"
)
KIN_FR = (
    r"(?:mari|femme|epouse|conjoint|conjointe|compagnon|compagne|pere|mere|papa|maman|fils|fille|"
    r"frere|soeur|grand[- ]mere|grand[- ]pere|oncle|tante)"
)
# A question about someone else's study, visit or treatment: "when is my mums next visit",
# "c quand le rdv de ma mere", "my dad is in the trial, when is his appointment".
_SOMEONE_ELSE = re.compile(
    rf"\b(?:(?:my|our) {KIN_EN}(?:'?s)?|(?:his|her|their) (?:next |upcoming |first )?"
    r"(?:visit|visits|appointment|appointments|appt|appts|study|trial)|"
    rf"(?:mon|ma|notre|de mon|de ma) {KIN_FR}|"
    r"(?:son|sa|ses) (?:prochaine? )?(?:visites?|rendez vous|rdv|etude|essai))\b"
)


_MY_VISIT = re.compile(
    r"\b(?:my|mon|ma|mes) (?:next |upcoming |prochaine? )?"
    r"(?:visits?|appointments?|appts?|rdv|rendez vous|visites?)\b"
)


# When or at what time one's own (next) visit is: "when is my next visit", "c'est quand la
# prochaine visite", "c quand mon prochain rdv" (words as `words` gives them).
_WHEN_IS_MY_VISIT = re.compile(
    r"\b(?:when(?:'s| is| s)?|what (?:time|day|date)(?:'s| is)?|which day is|c'est quand|"
    r"c quand|quand est|quand a lieu|a quelle heure est|quel jour est|c'est a quelle heure|"
    r"c'est quel jour) (?:my|mon|ma|the|la|le) (?:next |upcoming |prochaine? )?"
    r"(?:visit|appointment|appt|rdv|rendez vous|visite|consultation)\b"
)


def asks_when_my_visit_is(text: str) -> bool:
    """Whether a message asks when the writer's own (next) visit is, not about visits in
    general ("how many visits are there") or someone else's."""
    return bool(_WHEN_IS_MY_VISIT.search(words(text))) and not about_someone_else(text)


def about_someone_else(text: str) -> bool:
    """Whether a message asks about a relative's study or visits rather than the writer's."""
    found = words(text)
    return bool(_SOMEONE_ELSE.search(found)) and not _MY_VISIT.search(found)


# Stopping the study treatment, not the messages: "should i stop using the inhaler?",
# "est-ce que je dois arrêter l'inhalateur ?".
_STOPS_TREATMENT = re.compile(
    r"\b(?:stop(?:ping)?|quit(?:ting)?|pause) (?:taking |using |having )?(?:the |my |his |her |"
    r"these |those |this |study |trial )*(?:[\w']+ )?(?:tablets?|pills?|meds?|medic\w*|drugs?|"
    r"inhaler|injections?|jabs?|treatment|doses?|dosing|patch\w*|spray|capsules?)\b|"
    r"\b(?:arreter|arrete|stopper|suspendre) (?:de prendre |d'utiliser )?"
    r"(?:le |la |les |l'|mon |ma |mes )?(?:traitement|medicament|medoc|comprime|cachet|gelule|"
    r"inhalateur|injection|piqure|patch)\w*"
)


def stops_treatment(text: str) -> bool:
    """Whether `text` speaks of stopping the study treatment ("should i stop the tablets?")."""
    return _STOPS_TREATMENT.search(_words(text)) is not None


# Someone introducing themselves as writing for a relative: "im writing for my mum she's in the
# az study", "j'écris pour ma mère qui est dans l'étude diabète".
_WRITING_FOR = re.compile(
    rf"\b(?:(?:i'?m|im|i am|i'?ll be|just) (?:writing|messaging|texting|asking|chatting|here|"
    rf"contacting you|getting in touch) (?:for|on behalf of|about) (?:my )?{KIN_EN}|"
    rf"on behalf of my {KIN_EN}|"
    rf"my {KIN_EN} (?:is|'s|s) (?:in|on|part of|taking part in|doing) (?:the|your|this|a) "
    rf"(?:[\w']+ ){{0,3}}(?:study|trial)|"
    rf"(?:j'?ecris|j ecris|je vous ecris|je demande|je viens|je me renseigne|je suis la) "
    rf"(?:pour|de la part de|au nom de|a la place de) (?:mon|ma) {KIN_FR}|"
    rf"(?:mon|ma) {KIN_FR} (?:est|participe|fait partie|est inscrite?) (?:dans|a|de|en) "
    rf"(?:l'|la |le |votre |cette |une |un )?(?:[\w']+ ){{0,3}}(?:etude|essai))\b"
)


def writes_for_someone(text: str) -> bool:
    """Whether the writer says they write for a relative in a study ("im writing for my mum")."""
    return _WRITING_FOR.search(_words(text)) is not None


# What a consent text speaks of: the answers and data it covers, who sees them, for how long,
# the messages it allows, and changing one's mind.
_CONSENT_MATTERS = re.compile(
    r"\b(?:data|donnees?|info\w*|privacy|private|priv\w*|confidenti\w*|share\w*|partag\w*|"
    r"who (?:sees|can see|reads|has)|qui (?:voit|verra|lit|a acces)|stor\w*|keep|kept|conserv\w*|"
    r"delet\w*|eras\w*|effac\w*|supprim\w*|consent\w*|accord|agree\w*|reminders?|rappels?|"
    r"messages?|sms|texts?|notifications?|contact\w*|record\w*|enregistr\w*|answers?|reponses?|"
    r"withdraw\w*|retir\w*|used for|utilis\w*|change my mind|changer d'?avis|how long|combien de "
    r"temps|stop|arret\w*|refus\w*|say no|dire non)\b"
)


def about_consent(text: str) -> bool:
    """Whether a question is about what a consent covers (the data, the messages, saying no)."""
    return bool(_CONSENT_MATTERS.search(words(text)))


# A follow-up that asks the same again of another study ("and for the asthma one?").
_SAME_FOR = re.compile(
    r"^(?:(?:ok|and|et|what|how|what about|and what about|same|pareil|idem) )*"
    r"(?:about|for|pour|de|du|with|avec)(?: \S+){1,5}$"
)


def asks_the_same_of(text: str) -> bool:
    """A short follow-up that only names what it is about ("and for the asthma one?")."""
    return _short_and(_SAME_FOR, text)


# Whether something one has or takes keeps one out: "does that stop me joining", "would it
# matter for the study", "ça compte pour l'essai ?", "c'est un problème pour participer ?".
# (The English words are a question's own order; the French ones need a question's mark.)
_COUNTS_AGAINST = re.compile(
    r"\b(?:does|would|will|could|can|might|is|do|dose) (?:that|this|it|they|these|those|"
    r"my \w+)(?: really| still| actually| even| automatically| necessarily| also)? "
    r"(?:stop|stops|prevent|keep|rule|count|matter|affect|exclude|disqualif\w*|"
    r"mean|be a problem|be an issue|a problem|an issue|bar|block|put)\b"
)
_COUNTS_AGAINST_FR = re.compile(
    r"\b(?:ca|cela|ce|c'est|c est|est ce un|est ce que c'est|est ce que ca) ?(?:me |m')?(?:compte|"
    r"empeche|bloque|pose (?:un |des )?(?:probleme|souci)|(?:un |des )?(?:probleme|souci)|"
    r"genant|gene|exclut|joue|derange)\b"
)
# What the question counts against: taking part, or a study.
_TAKING_PART = re.compile(
    r"\b(?:trial|trials|study|studies|join\w*|take part|taking part|eligib\w*|participat\w*|"
    r"essai|essais|etude|etudes|particip\w*|inscri\w*|rentrer|entrer)\b"
)
# A condition had for long: "for years", "since i was a kid", "depuis des années".
_LONG_HAD = re.compile(
    r"\b(?:for (?:years|ages|decades|(?:a few|many|several|\d+|two|three|five|ten) years)|"
    r"long term|longterm|since i was|since childhood|always had|all my life|on and off|"
    r"depuis (?:des annees|toujours|petit|petite|tout petit|l'enfance|\d+ ans)|toute ma vie)\b"
)


def asks_whether_a_condition_counts(text: str) -> bool:
    """Whether `text` asks if something one has or takes keeps one out of a study ("i've had
    eczema for years, would that stop me joining?"): the criteria's question, not whether
    one may stop taking part."""
    said = _words(text)
    counts = bool(_COUNTS_AGAINST.search(said)) or (
        is_question(text) and bool(_COUNTS_AGAINST_FR.search(said))
    )
    return counts and bool(_TAKING_PART.search(said) or _LONG_HAD.search(said))


# A part of a message that only points back at the one before ("…, does that stop me…").
_POINTS_BACK = re.compile(
    r"^(?:(?:does|would|will|could|can|might|is|dose) (?:that|this|it)|"
    r"(?:est ce que )?(?:ca|cela|c'est grave|c est grave))\b"
)


def points_back(part: str) -> bool:
    """Whether a part of a message asks about what the part before it said."""
    return bool(_POINTS_BACK.search(_words(part)))


# A short follow-up that asks the last question again of something else ("and my hay fever?").
_FOLLOW_UP = re.compile(
    r"^(?:ok |so |alors |bon )?(?:and|what about|how about|same for|et|et pour|et si|et avec|"
    r"pareil pour|idem pour|et concernant)\b"
)


def follows_up(text: str) -> bool:
    """A short message that asks the previous question again of something else."""
    return _short_and(_FOLLOW_UP, text)


# A question's own words, or a clause's subject, after a follow-up's first ones ("and the
# asthma one, how long?", "et l'étude asthme, c'est indemnisé ?").
_ASKS_ITS_OWN = re.compile(
    r"\b(?:what|whats|how|when|where|who|which|why|can|could|do|does|is|are|will|would|should|"
    r"combien|comment|quand|quel|quelle|quels|quelles|pourquoi|qui|est ce|c'est quoi|c quoi|peut|"
    r"peux|dois|faut|it|its|they|i|im|you|c'est|cest|c|est|sont|ca|il|elle|on|je|j|tu|vous)\b"
)


def only_names(text: str) -> bool:
    """A short follow-up that names something and asks nothing of its own ("what about my
    asthma?", "et pour le diabète ?"): the previous question, asked of what it names."""
    if not follows_up(text):
        return False
    rest = _FOLLOW_UP.sub("", words(text), count=1)
    return not _ASKS_ITS_OWN.search(rest)


def _short_and(pattern: re.Pattern[str], text: str, most: int = 7) -> bool:
    """Whether `text` is a message of at most `most` words that `pattern` finds."""
    found = words(text)
    return len(found.split()) <= most and bool(pattern.search(found))


# The wish to call off one's request to the study team ("the team can drop my request").
_DROP = re.compile(
    r"\b(?:(?:drop|cancel|forget|close|withdraw|scrap|ignore) (?:my|the|that) (?:request|question|"
    r"message|ticket)|(?:no longer|don't|dont|do not) need (?:the team|anyone|someone|help|a "
    r"call)|(?:laisse[rz]? tomber|annule[rz]?|oublie[rz]?|ferme[rz]?) (?:ma|la|cette) "
    r"(?:demande|question)|(?:n'ai|ai) plus besoin (?:de l'equipe|d'aide|de personne|qu'on)|"
    # "ok forget the team, i'll carry on with you", "bon oubliez l'équipe, je continue avec vous",
    # "c'est pas la peine de déranger qui que ce soit, je retourne à l'assistant"
    r"forget (?:about )?the (?:team|study team|nurse)|(?:carry on|continue|go on|stay) with "
    r"(?:you|the assistant|the bot)|(?:oublie[rz]?|laisse[rz]? tomber) l'equipe|je (?:continue|"
    r"reste) avec (?:vous|toi|l'assistant)|(?:pas|plus) la peine de deranger|je (?:retourne|"
    r"reviens) (?:a|vers|avec) l'assistant)\b"
)


def drops_request(text: str) -> bool:
    """The wish to call off one's request to the study team, typed in words."""
    return bool(_DROP.search(words(text)))


def without_dropping(said: str) -> str:
    """`said` (folded by `words`) without its words calling off a request to the team: what is
    left of "forget the team" erases nothing."""
    return _DROP.sub(" ", said)
