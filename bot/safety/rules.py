"""The safety rules: regular expressions over folded text (lower case, no accents).

`_` stands for up to three words in between, `__` for up to six. Each rule says whether a
negation just before it cancels it ("no chest pain") or not ("I can't breathe" is its own
negation). A site that adds a rule runs `bench/safety_eval` to see what it changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

_ = r"(?:[a-z0-9']+ ){0,3}"
__ = r"(?:[a-z0-9']+ ){0,6}"

# Study treatment, in the words patients use for it.
_TREATMENT = (
    r"(?:study |trial |new |the )?(?:drug|drugs|medication|meds|medicine|pills?|tablets?|"
    r"capsules?|injections?|jabs?|shots?|infusion|doses?|treatment|inhaler|patch|"
    r"traitement|medicaments?|medocs?|comprimes?|cachets?|gelules?|piqures?|injections?|"
    r"perfusion|doses?|inhalateur|patchs?|produit)"
)
_SYMPTOM_EN = (
    r"(?:rash\w*|itch\w*|hives|nause\w*|sick|vomit\w*|threw up|throwing up|dizz\w*|"
    r"headaches?|migraines?|diarrh\w*|constipat\w*|swell\w*|swollen|red|redness|bruis\w*|"
    r"palpitations?|racing|pounding|fluttering|tired|exhausted|fatigue|weak\w*|fever\w*|"
    r"temperature|chills|shak\w*|blurr\w*|vision|cramps?|ache\w*|aching|pain\w*|sore|"
    r"insomnia|can't sleep|cant sleep|numb\w*|tingl\w*|stomach|tummy|bleed\w*|spots|"
    r"worse|bumps?|lump|hair loss|losing hair|appetite|mood|anxious|low|burning|hot flush\w*)"
)
_SYMPTOM_FR = (
    r"(?:boutons?|plaques?|rougeurs?|rouge|demangeaisons?|demange\w*|gratte|urticaire|"
    r"nausees?|envie de vomir|vomi\w*|mal au coeur|vertiges?|tete qui tourne|tourne la tete|"
    r"maux de tete|mal a la tete|migraines?|diarrhee\w*|constipe\w*|gonfle\w*|enfle\w*|"
    r"bleus?|hematome|palpitations?|coeur qui bat|fatigue\w*|epuise\w*|creve|faible\w*|"
    r"fievre|temperature|frissons?|tremble\w*|vue trouble|vois flou|flou|crampes?|"
    r"courbatu\w*|douleurs?|mal (?:au|a la|aux)|dors plus|dors pas|insomnies?|"
    r"engourdi\w*|fourmi\w*|picote\w*|estomac|ventre|saigne\w*|pire|brule\w*|"
    r"perte d'appetit|cheveux|moral|angoisse\w*|bouffees de chaleur)"
)


@dataclass(frozen=True)
class Rule:
    kind: Literal["emergency", "adverse_event"]
    category: str
    pattern: str
    negatable: bool = True


def _e(category: str, pattern: str, negatable: bool = True) -> Rule:
    return Rule("emergency", category, pattern, negatable)


_CANT = (
    r"(?:can't|cant|cannot|can not|couldn't|couldnt|unable to|struggling to|struggle to|"
    r"hard to|trouble|difficulty|difficult to|barely)"
)
_NARRIVE_PAS = (
    r"(?:(?:j'|j )?(?:n'|n )?(?:arrive|arrives|arrivons|peux|peut|parviens)(?: pas| plus)|"
    r"(?:j'|j )?ai du mal a|(?:j'|j )?ai de la peine a|(?:du )?mal a|difficile de|"
    r"difficulte a|difficultes a)"
)

RULES: tuple[Rule, ...] = (
    # ---- English emergencies
    _e(
        "chest_pain",
        rf"(?:chest|heart)\w* {_}(?:pain\w*|hurt\w*|tight\w*|pressure|crush\w*|"
        rf"squeez\w*|heavy|heaviness|ache\w*|aching|burning|stabbing)",
    ),
    _e(
        "chest_pain",
        rf"(?:pain\w*|pressure|tightness|crushing|squeezing|ache) {_}(?:in|on|across)"
        rf" (?:my |his |her |the )?(?:chest|heart)",
    ),
    _e(
        "chest_pain",
        r"heart attack|cardiac arrest|crushing pain|pain (?:going )?down (?:my |his |"
        r"her )?(?:left )?arm",
    ),
    _e("breathing", rf"{_CANT} {_}(?:breath\w*|get (?:my |any )?(?:air|breath))", negatable=False),
    _e(
        "breathing",
        r"(?:not|isn't|isnt|stopped|stop) breathing|short(?:ness)? of breath|"
        r"out of breath|breathless|gasping|choking|suffocat\w*|(?:lips|face|he|she)\w* "
        rf"{_}(?:turning |going |gone |are |is )?blue|wheez\w* {_}(?:bad|badly|can't|cant)",
    ),
    _e(
        "stroke",
        r"\bstroke\b|face (?:is |has )?(?:drooping|droop\w*|dropped|crooked|numb|"
        r"lopsided)|droop\w* (?:face|mouth|on one side)|slurr\w*|can't (?:speak|talk)|cant (?:speak|"
        r"talk)|(?:arm|leg|side) (?:is |went |has gone |gone )?(?:weak|numb|paraly\w*|dead|limp)|"
        r"sudden(?:ly)? (?:confus\w*|can't see|cant see|numb\w*|weak\w*)|words (?:come out |are )?"
        r"(?:wrong|jumbled|mixed)",
    ),
    _e(
        "unconscious",
        r"pass(?:ed|es|ing)? out|faint\w*|collaps\w*|unconscious|unresponsive|"
        r"(?:won't|wont|doesn't|doesnt|can't|cant|not) wak\w* (?:up|him|her)|black(?:ed|s)? out|"
        r"seizure\w*|convuls\w*|fitting|knocked out|keeled over|not responding",
    ),
    _e(
        "allergy",
        rf"(?:throat|tongue|lips?|face|mouth|eyes) {_}(?:swell\w*|swollen|closing|"
        rf"tight\w*|puff\w*)|anaphyla\w*|epi ?pen|allergic reaction|(?:swell\w*|swollen) {_}"
        rf"(?:throat|tongue|lips?|face)|hives {__}breath\w*",
    ),
    _e(
        "overdose",
        rf"overdos\w*|\bod\b|od'd|(?:took|taken|take|swallowed|ate|had|gave) {__}"
        rf"(?:too many|too much|whole (?:bottle|box|pack|packet|strip)|all (?:of )?(?:my |the |his |"
        rf"her )?(?:pills|tablets|meds|medication)|double|triple|twice the|extra (?:pills|doses?|"
        rf"tablets)|(?:several|\d+) (?:pills|tablets|doses))|(?:bottle|box|pack|packet) of (?:pills|"
        rf"tablets|meds|paracetamol|tylenol)",
    ),
    _e(
        "suicide",
        r"suicid\w*|kill(?:ing)? (?:my ?self|me)|end (?:it all|my life|it|things)|"
        r"want(?:ed)? to die|wanna die|(?:hurt|harm|cut|cutting|burn)\w* (?:my ?self)|self ?harm\w*|"
        r"no (?:point|reason) (?:in )?(?:living|going on|to live|being alive)|better off dead|"
        r"(?:don't|dont|do not) want to (?:live|be alive|be here|wake up)|take my (?:own )?life|"
        r"not (?:be|being) here anymore|can't go on|cant go on|jump off",
    ),
    # ---- French emergencies
    _e(
        "chest_pain",
        rf"(?:douleur|douleurs|mal|serre\w*|oppress\w*|ecras\w*|poids|point|barre|"
        rf"brulure) {_}(?:a la |dans la |au |sur la )?(?:poitrine|thorax|thoracique|coeur|sternum)",
    ),
    _e(
        "chest_pain",
        rf"(?:poitrine|thorax|coeur) {_}(?:serre\w*|ecras\w*|douleur\w*|fait mal|"
        rf"oppress\w*|brule\w*)|crise cardiaque|infarctus|arret cardiaque|douleur {_}bras gauche",
    ),
    _e(
        "breathing",
        rf"{_NARRIVE_PAS} {_}respir\w*|respir\w* {_}(?:difficile\w*|mal|plus|pas|"
        rf"bloque\w*|siffl\w*)|(?:j'|j )?etouffe\w*|suffoqu\w*|manque d'air|manque de souffle|"
        rf"souffle court|a bout de souffle|plus d'air|ne respire (?:plus|pas)|respire (?:plus|pas)|"
        rf"levres {_}bleu\w*|(?:devient|devenu|devenue|vire) {_}bleu\w*",
        negatable=False,
    ),
    _e(
        "stroke",
        r"\bavc\b|attaque cerebrale|(?:visage|bouche|figure) {0,1}(?:\w+ ){0,3}(?:tordu\w*|"
        r"paralys\w*|tombe\w*|deform\w*|de travers|engourdi\w*)|(?:bras|jambe|cote) (?:\w+ ){0,3}"
        r"(?:faible\w*|paralys\w*|engourdi\w*|mort|lache|plus bouger|bouge plus)|"
        r"(?:parle|parler) (?:\w+ ){0,2}(?:bizarre\w*|mal|plus)|bafouill\w*|bredouill\w*|"
        r"n'arrive plus a parler|narrive plus a parler|articul\w* (?:\w+ ){0,2}(?:plus|pas|mal)|"
        r"(?:soudain\w*|d'un coup) (?:\w+ ){0,2}(?:confus\w*|vois plus|voit plus)",
    ),
    _e(
        "unconscious",
        r"perdu connaissance|perte de connaissance|perd connaissance|evanoui\w*|"
        r"inconscient\w*|s'est effondre\w*|effondre\w*|tombe dans les pommes|tombee dans les pommes|"
        r"(?:ne |n')?(?:se )?reveille (?:pas|plus)|ne repond (?:plus|pas)|convuls\w*|"
        r"crise d'epilepsie|crise epilep\w*|malaise",
    ),
    _e(
        "allergy",
        rf"(?:gorge|langue|levres?|visage|bouche|yeux|paupieres) {_}(?:gonfl\w*|enfl\w*|"
        rf"serre\w*|ferme\w*)|anaphyla\w*|oedeme|choc allergique|reaction allergique|"
        rf"urticaire {__}respir\w*|gonfl\w* {_}(?:gorge|langue|levres|visage)",
    ),
    _e(
        "overdose",
        rf"surdos\w*|overdos\w*|(?:pris|avale\w*|prendre|donne) {__}(?:trop de|trop|"
        rf"toute la (?:boite|plaquette|bouteille)|toutes? (?:mes|les|ses) (?:pilules|comprimes|"
        rf"medicaments|cachets)|double|triple|deux fois|(?:plusieurs|\d+) (?:comprimes|cachets|"
        rf"pilules|doses|gelules))|(?:boite|plaquette) (?:entiere )?de (?:comprimes|cachets|"
        rf"doliprane|paracetamol)",
    ),
    _e(
        "suicide",
        r"suicid\w*|me tuer|(?:en )?finir avec la vie|en finir|mettre fin a (?:mes "
        r"jours|ma vie)|(?:envie de|veux|voudrais) mourir|me faire du mal|(?:me suis|me) "
        r"(?:coupe\w*|scarifi\w*|brule\w*)|scarifi\w*|plus (?:envie|la force) de vivre|"
        r"(?:a quoi bon|aucune raison de) (?:vivre|continuer)|plus (?:envie d'etre|etre) la|"
        r"disparaitre pour de bon|sauter (?:du|par la) (?:pont|fenetre)",
    ),
    # ---- Side effects of the study treatment (English, then French)
    Rule(
        "adverse_event",
        "after_treatment",
        rf"(?:since|after|from) {_}{_TREATMENT}{__}"
        rf"{_SYMPTOM_EN}",
    ),
    Rule(
        "adverse_event",
        "after_treatment",
        rf"{_SYMPTOM_EN} {__}(?:since|after|from) "
        rf"{_}{_TREATMENT}",
    ),
    Rule(
        "adverse_event",
        "after_treatment",
        rf"{_TREATMENT} {__}(?:gives?|giving|gave|made|makes|"
        rf"making|caus\w*) (?:me |him |her )?{_}{_SYMPTOM_EN}",
    ),
    Rule(
        "adverse_event",
        "reported",
        r"(?:i|i'm|im|i've|ive|he|she|my \w+) {0,1}(?:\w+ ){0,3}"
        r"(?:side effects?|reaction|allergic)|side effects? (?:from|since|after|of (?:the|my))"
        r" (?:\w+ ){0,2}(?:dose|injection|pills?|drug|treatment|medication)",
    ),
    Rule(
        "adverse_event",
        "after_treatment",
        rf"(?:depuis|apres) {_}{_TREATMENT} {__}"
        rf"{_SYMPTOM_FR}",
    ),
    Rule(
        "adverse_event",
        "after_treatment",
        rf"{_SYMPTOM_FR} {__}(?:depuis|apres) {_}"
        rf"{_TREATMENT}",
    ),
    Rule(
        "adverse_event",
        "after_treatment",
        rf"{_TREATMENT} {__}(?:me |lui )?(?:donne\w*|fait|"
        rf"provoqu\w*|cause\w*) {_}{_SYMPTOM_FR}",
    ),
    Rule(
        "adverse_event",
        "reported",
        r"(?:j'ai|jai|j ai|je fais|il a|elle a|je pense avoir) "
        r"(?:\w+ ){0,3}(?:effets? (?:secondaires?|indesirables?)|reaction)",
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
SHORT_WORDS = ("pain", "hurt", "face", "lips", "arms", "mort", "fait", "mal")
