"""The web chat: replies to a request go back in its response; later ones wait in an outbox.

Both also say the conversation's current language, which the assistant may change from the
person's words ("bonjour", "in English please"): the page follows it, or it would keep showing
its own labels in a language the conversation left.
"""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import conversations
from bot.channels.base import Purpose, Relaying, Reply
from bot.channels.spec import Adapter, ChannelSpec, Link
from bot.crypto import Cipher
from bot.db.models import Conversation, InboundMessage, OutboundMessage
from bot.i18n.languages import Language
from bot.settings import Settings

NAME = "web"


class WebChannel(Adapter):
    """The web chat's side of the gateway: its conversations' owners, and its outbox."""

    name = NAME

    def __init__(self, sessions: sessionmaker[Session], cipher: Cipher) -> None:
        self._sessions = sessions
        self._cipher = cipher  # replies wait encrypted: they may repeat the person's words

    async def deliver(
        self, conversation_id: int, replies: list[Reply], *, purpose: Purpose = "reply"
    ) -> list[str]:
        """Every purpose alike: the page fetches whatever waits."""
        return await asyncio.to_thread(self._store, conversation_id, replies)

    def _store(self, conversation_id: int, replies: list[Reply]) -> list[str]:
        """Kept for the page to fetch (`/api/chat/updates`); the stored ids."""
        with self._sessions.begin() as session:
            rows = [
                OutboundMessage(
                    conversation_id=conversation_id, body=self._cipher.encrypt_json(reply.to_json())
                )
                for reply in replies
            ]
            session.add_all(rows)
            session.flush()
            return [str(row.id) for row in rows]

    async def claim(self, sender_key: str, owner: str, default_language: Language) -> bool:
        """Whether the conversation is `owner`'s: created for it, and bound to it, if new.

        Bound once, when created, and never again: a conversation of another owner, or of
        none (from before tokens), is not this one's to continue. Two first messages racing
        for one sender meet the unique sender key: one creates it, the other reads whose it is.
        """
        return await asyncio.to_thread(self._claim, sender_key, owner, default_language)

    def _claim(self, sender_key: str, owner: str, default_language: Language) -> bool:
        bound = self._owned_by(sender_key, owner)  # one column, the usual case: it exists
        if bound is not None:
            return bound
        try:
            with self._sessions.begin() as session:
                conversation = conversations.by_sender_key(session, sender_key)
                if conversation is None:
                    conversation = conversations.get_or_create(
                        session,
                        channel=NAME,
                        sender_key=sender_key,
                        default_language=default_language,
                    )
                    conversation.web_owner = owner
                return _same(conversation.web_owner, owner)
        except IntegrityError:
            return self._owned_by(sender_key, owner) is True

    async def owned_by(self, sender_key: str, owner: str) -> bool | None:
        """Whether the conversation is `owner`'s; None when there is none yet."""
        return await asyncio.to_thread(self._owned_by, sender_key, owner)

    def _owned_by(self, sender_key: str, owner: str) -> bool | None:
        with self._sessions() as session:
            row = session.execute(
                select(Conversation.web_owner).where(Conversation.sender_key == sender_key)
            ).first()
            return None if row is None else _same(row.web_owner, owner)

    async def forget_if_unused(self, sender_key: str) -> None:
        """Remove a conversation claimed for a message that was then refused (over a limit), if
        nothing was ever said in it: a flood of fresh senders must not fill the database."""
        await asyncio.to_thread(self._forget_if_unused, sender_key)

    def _forget_if_unused(self, sender_key: str) -> None:
        with self._sessions.begin() as session:
            conversation = conversations.by_sender_key(session, sender_key)
            if conversation is None or conversation.messages_seen:
                return
            said = select(InboundMessage.id).where(
                InboundMessage.conversation_id == conversation.id
            )
            if session.scalar(said.limit(1)) is None:
                session.delete(conversation)

    async def language(self, sender_key: str) -> str | None:
        """The conversation's language now; None before its first message."""
        return await asyncio.to_thread(self._language, sender_key)

    def _language(self, sender_key: str) -> str | None:
        with self._sessions() as session:
            language: str | None = session.scalar(
                select(Conversation.language).where(Conversation.sender_key == sender_key)
            )
            return language

    async def updates(self, sender_key: str, after: int | None) -> dict[str, Any]:
        return await asyncio.to_thread(self._updates, sender_key, after)

    def _updates(self, sender_key: str, after: int | None) -> dict[str, Any]:
        """Messages after `after`; with no `after`, none, and the id to start from.

        With the conversation's language once there is a conversation.
        """
        with self._sessions() as session:
            conversation = conversations.by_sender_key(session, sender_key)
            if conversation is None:
                return {"messages": [], "last_id": after or 0}
            lang = conversation.language
            mine = OutboundMessage.conversation_id == conversation.id
            if after is None:
                last = session.scalar(select(func.max(OutboundMessage.id)).where(mine))
                return {"messages": [], "last_id": last or 0, "lang": lang}
            rows = session.scalars(
                select(OutboundMessage)
                .where(mine, OutboundMessage.id > after)
                .order_by(OutboundMessage.id)
                .limit(50)
            ).all()
            return {
                "messages": [{"id": row.id, **self._cipher.decrypt_json(row.body)} for row in rows],
                "last_id": rows[-1].id if rows else after,
                "lang": lang,
            }


def _same(bound: str | None, owner: str) -> bool:
    return bound is not None and hmac.compare_digest(bound, owner)


def _build(settings: Settings, relay: Relaying[Any], sessions: sessionmaker[Session]) -> WebChannel:
    return WebChannel(sessions, relay.cipher)


# Always on: its page and routes are the gateway's own (bot.gateway.app). Its link opens the page
# with ?ref=<payload>, which the page sends with the first message (while PUBLIC_URL is set).
CHANNEL = ChannelSpec(
    name=NAME,
    title="Web chat",
    enabled=lambda settings: True,
    build=_build,
    link=Link("{account}/?ref={payload}", "PUBLIC_URL"),
)
