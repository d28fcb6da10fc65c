"""The few texts the gateway says itself when Rasa cannot; all the others are in domain.yml."""

from __future__ import annotations

from bot.i18n.languages import Language

_BOTH = "{en}\n\n{fr}"

_TEXTS: dict[str, dict[Language, str]] = {
    "rasa_unavailable": {
        "en": (
            "Sorry, I can't answer right now. I have kept your message and will reply here as "
            "soon as I can. If this is an emergency, call {emergency_number}."
        ),
        "fr": (
            "Désolé, je ne peux pas répondre pour le moment. J'ai gardé votre message et je vous "
            "répondrai ici dès que possible. En cas d'urgence, appelez le {emergency_number}."
        ),
    },
    "error_apology": {
        "en": (
            "Sorry, something went wrong on my side. Please try again in a moment. "
            "If this is an emergency, call {emergency_number}."
        ),
        "fr": (
            "Désolé, un problème est survenu de mon côté. Réessayez dans un instant. "
            "En cas d'urgence, appelez le {emergency_number}."
        ),
    },
    "after_emergency": {
        "en": (
            "Please call {emergency_number} now if you have not yet, or ask someone near you to "
            "call. The study team has your message. I'm here when you are safe."
        ),
        "fr": (
            "Appelez le {emergency_number} maintenant si ce n'est pas déjà fait, ou demandez à "
            "quelqu'un près de vous d'appeler. L'équipe de l'étude a votre message. Je suis là "
            "quand vous serez en sécurité."
        ),
    },
    "acknowledged": {
        "en": "Okay. Is there anything else I can help you with?",
        "fr": "D'accord. Puis-je vous aider pour autre chose ?",
    },
    "not_caught": {
        "en": (
            "Sorry, I didn't catch that. You can ask me about taking part in a clinical trial "
            "(what it involves, your rights, costs, visits), check whether a study could suit "
            "you, or ask for the study team."
        ),
        "fr": (
            "Désolé, je n'ai pas compris. Vous pouvez me poser une question sur la participation "
            "à un essai clinique (ce que cela implique, vos droits, les frais, les visites), "
            "vérifier si une étude pourrait vous convenir, ou demander l'équipe de l'étude."
        ),
    },
    "participant_linked": {
        "en": (
            "Thank you: this chat is now linked to your participation in {trial}. I will send your "
            'appointment reminders here, once you agree to receive them. Type "stop" at any time '
            "to stop them."
        ),
        "fr": (
            "Merci : cette conversation est maintenant reliée à votre participation à {trial}. "
            "Je vous enverrai ici les rappels de vos rendez-vous, une fois votre accord donné. "
            "Écrivez « stop » à tout moment pour les arrêter."
        ),
    },
    "link_code_invalid": {
        "en": (
            "This code does not work: it has already been used, or it has expired. Please ask "
            "your study team for a new one."
        ),
        "fr": (
            "Ce code ne fonctionne pas : il a déjà été utilisé, ou il a expiré. Demandez-en un "
            "nouveau à l'équipe de l'étude."
        ),
    },
    "consent_copy": {
        "en": "📄 Your copy of this decision, to keep: [{title} (PDF)]({url})",
        "fr": "📄 Votre copie de cette décision, à conserver : [{title} (PDF)]({url})",
    },
    "text_only": {
        "en": "Sorry, I can only read text messages. Please type your question.",
        "fr": "Désolé, je ne peux lire que les messages écrits. Écrivez-moi votre question.",
    },
    "button_expired": {
        "en": "That button is no longer available. Please type your answer instead.",
        "fr": "Ce bouton n'est plus disponible. Écrivez plutôt votre réponse.",
    },
    "safety_emergency": {
        "en": (
            "⚠️ This sounds like an emergency. Call {emergency_number} now, or go to the nearest "
            "emergency department. I am an automated assistant and cannot send help. I have "
            "flagged your message to the study team. When you are safe, you can carry on here "
            "where we left off."
        ),
        "fr": (
            "⚠️ Cela ressemble à une urgence. Appelez le {emergency_number} maintenant, ou allez "
            "aux urgences les plus proches. Je suis un assistant automatique et je ne peux pas "
            "envoyer de secours. J'ai signalé votre message à l'équipe de l'étude. Quand vous "
            "serez en sécurité, vous pourrez reprendre ici où nous en étions."
        ),
    },
    "safety_crisis": {
        "en": (
            "I'm so sorry you're going through this. You don't have to face it alone. If you "
            "might act on these thoughts or are in danger now, call {emergency_number}.{line} "
            "I have flagged your message to the study team."
        ),
        "fr": (
            "Je suis vraiment désolé que vous traversiez cela. Vous n'avez pas à y faire face "
            "seul. Si vous risquez de passer à l'acte ou êtes en danger maintenant, appelez le "
            "{emergency_number}.{line} J'ai signalé votre message à l'équipe de l'étude."
        ),
    },
    "safety_crisis_line": {
        "en": " You can also talk to someone right now, day or night, at {crisis_line}.",
        "fr": (
            " Vous pouvez aussi parler à quelqu'un tout de suite, jour et nuit, au {crisis_line}."
        ),
    },
    "safety_side_effect": {
        "en": (
            "Thank you for telling us. I have passed this on to the study team, who will review "
            "it. {call} Do not stop or change your study treatment on your own. If you feel very "
            "unwell, call {emergency_number}."
        ),
        "fr": (
            "Merci de nous l'avoir signalé. J'ai transmis votre message à l'équipe de l'étude, "
            "qui va l'examiner. {call} N'arrêtez pas et ne modifiez pas votre traitement de "
            "l'étude de vous-même. Si vous vous sentez très mal, appelez le {emergency_number}."
        ),
    },
    # Said after the acknowledgement when the report asks "is it normal?", "c grave ?".
    "safety_is_it_normal": {
        "en": (
            "You asked whether this is normal or serious. I can't judge that, and I won't guess: "
            "the study team knows the study treatment and will look at what you reported."
        ),
        "fr": (
            "Vous demandez si c'est normal ou grave. Je ne peux pas en juger, et je ne veux pas "
            "deviner\u00a0: l'équipe de l'étude connaît le traitement de l'étude et va examiner "
            "ce que vous avez signalé."
        ),
    },
    # Someone writing for the participant (a relative): told about them, not "you".
    "safety_side_effect_relative": {
        "en": (
            "Thank you for telling us. I have passed this on to the study team, who will review "
            "it. {call} They should not stop or change their study treatment on their own. If "
            "they feel very unwell, call {emergency_number}."
        ),
        "fr": (
            "Merci de nous l'avoir signalé. J'ai transmis votre message à l'équipe de l'étude, "
            "qui va l'examiner. {call} La personne ne doit pas arrêter ni modifier son traitement "
            "de l'étude d'elle-même. Si elle se sent très mal, appelez le {emergency_number}."
        ),
    },
    "safety_phone_unknown_relative": {
        "en": (
            "Please also call them: their number is on the participant's information sheet and "
            "consent form."
        ),
        "fr": (
            "Appelez-la aussi : son numéro figure sur la note d'information et le formulaire de "
            "consentement de la personne."
        ),
    },
    "safety_phone": {
        "en": "Please also call them on {phone}.",
        "fr": "Appelez-la aussi au {phone}.",
    },
    "safety_phone_unknown": {
        "en": (
            "Please also call them: their number is on your information sheet and your consent "
            "form."
        ),
        "fr": (
            "Appelez-la aussi : son numéro figure sur votre note d'information et votre "
            "formulaire de consentement."
        ),
    },
    # A person's request for the study team (bot/handoff): while it is open, what they write
    # goes to the team; staff answers reach them on their channel.
    "handoff_waiting": {
        "en": (
            "Your question is with the study team: I have added this message to it, and a member "
            "of the team will answer you here, in this chat. {availability} If it is urgent, "
            "call {emergency_number}."
        ),
        "fr": (
            "Votre question est entre les mains de l'équipe de l'étude : j'y ai ajouté ce "
            "message, et un membre de l'équipe vous répondra ici, dans cette conversation. "
            "{availability} En cas d'urgence, appelez le {emergency_number}."
        ),
    },
    "handoff_thanked": {
        "en": (
            "You're welcome. If you have anything else for the study team, write it here and they "
            'will see it. To ask me something instead, tap "Back to the assistant".'
        ),
        "fr": (
            "Je vous en prie. Si vous avez autre chose à dire à l'équipe de l'étude, écrivez-le "
            "ici : elle le verra. Pour me poser une question, appuyez sur « Revenir à "
            "l'assistant »."
        ),
    },
    "handoff_back_button": {"en": "Back to the assistant", "fr": "Revenir à l'assistant"},
    "team_button": {"en": "Contact the study team", "fr": "Contacter l'équipe"},
    "screening_offer_button": {
        "en": "Check if I can take part",
        "fr": "Vérifier si je peux participer",
    },
    "handoff_continue_button": {"en": "Continue", "fr": "Continuer"},
    "handoff_staff_reply": {
        "en": "Message from the study team:\n{text}",
        "fr": "Message de l'équipe de l'étude :\n{text}",
    },
    "handoff_closed": {
        "en": (
            "The study team has closed your request. You are talking with the assistant again: "
            "ask me anything about the study, or ask for the team whenever you need them."
        ),
        "fr": (
            "L'équipe de l'étude a clos votre demande. Vous échangez de nouveau avec "
            "l'assistant : posez-moi vos questions sur l'étude, ou demandez à parler à l'équipe "
            "quand vous en avez besoin."
        ),
    },
    "handoff_available_now": {
        "en": "The team is available now ({hours}, {zone}).",
        "fr": "L'équipe est disponible en ce moment ({hours}, {zone}).",
    },
    "handoff_available_next": {
        "en": "The team is available {hours} ({zone}): they will next be available {when}.",
        "fr": (
            "L'équipe est disponible {hours} ({zone}) : elle sera de nouveau disponible {when}."
        ),
    },
    "handoff_hours_unknown": {
        "en": "They will answer as soon as they can.",
        "fr": "Elle vous répondra dès que possible.",
    },
    "handoff_today": {"en": "today at {time}", "fr": "aujourd'hui à {time}"},
    "handoff_tomorrow": {"en": "tomorrow at {time}", "fr": "demain à {time}"},
    "handoff_on_day": {"en": "on {day} at {time}", "fr": "{day} à {time}"},
    "handoff_zone": {"en": "{city} time", "fr": "heure de {city}"},
    "more_options": {"en": "More options:", "fr": "Autres choix :"},
    # The button that opens a list of choices (WhatsApp), 20 characters at most.
    "choose": {"en": "Choose", "fr": "Choisir"},
    # The participant's copy of a consent decision (bot.consent.copy), a PDF.
    "copy_title": {
        "en": "Your copy of your consent decision",
        "fr": "Votre copie de votre décision de consentement",
    },
    "copy_history": {
        "en": "Consent decisions of participant {who}",
        "fr": "Décisions de consentement du participant {who}",
    },
    "copy_granted": {"en": "You agreed to “{title}”.", "fr": "Vous avez accepté « {title} »."},
    "copy_refused": {
        "en": "You said no to “{title}”. This changes nothing to your care.",
        "fr": "Vous avez refusé « {title} ». Cela ne change rien à vos soins.",
    },
    "copy_withdrawn": {
        "en": (
            "You withdrew your agreement to “{title}”. Nothing more is done on that basis; what "
            "was done before stays as it was."
        ),
        "fr": (
            "Vous avez retiré votre accord à « {title} ». Plus rien n'est fait sur cette base ; "
            "ce qui a été fait avant reste valable."
        ),
    },
    "copy_erased": {
        "en": "Your data was erased at your request.",
        "fr": "Vos données ont été effacées à votre demande.",
    },
    "copy_decision": {"en": "Decision", "fr": "Décision"},
    "copy_text": {"en": "Text", "fr": "Texte"},
    "copy_version": {
        "en": "version {version} of {effective}",
        "fr": "version {version} du {effective}",
    },
    "copy_when": {"en": "Date and time", "fr": "Date et heure"},
    "copy_local": {"en": "{time} ({zone} time)", "fr": "{time} (heure de {zone})"},
    "copy_channel": {"en": "Channel", "fr": "Canal"},
    "copy_channel_web": {"en": "Web chat", "fr": "Chat web"},
    "copy_participant": {"en": "Participant", "fr": "Participant"},
    "copy_pseudonym": {"en": "{who} (pseudonym)", "fr": "{who} (pseudonyme)"},
    "copy_record": {"en": "Ledger record", "fr": "Registre"},
    "copy_record_line": {"en": "no. {seq}, SHA-256 {hash}", "fr": "n° {seq}, SHA-256 {hash}"},
    "copy_words": {"en": "The text, word for word", "fr": "Le texte, mot pour mot"},
    "copy_missing": {
        "en": "(the text of this version is not held by this site)",
        "fr": "(le texte de cette version n'est pas conservé par ce centre)",
    },
    "copy_footer": {
        "en": (
            "Keep this copy. The study site keeps the same record in a ledger where each "
            "decision is chained to the one before: the hash above proves this one was not "
            "changed."
        ),
        "fr": (
            "Conservez cette copie. Le centre de l'étude garde le même enregistrement dans un "
            "registre où chaque décision est chaînée à la précédente : l'empreinte ci-dessus "
            "prouve qu'elle n'a pas été modifiée."
        ),
    },
    "copy_decision_granted": {"en": "agreed", "fr": "accord donné"},
    "copy_decision_refused": {"en": "refused", "fr": "refus"},
    "copy_decision_withdrawn": {"en": "withdrawn", "fr": "accord retiré"},
    "copy_decision_erased": {"en": "erased", "fr": "effacement"},
    "command_start": {"en": "Start the conversation", "fr": "Commencer la conversation"},
    "command_help": {"en": "What I can do", "fr": "Ce que je peux faire"},
    "command_language": {"en": "Change the language", "fr": "Changer de langue"},
    "command_stop": {"en": "Stop my messages", "fr": "Arrêter mes messages"},
}

# Said before the person's language is known, so in both.
_TEXTS["choose_language"] = dict.fromkeys(
    ("en", "fr"),
    _BOTH.format(en="Which language would you like?", fr="Quelle langue préférez-vous ?"),
)
_TEXTS["group_declined"] = dict.fromkeys(
    ("en", "fr"),
    _BOTH.format(
        en=(
            "I only talk in private chats, so that your health questions stay private. "
            "Please write to me directly."
        ),
        fr=(
            "Je ne discute qu'en conversation privée, pour que vos questions de santé restent "
            "confidentielles. Écrivez-moi directement."
        ),
    ),
)

# Past an abuse limit (bot.gateway.limits): wait, and the emergency number all the same.
_TEXTS["rate_limited"] = {
    "en": (
        "You are sending messages faster than I can read them. Please wait {seconds} seconds, "
        "then write again. If this is an emergency, call {emergency_number}."
    ),
    "fr": (
        "Vous envoyez des messages plus vite que je ne peux les lire. Attendez {seconds} "
        "secondes, puis écrivez à nouveau. En cas d'urgence, appelez le {emergency_number}."
    ),
}


def has(key: str) -> bool:
    return key in _TEXTS


def text(key: str, language: str, **values: str) -> str:
    """The gateway text `key` in `language` (English when the language is unknown)."""
    variants = _TEXTS[key]
    chosen = variants["fr"] if language == "fr" else variants["en"]
    return chosen.format(**values) if values else chosen


# The follow-up of a side effect (bot.safety.asking): one question at a time, each skippable.
# French puts a non-breaking space before ":", "?", "»" and after "«" (the line never breaks
# there on a phone).
_TEXTS.update(
    {
        "follow_up_intro": {
            "en": (
                "To help the study team with what you reported, I have a few short questions. "
                "You can skip any of them."
            ),
            "fr": (
                "Pour aider l'équipe de l'étude au sujet de ce que vous avez signalé, j'ai "
                "quelques questions courtes. Vous pouvez passer celles que vous voulez."
            ),
        },
        "follow_up_onset": {
            "en": 'When did it start? You can write a date, or for example "3 days ago".',
            "fr": (
                "Quand cela a-t-il commencé\u00a0? Vous pouvez écrire une date, ou par exemple "
                "«\u00a0il y a 3 jours\u00a0»."
            ),
        },
        "follow_up_ongoing": {
            "en": "Is it still going on?",
            "fr": "Est-ce que ça dure encore\u00a0?",
        },
        "follow_up_severity": {
            "en": (
                "How much does it affect your daily life?\n"
                "Mild: you notice it, but it does not stop you.\n"
                "Moderate: it gets in the way of what you usually do.\n"
                "Severe: you cannot do what you usually do."
            ),
            "fr": (
                "À quel point cela gêne-t-il votre vie de tous les jours\u00a0?\n"
                "Léger\u00a0: vous le sentez, sans que cela vous arrête.\n"
                "Modéré\u00a0: cela vous gêne dans ce que vous faites d'habitude.\n"
                "Sévère\u00a0: vous ne pouvez pas faire ce que vous faites d'habitude."
            ),
        },
        "follow_up_severity_over": {
            "en": (
                "How much did it affect your daily life?\n"
                "Mild: you noticed it, but it did not stop you.\n"
                "Moderate: it got in the way of what you usually do.\n"
                "Severe: you could not do what you usually do."
            ),
            "fr": (
                "À quel point cela a-t-il gêné votre vie de tous les jours\u00a0?\n"
                "Léger\u00a0: vous l'avez senti, sans que cela vous arrête.\n"
                "Modéré\u00a0: cela vous a gêné dans ce que vous faites d'habitude.\n"
                "Sévère\u00a0: vous ne pouviez pas faire ce que vous faites d'habitude."
            ),
        },
        "follow_up_care": {
            "en": "Did you need any care for it?",
            "fr": "Avez-vous eu besoin de soins pour cela\u00a0?",
        },
        "follow_up_product": {
            "en": (
                "Which study treatment are you taking, and when did you last take it? "
                '(For example: "the tablets, this morning".)'
            ),
            "fr": (
                "Quel traitement de l'étude prenez-vous, et quand l'avez-vous pris pour la "
                "dernière fois\u00a0? (Par exemple\u00a0: «\u00a0les comprimés, ce matin\u00a0».)"
            ),
        },
        # The study treatment named, not "it": the answer before may name another medicine.
        "follow_up_last_dose": {
            "en": (
                "When did you last take your study treatment? (For example: "
                '"this morning", "yesterday evening".)'
            ),
            "fr": (
                "Quand avez-vous pris votre traitement de l'étude pour la dernière fois\u00a0? "
                "(Par exemple\u00a0: «\u00a0ce matin\u00a0», «\u00a0hier soir\u00a0».)"
            ),
        },
        "follow_up_last_dose_relative": {
            "en": (
                "When did they last take their study treatment? (For example: "
                '"this morning", "yesterday evening".)'
            ),
            "fr": (
                "Quand la personne a-t-elle pris son traitement de l'étude pour la dernière "
                "fois\u00a0? (Par exemple\u00a0: «\u00a0ce matin\u00a0», «\u00a0hier "
                "soir\u00a0».)"
            ),
        },
        # Someone writes for the participant (a relative): asked about them, not "you".
        "follow_up_severity_relative": {
            "en": (
                "How much does it affect their daily life?\n"
                "Mild: they notice it, but it does not stop them.\n"
                "Moderate: it gets in the way of what they usually do.\n"
                "Severe: they cannot do what they usually do."
            ),
            "fr": (
                "À quel point cela gêne-t-il sa vie de tous les jours\u00a0?\n"
                "Léger\u00a0: la personne le sent, sans que cela l'arrête.\n"
                "Modéré\u00a0: cela la gêne dans ce qu'elle fait d'habitude.\n"
                "Sévère\u00a0: elle ne peut pas faire ce qu'elle fait d'habitude."
            ),
        },
        "follow_up_severity_over_relative": {
            "en": (
                "How much did it affect their daily life?\n"
                "Mild: they noticed it, but it did not stop them.\n"
                "Moderate: it got in the way of what they usually do.\n"
                "Severe: they could not do what they usually do."
            ),
            "fr": (
                "À quel point cela a-t-il gêné sa vie de tous les jours\u00a0?\n"
                "Léger\u00a0: la personne l'a senti, sans que cela l'arrête.\n"
                "Modéré\u00a0: cela l'a gênée dans ce qu'elle fait d'habitude.\n"
                "Sévère\u00a0: elle ne pouvait pas faire ce qu'elle fait d'habitude."
            ),
        },
        "follow_up_care_relative": {
            "en": "Did they need any care for it?",
            "fr": "La personne a-t-elle eu besoin de soins pour cela\u00a0?",
        },
        "follow_up_product_relative": {
            "en": (
                "Which study treatment are they taking, and when did they last take it? "
                '(For example: "the tablets, this morning".)'
            ),
            "fr": (
                "Quel traitement de l'étude la personne prend-elle, et quand l'a-t-elle pris pour "
                "la dernière fois\u00a0? (Par exemple\u00a0: «\u00a0les comprimés, ce "
                "matin\u00a0».)"
            ),
        },
        "follow_up_added": {
            "en": "Thank you, I have added this to your report.",
            "fr": "Merci, je l'ai ajouté à votre signalement.",
        },
        "follow_up_still_open": {
            "en": "When you are ready, my question about what you reported is still open:",
            "fr": (
                "Quand vous voulez, ma question sur l'effet que vous avez signalé reste "
                "ouverte\u00a0:"
            ),
        },
        "follow_up_again": {
            "en": 'Sorry, I did not understand. Please tap one of the buttons, or "Skip".',
            "fr": "Désolé, je n'ai pas compris. Touchez l'un des boutons, ou «\u00a0Passer\u00a0».",
        },
        "follow_up_passed": {
            "en": "I'll leave that question out.",
            "fr": "Je laisse cette question de côté.",
        },
        "follow_up_done": {
            "en": (
                "Thank you. I have added your answers to your report for the study team. "
                "If anything changes, tell me here. If you feel very unwell, call "
                "{emergency_number}."
            ),
            "fr": (
                "Merci. J'ai ajouté vos réponses à votre signalement pour l'équipe de l'étude. "
                "Si quelque chose change, dites-le-moi ici. Si vous vous sentez très mal, "
                "appelez le {emergency_number}."
            ),
        },
        "follow_up_done_relative": {
            "en": (
                "Thank you. I have added your answers to the report for the study team. "
                "If anything changes, tell me here. If they feel very unwell, call "
                "{emergency_number}."
            ),
            "fr": (
                "Merci. J'ai ajouté vos réponses au signalement pour l'équipe de l'étude. "
                "Si quelque chose change, dites-le-moi ici. Si la personne se sent très mal, "
                "appelez le {emergency_number}."
            ),
        },
        "follow_up_ended": {
            "en": (
                "All right, no more questions. The study team has your report and may contact you."
            ),
            "fr": (
                "D'accord, je m'arrête là. L'équipe de l'étude a votre signalement et pourra "
                "vous contacter."
            ),
        },
        "goodbye": {
            "en": "Goodbye, and take care. You can write to me here at any time.",
            "fr": "Au revoir, prenez soin de vous. Vous pouvez m'écrire ici à tout moment.",
        },
        "follow_up_ended_stop": {
            "en": (
                "All right, no more questions. The study team has your report and may contact "
                "you. If you also want me to stop sending you messages and reminders, write "
                "STOP again."
            ),
            "fr": (
                "D'accord, je m'arrête là. L'équipe de l'étude a votre signalement et pourra "
                "vous contacter. Si vous voulez aussi que je ne vous envoie plus de messages ni "
                "de rappels, écrivez à nouveau STOP."
            ),
        },
        "follow_up_serious": {
            "en": (
                "Because of what you describe, the study team will treat your report as urgent."
            ),
            "fr": (
                "D'après ce que vous décrivez, l'équipe de l'étude traitera votre signalement en "
                "priorité."
            ),
        },
        "follow_up_button_today": {"en": "Today", "fr": "Aujourd'hui"},
        "follow_up_button_yesterday": {"en": "Yesterday", "fr": "Hier"},
        "follow_up_button_yes": {"en": "Yes, still", "fr": "Oui, toujours"},
        "follow_up_button_no": {"en": "No, it stopped", "fr": "Non, c'est passé"},
        "follow_up_button_mild": {"en": "Mild", "fr": "Léger"},
        "follow_up_button_moderate": {"en": "Moderate", "fr": "Modéré"},
        "follow_up_button_severe": {"en": "Severe", "fr": "Sévère"},
        "follow_up_button_none": {"en": "No care", "fr": "Aucun soin"},
        "follow_up_button_doctor": {"en": "Saw a doctor", "fr": "Vu un médecin"},
        "follow_up_button_emergency": {"en": "Emergency care", "fr": "Urgences"},
        "follow_up_button_hospital": {"en": "Stayed in hospital", "fr": "Hospitalisé(e)"},
        "follow_up_button_skip": {"en": "Skip", "fr": "Passer"},
        "follow_up_button_end": {"en": "Stop the questions", "fr": "Arrêter les questions"},
    }
)

# Scheduled check-ins (bot.checkins.asking).
_TEXTS.update(
    {
        "checkin_intro": {
            "en": (
                "📋 {title}: {count} short questions for the study team. You can skip any of them."
            ),
            "fr": (
                "📋 {title} : {count} questions courtes pour l'équipe de l'étude. Vous "
                "pouvez passer celles que vous voulez."
            ),
        },
        "checkin_for_trial": {"en": "{title} for {trial}", "fr": "{title} pour {trial}"},
        "checkin_intro_one": {
            "en": "📋 {title}: one short question for the study team.",
            "fr": "📋 {title} : une question courte pour l'équipe de l'étude.",
        },
        "checkin_again": {
            "en": 'Sorry, I did not understand. Please answer with {expected}, or tap "Skip".',
            "fr": ("Désolé, je n'ai pas compris. Répondez par {expected}, ou touchez « Passer »."),
        },
        "checkin_done": {
            "en": (
                "Thank you, your answers are with the study team. If anything worries you "
                "before your next visit, tell me here."
            ),
            "fr": (
                "Merci, vos réponses sont transmises à l'équipe de l'étude. Si quelque chose "
                "vous inquiète d'ici votre prochaine visite, dites-le-moi ici."
            ),
        },
        "checkin_stopped": {
            "en": (
                "All right, I'll stop this check-in here. The answers you gave are kept for "
                "the study team. If you also want me to stop sending you messages and "
                "reminders, write STOP again."
            ),
            "fr": (
                "D'accord, j'arrête ce point ici. Les réponses que vous avez données sont "
                "gardées pour l'équipe de l'étude. Si vous voulez aussi que je ne vous envoie "
                "plus de messages ni de rappels, écrivez à nouveau STOP."
            ),
        },
        "checkin_closed": {
            "en": (
                "That check-in is closed now, thank you. You can still tell me anything here, "
                "or ask me a question."
            ),
            "fr": (
                "Ce point est terminé, merci. Vous pouvez toujours m'écrire ici, ou me poser "
                "une question."
            ),
        },
        "checkin_still_open": {
            "en": "When you are ready, the check-in's question is still open:",
            "fr": "Quand vous voulez, la question du point reste ouverte :",
        },
        "checkin_button_yes": {"en": "Yes", "fr": "Oui"},
        "checkin_button_no": {"en": "No", "fr": "Non"},
        "checkin_button_dont_know": {"en": "I don't know", "fr": "Je ne sais pas"},
        "checkin_button_skip": {"en": "Skip", "fr": "Passer"},
        "checkin_button_stop": {"en": "Stop the check-in", "fr": "Arrêter ce point"},
    }
)
