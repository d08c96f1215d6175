"""Nothing counts as reported unless someone reported it; implausible reports are warned about.

- A template row of a measure without a report in the period comes empty: left
  untouched it stays «keine Meldung», and an untouched template changes nothing.
- «Unverändert: ja» is the explicit way to say «nothing new»: this period's
  report carries the last one's values, marked as confirmed.
- The plausibility rules warn (never refuse) in the preview, on the measure's
  page and in the council report; the reporter's explanation is kept.
- Texts in a report have a maximum length and no control characters.
"""

from __future__ import annotations

import datetime as dt
import io
import types
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from tests import excel_files as xf
from tests.conftest import REFERENCE_DATE
from tests.factories import add_measure, add_report
from tracking import periods as periods_module
from tracking.council import council_content, load_council_content
from tracking.db import transaction
from tracking.demo import generate_demo
from tracking.excel_import import ImportRefused, apply_import, plan_entries, plan_import
from tracking.excel_template import build_template
from tracking.measures import measure_history
from tracking.models import Measure, ReportingPeriod, StatusReport
from tracking.plausibility import Earlier, report_warnings
from tracking.report_sheet import REPORT_COLUMNS, REPORT_SHEET, letter_of
from tracking.rollup import headline, rollup
from tracking.scope import Scope
from tracking.snapshot import load_snapshot

PERIOD = "2026-H2"
COUNTED = ("status_report", "row_change", "write_record")


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in COUNTED}


def template(engine, scope: Scope, period: str = PERIOD) -> bytes:
    with transaction(engine) as session:
        return build_template(session, period=period, scope=scope, generated_by="test")


def plan(engine, data: bytes):
    with transaction(engine) as session:
        return plan_import(session, data, "vorlage.xlsx")


def save(engine, data: bytes):
    with transaction(engine, write=True) as session:
        p = plan_import(session, data, "vorlage.xlsx")
        return p, apply_import(session, p, actor="koord")


def refused(engine, data: bytes) -> ImportRefused:
    before = counts(engine)
    with pytest.raises(ImportRefused) as info, transaction(engine, write=True) as session:
        apply_import(session, plan_import(session, data, "vorlage.xlsx"), actor="koord")
    assert counts(engine) == before
    return info.value


def sheet_row(data: bytes, code: str) -> dict[str, object]:
    ws = load_workbook(io.BytesIO(data))[REPORT_SHEET]
    for row in ws.iter_rows(min_row=2, values_only=True):
        if row[0] == code:
            return {c.key: v for c, v in zip(REPORT_COLUMNS, row)}
    raise KeyError(code)


def with_control_characters(data: bytes, placeholder: str, raw: str) -> bytes:
    """The file with `placeholder` replaced by `raw` as Excel stores control characters (_x001B_):
    openpyxl refuses to write them, a hand-edited or foreign file may hold them."""
    encoded = "".join(f"_x{ord(ch):04X}_" if ord(ch) < 32 and ch not in "\t\n" else ch for ch in raw)
    encoded = encoded.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            out.writestr(item, source.read(item.filename).replace(placeholder.encode(), encoded.encode()))
    return target.getvalue()


def where(key: str) -> str:
    return letter_of(REPORT_COLUMNS, key)


@pytest.fixture
def demo(luzern):
    with transaction(luzern) as session:
        generate_demo(session, actor="test", reference_date=REFERENCE_DATE)
    return luzern


@pytest.fixture
def af5(luzern):
    """M-5.1.01 reported 40 % (grün) in 2026-H1 only; M-5.1.02 reported 2026-H1 and 2026-H2; M-5.2.01 never."""
    with transaction(luzern) as session:
        end = dt.date(2028, 12, 31)
        m1 = add_measure(session, "M-5.1.01", "5.1", start=dt.date(2026, 1, 1), end=end)
        m2 = add_measure(session, "M-5.1.02", "5.1", start=dt.date(2026, 1, 1), end=end)
        add_measure(session, "M-5.2.01", "5.2", start=dt.date(2026, 1, 1), end=end)
        add_report(session, m1, "2026-H1", 40, comment="Ausschreibung läuft.")
        add_report(session, m2, "2026-H1", 10)
        add_report(session, m2, PERIOD, 25, light="gelb", comment="Lieferant verspätet.")
    return luzern


# --- A: an untouched row is no report ------------------------------------------------


def test_row_without_report_this_period_comes_empty_with_the_last_report_beside(af5):
    data = template(af5, Scope("field", "AF5"))
    row = sheet_row(data, "M-5.1.01")
    assert (row["status"], row["light"], row["progress"], row["comment"]) == (None, None, None, None)
    assert row["unchanged"] is None
    assert row["last_report"] == "2026-H1: in Umsetzung, grün, 40 % – Ausschreibung läuft."
    # The row is tall enough for the wrapped «Letzte Meldung» (57 characters in a 40-wide column: 2 lines).
    assert load_workbook(io.BytesIO(data))[REPORT_SHEET].row_dimensions[2].height == 30
    never = sheet_row(data, "M-5.2.01")
    assert never["last_report"] == "noch keine Meldung"
    # This period's report fills the inputs, so that the file re-imports as it is.
    reported = sheet_row(data, "M-5.1.02")
    assert (reported["status"], reported["light"], reported["progress"]) == ("in Umsetzung", "gelb", 25)
    assert reported["comment"] == "Lieferant verspätet."


@pytest.mark.parametrize("scope", [Scope("field", "AF5"), Scope("department", "GSD"), Scope()], ids=str)
def test_untouched_template_changes_nothing(demo, scope):
    before = counts(demo)
    with transaction(demo) as session:
        figures_before = headline(rollup(load_snapshot(session), PERIOD, as_of=REFERENCE_DATE))
    p, result = save(demo, template(demo, scope))
    assert not p.has_changes
    assert (p.count("neu"), p.count("geändert")) == (0, 0)
    assert result.reports_written == 0
    assert counts(demo) == before
    with transaction(demo) as session:
        figures_after = headline(rollup(load_snapshot(session), PERIOD, as_of=REFERENCE_DATE))
    assert figures_after["reported"] == figures_before["reported"]
    assert figures_after["completeness"] == figures_before["completeness"]
    assert figures_after["red"] == figures_before["red"]


def test_filled_template_imported_twice_changes_nothing_the_second_time(af5):
    data = xf.fill_template(
        template(af5, Scope("field", "AF5")), {"M-5.2.01": {"status": "geplant", "light": "grün", "progress": 0}}
    )
    first, _ = save(af5, data)
    assert first.count("neu") == 1
    after_first = counts(af5)
    second, result = save(af5, data)
    assert not second.has_changes and result.reports_written == 0
    assert counts(af5) == after_first
    # and the template downloaded now re-imports unchanged as well
    again, _ = save(af5, template(af5, Scope("field", "AF5")))
    assert not again.has_changes


def test_text_without_status_light_and_progress_is_refused_not_dropped(af5):
    data = xf.fill_template(template(af5, Scope("field", "AF5")), {"M-5.1.01": {"comment": "Wir sind dran."}})
    error = refused(af5, data)
    assert [(p.row, p.column) for p in error.problems] == [(2, where("status"))]
    assert "ohne sie ist die Zeile keine Meldung" in error.problems[0].message


# --- A: «unverändert» is an explicit report -------------------------------------------


def test_unchanged_carries_the_last_report_and_is_marked_confirmed(af5):
    data = xf.fill_template(template(af5, Scope("field", "AF5")), {"M-5.1.01": {"unchanged": "ja"}})
    p, result = save(af5, data)
    assert (p.count("neu"), result.reports_written) == (1, 1)
    with transaction(af5) as session:
        stored = session.execute(
            select(StatusReport.status, StatusReport.light, StatusReport.progress, StatusReport.comment)
            .add_columns(StatusReport.unchanged)
            .join(Measure, Measure.id == StatusReport.measure_id)
            .join(ReportingPeriod, ReportingPeriod.id == StatusReport.period_id)
            .where(Measure.code == "M-5.1.01", ReportingPeriod.name == PERIOD, StatusReport.is_current.is_(True))
        ).one()
    assert tuple(stored) == ("in_umsetzung", "gruen", 40, "Ausschreibung läuft.", True)
    # The next template says «ja» and leaves the values to «Letzte Meldung»; it re-imports unchanged.
    row = sheet_row(template(af5, Scope("field", "AF5")), "M-5.1.01")
    assert (row["unchanged"], row["status"], row["progress"]) == ("ja", None, None)
    again, _ = save(af5, template(af5, Scope("field", "AF5")))
    assert not again.has_changes
    # The council report counts it.
    with transaction(af5) as session:
        content = load_council_content(session, PERIOD, as_of=REFERENCE_DATE)
    assert content.n_unchanged == 1
    assert "1 Meldung bestätigt die letzte Meldung unverändert." in content.summary


def test_unchanged_without_an_earlier_report_is_refused_at_its_cell(af5):
    data = xf.fill_template(template(af5, Scope("field", "AF5")), {"M-5.2.01": {"unchanged": "ja"}})
    error = refused(af5, data)
    assert [(p.row, p.column, p.header) for p in error.problems] == [(4, where("unchanged"), "Unverändert")]
    assert "noch keine frühere Meldung" in error.problems[0].message


def test_unchanged_with_other_values_is_a_contradiction(af5):
    given = {"unchanged": "ja", "progress": 55, "status": "in Umsetzung"}
    data = xf.fill_template(template(af5, Scope("field", "AF5")), {"M-5.1.01": given})
    error = refused(af5, data)
    # The status says what the last report said; only the progress contradicts it.
    assert [(p.row, p.column) for p in error.problems] == [(2, where("progress"))]
    assert "2026-H1: 40" in error.problems[0].message and "«55»" in error.problems[0].message


def test_unchanged_with_an_unknown_word_is_refused(af5):
    data = xf.fill_template(template(af5, Scope("field", "AF5")), {"M-5.1.01": {"unchanged": "vielleicht"}})
    error = refused(af5, data)
    assert [(p.column, p.message) for p in error.problems] == [
        (where("unchanged"), "«vielleicht» ist hier nicht gültig. Erlaubt: ja (oder leer lassen).")
    ]


def test_browser_table_tick_means_unchanged(af5):
    entries = [{"code": "M-5.1.01", "unchanged": True}, {"code": "M-5.2.01"}]
    with transaction(af5, write=True) as session:
        p = plan_entries(session, entries, period=PERIOD, scope=Scope("field", "AF5"))
        assert (p.count("neu"), p.empty_rows) == (1, 1)
        assert p.reports[0].values.unchanged is True
        assert p.reports[0].values.progress == 40
        apply_import(session, p, actor="koord")
    with transaction(af5) as session:
        p = plan_entries(session, entries, period=PERIOD, scope=Scope("field", "AF5"))
    assert not p.has_changes


# --- B: plausibility ------------------------------------------------------------------

DAY = dt.date(2026, 11, 15)
PLAN = {"start_date": dt.date(2026, 1, 1), "planned_end": dt.date(2027, 12, 31), "day": DAY}


def rules(status="in_umsetzung", light="gruen", progress=40, comment=None, earlier=(), **plan):
    return [h.rule for h in report_warnings(status, light, progress, comment, earlier, **{**PLAN, **plan})]


def test_a_plausible_report_has_no_warning():
    # Soll on 15.11.2026 of 2026-01-01..2027-12-31: 318 of 729 days = 43.6 %; 40 % is 3.6 points behind.
    assert rules(earlier=[Earlier("2026-H1", "in_umsetzung", "gruen", 20, "ok")]) == []


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (dict(status="sistiert", light="gruen"), ["paused_green"]),
        (dict(status="abgebrochen", light="gruen"), ["paused_green"]),
        (dict(status="sistiert", light="gelb", comment="Budget"), []),
        (dict(progress=100), ["complete_not_closed"]),
        (dict(status="abgeschlossen", progress=100), []),
        # planned end 31.10.2026 passed on 15.11.2026; 99 % is on plan, so only overdue
        (dict(progress=99, planned_end=dt.date(2026, 10, 31)), ["green_overdue"]),
        (dict(progress=99, light="gelb", comment="x", planned_end=dt.date(2026, 10, 31)), []),
        # Soll 43.6 %: 28 % is 15.6 points behind (more than 15), 29 % is 14.6 (not)
        (dict(progress=28), ["green_behind"]),
        (dict(progress=29), []),
        (dict(progress=28, light="gelb", comment="x"), []),
    ],
)
def test_each_rule_fires_exactly_when_it_should(case, expected):
    assert rules(**case) == expected


def test_rules_that_read_the_earlier_reports():
    last = Earlier("2026-H1", "in_umsetzung", "gruen", 45, "Alles gut.")
    before = Earlier("2025-H2", "in_umsetzung", "gruen", 45, "Alles gut.")
    assert rules(progress=40, earlier=[last]) == ["progress_down"]
    assert rules(progress=45, earlier=[last, before]) == ["green_stalled"]
    assert rules(progress=45, light="gelb", comment="x", earlier=[last, before]) == []
    assert rules(progress=45, earlier=[last]) == []  # one period unchanged is no stall
    assert rules(progress=50, light="gelb", comment="Alles gut.", earlier=[last]) == ["same_comment"]
    assert rules(progress=50, light="gelb", comment="Neu: Verzug.", earlier=[last]) == []


def test_warnings_show_in_the_preview_never_block_and_keep_the_explanation(af5):
    # M-5.1.01 was 40 % in 2026-H1; 30 % now goes backwards.
    data = xf.fill_template(
        template(af5, Scope("field", "AF5")),
        {
            "M-5.1.01": {
                "status": "in Umsetzung",
                "light": "gelb",
                "progress": 30,
                "comment": "Umfang erweitert.",
                "explanation": "Neue Schnittstellen: neu geschätzt.",
            }
        },
    )
    p = plan(af5, data)
    assert [(h.row, h.code, [x.rule for x in h.hints], h.explanation) for h in p.hints] == [
        (2, "M-5.1.01", ["progress_down"], "Neue Schnittstellen: neu geschätzt.")
    ]
    lines = p.summary_lines()
    assert "1 Plausibilitätshinweis (speichern ist trotzdem möglich" in lines[-2]
    assert lines[-1] == (
        "  Zeile 2, M-5.1.01: Fortschritt tiefer als in der letzten Meldung (2026-H1: 40 % → 30 %)."
        " – Erläuterung: Neue Schnittstellen: neu geschätzt."
    )
    _, result = save(af5, data)
    assert result.reports_written == 1
    # The measure's page shows the same warning beside the explanation ...
    with transaction(af5) as session:
        snap = load_snapshot(session)
        measure_id = session.scalar(select(Measure.id).where(Measure.code == "M-5.1.01"))
        history = measure_history(snap, measure_id).set_index("period")
        content = load_council_content(session, PERIOD, as_of=REFERENCE_DATE)
    assert history.loc[PERIOD, "hints"] == [p.hints[0].hints[0].message]
    assert history.loc[PERIOD, "explanation"] == "Neue Schnittstellen: neu geschätzt."
    # ... and the council report lists it among what needs attention, with the explanation.
    (row,) = [a for a in content.attention if a.code == "M-5.1.01"]
    assert row.why == "Hinweis: Fortschritt gesunken"
    assert row.reason == "Umfang erweitert. (Erläuterung: Neue Schnittstellen: neu geschätzt.)"
    assert content.n_hints == 1


def test_demo_data_is_plausible_but_for_the_deliberate_cases(demo, monkeypatch):
    # The demo data is made for REFERENCE_DATE: the open period's plans are read on that day.
    class Today(dt.date):
        @classmethod
        def today(cls):
            return REFERENCE_DATE

    monkeypatch.setattr(periods_module, "dt", types.SimpleNamespace(date=Today))
    with transaction(demo) as session:
        snap = load_snapshot(session)
    found = []
    for measure_id in snap.measures["measure_id"]:
        history = measure_history(snap, measure_id)
        for period, hints in zip(history["period"], history["hints"]):
            found += [(period, hint) for hint in hints]
    # Two deliberate cases in the open period: progress going back (with an explanation)
    # and a green overdue measure; the overdue one is also far behind its plan.
    periods = {period for period, _ in found}
    assert periods == {PERIOD}
    assert sum("Fortschritt tiefer" in h for _, h in found) == 1
    assert sum("überfällig" in h for _, h in found) == 1
    assert len(found) <= 3


def test_council_warnings_from_sql_equal_those_from_the_whole_history(demo):
    with transaction(demo) as session:
        from_sql = load_council_content(session, PERIOD, as_of=REFERENCE_DATE)
        whole = council_content(load_snapshot(session), PERIOD, as_of=REFERENCE_DATE)
    assert [(a.code, a.why, a.hints) for a in from_sql.attention] == [(a.code, a.why, a.hints) for a in whole.attention]
    assert from_sql.n_hints == whole.n_hints >= 2


# --- C5/C6 on import: lengths and control characters ----------------------------------


@pytest.mark.parametrize(
    ("key", "limit"), [("comment", 2000), ("next_steps", 1000), ("risks", 1000), ("explanation", 1000)]
)
def test_text_at_the_limit_goes_in_one_more_is_refused_at_its_cell(af5, key, limit):
    base = template(af5, Scope("field", "AF5"))
    values = {"status": "in Umsetzung", "light": "grün", "progress": 45}
    at_limit = ("Schnittstelle " * 200)[:limit]
    p = plan(af5, xf.fill_template(base, {"M-5.1.01": {**values, key: at_limit}}))
    assert p.count("neu") == 1
    error = refused(af5, xf.fill_template(base, {"M-5.1.01": {**values, key: at_limit + "x"}}))
    assert [(p.sheet, p.row, p.column) for p in error.problems] == [(REPORT_SHEET, 2, where(key))]
    shown = f"{limit + 1:,}".replace(",", "'")
    assert error.problems[0].message == f"Der Text ist {shown} Zeichen lang; erlaubt sind höchstens {limit:,}.".replace(
        ",", "'"
    )


@pytest.mark.parametrize("bad", ["a\x00b", "\x1b]0;pwned\x07", "Zeile\x0bumbruch"], ids=["NUL", "ESC", "VT"])
def test_control_characters_are_refused_at_the_cell_on_every_database(af5, bad):
    base = template(af5, Scope("field", "AF5"))
    values = {"status": "in Umsetzung", "light": "grün", "progress": 45, "comment": "Text PLATZHALTER"}
    data = with_control_characters(xf.fill_template(base, {"M-5.1.01": values}), "PLATZHALTER", bad)
    error = refused(af5, data)
    assert [(p.row, p.column) for p in error.problems] == [(2, where("comment"))]
    assert error.problems[0].message.startswith("Der Text enthält unzulässige Steuerzeichen (U+")


def test_tab_and_line_breaks_stay_allowed(af5):
    base = template(af5, Scope("field", "AF5"))
    values = {"status": "in Umsetzung", "light": "grün", "progress": 45, "comment": "Eins\tzwei\ndrei\r\nvier"}
    _, result = save(af5, xf.fill_template(base, {"M-5.1.01": values}))
    assert result.reports_written == 1
    with transaction(af5) as session:
        stored = session.scalar(select(func.max(StatusReport.comment)).where(StatusReport.comment.like("Eins%")))
    assert stored.startswith("Eins\tzwei\n")


# --- the hostile corpus through the status import --------------------------------------


def test_hostile_corpus_through_the_import(af5):
    """Every text of the corpus in a comment: stored whole (as typed, trimmed) or, with control
    characters, refused at its cell; texts at each limit of a report go in whole."""
    from tests.hostile_corpus import HOSTILE, at_limit
    from tracking.text_rules import control_characters

    base = template(af5, Scope("field", "AF5"))
    values = {"status": "in Umsetzung", "light": "gelb", "progress": 45}
    # «_x0041_» typed in Excel is stored escaped; openpyxl, which writes this test's files, does not.
    corpus = [(name, t) for name, t in HOSTILE if name != "excel escape lookalike"]
    for name, hostile in corpus:
        data = with_control_characters(
            xf.fill_template(base, {"M-5.1.01": {**values, "comment": "PLATZHALTER"}}), "PLATZHALTER", hostile
        )
        if control_characters(hostile):
            error = refused(af5, data)
            assert [(p.row, p.column) for p in error.problems] == [(2, where("comment"))], name
            continue
        row = next(r for r in plan(af5, data).reports if r.code == "M-5.1.01")
        assert row.values.comment == hostile.strip(), name
    texts = {key: at_limit(key) for key in ("comment", "next_steps", "risks", "explanation")}
    _, result = save(af5, xf.fill_template(base, {"M-5.1.01": {**values, **texts}}))
    assert result.reports_written == 1
    with transaction(af5) as session:
        stored = session.execute(
            select(StatusReport.comment, StatusReport.next_steps, StatusReport.risks, StatusReport.explanation)
            .join(Measure, Measure.id == StatusReport.measure_id)
            .where(Measure.code == "M-5.1.01", StatusReport.is_current.is_(True), StatusReport.write_id.is_not(None))
            .order_by(StatusReport.id.desc())
            .limit(1)
        ).one()
    assert tuple(stored) == tuple(texts.values())
