"""Faults dealt to a running `trialbot run`, while people talk to it, and what they did.

A person here is the web chat as the page uses it: a message, its replies; after an apology (Rasa
down) they wait for the late answer on /api/chat/updates; a message that never reached the
gateway (connection refused) is sent again; so is one the gateway answered with an error (5xx: it
could not take it, the disk full), for which the page says "Sorry, your message could not be
sent. Please try again."; one whose request broke off after it was sent may have been received:
its answer is awaited like a late one, and it is sent again only if none came within 30 s (the
page showed the same error).

What is counted comes from where it happened: Rasa's tracker says how often each message was
handled (by the message id the gateway gives it), the database whether every message was
answered and every consent and pre-screening answer kept, /proc which processes were left behind.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from bot import processes
from bot.crypto import Cipher
from bot.db.session import create_db_engine
from bot.localstack import LocalStack, free_port
from bot.pseudonym import pseudonym
from bot.settings import Settings

HEALTHY_WITHIN = 60.0  # seconds: what the stack must take at most to be healthy again
LATE_ANSWER_WITHIN = 90.0  # seconds a person waits for an answer announced late
FULL_DISK = "fill the disk (15 s)"
CHILDREN = {"actions": "bot actions", "rasa": "rasa_addons.launch", "gateway": "bot serve"}

# One conversation: a greeting, a question, a pre-screening with its consent, an age, a hand-off.
SCRIPTS = {
    "en": [
        "hello",
        "will I get a placebo?",
        "can I join the diabetes study?",
        "<consent yes>",
        "I'm 52",
        "I'd like to talk to a real person",
    ],
    "fr": [
        "bonjour",
        "est-ce que je recevrai un placebo ?",
        "je voudrais participer à l'étude sur le diabète",
        "<consent yes>",
        "j'ai 52 ans",
        "je voudrais parler à une vraie personne",
    ],
}
APOLOGY = ("Sorry", "Désolé")
EMPTY_WAIT = 10.0  # seconds a person waits after an empty answer, in case something follows
SETTLE_WITHIN = 60.0  # seconds for messages still waiting once the conversations ended
BROKEN_OFF_WAIT = 30.0  # seconds a person waits for the answer to a request that broke off


@dataclass
class Talk:
    """What one person lived through."""

    sender: str
    lang: str
    sent: int = 0
    answered_at_once: int = 0
    answered_late: int = 0
    unanswered: int = 0
    answered_with_nothing: int = 0  # Rasa's answer was empty (an action it needed failed)
    resent: int = 0  # refused at the door (gateway down), sent again
    broken_off: int = 0  # the request broke off after it was sent
    failed_then_resent: int = 0  # the page said it could not be sent (a 5xx, or broken off and
    # no answer within BROKEN_OFF_WAIT); the person sent it again
    worst_wait: float = 0.0
    errors: list[str] = field(default_factory=list)


class Person:
    def __init__(self, url: str, sender: str, lang: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=60)
        self.talk = Talk(sender, lang)
        self.last: list[dict[str, Any]] = []

    def close(self) -> None:
        self.client.close()

    def converse(self, pause: float = 0.3) -> Talk:
        for line in SCRIPTS[self.talk.lang]:
            self.say(self._consent_yes() if line == "<consent yes>" else line)
            time.sleep(pause)
        return self.talk

    def _consent_yes(self) -> str:
        for message in self.last:
            for button in message.get("buttons") or []:
                if '"decision":"yes"' in button["payload"]:
                    return str(button["payload"])
        return "oui" if self.talk.lang == "fr" else "yes"

    def say(self, text: str) -> None:
        started = time.monotonic()
        self.talk.sent += 1
        while not self._send(text, give_up=time.monotonic() - started > LATE_ANSWER_WITHIN):
            self.talk.failed_then_resent += 1
            time.sleep(1.0)
        self.talk.worst_wait = max(self.talk.worst_wait, time.monotonic() - started)

    def _send(self, text: str, give_up: bool) -> bool:
        """One sending of `text`, as the page does it; False when the page said that it could
        not be sent, and the person sends it again."""
        after = self._last_update_id()
        body = {"sender": self.talk.sender, "text": text, "lang": self.talk.lang}
        # An empty answer (HTTP 200, no message) comes from Rasa when an action it needed failed.
        empty = broken = False
        while True:
            try:
                response = self.client.post("/api/chat", json=body)
                response.raise_for_status()
                replies = response.json()["messages"]
                empty = not replies
                break
            except (httpx.ConnectError, httpx.ConnectTimeout):
                self.talk.resent += 1  # never reached the gateway: the page says so, send again
                time.sleep(0.5)
            except httpx.HTTPStatusError as error:
                self.talk.errors.append(f"HTTP {error.response.status_code} on {text[:20]!r}")
                if give_up:
                    self.talk.unanswered += 1
                    return True
                return False
            except httpx.HTTPError as error:
                self.talk.broken_off += 1
                self.talk.errors.append(f"{type(error).__name__} on {text[:20]!r}")
                replies, broken = [], True
                break
        texts = " ".join(str(reply.get("text") or "") for reply in replies)
        wait = EMPTY_WAIT if empty else BROKEN_OFF_WAIT if broken and not give_up else None
        if replies and not any(word in texts for word in APOLOGY):
            self.talk.answered_at_once += 1
            self.last = replies
        elif late := self._late_answer(after, wait):
            self.talk.answered_late += 1
            self.last = late
        elif empty:
            self.talk.answered_with_nothing += 1
        elif broken and not give_up:
            return False
        else:
            self.talk.unanswered += 1
        return True

    def _last_update_id(self) -> int | None:
        for _ in range(int(HEALTHY_WITHIN * 2)):
            try:
                got = self.client.get("/api/chat/updates", params={"sender": self.talk.sender})
                return int(got.json()["last_id"]) if got.status_code == 200 else None
            except httpx.HTTPError:
                time.sleep(0.5)
        return None

    def _late_answer(self, after: int | None, within: float | None) -> list[dict[str, Any]]:
        deadline = time.monotonic() + (within or LATE_ANSWER_WITHIN)
        params: dict[str, Any] = {"sender": self.talk.sender}
        if after is not None:
            params["after"] = after
        while time.monotonic() < deadline:
            try:
                got = self.client.get("/api/chat/updates", params=params)
                messages = got.json().get("messages", []) if got.status_code == 200 else []
                if messages:
                    return list(messages)
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.5)
        return []


# --- the stack's processes --------------------------------------------------------------------


def child(stack: LocalStack, name: str) -> processes.ProcessInfo:
    """The running command of a supervised child (behind its guard)."""
    marker = CHILDREN[name]
    for guard in processes.every_process():
        if guard.ppid == stack.process.pid and marker in guard.command:
            for process in processes.every_process():
                if process.ppid == guard.pid and process.state != "Z":
                    return process
    raise LookupError(f"no {name} running")


def groups(stack: LocalStack) -> set[int]:
    """The process groups of the supervised children now."""
    return {p.group for p in processes.every_process() if p.ppid == stack.process.pid}


def left_behind(before: set[int], stack: LocalStack | None) -> list[processes.ProcessInfo]:
    """Living processes of groups that are no longer the stack's children."""
    now = groups(stack) if stack is not None else set()
    return [p for group in before - now for p in processes.group_members(group)]


def healthy(url: str) -> bool:
    try:
        response = httpx.get(f"{url}/healthz", timeout=2)
        parts = response.json()
    except (httpx.HTTPError, ValueError):
        return False
    return response.status_code == 200 and all(
        state == "up" for name, state in parts.items() if name != "status"
    )


def wait_healthy(url: str, within: float) -> float | None:
    """Seconds until the stack answers healthy, or None after `within`."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if healthy(url):
            return time.monotonic() - started
        time.sleep(0.25)
    return None


# --- faults ------------------------------------------------------------------------------------


def _sigkill(name: str) -> Callable[[LocalStack], None]:
    def fault(stack: LocalStack) -> None:
        os.kill(child(stack, name).pid, signal.SIGKILL)

    return fault


def kill_actions_worker(stack: LocalStack) -> None:
    """SIGKILL a Sanic worker answering on the action server's port (not its manager); with a
    single process (ACTION_SERVER_SANIC_WORKERS=1), that process."""
    parent = child(stack, "actions")
    workers = [
        p
        for p in processes.listening_on(stack.actions_port)
        if p.group == parent.group and p.pid != parent.pid  # not the supervisor, which holds it
    ]
    os.kill(workers[0].pid if workers else parent.pid, signal.SIGKILL)


def slow_rasa(seconds: float) -> Callable[[LocalStack], None]:
    """Rasa stops answering (SIGSTOP) for `seconds`, then goes on (SIGCONT)."""

    def fault(stack: LocalStack) -> None:
        rasa = child(stack, "rasa")
        os.kill(rasa.pid, signal.SIGSTOP)
        threading.Timer(seconds, os.kill, (rasa.pid, signal.SIGCONT)).start()

    return fault


class Redis:
    """A Redis server of the benchmark's own on a free port, which can be restarted safely."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        self.process = subprocess.Popen(
            processes.dying_with_this_process(argv),
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not processes.listening_on(self.port):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()

    def restart(self, _: LocalStack) -> None:
        """SIGKILL, and started again 2 s later on the same port (its keys are lost)."""
        self.stop()
        time.sleep(2.0)
        self.start()


class PostgreSQL:
    """A PostgreSQL server of the benchmark's own: a fresh cluster in a folder of its own, on a
    free port, which can be restarted safely (the machine's own server is never touched)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
        self.folder = Path(tempfile.mkdtemp(prefix="trialbot-chaos-pg-"))
        self.data = self.folder / "data"
        self.process: subprocess.Popen[bytes] | None = None
        # PostgreSQL refuses to run as root: then as the system's postgres account.
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user is not None:
            shutil.chown(self.folder, self.user)
        self._as_user([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                       "--auth=trust", "--no-sync"], check=True)  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_user(self, argv: list[str], check: bool = False) -> None:
        subprocess.run(argv, user=self.user, check=check, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)  # fmt: skip

    def start(self) -> None:
        argv = [str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port),
                "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.data}",
                "-c", "fsync=off", "-c", "max_connections=200"]  # fmt: skip
        if self.user is None:
            argv = processes.dying_with_this_process(argv)
        else:  # its account cannot run this Python: setpriv asks for the same end
            argv = ["setpriv", f"--reuid={self.user}", f"--regid={self.user}", "--init-groups",
                    "--pdeathsig=KILL", "--", *argv]  # fmt: skip
        with (self.folder / "postgres.log").open("ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while not processes.listening_on(self.port):
            assert self.process.poll() is None, (self.folder / "postgres.log").read_text()
            assert time.monotonic() < deadline, "postgres did not start"
            time.sleep(0.05)
        time.sleep(0.5)  # listening comes before accepting connections

    def stop(self, signum: int = signal.SIGINT) -> None:
        """SIGINT: PostgreSQL's fast shutdown; SIGQUIT: its immediate one, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self, _: LocalStack) -> None:
        """Stopped at once as in a crash (immediate shutdown: no checkpoint, recovery at the next
        start) and started again 2 s later."""
        self.stop(signal.SIGQUIT)
        time.sleep(2.0)
        self.start()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class FullDisk:
    """The stack's var folder (the SQLite files) on a small tmpfs of its own, filled by a file
    for `seconds` and then freed. Needs root for `mount`; `why_not()` says when it cannot."""

    def __init__(self, folder: Path, size_mb: int = 128, seconds: float = 15.0) -> None:
        self.folder, self.size_mb, self.seconds = folder, size_mb, seconds
        self.filler = folder / "filler"
        self.mounted = False

    @staticmethod
    def why_not() -> str | None:
        if os.geteuid() != 0:
            return "filling a disk needs a tmpfs of its own, and `mount` needs root"
        return None

    def mount(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.size_mb}m,mode=0700",
                        "tmpfs", str(self.folder)], check=True)  # fmt: skip
        self.mounted = True

    def unmount(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.folder)], check=False)
            self.mounted = False

    def fill(self) -> None:
        """Write until no byte is left."""
        chunk = b"\0" * (1 << 20)
        with self.filler.open("wb", buffering=0) as out:
            try:
                while True:
                    out.write(chunk)
            except OSError:
                pass
            try:  # what is left, a page at a time
                while True:
                    out.write(chunk[:4096])
            except OSError:
                pass

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def __call__(self, _: LocalStack) -> None:
        self.fill()
        try:
            time.sleep(self.seconds)
        finally:
            self.free()


FAULTS: dict[str, Callable[[LocalStack], None]] = {
    "kill gateway": _sigkill("gateway"),
    "kill Rasa": _sigkill("rasa"),
    "kill action server": _sigkill("actions"),
    "kill action server's worker": kill_actions_worker,
    "slow Rasa (20 s stopped)": slow_rasa(20.0),
}


# --- one round: people talk, a fault strikes at a random moment, then the tally ----------------


@dataclass
class Round:
    fault: str
    talks: list[Talk]
    healthy_after: float | None  # seconds from the fault's end to a healthy stack
    handled_twice: int  # messages Rasa handled more than once
    not_done: int  # messages the database does not show as answered
    consents_missing: int
    screenings_missing: int
    left_behind: list[str]
    # What a fault measures of its own (the reminders of a dispatcher killed), and whether its
    # goals were met.
    extra: dict[str, Any] = field(default_factory=dict)
    extra_ok: bool = True

    @property
    def answered_with_nothing(self) -> int:
        return sum(t.answered_with_nothing for t in self.talks)

    @property
    def ok(self) -> bool:
        """Every goal met."""
        return (
            self.healthy_after is not None
            and self.healthy_after <= HEALTHY_WITHIN
            and not self.handled_twice
            and not self.not_done
            and not self.consents_missing
            and not self.screenings_missing
            and not self.left_behind
            and all(not talk.unanswered for talk in self.talks)
            and not self.answered_with_nothing
            and self.extra_ok
        )

    def as_dict(self) -> dict[str, Any]:
        talks = self.talks
        return {
            "fault": self.fault,
            "messages": sum(t.sent for t in talks),
            "answered_at_once": sum(t.answered_at_once for t in talks),
            "answered_late": sum(t.answered_late for t in talks),
            "unanswered": sum(t.unanswered for t in talks),
            "answered_with_nothing": self.answered_with_nothing,
            "sent_again_after_refusal": sum(t.resent for t in talks),
            "sent_again_after_error": sum(t.failed_then_resent for t in talks),
            "handled_twice": self.handled_twice,
            "not_done_in_database": self.not_done,
            "consents_missing": self.consents_missing,
            "screenings_missing": self.screenings_missing,
            "healthy_after_s": None if self.healthy_after is None else round(self.healthy_after, 1),
            "worst_wait_s": round(max((t.worst_wait for t in talks), default=0.0), 1),
            "left_behind": self.left_behind,
            "errors": [error for talk in talks for error in talk.errors][:6],  # the first few
            **self.extra,
            "ok": self.ok,
        }


def play(
    stack: LocalStack,
    fault: str,
    people: int,
    rng: random.Random,
    round_no: int,
    faults: dict[str, Callable[[LocalStack], None]] = FAULTS,
) -> Round:
    """`people` conversations at once; `fault` strikes 0.5 to 4 s in; the tally once all ended.

    A fault with a `prepare(stack, tag)` is given it before the conversations start, and one with
    an `outcome(stack)` (figures of its own: `as_dict()`, `ok`) is asked for it at the end."""
    before = groups(stack)
    strike = faults[fault]
    if hasattr(strike, "prepare"):
        strike.prepare(stack, f"chaos-{round_no}")
    langs = ["en", "fr"]
    persons = [
        Person(stack.gateway_url, f"chaos-{round_no}-{i}", langs[i % 2]) for i in range(people)
    ]
    talks: list[Talk] = []
    threads = [threading.Thread(target=lambda p=p: talks.append(p.converse())) for p in persons]
    for thread in threads:
        thread.start()
    time.sleep(rng.uniform(0.5, 4.0))
    strike(stack)
    struck = time.monotonic()  # the kill; or the server started again, the disk freed
    time.sleep(1.0)  # let the failure be seen before health is asked
    recovered = wait_healthy(stack.gateway_url, HEALTHY_WITHIN * 2)
    healthy_after = None if recovered is None else time.monotonic() - struck
    for thread in threads:
        thread.join(timeout=LATE_ANSWER_WITHIN * 8)
    for person in persons:
        person.close()
    # A message answered whose answered-mark could not be written (the disk full) is taken up
    # again by the recovery loop once its claim has run out: waited for, as a person would.
    deadline = time.monotonic() + SETTLE_WITHIN
    while sum(_not_done(stack, p.talk.sender) for p in persons) and time.monotonic() < deadline:
        time.sleep(1.0)
    time.sleep(0.5)
    outcome = strike.outcome(stack) if hasattr(strike, "outcome") else None
    return Round(
        fault,
        talks,
        healthy_after,
        handled_twice=sum(_handled_twice(stack, p.talk.sender) for p in persons),
        not_done=sum(_not_done(stack, p.talk.sender) for p in persons),
        consents_missing=sum(not _consented(stack, p.talk.sender) for p in persons),
        screenings_missing=sum(not _screened(stack, p.talk.sender) for p in persons),
        left_behind=[f"{p.pid} {p.command[:80]}" for p in left_behind(before, stack)],
        extra=outcome.as_dict() if outcome is not None else {},
        extra_ok=outcome.ok if outcome is not None else True,
    )


def _settings(stack: LocalStack) -> Settings:
    return Settings(TRIALBOT_VAR_DIR=stack.var_dir, DATABASE_URL=stack.database_url)


def _key(stack: LocalStack, sender: str) -> str:
    return pseudonym(_settings(stack).pseudonym_secret(), "web", sender)


def _rows(stack: LocalStack, query: str, **values: Any) -> list[tuple[Any, ...]]:
    engine = create_db_engine(_settings(stack).db_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query), values)]
    finally:
        engine.dispose()


def _handled_twice(stack: LocalStack, sender: str) -> int:
    """Messages of `sender` that Rasa's tracker holds more than once."""
    token = _settings(stack).rasa_token()
    response = httpx.get(
        f"{stack.rasa_url}/conversations/{_key(stack, sender)}/tracker",
        params={"token": token, "include_events": "ALL"},
        timeout=30,
    )
    response.raise_for_status()
    seen: dict[Any, int] = {}
    for event in response.json().get("events") or []:
        if event.get("event") == "user":
            message_id = (event.get("metadata") or {}).get("message_id")
            seen[message_id] = seen.get(message_id, 0) + 1
    return sum(1 for count in seen.values() if count > 1)


def _not_done(stack: LocalStack, sender: str) -> int:
    return int(
        _rows(
            stack,
            "SELECT count(*) FROM inbound_messages m JOIN conversations c"
            " ON m.conversation_id = c.id WHERE c.sender_key = :key AND m.status != 'done'",
            key=_key(stack, sender),
        )[0][0]
    )


def _consented(stack: LocalStack, sender: str) -> bool:
    """The person's "yes" to the pre-screening's consent is in the ledger."""
    from bot.consent import ledger
    from bot.db.session import create_db_engine, make_session_factory

    settings = _settings(stack)
    engine = create_db_engine(settings.db_url)
    try:
        with make_session_factory(engine)() as session:
            who = ledger.participant(session, _key(stack, sender), create=False)
    finally:
        engine.dispose()
    if who is None:
        return False
    decisions = _rows(
        stack, "SELECT decision FROM consent_ledger WHERE participant = :who", who=who
    )
    return ("granted",) in decisions


def _screened(stack: LocalStack, sender: str) -> bool:
    """A pre-screening holds the age the person gave."""
    cipher = Cipher.from_settings(_settings(stack))
    for (answers,) in _rows(
        stack, "SELECT answers FROM screenings WHERE sender_key = :key", key=_key(stack, sender)
    ):
        if "52" in json.dumps(json.loads(cipher.decrypt(answers))):
            return True
    return False


def stack_env(**more: str) -> dict[str, str]:
    """Settings for a stack under faults: messages left waiting are retried often, reminders
    looked for every second, and those a dead dispatcher held taken over after 10 s (instead of
    2 minutes)."""
    return {
        "RECOVERY_INTERVAL_SECONDS": "1",
        "RASA_TIMEOUT_SECONDS": "10",
        "REMINDER_INTERVAL_SECONDS": "1",
        "REMINDER_LEASE_SECONDS": "10",
        **more,
    }


def orphans_after_stop(every_group: set[int]) -> list[str]:
    """Living processes of any group the stack ever had, once it is stopped."""
    return [f"{p.pid} {p.command[:80]}" for g in every_group for p in processes.group_members(g)]
