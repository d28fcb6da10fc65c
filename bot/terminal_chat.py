"""`trialbot chat`: talk to the running gateway from a terminal, as the web chat does."""

from __future__ import annotations

from typing import Any

import httpx
from rich.console import Console
from rich.prompt import Prompt


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


def chat_loop(gateway: str, sender: str, lang: str | None, console: Console) -> int:
    """Read lines until end of input or /quit; 0 on a clean exit, 1 if the gateway is gone."""
    console.print(f"Talking to {gateway} as {sender}. /quit to leave.", highlight=False)
    buttons: list[dict[str, str]] = []
    with httpx.Client(base_url=gateway, timeout=60.0) as client:
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
                response.raise_for_status()
            except httpx.HTTPError as error:
                console.print(f"[red]the gateway did not answer: {error}[/]", highlight=False)
                return 1
            buttons = render(console, response.json()["messages"])
            later = _updates(client, sender, after)
            after = later.get("last_id", after)
            buttons = render(console, later.get("messages", [])) or buttons


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
