"""The application database: typed SQLAlchemy 2 models, sessions and Alembic migrations."""

from bot.db.models import Base, Conversation, InboundMessage, OutboundMessage
from bot.db.session import create_db_engine, make_session_factory

__all__ = [
    "Base",
    "Conversation",
    "InboundMessage",
    "OutboundMessage",
    "create_db_engine",
    "make_session_factory",
]
