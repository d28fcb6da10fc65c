"""The safety rules: regular expressions over folded text (lower case, no accents).

`near(a, b)` matches a and b within a few words of each other, in either order. A rule whose
`negatable` is true is cancelled by a negation just before it or inside it ("no chest pain",
"I've had zero side effects"); such rules must not carry negations of their own, which go in
rules that are not negatable ("I can't breathe"). A rule with `also` needs that second pattern
somewhere in the message as well (a symptom, and its link to the study treatment). A site that
changes a rule runs `bench/safety_eval` to see what it changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

_W = r"[a-z0-9']+"


def gap(words: int) -> str:
    """Up to `words` words, then a space (after a space)."""
    return rf" (?:{_W} ){{0,{words}}}"


def near(a: str, b: str, words: int = 4) -> str:
    """a then b, or b then a, with up to `words` words between."""
    between = gap(words)
    return rf"(?:(?:{a}){between}(?:{b})|(?:{b}){between}(?:{a}))"


@dataclass(frozen=True)
class Rule:
    kind: Literal["emergency", "adverse_event"]
    category: str
    pattern: str
    negatable: bool = True
    also: str | None = None


def _e(category: str, pattern: str, negatable: bool = True) -> Rule:
    return Rule("emergency", category, pattern, negatable)


_WHO = r"(?:my|his|her|their|the|ma|mon|sa|son|la|le)"

# ---- Chest pain
_CHEST = r"chest|heart|sternum|breastbone|poitrine|thorax|thoracique\w*|coeur|sternum"
_CHEST_PAIN = (
    r"pain\w*|hurt\w*|tight\w*|pressure|crush\w*|squeez\w*|heavy|heaviness|ache\w*|aching|"
    r"burning|stabbing|elephant|vice|band|douleur\w*|mal|serre\w*|oppress\w*|ecras\w*|poids|"
    r"etau|barre|brulure|point|fait mal|comprim\w*"
)
_ARM_JAW = r"(?:left arm|jaw|bras gauche|machoire|mon bras|my arm)"
_ACHE = r"pain|douleur|mal|ache\w*"
_FACE_PARTS = (
    r"throat|tongue|lips?|face|mouth|eyes|eyelids|gorge|langue|levres?|visage|bouche|yeux|"
    r"paupieres"
)
_SWELLING = r"swell\w*|swollen|closing|tight\w*|puff\w*|gonfl\w*|enfl\w*|serre\w*|ferme\w*"

# ---- Breathing
_BREATH = r"breath\w*|air|respir\w*|souffle|oxygen|oxygene"
# Hard to breathe (a negation cancels it: "no trouble breathing")…
_HARD = (
    r"struggl\w*|hard|difficult\w*|trouble|barely|bad|worse|fight\w*|gasp\w*|labou?red|"
    r"heavy|panting|du mal|de la peine|dur|difficile\w*|difficulte\w*|manque|cherche|"
    r"bloque\w*|siffl\w*|court"
)
# …and unable to breathe, a negation in itself.
_UNABLE = (
    r"can't|cant|cannot|can not|couldn't|couldnt|unable|(?:n'|n )?arrive (?:pas|plus|pu|plu)|"
    r"(?:j'|j )?arrive (?:pas|plus|pu|plu)|jarrive (?:pas|plus|pu|plu)|peu[xt]? (?:pas|plus|pu)|"
    r"chu pu capable"
)

# ---- Stroke
_FACE = r"face|smile|mouth|lip|visage|figure|sourire|bouche|levre"
_DROOP = (
    r"droop\w*|drop\w*|crooked|numb|lopsided|hanging|slack|twisted|tordu\w*|paralys\w*|"
    r"tombe\w*|deform\w*|de travers|engourdi\w*|pend\w*|affaiss\w*"
)
_LIMB = r"arm|leg|hand|side|bras|jambe|main|cote"
_WEAK = (
    r"weak\w*|numb\w*|paraly\w*|dead|limp|heavy|can't move|cant move|won't move|faible\w*|"
    r"engourdi\w*|mort|lache|inerte|plus bouger|bouge plus|peut plus|peux plus|lourd\w*"
)
_SPEECH = (
    r"slurr\w*|gibberish|nonsense|words? (?:\w+ ){0,3}(?:wrong|jumbled|mixed|muddled|out)|"
    r"can't (?:speak|talk|get (?:my |the )?words)|cant (?:speak|talk|get (?:my |the )?words)|"
    r"bafouill\w*|bredouill\w*|n'importe quoi|trouve plus (?:mes|ses) mots|mots (?:\w+ ){0,3}"
    r"melang\w*|parle (?:\w+ ){0,2}bizarre\w*|articul\w* (?:\w+ ){0,2}(?:plus|pas|mal)|"
    r"arrive plus a parler|peut plus parler|peux plus parler"
)
_CONFUSED = (
    r"(?:suddenly|all of a sudden|out of nowhere|d'un coup|tout d'un coup|soudain\w*) "
    r"(?:\w+ ){0,4}(?:confus\w*|doesn't know|doesnt know|don't know|dont know|can't see|cant see|"
    r"sait plus|sais plus|vois plus|voit plus|perdu\w*)|(?:doesn't|doesnt|don't|dont) know where "
    r"(?:she|he|i) (?:is|am)|sait plus ou (?:elle|il) est|sais plus ou je suis"
)

# ---- Study treatment and side effects
_TREATMENT = (
    r"drug|drugs|medication|meds|medicine|pills?|tablets?|capsules?|injections?|jabs?|shots?|"
    r"infusions?|doses?|dosing|treatment|inhaler|patch|drops|cycle|cycles|cure|cures|"
    r"traitement|medicaments?|medocs?|comprimes?|cachets?|gelules?|piqures?|perfusions?|"
    r"inhalateur|patchs?|produit|gouttes|study|trial|etude|essai|prises?|cream|creme|pommade|"
    r"gel|spray"
)
_EL = r"(?:[a-z]')?"  # an elided article: l'injection, d'etude
_TREATMENT_LINK = (
    rf"(?:since|after|following|from|started|starting|began|depuis|apres|commence\w*|"
    rf"debut)(?: (?:{_W} ){{0,4}}){_EL}(?:{_TREATMENT}|starting|started|start|the first|the second|"
    rf"the last|week \d+|week|visit|debut|le debut|la visite|semaine|commence\w*)|"
    rf"(?:{_TREATMENT})(?: (?:{_W} ){{0,5}})(?:gives?|giving|gave|made|makes|making|caus\w*|"
    rf"donne\w*|provoqu\w*|fait|burn\w*|itch\w*|sting\w*|brule\w*|gratte\w*|pique\w*)|"
    rf"is (?:that|this|it) (?:the|from the) (?:{_TREATMENT})|"
    rf"(?:where|la ou) (?:{_W} ){{0,4}}{_EL}(?:injection|jab|shot|needle|piqure|perfusion)|"
    rf"c'est (?:le|la|les|a cause du|a cause des|du|des) (?:{_TREATMENT})|"
    r"(?:injection|jab|shot|needle|infusion) (?:site|spot|area|point)|"
    r"(?:point|endroit|site|zone) (?:d'injection|de (?:la )?(?:piqure|perfusion))"
)
_SYMPTOM = (
    r"rash\w*|itch\w*|hives|nause\w*|sick|vomit\w*|threw up|throwing up|dizz\w*|headaches?|"
    r"migraines?|diarrh\w*|constipat\w*|swell\w*|swollen|red|redness|bruis\w*|palpitations?|"
    r"racing|pounding|flutter\w*|off|unwell|down|low|sad|depress\w*|tired|exhausted|fatigue\w*|weak\w*|fever\w*|temperature|chills|"
    r"shak\w*|blurr\w*|vision|cramps?|ache\w*|aching|pain\w*|sore|insomnia|sleep|numb\w*|"
    r"tingl\w*|stomach|tummy|bleed\w*|spotting|spots|worse|bumps?|lumps?|hard|warm|hairs?|"
    r"appetite|mood|anxious|burn\w*|flush\w*|ulcers?|taste|cough\w*|peel\w*|dry|gritty|"
    r"joints?|stiff\w*|sunburn\w*|skin|blister\w*|diarrhoea|"
    r"boutons?|plaques?|rougeurs?|rouge|demang\w*|gratte|urticaire|nausee\w*|vomi\w*|"
    r"mal au coeur|vertiges?|tete qui tourne|tourne|maux|mal|migraines?|diarrhee\w*|"
    r"constipe\w*|gonfle\w*|enfle\w*|bleus?|hematome|palpitations?|bat|fatigue\w*|epuise\w*|"
    r"creve\w*|faible\w*|fievre|frissons?|tremble\w*|flou|trouble|crampes?|courbatu\w*|"
    r"douleurs?|dors|dormir|insomnies?|engourdi\w*|fourmi\w*|picote\w*|estomac|ventre|"
    r"saigne\w*|saignements?|pire|brule\w*|appetit|cheveux|moral|angoiss\w*|chaleur|aphtes?|rates|etourdi\w*|eruption\w*|deprim\w*|triste|"
    r"gout|toux|tousse\w*|pele\w*|secs?|seches?|articulations?|raides?|coups? de soleil|peau|"
    r"dur|chaud|ampoules?|cloques?|irrit\w*"
)

# ---- Overdose
_PILLS = (
    r"pills|tablets|meds|medication|capsules|paracetamol|tylenol|ibuprofen|aspirin|"
    r"sleeping pills|painkillers|insulin|doses|comprimes|cachets|pilules|gelules|medicaments|"
    r"doliprane|dafalgan|efferalgan|somniferes|doses"
)

RULES: tuple[Rule, ...] = (
    # ---- Emergencies
    _e(
        "general",
        r"(?:it's|its|it is|this is) an emergency|help emergency|emergency help|"
        r"c'est (?:une )?urgen\w*|au secours|^(?:urgence|emergency|urgent)$",
    ),
    _e(
        "bleeding",
        r"(?:coughing|cough|vomiting|throwing) (?:up )?blood|(?:crache|vomi\w*) du sang|"
        r"bleed\w* (?:\w+ ){0,3}(?:a lot|heavily|badly|won't stop|wont stop|doesn't stop)|"
        r"saign\w* (?:\w+ ){0,3}(?:beaucoup|enormement|abondamment|arrete pas|s'arrete pas)",
        negatable=False,  # "won't stop" is part of it
    ),
    _e("chest_pain", near(_CHEST, _CHEST_PAIN, 5)),
    _e(
        "chest_pain",
        rf"heart attack|cardiac arrest|crise cardiaque|infarctus|arret cardiaque|"
        rf"{near(_ACHE, _ARM_JAW, 3)}",
    ),
    _e("breathing", near(_HARD, _BREATH, 4)),
    _e("breathing", rf"(?:{_UNABLE}) (?:\w+ ){{0,3}}(?:{_BREATH})", negatable=False),
    _e(
        "breathing",
        r"(?:not|isn't|isnt|stopped|stop) breathing|ne respire (?:plus|pas)|respire (?:plus|pas)|"
        r"can't lie flat|cant lie flat|peu[xt] pas (?:m'|s')?allonger",
        negatable=False,
    ),
    _e(
        "breathing",
        r"(?:j'|j )?etouffe\w*|suffoqu\w*|suffocat\w*|choking|gasping|essouffl\w*|breathless|"
        r"out of breath|short of breath|shortness of breath|"
        r"(?:lips|levres|face|visage) (?:\w+ ){0,3}(?:blue|bleu\w*)",
    ),
    _e(
        "stroke",
        rf"\bstroke\b|\bavc\b|attaque cerebrale|{near(_FACE, _DROOP, 4)}|"
        rf"{near(_LIMB, _WEAK, 4)}|{_SPEECH}|{_CONFUSED}",
    ),
    _e(
        "unconscious",
        r"pass(?:ed|es|ing)? out|faint\w*|collaps\w*|unconscious|unresponsive|"
        r"black(?:ed|s)? out|seizure\w*|convuls\w*|fitting|had a fit|knocked out|keeled over|"
        r"perd\w* connaissance|perte de connaissance|evanoui\w*|inconscient\w*|"
        r"effondre\w*|tombe\w* dans les pommes|crise d'epilepsie|crise epilep\w*|malaise",
    ),
    _e(
        "unconscious",
        r"(?:won't|wont|doesn't|doesnt|can't|cant|not|isn't|isnt) (?:\w+ ){0,2}"
        r"(?:wak\w*|awake|respond\w*)|(?:ne |n')?(?:se )?reveille (?:pas|plus)|ne repond (?:plus|"
        r"pas)|repond (?:plus|pas)|(?:pas|plus) (?:vraiment )?reveille\w*",
        negatable=False,
    ),
    _e(
        "allergy",
        rf"{near(_FACE_PARTS, _SWELLING, 4)}|"
        r"anaphyla\w*|epi ?pen|allergic reaction|oedeme|choc allergique|reaction allergique|"
        r"hives (?:\w+ ){0,6}breath\w*|urticaire (?:\w+ ){0,6}respir\w*",
    ),
    _e(
        "overdose",
        rf"overdos\w*(?! (?:on|of|de) (?:chocolate|sugar|coffee|cake|netflix|tv|"
        rf"chocolat|sucre|cafe|gateau|series))|surdos\w*|\bod\b|od'd|"
        rf"(?:took|taken|take|swallowed|ate|had|gave|got into|pris|avale\w*|prendre|donne|mange)"
        rf"{gap(6)}(?:too many|too much|whole (?:bottle|box|pack|packet|strip)|all (?:of )?"
        rf"(?:my |the |his |her )?(?:{_PILLS})|double|triple|twice the|extra|how many|"
        rf"trop|toute la (?:boite|plaquette|bouteille)|toutes? (?:mes|les|ses) (?:{_PILLS})|"
        rf"deux fois|combien|(?:about |around |like |environ |une )?(?:\d+|several|plusieurs|"
        rf"dizaine|vingtaine|trentaine) (?:de |d')?(?:{_PILLS}))|doubl\w* (?:\w+ ){{0,2}}dose|"
        rf"(?:how many|combien) (?:\w+ ){{0,4}}(?:swallowed|took|taken|ate|had|avale\w*|pris)|"
        rf"(?:bottle|box|pack|packet|boite|plaquette) (?:\w+ ){{0,2}}(?:of |de )?(?:{_PILLS})"
        rf"(?: (?:\w+ ){{0,4}}(?:swallowed|took|ate|avale\w*|pris|mange))|"
        rf"(?:bottle|box|boite|flacon) (?:\w+ ){{0,4}}(?:{_TREATMENT}) (?:\w+ ){{0,8}}"
        rf"(?:swallowed|avale\w*)",
    ),
    _e(
        "suicide",
        r"suicid\w*|kill\w* (?:my ?self)|end\w* (?:it all|my life)|take my (?:own )?life|"
        r"(?:want|going|gonna|wanna|about) to end it\b|"
        r"want(?:ed)? to die|wanna die|(?:hurt|harm|cut|cutting|burn)\w* (?:my ?self)|"
        r"self ?harm\w*|better off dead|goodbye (?:letters?|notes?)|lettres? d'adieu|"
        r"(?:point|reason|interet|raison|sens) (?:\w+ ){0,2}(?:living|going on|to live|"
        r"being alive|vivre|continuer)|can't go on|cant go on|jump off|me tuer|en finir|"
        r"mettre fin a (?:mes jours|ma vie)|(?:envie de|veux|voudrais) mourir|me faire du mal|"
        r"(?:me suis|me) (?:coupe\w*|scarifi\w*|brule\w*)|scarifi\w*|"
        r"(?:envie|force) (?:de |d')(?:vivre|continuer)|disparaitre pour de bon|"
        r"sauter (?:du|par la) (?:pont|fenetre)|not (?:be|being) here anymore",
    ),
    _e(
        "suicide",
        r"(?:don't|dont|do not|no longer) want to (?:live|be alive|be here|wake up)|"
        r"(?:plus|pas) envie (?:de vivre|d'etre la|de me reveiller)|(?:veux|veut) (?:plus|pas) "
        r"vivre|ne (?:vois|voit) plus "
        r"(?:\w+ ){0,2}(?:interet|sens)|(?:vois|voit) plus (?:\w+ ){0,2}(?:interet|sens)|"
        r"(?:don't|dont|do not|can't|cant) see (?:the |any )?point",
        negatable=False,
    ),
    # ---- Side effects: a symptom, and its link to the study treatment
    Rule(
        "adverse_event",
        "reported",
        r"report (?:a |an )?(?:side effects?|adverse (?:event|reaction)|reaction)|"
        r"side effects? to report|(?:declarer|signaler) (?:un |des )?(?:effets? \w+|reaction)|"
        r"effets? (?:secondaires?|indesirables?) a (?:declarer|signaler)",
    ),
    Rule(
        "adverse_event",
        "after_treatment",
        r"(?:not|pas|don't|dont) (?:\w+ ){0,2}(?:great|well|good|right|bien|top|terrible)",
        negatable=False,
        also=_TREATMENT_LINK,
    ),
    Rule("adverse_event", "after_treatment", _SYMPTOM, also=_TREATMENT_LINK),
    Rule(
        "adverse_event",
        "reported",
        r"(?:i|i'm|im|i've|ive|he|she|my \w+|j'ai|jai|j ai|je|"
        r"il a|elle a) (?:\w+ ){0,3}(?:side effects?|effets? (?:secondaires?|indesirables?)|"
        r"reaction)",
    ),
)

# Words the typo correction should know besides those in the patterns.
VOCABULARY = (
    "breathe",
    "breathing",
    "breath",
    "chest",
    "throat",
    "tongue",
    "swelling",
    "swollen",
    "unconscious",
    "seizure",
    "suicide",
    "overdose",
    "respirer",
    "respire",
    "poitrine",
    "douleur",
    "evanoui",
    "connaissance",
    "gorge",
    "langue",
    "gonfle",
    "medicament",
    "traitement",
    "comprime",
    "injection",
    "piqure",
    "depuis",
    "nausea",
    "dizzy",
    "rash",
)
# Four-letter words the rules need, read through a swap of two neighbours ("pian", "hrut").
SHORT_WORDS = ("pain", "hurt", "face", "lips", "arms", "mort", "fait")

# Told as a joke, a figure of speech, or long past: not an emergency now.
NOT_NOW = (
    r"\b(?:haha\w*|hehe|lol|lmao|mdr|ptdr|xd|jk)\b|"
    r"\b(?:nearly|almost|j'ai failli|jai failli|a failli) (?:\w+ ){0,2}(?:heart attack|crise "
    r"cardiaque|died|mourir|choked|etouffe)|"
    r"\b(?:\d+|a few|several|many|two|three|ten) (?:years?|yrs?|months?|decades?) ago\b|"
    r"\bil y a (?:\d+|deux|trois|dix|quelques|plusieurs) (?:ans|annees|mois)\b|"
    r"\b(?:in|en) (?:19|20)\d\d\b|\b(?:when i was|as a) (?:a )?(?:kid|child|teen\w*|young|\d+)\b|"
    r"\b(?:quand j'etais|une fois) (?:petit|petite|jeune|enfant|ado)\b|"
    r"\b(?:leaflet|notice|brochure) (?:\w+ ){0,3}(?:says|said|dit|indique|mentionne)\b|"
    r"\b(?:what are|what's|whats|what is) (?:the )?(?:signs?|symptoms?|warning signs?)\b|"
    r"\bquels? sont les (?:signes|symptomes)\b|\bcomment (?:reconnaitre|savoir si)\b"
)
NEGATION = (
    r"\b(?:no|not|never|without|dont|don't|doesnt|doesn't|didnt|didn't|isnt|isn't|havent|"
    r"haven't|hasnt|hasn't|hadnt|nor|none|zero|free of|denies|pas|aucun|aucune|sans|"
    r"jamais|ni|rien|ne veux pas|n'ai pas|nai pas|pas eu|if|what if|in case|si j'|si je|"
    r"et si|au cas ou|worried about|afraid of|scared of|peur de|peur des|inquiet\w*)\b"
)
