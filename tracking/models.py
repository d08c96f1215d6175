"""The store: typed SQLAlchemy 2.0 models.

Rules that must never be broken live in the database as constraints, so that
no code path (a script, a later page, a hand-written SQL fix) can store a
progress of 120 % or a second current report for the same measure and period.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    or_,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from tracking.vocab import DIRECTIONS, LIGHTS, STATUSES, SUBMISSION_STATES

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def one_of(column: str, values) -> str:
    """A CHECK that the column holds one of the values, written as = … OR = …, not IN (…):
    SQLite builds a lookup table for an IN list on every row that an executemany
    inserts, which made the checks cost as much as the insert itself (10'000 reports)."""
    return "(" + " OR ".join(f"{column} = '{v}'" for v in values) + ")"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def local_now() -> dt.datetime:
    """The server's local time, without zone: what people in Lucerne read."""
    return dt.datetime.now().replace(microsecond=0)


class Strategy(Base):
    __tablename__ = "strategy"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(400))
    source: Mapped[str | None] = mapped_column(String(400))
    description: Mapped[str | None] = mapped_column(Text)
    goals_are_examples: Mapped[bool] = mapped_column(Boolean, default=False)
    # Freigabe: a coordinator's report counts once the measure's department head released it.
    sign_off: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Who publishes the open data (DCAT-AP CH): the publisher, its organisation on
    # opendata.swiss (the datasets' identifiers end in «@slug»), the contact point.
    publisher: Mapped[str | None] = mapped_column(String(200))
    publisher_slug: Mapped[str | None] = mapped_column(String(100))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(200))


class CoreGoal(Base):
    __tablename__ = "core_goal"
    __table_args__ = (UniqueConstraint("strategy_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategy.id"))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(400))
    # A few words for the matrix's column heading («Chancengerechtigkeit»); «» shows the code alone.
    short_name: Mapped[str] = mapped_column(String(40), default="", server_default="")
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Principle(Base):
    __tablename__ = "principle"
    __table_args__ = (UniqueConstraint("strategy_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategy.id"))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ActionField(Base):
    __tablename__ = "action_field"
    __table_args__ = (UniqueConstraint("strategy_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategy.id"))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(400))
    introduction: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    goals: Mapped[list[Goal]] = relationship(back_populates="field", order_by="Goal.position")


class Goal(Base):
    __tablename__ = "goal"
    __table_args__ = (CheckConstraint("weight > 0", name="weight_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("action_field.id"), index=True)
    # e.g. "5.2": field 5, goal 2; measures are coded M-5.2.nn.
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(600))
    is_example: Mapped[bool] = mapped_column(Boolean, default=False)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    field: Mapped[ActionField] = relationship(back_populates="goals")
    contributions: Mapped[list[GoalContribution]] = relationship(back_populates="goal", cascade="all, delete-orphan")


class GoalContribution(Base):
    """How strongly a goal serves a core goal (0 none, 1 weak, 2 medium, 3 strong)."""

    __tablename__ = "goal_contribution"
    __table_args__ = (CheckConstraint("weight >= 0", name="weight_not_negative"),)

    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id"), primary_key=True)
    core_goal_id: Mapped[int] = mapped_column(ForeignKey("core_goal.id"), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)

    goal: Mapped[Goal] = relationship(back_populates="contributions")


class Department(Base):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


measure_partner = Table(
    "measure_partner",
    Base.metadata,
    Column("measure_id", ForeignKey("measure.id"), primary_key=True),
    Column("department_id", ForeignKey("department.id"), primary_key=True),
)


class Measure(Base):
    __tablename__ = "measure"
    __table_args__ = (
        CheckConstraint("weight > 0", name="weight_positive"),
        CheckConstraint("budget_chf IS NULL OR budget_chf >= 0", name="budget_not_negative"),
        CheckConstraint(
            "planned_end IS NULL OR start_date IS NULL OR planned_end >= start_date",
            name="end_after_start",
        ),
        # A goal's measures with what decides whether they count in a period:
        # the SQL figures count them from this index alone, in goal order.
        Index(
            "ix_measure_goal_counting",
            "goal_id",
            "active",
            "retired_on",
            "start_date",
            "planned_end",
            "lead_department_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id"))
    title: Mapped[str] = mapped_column(String(400))
    description: Mapped[str | None] = mapped_column(Text)
    lead_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    responsible_unit: Mapped[str | None] = mapped_column(String(200))
    contact: Mapped[str | None] = mapped_column(String(200))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    planned_end: Mapped[dt.date | None] = mapped_column(Date)
    budget_chf: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set when the catalogue retires the measure: it still counts in periods
    # that began before this day (its history stays), not in later ones.
    retired_on: Mapped[dt.date | None] = mapped_column(Date)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Shown on the public page and in the open data (tracking/public.py decides what of it).
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    goal: Mapped[Goal] = relationship()
    lead_department: Mapped[Department] = relationship()

    @classmethod
    def counts_in(cls, period_start: dt.date):
        """SQL: the measure counts in a period that starts on period_start (active, or retired later)."""
        return or_(cls.active.is_(True), cls.retired_on > period_start)

    partners: Mapped[list[Department]] = relationship(secondary=measure_partner)


class ReportingPeriod(Base):
    __tablename__ = "reporting_period"
    __table_args__ = (CheckConstraint("end_date >= start_date", name="end_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20), unique=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    # Meldeschluss: the day the coordinators' reports are due (None: not set).
    deadline: Mapped[dt.date | None] = mapped_column(Date)


class PeriodGoalSum(Base):
    """A closed period's sums per goal (tracking.rollup.SUM_COLUMNS), stored when it was closed
    (tracking/frozen.py): its figures no longer move with today's date or later writes."""

    __tablename__ = "period_goal_sums"

    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id", ondelete="CASCADE"), primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id"), primary_key=True)
    n_measures: Mapped[int] = mapped_column(Integer)
    n_counted: Mapped[int] = mapped_column(Integer)
    n_paused: Mapped[int] = mapped_column(Integer)
    n_no_report: Mapped[int] = mapped_column(Integer)
    n_behind_plan: Mapped[int] = mapped_column(Integer)
    n_overdue: Mapped[int] = mapped_column(Integer)
    weighted_sum: Mapped[float] = mapped_column(Float)
    weight_sum: Mapped[float] = mapped_column(Float)
    owing: Mapped[int] = mapped_column(Integer)
    reported: Mapped[int] = mapped_column(Integer)
    completed: Mapped[int] = mapped_column(Integer)
    n_gruen: Mapped[int] = mapped_column(Integer)
    w_gruen: Mapped[float] = mapped_column(Float)
    n_gelb: Mapped[int] = mapped_column(Integer)
    w_gelb: Mapped[float] = mapped_column(Float)
    n_rot: Mapped[int] = mapped_column(Integer)
    w_rot: Mapped[float] = mapped_column(Float)


class PeriodCouncilContent(Base):
    """What the Sitzungsbericht of a closed period says (tracking.council.CouncilContent as JSON),
    stored with its sums (tracking/frozen.py): printed today or in a year, it reads the same."""

    __tablename__ = "period_council_content"

    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id", ondelete="CASCADE"), primary_key=True)
    content: Mapped[str] = mapped_column(Text)


# Written as SQLAlchemy renders `status.in_(sorted(ENDED_STATUSES))`: SQLite
# uses a partial index only when the query repeats its condition word for word.
ENDED_PREDICATE = "status IN ('abgebrochen', 'abgeschlossen')"


class StatusReport(Base):
    """One report for a measure in a period; later uploads supersede, never delete."""

    __tablename__ = "status_report"
    __table_args__ = (
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
        CheckConstraint(one_of("status", STATUSES), name="status_vocabulary"),
        CheckConstraint(one_of("light", LIGHTS), name="light_vocabulary"),
        # A yellow or red light needs a written reason (README «Meldungen: was zählt»).
        CheckConstraint(
            "light = 'gruen' OR length(trim(coalesce(comment, ''))) > 0",
            name="light_reason",
        ),
        Index(
            "uq_status_report_current",
            "measure_id",
            "period_id",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
        # A period's reports, and one measure's report in a period (the SQL
        # figures join every measure to its report this way).
        Index("ix_status_report_period_measure", "period_id", "measure_id"),
        # A measure's current reports by period, from the index alone (is a
        # later report there?), and its history.
        Index("ix_status_report_measure_current", "measure_id", "is_current", "period_id"),
        # The few final reports (ended measures) without scanning the history,
        # with everything the carried figures read from them.
        Index(
            "ix_status_report_ended",
            "measure_id",
            "is_current",
            "period_id",
            "status",
            "progress",
            sqlite_where=text(ENDED_PREDICATE),
            postgresql_where=text(ENDED_PREDICATE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measure.id"))
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id"))
    status: Mapped[str] = mapped_column(String(20))
    light: Mapped[str] = mapped_column(String(10))
    progress: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    next_steps: Mapped[str | None] = mapped_column(Text)
    risks: Mapped[str | None] = mapped_column(Text)
    # «unverändert»: the reporter confirmed that the last period's values still hold.
    unchanged: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # The reporter's explanation of plausibility warnings (tracking/plausibility.py).
    explanation: Mapped[str | None] = mapped_column(Text)
    reported_by: Mapped[str] = mapped_column(String(200))
    reported_at: Mapped[dt.datetime] = mapped_column(DateTime)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    write_id: Mapped[int | None] = mapped_column(ForeignKey("write_record.id"), index=True)


class Submission(Base):
    """A coordinator's report waiting for the department head's release (Freigabe), when the
    strategy asks for sign-off (Strategy.sign_off). It counts nowhere until released; released,
    its values become the measure's current StatusReport. A returned one keeps the comment."""

    __tablename__ = "submission"
    __table_args__ = (
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
        CheckConstraint(one_of("status", STATUSES), name="status_vocabulary"),
        CheckConstraint(one_of("light", LIGHTS), name="light_vocabulary"),
        CheckConstraint(one_of("state", SUBMISSION_STATES), name="state_vocabulary"),
        CheckConstraint(
            "state <> 'zurueckgewiesen' OR length(trim(coalesce(review_comment, ''))) > 0",
            name="return_reason",
        ),
        # One submission per measure and period waits at a time.
        Index(
            "uq_submission_waiting",
            "measure_id",
            "period_id",
            unique=True,
            sqlite_where=text("state = 'eingereicht'"),
            postgresql_where=text("state = 'eingereicht'"),
        ),
        Index("ix_submission_period_state", "period_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measure.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id"))
    status: Mapped[str] = mapped_column(String(20))
    light: Mapped[str] = mapped_column(String(10))
    progress: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    next_steps: Mapped[str | None] = mapped_column(Text)
    risks: Mapped[str | None] = mapped_column(Text)
    unchanged: Mapped[bool] = mapped_column(Boolean, default=False)
    explanation: Mapped[str | None] = mapped_column(Text)
    # Who submitted: the account (nobody releases their own upload) and the name shown.
    submitted_by: Mapped[str] = mapped_column(String(200))
    submitted_by_name: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(20), default="eingereicht")
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The import that submitted it, and the report its release wrote.
    write_id: Mapped[int | None] = mapped_column(ForeignKey("write_record.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("status_report.id"))


class Indicator(Base):
    __tablename__ = "indicator"
    __table_args__ = (
        CheckConstraint(one_of("direction", DIRECTIONS), name="direction_vocabulary"),
        UniqueConstraint("goal_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(50))
    baseline: Mapped[float | None] = mapped_column(Float)
    baseline_year: Mapped[int | None]
    target: Mapped[float | None] = mapped_column(Float)
    target_year: Mapped[int | None]
    direction: Mapped[str] = mapped_column(String(10), default="hoeher")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class IndicatorValue(Base):
    __tablename__ = "indicator_value"
    __table_args__ = (
        Index(
            "uq_indicator_value_current",
            "indicator_id",
            "period_id",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id"))
    value: Mapped[float] = mapped_column(Float)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    reported_by: Mapped[str] = mapped_column(String(200))
    reported_at: Mapped[dt.datetime] = mapped_column(DateTime)
    write_id: Mapped[int | None] = mapped_column(ForeignKey("write_record.id"), index=True)


class WriteRecord(Base):
    """The audit trail: one row per write (who, when, from which source)."""

    __tablename__ = "write_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The account name (unique); display names may repeat. The command line writes the
    # system user or --user here.
    actor: Mapped[str] = mapped_column(String(200))
    # The display name beside it, as the person was called at the time of the write.
    actor_name: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=local_now)
    source: Mapped[str] = mapped_column(String(400))
    action: Mapped[str] = mapped_column(String(60))
    summary: Mapped[str | None] = mapped_column(Text)
    # Set on an import that was undone: the write that undid it.
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("write_record.id"))

    changes: Mapped[list[RowChange]] = relationship(
        back_populates="write", order_by="RowChange.id", cascade="all, delete-orphan"
    )


class RowChange(Base):
    """Which row a write touched, with its values before and after."""

    __tablename__ = "row_change"
    __table_args__ = (CheckConstraint(one_of("kind", ("insert", "update", "retire")), name="kind_vocabulary"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    write_id: Mapped[int] = mapped_column(ForeignKey("write_record.id"), index=True)
    table_name: Mapped[str] = mapped_column(String(60))
    row_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    write: Mapped[WriteRecord] = relationship(back_populates="changes")


class UserAccount(Base):
    """A person who signs in: role, scope, password hash (argon2) or single sign-on e-mail."""

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(
            one_of("role", ("admin", "koordination", "departementsleitung", "regierungsrat")), name="role_vocabulary"
        ),
        CheckConstraint("failed_attempts >= 0", name="failed_attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(30))
    # A coordinator's scope: action field codes and department codes.
    scope_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    scope_departments: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The department a department head sees first.
    home_department: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(400))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class SignInThrottle(Base):
    """Failed sign-ins for names without a usable account (unknown, inactive, no password).

    Counted like an account's own failures, so that the lock after too many
    attempts does not tell which names exist.
    """

    __tablename__ = "sign_in_throttle"

    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)


class WebSession(Base):
    """A browser's sign-in that outlives a reload: the browser holds a signed, HttpOnly cookie
    with the token, the server this row (only hashes of ticket and token). Sign-out, the
    inactivity timeout and a disabled account end it (ended_at)."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The one-time ticket the page hands the browser to fetch its cookie (then cleared).
    ticket_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # A local account by name, or a demo role (name, role, scope) while demo data is loaded.
    username: Mapped[str | None] = mapped_column(String(100))
    demo_actor: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
