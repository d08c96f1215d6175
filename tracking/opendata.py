"""The open data release: CSV files, a Frictionless data package, a README and DCAT-AP CH metadata.

Everything comes from a PublicView (tracking/public.py decides what is public).
Each table is described once, in TABLES: the CSV's columns, the data package's
table schema and the README are all written from that description.

Identifiers are built from the public address (TRACKING_PUBLIC_URL) and codes
only, never from database ids or dates: a measure's URI is
<address>/oeffentlich/massnahme/<code> in every release. The DCAT-AP CH
metadata (what opendata.swiss harvests) describes one dataset, «Monitoring der
Strategie», with one distribution per file.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from tracking import formatting as fmt
from tracking.errors import TrackingError
from tracking.public import PublicView
from tracking.vocab import LIGHTS, NO_REPORT, STATUSES

PUBLIC_PATH = "/oeffentlich"
DATA_PATH = f"{PUBLIC_PATH}/daten"
MEASURE_PATH = f"{PUBLIC_PATH}/massnahme"
LICENCE_URI = "http://dcat-ap.ch/vocabulary/licenses/terms_by"
LICENCE_TEXT = "Freie Nutzung. Quellenangabe ist Pflicht."
LICENCE_TEXT_EN = "Open use. Must provide the source."
THEME_URI = "http://dcat-ap.ch/vocabulary/themes/gove"  # opendata.swiss: Staat
HALF_YEARLY = "http://publications.europa.eu/resource/authority/frequency/ANNUAL_2"
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")


@dataclass(frozen=True)
class Col:
    name: str
    type: str  # Table Schema type: string, integer, number, date, boolean
    title: str
    description: str
    unit: str | None = None
    enum: tuple[str, ...] | None = None
    required: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    columns: tuple[Col, ...]
    key: tuple[str, ...]


STATUS_WORDS = (*STATUSES.values(), NO_REPORT)
TYPE_WORDS = {
    "string": "Text",
    "integer": "ganze Zahl",
    "number": "Zahl",
    "date": "Datum (JJJJ-MM-TT)",
    "boolean": "true oder false",
}
LIGHT_WORDS = tuple(LIGHTS.values())
_CODE = Col("code", "string", "Code", "Kennung, die sich nie ändert.", required=True)
_PERIOD = Col("periode", "string", "Berichtsperiode", "Halbjahr, z. B. 2026-H1 (Januar bis Juni 2026).", required=True)
_PROGRESS = Col(
    "fortschritt_prozent",
    "number",
    "Fortschritt",
    "Fortschritt in Prozent (0 bis 100), auf eine Stelle gerundet; leer: keine Daten.",
    unit="%",
)
_MEASURE_STATE = (
    Col(
        "status",
        "string",
        "Status",
        "Status gemäss der letzten Meldung; «keine Meldung»: nicht gemeldet.",
        enum=STATUS_WORDS,
    ),
    Col(
        "fortschritt_prozent",
        "integer",
        "Fortschritt",
        "Fortschritt in Prozent (0 bis 100) gemäss Meldung; leer: keine Meldung.",
        unit="%",
    ),
    Col(
        "ampel",
        "string",
        "Ampel",
        "grün: auf Kurs; gelb: Risiken oder leichte Verzögerung; rot: gefährdet; leer: keine Meldung.",
        enum=LIGHT_WORDS,
    ),
    Col("letzte_meldung", "date", "Letzte Meldung", "Tag der letzten Meldung bis zu dieser Periode."),
)

TABLES: tuple[Table, ...] = (
    Table(
        "kernziele",
        "Kernziele",
        "Die vier Kernziele der Strategie.",
        (
            _CODE,
            Col("name", "string", "Wortlaut", "Wortlaut des Kernziels.", required=True),
            Col("kurzname", "string", "Kurzname", "Stichwort für Tabellenköpfe."),
        ),
        ("code",),
    ),
    Table(
        "grundsaetze",
        "Grundsätze",
        "Die Grundsätze, an denen sich die Umsetzung orientiert.",
        (_CODE, Col("name", "string", "Wortlaut", "Wortlaut des Grundsatzes.", required=True)),
        ("code",),
    ),
    Table(
        "aktionsfelder",
        "Aktionsfelder",
        "Die Aktionsfelder der Strategie.",
        (
            _CODE,
            Col("name", "string", "Name", "Name des Aktionsfelds.", required=True),
            Col("einleitung", "string", "Einleitung", "Kurze Beschreibung des Aktionsfelds."),
        ),
        ("code",),
    ),
    Table(
        "ziele",
        "Ziele",
        "Die Ziele je Aktionsfeld.",
        (
            _CODE,
            Col("name", "string", "Wortlaut", "Wortlaut des Ziels.", required=True),
            Col("aktionsfeld", "string", "Aktionsfeld", "Code des Aktionsfelds (aktionsfelder.csv).", required=True),
            Col("beispiel", "boolean", "Beispiel", "true: vorläufiger Beispieltext, bis der Wortlaut geladen ist."),
        ),
        ("code",),
    ),
    Table(
        "zielbeitraege",
        "Beiträge der Ziele an die Kernziele",
        "Welches Ziel wie stark zu welchem Kernziel beiträgt (gewichtet den Fortschritt der Kernziele).",
        (
            Col("ziel", "string", "Ziel", "Code des Ziels (ziele.csv).", required=True),
            Col("kernziel", "string", "Kernziel", "Code des Kernziels (kernziele.csv).", required=True),
            Col("gewicht", "number", "Gewicht", "Stärke des Beitrags: 1 schwach, 2 mittel, 3 stark.", required=True),
        ),
        ("ziel", "kernziel"),
    ),
    Table(
        "perioden",
        "Berichtsperioden",
        "Die veröffentlichten (abgeschlossenen) Berichtsperioden.",
        (
            _PERIOD,
            Col("beginn", "date", "Beginn", "Erster Tag der Periode.", required=True),
            Col("ende", "date", "Ende", "Letzter Tag der Periode.", required=True),
        ),
        ("periode",),
    ),
    Table(
        "massnahmen",
        "Massnahmen",
        "Die öffentlichen Massnahmen mit ihrem Stand in der Periode dieser Veröffentlichung.",
        (
            _CODE,
            Col("uri", "string", "URI", "Dauerhafte Adresse der Massnahme; ändert sich in keiner Veröffentlichung."),
            Col("titel", "string", "Titel", "Titel der Massnahme.", required=True),
            Col("aktionsfeld", "string", "Aktionsfeld", "Code des Aktionsfelds (aktionsfelder.csv).", required=True),
            Col("ziel", "string", "Ziel", "Code des Ziels (ziele.csv).", required=True),
            Col("federfuehrung", "string", "Federführung", "Kürzel des federführenden Departements.", required=True),
            Col("federfuehrung_name", "string", "Federführendes Departement", "Name des Departements."),
            Col("beginn", "date", "Beginn", "Geplanter Beginn."),
            Col("geplantes_ende", "date", "Geplantes Ende", "Geplantes Ende."),
            *_MEASURE_STATE,
        ),
        ("code",),
    ),
    Table(
        "meldungen",
        "Stand der Massnahmen je Periode",
        "Status, Fortschritt und Ampel der öffentlichen Massnahmen in jeder veröffentlichten Periode.",
        (
            _PERIOD,
            Col("code", "string", "Massnahme", "Code der Massnahme (massnahmen.csv).", required=True),
            *_MEASURE_STATE,
        ),
        ("periode", "code"),
    ),
    Table(
        "fortschritt",
        "Fortschritt der Strategie je Periode",
        "Fortschritt gesamt, je Aktionsfeld und je Kernziel; es zählen alle Massnahmen, öffentliche und interne.",
        (
            _PERIOD,
            Col(
                "ebene",
                "string",
                "Ebene",
                "Gesamt, Aktionsfeld oder Kernziel.",
                enum=("Gesamt", "Aktionsfeld", "Kernziel"),
                required=True,
            ),
            Col(
                "code",
                "string",
                "Code",
                "Code des Aktionsfelds oder Kernziels; «Gesamt» für die ganze Strategie.",
                required=True,
            ),
            _PROGRESS,
        ),
        ("periode", "ebene", "code"),
    ),
)
METHOD = (
    "Der Fortschritt eines Ziels ist das gewichtete Mittel des gemeldeten Fortschritts seiner Massnahmen; "
    "sistierte und abgebrochene Massnahmen zählen mit, ziehen den Fortschritt aber nicht nach unten. "
    "Der Fortschritt eines Aktionsfelds ist das gewichtete Mittel seiner Ziele, der eines Kernziels das Mittel "
    "der Ziele, gewichtet mit ihrem Beitrag an dieses Kernziel; der Gesamtfortschritt ist das Mittel der "
    "Aktionsfelder. Ein Ziel ohne Meldungen hat «keine Daten», nicht 0 %. Es zählen alle Massnahmen, auch die "
    "internen; einzeln veröffentlicht werden nur die öffentlichen. Eine Massnahme ohne Meldung in einer Periode "
    "steht als «keine Meldung». Veröffentlicht werden abgeschlossene Perioden."
)


def public_base_url(environ=None, fallback: str | None = None) -> str:
    """The public address identifiers are built on: TRACKING_PUBLIC_URL, else the fallback (the
    address a request came to); refused in German when neither is there."""
    env = os.environ if environ is None else environ
    url = (env.get("TRACKING_PUBLIC_URL", "").strip() or (fallback or "")).rstrip("/")
    if not url:
        raise TrackingError(
            "TRACKING_PUBLIC_URL fehlt: die öffentliche Adresse des Tools, z. B. https://monitoring.lu.ch. "
            "Auf ihr bauen die dauerhaften Adressen (URIs) der Massnahmen und Datensätze auf."
        )
    if not url.startswith(("http://", "https://")):
        raise TrackingError("TRACKING_PUBLIC_URL muss mit http:// oder https:// beginnen.")
    return url


def measure_uri(base: str, code: str) -> str:
    return f"{base}{MEASURE_PATH}/{code}"


def table_frames(view: PublicView, base: str) -> dict[str, pd.DataFrame]:
    """Each table's rows, in its columns' order."""
    fields = view.fields.rename(columns={"introduction": "einleitung"})
    goals = view.goals.rename(columns={"field": "aktionsfeld", "is_example": "beispiel"})
    contributions = view.contributions.rename(columns={"goal": "ziel", "core_goal": "kernziel", "weight": "gewicht"})
    periods = pd.DataFrame([(p, *view.period_bounds[p]) for p in view.periods], columns=["periode", "beginn", "ende"])
    measures = view.measures.assign(uri=[measure_uri(base, c) for c in view.measures["code"]])
    progress = view.progress.rename(columns={"period": "periode", "level": "ebene", "progress": "fortschritt_prozent"})
    progress["fortschritt_prozent"] = progress["fortschritt_prozent"].round(1)
    frames = {
        "kernziele": view.core_goals.rename(columns={"short": "kurzname"}),
        "grundsaetze": view.principles,
        "aktionsfelder": fields,
        "ziele": goals,
        "zielbeitraege": contributions,
        "perioden": periods,
        "massnahmen": measures,
        "meldungen": view.reports.rename(columns={"period": "periode"}),
        "fortschritt": progress,
    }
    return {t.name: frames[t.name][[c.name for c in t.columns]].reset_index(drop=True) for t in TABLES}


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8, comma-separated, ISO dates, true/false, empty for missing."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == bool:
            out[column] = out[column].map({True: "true", False: "false"})
        else:
            out[column] = out[column].map(lambda v: v.isoformat() if isinstance(v, dt.date) else v)
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8")


def datapackage(view: PublicView, base: str, now: dt.datetime) -> dict:
    """The Frictionless data package descriptor: a table schema per file."""
    resources = []
    for table in TABLES:
        fields = []
        for col in table.columns:
            field: dict = {"name": col.name, "type": col.type, "title": col.title, "description": col.description}
            if col.type == "boolean":
                field |= {"trueValues": ["true"], "falseValues": ["false"]}
            constraints = {}
            if col.enum:
                constraints["enum"] = list(col.enum)
            if col.required:
                constraints["required"] = True
            if col.unit == "%":
                constraints |= {"minimum": 0, "maximum": 100}
            if constraints:
                field["constraints"] = constraints
            if col.unit:
                field["unit"] = col.unit
            fields.append(field)
        resources.append(
            {
                "name": table.name,
                "path": f"{table.name}.csv",
                "title": table.title,
                "description": table.description,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {"fields": fields, "primaryKey": list(table.key), "missingValues": [""]},
            }
        )
    return {
        "name": _dataset_slug(view),
        "id": f"{base}{DATA_PATH}",
        "title": _title(view),
        "description": _description(view),
        "homepage": f"{base}{PUBLIC_PATH}",
        "created": now.isoformat(timespec="seconds"),
        "licenses": [{"name": "terms_by", "path": LICENCE_URI, "title": LICENCE_TEXT}],
        "sources": [{"title": view.publisher.name or view.strategy_name, "path": f"{base}{PUBLIC_PATH}"}],
        "keywords": _keywords(view),
        "resources": resources,
    }


def readme(view: PublicView, base: str, now: dt.datetime) -> str:
    """The dataset's README: what it is, its licence, how the numbers come about, every column."""
    lines = [
        f"# {_title(view)}",
        "",
        _description(view),
        "",
        f"- Herausgeber: {view.publisher.name or '–'}",
        f"- Stand: Berichtsperiode {view.period} ({fmt.date(view.period_start)} bis {fmt.date(view.period_end)}), "
        f"erstellt am {fmt.date(now.date())}",
        f"- Lizenz: {LICENCE_TEXT} – auf opendata.swiss «{LICENCE_TEXT_EN}» ({LICENCE_URI})",
        f"- Quelle und Erläuterungen: {base}{PUBLIC_PATH}",
        "- Format: CSV, UTF-8, Komma als Trennzeichen, Datum als JJJJ-MM-TT, Dezimalpunkt; leere Zelle: kein Wert.",
        "  In Excel: Daten > Aus Text/CSV, Dateiursprung UTF-8.",
        "",
        "## Wie die Zahlen entstehen",
        "",
        METHOD,
        "",
        "Nicht veröffentlicht werden Begründungen, Risiken, nächste Schritte, Kommentare, Budgets, Personen "
        "und interne Massnahmen (ausser als Teil der Summen).",
        "",
    ]
    for table in TABLES:
        key = ", ".join(table.key)
        lines += [f"## {table.name}.csv: {table.title}", "", table.description, f"Schlüssel: {key}.", ""]
        lines += ["| Spalte | Bedeutung | Typ | Beschreibung |", "| --- | --- | --- | --- |"]
        for col in table.columns:
            extra = f" Einheit: {col.unit}." if col.unit else ""
            extra += f" Werte: {', '.join(col.enum)}." if col.enum else ""
            kind = TYPE_WORDS[col.type]
            lines.append(f"| {col.name} | {col.title} | {kind} | {col.description}{extra} |")
        lines.append("")
    return "\n".join(lines)


@dataclass(frozen=True)
class _Common:
    """What catalogue, dataset and every distribution state alike."""

    publisher: BNode
    contact: BNode
    licence: URIRef
    issued: Literal
    modified: Literal


def dcat_graph(view: PublicView, base: str, now: dt.datetime) -> Graph:
    """DCAT-AP CH: the catalogue, the dataset, a distribution per file."""
    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD), ("skos", SKOS)):
        g.bind(prefix, ns)
    home = URIRef(f"{base}{PUBLIC_PATH}")
    catalog = URIRef(f"{base}{DATA_PATH}/katalog")
    dataset = URIRef(f"{base}{DATA_PATH}")
    common = _common(g, view, now)
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, Literal(f"Offene Daten: {view.strategy_name}", lang="de")))
    g.add((catalog, DCTERMS.description, Literal(_description(view), lang="de")))
    g.add((catalog, FOAF.homepage, home))
    g.add((catalog, DCAT.dataset, dataset))
    _state_common(g, catalog, common, contact=False)
    _dataset(g, view, dataset, home, common)
    csv_type = URIRef("http://publications.europa.eu/resource/authority/file-type/CSV")
    csv_media = URIRef("http://www.iana.org/assignments/media-types/text/csv")
    for node in (csv_type, csv_media):
        g.add((node, RDF.type, DCTERMS.MediaTypeOrExtent))
    for table in TABLES:
        url = URIRef(f"{base}{DATA_PATH}/{table.name}.csv")
        g.add((url, RDF.type, DCAT.Distribution))
        g.add((url, DCTERMS.identifier, Literal(table.name)))
        g.add((url, DCTERMS.title, Literal(table.title, lang="de")))
        g.add((url, DCTERMS.description, Literal(table.description, lang="de")))
        g.add((url, DCTERMS.language, Literal("de")))
        g.add((url, DCAT.accessURL, url))
        g.add((url, DCAT.downloadURL, url))
        g.add((url, DCAT.mediaType, csv_media))
        g.add((url, DCTERMS.format, csv_type))
        _state_common(g, url, common)
        g.add((dataset, DCAT.distribution, url))
    return g


def _common(g: Graph, view: PublicView, now: dt.datetime) -> _Common:
    publisher = BNode()
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, FOAF.name, Literal(view.publisher.name or view.strategy_name, lang="de")))
    contact = BNode()
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, RDF.type, VCARD.Kind))
    g.add((contact, VCARD.fn, Literal(view.publisher.contact or view.publisher.name or view.strategy_name)))
    if view.publisher.email:
        g.add((contact, VCARD.hasEmail, URIRef(f"mailto:{view.publisher.email}")))
    licence = URIRef(LICENCE_URI)
    g.add((licence, RDF.type, DCTERMS.LicenseDocument))
    g.add((licence, RDFS.label, Literal(LICENCE_TEXT, lang="de")))
    g.add((licence, RDFS.label, Literal(LICENCE_TEXT_EN, lang="en")))
    # Issued: the start of the first published period, the same in every release.
    first_start = view.period_bounds[view.periods[0]][0]
    issued = Literal(dt.datetime.combine(first_start, dt.time()), datatype=XSD.dateTime)
    return _Common(publisher, contact, licence, issued, Literal(now.replace(microsecond=0), datatype=XSD.dateTime))


def _state_common(g: Graph, node: URIRef, common: _Common, contact: bool = True) -> None:
    g.add((node, DCTERMS.publisher, common.publisher))
    g.add((node, DCTERMS.issued, common.issued))
    g.add((node, DCTERMS.modified, common.modified))
    g.add((node, DCTERMS.license, common.licence))
    if contact:
        g.add((node, DCAT.contactPoint, common.contact))


def _dataset(g: Graph, view: PublicView, dataset: URIRef, home: URIRef, common: _Common) -> None:
    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add((dataset, DCTERMS.identifier, Literal(f"{_dataset_slug(view)}@{view.publisher.slug or 'unbekannt'}")))
    g.add((dataset, DCTERMS.title, Literal(_title(view), lang="de")))
    g.add((dataset, DCTERMS.description, Literal(_description(view), lang="de")))
    # A dataset takes no licence in DCAT-AP CH (its distributions do).
    for predicate, value in (
        (DCTERMS.publisher, common.publisher),
        (DCAT.contactPoint, common.contact),
        (DCTERMS.issued, common.issued),
        (DCTERMS.modified, common.modified),
    ):
        g.add((dataset, predicate, value))
    g.add((dataset, DCTERMS.language, Literal("de")))
    theme = URIRef(THEME_URI)
    g.add((theme, RDF.type, SKOS.Concept))
    g.add((dataset, DCAT.theme, theme))
    for word in _keywords(view):
        g.add((dataset, DCAT.keyword, Literal(word, lang="de")))
    g.add((home, RDF.type, FOAF.Document))
    g.add((dataset, DCAT.landingPage, home))
    frequency = URIRef(HALF_YEARLY)
    g.add((frequency, RDF.type, DCTERMS.Frequency))
    g.add((dataset, DCTERMS.accrualPeriodicity, frequency))
    temporal = BNode()
    g.add((temporal, RDF.type, DCTERMS.PeriodOfTime))
    g.add((temporal, DCAT.startDate, Literal(view.period_bounds[view.periods[0]][0], datatype=XSD.date)))
    g.add((temporal, DCAT.endDate, Literal(view.period_end, datatype=XSD.date)))
    g.add((dataset, DCTERMS.temporal, temporal))


def release_files(view: PublicView, base: str, now: dt.datetime | None = None) -> dict[str, bytes]:
    """Every file of the release by name."""
    now = now or dt.datetime.now()
    files = {f"{name}.csv": csv_bytes(frame) for name, frame in table_frames(view, base).items()}
    files["datapackage.json"] = json.dumps(datapackage(view, base, now), ensure_ascii=False, indent=2).encode()
    files["README.md"] = readme(view, base, now).encode("utf-8")
    graph = dcat_graph(view, base, now)
    files["dcat.ttl"] = graph.serialize(format="turtle").encode("utf-8")
    files["dcat.rdf"] = graph.serialize(format="pretty-xml").encode("utf-8")
    return files


def write_release(files: dict[str, bytes], directory: str | Path) -> list[Path]:
    """Write the files into the directory (made if missing); German message when it cannot be."""
    target = Path(directory)
    try:
        target.mkdir(parents=True, exist_ok=True)
        written = []
        for name, content in files.items():
            path = target / name
            path.write_bytes(content)
            written.append(path)
    except OSError as exc:
        raise TrackingError(f"Ordner «{target}» kann nicht beschrieben werden: {exc.strerror or exc}.") from exc
    return written


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _title(view: PublicView) -> str:
    return f"Monitoring: {view.strategy_name}"


def _description(view: PublicView) -> str:
    who = f" ({view.publisher.name})" if view.publisher.name else ""
    return (
        f"Stand der Umsetzung der {view.strategy_name}{who}: Kernziele, Aktionsfelder, Ziele, der Fortschritt "
        "je Berichtsperiode und die öffentlichen Massnahmen mit Status, Fortschritt und Ampel."
    )


def _dataset_slug(view: PublicView) -> str:
    return f"{view.strategy_code.lower()}-monitoring"


def _keywords(view: PublicView) -> list[str]:
    return ["Digitalisierung", "Strategie", "Monitoring", "Massnahmen", "Verwaltung", "E-Government"]
