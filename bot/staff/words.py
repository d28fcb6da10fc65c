"""The staff pages in English and French: one catalogue keyed by the English text.

`t(lang, "{n} waiting", n=3)` gives the text in the language with its values filled in; English
is the key itself, so an English page never depends on the catalogue. A test checks that every
text the pages and modules ask for has its French.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from bot.channels import registry

Lang = Literal["en", "fr"]
LANGUAGES: tuple[Lang, ...] = ("en", "fr")

FR: dict[str, str] = {
    # Frame, sign-in, errors
    "Staff": "Équipe",
    "Trial assistant": "Assistant des essais",
    "Trial assistant · staff": "Assistant des essais · équipe",
    "Staff pages": "Pages de l'équipe",
    "Inbox": "À traiter",
    "Knowledge": "Connaissances",
    "Recruitment": "Recrutement",
    "Participants": "Participants",
    "Admin": "Administration",
    "Sign out": "Se déconnecter",
    "Sign in": "Se connecter",
    "coordinator": "coordination",
    "admin": "administration",
    "Times are in {zone}.": "Heures de {zone}.",
    "E-mail address": "Adresse e-mail",
    "Password": "Mot de passe",
    "No account? An administrator creates one with": (
        "Pas de compte ? Un administrateur en crée un avec"
    ),
    "Not available": "Indisponible",
    "This page is not available.": "Cette page n'est pas disponible.",
    "Back to the inbox": "Retour à la liste",
    "Wrong e-mail address or password. After {failures} wrong passwords in a row an account is "
    "locked for {minutes} minutes; an administrator can lift it sooner with the "
    "command trialbot staff unlock.": (
        "Adresse e-mail ou mot de passe incorrect. Après {failures} mots de passe erronés "
        "d'affilée, un compte est bloqué pendant {minutes} minutes ; un administrateur peut le "
        "débloquer avant avec la commande trialbot staff unlock."
    ),
    "Too many sign-in attempts from this address. Wait {seconds} seconds and try again.": (
        "Trop de tentatives de connexion depuis cette adresse. Attendez {seconds} secondes et "
        "réessayez."
    ),
    "This account is disabled. Ask an administrator.": (
        "Ce compte est désactivé. Adressez-vous à un administrateur."
    ),
    "The sign-in form had expired. Please try again.": (
        "Le formulaire de connexion avait expiré. Veuillez réessayer."
    ),
    "Your session has ended. Please sign in again.": (
        "Votre session a pris fin. Veuillez vous reconnecter."
    ),
    "This form has expired. Go back, reload the page and try again.": (
        "Ce formulaire a expiré. Revenez en arrière, rechargez la page et réessayez."
    ),
    "This form was sent from another site.": "Ce formulaire a été envoyé depuis un autre site.",
    "This page is for administrators.": "Cette page est réservée aux administrateurs.",
    "No participant with the code {code}.": "Aucun participant avec le code {code}.",
    # Inbox
    "What is waiting": "Ce qui attend",
    "{n} urgent": "{n} urgent(s)",
    "{n} waiting": "{n} en attente",
    "{n} safety event": "{n} événement de sécurité",
    "{n} safety events": "{n} événements de sécurité",
    "{n} request for the team": "{n} demande pour l'équipe",
    "{n} requests for the team": "{n} demandes pour l'équipe",
    "{n} follow-up": "{n} suivi",
    "{n} follow-ups": "{n} suivis",
    "{n} failed reminder": "{n} rappel non remis",
    "{n} failed reminders": "{n} rappels non remis",
    "{n} failed check-in": "{n} point de suivi non remis",
    "{n} failed check-ins": "{n} points de suivi non remis",
    "Nothing is waiting. New safety events, requests for the team, contact and reschedule "
    "requests, failed reminders and failed check-ins appear here, urgent ones first.": (
        "Rien n'attend. Les nouveaux événements de sécurité, demandes pour l'équipe, demandes de "
        "contact ou de report, rappels et points de suivi non remis apparaissent ici, les "
        "urgents d'abord."
    ),
    "Urgent": "Urgent",
    "Acknowledge": "Pris en compte",
    "Answer": "Réponse",
    "Your answer, as the person will read it ({language})": (
        "Votre réponse, telle que la personne la lira ({language})"
    ),
    "Close the request with this answer": "Clore la demande avec cette réponse",
    "Send answer": "Envoyer la réponse",
    "Close without answer": "Clore sans répondre",
    "Done": "Traité",
    "Emergency": "Urgence",
    "Adverse event": "Effet indésirable",
    "Wants the study team": "Demande l'équipe de l'étude",
    "Not understood twice — handed to the team": "Incompris deux fois — confié à l'équipe",
    "Handoff": "Demande pour l'équipe",
    "Contact request": "Demande de contact",
    "Screening to review": "Présélection à examiner",
    "Reschedule request": "Demande de report",
    "Appointment cancelled": "Rendez-vous annulé",
    "Asked the study team to get in touch.": "A demandé que l'équipe de l'étude le contacte.",
    "A pre-screening answer needs a person's judgement.": (
        "Une réponse de présélection demande l'avis d'une personne."
    ),
    "Asked to change the date of an appointment.": "A demandé à changer la date d'un rendez-vous.",
    "Cancelled an appointment from a reminder.": "A annulé un rendez-vous depuis un rappel.",
    "Reminder not delivered": "Rappel non remis",
    "The reminder could not be delivered.": "Le rappel n'a pas pu être remis.",
    "Check-in not delivered": "Point de suivi non remis",
    "The check-in could not be delivered.": "Le point de suivi n'a pas pu être remis.",
    "Phone": "Téléphone",
    "Preferred time": "Moment préféré",
    "Contact by": "Contact par",
    "Screening": "Présélection",
    "Appointment": "Rendez-vous",
    "Attempts": "Tentatives",
    "Times are {city} time ({offset}).": "Les heures sont celles de {city} ({offset}).",
    "Times are {zone}.": "Les heures sont en {zone}.",
    "Person {id}": "Personne {id}",
    "{visit} at {site}": "{visit} à {site}",
    "just now": "à l'instant",
    "{n} min ago": "il y a {n} min",
    "{n} h ago": "il y a {n} h",
    "{n} days ago": "il y a {n} jours",
    "patient": "patient",
    "staff": "équipe",
    "assistant": "assistant",
    "morning": "le matin",
    "afternoon": "l'après-midi",
    "evening": "le soir",
    "any": "n'importe quand",
    "chat": "messagerie",
    "phone": "téléphone",
    "general": "général",
    "breathing": "respiration",
    "chest pain": "douleur thoracique",
    "allergy": "allergie",
    "bleeding": "saignement",
    "seizure": "convulsions",
    "stroke": "AVC",
    "suicide": "suicide",
    "unconscious": "perte de connaissance",
    "overdose": "surdosage",
    "after treatment": "après le traitement",
    "reported": "signalé",
    "Safety event {id} acknowledged.": "Événement de sécurité {id} pris en compte.",
    "Request {id} marked done.": "Demande {id} marquée comme traitée.",
    "Failed reminder {id} marked as dealt with.": "Rappel non remis {id} marqué comme traité.",
    "There is no safety event {id}.": "Il n'y a pas d'événement de sécurité {id}.",
    "The safety event {id} was already acknowledged.": (
        "L'événement de sécurité {id} avait déjà été pris en compte."
    ),
    "There is no follow-up {id}.": "Il n'y a pas de demande {id}.",
    "The follow-up {id} is no longer open.": "La demande {id} n'est plus ouverte.",
    "There is no reminder {id}.": "Il n'y a pas de rappel {id}.",
    "The reminder {id} was not a failed one.": "Le rappel {id} n'était pas un rappel non remis.",
    "Reminder {id} was already marked done.": "Le rappel {id} était déjà marqué comme traité.",
    "Failed check-in {id} marked as dealt with.": (
        "Point de suivi non remis {id} marqué comme traité."
    ),
    "There is no check-in {id}.": "Il n'y a pas de point de suivi {id}.",
    "The check-in {id} was not a failed one.": (
        "Le point de suivi {id} n'était pas un point de suivi non remis."
    ),
    "Check-in {id} was already marked done.": (
        "Le point de suivi {id} était déjà marqué comme traité."
    ),
    "Write an answer before sending it.": "Écrivez une réponse avant de l'envoyer.",
    "The answer is too long (4,000 characters at most).": (
        "La réponse est trop longue (4 000 caractères au plus)."
    ),
    "Answer for request {id}: {outcome}.": "Réponse à la demande {id} : {outcome}.",
    "Closing notice for request {id}: {outcome}.": (
        "Avis de clôture de la demande {id} : {outcome}."
    ),
    "delivered": "remise",
    "queued: it will be delivered as soon as the channel answers": (
        "en file d'attente : elle sera remise dès que le canal répondra"
    ),
    "not delivered ({error})": "non remise ({error})",
    # Knowledge
    "Knowledge base": "Base de connaissances",
    "Questions the assistant could not answer": "Questions restées sans réponse",
    "Grouped by meaning, most asked first: each group is a gap to fill with a new or better "
    "entry.": (
        "Regroupées par sens, les plus posées d'abord : chaque groupe est un manque à combler "
        "par une fiche nouvelle ou meilleure."
    ),
    "No unanswered questions yet.": "Aucune question sans réponse pour l'instant.",
    "Asked": "Posée",
    "Question": "Question",
    "Languages": "Langues",
    "Last asked": "Dernière fois",
    "Closest entries tried": "Fiches les plus proches",
    "Entries due for review within 30 days": "Fiches à relire dans les 30 jours",
    "An entry past its review date is no longer served: the assistant says it does not know "
    "instead.": (
        "Une fiche dont la date de relecture est passée n'est plus servie : l'assistant dit "
        "qu'il ne sait pas."
    ),
    "No entry is due for review in the next 30 days.": (
        "Aucune fiche à relire dans les 30 prochains jours."
    ),
    "Entry": "Fiche",
    "Language": "Langue",
    "File": "Fichier",
    "Review due": "Relecture prévue",
    "Reviewed by": "Relue par",
    "expired: not served": "expirée : plus servie",
    "in 1 day": "dans 1 jour",
    "in {n} days": "dans {n} jours",
    "“Not helpful” feedback per entry": "Avis « pas utile » par fiche",
    "No feedback on answers yet.": "Aucun avis sur les réponses pour l'instant.",
    "Not helpful": "Pas utile",
    "Helpful": "Utile",
    "Share not helpful": "Part « pas utile »",
    "Last “not helpful”": "Dernier « pas utile »",
    # Funnel
    "Recruitment funnel": "Entonnoir de recrutement",
    "Trial": "Essai",
    "All trials": "Tous les essais",
    "Campaign": "Campagne",
    "All campaigns": "Toutes les campagnes",
    "Period": "Période",
    "All time": "Depuis le début",
    "Last 7 days": "7 derniers jours",
    "Last 30 days": "30 derniers jours",
    "Last 90 days": "90 derniers jours",
    "Show": "Afficher",
    "Export CSV": "Exporter en CSV",
    "campaign {name}": "campagne {name}",
    "Recruitment funnel: {what}": "Entonnoir de recrutement : {what}",
    "Step": "Étape",
    "People": "Personnes",
    "Of conversations": "Des conversations",
    "Lost since previous step": "Perdues depuis l'étape précédente",
    "Per campaign": "Par campagne",
    "No conversations in this period.": "Aucune conversation sur cette période.",
    "Where pre-screening stops": "Où la présélection s'arrête",
    "Choose a trial to see, for each of its questions, how many people answered it and how "
    "many stopped there.": (
        "Choisissez un essai pour voir, pour chacune de ses questions, combien de personnes y "
        "ont répondu et combien se sont arrêtées là."
    ),
    "No pre-screening for this trial yet.": "Aucune présélection pour cet essai pour l'instant.",
    "Answered": "Répondu",
    "Stopped here": "Arrêt ici",
    "Conversations": "Conversations",
    "Started pre-screening": "Présélection commencée",
    "Finished pre-screening": "Présélection terminée",
    "Likely eligible or to review": "Probablement éligible ou à examiner",
    "Agreed to be contacted": "D'accord pour être contacté",
    "Got an appointment": "Rendez-vous obtenu",
    "Confirmed an appointment": "Rendez-vous confirmé",
    "Retention: check-ins answered": "Rétention : points de suivi répondus",
    "Scheduled check-ins of enrolled participants, per trial and check-in. Closed: answered, "
    "missed or not delivered; still open: due or sent, not answered yet. Cancelled ones are left "
    "out.": (
        "Points de suivi programmés des participants inclus, par essai et par point. Clos : "
        "répondus, manqués ou non remis ; encore ouverts : à envoyer ou envoyés, sans réponse pour "
        "l'instant. Les points annulés ne sont pas comptés."
    ),
    "Only the participants whose conversation began in the chosen campaign and period.": (
        "Seulement les participants dont la conversation a commencé dans la campagne et la "
        "période choisies."
    ),
    "No trial has check-ins.": "Aucun essai n'a de points de suivi.",
    "Still open": "Encore ouverts",
    "{answered} of {closed} answered": "{answered} sur {closed} répondus",
    "{answered} of {closed} answered ({percent} %)": (
        "{answered} sur {closed} répondus ({percent} %)"
    ),
    "All check-ins": "Tous les points de suivi",
    # Participants
    "Participant code": "Code participant",
    "Find": "Chercher",
    "No participant code matches “{query}”.": "Aucun code participant ne correspond à « {query} ».",
    "No participants yet: register them with": (
        "Aucun participant pour l'instant : inscrivez-les avec"
    ),
    "Code": "Code",
    "Chat linked": "Messagerie liée",
    "Next appointment": "Prochain rendez-vous",
    "Reminders sent": "Rappels envoyés",
    "Reminders failed": "Rappels non remis",
    "yes": "oui",
    "not yet": "pas encore",
    "Participant {code}": "Participant {code}",
    "chat linked": "messagerie liée",
    "chat not linked yet": "messagerie pas encore liée",
    "link code active until {time}": "code de liaison valable jusqu'au {time}",
    "link code used": "code de liaison utilisé",
    "link code expired": "code de liaison expiré",
    "Web chat": "Chat web",
    "Appointments and reminders": "Rendez-vous et rappels",
    "No appointments.": "Aucun rendez-vous.",
    "When (time at the site)": "Quand (heure du site)",
    "Visit": "Visite",
    "Site": "Site",
    "Status": "Statut",
    "Reminders": "Rappels",
    "scheduled": "prévu",
    "confirmed": "confirmé",
    "reschedule_requested": "report demandé",
    "reschedule requested": "report demandé",
    "cancelled": "annulé",
    "sent": "envoyé",
    "failed": "non remis",
    "Consent history": "Historique des consentements",
    "From the consent ledger, oldest first. Each record is chained to the one before it; this "
    "command checks the whole chain:": (
        "Depuis le registre des consentements, du plus ancien au plus récent. Chaque "
        "enregistrement est chaîné au précédent ; cette commande vérifie toute la chaîne :"
    ),
    "No consent recorded for this participant's chat.": (
        "Aucun consentement enregistré pour la messagerie de ce participant."
    ),
    "Recorded": "Enregistré",
    "Consent": "Consentement",
    "Version": "Version",
    "Decision": "Décision",
    "Record": "Enregistrement",
    "granted": "accordé",
    "refused": "refusé",
    "withdrawn": "retiré",
    "erased": "effacé",
    # A participant's check-ins
    "Check-ins": "Points de suivi",
    "Check-in": "Point de suivi",
    "No check-ins.": "Aucun point de suivi.",
    "{n} answered": "{n} répondu(s)",
    "{n} missed": "{n} manqué(s)",
    "{n} overdue": "{n} en retard",
    "{n} awaiting answers": "{n} en attente de réponses",
    "{n} to send": "{n} à envoyer",
    "{answered} answered, {missed} missed": "{answered} répondu(s), {missed} manqué(s)",
    "Overdue: sent a day ago or more and not answered yet; the participant may need a call.": (
        "En retard : envoyé il y a un jour ou plus et toujours sans réponse ; le participant a "
        "peut-être besoin d'un appel."
    ),
    "Due (participant's time)": "Prévu (heure du participant)",
    "Answers": "Réponses",
    "Safety event {id}": "Événement de sécurité {id}",
    "due: waiting to be sent": "à envoyer : attend son heure d'envoi",
    "awaiting answers": "en attente de réponses",
    "overdue: no answer for a day": "en retard : sans réponse depuis un jour",
    "answered": "répondu",
    "missed": "manqué",
    "Yes": "Oui",
    "No": "Non",
    "Don't know": "Ne sait pas",
    "Passed": "Passée",
    "Stopped before the last question.": "Arrêté avant la dernière question.",
    "Its answers were encrypted with a key no longer configured.": (
        "Ses réponses ont été chiffrées avec une clé qui n'est plus configurée."
    ),
    # Admin
    "Accounts and audit log": "Comptes et journal d'audit",
    "Staff accounts": "Comptes de l'équipe",
    "Accounts are managed on the command line; every change is in the audit log:": (
        "Les comptes se gèrent en ligne de commande ; chaque changement est dans le journal "
        "d'audit :"
    ),
    "E-mail": "E-mail",
    "Role": "Rôle",
    "State": "État",
    "Last sign-in": "Dernière connexion",
    "active": "actif",
    "locked": "bloqué",
    "disabled": "désactivé",
    "never": "jamais",
    "Audit log": "Journal d'audit",
    "The newest 200 actions; all of them:": "Les 200 actions les plus récentes ; toutes :",
    "When (UTC)": "Quand (UTC)",
    "Who": "Qui",
    "Action": "Action",
    "Subject": "Objet",
    "From": "Depuis",
    # A side effect's record
    "Serious adverse event": "Événement indésirable grave",
    "no": "non",
    "report due in {n} h": "à déclarer dans {n} h",
    "report overdue by {n} h": "déclaration en retard de {n} h",
    "Report to the sponsor by": "À déclarer au promoteur avant",
    "Reported by": "Signalé par",
    "Came back after the report of": "Revenu après le signalement du",
    "Came back": "Revenu",
    "Questions": "Questions",
    "ended by the person at: {step}": "arrêtées par la personne à : {step}",
    "{time} (#{id})": "{time} (n° {id})",
    "a relative, for the participant": "un proche, pour le participant",
    "Onset": "Début",
    "Still going on": "Toujours en cours",
    "Effect on daily life": "Retentissement sur la vie quotidienne",
    "Care needed": "Soins nécessaires",
    "Seriousness": "Gravité",
    "Study treatment": "Traitement de l'étude",
    "Last dose": "Dernière prise",
    "No care": "Aucun soin",
    "Saw a doctor": "Vu un médecin",
    "Emergency care": "Soins d'urgence",
    "Stayed in hospital": "Hospitalisation",
    "mild": "léger",
    "moderate": "modéré",
    "severe": "sévère",
    "not serious": "non grave",
    "not known yet": "pas encore connu",
    "Answer ({question})": "Réponse ({question})",
    "Tapped: {choice}": "Bouton\u00a0: {choice}",
    "today": "aujourd'hui",
    "yesterday": "hier",
    "Corrected by staff": "Corrigé par l'équipe",
    "Complete or correct the record": "Compléter ou corriger la fiche",
    "Save the record": "Enregistrer la fiche",
    "Safety event {id}: its record is saved.": "Événement de sécurité {id} : fiche enregistrée.",
    "The safety event {id} is an emergency: it has no side-effect record.": (
        "L'événement de sécurité {id} est une urgence : il n'a pas de fiche d'effet indésirable."
    ),
    "death": "décès",
    "life threatening": "mise en jeu du pronostic vital",
    "hospitalisation": "hospitalisation",
    "disability": "invalidité",
    "congenital anomaly": "anomalie congénitale",
    "other medically important": "autre médicalement significatif",
    "onset": "début",
    "ongoing": "en cours",
    "severity": "retentissement",
    "care": "soins",
    "product": "traitement",
    "last dose": "dernière prise",
    "criteria": "critères de gravité",
}

_DAYS = {"fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")}
_MONTHS = {
    "fr": (
        "janv.", "févr.", "mars", "avr.", "mai", "juin",
        "juil.", "août", "sept.", "oct.", "nov.", "déc.",
    )
}  # fmt: skip


def t(lang: str, text: str, **values: object) -> str:
    """The text in the language, with its {values} filled in."""
    said = FR.get(text, text) if lang == "fr" else text
    return said.format(**values) if values else said


def language_of(chosen: str | None, accept_language: str | None) -> Lang:
    """The staff member's choice, else their browser's first language we have, else English."""
    if chosen in LANGUAGES:
        return "fr" if chosen == "fr" else "en"
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return "fr" if tag == "fr" else "en"
    return "en"


def when(moment: dt.datetime, lang: str, *, weekday: bool = False) -> str:
    """ "Thu 10 Dec 2026 09:00" or "jeu. 10 déc. 2026 09:00" (the moment's own time zone)."""
    if lang != "fr":
        return moment.strftime("%a %d %b %Y %H:%M" if weekday else "%d %b %Y %H:%M")
    day = f"{_DAYS['fr'][moment.weekday()]} " if weekday else ""
    return f"{day}{moment.day} {_MONTHS['fr'][moment.month - 1]} {moment.year} {moment:%H:%M}"


def channel_title(name: str | None) -> str | None:
    """A channel as people call it: "Telegram", "WhatsApp", "Web chat" (in French with `t`)."""
    return None if name is None else registry.title(name)
