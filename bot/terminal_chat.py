"""`trialbot chat`: talk to the running gateway from a terminal, as the web chat does.

The gateway gives each web conversation to the client it issued a token to. The terminal keeps
that token in a file only its user can read (`var/secrets/terminal-chat/`), so that
`trialbot chat --sender NAME` goes on with NAME's conversation in a later run.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.prompt import Prompt

from bot.gateway.webchat_identity import HEADER as TOKEN_HEADER


def render(console: Console, messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Print the assistant's messages; returns the buttons offered last, numbered from 1."""
    buttons: list[dict[str, str]] = []
    for message in messages:
        if message.get("text"):
            console.print(f"[bold cyan]assistant[/] {message['text']}", highlight=False)
        buttons = list(message.get("buttons") or []) or buttons
    for number, button in enumerate(buttons, start=1):
        console.print(f"  [bold][{number}][/] {button['title']}", highlight=False)
    return buttons


def chat_loop(
    gateway: str, sender: str, lang: str | None, console: Console, tokens: Path | None = None
) -> int:
    """Read lines until end of input or /quit; 0 on a clean exit, 1 if the gateway is gone.

    `tokens`: the folder where the conversation's token is kept between runs (none: not kept).
    """
    console.print(f"Talking to {gateway} as {sender}. /quit to leave.", highlight=False)
    buttons: list[dict[str, str]] = []
    token_file = _token_file(tokens, gateway, sender) if tokens else None
    token = _read_token(token_file)
    headers = {TOKEN_HEADER: token} if token else {}
    with httpx.Client(base_url=gateway, timeout=60.0, headers=headers) as client:
        after = _updates(client, sender, None).get("last_id", 0)
        while True:
            try:
                line = Prompt.ask("[bold]you[/]", console=console).strip()
            except (EOFError, KeyboardInterrupt):
                console.print()
                return 0
            if line in ("/quit", "/exit"):
                return 0
            if not line:
                continue
            text = buttons[int(line) - 1]["payload"] if _is_choice(line, buttons) else line
            body: dict[str, Any] = {"sender": sender, "text": text}
            if lang:  # a choice made once, like the web chat's switch; the chat may change it
                body["lang"], lang = lang, None
            try:
                response = client.post("/api/chat", json=body)
            except httpx.HTTPError as error:
                console.print(f"[red]the gateway did not answer: {error}[/]", highlight=False)
                return 1
            if response.status_code in (401, 403):
                console.print(f"[red]{_refusal(response)}[/]", highlight=False)
                console.print("Start another conversation with a new --sender.", highlight=False)
                return 1
            if response.is_error:
                console.print(f"[red]the gateway answered {response.status_code}[/]")
                return 1
            answer = response.json()
            if answer.get("conversation") and answer["conversation"] != token:
                token = answer["conversation"]
                client.headers[TOKEN_HEADER] = token
                _keep_token(token_file, token)
            buttons = render(console, answer["messages"])
            later = _updates(client, sender, after)
            after = later.get("last_id", after)
            buttons = render(console, later.get("messages", [])) or buttons


def _refusal(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    return str(detail or f"the gateway refused this conversation ({response.status_code})")


def _token_file(folder: Path, gateway: str, sender: str) -> Path:
    name = hashlib.sha256(f"{gateway}\0{sender}".encode()).hexdigest()[:32]
    return folder / name


def _read_token(path: Path | None) -> str | None:
    if path is None or not path.exists():
        return None
    return path.read_text().strip() or None


def _keep_token(path: Path | None, token: str) -> None:
    """Write the token readable by its owner only, whole (a new file renamed into place)."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(token)
    os.replace(temporary, path)


def _is_choice(line: str, buttons: list[dict[str, str]]) -> bool:
    return line.isdigit() and 1 <= int(line) <= len(buttons)


def _updates(client: httpx.Client, sender: str, after: int | None) -> dict[str, Any]:
    params: dict[str, Any] = {"sender": sender}
    if after is not None:
        params["after"] = after
    try:
        response = client.get("/api/chat/updates", params=params)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result
    except httpx.HTTPError:
        return {}
