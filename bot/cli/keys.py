"""`trialbot keys`: the key that encrypts personal data at rest, and its rotation."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.common import KnowledgeDir, database_session, fail, load_settings, out, record_audit

app = typer.Typer(help="The key that encrypts personal data at rest.", no_args_is_help=True)


@app.command("rotate")
def keys_rotate(
    reencrypt_only: Annotated[
        bool,
        typer.Option(
            "--reencrypt-only",
            help="Only re-encrypt with the newest configured key (DATA_ENCRYPTION_KEY users).",
        ),
    ] = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """Start encrypting with a new key and re-encrypt everything stored with it."""
    from bot import keys, tracker_keys
    from bot.crypto import Cipher

    settings = load_settings(knowledge)
    if not reencrypt_only:
        if settings.data_encryption_key is not None:
            raise fail(
                "DATA_ENCRYPTION_KEY is set, so the key is yours to change: put a new key first "
                "in it (comma-separated, old ones after), restart every process, then run "
                "`trialbot keys rotate --reencrypt-only`. A new key: " + keys.new_key()
            )
        count = keys.add_key_to_file(settings.data_key_file)
        out.print(f"Added a new key to {settings.data_key_file} ({count} key(s), newest first).")
    cipher = Cipher.from_settings(settings)
    try:
        with database_session(settings, write=True) as session:
            each = keys.reencrypt_each(session, cipher)
            done = sum(each.values())
            record_audit(session, "keys.rotate", new_key=not reencrypt_only, reencrypted=done)
    except keys.Unreadable as error:
        raise fail(
            f"no configured key decrypts {error.column} of row {error.row}, so nothing was "
            "re-encrypted: put back the key that encrypted it (DATA_ENCRYPTION_KEY, or "
            f"{settings.data_key_file}) after the newest one, and run this again"
        ) from None
    try:
        each["events.data (Rasa)"] = tracker_keys.reencrypt_tracker(
            settings.rasa_tracker_url, cipher
        )
    except tracker_keys.UnreadableEvent as error:
        raise fail(
            f"{error}, so Rasa's conversations were not re-encrypted (the application's were): "
            "put back the key that encrypted it after the newest one, and run this again"
        ) from None
    done = sum(each.values())
    out.print(f"Re-encrypted {done} value(s) with the newest key:")
    width = max(len(name) for name in each)
    for name, count in each.items():
        out.print(f"  {name:<{width}}  {count}", highlight=False)
    out.print(
        "Restart the gateway, Rasa and the action server so that they encrypt with it too; "
        "older keys stay only to read older backups."
    )
