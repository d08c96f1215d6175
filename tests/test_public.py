"""What the public sees: the view, the open data files, the DCAT metadata, the site's answers.

A small strategy with numbers worked out by hand (2024-H1, closed):
  AF1: goal 1.1 (K1 strong=3): M-1.1.01 public 40 % grün, M-1.1.02 internal 80 % gelb -> 60 %
       goal 1.2 (K2 weak=1):   M-1.2.01 internal, no report                           -> keine Daten
       AF1 = 60 % (1.2 has no data); 3 measures, 1 public
  AF2: goal 2.1 (K1 2, K2 2):  M-2.1.01 public 30 % rot                                -> 30 %
  Gesamt = (60 + 30) / 2 = 45 %
  K1 = (3 * 60 + 2 * 30) / 5 = 48 %;  K2 = 30 % (1.2 has no data)
M-1.1.01 also has a report waiting for release (95 %): it is not a report yet and shows nowhere.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import rdflib
from pyshacl import validate as shacl_validate
from sqlalchemy import select, text

from tests.factories import MARK, add_measure, add_report, definition_dict, load_definition, mark_internal_texts
from tracking import schema
from tracking.cli import main
from tracking.db import make_engine, transaction
from tracking.errors import TrackingError
from tracking.frozen import set_period_open
from tracking.models import Measure, Submission
from tracking.opendata import TABLES, dcat_graph, measure_uri, release_files, write_release
from tracking.periods import get_period
from tracking.public import PUBLIC_MEASURE_COLUMNS, page_enabled, public_view
from tracking.public_page import public_page
from tracking.public_site import answer
from tracking.strategy import parse_definition

from .conftest import temp_database_url

BASE = "https://monitoring.example.ch"
SHAPES = Path(__file__).resolve().parents[2] / "shared" / "validators" / "dcat-ap-ch"
NOW = dt.datetime(2024, 8, 1, 9, 0)
ENV = {"TRACKING_PUBLIC_URL": BASE}


def _small(session) -> None:
    load_definition(session, {**definition_dict(), "open_data": {"publisher": "Kanton Test", "organisation": "kt"}})
    set_period_open(session, name="2024-H1", is_open=True, actor="test")
    public_a = add_measure(session, "M-1.1.01", "1.1")
    internal = add_measure(session, "M-1.1.02", "1.1")
    add_measure(session, "M-1.2.01", "1.2")
    public_b = add_measure(session, "M-2.1.01", "2.1", department="FD")
    public_a.public = public_b.public = True
    add_report(session, public_a, "2024-H1", 40)
    add_report(session, internal, "2024-H1", 80, light="gelb", comment="Verzug beim Lieferanten")
    add_report(session, public_b, "2024-H1", 30, light="rot", comment="Budget gestrichen")
    session.add(
        Submission(
            measure_id=public_a.id,
            period_id=get_period(session, "2024-H1").id,
            status="in_umsetzung",
            light="gruen",
            progress=95,
            comment=f"{MARK}-waiting",
            submitted_by="koord",
            submitted_by_name=f"{MARK}-koord",
            submitted_at=dt.datetime(2024, 6, 20, 10, 0),
        )
    )
    session.flush()
    set_period_open(session, name="2024-H1", is_open=False, actor="test")


@pytest.fixture
def small(engine):
    with transaction(engine) as session:
        _small(session)
    return engine


def view_of(engine, period=None):
    with transaction(engine) as session:
        return public_view(session, period)


def test_view_has_the_hand_computed_totals_and_only_the_public_measures(small):
    view = view_of(small)
    assert view.period == "2024-H1" and view.periods == ["2024-H1"]
    fields = view.fields.set_index("code")
    assert fields.loc["AF1", "progress"] == pytest.approx(60) and fields.loc["AF2", "progress"] == pytest.approx(30)
    assert (fields.loc["AF1", "measures"], fields.loc["AF1", "public_measures"]) == (3, 1)
    assert (fields.loc["AF1", "gruen"], fields.loc["AF1", "gelb"], fields.loc["AF1", "keine Meldung"]) == (1, 1, 1)
    assert view.headline["overall_progress"] == pytest.approx(45)
    assert view.headline["measures"] == 4 and view.headline["public_measures"] == 2
    cores = view.core_goals.set_index("code")["progress"]
    assert cores["K1"] == pytest.approx(48) and cores["K2"] == pytest.approx(30)

    assert list(view.measures.columns) == list(PUBLIC_MEASURE_COLUMNS.values())
    rows = view.measures.set_index("code")
    assert list(rows.index) == ["M-1.1.01", "M-2.1.01"]
    # The released report counts (40 %), not the one waiting for release (95 %).
    assert (rows.loc["M-1.1.01", "fortschritt_prozent"], rows.loc["M-1.1.01", "ampel"]) == (40, "grün")
    assert (rows.loc["M-2.1.01", "status"], rows.loc["M-2.1.01", "ampel"]) == ("in Umsetzung", "rot")
    assert rows.loc["M-2.1.01", "federfuehrung"] == "FD"
    assert rows.loc["M-1.1.01", "geplantes_ende"] == dt.date(2025, 12, 31)
    assert list(view.reports["code"]) == ["M-1.1.01", "M-2.1.01"]


def test_only_closed_periods_are_public(small):
    with pytest.raises(TrackingError, match="2024-H2 ist noch offen"):
        view_of(small, "2024-H2")
    with pytest.raises(TrackingError, match="«2031-H1» gibt es nicht"):
        view_of(small, "2031-H1")
    with transaction(small) as session:
        set_period_open(session, name="2024-H1", is_open=True, actor="test")
    assert view_of(small) is None
    assert "sobald die erste Berichtsperiode abgeschlossen ist" in public_page(None)


def test_no_internal_text_reaches_the_view_the_page_or_the_files(sqlite_engine):
    """The hostile case on the demo data: every internal text replaced by a marker. (SQLite: the
    rule is the view's, which the small cases above check on both databases.)"""
    from tracking.bootstrap import init_database

    engine = sqlite_engine

    init_database(engine, actor="test", demo=True, today=dt.date(2026, 11, 15))
    with transaction(engine) as session:
        mark_internal_texts(session)
        assert session.scalar(text("SELECT count(*) FROM measure WHERE NOT public")) > 0
        assert session.scalar(text("SELECT count(*) FROM submission")) > 0
    for period in ("2024-H2", None):
        view = view_of(engine, period)
        assert len(view.measures) > 0
        files = release_files(view, BASE, NOW)
        for name, content in files.items():
            assert MARK.encode() not in content.upper(), name
            assert b"987654" not in content and b"987'654" not in content, name
        page = public_page(view)
        assert MARK not in page.upper() and "987'654" not in page


def test_public_measures_from_the_yaml_definition(small):
    data = {**definition_dict(), "public_measures": ["m-1.1.02"]}
    with transaction(small) as session:
        load_definition(session, data)
        assert dict(session.execute(select(Measure.code, Measure.public)).all()) == {
            "M-1.1.01": False,
            "M-1.1.02": True,
            "M-1.2.01": False,
            "M-2.1.01": False,
        }
    before = view_of(small).measures["code"].tolist()
    with (
        pytest.raises(TrackingError, match=re.escape("Massnahme M-9.9.09 gibt es nicht")),
        transaction(small) as session,
    ):
        load_definition(session, {**definition_dict(), "public_measures": ["M-1.1.01", "M-9.9.09"]})
    assert view_of(small).measures["code"].tolist() == before == ["M-1.1.02"]


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"open_data": {"organisation": "Kanton Luzern"}}, "organisation «Kanton Luzern» ist kein Kürzel"),
        ({"open_data": {"email": "keine-adresse"}}, "email «keine-adresse» ist keine E-Mail-Adresse"),
        ({"open_data": {"publisher": "X", "homepage": "y"}}, "unbekannt homepage"),
        ({"public_measures": "M-1.1.01"}, "erwartet eine Liste von Massnahmencodes"),
    ],
)
def test_wrong_open_data_sections_are_refused_in_german(section, message):
    import yaml

    with pytest.raises(TrackingError, match=message):
        parse_definition(yaml.safe_dump({**definition_dict(), **section}, allow_unicode=True))


def _csv(files: dict[str, bytes], name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files[name].decode("utf-8"))))


def test_open_data_files_hold_the_view_and_describe_every_column(small, tmp_path):
    from frictionless import validate

    files = release_files(view_of(small), BASE, NOW)
    write_release(files, tmp_path)
    report = validate(tmp_path / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    # The same check as a publisher runs it: `frictionless validate`.
    command = Path(sys.executable).parent / "frictionless"
    checked = subprocess.run([command, "validate", "datapackage.json"], cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout[-2000:]

    measures = {r["code"]: r for r in _csv(files, "massnahmen.csv")}
    assert set(measures) == {"M-1.1.01", "M-2.1.01"}
    assert measures["M-1.1.01"]["fortschritt_prozent"] == "40" and measures["M-1.1.01"]["ampel"] == "grün"
    assert measures["M-2.1.01"]["uri"] == f"{BASE}/oeffentlich/massnahme/M-2.1.01"
    progress = {(r["ebene"], r["code"]): r["fortschritt_prozent"] for r in _csv(files, "fortschritt.csv")}
    assert progress[("Gesamt", "Gesamt")] == "45.0" and progress[("Kernziel", "K1")] == "48.0"
    assert progress[("Aktionsfeld", "AF2")] == "30.0" and progress[("Kernziel", "K2")] == "30.0"

    package = json.loads(files["datapackage.json"])
    readme = files["README.md"].decode()
    for table in TABLES:
        header = next(csv.reader(io.StringIO(files[f"{table.name}.csv"].decode())))
        resource = next(r for r in package["resources"] if r["name"] == table.name)
        assert [f["name"] for f in resource["schema"]["fields"]] == header
        assert all(f["description"] for f in resource["schema"]["fields"])
        section = readme.split(f"## {table.name}.csv")[1].split("\n## ")[0]
        for column in header:
            assert f"| {column} |" in section, (table.name, column)
    status = next(f for r in package["resources"] for f in r["schema"]["fields"] if f["name"] == "status")
    assert "keine Meldung" in status["constraints"]["enum"] and "in Umsetzung" in status["constraints"]["enum"]


def _conforms(graph: rdflib.Graph) -> bool:
    conforms, _, _ = shacl_validate(graph, shacl_graph=str(SHAPES / "ech-0200.shacl.ttl"), inference="rdfs")
    return conforms


def test_dcat_metadata_conforms_to_the_dcat_ap_ch_shapes(small):
    # First prove the call: the shapes' own examples pass and fail.
    assert _conforms(rdflib.Graph().parse(SHAPES / "minimal.valid.ttl"))
    assert not _conforms(rdflib.Graph().parse(SHAPES / "empty.fail.ttl"))

    files = release_files(view_of(small), BASE, NOW)
    for name, kind in (("dcat.ttl", "turtle"), ("dcat.rdf", "xml")):
        assert _conforms(rdflib.Graph().parse(data=files[name], format=kind)), name
    graph = rdflib.Graph().parse(data=files["dcat.ttl"], format="turtle")
    dcat, dct = rdflib.Namespace("http://www.w3.org/ns/dcat#"), rdflib.DCTERMS
    dataset = rdflib.URIRef(f"{BASE}/oeffentlich/daten")
    assert str(graph.value(dataset, dct.identifier)) == "test-monitoring@kt"
    titles = {t.language for t in graph.objects(dataset, dct.title)}
    assert "de" in titles
    assert len(list(graph.objects(dataset, dcat.distribution))) == len(TABLES)
    assert {str(k) for k in graph.objects(dataset, dcat.keyword)} >= {"Digitalisierung", "Monitoring"}
    licence = graph.value(graph.value(dataset, dcat.distribution), dct.license)
    assert "Open use. Must provide the source." in {str(x) for x in graph.objects(licence, rdflib.RDFS.label)}
    # The check bites: a dataset without publisher does not conform.
    graph.remove((dataset, dct.publisher, None))
    assert not _conforms(graph)


def test_a_measures_uri_stays_the_same_across_releases(small):
    first = release_files(view_of(small), BASE, NOW)
    with transaction(small) as session:
        set_period_open(session, name="2024-H2", is_open=True, actor="test")
        m = session.scalar(select(Measure).where(Measure.code == "M-1.1.01"))
        m.title = "Neuer Titel"
        add_report(session, m, "2024-H2", 70)
        set_period_open(session, name="2024-H2", is_open=False, actor="test")
    second = release_files(view_of(small), BASE, dt.datetime(2025, 2, 1))
    assert view_of(small).period == "2024-H2"
    uris = [{r["code"]: r["uri"] for r in _csv(files, "massnahmen.csv")} for files in (first, second)]
    assert uris[0]["M-1.1.01"] == uris[1]["M-1.1.01"] == measure_uri(BASE, "M-1.1.01")
    graphs = [dcat_graph(view_of(small, p), BASE, NOW) for p in ("2024-H1", "2024-H2")]
    assert set(graphs[0].subjects()) - {s for s in graphs[0].subjects() if isinstance(s, rdflib.BNode)} == set(
        graphs[1].subjects()
    ) - {s for s in graphs[1].subjects() if isinstance(s, rdflib.BNode)}


def test_the_site_answers_and_can_be_switched_off(small):
    page = answer(small, "/oeffentlich", environ=ENV)
    assert page.status == 200 and "M-1.1.01 Massnahme M-1.1.01" in page.body and "M-1.1.02" not in page.body
    # The strategy is public: its principle; without sign-off nobody «prüft die Meldungen».
    assert "Grundsätze der Umsetzung: Lebensqualität." in page.body and "prüft die Meldungen" not in page.body
    # AF1: M-1.1.02 and M-1.2.01 are internal; AF2 has none.
    assert page.body.count("intern und zähl") == 1 and "2 weitere Massnahmen sind intern und zählen" in page.body
    public = answer(small, "/oeffentlich/massnahme/M-2.1.01", environ=ENV)
    assert (public.status, public.redirect) == (303, "/oeffentlich#massnahme-M-2.1.01")
    internal = answer(small, "/oeffentlich/massnahme/M-1.1.02", environ=ENV)
    unknown = answer(small, "/oeffentlich/massnahme/M-7.7.07", environ=ENV)
    assert internal.status == unknown.status == 404 and internal.body == unknown.body
    archive = answer(small, "/oeffentlich/daten.zip", environ=ENV)
    names = zipfile.ZipFile(io.BytesIO(archive.body)).namelist()
    assert {"massnahmen.csv", "datapackage.json", "README.md", "dcat.ttl"} <= set(names)
    assert answer(small, "/oeffentlich/daten/ziele.csv", environ=ENV).media_type.startswith("text/csv")
    assert answer(small, "/oeffentlich", "2024-H2", environ=ENV).status == 404

    away = answer(make_engine("sqlite:////nonexistent/folder/db.sqlite"), "/oeffentlich", environ=ENV)
    assert away.status == 503 and "nicht erreichbar" in away.body

    off = {**ENV, "TRACKING_PUBLIC_PAGE": "aus"}
    assert not page_enabled(off) and page_enabled(ENV)
    for path in ("/oeffentlich", "/oeffentlich/daten.zip", "/oeffentlich/daten/massnahmen.csv"):
        closed = answer(small, path, environ=off)
        assert closed.status == 404 and "ausgeschaltet" in closed.body and "M-2.1.01" not in closed.body


def test_cli_writes_the_release_and_says_what_is_missing(tmp_path, monkeypatch, capsys):
    url = temp_database_url(tmp_path / "cli.sqlite")
    engine = make_engine(url)
    schema.upgrade(engine)
    with transaction(engine) as session:
        _small(session)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("TRACKING_PUBLIC_URL", raising=False)
    assert main(["opendata", "-o", str(tmp_path / "od")]) == 1
    assert "TRACKING_PUBLIC_URL fehlt" in capsys.readouterr().err and not (tmp_path / "od").exists()

    monkeypatch.setenv("TRACKING_PUBLIC_URL", BASE + "/")
    assert main(["opendata", "-o", str(tmp_path / "od"), "--period", "2024-H2"]) == 1
    assert "2024-H2 ist noch offen" in capsys.readouterr().err

    assert main(["opendata", "-o", str(tmp_path / "od")]) == 0
    out = capsys.readouterr().out
    assert "Offene Daten 2024-H1" in out and "2 öffentliche Massnahmen von 4" in out
    written = {p.name for p in (tmp_path / "od").iterdir()}
    assert written == {f"{t.name}.csv" for t in TABLES} | {"datapackage.json", "README.md", "dcat.ttl", "dcat.rdf"}
    rows = list(csv.DictReader((tmp_path / "od" / "massnahmen.csv").open(encoding="utf-8")))
    assert rows[0]["uri"] == f"{BASE}/oeffentlich/massnahme/M-1.1.01"


def test_page_files_and_internal_figures_read_the_same(sqlite_engine):
    """One rule: the public page, the CSV files and the dashboard's figures show the same numbers."""
    engine = sqlite_engine
    from tracking import formatting as fmt
    from tracking import rollup as ru
    from tracking.bootstrap import init_database
    from tracking.figures import period_figures
    from tracking.snapshot import load_snapshot

    init_database(engine, actor="test", demo=True, today=dt.date(2026, 11, 15))
    view = view_of(engine)
    with transaction(engine) as session:
        snap = load_snapshot(session)
        day = snap.resolve(view.period).reference_day
        internal = period_figures(session, snap, view.period, as_of=day)
    status = ru.measure_status(snap, view.period, as_of=day).set_index("code")
    page = public_page(view)
    files = release_files(view, BASE, NOW)

    shown = dict(re.findall(r'<th scope="row">((?:AF|K)\d) [^<]*</th><td><div class="track">.*?"value">([^<]*)<', page))
    progress = {
        (r["ebene"], r["code"]): r["fortschritt_prozent"]
        for r in _csv(files, "fortschritt.csv")
        if r["periode"] == view.period
    }
    for f in internal.fields.itertuples():
        assert shown[f.field_code] == fmt.percent(f.progress), f.field_code
        assert float(progress[("Aktionsfeld", f.field_code)]) == round(f.progress, 1), f.field_code
    for c in internal.core_goals.itertuples():
        assert shown[c.core_code] == fmt.percent(c.progress), c.core_code
        assert float(progress[("Kernziel", c.core_code)]) == round(c.progress, 1), c.core_code
    overall = internal.headline["overall_progress"]
    assert f'<span class="value">{fmt.percent(overall)}</span>' in page
    assert float(progress[("Gesamt", "Gesamt")]) == round(overall, 1)
    for row in _csv(files, "massnahmen.csv"):
        inside = status.loc[row["code"]]
        expected = "" if pd.isna(inside["progress"]) else str(round(inside["progress"]))
        assert row["fortschritt_prozent"] == expected, row["code"]
        word = {"gruen": "grün", "gelb": "gelb", "rot": "rot"}.get(inside["light"], "")
        assert row["ampel"] == word, row["code"]
