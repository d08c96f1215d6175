"""Reminders by e-mail: each coordinator gets one message listing the measures of their scope
that still owe a report in a period, with the deadline and the link to the Statusbericht page.

Configured by environment variables (README «Erinnerungen per E-Mail»):
- TRACKING_SMTP_URL: smtp://user:password@host:587 (STARTTLS, required) or smtps://…:465 (TLS
  from the start); the password URL-encoded where it holds special characters.
- TRACKING_MAIL_FROM: the sender, e.g. monitoring@lu.ch.
- TRACKING_PUBLIC_URL: the dashboard's address as people open it, e.g. https://monitoring.lu.ch.

A reminder sent is a write in the audit trail (action «remind», one row per recipient); a second
run on the same day finds it there and sends that person nothing again.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from urllib.parse import unquote, urlencode, urlsplit

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracking import formatting as fmt
from tracking.access import Actor, require
from tracking.audit import WriteLog
from tracking.errors import TrackingError
from tracking.models import Department, RowChange, UserAccount, WriteRecord
from tracking.periods import deadline_text, get_period
from tracking.reports import owing_reports
from tracking.sign_off import waiting_and_returned
from tracking.users import actor_for

REMIND_ACTION = "remind"
REMINDER_TABLE = "reminder"
SETTINGS = ("TRACKING_SMTP_URL", "TRACKING_MAIL_FROM", "TRACKING_PUBLIC_URL")
# Names and titles go into headers and lines: no line breaks or control characters there.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    implicit_tls: bool
    user: str | None
    password: str | None
    sender: str
    public_url: str


def mail_settings(environ: dict[str, str] | None = None) -> MailSettings:
    """The mail server, sender and public address from the environment; a German TrackingError
    naming what is missing or wrong (nothing is sent then)."""
    env = os.environ if environ is None else environ
    missing = [name for name in SETTINGS if not env.get(name, "").strip()]
    if missing:
        names = " und ".join([", ".join(missing[:-1]), missing[-1]] if len(missing) > 1 else missing)
        raise TrackingError(
            f"Erinnerungen können nicht versandt werden: {names} {'ist' if len(missing) == 1 else 'sind'} nicht "
            "gesetzt (README «Erinnerungen per E-Mail»). Nichts wurde versandt."
        )
    url = urlsplit(env["TRACKING_SMTP_URL"].strip())
    if url.scheme not in ("smtp", "smtps") or not url.hostname:
        raise TrackingError(
            "TRACKING_SMTP_URL ist ungültig: erwartet smtp://benutzer:passwort@host:587 (STARTTLS) "
            "oder smtps://benutzer:passwort@host:465. Nichts wurde versandt."
        )
    try:
        port = url.port or (465 if url.scheme == "smtps" else 587)
    except ValueError:
        raise TrackingError("TRACKING_SMTP_URL: der Port ist keine Zahl. Nichts wurde versandt.") from None
    sender = env["TRACKING_MAIL_FROM"].strip()
    if "@" not in sender or _CONTROL.search(sender):
        raise TrackingError(f"TRACKING_MAIL_FROM «{sender}» ist keine E-Mail-Adresse. Nichts wurde versandt.")
    public_url = env["TRACKING_PUBLIC_URL"].strip().rstrip("/")
    if not public_url.startswith(("http://", "https://")):
        raise TrackingError("TRACKING_PUBLIC_URL muss mit http:// oder https:// beginnen. Nichts wurde versandt.")
    return MailSettings(
        host=url.hostname,
        port=port,
        implicit_tls=url.scheme == "smtps",
        user=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password else None,
        sender=sender,
        public_url=public_url,
    )


@dataclass(frozen=True)
class OwedMeasure:
    code: str
    title: str
    department: str
    # With sign-off: the department returned the report, with this comment.
    returned_comment: str | None = None


@dataclass
class Reminder:
    """One coordinator's message: whom, what is owed, the link."""

    username: str
    name: str
    email: str
    scope_label: str
    link_query: str
    measures: list[OwedMeasure] = field(default_factory=list)
    already_sent: bool = False

    def link(self, public_url: str) -> str:
        return f"{public_url}/statusbericht?{self.link_query}"


def _clean(text: str | None) -> str:
    return _CONTROL.sub(" ", text or "").strip()


def due_reminders(session: Session, period_name: str, *, today: dt.date) -> list[Reminder]:
    """Every active coordinator with an e-mail address and a scope, with the measures of the scope
    that owe a report in the period (none came in, or it was returned); already_sent when the
    person got a reminder for the period today."""
    period = get_period(session, period_name)
    owing = owing_reports(session, period)
    pending, returned = waiting_and_returned(session, period.id)
    departments = dict(session.execute(select(Department.code, Department.name)).all())
    sent = _sent_on(session, period.name, today)
    reminders = []
    users = session.scalars(
        select(UserAccount)
        .where(UserAccount.role == "koordination", UserAccount.active.is_(True), UserAccount.email.is_not(None))
        .order_by(UserAccount.username)
    )
    for user in users:
        actor = actor_for(user)
        if not (actor.fields or actor.departments):
            continue
        covered = pd.Series(
            [actor.covers(f, d) for f, d in zip(owing["field_code"], owing["department_code"])],
            index=owing.index,
            dtype=bool,
        )
        mine = owing[covered & ~owing["has_report"] & ~owing["measure_id"].isin(pending)]
        query = {"periode": period.name}
        if actor.fields:
            query["feld"] = sorted(actor.fields)[0]
        else:
            query["departement"] = sorted(actor.departments)[0]
        reminders.append(
            Reminder(
                username=user.username,
                name=_clean(user.display_name),
                email=user.email,
                scope_label=actor.scope_label,
                link_query=urlencode(query),
                measures=[
                    OwedMeasure(
                        code,
                        _clean(title),
                        _clean(f"{department} {departments.get(department, '')}"),
                        returned.get(measure_id),
                    )
                    for measure_id, code, title, department in zip(
                        mine["measure_id"], mine["code"], mine["title"], mine["department_code"]
                    )
                ],
                already_sent=user.username in sent,
            )
        )
    return reminders


def _sent_on(session: Session, period_name: str, day: dt.date) -> set[str]:
    """The accounts that got a reminder for the period on that day (from the audit trail)."""
    keys = session.scalars(
        select(RowChange.row_key)
        .join(WriteRecord, WriteRecord.id == RowChange.write_id)
        .where(
            WriteRecord.action == REMIND_ACTION,
            RowChange.table_name == REMINDER_TABLE,
            RowChange.row_key.like(f"%/{period_name}/{day.isoformat()}"),
        )
    )
    return {key.split("/", 1)[0] for key in keys}


def _reminder_key(username: str, period_name: str, day: dt.date) -> str:
    """The audit row of a reminder: account, period and the day it was sent (what _sent_on finds)."""
    return f"{username}/{period_name}/{day.isoformat()}"


def message_for(
    reminder: Reminder, *, period_name: str, deadline: dt.date | None, settings: MailSettings, today: dt.date
) -> EmailMessage:
    """The German e-mail of one reminder."""
    n = len(reminder.measures)
    due = deadline_text(deadline, today)
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = Address(display_name=reminder.name, addr_spec=reminder.email)
    subject = f"Statusbericht {period_name}: {fmt.count(n, 'Massnahme', 'Massnahmen')} offen"
    message["Subject"] = f"{subject} – {due}" if due else subject
    open_ones = [m for m in reminder.measures if m.returned_comment is None]
    returned = [m for m in reminder.measures if m.returned_comment is not None]
    lines = [f"Guten Tag {reminder.name}", ""]
    if open_ones:
        lines += [
            f"Für die Berichtsperiode {period_name} fehlen in Ihrem Geltungsbereich ({reminder.scope_label}) noch "
            f"die Statusberichte {_these(len(open_ones))}:",
            "",
            *(f"- {m.code} {m.title} ({m.department})" for m in open_ones),
            "",
        ]
    if returned:
        lines += [
            "Von der Departementsleitung zurückgewiesen, bitte überarbeiten:",
            "",
            *(f"- {m.code} {m.title} ({m.department}): «{_clean(m.returned_comment)}»" for m in returned),
            "",
        ]
    lines += [
        f"{due}." if due else "Ein Meldeschluss ist nicht festgelegt.",
        "",
        "Hier melden (Vorlage herunterladen und hochladen oder direkt im Browser erfassen):",
        reminder.link(settings.public_url),
        "",
        "Freundliche Grüsse",
        "Monitoring Digitaler Wandel, Kanton Luzern",
        "",
        "Diese Nachricht wurde automatisch versandt.",
    ]
    message.set_content("\n".join(lines))
    return message


def _these(n: int) -> str:
    return "dieser Massnahme" if n == 1 else f"dieser {fmt.number(n)} Massnahmen"


def send_messages(settings: MailSettings, messages: list[EmailMessage], on_sent: Callable[[int], None]) -> None:
    """Send through one connection; on_sent(i) after each message the server accepted. STARTTLS
    is required on smtp:// (the password never travels in clear text)."""
    context = ssl.create_default_context()
    try:
        if settings.implicit_tls:
            smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=30, context=context)
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=30)
        with smtp:
            if not settings.implicit_tls:
                smtp.ehlo()
                if not smtp.has_extn("starttls"):
                    raise TrackingError(
                        f"Der Mailserver {settings.host}:{settings.port} bietet kein STARTTLS an; ohne "
                        "Verschlüsselung wird nichts versandt."
                    )
                smtp.starttls(context=context)
                smtp.ehlo()
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            for i, message in enumerate(messages):
                smtp.send_message(message)
                on_sent(i)
    except smtplib.SMTPAuthenticationError:
        raise TrackingError(
            f"Der Mailserver {settings.host} hat die Anmeldung abgelehnt (Benutzer oder Passwort in "
            "TRACKING_SMTP_URL prüfen)."
        ) from None
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise TrackingError(f"Versand über {settings.host}:{settings.port} fehlgeschlagen: {exc}") from None


@dataclass
class RemindResult:
    sent: list[Reminder]
    skipped_today: list[Reminder]
    nothing_owed: list[Reminder]


def remind(
    session_factory: Callable,
    period_name: str,
    *,
    actor: Actor | str,
    today: dt.date,
    dry_run: bool = False,
    settings: MailSettings | None = None,
) -> RemindResult:
    """Work out the reminders of a period and, unless dry_run, send them and record each one sent
    (its own transaction, right after the server accepted it: a failure later leaves no one
    reminded twice). session_factory(write=bool) opens a transaction (tracking.db.transaction)."""
    acting = require(actor, "remind")
    with session_factory() as session:
        period = get_period(session, period_name)
        if not period.is_open:
            raise TrackingError(f"Die Berichtsperiode {period.name} ist geschlossen: es gibt nichts mehr zu melden.")
        deadline = period.deadline
        reminders = due_reminders(session, period.name, today=today)
    result = RemindResult(
        sent=[r for r in reminders if r.measures and not r.already_sent],
        skipped_today=[r for r in reminders if r.measures and r.already_sent],
        nothing_owed=[r for r in reminders if not r.measures],
    )
    if dry_run or not result.sent:
        return result
    settings = settings or mail_settings()
    messages = [
        message_for(r, period_name=period.name, deadline=deadline, settings=settings, today=today) for r in result.sent
    ]

    def record(i: int) -> None:
        reminder = result.sent[i]
        with session_factory(write=True) as session:
            log = WriteLog(session, actor=acting, source="remind", action=REMIND_ACTION)
            log.change(
                REMINDER_TABLE,
                _reminder_key(reminder.username, period.name, today),
                "insert",
                after={
                    "an": reminder.email,
                    "massnahmen": [m.code for m in reminder.measures],
                    "meldeschluss": deadline.isoformat() if deadline else None,
                },
            )
            owed = fmt.count(len(reminder.measures), "Massnahme", "Massnahmen")
            log.ensure_record().summary = f"Erinnerung {period.name} an {reminder.name}: {owed}."

    send_messages(settings, messages, record)
    return result
