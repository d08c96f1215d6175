"""Plausible demo measures and reports, reproducible from a seed and a reference date.

Everything here is marked is_demo: the «Demodaten» banner shows, and an administrator tells it from real content.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from tracking.audit import WriteLog, snapshot
from tracking.demo_cycle import demo_cycle
from tracking.errors import TrackingError
from tracking.frozen import freeze_closed
from tracking.models import (
    ActionField,
    Department,
    Goal,
    Indicator,
    IndicatorValue,
    Measure,
    ReportingPeriod,
)
from tracking.periods import all_periods
from tracking.reports import ReportValues, record_report
from tracking.vocab import (
    CANCELLED,
    COMPLETED,
    ENDED_STATUSES,
    GREEN,
    IN_PROGRESS,
    PAUSED_STATUSES,
    PLANNED,
    RED,
    SUSPENDED,
    YELLOW,
)

DEMO_SEED = 2022
DEMO_ACTOR = "Demodaten-Generator"

# Which departments lead measures in which field (first one most often).
FIELD_DEPARTMENTS = {
    "AF1": ["BKD", "BUWD"],
    "AF2": ["FD", "BUWD"],
    "AF3": ["JSD", "FD"],
    "AF4": ["BUWD"],
    "AF5": ["STK", "FD", "JSD"],
    "AF6": ["BUWD", "FD"],
    "AF7": ["FD", "STK", "BKD"],
    "AF8": ["GSD", "BKD"],
    "AF9": ["STK", "FD"],
}

FIELD_TITLES = {
    "AF1": [
        "Lehrplan Medien und Informatik umsetzen",
        "Lernplattform für die Volksschule",
        "Weiterbildung digitale Didaktik",
        "Geräteausstattung Sekundarschulen",
        "Digitale Prüfungen an Berufsfachschulen",
        "Innovationsfonds Hochschulkooperation",
        "Makerspaces an Gymnasien",
        "Kursangebot digitale Grundkompetenzen",
        "Digitale Lehrmittel Berufsbildung",
        "Pilot adaptives Lernen",
        "Datenschutz-Leitfaden für Schulen",
        "Innovationspark Luzern",
    ],
    "AF2": [
        "Breitbandförderung ländliche Gemeinden",
        "Rechenzentrum modernisieren",
        "Kantonales Netz erneuern",
        "Basisdienst elektronische Zahlungen",
        "Gemeinsame Dokumentenablage",
        "Cloud-Strategie umsetzen",
        "Mobilfunkabdeckung Verwaltungsstandorte",
        "Arbeitsplatz-Erneuerung 2025",
        "Identitäts- und Zugriffsverwaltung",
    ],
    "AF3": [
        "ISMS nach ISO 27001 einführen",
        "Security Operations Center",
        "Datenschutz-Folgenabschätzungen standardisieren",
        "Sensibilisierungskampagne Cyberrisiken",
        "Notfallplanung kritische Infrastrukturen",
        "Awareness-Schulung Mitarbeitende",
        "Schwachstellenmanagement",
        "Beratungsstelle Cybersicherheit KMU",
    ],
    "AF4": [
        "Geoportal Umweltdaten",
        "Energiemonitoring kantonale Gebäude",
        "Green-IT-Richtlinie",
        "Sensornetz Luftqualität",
        "Digitale Gewässerdaten",
        "Stromverbrauch Rechenzentrum senken",
        "Digitale Wasserstandsmeldungen",
        "Solarkataster online",
    ],
    "AF5": [
        "E-Government-Portal Kanton und Gemeinden",
        "Digitale Steuererklärung für alle",
        "Nutzerzentrierte Formulare",
        "Digitales Baubewilligungsverfahren",
        "E-Collecting Pilot",
        "Vernehmlassungen online",
        "Service-Design-Labor",
        "Prozessautomatisierung Personalwesen",
        "Elektronische Geschäftsverwaltung",
        "Mitwirkungsplattform",
        "Online-Schalter Strassenverkehrsamt",
        "Digitale Beglaubigungen",
        "Elektronisches Handelsregister",
        "Chatbot Bürgeranfragen",
        "Digitale Signatur Verwaltung",
    ],
    "AF6": [
        "Digitale Unternehmensbewilligungen",
        "KMU-Digitalcheck",
        "Netzwerk Digitalwirtschaft",
        "Standortmarketing Digital",
        "Fachkräfteinitiative ICT",
        "Onlineschalter Wirtschaft",
        "Digitale Arbeitsmarktbewilligungen",
        "Startup-Förderprogramm",
    ],
    "AF7": [
        "Open-Government-Data-Portal",
        "Datenkatalog Verwaltung",
        "Once-Only-Stammdaten",
        "KI-Richtlinie Verwaltung",
        "Register für KI-Anwendungen",
        "Digitalisierung Staatsarchiv",
        "Datenplattform Statistik",
        "Digitalisierung Bibliotheksbestände",
        "Datenstrategie Kanton",
        "Transparenzregister Algorithmen",
        "Stammdatenmanagement",
    ],
    "AF8": [
        "Digitale Sprechstunde für Seniorinnen und Senioren",
        "Elektronisches Patientendossier fördern",
        "Barrierefreiheit Webauftritt",
        "Digitale Sozialhilfe-Anträge",
        "Telemedizin Pilot",
        "Kulturportal digital",
        "Digitale Pflegeplanung",
        "Unterstützung digitale Teilhabe",
    ],
    "AF9": [
        "Mitwirkung Digitale Verwaltung Schweiz",
        "Interkantonale Lösungen einführen",
        "Koordination Digitalisierung Gemeinden",
        "Gemeinsame Beschaffung Software",
        "Austauschplattform Gemeinden",
        "Nationale Adressdienste anbinden",
    ],
}

UNITS = {
    "BKD": [
        "Dienststelle Volksschulbildung",
        "Dienststelle Berufs- und Weiterbildung",
        "Dienststelle Hochschulbildung und Kultur",
    ],
    "BUWD": [
        "Dienststelle Umwelt und Energie",
        "Dienststelle Raum und Wirtschaft",
        "Dienststelle Verkehr und Infrastruktur",
    ],
    "FD": ["Dienststelle Informatik", "Dienststelle Steuern", "Dienststelle Personal"],
    "GSD": ["Dienststelle Gesundheit und Sport", "Dienststelle Soziales und Gesellschaft"],
    "JSD": ["Luzerner Polizei", "Dienststelle Militär, Zivilschutz und Justizvollzug", "Strassenverkehrsamt"],
    "STK": ["Staatskanzlei, Digitale Verwaltung", "Staatskanzlei, Kommunikation"],
}
FIRST_NAMES = [
    "Andrea",
    "Beat",
    "Claudia",
    "Daniel",
    "Esther",
    "Fabian",
    "Gabriela",
    "Hans",
    "Irene",
    "Jonas",
    "Karin",
    "Lukas",
    "Monika",
    "Nico",
    "Petra",
    "Reto",
    "Sandra",
    "Thomas",
]
LAST_NAMES = [
    "Amrein",
    "Bucher",
    "Felder",
    "Gisler",
    "Huber",
    "Koch",
    "Meier",
    "Portmann",
    "Schmid",
    "Stalder",
    "Wicki",
    "Zihlmann",
]

YELLOW_REASONS = [
    "Verzögerung bei der Beschaffung; Zuschlag später als geplant.",
    "Ressourcenengpass im Projektteam während der Ferienzeit.",
    "Abhängigkeit von einem Bundesprojekt, dessen Zeitplan sich verschoben hat.",
    "Anforderungen der Nutzenden mussten nachgeschärft werden.",
    "Lieferant meldet Verzögerung bei einer Schnittstelle.",
]
RED_REASONS = [
    "Budget reicht nicht; Nachtragskredit nötig.",
    "Rechtsgrundlage fehlt noch; Gesetzesänderung im Kantonsrat hängig.",
    "Schlüsselperson hat gekündigt; Nachfolge offen.",
    "Einsprache gegen den Zuschlag blockiert das Vorhaben.",
    "Technische Lösung erfüllt Datenschutzanforderungen nicht; Neubeurteilung nötig.",
]
NEXT_STEPS = [
    "Pilot mit zwei Gemeinden starten.",
    "Ausschreibung publizieren.",
    "Konzept in der Geschäftsleitung verabschieden.",
    "Schulung der Mitarbeitenden planen.",
    "Rollout in weiteren Dienststellen.",
    "Schlussbericht erstellen.",
]

INDICATOR_TEMPLATES = [
    ("Anteil digital verfügbarer Leistungen", "%", 35.0, 80.0, "hoeher"),
    ("Haushalte mit mindestens 100 Mbit/s", "%", 62.0, 95.0, "hoeher"),
    ("Sicherheitsvorfälle mit Auswirkungen", "Anzahl", 14.0, 4.0, "tiefer"),
    ("Veröffentlichte Datensätze", "Anzahl", 40.0, 300.0, "hoeher"),
    ("Teilnehmende an Weiterbildungen", "Personen", 800.0, 3000.0, "hoeher"),
    ("Durchlaufzeit Bewilligungen", "Tage", 45.0, 20.0, "tiefer"),
    ("Zufriedenheit der Nutzenden", "Punkte (1–6)", 4.1, 5.0, "hoeher"),
    ("Stromverbrauch Informatik", "MWh", 2400.0, 1800.0, "tiefer"),
]


@dataclass
class DemoResult:
    measures: int
    reports: int
    indicators: int
    write_id: int | None


def has_demo_data(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(Measure.is_demo.is_(True)))))


def generate_demo(
    session: Session,
    *,
    reference_date: dt.date,
    seed: int = DEMO_SEED,
    actor: str = DEMO_ACTOR,
) -> DemoResult:
    """Create demo measures, reports and indicator values up to reference_date.

    Needs the strategy and its periods loaded. Refuses to run twice, so that
    `init --demo` on an existing database leaves it as it is.
    """
    if has_demo_data(session):
        raise TrackingError("Demodaten sind bereits geladen.")
    # One generator for all steps, drawn in a fixed order: the same seed and date give the
    # same data row for row.
    rng = random.Random(seed)
    log = WriteLog(
        session, actor=actor, source=f"Demodaten (Seed {seed}, Stichtag {reference_date:%d.%m.%Y})", action="demo"
    )
    departments, fields, periods = _strategy_rows(session, reference_date)
    measures = _create_measures(session, log, rng, fields, departments)
    reports = _DemoReports(session, log, rng, periods, reference_date).write(measures)
    session.flush()

    demo_cycle(session, log, periods[-1], measures, reference_date)
    indicators = _demo_indicators(session, log, rng, periods, reference_date)
    # Demo reports in the closed half-years: their frozen sums include them.
    freeze_closed(session, log)
    session.flush()
    return DemoResult(len(measures), reports, indicators, log.record.id if log.record else None)


def _strategy_rows(
    session: Session, reference_date: dt.date
) -> tuple[dict[str, Department], list[ActionField], list[ReportingPeriod]]:
    """The departments by code, the active fields and the periods begun by reference_date;
    refused when the strategy is not loaded (demo measures need its goals and periods)."""
    departments = {d.code: d for d in session.scalars(select(Department))}
    fields = list(
        session.scalars(select(ActionField).where(ActionField.active.is_(True)).order_by(ActionField.position))
    )
    periods = [p for p in all_periods(session) if p.start_date <= reference_date]
    if not fields or not periods or not departments:
        raise TrackingError("Zuerst die Strategie laden (python -m tracking init).")
    return departments, fields, periods


# --- measures -------------------------------------------------------------------


def _create_measures(
    session: Session,
    log: WriteLog,
    rng: random.Random,
    fields: list[ActionField],
    departments: dict[str, Department],
) -> list[Measure]:
    """Two to four measures per active goal, field by field; logged once they have their ids."""
    measures: list[Measure] = []
    for field_row in fields:
        measures += _field_measures(session, rng, field_row, departments)
    session.flush()
    for m in measures:
        log.change("measure", m.code, "insert", after=snapshot(m, ["title", "start_date", "planned_end", "budget_chf"]))
    return measures


def _field_measures(
    session: Session, rng: random.Random, field_row: ActionField, departments: dict[str, Department]
) -> list[Measure]:
    # Each title of the field is used once; when they run out, the goal's number names it.
    titles = list(FIELD_TITLES.get(field_row.code, ["Vorhaben"]))
    rng.shuffle(titles)
    dept_codes = [c for c in FIELD_DEPARTMENTS.get(field_row.code, list(departments)) if c in departments]
    dept_codes = dept_codes or list(departments)
    measures: list[Measure] = []
    for goal in [g for g in field_row.goals if g.active]:
        for n in range(1, rng.choice([2, 3, 3, 4]) + 1):
            title = titles.pop() if titles else f"Vorhaben {goal.code}.{n:02d}"
            measure = _new_measure(rng, goal, n, title, dept_codes, departments)
            session.add(measure)
            measures.append(measure)
    return measures


def _new_measure(
    rng: random.Random, goal: Goal, n: int, title: str, dept_codes: list[str], departments: dict[str, Department]
) -> Measure:
    """One measure with its drawn lead, dates, budget, weight and partners."""
    lead = dept_codes[0] if rng.random() < 0.6 else rng.choice(dept_codes)
    start = dt.date(rng.choice([2023, 2023, 2024, 2024, 2025, 2026]), rng.choice([1, 3, 4, 7, 9]), 1)
    months = rng.choice([12, 18, 24, 30, 36, 48])
    planned_end = _month_end(start, months)
    unit = rng.choice(UNITS.get(lead, ["Fachstelle"]))
    contact = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    measure = Measure(
        code=f"M-{goal.code}.{n:02d}",
        goal_id=goal.id,
        title=title,
        description=f"{title}: Beitrag an Ziel {goal.code}. (Demodaten)",
        lead_department_id=departments[lead].id,
        responsible_unit=unit,
        contact=contact,
        start_date=start,
        planned_end=planned_end,
        budget_chf=Decimal(rng.randrange(5, 250) * 10_000),
        weight=rng.choice([1.0, 1.0, 1.0, 2.0, 0.5]),
        active=True,
        is_demo=True,
        public=n <= 2,  # the first two of a goal public, later ones internal: the public page shows both
    )
    measure.partners = [d for d in departments.values() if d.code != lead and rng.random() < 0.12]
    return measure


def _month_end(start: dt.date, months: int) -> dt.date:
    """The end of the month `months` after start (the 30th; the 28th in February)."""
    end_year = start.year + (start.month - 1 + months) // 12
    end_month = (start.month - 1 + months) % 12 + 1
    return dt.date(end_year, end_month, 28 if end_month == 2 else 30)


# --- reports --------------------------------------------------------------------


def _expected(start: dt.date, end: dt.date, day: dt.date) -> float:
    if day <= start:
        return 0.0
    if day >= end:
        return 100.0
    return 100.0 * (day - start).days / (end - start).days


def _draw_pace(rng: random.Random) -> float:
    # Most measures keep pace, some lag, a few lag badly.
    draw = rng.random()
    if draw < 0.7:
        return rng.uniform(0.92, 1.2)
    if draw < 0.9:
        return rng.uniform(0.7, 0.92)
    return rng.uniform(0.45, 0.7)


def _status(progress: int, stopped: bool, fate: float) -> str:
    if progress >= 100:
        return COMPLETED
    if stopped:
        return SUSPENDED if fate < 0.07 else CANCELLED
    if progress == 0:
        return PLANNED
    return IN_PROGRESS


class _DemoReports:
    """Writes the reports of the demo measures, period by period.

    A class because the generator and the deliberate warnings still to place are shared
    by all measures: the plausibility rules (tracking/plausibility.py) hold for the demo
    data, but for one deliberate case each of two warnings in the open period, so that
    the warnings show.
    """

    def __init__(
        self,
        session: Session,
        log: WriteLog,
        rng: random.Random,
        periods: list[ReportingPeriod],
        reference_date: dt.date,
    ) -> None:
        self.session = session
        self.log = log
        self.rng = rng
        self.periods = periods
        self.current = periods[-1]
        self.reference_date = reference_date
        self.deliberate = {"progress_down", "green_overdue"}
        self.count = 0

    def write(self, measures: list[Measure]) -> int:
        """Write the reports of all measures; returns how many were stored."""
        for measure in measures:
            self._write_measure(measure)
        return self.count

    def _write_measure(self, measure: Measure) -> None:
        assert measure.start_date and measure.planned_end
        rng = self.rng
        pace = _draw_pace(rng)
        fate = rng.random()  # a few measures are paused or stopped along the way
        stop_at = rng.randrange(len(self.periods)) if fate < 0.1 else None
        progress = 0
        last_reported: int | None = None
        for index, period in enumerate(self.periods):
            if measure.start_date > period.end_date:
                continue
            is_current = period is self.current
            # The open period is only partly reported; earlier ones miss a few.
            if (is_current and rng.random() < 0.4) or (not is_current and rng.random() < 0.06):
                continue
            day = min(period.end_date, self.reference_date)
            expected = _expected(measure.start_date, measure.planned_end, day)
            progress = self._progress(progress, expected, pace)
            status = _status(progress, stop_at is not None and index >= stop_at, fate)
            overdue = measure.planned_end < day and status not in ENDED_STATUSES
            light = self._light(status, expected - progress, overdue)
            reported_progress, explanation = progress, None
            if is_current:
                light, reported_progress, explanation = self._deliberate(
                    status, light, progress, overdue, last_reported
                )
            values, reported_at = self._values(period, status, light, reported_progress, explanation)
            last_reported = reported_progress
            if record_report(
                self.session,
                self.log,
                measure=measure,
                period=period,
                values=values,
                reported_at=reported_at,
                is_demo=True,
            ):
                self.count += 1
            if status in ENDED_STATUSES:
                break

    def _progress(self, progress: int, expected: float, pace: float) -> int:
        # Progress follows the plan at the measure's pace, with noise, and never goes back.
        target = min(100.0, expected * pace + self.rng.uniform(-5, 5))
        progress = int(max(progress, min(100, round(max(0.0, target)))))
        if progress >= 95 and expected >= 100:
            progress = 100
        return progress

    def _light(self, status: str, gap: float, overdue: bool) -> str:
        # The further behind plan, the worse; a few lights are worse than the numbers say.
        if status == COMPLETED:
            return GREEN
        if gap > 30 or (status == SUSPENDED and self.rng.random() < 0.5):
            return RED
        if gap > 12 or overdue or status in PAUSED_STATUSES or self.rng.random() < 0.08:
            return YELLOW
        return GREEN

    def _deliberate(
        self, status: str, light: str, progress: int, overdue: bool, last_reported: int | None
    ) -> tuple[str, int, str | None]:
        """In the open period: the light, the progress to report and an explanation, changed
        for the first report that fits each deliberate warning (each is placed once)."""
        explanation = None
        if status == IN_PROGRESS and "progress_down" in self.deliberate:
            if last_reported is not None and last_reported >= 20 and light == YELLOW:
                self.deliberate.discard("progress_down")
                progress = last_reported - 5
                explanation = "Zusätzliche Schnittstellen aufgenommen: der Fortschritt ist neu beurteilt."
        elif overdue and status == IN_PROGRESS and "green_overdue" in self.deliberate:
            self.deliberate.discard("green_overdue")
            light = GREEN
        return light, progress, explanation

    def _values(
        self, period: ReportingPeriod, status: str, light: str, progress: int, explanation: str | None
    ) -> tuple[ReportValues, dt.datetime]:
        """The report's texts and its time, drawn in this order (comment, lateness, day, next
        step) so that a seed gives the same reports."""
        rng = self.rng
        comment = None
        if light == YELLOW:
            comment = rng.choice(YELLOW_REASONS)
        elif light == RED:
            comment = rng.choice(RED_REASONS)
        elif rng.random() < 0.3:
            comment = "Arbeiten planmässig."
        late = rng.random() < 0.15
        reported_at = dt.datetime.combine(
            min(
                period.end_date + dt.timedelta(days=rng.randrange(25, 60) if late else rng.randrange(-20, 14)),
                self.reference_date,
            ),
            dt.time(10, 0),
        )
        values = ReportValues(
            status=status,
            light=light,
            progress=progress,
            comment=comment,
            next_steps=rng.choice(NEXT_STEPS) if status in (IN_PROGRESS, PLANNED) else None,
            risks=comment if light == RED else None,
            explanation=explanation,
        )
        return values, reported_at


# --- key figures ----------------------------------------------------------------


def _demo_indicators(
    session: Session, log: WriteLog, rng: random.Random, periods: list[ReportingPeriod], reference_date: dt.date
) -> int:
    goals = list(session.scalars(select(Goal).where(Goal.active.is_(True)).order_by(Goal.code)))
    count = 0
    for i, goal in enumerate(goals):
        if i % 2:
            continue  # about half the goals have a key figure
        name, unit, baseline, target, direction = INDICATOR_TEMPLATES[(i // 2) % len(INDICATOR_TEMPLATES)]
        indicator = Indicator(
            goal_id=goal.id,
            name=name,
            unit=unit,
            baseline=baseline,
            baseline_year=2022,
            target=target,
            target_year=2030,
            direction=direction,
            is_demo=True,
        )
        session.add(indicator)
        session.flush()
        log.change(
            "indicator", f"{goal.code}/{name}", "insert", after={"unit": unit, "baseline": baseline, "target": target}
        )
        count += 1
        for period in periods[:-1] if rng.random() < 0.5 else periods:
            share = (period.end_date.year + period.end_date.month / 12 - 2022) / 8
            value = baseline + (target - baseline) * share * rng.uniform(0.6, 1.1)
            session.add(
                IndicatorValue(
                    indicator_id=indicator.id,
                    period_id=period.id,
                    value=round(value, 1),
                    reported_by=log.display_name,
                    reported_at=dt.datetime.combine(min(period.end_date, reference_date), dt.time(9, 0)),
                    write_id=log.ensure_record().id,
                )
            )
    return count
