"""The staff pages (/staff): sign-in, the inbox, knowledge gaps, the recruitment funnel,
participants, and (for admins) accounts and the audit log.

Server-rendered HTML with no script: every change is a POST form carrying the session's CSRF
token, answered by a redirect. Anyone not signed in gets 401 and the sign-in form; a page their
role does not allow, 403. Every change, sign-in, export and look at a participant's record is
written to the audit log in the same transaction as the change itself (an answer to a handoff,
which its delivery commits on its own, right after it). English or French, as the staff member
chooses (`words`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, unquote, urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData

from bot.checkins import report
from bot.checkins.schedule import Schedule
from bot.crypto import Cipher
from bot.db.models import as_utc
from bot.gateway import limits
from bot.handoff.delivery import HandoffDelivery
from bot.handoff.service import HandoffError
from bot.reloading import Reloading
from bot.settings import Settings
from bot.staff import accounts, audit, words
from bot.staff import funnel as funnels
from bot.staff import inbox as inboxes
from bot.staff import knowledge as insights
from bot.staff import participants as people
from bot.trials import shared as shared_catalogue

COOKIE = "trialbot_staff"
LOGIN_COOKIE = "trialbot_login"  # the sign-in form's CSRF token (double submit)
FLASH_COOKIE = "trialbot_note"
LANGUAGE_COOKIE = "trialbot_staff_lang"
PATH = "/staff"
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}
T = TypeVar("T")
# One answer for an unknown e-mail, a wrong password and a locked account: which it was is
# for the audit log, not for whoever is trying addresses and passwords.
REFUSED = (
    "Wrong e-mail address or password. After {failures} wrong passwords in a row an account is "
    "locked for {minutes} minutes; an administrator can lift it sooner with the "
    "command trialbot staff unlock."
)
THROTTLED = "Too many sign-in attempts from this address. Wait {seconds} seconds and try again."


@functools.cache
def _stylesheet() -> str:
    return resources.files("bot.gateway").joinpath("static/staff.css").read_text("utf-8")


@dataclass(frozen=True)
class Staff:
    """The signed-in member of staff, as the pages need them (no ORM object leaves a thread)."""

    email: str
    role: str
    csrf_token: str

    @property
    def admin(self) -> bool:
        return self.role == "admin"


class Refused(Exception):
    """A request the pages answer with a page of their own, not the content asked for."""

    def __init__(self, status: int, message: str = "", **values: object) -> None:
        super().__init__(message)
        self.status = status
        self.message = message  # English; said in the staff member's language with `values`
        self.values = values


async def _signed_in(request: Request) -> Staff:
    pages: StaffPages = request.app.state.staff_pages
    return await pages.signed_in(request)


async def _admin(staff: Annotated[Staff, Depends(_signed_in)]) -> Staff:
    if not staff.admin:
        raise Refused(403, "This page is for administrators.")
    return staff


SignedIn = Annotated[Staff, Depends(_signed_in)]
AdminOnly = Annotated[Staff, Depends(_admin)]


def install(app: FastAPI, settings: Settings) -> None:
    """Mount the staff pages on the gateway."""
    pages = app.state.staff_pages = StaffPages(settings)
    app.include_router(pages.router())

    @app.exception_handler(Refused)
    async def refused(request: Request, error: Refused) -> Response:
        return pages.refusal(request, error)


class StaffPages:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.cipher = Cipher.from_settings(settings)
        self.policy = accounts.Policy(
            session_minutes=settings.staff_session_minutes,
            session_max_hours=settings.staff_session_max_hours,
            lockout_failures=settings.staff_lockout_failures,
            lockout_minutes=settings.staff_lockout_minutes,
        )
        self.sign_ins = limits.Limit("staff_sign_in", settings.staff_sign_ins_per_minute)
        self.sign_in_counter = limits.LocalCounter()  # when the gateway's limits are off
        self.zone = ZoneInfo(settings.site_timezone)
        self.encode = insights.lazy_encoder(settings)
        # Parsing every FAQ file takes a while: only again when one of them changed.
        faq = settings.knowledge_dir / "faq"
        self.entries = Reloading(
            lambda: faq.glob("*/*.md"), lambda: insights.load_entries(settings.knowledge_dir)
        )
        self.templates = Environment(
            loader=PackageLoader("bot.gateway", "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["local"] = pass_context(
            lambda context, moment: self.local_time(moment, context["lang"])
        )
        self.templates.globals["PATH"] = PATH

    # Plumbing -------------------------------------------------------------------------------

    def local_time(self, moment: dt.datetime | None, lang: str = "en") -> str:
        """A moment in the site's time zone, as its staff read it."""
        if moment is None:
            return ""
        return words.when(as_utc(moment).astimezone(self.zone), lang)

    def render(
        self, request: Request, name: str, staff: Staff | None, status: int = 200, **values: Any
    ) -> HTMLResponse:
        note = request.cookies.get(FLASH_COOKIE)
        lang = language(request)
        page = self.templates.get_template(f"staff/{name}").render(
            staff=staff,
            note=note and unquote(note),
            page=name.removesuffix(".html"),
            site_timezone=self.settings.site_timezone,
            lang=lang,
            _=functools.partial(words.t, lang),
            here=_here(request),
            **values,
        )
        response = HTMLResponse(page, status_code=status, headers=_HEADERS)
        if note:
            response.delete_cookie(FLASH_COOKIE, path=PATH)
        return response

    def back(self, request: Request, to: str, note: str, **values: object) -> RedirectResponse:
        """After a change: back to a page, with one line saying what happened."""
        note = words.t(language(request), note, **values)
        response = RedirectResponse(to, status_code=303, headers=_HEADERS)
        response.set_cookie(
            FLASH_COOKIE, quote(note)[:600], path=PATH, httponly=True, samesite="strict",
            secure=self.secure(request), max_age=60,
        )  # fmt: skip
        return response

    def secure(self, request: Request) -> bool:
        """Secure cookies behind TLS: said by the request itself, or by the proxy in front."""
        if self.settings.staff_secure_cookies is not None:
            return self.settings.staff_secure_cookies
        forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip()
        return (
            request.url.scheme == "https"
            or forwarded == "https"
            or self.settings.environment == "production"
        )

    def refusal(self, request: Request, error: Refused) -> Response:
        message = error.message and words.t(language(request), error.message, **error.values)
        if error.status == 401:
            return self.login_page(request, status=401, message=message, next_url=_here(request))
        return self.render(request, "error.html", None, status=error.status, message=message)

    def login_page(
        self, request: Request, *, status: int = 200, message: str = "", next_url: str = PATH
    ) -> HTMLResponse:
        token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
        response = self.render(
            request, "login.html", None, status=status, message=message,
            login_csrf=token, next_url=next_url,
        )  # fmt: skip
        response.set_cookie(
            LOGIN_COOKIE, token, path=PATH, httponly=True, samesite="strict",
            secure=self.secure(request),
        )  # fmt: skip
        return response

    def checkin_plans(self) -> dict[str, Schedule]:
        """Each trial's check-ins file (read again only when a file changed): in a worker."""
        return report.schedules(shared_catalogue(self.settings.knowledge_dir).get())

    async def db(self, request: Request, work: Callable[[Session], T]) -> T:
        """Read in a worker thread: the event loop keeps serving patients meanwhile."""
        factory: sessionmaker[Session] = request.app.state.sessions

        def run() -> T:
            with factory() as session:
                return work(session)

        return await asyncio.to_thread(run)

    async def act(
        self,
        request: Request,
        staff: Staff,
        action: str,
        subject: str | None,
        change: Callable[[Session], T],
        **detail: Any,
    ) -> T:
        """A change and its audit record, in one transaction: both are kept, or neither."""
        factory: sessionmaker[Session] = request.app.state.sessions
        address = request.client.host if request.client else None

        def run() -> T:
            with factory.begin() as session:
                result = change(session)
                audit.record(
                    session, staff.email, action, subject=subject, address=address, **detail
                )
                return result

        return await asyncio.to_thread(run)

    # Who is asking ----------------------------------------------------------------------------

    async def signed_in(self, request: Request) -> Staff:
        token = request.cookies.get(COOKIE, "")
        if not token:
            raise Refused(401)

        def resume(session: Session) -> Staff | None:
            with session.begin():
                signed = accounts.resume(session, token, self.policy)
                if signed is None:
                    return None
                return Staff(signed.user.email, signed.user.role, signed.csrf_token)

        staff = await self.db(request, resume)
        if staff is None:
            raise Refused(401, "Your session has ended. Please sign in again.")
        return staff

    async def form(self, request: Request, staff: Staff) -> FormData:
        """A POSTed form, once its CSRF token and origin are checked."""
        _same_origin(request)
        form = await request.form()
        given = form.get("csrf_token")
        if not isinstance(given, str) or not accounts.same_token(given, staff.csrf_token):
            raise Refused(403, "This form has expired. Go back, reload the page and try again.")
        return form

    # Routes -----------------------------------------------------------------------------------

    def router(self) -> APIRouter:
        api = APIRouter(prefix=PATH, include_in_schema=False)

        @api.get("/static/staff.css")
        async def stylesheet() -> Response:
            return Response(
                _stylesheet(), media_type="text/css", headers={"Cache-Control": "max-age=3600"}
            )

        @api.get("/language/{code}")
        async def choose_language(request: Request, code: str, back: str = PATH) -> Response:
            """English or French pages, kept in a cookie (the sign-in page too)."""
            response = RedirectResponse(_safe_next(back, login=True), status_code=303)
            if code in words.LANGUAGES:
                response.set_cookie(
                    LANGUAGE_COOKIE, code, path=PATH, httponly=True, samesite="lax",
                    secure=self.secure(request), max_age=365 * 24 * 3600,
                )  # fmt: skip
            return response

        @api.get("/login")
        async def login_form(request: Request) -> Response:
            return self.login_page(request, next_url=_safe_next(request.query_params.get("next")))

        @api.post("/login")
        async def login(request: Request) -> Response:
            return await self.login(request)

        @api.post("/logout")
        async def logout(request: Request, staff: SignedIn) -> Response:
            await self.form(request, staff)
            token = request.cookies.get(COOKIE, "")
            await self.act(request, staff, "logout", None, lambda s: accounts.end(s, token))
            response = RedirectResponse(f"{PATH}/login", status_code=303, headers=_HEADERS)
            response.delete_cookie(COOKIE, path=PATH)
            return response

        @api.get("")
        @api.get("/")
        async def inbox(request: Request, staff: SignedIn) -> Response:
            lang = language(request)
            shown = await self.db(
                request, lambda s: inboxes.page(s, self.cipher, self.settings, lang=lang)
            )
            return self.render(request, "inbox.html", staff, **shown)

        @api.post("/inbox/safety/{event_id}/acknowledge")
        async def acknowledge(request: Request, event_id: int, staff: SignedIn) -> Response:
            await self.form(request, staff)
            return await self.inbox_action(
                request, staff, "safety.acknowledge", f"safety_event:{event_id}",
                lambda s: inboxes.acknowledge_safety(s, event_id),
                "Safety event {id} acknowledged.", id=event_id,
            )  # fmt: skip

        @api.post("/inbox/safety/{event_id}/correct")
        async def correct(request: Request, event_id: int, staff: SignedIn) -> Response:
            form = await self.form(request, staff)
            changes = {
                name: str(form.get(name) or "")[:200]
                for name in ("onset", "ongoing", "severity", "care", "product", "last_dose")
            }
            changes["criteria"] = ",".join(str(c) for c in form.getlist("criteria"))
            return await self.inbox_action(
                request, staff, "safety.correct", f"safety_event:{event_id}",
                lambda s: inboxes.correct_safety(s, self.settings, self.cipher, event_id, changes),
                "Safety event {id}: its record is saved.", id=event_id,
            )  # fmt: skip

        @api.post("/inbox/follow-ups/{follow_up_id}/done")
        async def follow_up_done(request: Request, follow_up_id: int, staff: SignedIn) -> Response:
            await self.form(request, staff)
            return await self.inbox_action(
                request, staff, "follow_up.done", f"follow_up:{follow_up_id}",
                lambda s: inboxes.finish_follow_up(s, follow_up_id),
                "Request {id} marked done.", id=follow_up_id,
            )  # fmt: skip

        @api.post("/inbox/reminders/{reminder_id}/done")
        async def reminder_done(request: Request, reminder_id: int, staff: SignedIn) -> Response:
            await self.form(request, staff)
            return await self.inbox_action(
                request, staff, "reminder.reviewed", f"reminder:{reminder_id}",
                lambda s: inboxes.review_reminder(s, reminder_id),
                "Failed reminder {id} marked as dealt with.", id=reminder_id,
            )  # fmt: skip

        @api.post("/inbox/checkins/{checkin_id}/done")
        async def checkin_done(request: Request, checkin_id: int, staff: SignedIn) -> Response:
            await self.form(request, staff)
            return await self.inbox_action(
                request, staff, "checkin.reviewed", f"checkin:{checkin_id}",
                lambda s: inboxes.review_checkin(s, checkin_id),
                "Failed check-in {id} marked as dealt with.", id=checkin_id,
            )  # fmt: skip

        @api.post("/inbox/handoffs/{handoff_id}/reply")
        async def handoff_reply(request: Request, handoff_id: int, staff: SignedIn) -> Response:
            form = await self.form(request, staff)
            text = str(form.get("text") or "").strip()
            close = form.get("close") == "1"
            if not text:
                return self.back(request, PATH, "Write an answer before sending it.")
            if len(text) > 4000:
                return self.back(
                    request, PATH, "The answer is too long (4,000 characters at most)."
                )
            return await self.handoff_action(
                request, staff, handoff_id, "handoff.reply",
                lambda d: d.answer(handoff_id, text, close=close), chars=len(text), close=close,
            )  # fmt: skip

        @api.post("/inbox/handoffs/{handoff_id}/close")
        async def handoff_close(request: Request, handoff_id: int, staff: SignedIn) -> Response:
            await self.form(request, staff)
            return await self.handoff_action(
                request, staff, handoff_id, "handoff.close", lambda d: d.close(handoff_id)
            )

        @api.get("/knowledge")
        async def knowledge(request: Request, staff: SignedIn) -> Response:
            return self.render(request, "knowledge.html", staff, **await self.knowledge(request))

        @api.get("/funnel")
        async def funnel(request: Request, staff: SignedIn) -> Response:
            view = await self.funnel(request)
            return self.render(request, "funnel.html", staff, **view)

        @api.get("/funnel.csv")
        async def funnel_csv(request: Request, staff: SignedIn) -> Response:
            trial, campaign, since = self.funnel_filters(request)
            body = await self.act(
                request, staff, "funnel.export", trial or "all trials",
                lambda s: funnels.to_csv(
                    s, self.cipher, self.settings.knowledge_dir,
                    trial=trial, campaign=campaign, since=since,
                ),
                campaign=campaign,
            )  # fmt: skip
            stamp = dt.date.today().isoformat()
            name = re.sub(r"[^A-Za-z0-9._-]", "_", f"funnel-{trial or 'all-trials'}-{stamp}.csv")
            return Response(
                body,
                media_type="text/csv; charset=utf-8",
                headers={**_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
            )

        @api.get("/participants")
        async def participants(request: Request, staff: SignedIn, q: str = "") -> Response:
            query = q.strip()[:64]
            lang = language(request)
            rows = await self.db(request, lambda s: people.search(s, query or None, lang=lang))
            return self.render(request, "participants.html", staff, rows=rows, query=query)

        @api.get("/participants/{code}")
        async def participant(request: Request, code: str, staff: SignedIn) -> Response:
            # Looking at a person's record is itself an action worth recording.
            lang = language(request)
            record = await self.act(
                request, staff, "participant.view", f"participant:{code[:64]}",
                lambda s: people.detail(
                    s, code, lang=lang, cipher=self.cipher, plans=self.checkin_plans()
                ),
            )  # fmt: skip
            if record is None:
                raise Refused(404, "No participant with the code {code}.", code=code)
            return self.render(request, "participant.html", staff, record=record)

        @api.get("/admin")
        async def admin_page(request: Request, staff: AdminOnly) -> Response:
            users, log = await self.db(
                request, lambda s: (accounts.listed(s), audit.entries(s, limit=200))
            )
            return self.render(request, "admin.html", staff, users=users, log=log)

        return api

    # What the routes do ----------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        _same_origin(request)
        form = await request.form()
        email = str(form.get("email") or "").strip()
        password = str(form.get("password") or "")
        next_url = _safe_next(str(form.get("next") or PATH))
        expected = request.cookies.get(LOGIN_COOKIE, "")
        if not expected or not accounts.same_token(str(form.get("csrf_token") or ""), expected):
            expired = "The sign-in form had expired. Please try again."
            return self.login_page(
                request, status=403, next_url=next_url,
                message=words.t(language(request), expired),
            )  # fmt: skip
        address = request.client.host if request.client else None
        wait = await self.sign_in_wait(request)
        if wait:
            return await self.throttled(request, email, address, wait, next_url)

        def attempt(session: Session) -> tuple[accounts.SignIn, str | None]:
            with session.begin():
                outcome = accounts.sign_in(session, email, password, self.policy)
                token = None
                if outcome.refusal is None and outcome.user is not None:
                    token = accounts.start(session, outcome.user, self.policy)
                action = "login" if token else f"login_{outcome.refusal or accounts.Refusal.WRONG}"
                audit.record(session, email.lower()[:254] or "(blank)", action, address=address)
                return outcome, token

        outcome, token = await self.db(request, attempt)
        if token is None:
            return self.login_page(
                request,
                status=401,
                message=_refusal_text(outcome, self, language(request)),
                next_url=next_url,
            )
        response = RedirectResponse(next_url, status_code=303, headers=_HEADERS)
        response.set_cookie(
            COOKIE, token, path=PATH, httponly=True, samesite="strict",
            secure=self.secure(request),
        )  # fmt: skip
        response.delete_cookie(LOGIN_COOKIE, path=PATH)
        return response

    async def sign_in_wait(self, request: Request) -> int:
        """Seconds before this address may try a password again; 0: now. Counted with the
        gateway's abuse limits (through Redis when set), else in this process."""
        address = limits.client_address(request.scope)
        shared: limits.Limits | None = getattr(request.app.state, "limits", None)
        if shared is not None:
            verdict = await shared.per_address(self.sign_ins, address)
        else:
            verdict = await self.sign_in_counter.hit(address, self.sign_ins)
        return 0 if verdict.allowed else verdict.retry_after

    async def throttled(
        self, request: Request, email: str, address: str | None, wait: int, next_url: str
    ) -> Response:
        """429 with the sign-in form: no password is checked; the audit log has the attempt."""
        actor = email.lower()[:254] or "(blank)"

        def record(session: Session) -> None:
            with session.begin():
                audit.record(session, actor, "login_throttled", address=address)

        await self.db(request, record)
        message = words.t(language(request), THROTTLED, seconds=wait)
        response = self.login_page(request, status=429, message=message, next_url=next_url)
        response.headers["Retry-After"] = str(wait)
        return response

    async def inbox_action(
        self,
        request: Request,
        staff: Staff,
        action: str,
        subject: str,
        change: Callable[[Session], object],
        done: str,
        **values: object,
    ) -> Response:
        try:
            await self.act(request, staff, action, subject, change)
        except inboxes.InboxError as error:
            return self.back(request, PATH, error.message, **error.values)
        return self.back(request, PATH, done, **values)

    async def handoff_action(
        self,
        request: Request,
        staff: Staff,
        handoff_id: int,
        action: str,
        call: Callable[[HandoffDelivery], Any],
        **detail: Any,
    ) -> Response:
        delivery: HandoffDelivery = request.app.state.handoffs
        try:
            outcome = await call(delivery)
        except HandoffError as error:
            return self.back(request, PATH, str(error))
        await asyncio.to_thread(
            audit.handoff_delivered, request.app.state.sessions, staff.email, action, handoff_id,
            outcome.delivery, address=request.client.host if request.client else None, **detail,
        )  # fmt: skip
        lang = language(request)
        said = {
            "sent": words.t(lang, "delivered"),
            "pending": words.t(lang, "queued: it will be delivered as soon as the channel answers"),
            "failed": words.t(lang, "not delivered ({error})", error=outcome.error),
        }[outcome.delivery]
        what = (
            "Answer for request {id}: {outcome}."
            if action == "handoff.reply"
            else "Closing notice for request {id}: {outcome}."
        )
        return self.back(request, PATH, what, id=handoff_id, outcome=said)

    async def knowledge(self, request: Request) -> dict[str, Any]:
        today = dt.datetime.now(self.zone).date()

        def read(session: Session) -> dict[str, Any]:
            entries = self.entries.get()
            return {
                "expiring": insights.expiring(entries, today=today),
                "gaps": insights.gap_groups(session, self.cipher, self.encode, entries=entries),
                "feedback": insights.feedback(session, entries=entries),
            }

        return await self.db(request, read)

    def funnel_filters(self, request: Request) -> tuple[str | None, str | None, dt.datetime | None]:
        params = request.query_params
        trial = (params.get("trial") or "").strip()[:64] or None
        campaign = (params.get("campaign") or "").strip()[:64] or None
        days = params.get("days", "")
        since = None
        if days.isdigit() and 0 < int(days) <= 3650:
            since = dt.datetime.now(dt.UTC) - dt.timedelta(days=int(days))
        return trial, campaign, since

    async def funnel(self, request: Request) -> dict[str, Any]:
        trial, campaign, since = self.funnel_filters(request)
        knowledge_dir = self.settings.knowledge_dir
        lang = language(request)
        what = trial or words.t(lang, "All trials")
        if campaign:
            what += ", " + words.t(lang, "campaign {name}", name=campaign)
        title = words.t(lang, "Recruitment funnel: {what}", what=what)

        def read(session: Session) -> dict[str, Any]:
            shown = _said_in(
                lang, funnels.funnel(session, trial=trial, campaign=campaign, since=since)
            )
            return {
                "funnel": shown,
                "chart": funnels.svg_bars(shown, title=title),
                "campaigns": [
                    dataclasses.replace(row, funnel=_said_in(lang, row.funnel))
                    for row in funnels.by_campaign(session, trial=trial, since=since)
                ],
                "drop_off": funnels.question_drop_off(
                    session, self.cipher, knowledge_dir, trial=trial, campaign=campaign, since=since
                )
                if trial
                else [],
                "trials": funnels.trials(knowledge_dir),
                "campaign_names": funnels.campaigns(session),
                "retention": funnels.retention(
                    session, knowledge_dir, trial=trial, campaign=campaign, since=since
                ),
            }

        view = await self.db(request, read)
        view.update(
            trial=trial, campaign=campaign, days=request.query_params.get("days", ""),
            csv_query=request.url.query,
        )  # fmt: skip
        return view


def _said_in(lang: str, shown: funnels.Funnel) -> funnels.Funnel:
    """The funnel with its steps named in the staff member's language."""
    steps = tuple(dataclasses.replace(s, label=words.t(lang, s.label)) for s in shown.steps)
    return dataclasses.replace(shown, steps=steps)


def _refusal_text(outcome: accounts.SignIn, pages: StaffPages, lang: str) -> str:
    if outcome.refusal == accounts.Refusal.DISABLED:  # only after the right password
        return words.t(lang, "This account is disabled. Ask an administrator.")
    policy = pages.policy
    return words.t(lang, REFUSED, failures=policy.lockout_failures, minutes=policy.lockout_minutes)


def language(request: Request) -> str:
    """The language the staff member chose on the pages, else their browser's."""
    return words.language_of(
        request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
    )


def _same_origin(request: Request) -> None:
    """A form posted from another site is refused, whatever cookies it carries."""
    if cross_site(request):
        raise Refused(403, "This form was sent from another site.")


def cross_site(request: Request) -> bool:
    """Whether the request says it comes from another site. `Origin: null` counts: a sandboxed
    frame, a `data:` page or a redirect across sites sends it, never this site's own pages."""
    origin = request.headers.get("origin")
    if not origin:
        return False
    return origin == "null" or urlsplit(origin).netloc != request.headers.get("host")


def _here(request: Request) -> str:
    path = request.url.path
    if request.method != "GET" or not path.startswith(PATH) or path.endswith(".csv"):
        return PATH
    return path + (f"?{request.url.query}" if request.url.query else "")


def _safe_next(target: str | None, *, login: bool = False) -> str:
    """Only a staff page of this site (the sign-in page only if `login`): never an open redirect."""
    if not target or not target.startswith(PATH) or target.startswith("//") or "\\" in target:
        return PATH
    if urlsplit(target).netloc or (target.startswith(f"{PATH}/login") and not login):
        return PATH
    return target
