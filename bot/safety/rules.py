"""The safety rules: regular expressions over folded text (lower case, no accents).

`near(a, b)` matches a and b within a few words of each other, in either order. A rule whose
`negatable` is true is cancelled by a negation just before it or inside it ("no chest pain",
"I've had zero side effects"); such rules must not carry negations of their own, which go in
rules that are not negatable ("I can't breathe"). A rule with `also` needs that second pattern
somewhere in the message as well (a symptom, and its link to the study treatment); what tells
of a long-standing condition (HISTORY) links nothing. A rule with `ordinary_cause` (being out
of breath) is cancelled by effort or a long-standing condition unless something says it is
acute now. The emergency rules follow the red flags of triage protocols: chest pain, breathing,
stroke signs, unconsciousness and seizures, anaphylaxis, overdose and poisoning, suicide and
self-harm, severe bleeding (in pregnancy too), fever with a stiff neck, a rash that does not
fade, sudden severe pain. A site that changes a rule runs `bench/safety_eval` to see what it
changes.
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
    # Effort or a long-standing condition may explain it ("out of breath on the stairs, always
    # have been"): then it counts only when something says it is acute now.
    ordinary_cause: bool = False


def _e(category: str, pattern: str, negatable: bool = True, ordinary_cause: bool = False) -> Rule:
    return Rule("emergency", category, pattern, negatable, ordinary_cause=ordinary_cause)


_WHO = r"(?:my|his|her|their|the|ma|mon|sa|son|la|le)"

# ---- Chest pain
_CHEST = r"chest(?:'s)?|heart(?:'s)?|sternum|breastbone|poitrine|thorax|thoracique\w*|coeur"
_CHEST_PAIN = (
    r"pain\w*|hurt\w*|tight\w*|pressure|crush\w*|squeez\w*|heavy|heaviness|ache\w*|aching|"
    r"burning|stabbing|elephant|vice|band|douleur\w*|mal|serre\w*|oppress\w*|ecras\w*|poids|"
    r"etau|barre|brulure|point|fait mal|comprimee|comprimant|pression|broi\w*|brul\w*|pese|pesant\w*|"
    r"lourd\w*|serrement|compress\w*|sharp|tearing|ripping|dechir\w*|en feu|on fire|"
    r"coup de poignard|poignard\w*|tiraill\w*|tenaille\w*|killing me|kills"
)
_ARM_JAW = r"(?:left arm|jaw|bras gauche|machoire)"
_ACHE = r"pain|douleur|mal|ache\w*"
_FACE_PARTS = (
    r"throat(?:'s)?|tongue(?:'s)?|lips?|face(?:'s)?|mouth(?:'s)?|eyes|eyelids|gorge|langue|levres?|"
    r"visage|bouche|yeux|"
    r"paupieres"
)
_SWELLING = (
    r"thick\w*|epais\w*|referm\w*|shut\w*|swell\w*|swollen|closing|tight\w*|puff\w*|gonfl\w*|enfl\w*|serre\w*|ferme\w*|big|bigger|"
    r"huge|enormous|massive|blew up|blown up|enorme\w*|grossi\w*|double\w*"
)

# ---- Breathing
_BREATH = (
    r"breath\w*|br[ea]+the?\w*|breeve|air|respir\w*|souffle|oxygen|oxygene|(?:[a-z]')air|"
    r"inspir\w*|inhal(?!ers?\b|ateurs?\b)\w*"  # to inhale; not the inhaler, a treatment
)
# Hard to breathe (a negation cancels it: "no trouble breathing")…
_HARD = (
    r"struggl\w*|hard|difficult\w*|trouble|barely|bad|worse|fight\w*|gasp\w*|labou?red|"
    r"heavy|panting|du mal|de la peine|dur|difficile\w*|difficulte\w*|manque|cherche|"
    r"bloque\w*|siffl\w*|court|problems?|issues?|probleme\w*|peine|laborieu\w*"
)
# …and unable to breathe, a negation in itself.
_UNABLE = (
    r"can't|cant|cannot|can not|couldn't|couldnt|unable|not able|(?:n'|n |j'|j )?"
    r"arrive (?:[\w']+ )?(?:pas|plus|pu|plu)|jarrive (?:[\w']+ )?(?:pas|plus|pu|plu)|"
    r"peu[xt]? (?:pas|plus|pu)|not getting|(?:don't|dont|doesn't|doesnt) get|"
    r"chu pu capable|(?:j'|j )?arrive (?:a )?peine|can barely|can hardly"
)

_EL_AIR = r"(?:[a-z]')?air\b(?! (?:frais|fresh|pur|conditionne|conditioning|con))"

# ---- Stroke
_FACE = r"face|smile|mouth|lip|visage|figure|sourire|bouche|levre"
_DROOP = (
    r"droop\w*|drop\w*|crooked|numb|lopsided|hanging|slack|twisted|tordu\w*|paralys\w*|"
    r"tombe\w*|deform\w*|de travers|engourdi\w*|pend\w*|affaiss\w*"
)
_LIMB = r"arm|leg|hand|side|bras|jambe|main|cote"
_WEAK = (
    r"weak\w*|numb\w*|paraly\w*|dead|limp|heavy|can't move|cant move|won't move|faible\w*|"
    r"engourdi\w*|morts?|lache|inerte|plus bouger|bouge plus|peut plus|peux plus|lourd\w*|"
    r"traine\w*|dragg\w*"
)
_SPEECH = (
    r"slurr\w*|gibberish|nonsense|garbl\w*|incomprehensible|unintelligible|incoheren\w*|"
    r"(?:not|isn't|isnt) making (?:any )?sense|makes no sense|sans queue ni tete|charabia|"
    r"inintelligible|words? (?:[\w']+ ){0,3}(?:wrong|jumbled|mixed|muddled|out)|"
    r"can't (?:speak|talk|get (?:my |the )?words)|cant (?:speak|talk|get (?:my |the )?words)|"
    r"bafouill\w*|bredouill\w*|n'importe quoi|trouve plus (?:mes|ses) mots|mots (?:[\w']+ ){0,3}"
    r"melang\w*|parle (?:[\w']+ ){0,2}bizarre\w*|articul\w* (?:[\w']+ ){0,2}(?:plus|pas|mal)|"
    r"arrive plus a parler|peut plus parler|peux plus parler|parle (?:[\w']+ )?de travers|"
    r"parle (?:[\w']+ )?mal|pateu\w*|speech (?:[\w']+ ){0,3}(?:drunk|weird|"
    r"strange|funny|odd)|parle comme (?:si (?:j'etais|il etait|elle etait) )?(?:saoule?|ivre|bourre)|"
    r"(?:can't|cant|cannot) walk straight|marche de travers"
)
_CONFUSED = (
    r"(?:suddenly|all of a sudden|out of nowhere|d'un coup|tout d'un coup|soudain\w*) "
    r"(?:[\w']+ ){0,4}(?:confus\w*|doesn't know|doesnt know|don't know|dont know|can't see|cant see|"
    r"sait plus|sais plus|vois plus|voit plus|perdu\w*)|(?:doesn't|doesnt|don't|dont) know where "
    r"(?:she|he|i) (?:is|am)|sait plus ou (?:elle|il) est|sais plus ou je suis"
)

# ---- Study treatment and side effects
_TREATMENT = (
    r"drug|drugs|medication|meds|medicine|pills?|tablets?|capsules?|injections?|jabs?|shots?|"
    r"infusions?|doses?|dosing|treatment|inhaler|patch|drops|cycle|cycles|cure|cures|"
    r"traitement|medicaments?|medocs?|comprimes?|cachets?|gelules?|piqures?|perfusions?|"
    r"inhalateur|patchs?|produit|gouttes|study|trial|etude|essai|prises?(?! de sang)|cream|"
    r"creme|pommade|"
    r"gel|spray|drip|cannula|canule|catheter|iv"
)
TREATMENT_WORDS = _TREATMENT
_EL = r"(?:[a-z]')?"  # an elided article: l'injection, d'etude
# "Le traitement peut m'aider": what a treatment is hoped to do is no reaction to it.
_NOT_HELPING = (
    r" ?(?!(?:aide\w*|soign\w*|gueri\w*|soulag\w*|convien\w*|conviendr\w*|plai\w*|permet\w*|"
    r"faire du bien|fait du bien|interess\w*|inscri\w*|rappel\w*|expliqu\w*|envoy\w*)\b)"
)
# What ties a symptom to the study treatment ("since the injection", "les cachets me donnent").
_ANY = r"[\s\S]*?"
# Admitted, kept in, in hospital now (not a visit at the hospital).
HOSPITAL_STAY = (
    r"(?:was|were|been|got|being|is|am|i'm|im) (?:[\w']+ )?(?:admitted|hospitali[sz]ed|kept in)|"
    r"admitted (?:to|into|in) (?:the |a )?(?:hospital|ward|icu|intensive care)|"
    r"(?:is|was|shes|hes|she's|he's|i'm|im|been|are) (?:[\w']+ )?in (?:the |a )?hospital|"
    r"(?:ete|suis|est|etait|sont) (?:[\w']+ )?hospitalise\w*|hospitalis(?:e|ee|es|ation)\b|"
    r"(?:est|suis|etait|sont) (?:[\w']+ )?a l'? ?hopital|garde\w* (?:[\w']+ ){0,2}a l'? ?hopital|"
    r"ended up in (?:the |a )?hospital|(?:was|were|got) (?:taken|rushed) (?:in)?to (?:the |a )?"
    r"hospital|retrouvee?s? (?:a l'? ?hopital|aux urgences)"
)
# Someone is in the trial ("she's in the diabetes trial", "il participe à l'étude").
IN_THE_TRIAL = (
    r"\b(?:in|on|part of|taking part in|enrolled in|dans|participe\w* a|fait partie de) (?:the |a |"
    r"this |your |l'|l |cette |ce |le |la |votre |vos )?(?:[\w']+ )?(?:trial|study|etude|essai)\b"
)
# Someone says they have something ("elle a des vertiges", "i've got a rash"), and that they are
# in the trial, in either order.
# "i also have", "she still has": a word or two may come between.
_NOW_TOO = r"(?:(?:also|still|now|really|just|again|sometimes|always|often|even) ){0,2}"
_HAS = (
    rf"\b(?:i {_NOW_TOO}(?:have|get|got|feel|keep)|i've|ive|i'm {_NOW_TOO}having|"
    rf"im {_NOW_TOO}having|(?:she|he) {_NOW_TOO}has|"
    r"she's got|he's got|shes got|hes got|has had|have had|j'?ai|j ai|jai|g|il a|elle a|il fait|"
    r"elle fait|me fait|je sens|je me sens|il se sent|elle se sent)\b"
)
HAS_IN_THE_TRIAL = rf"(?={_ANY}{_HAS}){_ANY}{IN_THE_TRIAL}"
TREATMENT_LINK = (
    rf"(?:since|after|following|from|started|starting|began|depuis|apres|commence\w*|"
    rf"debut)(?: (?:{_W} ){{0,5}}){_EL}(?:{_TREATMENT}|starting|started|the first|the second|"
    rf"the last|week \d+|week|visit|visite|debut|le debut|la visite|semaine|commence\w*|"
    rf"increase|augment\w*|upped|went up|raised|monte\w*)|"
    rf"(?:{_TREATMENT})(?: (?:{_W} ){{0,5}})(?:gives?|giving|gave|made|makes|making|caus\w*|"
    rf"donne\w*|provoqu\w*|fait|font|burn\w*|itch\w*|sting\w*|brule\w*|gratte\w*|pique\w*|"
    rf"mak\w*|leav\w*|left|laiss\w*|trigger\w*|declench\w*|rend\w*|"
    rf"(?:doesn't|doesnt|does not|don't|dont|isn't|isnt) (?:agree|suit)|"
    rf"(?:reussi\w*|convien\w*|passe\w*) pas)|"
    rf"(?:supporte\w*|tolere\w*|tolerate\w*|react\w*) (?:pas |mal |badly |not |well )?"
    rf"(?:to |a |au |aux |the |le |la |les |mon |ma |mes |my ){{1,2}}{_EL}(?:{_TREATMENT})|"
    rf"is (?:that|this|it) (?:the|from the) (?:{_TREATMENT})|"
    rf"(?:it's|its|it is|c'est|cest|ce sont|c) (?:the |le |la |les |from the |du |des |a cause "
    rf"(?:du|des|de la) )?(?:{_W} )?{_EL}(?:{_TREATMENT})|"
    rf"(?:with|avec) (?:the |my |le |la |les |mon |ma |mes |ce |cette |this |these |ces )?"
    rf"(?:{_W} )?{_EL}(?:{_TREATMENT})|"
    rf"(?:{_TREATMENT})(?: (?!(?:je|j'\w*|i|you|tu|vous|on)\b){_W}){{0,3}} "
    rf"(?:me|m'){_NOT_HELPING}\w+|"
    rf"(?:where|la ou|la ou) (?:{_W} ){{0,4}}{_EL}(?:injection|jab|shot|needle|piqure|"
    rf"perfusion|inject\w*|jabbed|pique\w*|piqu\w*|drip|cannula|canule|iv|catheter)|"
    rf"c'est (?:le|la|les|a cause du|a cause des|du|des) (?:{_TREATMENT})|"
    rf"(?:because of|due to|caused by|a cause (?:de|du|des|d)|en raison (?:de|du|des)|suite a)"
    rf"(?: (?:{_W} ){{0,6}}){_EL}(?:{_TREATMENT})|"
    rf"(?:think|thinks|thought|suspect\w*|pensent|pense|croient|croit|soupconn\w*) "
    rf"(?:{_W} ){{0,3}}(?:it'?s|its|it is|c'?est|cest|that|que) (?:{_W} ){{0,2}}{_EL}"
    rf"(?:{_TREATMENT})|"
    r"(?:injection|jab|shot|needle|infusion) (?:site|spot|area|point)|"
    r"(?:point|endroit|site|zone) (?:d'injection|d'aiguille|de l'aiguille|de (?:la )?(?:piqure|"
    r"perfusion))|needle (?:spot|site|mark|area)"
)
# What a side effect may be: with a link to the treatment, a report.
SYMPTOM = (
    r"rash\w*|itch\w*|hives|nause\w*|sick|vomit\w*|threw up|throwing up|dizz\w*|headaches?|"
    r"migraines?|diarrh\w*|constipat\w*|swell\w*|swollen|red|redness|bruis\w*|palpitations?|"
    r"racing|pounding|flutter\w*|off|unwell|down|low|sad|depress\w*|tired|exhausted|fatigue\w*|weak\w*|fever\w*|temperature|chills|"
    r"shak\w*|blurr\w*|vision|cramps?|ache\w*|aching|pain\w*|sore|insomnia|sleep|numb\w*|"
    r"tingl\w*|stomach|tummy|bleed\w*|spotting|spots|worse|bumps?|lumps?|hard|warm|hairs?|"
    r"appetite|mood|anxious|burn\w*|flush\w*|ulcers?|taste|cough\w*|peel\w*|dry|gritty|"
    r"joints?|stiff\w*|sunburn\w*|skin|blister\w*|diarrhoea|puff\w*|"
    r"boutons?|plaques?|rougeurs?|rouge|demang\w*|gratt\w*|urticaire|nausee\w*|vomi\w*|"
    r"mal au coeur|vertiges?|tete qui tourne|tourne|maux|mal|migraines?|diarrhee\w*|"
    r"constipe\w*|gonfle\w*|enfle\w*|bleus?|hematome|palpitations?|bat|fatigue\w*|epuise\w*|"
    r"creve\w*|faible\w*|fievre|frissons?|tremble\w*|flou|trouble|crampes?|courbatu\w*|"
    r"douleurs?|dors|dormir|insomnies?|engourdi\w*|fourmi\w*|picote\w*|estomac|ventre|"
    r"saigne\w*|saignements?|pire|brule\w*|appetit|cheveux|moral|angoiss\w*|chaleur|aphtes?|rates|etourdi\w*|eruption\w*|deprim\w*|triste|"
    r"gout|toux|tousse\w*|pele\w*|secs?|seches?|articulations?|raides?|coups? de soleil|peau|"
    r"dur|chaud|ampoules?|cloques?|irrit\w*|"
    r"heartburn|reflux|urine|pee|nosebleeds?|blood pressure|blood sugar|weight|ringing|tinnitus|"
    r"periods?|sweat\w*|psoriasis|eczema|acne|brulures? d'estomac|urines?|tension|glycemie|"
    r"poids|acouphenes?|regles|transpir\w*|sueurs?|aggrav\w*|problems?|issues?|soucis|problemes?|"
    r"throw\w* up|puk\w*|ears?|oreilles|bourdonn\w*|buzz\w*|siffl\w*|emball\w*|cogne\w*|"
    r"battements?|moins bien|bizarre|patraque|weird|strange|funny|odd|awful|terrible|horrible|"
    r"rough|poorly|ill|brouillard|foggy|fog|ralenti|slow\w*|\d+ ?(?:kg|kgs|kilos?|lbs|pounds|"
    r"livres)|kilos?|gained|grossi|maigri|weight|hot|tremor\w*|twitch\w*|mal foutu\w*|"
    r"dreams?|nightmares?|cauchemars?|reves?|irritable|grumpy|moody|confus\w*|memory|memoire|"
    r"hiccups?|hoquet|gas|gaz|bloat\w*|ballonn\w*|hair|teeth|gums?|gencives?|nails?|ongles|"
    r"vue|sight|wee|pipi|pee\w*|faint\w*|lightheaded|light headed|vomir|nausea|beat\w*|"
    r"irregular\w*|skipp\w*|bosse|bump|barbouill\w*|upset|rash|sleepy|drowsy|somnolen\w*|"
    r"queasy|stools?|selles|loose|runs|short tempered|temper|colere|enerve\w*|agressi\w*|"
    r"watery|larmoi\w*|coule\w*|coulent|rubbish|crap|lousy|naze|maigri\w*|grossi\w*|jitter\w*|"
    r"concentrat\w*|focus|nerv\w*|concentr\w*|agit\w*|restless|eyes?|yeux|oeil|courante|"
    r"chiasse|spaced|spacey|zombie|coltard|vaseu\w*|out of it|woozy|forget\w*|oubli\w*|tete en l'air|race|battre|boules?|grosseurs?|bosses?|pins and needle\w*|picotements?|douloureu\w*|sensible|tender|sore|thirst\w*|soif|"
    r"yellow\w*|jaun\w*|flar\w*|flamb\w*"
)

# ---- Overdose
_PILLS = (
    r"pills|tablets|meds|medication|capsules|paracetamol|tylenol|ibuprofen|aspirin|"
    r"sleeping pills|painkillers|insulin|doses|comprimes|cachets|pilules|gelules|medicaments|"
    r"doliprane|dafalgan|efferalgan|somniferes|doses|antidepressants?|antidepresseurs?|"
    r"anxiolytiques?|antidouleurs?|opioids?|morphine|tramadol|codeine|xanax|valium|lexomil|"
    r"benzos?|sleeping tablets|heart pills"
)

RULES: tuple[Rule, ...] = (
    # ---- Emergencies
    _e(
        "general",
        r"(?:it's|its|it is|this is) an emergency|help emergency|emergency help|"
        r"c'est (?:une )?urgen\w*|au secours|^(?:urgence|emergency|urgent)$|"
        r"(?:call|need|get|send|want) (?:me )?(?:an |a )?ambulance|call (?:911|999|112)|"
        r"(?:appele[zr]?|faut|besoin d'une?|envoyez) (?:[\w']+ ){0,2}(?:ambulance|samu|pompiers)|"
        r"(?:i'm|im|i am) dying(?! (?:to|of|for|laugh\w*))|feel (?:like )?(?:i'm|im|i am) dying|"
        r"impression (?:de|que je vais) mourir|je vais mourir(?! (?:de|d'))|je meurs(?! (?:de|d'))",
    ),
    _e(
        "bleeding",
        r"(?:coughing|cough|vomiting|throwing) (?:up )?blood|(?:crache|vomi\w*) du sang|"
        r"bleed\w* (?:[\w']+ ){0,3}(?:a lot|heavily|badly|won't stop|wont stop|doesn't stop)|"
        r"saign\w* (?:[\w']+ ){0,3}(?:beaucoup|enormement|abondamment)|"
        r"saign\w* (?:[\w']+ ){0,8}(?:arrete pas|s'arrete pas|arrete plus|s'arrete plus)|"
        r"(?:won't|wont|doesn't|doesnt|can't|cant) stop (?:the )?bleed\w*",
        negatable=False,  # "won't stop" is part of it
    ),
    _e("chest_pain", near(_CHEST, _CHEST_PAIN, 5), ordinary_cause=True),
    _e(
        "chest_pain",
        near(
            r"crush\w*|ecras\w*|squeez\w*|oppress\w*|broi\w*",
            r"arms?|bras|jaw|machoire|neck|cou",
            5,
        ),
    ),
    _e(
        "chest_pain",
        rf"heart attack|cardiac arrest|crise cardiaque|infarctus|arret cardiaque|"
        rf"(?:clutch\w*|grab\w*|grip\w*|holding|hold\w*|tient|tenu\w*|tenait|agripp\w*|serr\w*) "
        rf"(?:[\w']+ ){{0,2}}(?:chest|heart|poitrine|coeur|thorax)|"
        rf"{near(_ACHE, _ARM_JAW, 3)}",
    ),
    _e("breathing", near(_HARD, _BREATH, 4), ordinary_cause=True),
    _e(
        "breathing",
        r"essouffl\w*|essoufle\w*|breathless|out of breath|short of breath|shortness of breath|"
        r"manque d'air|puffed out",
        ordinary_cause=True,
    ),
    _e("breathing", rf"(?:{_UNABLE}) (?:[\w']+ ){{0,3}}(?:{_BREATH})", negatable=False),
    _e(
        "breathing",
        r"(?:not|isn't|isnt|stopped|stop) breathing|arrete\w* de respirer|ne respire (?:plus|pas)|respir\w* (?:plus|pas)|"
        r"can't lie flat|cant lie flat|peu[xt] pas (?:m'|s')?allonger",
        negatable=False,
    ),
    _e(
        "breathing",
        r"(?:j'|j )?etouffe\w*|suffoqu\w*|suffocat\w*|choking|"
        r"gasping(?! for (?:a |an )?(?:cup|drink|brew|cuppa|coffee|tea|pint|cigarette|fag|smoke))|"
        r"(?:inspir\w*|respir\w*|breath\w*) (?:[\w']+ ){0,3}(?:hurts|fait (?:[\w']+ )?mal|"
        r"douloureu\w*|agony|painful)|"
        r"(?:hurts|painful|pain\w*|mal|douleur\w*) (?:[\w']+ ){0,2}(?:to |when i |en |a |d')?"
        r"(?:breathe|breathing|inspir\w*|respir\w*|inhal\w*)|(?:tiny|small|short|shallow|"
        r"petites?|courtes?) (?:[\w']+ ){0,2}(?:breaths|respirations|souffles)|"
        r"(?:siffl\w*|wheez\w*|essouffl\w*|breathless|short of breath|out of breath) "
        r"(?:[\w']+ ){0,8}(?:parler|mes mots|ses mots|talk\w*|speak\w*|words|phrases?|sentences?)|"
        r"(?:lips|levres|face|visage) (?:[\w']+ ){0,3}(?:blue|bleu\w*)",
    ),
    _e(
        "stroke",
        # "avc" is also SMS for "avec" ("des palpitations avc l'inhalateur"): not before a word
        # that follows "with".
        rf"\bstroke\b|\bavc\b(?! (?:l|la|le|les|l'\w+|un|une|des|du|de|d|mon|ma|mes|ton|ta|tes|"
        rf"son|sa|ses|notre|nos|votre|vos|leur|leurs|ce|cet|cette|ces|moi|toi|lui|elle|eux|"
        rf"elles|nous|vous|qui|quoi|ca|sa|mn|m|t|s)\b)|attaque cerebrale|{near(_FACE, _DROOP, 4)}|"
        rf"{near(_LIMB, _WEAK, 6)}|{_SPEECH}|{_CONFUSED}|worst headache|"
        r"pire (?:mal de tete|migraine)|mal de tete (?:brutal|violent|soudain|foudroyant)|"
        r"(?:can't|cant|cannot) see (?:out of |with )?(?:one|my left|my right) eye|"
        r"vision in one eye|voi[st] plus (?:rien )?(?:d'un|de l'|avec un) (?:oeil|cote)",
    ),
    _e(
        "unconscious",
        r"pass(?:ed|es|ing)? out|faint\w*|collaps\w*(?! (?:lung|veins?|poumon))|unconscious|"
        r"unresponsive|"
        r"black(?:ed|s)? out|seizure\w*|seizing|convuls\w*|fitting|had a fit|knocked out|keeled over|"
        r"(?:is|she's|he's|shes|hes|having|has|started) (?:a )?fit\b|(?:\d+|two|three|several|"
        r"deux|trois|plusieurs) (?:fits|seizures|crises)|crises? (?:a la suite|d'affilee|en serie)|"
        r"me sens partir|se sent partir|"
        r"(?:shak\w*|jerk\w*|trembl\w*|secou\w*|spasm\w*) (?:[\w']+ ){0,5}(?:on the floor|on the "
        r"ground|par terre|au sol)|(?:on the floor|par terre|au sol) (?:[\w']+ ){0,5}(?:shak\w*|"
        r"jerk\w*|trembl\w*|secou\w*|spasm\w*)|jerking|secousses|"
        r"perd\w* connaissance|(?:los\w*|lost) consciousness|perte de connaissance|evanoui\w*|inconscient\w*|"
        r"effondre\w*|tombe\w* dans les pommes|crise d'epilepsie|crise epilep\w*|malaise",
    ),
    _e(
        "unconscious",
        r"(?:(?:won't|wont|doesn't|doesnt|can't|cant|not|isn't|isnt) (?:[\w']+ ){0,2}"
        r"(?:wak\w*|awake|respond\w*|rous\w*)|(?:ne |n')?(?:se )?reveille (?:pas|plus)|ne repond (?:plus|"
        r"pas)|repond (?:plus|pas)|(?:pas|plus) (?:vraiment )?reveille\w*|reagit (?:plus|pas)|"
        r"(?:arrive|arrivons|peux|peut|pouvons) (?:pas|plus) a (?:le |la |l')?reveiller|"
        r"revien\w* pas a (?:lui|elle|soi)|(?:won't|wont|doesn't|doesnt|isn't|isnt) coming "
        r"(?:round|around|to)|(?:won't|wont|doesn't|doesnt) come (?:round|around|to)|"
        r"(?:eyes|yeux) (?:[\w']+ ){0,2}(?:won't|wont|don't|dont|doesn't|not|can't|cant) open|"
        r"(?:ouvre|ouvrent) (?:pas|plus) les yeux|(?:won't|wont|doesn't|doesnt|can't|cant|not) "
        r"open(?:ing)? (?:his|her|their|my) eyes)"
        # …but not answering the phone or an e-mail is no emergency.
        r"(?! (?:[\w']+ ){0,2}(?:telephone|tel|phone|mails?|e ?mails?|messages?|sms|texts?|calls?|"
        r"appels?|courriers?|lettres?|questions?|portable|mobile))",
        negatable=False,
    ),
    _e(
        "allergy",
        rf"{near(_FACE_PARTS, _SWELLING, 4)}|"
        r"anaphyla\w*|epi ?pen|allergic reaction|oedeme|choc allergique|reaction allergique|"
        r"hives (?:[\w']+ ){0,6}breath\w*|urticaire (?:[\w']+ ){0,6}respir\w*",
    ),
    _e(
        "overdose",
        rf"overdos\w*(?! (?:on|of|de) (?:chocolate|sugar|coffee|cake|netflix|tv|"
        rf"chocolat|sucre|cafe|gateau|series))|surdos\w*|\bod\b|od'd|"
        rf"(?:took|taken|take|taking|swallowed|gave|got into|pris|avale\w*|prendre|prenant|donne|"
        rf"downed|necked|"
        rf"chugged|gobe\w*|englouti\w*)"
        rf"{gap(6)}(?:too many|too much|whole (?:bottle|box|pack|packet|strip|tub)|(?:the )?"
        rf"(?:whole )?lot (?:of )?(?:my |the |his |her )?(?:{_PILLS})|(?:a|an|one|un|"
        rf"une) (?:bottle|box|pack|packet|strip|tub|flacon|boite|plaquette|tube) (?:of |de |d')?"
        rf"(?:[\w']+ )?(?:{_PILLS}|pills|tablets|cachets|comprimes|pilules)|"
        rf"(?:boite|plaquette|flacon|tube|bouteille) entiere?|all (?:of )?"
        rf"(?:[\w']+ ){{0,3}}(?:{_PILLS})|double|triple|twice the|extra|how many|"
        rf"trop|toute la (?:boite|plaquette|bouteille)|(?:toutes?|tous) (?:mes|les|ses) (?:{_PILLS})|"
        rf"deux fois|combien|(?:about |around |like |environ |une )?(?:\d+|several|plusieurs|"
        rf"dizaine|vingtaine|trentaine) (?:de |d')?(?:{_PILLS}))|doubl\w* (?:[\w']+ ){{0,2}}dose|"
        rf"(?:bottle|box|pack|packet|boite|plaquette) (?:[\w']+ ){{0,2}}(?:of |de )?(?:{_PILLS})"
        rf"(?: (?:[\w']+ ){{0,4}}(?:swallowed|took|ate|avale\w*|pris|mange))|"
        rf"(?:bottle|box|boite|flacon) (?:[\w']+ ){{0,4}}(?:{_TREATMENT}) (?:[\w']+ ){{0,8}}"
        rf"(?:swallowed|avale\w*)|"
        rf"(?:kid|child|son|daughter|baby|toddler|enfant|fils|fille|petit|petite|bebe|gamin|"
        rf"gamine|gosse|mome|little one|grandson|granddaughter|nephew|niece|neveu|niece|"
        rf"petit fils|petite fille)(?:'s)? "
        rf"(?:[\w']+ ){{0,4}}(?:swallowed|ate|eaten|got into|avale\w*|mange\w*) (?:[\w']+ ){{0,6}}"
        rf"(?:{_PILLS}|pills?|tablets?|cachets?|comprimes?|pilules?)",
    ),
    # Not knowing how many were swallowed is no negation of having swallowed them.
    _e(
        "overdose",
        rf"(?:handful|fistful|poignee|(?<!prend )(?<!prends )(?<!prenait )plein) (?:of |de |d')?"
        rf"(?:[\w']+ ){{0,2}}(?:{_PILLS}|pills?|"
        rf"tablets?|cachets?|comprimes?|pilules?)|"
        rf"(?:took|taken|swallowed|pris|avale\w*) (?:[\w']+ ){{0,3}}(?:\d+|several|plusieurs|"
        rf"dizaine|vingtaine|trentaine|une dizaine|a dozen) (?:[\w']+ ){{0,4}}(?:{_PILLS}|pills?|"
        rf"tablets?|cachets?|comprimes?|pilules?)|"
        rf"(?:{_PILLS}|pills?|tablets?|cachets?|comprimes?|dose\w*) (?:[\w']+ ){{0,5}}"
        rf"(?:on purpose|deliberately|intentionally|expres|volontairement|pour en finir)|"
        rf"(?:on purpose|deliberately|expres|volontairement) (?:[\w']+ ){{0,4}}(?:took|swallowed|"
        rf"pris|avale\w*)|"
        r"(?:cleaning|chemicals?|menagers?|detergent\w*|household|bleach|javel) (?:[\w']+ ){0,6}"
        r"(?:drank|drunk|swallowed|ate|eaten|bu|avale\w*)|"
        r"(?:drank|drunk|swallowed|ate|a bu|avale\w*|bu|chew\w*|machouill\w*|mache\w*|suck\w*|"
        r"suce\w*) (?:[\w']+ ){0,3}(?:battery|batteries|"
        r"piles?|magnets?|aimants?|bleach|javel|"
        r"detergent|antifreeze|weed killer|poison|desherbant|produit menager|lessive|white spirit)",
    ),
    _e(
        "overdose",
        rf"(?:half|most|(?:la )?moitie) (?:of |d'un |d'une |de la |du |de )?(?:a |the |my |un |une )?"
        rf"(?:bottle|box|pack|packet|strip|flacon|boite|plaquette|tube)|"
        rf"(?:a lot|way|much|loads|beaucoup|bien) (?:more|plus) (?:of |de |d')?(?:[\w']+ ){{0,3}}"
        rf"(?:{_PILLS}|pills?|tablets?|cachets?|comprimes?|pilules?|gelules?|capsules?)|"
        # "she takes loads of tablets for her heart", "elle prend plein de cachets": the
        # medicines of every day, not too many at once.
        rf"(?<!takes )(?<!take )(?<!taking )(?<!on )(?<!prend )(?<!prends )(?<!prenait )"
        rf"(?:a load|loads|lots|a lot|a bunch|plein|beaucoup|un tas|une tonne) (?:of |de |d')?"
        rf"(?:[\w']+ ){{0,2}}(?:{_PILLS}|pills?|tablets?|cachets?|comprimes?|pilules?|"
        rf"painkillers|antidouleurs?|anti douleurs?)|"
        r"(?:swallowed|took|taken|ate|avale\w*|pris|mange\w*|got into|fouill\w*) (?:[\w']+ ){0,6}"
        r"(?:medicine "
        r"(?:cabinet|cupboard)|(?:l')?armoire a pharmacie|la pharmacie)",
    ),
    _e(
        "overdose",
        r"(?:took|taken|take|taking|pris|prendre) (?:[\w']+ ){0,3}(?:dose|doses|pills?|tablets?|"
        r"comprimes?|cachets?|gelules?|capsules?) (?:[\w']+ )?(?:\d+|two|three|four|deux|trois|"
        r"quatre|several|plusieurs) (?:times|fois)",
    ),
    _e(
        "overdose",
        r"(?:how many|how much|combien) (?:[\w']+ ){0,4}(?:swallowed|took|taken|ate|had|avale\w*|"
        r"pris|mange\w*)",
        negatable=False,
    ),
    _e(
        "suicide",
        r"suicid\w*|kill\w* (?:my ?self)|end\w* (?:it all|my (?:own )?life)|"
        r"(?:me suis|s'est) (?:encore |deja )?fait du mal|take my (?:own )?life|"
        r"(?:want|going|gonna|wanna|about) to end it\b|"
        r"want(?:ed)? to die|wanna die|(?:hurt|harm|cut|cutting|burn)\w* (?:my ?self)"
        r"(?! (?:shaving|cooking|chopping|on (?:a|the)|with (?:a|the) (?:knife|paper)))|"
        r"self ?harm\w*|better off dead|goodbye (?:letters?|notes?|messages?|texts?)|"
        r"(?:lettres?|messages?|mots) d'adieu|passer a l'acte|"
        r"(?:veux|vais|envie de|besoin de|pense a|want to|going to|gonna|need to) (?:me |myself )?"
        r"(?:couper|scarifier|bruler|blesser|mutiler|cut|burn|harm|hurt)(?! (?:les|mes|the|my) "
        r"(?:cheveux|ongles|hair|nails|grass|pelouse))|"
        r"(?:point|reason|interet|raison|sens) (?:[\w']+ ){0,2}(?:living|going on|to live|"
        r"being alive|vivre|continuer)|can't go on|cant go on|jump off|en finir|j'en finis|jen finis|"
        r"(?:je vais|j'vais|jvais|je veux|envie de|pense a|penser a|idee de|idees de|voudrais|"
        r"vais|veux|pour|comment) me tuer|(?:cutting|cut|slit|slash\w*) (?:my|his|her) "
        r"(?:arms?|wrists?|legs?|thighs?|skin)|(?:me|se) (?:suis |est )?(?:coupe\w*|taillad\w*|"
        r"scarifi\w*|ouvert\w*) "
        r"(?:les|la|le) (?:bras|poignets?|veines|cuisses?|peau|jambes?)|(?:m'|s')ouvrir les veines|"
        r"tak\w* my (?:own )?life|(?:me )?donner la mort|me foutre en l'air|(?:me|se) pendre|"
        r"hang\w* (?:my ?self|him ?self|her ?self)|(?:rope|noose|corde) (?:[\w']+ ){0,2}(?:ready|"
        r"prete|prepare\w*)|(?:prepare\w*|got|have|ready|bought|achete\w*) (?:[\w']+ ){0,2}"
        r"(?:rope|noose|corde)|(?:me|se) jeter (?:sous|du|de|par)|"
        r"throw (?:my ?self|him ?self|her ?self) (?:off|in front|under)|jump in front|"
        r"want\w* to die|veu\w* mourir|voudrai\w* mourir|rather (?:be )?dead|rather die|"
        r"(?:plutot|prefere\w*|prefer) (?:[\w']+ )?(?:mourir|crever|etre mort\w*|die|be dead)|"
        r"(?:de|a|vais|veux|voudrais|pour|comment|peux|dois) me tuer|"
        r"(?:take|taking|prendre|prends|avaler|swallow) (?:[\w']+ ){0,2}(?:every|all|tous|toutes) "
        r"(?:[\w']+ ){0,3}(?:tonight|at once|in one go|ce soir|d'un coup|en une fois|pour en finir)|wish i (?:was|were) dead|"
        r"disparaitre (?:a|pour) (?:jamais|toujours)|"
        r"end (?:it|everything|my life) (?:[\w']+ )?(?:tonight|today|now)|end (?:things|everything)|"
        r"(?:plan|planning|planned) (?:[\w']+ ){0,2}(?:to die|to end|my death|suicide)|"
        r"tout est pret pour|"
        r"mettre fin a (?:mes jours|ma vie)|(?:envie de|veux|voudrais) mourir|me faire du mal|"
        r"(?:me suis|je me|j me) (?:coupe\w*|brule\w*)(?! (?:le|la|au|a la|en|les|un|une|avec) (?:[\w']+ )?"
        r"(?:doigt|main|pied|genou|cuisin\w*|bricol\w*|jardin\w*|rasant|four|couteau|papier|"
        r"cheveux|ongles|frange|barbe))|"
        r"(?:me suis|me) scarifi\w*|scarifi\w*|"
        r"(?:envie|force) (?:de |d')(?:vivre|continuer)|disparaitre pour de bon|"
        r"sauter (?:du|par la) (?:pont|fenetre)|not (?:be|being) here anymore|"
        r"jump\w* (?:off|from|out of) (?:[\w']+ ){0,2}(?:balcony|bridge|roof|window|building|cliff)|"
        r"(?:sauter|me jeter|se jeter) (?:du|de|par|d'un|d'une) (?:[\w']+ ){0,2}(?:balcon|pont|toit|"
        r"fenetre|immeuble|falaise)|disappear (?:forever|for good|for ever)|"
        r"(?:written|wrote|left) (?:[\w']+ ){0,2}(?:notes?|letters?) (?:for|to) (?:everyone|"
        r"everybody|my family|my kids|all)|ecrit (?:des|mes) (?:mots|lettres) (?:pour|a) (?:tout le "
        r"monde|ma famille|mes enfants|tous)",
    ),
    _e(
        "suicide",
        r"(?:don't|dont|do not|no longer) want to (?:live|be alive|be here|wake up)|"
        r"(?:not|isn't|isnt|no longer|n't) worth living|(?:vaut|valait) (?:plus|pas) la peine "
        r"(?:d'etre vecue|de vivre)|"
        r"(?:plus|pas) envie (?:de vivre|d'etre la|de me reveiller|d'etre en vie|d'exister|"
        r"de continuer)|(?:veux|veut) (?:plus|pas) "
        r"vivre|ne (?:vois|voit) plus "
        r"(?:[\w']+ ){0,2}(?:interet|sens)|(?:vois|voit) plus (?:[\w']+ ){0,2}(?:interet|sens)|"
        r"(?:don't|dont|do not|can't|cant) see (?:the |any )?point|"
        r"better off without me|mieux sans moi|"
        r"(?:no|not any|aucun|pas d'|plus d') ?(?:point|reason|interet|raison|sens) (?:[\w']+ ){0,2}"
        r"(?:living|going on|to live|being alive|vivre|continuer|de vivre|de continuer)|"
        r"(?:want|wish) (?:it all|everything) to (?:stop|end)|(?:veux|voudrais) (?:juste )?que tout "
        r"(?:s'arrete|cesse|finisse)|(?:pills|tablets) (?:[\w']+ ){0,2}lined up|(?:prepare|aligne)\w* "
        r"(?:les |mes )?(?:cachets|comprimes|medicaments)|(?:en )?peux plus de vivre|"
        r"(?:marre|fatigue\w*) de vivre|(?:no|don't see a|dont see a|can't see a|cant see a|see no) "
        r"way out|(?:vois|voit) (?:pas|plus|aucune) (?:d')?issue|pas d'issue|want (?:it|this|"
        r"everything) (?:all )?(?:over|to be over|to end)|que (?:ca|tout) se termine|"
        r"(?:had enough|sick|tired|fed up) of (?:life|living)|"
        r"(?:assez|marre|ras le bol) de (?:la vie|vivre)|"
        r"(?:swallowed|avale\w*) (?:all|tous|toutes) (?:of )?(?:my|mes|ses|his|her|the|les) [\w']+|"
        r"(?:tired|sick) of (?:living|being alive)|"
        r"sert a rien de (?:continuer|vivre)|"
        r"wish i (?:wasn't|wasnt|weren't|werent) (?:alive|here|born)|never wake up|"
        r"(?:sleep|go to sleep) (?:[\w']+ ){0,2}(?:not|never) wake up|"
        r"(?:plus|jamais) (?:me )?reveiller|pas me reveiller|"
        r"(?:ne plus|plus) (?:etre la|exister)|"
        r"(?:pills|tablets|meds|cachets|comprimes|medicaments|medocs) (?:[\w']+ ){0,3}(?:ready|"
        r"prets|prepare\w*|lined up|aligne\w*)|(?:got|have|prepare\w*) (?:[\w']+ ){0,2}"
        r"(?:pills|tablets|meds) ready",
        negatable=False,
    ),
    _e(
        "unconscious",
        r"(?:hard|difficult|impossible|can't|cant|cannot) (?:to )?keep (?:[\w']+ ){0,2}awake|"
        r"(?:can't|cant|won't|wont) stay awake|(?:garder|tenir) (?:[\w']+ ){0,2}eveill\w*|"
        r"eyes (?:[\w']+ ){0,2}rolled|yeux (?:[\w']+ ){0,3}revuls\w*|"
        r"(?:floor|ground|went down|gone down|fell|fallen|slumped|dropped|par terre|au sol|"
        r"tombe\w*|ecroule\w*|effondre\w*|affale\w*|s'est ecroule\w*) (?:[\w']+ ){0,8}"
        r"(?:(?:bouge\w*|reagi\w*|repond\w*|respir\w*) (?:pas|plus)|"
        r"(?:not|isn't|isnt|won't|wont|doesn't|doesnt|ne|n'|pas|plus) (?:[\w']+ ){0,2}"
        r"(?:answer\w*|respond\w*|mov\w*|react\w*|repond\w*|bouge\w*|reagi\w*|"
        r"breath\w*|respir\w*))|"
        r"(?:limp|floppy|tout mou|toute molle|inanime\w*|lifeless)",
        negatable=False,
    ),
    _e(
        "breathing",
        rf"(?:inhaler|puffer|ventoline|inhalateur|pompe|nebuli\w*|salbutamol) (?:[\w']+ ){{0,4}}"
        rf"(?:not (?:working|helping|doing)|(?:isn't|isnt|doesn't|doesnt|won't|wont) (?:[\w']+ )?"
        rf"(?:work\w*|help\w*|do\w*)|no (?:use|effect|help)|useless|(?:does|did|do|doing) "
        rf"nothing|(?:not|isn't|isnt) doing anything|(?:n'a|a) rien fait|marche (?:[\w']+ )?(?:pas|plus|pu)|"
        rf"fonctionne (?:pas|plus)|fait (?:rien|pas effet|plus effet|plus rien|aucun effet)|"
        rf"aucun effet|sert a rien|agit (?:pas|plus))|"
        rf"(?:turn\w*|gone|going|went|goes|deviennent|devient|devenu\w*|virent|vire) (?:[\w']+ )?"
        rf"(?:blue|bleu\w*|purple|violet\w*|grey|gray|gris\w*)|"
        rf"(?:lips|levres) (?:[\w']+ ){{0,3}}(?:purple|violet\w*|grey|gray|gris\w*)|(?:breath\w*|respir\w*) (?:[\w']+ ){{0,2}}(?:super|really|very|so|"
        rf"tres|trop|hyper) (?:fast|quick\w*|vite|rapide\w*)|ribs (?:[\w']+ ){{0,2}}(?:suck\w*|"
        rf"pull\w*)|cotes (?:[\w']+ ){{0,3}}creus\w*|"
        rf"(?:not|no|pas|plus|aucun) (?:[\w']+ ){{0,2}}(?:enough |assez )?{_EL_AIR}",
        negatable=False,
    ),
    _e(
        "bleeding",
        r"blood (?:[\w']+ )?everywhere|sang partout|pisse le sang|pissing blood|gushing|"
        r"hemorrhag\w*|haemorrhag\w*|hemorragi\w*|bleed\w* (?:[\w']+ ){0,3}(?:heavily|profusely|"
        r"loads|so much|too much|really bad)|"
        r"(?:pregnant|enceinte|grossesse) (?:[\w']+ ){0,10}(?:bleed\w*|blood|saign\w*|sang|pertes? "
        r"de sang)|(?:bleed\w*|blood|saign\w*|sang|pertes? de sang) (?:[\w']+ ){0,6}(?:pregnant|"
        r"enceinte|grossesse)|(?:black|tarry) (?:stool|poo|poop)|selles noires|"
        r"(?:vomit\w*|throw\w* up|vomi\w*) (?:[\w']+ ){0,2}(?:blood|sang)",
    ),
    _e(
        "general",
        r"(?:fever|fievre|temperature|temp) (?:[\w']+ ){0,8}(?:stiff neck|neck (?:[\w']+ ){0,3}stiff|"
        r"nuque (?:[\w']+ ){0,3}raide|raideur (?:[\w']+ ){0,2}nuque|(?:bend|plier|bouger|tourner) "
        r"(?:my |the |la |ma |le |mon )?(?:neck|nuque|cou))|(?:stiff neck|nuque raide|raideur de "
        r"(?:la )?nuque) (?:[\w']+ ){0,8}(?:fever|fievre|temperature)|"
        r"purpura|"
        r"worst pain (?:of my life|ever|i've ever)|pire douleur|unbearable pain|pain is unbearable|"
        r"(?:douleur|mal)\w* (?:[\w']+ ){0,3}(?:insupportable|atroce|intenable)|excruciating|"
        r"agony|agonie|atrocement|horriblement mal|terriblement mal|vomi\w* (?:du )?vert|"
        r"vomit\w* (?:green|bile)|green vomit|(?:can't|cant|cannot) feel (?:my|his|her) (?:legs|arms|body|feet)|"
        r"sens plus (?:mes|ses|les) (?:jambes|bras|pieds)|sent plus (?:ses|les) (?:jambes|bras|pieds)|"
        r"(?:appel\w*|call\w*|compos\w*|faire) (?:le |la |les )?(?:15|18|112|911|999|samu|"
        r"pompiers)|(?:should|shall|do) i (?:call|ring|phone) (?:an )?(?:ambulance|911|999|112)|"
        r"(?:hit|banged|bumped|cogne\w*|tape\w*) (?:[\w']+ ){0,2}(?:head|tete) (?:[\w']+ ){0,8}"
        r"(?:vomit\w*|being sick|throwing up|confus\w*|drowsy|sleepy|vomi\w*|somnolent\w*|dort|"
        r"endormi\w*|dans les vapes)|"
        r"(?:pain|douleur|mal)\w* (?:[\w']+ ){0,8}(?:worst|pire) (?:[\w']+ ){0,2}(?:ever|of my "
        r"life|de ma vie)|(?:worst|pire) (?:[\w']+ ){0,3}(?:pain|douleur|mal)|agonis\w*|agoniz\w*|"
        r"carbon monoxide|monoxyde de carbone|(?:sugar|glycemie|glucose) (?:[\w']+ ){0,3}"
        r"(?:very|really|dangerously|tres|super) (?:low|basse?)",
    ),
    _e(
        "stroke",
        r"(?:not|isn't|isnt) making (?:any )?sense|makes no sense|(?:can't|cant|cannot) get "
        r"(?:his|her|my) words out|(?:arrive|peut|peux) (?:plus|pas) a sortir (?:ses|mes) mots",
        negatable=False,
    ),
    _e(
        "unconscious",
        r"(?:fit|seizure|crise|convuls\w*) (?:[\w']+ ){0,8}(?:drowsy|somnolent\w*|not (?:himself|"
        r"herself)|pas (?:lui|elle) meme|confus\w*|endormi\w*)",
        negatable=False,
    ),
    _e(
        "unconscious",
        r"(?:sugar|glucose|bm) (?:[\w']+ ){0,3}(?:[0-2] \d|[0-2])\b(?! (?:\d|hours|hrs|pm|am))|"
        r"(?:glycemie|sucre|dextro) (?:[\w']+ ){0,3}0 [0-5]\d?\b",
        negatable=False,  # a figure
    ),
    _e(
        "bleeding",
        r"(?:arrete|s'arrete) (?:pas|plus) de saigner|(?:won't|wont|doesn't|doesnt) stop bleed\w*",
        negatable=False,
    ),
    _e(
        "bleeding",
        r"(?:blood|sang|bleed\w*|saign\w*) (?:[\w']+ ){0,6}(?:sans arret|non stop|nonstop|"
        r"constantly|keeps? (?:coming|pouring|gushing|going))",
        negatable=False,
    ),
    _e(
        "breathing",
        r"(?:having|in the middle of|got|fais|fait|faisait|en pleine|en train de faire) (?:an |a |"
        r"une )?(?:bad |severe |big |grosse |forte |violente )?(?:asthma attack|crise d'asthme)",
    ),
    _e(
        "stroke",
        r"(?:sudden\w*|out of nowhere|all of a sudden|d'un coup|tout d'un coup|soudain\w*|brutal\w*|"
        r"thunderclap|foudroyant\w*|explos\w*) (?:[\w']+ ){0,3}(?:headache|mal de tete|migraine|"
        r"mal au crane)|(?:headache|mal de tete|migraine|mal au crane) (?:[\w']+ ){0,3}(?:sudden\w*|"
        r"out of nowhere|all of a sudden|d'un coup|tout d'un coup|soudain\w*|brutal\w*|"
        r"foudroyant\w*)|(?:peu[xt]|arrive) (?:[\w']+ ){0,2}(?:lever|bouger|soulever) (?:le |la |"
        r"son |sa |mon |ma )?(?:bras|jambe|main)|(?:can't|cant|cannot|couldn't|unable to) "
        r"(?:[\w']+ )?(?:lift|raise|move) (?:his|her|my|their) (?:arm|leg|hand)",
    ),
    _e(
        "bleeding",
        r"(?:so much|loads of|lots of|a lot of|tellement de|beaucoup de|plein de|tant de) "
        r"(?:[\w']+ )?(?:blood|sang)|soaked (?:[\w']+ ){0,3}(?:blood|towels?)|(?:serviettes?|torchons?|"
        r"pansements?|compresses?|towels?|bandages?|dressings?) (?:[\w']+ ){0,3}(?:trempe\w*|imbibe\w*|"
        r"soaked|soaking)|(?:losing|lost|perd\w*) (?:[\w']+ ){0,2}(?:a lot of|lots of|so much|de |du |beaucoup de )"
        r"(?:blood|sang)",
    ),
    _e(
        "general",
        r"(?:rash|spots|taches?|boutons|plaques) (?:[\w']+ ){0,4}(?:doesn't|doesnt|don't|dont|won't|"
        r"wont|does not|do not) (?:fade|go away when)|(?:taches?|boutons|plaques) (?:[\w']+ ){0,4}"
        r"(?:s'efface\w* pas|disparai\w* pas|partent pas)",
        negatable=False,
    ),
    _e(
        "bleeding",
        r"(?:blood|sang|bleed\w*|saign\w*) (?:[\w']+ ){0,8}(?:won't stop|wont stop|doesn't stop|"
        r"doesnt stop|not stopping|arrete pas|s'arrete pas|arrete plus|s'arrete plus)|"
        r"blood (?:[\w']+ )?(?:pour\w*|gush\w*|spurt\w*)|sang (?:[\w']+ ){0,2}(?:gicle\w*|"
        r"coule\w* (?:[\w']+ ){0,2}(?:partout|a flots))",
        negatable=False,
    ),
    _e(
        "allergy",
        r"(?:hives|urticaire|rash|plaques|boutons) (?:[\w']+ ){0,8}(?:wheez\w*|siffl\w*|"
        r"swallow\w*|avaler)|(?:can't|cant|cannot|unable to|(?:n'|j')?arrive (?:[\w']+ )?(?:pas|"
        r"plus) a|peux (?:pas|plus)|peut (?:pas|plus)) (?:[\w']+ )?(?:swallow|avaler)",
        negatable=False,
    ),
    # ---- Side effects: a symptom, and its link to the study treatment
    Rule(
        "adverse_event",
        "reported",
        r"report (?:a |an )?(?:side effects?|adverse (?:event|reaction)|reaction)|"
        rf"reaction\w* (?:[\w']+ ){{0,5}}(?:to|from|with|au|a|aux|du|de|avec) (?:[\w']+ ){{0,3}}"
        rf"{_EL}(?:{_TREATMENT})|"
        r"side effects? to report|(?:declarer|signaler) (?:un |des )?(?:effets? \w+|reaction)|"
        r"effets? (?:secondaires?|indesirables?) a (?:declarer|signaler)",
    ),
    Rule(
        "adverse_event",
        "after_treatment",
        r"(?:not|pas|don't|dont) (?:[\w']+ ){0,2}(?:great|well|good|right|bien|top|terrible)",
        negatable=False,
        also=TREATMENT_LINK,
    ),
    Rule("adverse_event", "after_treatment", SYMPTOM, also=TREATMENT_LINK),
    # A stay in hospital of someone in the trial is a serious adverse event whatever its cause.
    Rule("adverse_event", "after_treatment", HOSPITAL_STAY, also=TREATMENT_LINK),
    Rule("adverse_event", "reported", HOSPITAL_STAY, also=IN_THE_TRIAL),
    # Any new symptom someone in the trial has is an adverse event, whatever its cause (ICH E2A);
    # not a question about one ("I'm in the asthma study, is headache a side effect?").
    Rule("adverse_event", "reported", SYMPTOM, also=HAS_IN_THE_TRIAL),
    Rule(
        "adverse_event",
        "reported",
        r"(?:i|i'm|im|i've|ive|he|she|my \w+|j'ai|jai|j ai|je|"
        r"il a|elle a) (?:[\w']+ ){0,3}(?:side effects?|effets? (?:secondaires?|indesirables?)|"
        r"reaction)",
    ),
)

# Told by a participant whose chat is linked to their trial: they are in it, so the rules that
# need the message to say so hold without it. A stay in hospital is a serious adverse event and
# any new symptom an adverse event, whatever their cause (ICH E2A): "i was admitted to hospital
# on wednesday for very low sugars" from a participant of the diabetes study raised nothing.
# A symptom that comes back or gets worse: "the headaches are back again today, worse".
BACK = (
    r"\b(?:(?:are|is|r|came|come|coming|it'?s|its) back|back again|returned|worse|getting worse|"
    r"sont revenue?s|est revenue?|reviennent|revient|recommence\w*|pire|empire\w*|de nouveau|"
    r"a nouveau)\b"
)
PARTICIPANT_RULES = (
    Rule("adverse_event", "reported", HOSPITAL_STAY),
    Rule("adverse_event", "reported", SYMPTOM, also=_HAS),
    Rule("adverse_event", "reported", SYMPTOM, also=BACK),
)

# Words the typo correction should know besides those in the patterns.
VOCABULARY = (
    "breathe",
    "breathing",
    "breath",
    "inhale",  # not "inhaler", one letter away
    "inhaling",
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
# Red-flag words also read through one letter typed for another, as patients spell by ear
# ("breeth", "resperer"); only these, whose one-letter neighbours are no everyday words.
SOUNDS_LIKE = (
    "breathe", "breath", "breathing", "respirer", "respire", "respiration", "poitrine",
    "douleur", "unconscious", "inconscient", "seizure", "convulsion", "overdose", "suicide",
    "suicider", "bleeding", "saigne", "saigner", "swelling", "swollen", "allergic", "allergique",
    "anaphylaxis", "collapsed", "fainted", "evanoui", "evanouie", "etouffe", "reveille",
    "connaissance", "ambulance",
)  # fmt: skip
# Everyday words one slip away from a word of the rules, which must stay themselves
# ("staring" is not "starting").
REAL_WORDS = frozenset((
    "staring", "stared", "stating", "sating", "string", "parting", "carting",
    # Words of the entries and the NLU examples that are no slip for a word the rules know:
    # "is there a lift to the 3rd floor" is not "three", "signer" (to sign) is not "saigner" (to
    # bleed), "nose" is not "noose" (tests/safety/test_detect.py holds every word of them).
    "there", "could", "come", "action", "done", "signer", "continue", "phases", "facon",
    "talking", "etudie", "montre", "signe", "drop", "linked", "existe", "viens", "hospitals",
    "carnet", "support", "soigner", "base", "visio", "internet", "nose", "lose", "tried", "lives",
    "declare", "noter", "courant", "vient", "effaciez", "sorti", "fiables", "bleues", "masking",
    "file", "water", "skip", "joins", "parent", "cache", "caches", "serieuse", "acteurs",
    "aupres", "conges", "menage", "appelle", "entier", "dormi", "parti", "piquer", "apple",
    "flight", "textos", "appellera", "interested", "thnks", "manage", "mole", "droops",
))  # fmt: skip
# SMS spelling, word for word, read as the words the rules know ("jarrive pa a respiré",
# "mal o coeur", "ma fille respir pu").
SMS = {
    "pa": "pas", "pu": "plus", "plu": "plus", "o": "au", "ds": "dans", "bcp": "beaucoup",
    "tt": "tout", "ts": "tous", "tte": "toute", "jsuis": "je suis", "chui": "je suis",
    "chuis": "je suis", "jsui": "je suis", "jai": "j'ai", "g": "j'ai", "jarrive": "j'arrive",
    "linhalateur": "l'inhalateur", "linjection": "l'injection", "letude": "l'etude",
    "lessai": "l'essai",
    "jpeux": "je peux", "jpe": "je peux", "jveux": "je veux", "jvais": "je vais", "jme": "je me",
    "koi": "quoi", "ke": "que", "ki": "qui", "qd": "quand", "kan": "quand", "tjrs": "toujours",
    "tjs": "toujours", "tjr": "toujours", "mm": "meme", "pr": "pour", "c": "c'est",
    "mnt": "maintenant", "mtn": "maintenant", "ct": "c'etait", "dla": "de la", "u": "you",
    "ur": "your", "r": "are", "cnt": "can't", "cn": "can", "cud": "could", "hubby": "husband",
    "jpeu": "je peux", "jpx": "je peux", "tro": "trop",
    "n": "and", "pls": "please", "plz": "please", "b4": "before", "2day": "today",
    "mom": "mum", "bc": "because", "cuz": "because", "coz": "because", "wen": "when",
    "wat": "what", "ne1": "anyone", "sum1": "someone", "ppl": "people", "rn": "right now",
}  # fmt: skip

# Words that make an emergency the NLU found one of suicide or self-harm (the crisis line too).
SUICIDE_HINT = (
    r"\b(?:suicid\w*|kill|die|dying|dead|end (?:it|my life|everything)|hurt myself|harm myself|"
    r"mourir|tuer|me tue\w*|en finir|mort|me faire du mal|disparaitre|plus envie de vivre)\b"
)

# Told as a joke, a figure of speech, or long past: not an emergency now.
NOT_NOW = (
    r"\b(?:haha\w*|hehe|lol|lmao|mdr|ptdr|xd|jk)\b|"
    # Seen at an emergency department and home again: over, a side effect to report (not
    # when something is said to be happening now, or again, after it).
    r"\b(?:went to|been to|was at|ended up (?:in|at)|took (?:me|him|her) to|alle|allee|alles|"
    r"allees|passee?s?|ete|emmene\w*) (?:aux |the )?(?:a ?&? ?e|a and e|er|emergency|urgences|"
    r"urgence)\b[^.?!]{0,80}?\b(?:sent (?:me|him|her|us) home|back home|home now|discharged|"
    r"rentree?s?|de retour|sortie?s?|(?:a|at) (?:la maison|home)|laisse\w* (?:sortir|rentrer|"
    r"partir)|let (?:me|him|her|us) go)\b(?![^?!]*\b(?:now|again|encore|de nouveau|"
    r"maintenant|recommence\w*|reprend\w*)\b)|"
    # Ended up in hospital, told as past: in care, a serious side effect to report, not a call
    # for help (unless something happens now, or again, after it).
    r"\b(?:ended up|wound up|landed) (?:in|at) (?:the |a )?(?:hospital|a ?&? ?e|er|emergency|"
    r"urgences)\b(?![^?!]*\b(?:now|again|encore|de nouveau|maintenant|recommence\w*|"
    r"reprend\w*)\b)|\b(?:me suis|s'?est|se sont) retrouvee?s? (?:a l'? ?hopital|aux urgences)\b"
    r"(?![^?!]*\b(?:now|again|encore|de nouveau|maintenant|recommence\w*|reprend\w*)\b)|"
    r"\b(?:nearly|almost|j'ai failli|jai failli|a failli) (?:[\w']+ ){0,3}(?:[a-z]')?(?:heart attack|crise "
    r"cardiaque|died|mourir|choked|etouffe|faint\w*|pass\w* out|evanoui\w*|tombe\w* dans les "
    r"pommes)|\b(?:years|ages|long) ago\b|\bil y a (?:bien )?longtemps\b|"
    r"\b(?:\d+|a few|several|many|two|three|four|five|ten|twenty) (?:years?|yrs?|months?|"
    r"decades?) (?:ago|back|before)\b|"
    r"\bil y a (?:environ |presque |plus de |pres de |a peu pres )?(?:\d+|deux|trois|quatre|cinq|"
    r"six|dix|quelques|plusieurs|des) (?:ans|annees|mois)\b|\b(?:as a baby|when i was a baby|quand "
    r"j'etais bebe|etant bebe|(?:but )?(?:nothing|none) since|(?:mais )?plus rien depuis)\b|"
    r"\b(?:fait partie des|one of the|among the) (?:effets? secondaires?|side effects?)\b|"
    r"\b(?:in|en) (?:19|20)\d\d\b|\bin my (?:teens|twenties|thirties|forties|youth|childhood)\b|"
    r"\b(?:quand j'avais|a) (?:vingt|trente|quarante) ans\b|\bdans ma jeunesse\b|"
    r"\b(?:never had (?:one|any|it|them)|j'en ai jamais eu|jamais eu (?:de|d'|ca)|(?:the |le )?"
    r"(?:form|questionnaire|formulaire) (?:asks|demande))\b|\b(?:last year|l'an (?:dernier|passe)|l'annee (?:derniere|"
    r"passee))\b|\b(?:une fois|once|one time) (?:[\w']+ ){0,2}(?:a|at|when i was|"
    r"quand j'avais) \d+\b|\b(?:quand j'avais|j'avais) \d+ ans\b|\ba l'age de \d+ ans\b|"
    r"\bat (?:the )?age (?:of )?\d+\b|\baged \d+\b|\b(?:when i was|as a) (?:a )?(?:kid|child|teen\w*|young|\d+)\b|"
    r"\b(?:quand j'etais|une fois) (?:petit|petite|jeune|enfant|ado)\b|"
    r"\b(?:leaflet|notice|brochure) (?:[\w']+ ){0,3}(?:says|said|dit|indique|mentionne)\b|"
    r"\b(?:what are|what's|whats|what is) (?:the )?(?:signs?|symptoms?|warning signs?)\b|"
    r"\bquels? sont les (?:signes|symptomes)\b|\bcomment (?:reconnaitre|savoir si)\b|"
    r"\b(?:c'est quoi|cest quoi|c quoi|ce sont quoi|which are|what) (?:les |the )?(?:[\w']+ )?"
    r"(?:signes?|symptomes?|signs?|symptoms?)\b|\b(?:a surveiller|(?:to |should |i should )?"
    r"(?:watch|look) out for|is (?:[\w']+ ){1,3}a (?:side effect|symptom)|(?:c'est|est ce) "
    r"(?:[\w']+ ){0,2}(?:un effet secondaire|un symptome)|"
    r"how (?:do|would|will|can) (?:i|you|we) (?:know|tell|recogni[sz]e|spot))\b|"
    r"\b(?:do|to do) in (?:an |case of (?:an )?)?emergency\b|\ben cas d'urgen\w*"
)
# A condition had for years or since childhood: medical history, not a reaction to the study
# treatment ("asthma since I was a kid", "depuis toute petite", "diagnosed in 2015"). Its
# "since"/"depuis" links nothing to the treatment, and without another link in the message an
# NLU reading of a side effect does not count either.
_YEARS = (
    r"(?:\d+|a few|a couple of|a couple|several|many|some|two|three|four|five|six|seven|eight|"
    r"nine|ten|fifteen|twenty) (?:years?|yrs?|decades?)"
)
_ANS = (
    r"(?:\d+|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|quinze|vingt|plusieurs|quelques|"
    r"des|de nombreuses|bien des) (?:ans|annees|decennies)"
)
_YOUNG = (
    r"(?:tout |toute |tres |tt |only |just |a |an |very |really |little |tiny |small )*"
    r"(?:kid|child|little|young|baby|babies|toddler|teen\w*|boy|girl|infant|small|tiny|born|"
    r"school|\d+|petit|petite|ptit|ptite|p'tit|p'tite|enfant|gamin|gamine|bebe|ado|jeune|nee?|"
    r"gosse|mome|minot|minote|au college|au lycee|a l'ecole)"
)
HISTORY = (
    r"\b(?:i'm|im|i am|je suis|j'suis|he's|she's|il est|elle est) allergi\w* (?:to|a|au|aux)\b|"
    r"\b(?:normal for me|normal pour moi|as usual|comme d'habitude|d'habitude|usual for me|"
    r"habituel\w*|comme toujours|like always)\b|"
    r"\b(?:always have|always had|always been|toujours eu|toujours ete)\b|"
    rf"\b(?:since|ever since) (?:i|he|she|we|they|my \w+) (?:was|were|am|'m|is) {_YOUNG}\b|"
    r"\b(?:since|from) (?:birth|forever|childhood|my childhood|infancy|(?:my|his|her) (?:teens|"
    r"twenties|thirties|youth|school days)|(?:19|20)\d\d|the (?:80s|90s|eighties|nineties))\b|"
    rf"\b(?:for|over) (?:the (?:last|past) )?(?:years|ages|decades|(?:a )?(?:very )?long time|"
    rf"most of my life|{_YEARS})\b|"
    r"\b(?:all (?:my|his|her) life|(?:my|his|her) (?:whole|entire) life|as long as i can "
    r"remember|born with|since i can remember|life ?long|chronic\w*|long ?standing|hereditary|"
    r"runs in (?:the|my|our) family)\b|"
    r"\b(?:i've|ive|i have|i|he has|he's|she has|she's|i'm|im) always (?:had|been|suffered|got|"
    r"struggled)\b|"
    r"\bdiagnos\w* (?:[\w']+ ){0,4}(?:in|at|when|aged?|as a|years|back|long|a while|(?:19|20)\d\d)\b|"
    rf"\bdepuis (?:que |qu' ?|ke |q )(?:je suis|j'suis|jsuis|chu|il est|elle est|j'etais|jetais|"
    rf"il etait|elle etait|on est|on etait) {_YOUNG}\b|"
    rf"\bdepuis (?:l'|l|mon |ma |son |sa |la |le |mes )?(?:enfance|naissance|adolescence|jeunesse|"
    rf"toujours|tout petit|toute petite|toute jeune|tout jeune|tt petit|tt petite|petit|petite|ptit|"
    rf"ptite|bebe|(?:tres |bien )?longtemps|des lustres|(?:19|20)\d\d|l'age de \d+ ans|\d+ ans|"
    rf"ecole|college|lycee|{_ANS})\b|"
    r"\b(?:toute (?:ma|sa) vie|de naissance|chronique\w*|hereditaire\w*|de famille)\b|"
    r"\b(?:j'ai|jai|j ai|il a|elle a|je suis|jsuis) toujours (?:eu|ete|souffert)\b|"
    rf"\bdiagnostiqu\w* (?:[\w']+ ){{0,4}}(?:en|a|il y a|quand|des|depuis|(?:19|20)\d\d)\b|"
    rf"\b(?:il y a|ca fait|cela fait|ça fait) {_ANS} (?:que|qu')"
)
# A question about signs in general ("what are the symptoms of a reaction to the drug?"):
# it reports nothing.
GENERAL_QUESTION = (
    r"\b(?:what are|what's|whats|which are|quels? sont|quelles sont|c'est quoi|cest quoi|c quoi) "
    r"(?:the |les |des )?(?:[\w']+ )?(?:signs?|symptoms?|signes?|symptomes?|side effects?|"
    r"effets? (?:secondaires?|indesirables?))\b|\b(?:how (?:do|would|will|can) (?:i|you|we) "
    r"(?:know|tell|recogni[sz]e|spot)|to (?:watch|look) out for|a surveiller|comment "
    r"(?:reconnaitre|savoir|on sait)|how (?:do|can|should|would) (?:i|we|you) (?:report|declare|"
    r"tell)|comment (?:on |je |faire pour |est ce qu'on )?(?:declar\w*|signal\w*)|"
    r"who (?:do|should) i (?:tell|contact|call)|(?:know|learn|hear|read|understand|connaitre|"
    r"savoir|comprendre|lire|en savoir plus sur|info\w* sur) (?:about )?(?:the |les |des )?"
    r"(?:possible |possibles )?(?:side effects?|effets? (?:secondaires?|indesirables?))|(?:will|does|would) (?:it|the [\w']+|they) "
    r"(?:hurt|sting)|(?:est ce que|est-ce que|ca) (?:[\w']+ ){0,3}(?:fait|fera|va faire|va piquer) "
    r"mal|qui (?:je )?(?:previen\w*|contact\w*|appel\w*))\b"
)
# Effort that explains being out of breath, and words that say it is acute all the same.
EXERTION = (
    r"\b(?:climbing|walking up|going up|running|jogging|exercis\w*|stairs|hills?|gym|sport|"
    r"workout|en montant|escaliers?|cotes|en courant|footing|velo|a l'effort|effort\w*|lifting|"
    r"carrying|gardening|moving house|portant|en portant|jardinage|demenag\w*|fell off|"
    r"tombee? (?:de|du|de la) (?:velo|balancoire|lit|chaise|trottinette|escalier)|slipped|glisse\w*)\b"
)
ACUTE = (
    r"\b(?:now|right now|currently|at the moment|tonight|suddenly|"
    r"all of a sudden|getting worse|worse|worst|help|urgent|emergency|scared|can't|cant|cannot|"
    r"maintenant|en ce moment|ce soir|d'un coup|soudain\w*|aide\w*|"
    r"au secours|urgen\w*|empire|pire|peur|vite|arrive (?:pas|plus)|peu[xt] (?:pas|plus))\b"
)
# A message that opens as a question about the treatment ("does a racing heart happen with
# this drug?") asks; it reports nothing.
OPENS_AS_QUESTION = (
    r"^(?:does|do|can|could|will|would|are|should|what|whats|which|how|when|quels?|quelles?|"
    r"comment|quand|est ce que (?:le|la|les|ce|cette|ces|l')|ca peut|peut on)\b"
)
# A question asked at the end of what the message tells, with no question mark (the text is
# folded, without punctuation): "and im on blood thinners long term, is that a problem".
ASKED_AFTER = (
    r"\b(?:is (?:that|it|this) (?:a |an )?(?:probleme?|issue|ok|okay|bad|normal|safe|dangerous|"
    r"serious|allowed|fine)|(?:c'est|c est|est ce) (?:grave|un probleme|genant|normal|ok|bon|"
    r"dangereux)|ca pose (?:un )?probleme|or not|ou pas|ou non)$"
)
# What says an event told as past is happening again now ("a heart attack 10 years ago, and
# now the same pain"): the past no longer excuses it.
HAPPENING_NOW = (
    r"\b(?:now|right now|currently|at the moment|tonight|again|suddenly|maintenant|en ce moment|"
    r"ce soir|encore|de nouveau|a nouveau|d'un coup|soudain\w*)\b"
)
# Someone the message speaks of: an NLU reading of a side effect needs it, so that a general
# question about side effects ("what counts as one?") is not a report.
SOMEONE = (
    r"\b(?:i|i'm|im|i've|ive|i'd|me|my|mine|we|our|he|she|his|her|him|je|j'\w+|j|me|m'\w+|"
    r"moi|mon|ma|mes|nous|il|elle|lui|son|sa|ses)\b"
)

# Signs of the body or of danger: an NLU reading of an emergency needs one, so that the NLU
# cannot raise an emergency over a glass of wine or a crashing app.
DANGER_CUES = (
    r"\b(?:breath\w*|air|chest|heart\w*|pain\w*|hurt\w*|blood\w*|bleed\w*|pills?|tablets?|"
    r"capsules?|meds|overdos\w*|die|dying|dead|death|kill\w*|suicid\w*|wak\w*|awake|faint\w*|"
    r"collaps\w*|unconscious|seizure\w*|fit|swell\w*|swollen|throat|tongue|lips?|face|arm|leg|"
    r"side|speak\w*|talk\w*|speech|help|ambulance|emergency|urgent|hospital|floor|fell|fall\w*|"
    r"vomit\w*|dizzy|numb|weak\w*|chok\w*|allerg\w*|stung|sting|scared|panic\w*|wrong|end|"
    r"respir\w*|souffle|poitrine|coeur|douleur\w*|mal|sang|saign\w*|cachets?|comprimes?|"
    r"medicaments?|mourir|mort\w*|meurs|tuer|reveill\w*|evanoui\w*|tomb\w*|malaise|crise|"
    r"gonfl\w*|gorge|langue|levres?|visage|bras|jambe|cote|parl\w*|aide\w*|secours|urgence|"
    r"hopital|terre|vomi\w*|vertiges?|engourdi\w*|faible|etouff\w*|pique\w*|peur|panique|"
    r"fin|finir|arret\w*)\b"
)

# Said to reassure ("I'm breathing fine now"): keeps an NLU reading of an emergency from
# counting, never a rule's finding.
REASSURED = (
    r"\b(?:fine|okay|ok|better|all good|passed|gone|ca va|va bien|vais bien|bien maintenant|"
    r"mieux|passee?|rassure\w*|respire (?:tres |super )?bien|breathing (?:is )?fine|breathe fine|"
    r"tout va bien|(?:est |suis |sont )?rentree?s? a la maison|back home|sent (?:me|him|her) home|"
    r"let (?:me|him|her) go home|home now|(?:not|pas) (?:an |une )?(?:emergency|urgence))\b"
)
# Already in the care of a hospital ("he IS in hospital already, they are looking after him"):
# the NLU's reading of an emergency there asks nobody to call for help; a danger the rules know
# still raises one.
# Emergency help coming or there (folded): "ambulance on its way now", "les pompiers arrivent",
# "le samu est là".
HELP_ON_ITS_WAY = (
    r"(?:ambulance|paramedics?|medics|help|pompiers|samu|secours|smur)(?: (?:is|are|r|est|"
    r"sont))?(?: (?:now|already|just|finally|deja|enfin|bientot))? (?:on (?:its|their|the) way|"
    r"coming|here|there|arrived|en route|arrive\w*|la|ici)"
)
IN_CARE = (
    r"\b(?:(?:is|hes|he's|shes|she's|i'm|im|am|are|still|already) (?:still |already |now )?in "
    r"(?:the |a )?(?:hospital|icu|intensive care|a ward)|(?:they|nurses|doctors) (?:are|r) "
    r"(?:looking after|taking care of|treating) (?:him|her|me|them)|(?:est|suis|sont) (?:deja |"
    r"encore |toujours )?(?:a l'? ?hopital|en reanimation|aux urgences|hospitalise\w*)|"
    r"(?:ils|on) s'?occupe\w* (?:de lui|d'elle|de moi|bien de)|"
    # A stay in hospital told as past: "severe forcement j etais a l hopital", answering how
    # much it affects daily life, is no call for 112 (the follow-up records the stay).
    r"(?:j'? ?etais|j'? ?ai ete|i was|i'?ve been|ive been|he was|she was|il etait|elle etait|"
    r"il a ete|elle a ete) (?:a l'? ?hopital|aux urgences|hospitalise\w*|in (?:the )?hospital|"
    r"at (?:the )?hospital|in a&e|admitted)|"
    # Help on its way or there: "ambulance on its way now", "les pompiers arrivent", after the
    # emergency number was given, is no second emergency.
    rf"{HELP_ON_ITS_WAY})\b"
)
# Where a mild symptom is, or a mild one named: "a rash spreading to his chest", "sore throat
# and a hoarse voice". Taken out before the NLU's reading of an emergency is weighed: "chest"
# or "throat" there are no danger.
MILD_MENTIONS = (
    r"\b(?:(?:rash|spots|plaques?|boutons|rougeurs?|hives|urticaire|itch\w*|red patch\w*|"
    r"eczema|bruis\w*|bleus?)\b[^.?!]{0,40}?\b(?:chest|face|arms?|legs?|neck|back|tummy|"
    r"poitrine|torse|visage|bras|jambes?|cou|dos|ventre)|(?:spread\w*|s'?etend\w*) (?:[\w']+ ){0,2}"
    r"(?:to|on|over|across|onto|sur|a|au|jusqu'?(?:a|au)) (?:(?:his|her|my|the|la|le|son|sa|mon|ma) )?"
    r"(?:chest|face|arms?|legs?|neck|back|poitrine|torse|visage|bras|jambes?|cou|dos)|sore throat|throat (?:is )?(?:sore|"
    r"scratchy|itchy|dry)|hoarse\w*|(?:mal|maux) (?:a|de) (?:la )?gorge|gorge (?:qui gratte|"
    r"irritee|seche)|enroue\w*|voix (?:cassee|enrouee))\b"
)
# Said of how one feels, it is good news, not a side effect ("feeling great since the study").
GOOD = (
    r"\b(?:great|good|super|fantastic|brilliant|excellent|amazing|top|en forme|pleine forme|"
    r"super bien|tres bien|au top|nickel|impeccable)\b"
)
# Questions about the trial itself (what is allowed, how many, when): a reading of an emergency
# or a side effect by the NLU alone does not count on them.
ASKS_ABOUT_TRIAL = (
    r"\b(?:is (?:that|it|this) (?:allowed|ok|okay|permitted|safe)|(?:c'est|cest|est ce) "
    r"(?:autorise|permis|ok|possible)|can i|may i|could i|am i allowed|je peux|puis je|"
    r"est ce que je (?:peux|dois)|on peut|how many|how much|how often|combien|do i need|"
    r"should i (?:bring|take|come)|dois je|faut il|when do i|quand (?:est ce que )?je)\b"
)
# Said to make light of it: a reading by the NLU alone does not count.
MINOR = (
    r"\b(?:rien de grave|nothing serious|no big deal|pas grave|nothing major|just a (?:scratch|"
    r"graze|bruise|scrape|small)|juste un (?:petit|genou|bleu|egratign\w*)|minor|egratign\w*|"
    r"scraped|grazed|(?:c'est|it's|its) (?:juste|just|only|seulement)|just (?:asking|wondering|"
    r"curious)|je demande juste|juste pour savoir|prise de sang|blood (?:test|draw)|dentist\w*|"
    r"dentiste|(?:arrache|pulled|out) (?:[\w']+ )?(?:dent|tooth)|tooth out)\b"
)

# Figures of speech the NLU may read as an emergency ("this form is killing me"). They only
# keep the NLU's reading from counting: a rule's finding in the same message still stands.
FIGURES_OF_SPEECH = (
    r"\b(?:killing me|kills me|(?:be )?the death of me|early grave|me tuen?t?|driving me "
    r"(?:crazy|mad|nuts|insane)|rendre (?:fou|folle|dingue)|sick (?:of|and tired)|en ai marre|"
    r"j'en peux plus de (?:cette|ce|ces) (?:[\w']+ )?(?:formulaire|appli|application|attente)|"
    r"breath of fresh air|bouffee d'air frais|dying to|meurs d'envie|bored to death|"
    r"(?:mourir|mort|meurs) d'ennui|hay fever|rhume des foins|etouffant\w*|stifling|"
    r"suffocating heat|chaleur|heart sank|peur bleue|prendre l'air|(?:get|need) some (?:fresh )?air|"
    r"bored|ennui\w*|m'ennuie|gasping for (?:a |an )?(?:cup|drink|brew|cuppa|coffee|tea|pint|"
    r"cigarette|fag|smoke)|heart (?:is |was )?broken|broken heart\w*|heartbroken|"
    r"coeur (?:est )?brise|passed away|deceased|decede\w*|(?:dog|cat|pet|chien|chat) "
    r"(?:[\w']+ ){0,2}(?:died|is dead|est mort\w*))\b"
)
# Fear of harming oneself is no negation of it ("j'ai peur de me faire du mal ce soir").
FEAR = r"\b(?:peur|afraid|scared|worried|inquiet\w*|fear\w*|crain\w*|terrified|terrifie\w*)\b"
# Words that look like a negation and are none: "sans arrêt" (all the time), "not sure".
NOT_A_NEGATION = (
    r"\b(?:sans (?:arret|cesse|fin|raison|prevenir)|non stop|nonstop|not sure|pas sure?s?|"
    r"je (?:ne )?sais pas (?:si|pourquoi|quoi)|jsp|don't know (?:if|why|what)|"
    r"dont know (?:if|why|what)|no idea|aucune idee|can't stop|cant stop|won't stop|wont stop|"
    r"doesn't stop|doesnt stop|(?:s')?arrete pas|(?:s')?arrete plus|(?:don't|dont|doesn't|"
    r"doesnt) agree with|(?:reussi\w*|convien\w*|supporte\w*|tolere\w*|passe\w*) (?:pas|mal)|"
    r"(?:can't|cant|cannot|peux pas|peut pas|arrive pas a) (?:bend|move|turn|plier|bouger|"
    r"tourner)|(?:j'|n')?arrive (?:pas|plus) a (?:finir|parler|dire|sortir)|(?:can't|cant|cannot|"
    r"couldn't) (?:finish|get|speak|talk|say)|"
    # "it's not an emergency, she's in hospital": what is denied is the emergency.
    r"(?:it'?s|its|it is|c'?est|cest|c) (?:not|pas|no longer|plus) (?:an |une )?(?:emergency|"
    r"urgence))\b"
)
NEGATION = (
    r"\b(?:no|not|never|without|dont|don't|doesnt|doesn't|didnt|didn't|isnt|isn't|havent|"
    r"haven't|hasnt|hasn't|hadnt|nor|none|zero|free of|denies|pas|aucun|aucune|sans|"
    r"jamais|ni|rien|du tout|plus jamais|ne veux pas|n'ai pas|nai pas|pas eu|if|what if|in case|si j'|si je|"
    r"et si|au cas ou|worried about|afraid of|scared of|peur de|peur des|inquiet\w*|"
    r"peur d'\w+|worried (?:that|i|i'll|i'd|it|it'll)|afraid (?:that|i|i'll|i'd|it)|"
    r"scared (?:that|it|it'll)|fear\w*|crain\w*)\b"
)
