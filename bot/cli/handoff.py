"""`trialbot handoff`: the people waiting for the study team, and the team's answers, sent on
the person's own channel."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Annotated, Any

import typer

from bot.cli.common import AsJson, KnowledgeDir, cli_actor, fail, load_settings, out, read, show
from bot.settings import Settings

app = typer.Typer(
    help="People who asked for the study team, and the team's answers.", no_args_is_help=True
)


@app.command("list")
def handoff_list(
    everything: Annotated[bool, typer.Option("--all", help="Include the closed ones.")] = False,
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """The open requests for the study team, newest first, with a summary and the messages."""

    from bot.crypto import Cipher
    from bot.handoff import service

    settings = load_settings(knowledge, as_json=as_json)
    cipher = Cipher.from_settings(settings)
    rows = read(settings, lambda s: service.listed(s, cipher, everything=everything))
    show(
        rows,
        as_json,
        ("id", "since (UTC)", "from", "summary", "last message", "status"),
        lambda row: (
            str(row["id"]),
            row["created_at"][:16].replace("T", " "),
            f"{row['channel']}, {row['language']}" + (f"\n{row['trial']}" if row["trial"] else ""),
            row["text"],
            _last_message(row["messages"]),
            row["status"],
        ),
        "Nobody is waiting for the study team.",
    )


def _last_message(said: list[dict[str, Any]]) -> str:
    if not said:
        return ""
    last = said[-1]
    who = last["author"] + (f", {last['delivery']}" if last["delivery"] else "")
    return f"{who}: {last['text']}"


HandoffId = Annotated[int, typer.Argument(metavar="ID", help="The handoff's id (handoff list).")]


@app.command("reply")
def handoff_reply(
    handoff_id: HandoffId,
    text: Annotated[str, typer.Argument(help="The answer, as the person will read it.")],
    close: Annotated[
        bool, typer.Option("--close", help="Close the handoff with this answer.")
    ] = False,
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """Answer the person on their channel: at once, or retried by the gateway or dispatcher."""
    outcome = _handoff_send(
        load_settings(knowledge, as_json=as_json), handoff_id, "handoff.reply",
        lambda d: d.answer(handoff_id, text, close=close), chars=len(text), close=close,
    )  # fmt: skip
    _said(outcome, as_json, f"Answer to handoff {handoff_id}", closed=close)


@app.command("close")
def handoff_close(
    handoff_id: HandoffId, as_json: AsJson = False, knowledge: KnowledgeDir = None
) -> None:
    """Close a request; the person is told they are back with the assistant."""
    outcome = _handoff_send(
        load_settings(knowledge, as_json=as_json),
        handoff_id,
        "handoff.close",
        lambda d: d.close(handoff_id),
    )
    _said(outcome, as_json, f"The notice that handoff {handoff_id} is closed", closed=True)


def _handoff_send(
    settings: Settings, handoff_id: int, action: str, call: Callable[[Any], Any], **detail: Any
) -> Any:
    """Run `call` with a HandoffDelivery on the handoff's channel, built in this process.

    The delivery keeps the message in transactions of its own, so the audit record follows it.
    """
    from bot.channels.outbound import outbound_channels
    from bot.db.session import create_db_engine, make_session_factory
    from bot.handoff import service
    from bot.handoff.delivery import HandoffDelivery
    from bot.staff import audit

    async def send() -> Any:
        engine = create_db_engine(settings.db_url)
        try:
            sessions = make_session_factory(engine)
            with sessions() as session:
                channel = service.channel(session, handoff_id)
            async with outbound_channels(
                settings, sessions, only={channel}, wait=False
            ) as channels:
                delivery = HandoffDelivery(settings=settings, sessions=sessions, channels=channels)
                return await call(delivery)
        finally:
            engine.dispose()

    try:
        outcome = asyncio.run(send())
    except service.HandoffError as error:
        raise fail(str(error)) from None
    engine = create_db_engine(settings.db_url)
    try:
        audit.handoff_delivered(
            make_session_factory(engine), cli_actor(), action, handoff_id, outcome.delivery,
            **detail,
        )  # fmt: skip
    finally:
        engine.dispose()
    return outcome


def _said(outcome: Any, as_json: bool, what: str, *, closed: bool) -> None:
    if as_json:
        out.print_json(json.dumps(outcome.to_json()))
    elif outcome.delivery == "sent":
        out.print(f"{what} was delivered on {outcome.channel}.")
    elif outcome.delivery == "pending":
        # Without an error, a running gateway or dispatcher took it first and is sending it.
        why = f" ({outcome.error})" if outcome.error else ""
        out.print(
            f"{what} is queued: not delivered yet{why}. The gateway or `trialbot dispatcher` "
            "tries again until it is.",
            highlight=False,
        )
    if closed and not as_json:
        out.print(f"Handoff {outcome.handoff_id} is closed.")
    if outcome.delivery == "failed":
        raise fail(f"{what} cannot be delivered: {outcome.error}")
