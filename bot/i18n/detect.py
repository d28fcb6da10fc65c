"""Tell English from French in the short, informal messages people send to a chatbot.

Statistical detectors guess poorly on two or three words ("ok merci", "salut"), so this scores
the words that carry the language in chat: greetings, function words, common verbs and the
letters only French uses. It answers None when a message gives no evidence either way.
"""

from __future__ import annotations

import re
import unicodedata

from bot.i18n.languages import Language

_FRENCH = frozenset(
    """
    bonjour bonsoir salut coucou bjr slt cc merci mercii bcp svp stp oui ouais non nan
    daccord je j jai jsuis jveux tu il elle nous vous ils elles on me moi toi mon ma mes ton
    ta tes son sa ses notre nos votre vos leur leurs le la les un une des du de au aux ce
    cet cette ces qui que quoi quel quelle quels quelles est es suis sont sommes etes ai as
    avons avez ont fait faire peux peut pouvez voudrais veux voulez aimerais dois doit avoir
    etre et ou mais donc car avec sans pour par sur dans chez pas plus tres bien mal aussi
    encore deja comment pourquoi quand combien ou rendez rdv vous ca cela ceci ici voila
    parler francais anglais essai etude medicament traitement medecin aide aidez besoin
    urgence douleur rien tout toute tous jamais revoir bientot journee soiree semaine demain
    hier aujourdhui heure quelquun personne jarrive arrive arrivons pu plu respirer respire
    souffle poitrine coeur tete ventre jpeux jpe chui jsais sais jsp koi kwa ke pk pq pcq
    quoi cest c kan qd tjr tjrs bcp mtn maintenant svp ma mon mere pere fille fils mari femme
    jme jte ya mal malade fievre tombe tomber vomi saigne enceinte prend prends pris avale
    """.split()  # noqa: SIM905 - a word list reads best as text
)

_ENGLISH = frozenset(
    """
    hello hi hey hiya yo thanks thank thx ty please pls plz yes yeah yep no nope nah
    i im ive id my me mine you your youre he she we they our their the an of to in on at
    for with without from by about is are am was were be been do does did have has had can
    could would should will shall want need what which who whom when where why how this that
    these those and or but not very too also still already there here speak english french
    trial study drug medicine doctor help emergency pain nothing everything never bye
    goodbye see later morning evening night week tomorrow yesterday today hour someone
    anyone appointment visit join
    """.split()  # noqa: SIM905 - a word list reads best as text
)

# Letters that appear in French words but not in English ones.
_FRENCH_LETTERS = re.compile(r"[àâçéèêëîïôûùüÿœæ]", re.IGNORECASE)
_WORD = re.compile(r"[a-z]+")


def _fold(text: str) -> str:
    """Lower case without accents, apostrophes joined the way people drop them ("j'ai" -> "jai")."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("’", "'"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\b(j|l|d|qu|c|n|s|m|t)'(?=\w)", r"\1", stripped)


def detect_language(text: str, margin: int = 1) -> Language | None:
    """The language `text` is written in, or None when it is too short or too mixed to tell:
    when one language's evidence does not lead the other's by `margin`. A button's payload
    ("/back_to_assistant") is no one's words and says nothing."""
    if text.lstrip().startswith("/"):
        return None
    words = _WORD.findall(_fold(text))
    french = sum(word in _FRENCH for word in words) + 2 * len(_FRENCH_LETTERS.findall(text))
    english = sum(word in _ENGLISH for word in words)
    if abs(french - english) < margin:
        return None
    return "fr" if french > english else "en"
