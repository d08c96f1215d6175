"""One set of figures on every surface (issue 16): for the open period and a closed one, the
headline, each field's progress and Sammelampel, each core goal's progress and a sample of
measures' Soll and Ist read the same in

- the SQL figures (tracking.figures) and the pandas roll-up (tracking.rollup),
- the Sitzungsbericht's content and its files (Excel read back with openpyxl, PDF text with
  pypdf, PowerPoint text with python-pptx),
- the command line's `summary`,
- the pages (Streamlit AppTest): Übersicht, Aktionsfelder, Kernziele, Massnahmen, Departemente,
  Sitzungsbericht.

Each surface is read as people see it (formatted text) and compared with the library's numbers
formatted by tracking.formatting, never with numbers written down here. Every surface reads the
plan on the period's reference day (tracking.periods: today while open, the end once closed).

The data: the demo data, and random histories drawn by hypothesis (the same ones every run).
On PostgreSQL with TEST_BACKEND=postgres (make test's second pass).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import itertools
import json
import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from tests.conftest import REFERENCE_DATE, temp_database_url
from tests.factories import add_measure, add_report
from tracking import council_export, schema
from tracking import formatting as fmt
from tracking import rollup as ru
from tracking.access import Actor
from tracking.bootstrap import init_database
from tracking.cli import main
from tracking.council import load_council_content
from tracking.council_content import CouncilContent
from tracking.db import make_engine, transaction
from tracking.figures import PeriodFigures, department_lights, period_figures, stored_sums
from tracking.frozen import set_period_open
from tracking.models import Department, Goal
from tracking.periods import Period, all_periods, get_period, resolve_period
from tracking.snapshot import load_snapshot
from tracking.strategy import LUZERN_DEFINITION, load_strategy_file
from tracking.users import UserSpec, create_user
from tracking.vocab import LIGHTS, NO_REPORT, STATUSES, light_text

ROOT = Path(__file__).resolve().parent.parent
OPEN, CLOSED = "2026-H2", "2026-H1"
PERIODS = [OPEN, CLOSED]
# An account (a demo role signs in only while the demo data is loaded).
ADMIN = Actor(name="Test Admin", role="admin", username="admin")
NBSP = "\u00a0"
DATE = re.compile(r"^\d{2}\.\d{2}\.\d{4}$")


# --- the data: the demo data and random histories --------------------------------------------

N_PERIODS = 8  # the Lucerne definition's half-years on REFERENCE_DATE: 2023-H1 to 2026-H2
report_spec = st.fixed_dictionaries(
    {"status": st.sampled_from(list(STATUSES)), "light": st.sampled_from(list(LIGHTS)), "progress": st.integers(0, 100)}
)
reports = st.lists(st.one_of(st.none(), report_spec), min_size=N_PERIODS, max_size=N_PERIODS)
measure_spec = st.fixed_dictionaries(
    {
        "goal": st.integers(0, 99),  # an index into the active goals, and the departments
        "department": st.integers(0, 99),
        "start": st.one_of(st.none(), st.dates(dt.date(2022, 1, 1), dt.date(2026, 12, 31))),
        "days": st.one_of(st.none(), st.integers(0, 2000)),
        "weight": st.sampled_from([0.5, 1.0, 2.0, 3.0]),
        "active": st.sampled_from([True] * 9 + [False]),
        "reports": reports,
    }
)


def _only(reports_at: dict[int, st.SearchStrategy]) -> st.SearchStrategy:
    """Reports in the given periods (by index) only."""
    return st.tuples(*[reports_at.get(i, st.none()) for i in range(N_PERIODS)]).map(list)


running = report_spec.map(lambda r: r | {"status": "in_umsetzung", "progress": min(r["progress"], 99)})
ended = report_spec.map(lambda r: r | {"status": "abgeschlossen", "progress": 100})
# One measure of each kind the sample needs, in both periods compared (2026-H1 and 2026-H2, the
# last two), with the rest of their values drawn.
anchors = st.tuples(
    # under way, its plan too: Soll between 0 and 100
    measure_spec.map(lambda m: m | {"start": dt.date(2025, 3, 1), "days": 1500, "active": True}).flatmap(
        lambda m: _only({6: running, 7: running}).map(lambda r: m | {"reports": r})
    ),
    # owes a report and never sent one
    measure_spec.map(lambda m: m | {"start": dt.date(2025, 3, 1), "days": 1500, "active": True, "reports": []}),
    # ended in 2025-H2: carried into both periods
    measure_spec.map(lambda m: m | {"start": dt.date(2024, 3, 1), "days": 2000, "active": True}).flatmap(
        lambda m: _only({5: ended}).map(lambda r: m | {"reports": r})
    ),
    # overdue since 2025 and still reporting
    measure_spec.map(lambda m: m | {"start": dt.date(2024, 1, 1), "days": 700, "active": True}).flatmap(
        lambda m: _only({6: running, 7: running}).map(lambda r: m | {"reports": r})
    ),
)
histories = st.tuples(anchors, st.lists(measure_spec, min_size=10, max_size=50)).map(lambda h: [*h[0], *h[1]])


def drawn_histories(count: int) -> list[list[dict]]:
    """count histories, drawn once (generation only, derandomized: the same every run). The last
    ones drawn: hypothesis starts with the simplest."""
    found = []

    @settings(
        max_examples=count * 5,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(histories)
    def collect(history):
        found.append(history)

    collect()
    return found[-count:]


RANDOM = {f"zufall-{n}": h for n, h in enumerate(drawn_histories(2), start=1)}


def write_history(engine, history: list[dict]) -> None:
    with transaction(engine) as session:
        goals = list(session.scalars(select(Goal.code).where(Goal.active.is_(True)).order_by(Goal.code)))
        departments = list(session.scalars(select(Department.code).order_by(Department.code)))
        names = [p.name for p in all_periods(session)]
        assert len(names) == N_PERIODS
        for n, m in enumerate(history):
            end = m["start"] + dt.timedelta(days=m["days"]) if m["start"] and m["days"] is not None else None
            measure = add_measure(
                session,
                f"M-Z.{n:03d}",
                goals[m["goal"] % len(goals)],
                department=departments[m["department"] % len(departments)],
                start=m["start"],
                end=end,
                weight=m["weight"],
                active=m["active"],
            )
            for name, r in zip(names, m["reports"]):
                if r is not None:
                    add_report(session, measure, name, r["progress"], status=r["status"], light=r["light"])


@pytest.fixture(scope="module", params=["demo", *RANDOM])
def data_url(request, tmp_path_factory):
    url = temp_database_url(tmp_path_factory.mktemp("surfaces") / f"{request.param}.sqlite")
    engine = make_engine(url)
    if request.param == "demo":
        init_database(engine, actor="test", demo=True, today=REFERENCE_DATE)
        with transaction(engine) as session:
            set_period_open(session, name=CLOSED, is_open=False, actor="test")
    else:
        # The strategy alone (no `init`, which would freeze the closed half-years still empty),
        # then the history written straight into the tables.
        schema.upgrade(engine)
        with transaction(engine) as session:
            load_strategy_file(session, LUZERN_DEFINITION, actor="test", today=REFERENCE_DATE)
        write_history(engine, RANDOM[request.param])
        # The next init freezes the closed periods that now hold reports (their first use).
        assert any(CLOSED in m for m in init_database(engine, actor="test", today=REFERENCE_DATE).messages)
    with transaction(engine) as session:
        create_user(session, UserSpec("admin", ADMIN.name, "admin", [], []), password=None, actor="test")
        assert not get_period(session, CLOSED).is_open and get_period(session, OPEN).is_open
        assert stored_sums(session, get_period(session, CLOSED).id) is not None
    engine.dispose()
    return url


# --- the library's figures -------------------------------------------------------------------


@dataclass
class Truth:
    """One period as the library computes it, on the period's reference day."""

    period: Period
    figures: PeriodFigures  # SQL: the reference the text surfaces are compared with
    rollup: ru.PeriodRollup  # pandas over every measure
    departments: pd.DataFrame  # rollup.department_summary
    department_lights: pd.DataFrame  # SQL
    content: CouncilContent
    sample: list[str]  # measure codes

    @property
    def headline(self) -> dict:
        return self.figures.headline

    @property
    def name(self) -> str:
        return self.period.name

    def field_rows(self):
        lights = self.figures.lights_by_field.set_index("field_code")
        goals = self.figures.goals.merge(self.figures.fields[["field_id", "field_code"]], on="field_id")
        sums = goals.groupby("field_code")[["n_measures", "n_behind_plan", "n_overdue"]].sum()
        for f in self.figures.fields.itertuples():
            # A field whose measures owe no report has no row of lights: none of each, no Sammelampel.
            none = pd.Series(
                {**dict.fromkeys([*LIGHTS, NO_REPORT, "total"], 0), "summary_light": None, "summary_note": ""}
            )
            found = lights.loc[f.field_code] if f.field_code in lights.index else none
            yield f.field_code, f.progress, found, sums.loc[f.field_code]

    def measure(self, code: str) -> pd.Series:
        return self.rollup.measures.set_index("code").loc[code]


def _sample(measures: pd.DataFrame) -> list[str]:
    """Measures of every kind: reported with a plan under way (its Soll depends on the reference
    day), without a report, carried from an earlier period, overdue with a report."""
    m = measures.sort_values("code")
    running = m[m["has_report"] & (m["expected"] > 0) & (m["expected"] < 100)]
    kinds = [
        running["code"].head(3),
        m.loc[m["owes_report"] & ~m["has_report"], "code"].head(1),
        m.loc[m["carried"], "code"].head(1),
        m.loc[m["has_report"] & m["overdue"], "code"].head(1),
    ]
    assert all(len(k) for k in kinds), "the data has every kind of measure"
    return list(dict.fromkeys(code for kind in kinds for code in kind))


@pytest.fixture(scope="module")
def truths(data_url):
    found = {}
    engine = make_engine(data_url)
    with transaction(engine) as session:
        structure = load_snapshot(session, with_measures=False)
        snap = load_snapshot(session)
        for name in PERIODS:
            period = resolve_period(session, name)
            r = ru.rollup(snap, name, as_of=period.reference_day)
            found[name] = Truth(
                period=period,
                figures=period_figures(session, structure, name, as_of=period.reference_day),
                rollup=r,
                departments=ru.department_summary(r.measures, snap.departments),
                department_lights=department_lights(session, structure, name, as_of=period.reference_day),
                content=load_council_content(session, name, as_of=period.reference_day),
                sample=_sample(r.measures),
            )
    engine.dispose()
    return found


@pytest.fixture(params=PERIODS)
def truth(request, truths) -> Truth:
    return truths[request.param]


def test_the_periods_are_one_open_and_one_closed(truths):
    assert truths[OPEN].period.is_open and not truths[CLOSED].period.is_open
    assert truths[CLOSED].period.reference_day == truths[CLOSED].period.end
    assert truths[OPEN].period.start <= truths[OPEN].period.reference_day <= truths[OPEN].period.end


# What a headline shows, formatted: the keys every surface below is checked on.
def headline_texts(h: dict) -> dict[str, str]:
    return {
        "overall_progress": fmt.percent(h["overall_progress"]),
        "completeness": fmt.share(h["completeness"]),
        "on_track_share": fmt.share(h["on_track_share"]),
        **{
            key: fmt.number(h[key])
            for key in ("measures", "active", "reported", "green", "yellow", "red", "behind_plan", "overdue")
        },
    }


def _light(value) -> str | None:
    """A light as a DataFrame holds it (a missing one as NaN) as the library's objects hold it."""
    return value if isinstance(value, str) else None


def _same(a, b) -> bool:
    """Equal numbers, or both missing (None or NaN)."""
    missing = [x is None or (isinstance(x, float) and math.isnan(x)) for x in (a, b)]
    return all(missing) or (not any(missing) and a == pytest.approx(b, rel=1e-12, abs=1e-9))


# --- the library: SQL, pandas, the council's content --------------------------------------------


def test_sql_figures_and_pandas_rollup_agree(truth):
    f, r = truth.figures, truth.rollup
    h = ru.headline(r)
    assert h.keys() == f.headline.keys()
    assert all(_same(h[k], f.headline[k]) for k in h), (h, f.headline)
    for ours, theirs, key in ((r.fields, f.fields, "field_code"), (r.core_goals, f.core_goals, "core_code")):
        mine, other = ours.set_index(key)["progress"], theirs.set_index(key)["progress"]
        assert list(mine.index) == list(other.index)
        assert all(_same(mine[k], other[k]) for k in mine.index)
    goals = r.goals.set_index("goal_id")["progress"]
    assert all(_same(goals[g], p) for g, p in zip(f.goals["goal_id"], f.goals["progress"]))
    pd.testing.assert_frame_equal(ru.light_distribution(r.measures, "field_code"), f.lights_by_field, check_dtype=False)
    pd.testing.assert_frame_equal(
        ru.light_distribution(r.measures, "department_code"), truth.department_lights, check_dtype=False
    )


def test_council_content_agrees(truth):
    c, h = truth.content, truth.headline
    assert c.as_of == truth.period.reference_day
    assert all(_same(c.headline[k], h[k]) for k in h), (c.headline, h)
    blocks = {b.code: b for b in c.fields}
    for code, progress, lights, sums in truth.field_rows():
        b = blocks[code]
        assert _same(b.progress, progress), code
        assert b.summary_light == _light(lights["summary_light"]), code
        assert b.lights == {key: int(lights[key]) for key in [*LIGHTS, NO_REPORT]}, code
        assert (b.n_measures, b.n_behind_plan, b.n_overdue) == tuple(int(v) for v in sums), code
    cores = truth.figures.core_goals.set_index("core_code")["progress"]
    assert list(c.core_progress) == list(cores.index)
    assert all(_same(c.core_progress[k], cores[k]) for k in cores.index)
    rows = {m.code: m for m in c.measures}
    for code in truth.sample:
        m = truth.measure(code)
        assert _same(rows[code].expected, m["expected"]), code
        assert _same(rows[code].progress, m["progress"]), code
    deps = truth.departments.set_index("department_code")
    for row in c.completeness:
        assert _same(row.share, deps.loc[row.department, "completeness"]), row.department


# --- the council's files -----------------------------------------------------------------------


# The files are drawn from the council content, which the PostgreSQL pass compares with the truth
# (test_council_content_agrees): their drawing is checked on the first pass only.
@pytest.fixture(scope="module")
def council_xlsx(truths) -> dict[str, bytes]:
    return {name: council_export.to_xlsx(t.content) for name, t in truths.items()}


@pytest.fixture(scope="module")
def council_slides(truths) -> dict[str, dict[str, bytes]]:
    """Per period: the PDF and PowerPoint bytes (the charts rendered once per period, with Chromium)."""
    if council_export.find_browser() is None:
        pytest.skip("Chromium nicht installiert (Debian-Paket chromium): PDF und PowerPoint brauchen es")
    built = {}
    for name, t in truths.items():
        images = council_export.render_charts(t.content)
        built[name] = {
            "pdf": council_export.to_pdf(t.content, images=images),
            "pptx": council_export.to_pptx(t.content, images=images),
        }
    return built


def excel_shows(cell) -> str:
    """What Excel shows for a number in the export's formats, written like fmt.percent: '0" %"'
    (percent points) and '0%' (a share, shown times 100; Excel writes no space before the %).
    Excel rounds half away from zero."""
    if cell.value is None:
        return "–"
    value = Decimal(repr(float(cell.value)))
    if cell.number_format == council_export.SHARE_FORMAT:
        value *= 100
    else:
        assert cell.number_format == council_export.PERCENT_FORMAT, cell.number_format
    return f"{fmt.number(int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP)))} %"


def _sheet_rows(ws) -> dict:
    """First column -> {header: cell} of each row."""
    header = [c.value for c in ws[1]]
    return {row[0].value: dict(zip(header, row)) for row in ws.iter_rows(min_row=2) if row[0].value is not None}


@pytest.mark.first_pass_only
def test_council_excel_agrees(truth, council_xlsx):
    wb = load_workbook(io.BytesIO(council_xlsx[truth.name]))
    key = _sheet_rows(wb["Kopfzahlen"])
    labels = {
        "measures": "Massnahmen",
        "active": "davon meldepflichtig",
        "reported": "Meldungen eingegangen",
        "completeness": "Rücklauf",
        "overall_progress": "Gesamtfortschritt (%)",
        "on_track_share": "Auf Kurs (● grün)",
        "green": light_text("gruen"),
        "yellow": light_text("gelb"),
        "red": light_text("rot"),
        "behind_plan": "Hinter Plan",
        "overdue": "Überfällig",
    }
    shown = {}
    for k, label in labels.items():
        cell = key[label][truth.name]
        shown[k] = (
            excel_shows(cell) if k in ("completeness", "overall_progress", "on_track_share") else fmt.number(cell.value)
        )
    assert shown == headline_texts(truth.headline)

    fields = _sheet_rows(wb["Aktionsfelder"])
    for code, _, lights, sums in truth.field_rows():
        row = fields[code]
        assert row["Sammelampel"].value == light_text(lights["summary_light"]), code
        assert [row[k].value for k in ("grün", "gelb", "rot", NO_REPORT)] == [
            int(lights[k]) for k in [*LIGHTS, NO_REPORT]
        ], code
        assert [row[k].value for k in ("Massnahmen", "hinter Plan", "überfällig")] == [int(v) for v in sums], code

    measures = _sheet_rows(wb["Massnahmen"])
    for code in truth.sample:  # Ist: whole percent as reported
        m = truth.measure(code)
        assert excel_shows(measures[code]["Fortschritt (%)"]) == fmt.percent(m["progress"], missing="–"), code


@pytest.mark.first_pass_only
def test_council_excel_shows_each_percentage_as_the_other_surfaces(truth, council_xlsx):
    wb = load_workbook(io.BytesIO(council_xlsx[truth.name]))
    fields = _sheet_rows(wb["Aktionsfelder"])
    core_row = _sheet_rows(wb["Matrix"])["Kernziel"]
    measures = _sheet_rows(wb["Massnahmen"])
    expected = truth.rollup.measures.set_index("code")["expected"]
    shown = {
        **{code: excel_shows(fields[code]["Fortschritt (%)"]) for code, *_ in truth.field_rows()},
        **{c: excel_shows(core_row[f"{c} Fortschritt (%)"]) for c in truth.figures.core_goals["core_code"]},
        **{code: excel_shows(row["Soll (%)"]) for code, row in measures.items()},
    }
    assert shown == {
        # A number missing is an empty cell (the columns stay numbers), read as «–».
        **{code: fmt.percent(progress, missing="–") for code, progress, *_ in truth.field_rows()},
        **{c.core_code: fmt.percent(c.progress, missing="–") for c in truth.figures.core_goals.itertuples()},
        **{code: fmt.percent(expected[code], missing="–") for code in measures},
    }


def _pdf_pages(data: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


@pytest.mark.browser
@pytest.mark.first_pass_only
def test_council_pdf_agrees(truth, council_slides):
    pages = _pdf_pages(council_slides[truth.name]["pdf"])
    # Key figures: label, this period, the previous one (one line each), after the briefing.
    lines = [line.strip() for line in next(p for p in pages if "\nKopfzahlen\n" in p).split("\n")]
    start = lines.index("Kopfzahlen") + 4
    table = {lines[i]: lines[i + 1] for i in range(start, len(lines) - 2, 3)}
    labels = {
        "measures": "Massnahmen",
        "active": "davon meldepflichtig",
        "reported": "Meldungen eingegangen",
        "completeness": "Rücklauf",
        "overall_progress": "Gesamtfortschritt",
        "on_track_share": "Auf Kurs (● grün)",
        "green": light_text("gruen"),
        "yellow": light_text("gelb"),
        "red": light_text("rot"),
        "behind_plan": "Hinter Plan",
        "overdue": "Überfällig",
    }
    assert {k: table[label] for k, label in labels.items()} == headline_texts(truth.headline)

    # One page per field: its key facts.
    facts = {}
    for text in pages:
        heading = text.split("\n", 1)[0]
        found = re.search(
            r"\nFortschritt\n([^\n]+)\n.*\nSammelampel\n([^\n]+)\nAmpeln\n([^\n]+)\nMassnahmen\n([^\n]+)\n", text, re.S
        )
        if re.match(r"AF\d+ ", heading) and found:
            facts[heading.split(" ")[0]] = found.groups()
    for code, progress, lights, sums in truth.field_rows():
        ampeln = " · ".join(
            [f"{int(lights[k])} {light_text(k)}" for k in LIGHTS] + [f"{int(lights[NO_REPORT])} {light_text(None)}"]
        )
        counts = f"{sums['n_measures']}; hinter Plan {sums['n_behind_plan']}; überfällig {sums['n_overdue']}"
        assert facts[code] == (fmt.percent(progress), light_text(lights["summary_light"]), ampeln, counts), code

    # The matrix table's last row: each core goal's progress.
    cores = truth.figures.core_goals
    whole = "\n".join(pages)
    row = re.search(r"\nKernziel\n" + r"(.+)\n" * len(cores), whole)
    # A core goal without data reads «–» in the PDF's tables, as every empty figure there.
    assert list(row.groups()) == [fmt.percent(p, missing="–") for p in cores["progress"]]

    # The appendix of all measures: Ist and Soll stand right before the planned end.
    appendix = whole[whole.index("Anhang: alle Massnahmen") :].split("\n")
    for code in truth.sample:
        at = next(i for i, line in enumerate(appendix) if line == code or line.startswith(f"{code} "))
        end = next(i for i in range(at + 1, len(appendix)) if DATE.match(appendix[i].strip()))
        m = truth.measure(code)
        assert [appendix[end - 2], appendix[end - 1]] == [
            fmt.percent(m["progress"], missing="–"),
            fmt.percent(m["expected"], missing="–"),
        ], code


def _pptx_texts(data: bytes) -> tuple[list[list[str]], dict[str, dict[str, str]]]:
    """Every text frame as its paragraphs, and the measure tables' rows by code (a no-break space
    reads as a space)."""
    from pptx import Presentation

    frames, rows = [], {}
    for slide in Presentation(io.BytesIO(data)).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                frames.append([p.text.replace(NBSP, " ") for p in shape.text_frame.paragraphs])
            if shape.has_table:
                cells = [[cell.text.replace(NBSP, " ") for cell in r.cells] for r in shape.table.rows]
                if "Feld" in cells[0]:  # the appendix of all measures (not the attention table)
                    rows.update({r[0]: dict(zip(cells[0], r)) for r in cells[1:]})
    return frames, rows


@pytest.mark.browser
@pytest.mark.first_pass_only
def test_council_powerpoint_agrees(truth, council_slides):
    frames, rows = _pptx_texts(council_slides[truth.name]["pptx"])
    h = headline_texts(truth.headline)
    # The briefing's five tiles: label, value, change and note.
    tiles = {f[0]: f[1:] for f in frames if len(f) == 3}
    assert tiles["Gesamtfortschritt"][0] == h["overall_progress"]
    assert tiles["Auf Kurs (● grün)"][0] == h["on_track_share"]
    assert tiles["Auf Kurs (● grün)"][1].endswith(f"{h['green']} von {h['reported']} Meldungen")
    assert tiles[light_text("rot")][0] == h["red"]
    assert tiles["Überfällig"][0] == h["overdue"]
    assert tiles["Rücklauf"][0] == h["completeness"]
    assert tiles["Rücklauf"][1].endswith(f"{h['reported']} von {h['active']} Meldungen")

    names = dict(zip(truth.figures.core_goals["core_code"], truth.figures.core_goals["core_name"]))
    paragraphs = [p for f in frames for p in f]
    for core in truth.figures.core_goals.itertuples():
        assert f"{core.core_code} {names[core.core_code]}: {fmt.percent(core.progress)}" in paragraphs

    field_frames = {}
    for f in frames:
        if f[0].startswith("Fortschritt ") and any(p.startswith("Sammelampel: ") for p in f):
            field_frames[len(field_frames)] = f
    assert len(field_frames) == len(truth.figures.fields)
    for (code, progress, lights, sums), f in zip(truth.field_rows(), field_frames.values()):
        assert f[0] == f"Fortschritt {fmt.percent(progress)}", code
        assert f"Sammelampel: {light_text(lights['summary_light'])}" in f, code
        assert (
            f"Massnahmen: {sums['n_measures']}; hinter Plan {sums['n_behind_plan']}; überfällig {sums['n_overdue']}"
            in f
        ), code

    for code in truth.sample:
        m = truth.measure(code)
        assert [rows[code]["Ist"], rows[code]["Soll"]] == [
            fmt.percent(m["progress"], missing="–"),
            fmt.percent(m["expected"], missing="–"),
        ], code


# --- the command line ----------------------------------------------------------------------------


def test_cli_summary_agrees(truth, data_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", data_url)
    assert main(["summary", "--period", truth.name]) == 0
    out = capsys.readouterr().out
    h = headline_texts(truth.headline)

    def line(label: str) -> str:
        return re.search(rf"^{label}:\s+(.*)$", out, re.M).group(1)

    assert line("Massnahmen") == f"{h['measures']} (davon {h['active']} mit Meldepflicht)"
    assert line("Gesamtfortschritt") == h["overall_progress"]
    assert line(r"Anteil auf Kurs \(grün\)") == h["on_track_share"]
    assert line("Ampel") == f"grün {h['green']} · gelb {h['yellow']} · rot {h['red']}"
    assert line("Hinter Plan") == h["behind_plan"]
    assert line("Überfällig") == h["overdue"]
    assert line("Rücklauf") == f"{h['completeness']} ({h['reported']} von {h['active']})"
    table = {cells[0]: cells[1:] for cells in (re.split(r"\s{2,}", r.strip()) for r in out.splitlines()) if cells}
    for code, progress, *_ in truth.field_rows():
        assert table[code][0] == fmt.percent(progress), code
    assert table["Kernziel"] == [fmt.percent(p) for p in truth.figures.core_goals["progress"]]


# --- the pages ----------------------------------------------------------------------------------


def open_page(url: str, monkeypatch, path: str, period: str) -> AppTest:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(ROOT)
    app = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    app.session_state["angemeldet"] = ADMIN
    app.run()
    app.sidebar.selectbox(key="periode").select(period).run()
    app.switch_page(path).run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.sidebar.selectbox(key="periode").value == period
    return app


def choose(app: AppTest, key: str, value: str) -> None:
    app.sidebar.selectbox(key=key).select(value).run()
    assert not app.exception, [e.value for e in app.exception]


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def _plotly(app: AppTest, key: str) -> list[dict]:
    return next(json.loads(c.proto.spec)["data"] for c in app.get("plotly_chart") if c.proto.id.endswith(f"-{key}"))


def _numbers(values) -> list[float]:
    """A plotly trace's numbers from its JSON: a list, or a typed array (base64 with dtype)."""
    if isinstance(values, dict):
        return [float(v) for v in np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])]
    return [float(v) for v in values]


def column_shows(frame, column: str, value) -> str:
    """What the browser shows in a table column: its format (sprintf, as Streamlit's frontend
    applies it: %d cuts the decimals off) or the value as it is."""
    config = json.loads(frame.proto.columns).get(column, {}).get("type_config", {})
    if config.get("format") == "%d %%":
        return "–" if value is None or pd.isna(value) else f"{int(float(value))} %"
    return value


def _goal_bars(html: str, *, first_column_is_goal: bool) -> dict[str, str]:
    """Goal code -> the number beside its bar, from a goals table (tracking.bar_tables.table_html);
    the Kernziele page's table starts with the field, then the goal."""
    shown = {}
    for row in re.findall(r"<tr>(<td.*?)</tr>", html):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        goal = cells[0 if first_column_is_goal else 1]
        shown[goal] = re.search(r'<span class="value">([^<]+)</span>', row).group(1)
    return shown


def _html(app, marker: str) -> str:
    """The body of the page's st.html element that holds marker."""
    return next(e.proto.body for e in app.get("html") if marker in e.proto.body)


def test_overview_page_agrees(truth, data_url, monkeypatch):
    app = open_page(data_url, monkeypatch, "pages/overview.py", truth.name)
    h = headline_texts(truth.headline)
    shown = metrics(app)
    assert shown["Massnahmen"] == h["measures"]
    assert shown["Gesamtfortschritt"] == h["overall_progress"]
    assert shown["Auf Kurs (● grün)"] == h["on_track_share"]
    assert shown["■ Rot"] == h["red"]
    assert shown["Überfällig"] == h["overdue"]
    assert shown["Rücklauf"] == h["completeness"]
    rücklauf = next(m for m in app.metric if m.label == "Rücklauf")
    assert rücklauf.proto.help == f"{h['reported']} von {h['active']} Meldungen eingegangen."

    # Fortschritt pro Aktionsfeld: the number beside each bar (an HTML table).
    bars = _html(app, "Fortschritt in % (0 bis 100)")
    row = r'<th scope="row">(AF\d+) [^<]*</th><td><div class="track">(?:<span class="bar"[^>]*></span>)?'
    progress = dict(re.findall(row + r'<span class="value">([^<]+)</span>', bars))
    assert progress == {code: fmt.percent(p) for code, p, *_ in truth.field_rows()}
    # Ampeln pro Aktionsfeld: the counts per field and light; together the headline's counts.
    lights_html = _html(app, "Massnahmen nach Ampel")
    counted = {
        code: {word: int(n.replace("'", "")) for word, n in re.findall(r"(\S+ [a-zü ]+?): ([\d']+)", counts)}
        for code, counts in re.findall(
            r'<th scope="row">(AF\d+) [^<]*</th>.*?<span class="counts">([^<]+)</span>', lights_html
        )
    }
    for code, _, lights, _ in truth.field_rows():
        for key in LIGHTS:
            # A field without a measure owing a report has no row.
            assert counted.get(code, {}).get(light_text(key), 0) == lights[key], (code, key)
    totals = [fmt.number(sum(c[light_text(k)] for c in counted.values())) for k in LIGHTS]
    assert totals == [h["green"], h["yellow"], h["red"]]
    # The matrix: each cell's progress as the roll-up has it.
    cells = re.findall(r'<span class="progress">([^<]+)</span>', _html(app, "af-matrix"))
    assert cells == [
        fmt.percent(r.progress) if r.n_goals and pd.notna(r.progress) else "–"
        for r in truth.figures.matrix.itertuples()
    ]

    cores = app.table[0].value["Fortschritt"]
    assert dict(cores) == {c.core_code: fmt.percent(c.progress) for c in truth.figures.core_goals.itertuples()}


def test_action_fields_page_agrees(truth, data_url, monkeypatch):
    app = open_page(data_url, monkeypatch, "pages/action_fields.py", truth.name)
    goals = truth.figures.goals.set_index("goal_code")["progress"]
    for code, progress, lights, sums in truth.field_rows():
        choose(app, "feld", code)
        shown = metrics(app)
        assert shown["Fortschritt"] == fmt.percent(progress), code
        assert shown["Sammelampel"] == light_text(lights["summary_light"]), code
        assert [shown[k] for k in ("Massnahmen", "Hinter Plan", "Überfällig")] == [fmt.number(v) for v in sums], code
        # The goals: the number beside each progress bar.
        shown = _goal_bars(_html(app, "data-table"), first_column_is_goal=True)
        assert shown == {g: fmt.percent(goals[g]) for g in shown} and len(shown) > 1, code


def test_core_goals_page_agrees(truth, data_url, monkeypatch):
    app = open_page(data_url, monkeypatch, "pages/core_goals.py", truth.name)
    goals = truth.figures.goals.set_index("goal_code")["progress"]
    for core in truth.figures.core_goals.itertuples():
        choose(app, "kernziel", core.core_code)
        assert metrics(app)[f"Fortschritt {core.core_code}"] == fmt.percent(core.progress), core.core_code
        shown = _goal_bars(_html(app, "data-table"), first_column_is_goal=False)
        assert shown == {g: fmt.percent(goals[g]) for g in shown} and shown, core.core_code


def _measure_views(app: AppTest, code: str, period: str) -> tuple[dict, pd.Series]:
    """The measures table's row (as the browser shows it) and the detail's history row of the period."""
    listed = next(d for d in app.dataframe if d.proto.id.endswith("-measure_table"))
    row = listed.value.set_index("Code").loc[code]
    in_list = {column: column_shows(listed, column, row[column]) for column in ("Fortschritt", "Soll")}
    choose(app, "massnahme", code)
    assert any(s.value.startswith(f"{code} ") for s in app.subheader)
    history = next(d.value for d in app.dataframe if "Periode" in d.value.columns and "Soll" in d.value.columns)
    return in_list, history.set_index("Periode").loc[period]


def test_measures_page_agrees(truth, data_url, monkeypatch):
    app = open_page(data_url, monkeypatch, "pages/measures.py", truth.name)
    for code in truth.sample:
        m = truth.measure(code)
        ist, soll = fmt.percent(m["progress"], missing="–"), fmt.percent(m["expected"], missing="–")
        in_list, in_history = _measure_views(app, code, truth.name)
        assert in_list == {"Fortschritt": ist, "Soll": soll}, code
        assert in_history["Soll"] == soll, code
        assert in_history["Fortschritt"] == ist, code  # a carried measure too (see the test below)


def test_measures_page_detail_shows_the_ist_of_a_carried_measure(truth, data_url, monkeypatch):
    app = open_page(data_url, monkeypatch, "pages/measures.py", truth.name)
    code = next(c for c in truth.sample if truth.measure(c)["carried"])
    _, in_history = _measure_views(app, code, truth.name)
    assert in_history["Fortschritt"] == fmt.percent(truth.measure(code)["progress"], missing="–")


def test_departments_page_agrees(truth, data_url, monkeypatch):
    app = open_page(data_url, monkeypatch, "pages/departments.py", truth.name)
    sql_lights = truth.department_lights.set_index("department_code")["summary_light"]
    council = {r.department: r for r in truth.content.completeness}
    for d in truth.departments.itertuples():
        if d.measures == 0:
            continue
        choose(app, "departement", d.department_code)
        shown = metrics(app)
        assert shown["Massnahmen"] == fmt.number(d.measures), d.department_code
        assert shown["Fortschritt"] == fmt.percent(d.progress), d.department_code
        assert shown["Sammelampel"] == light_text(sql_lights[d.department_code]), d.department_code
        assert shown["Hinter Plan / überfällig"] == f"{fmt.number(d.behind_plan)} / {fmt.number(d.overdue)}"
        assert shown["Rücklauf"] == fmt.share(council[d.department_code].share), d.department_code
    # Together the departments' measures are the headline's (every demo measure has a lead department).
    h = truth.headline
    assert truth.departments[["measures", "behind_plan", "overdue"]].sum().tolist() == [
        h["measures"],
        h["behind_plan"],
        h["overdue"],
    ]


def _unescaped(markdown: str) -> str:
    """Text as markdown shows it: the backslash escapes of pages.text.md_text removed, bold marks gone."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("**", "")


def test_council_page_agrees(truth, data_url, monkeypatch):
    app = open_page(data_url, monkeypatch, "pages/council.py", truth.name)
    assert any(f"Stand {fmt.date(truth.period.reference_day)}" in c.value for c in app.caption)
    h = headline_texts(truth.headline)
    shown = metrics(app)
    assert [shown[k] for k in ("Gesamtfortschritt", "Auf Kurs (● grün)", "■ rot", "Überfällig", "Rücklauf")] == [
        h["overall_progress"],
        h["on_track_share"],
        h["red"],
        h["overdue"],
        h["completeness"],
    ]
    for core in truth.figures.core_goals.itertuples():
        assert shown[core.core_code] == fmt.percent(core.progress), core.core_code

    texts = [_unescaped(m.value) for m in app.markdown]
    sentences = "\n".join(texts)
    assert (
        f"{h['reported']} von {h['active']} meldepflichtigen Massnahmen haben für {truth.name} gemeldet " in sentences
    )
    assert f"(Rücklauf {h['completeness']})" in sentences
    assert f"Ampeln der eingegangenen Meldungen: {h['green']} {light_text('gruen')}, " in sentences
    assert f"{h['yellow']} {light_text('gelb')}, {h['red']} {light_text('rot')}; " in sentences
    overdue, behind = truth.headline["overdue"], truth.headline["behind_plan"]
    assert (
        f"{fmt.count(overdue, 'Massnahme ist', 'Massnahmen sind')} überfällig" in sentences
        if overdue
        else "Keine Massnahme ist überfällig." in sentences
    )
    who = fmt.count(behind, "Massnahme liegt", "Massnahmen liegen") if behind else "Keine Massnahme liegt"
    assert f"{who} mehr als" in sentences

    blocks = {head.split(" ")[0]: t for head, t in itertools.pairwise(texts) if t.startswith("Fortschritt ")}
    for code, progress, lights, _ in truth.field_rows():
        block = blocks[code]
        assert block.startswith(f"Fortschritt {fmt.percent(progress)}"), code
        assert f"Sammelampel {light_text(lights['summary_light'])}" in block, code
        counts = [f"{light_text(k)} {int(lights[k])}" for k in LIGHTS] + [
            f"{light_text(None)} {int(lights[NO_REPORT])}"
        ]
        # The distribution, and where the rule decided a tie, why (rollup.tie_note on the SQL sums).
        assert block.split("  \n")[1:] == [
            " · ".join(counts),
            *([lights["summary_note"]] if lights["summary_note"] else []),
        ], code

    attention = app.dataframe[0].value.set_index("Code")
    listed = [code for code in truth.sample if code in attention.index]
    assert listed, "the sample has measures that need attention"
    for code in listed:
        m = truth.measure(code)
        assert attention.loc[code, "Soll"] == fmt.percent(m["expected"], missing="–"), code
        assert attention.loc[code, "Ist"] == fmt.percent(m["progress"] if m["has_report"] else None, missing="–")


# --- the earlier reports the plausibility rules read -------------------------------------------


@pytest.mark.parametrize("by_measure_below", [0, 5, 10**9])
def test_earlier_reports_in_sql_agree_with_the_whole_history(data_url, monkeypatch, by_measure_below):
    """The last two reports before each period, read period by period (0), by measure (10**9) or
    both (5), are those the whole history in pandas gives (council._earlier_in)."""
    from tracking import council, reports

    monkeypatch.setattr(reports, "EARLIER_BY_MEASURE", by_measure_below)
    engine = make_engine(data_url)
    with transaction(engine) as session:
        snap = load_snapshot(session)
        for found in all_periods(session):
            expected = council._earlier_in(snap, found.name)
            reported = set(snap.reports.loc[snap.reports["period_id"] == found.id, "measure_id"])
            sql = reports.earlier_reports(session, found, reported_in_period=True)
            assert set(sql) == {m for m in expected if m in reported}, found.name
            for measure_id, rows in sql.items():
                assert [tuple(r[:5]) for r in rows] == [tuple(e) for e in expected[measure_id]], measure_id
            # One measure's (the measure page) and the depth the template reads.
            some = sorted(expected)[:3]
            assert {
                m: [r.period for r in rows]
                for m, rows in reports.earlier_reports(session, found, some, depth=1).items()
            } == {m: [expected[m][0].period] for m in some}
    engine.dispose()
