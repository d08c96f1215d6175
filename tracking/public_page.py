"""The public page (/oeffentlich) as one HTML document: plain German for citizens, no sign-in.

Built from a PublicView only (tracking/public.py decides what is public) and
served by server.py without Streamlit: it loads at once, works without
JavaScript and on a phone, and links to nothing internal. The bars and the
trend are the Übersicht's (tracking/bar_tables.py, tracking/trend_svg.py).
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

import pandas as pd

from tracking import formatting as fmt
from tracking.bar_tables import light_bars_html, progress_bars_html
from tracking.opendata import DATA_PATH, LICENCE_TEXT, METHOD, PUBLIC_PATH, TABLES
from tracking.palette import LIGHT_COLOURS
from tracking.public import PublicView
from tracking.trend_svg import trend_svg
from tracking.vocab import LIGHT_ICONS, LIGHT_MEANING, LIGHTS, NO_REPORT

TITLE = "Digitaler Wandel: Stand der Umsetzung"
LIGHT_KEYS = {word: key for key, word in LIGHTS.items()}

STYLE = """
<style>
:root { --text: #1b1b1b; --muted: #4a4a4a; --line: #d9dee5; --brand: #1f4e79; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 "Source Sans Pro", Arial, sans-serif; color: var(--text); background: #fff; }
a { color: var(--brand); }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 0.5rem; top: 0.5rem; background: #fff; padding: 0.3rem 0.6rem; z-index: 2; }
header.site { background: var(--brand); color: #fff; padding: 0.8rem 1rem; }
header.site p { max-width: 68rem; margin: 0 auto; font-weight: 600; }
main { max-width: 70rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 0.5rem 0; }
h2 { font-size: 1.4rem; margin: 2rem 0 0.6rem; border-bottom: 2px solid var(--line); padding-bottom: 0.2rem; }
h3 { font-size: 1.15rem; margin: 1.4rem 0 0.3rem; }
.lead { font-size: 1.1rem; max-width: 48rem; }
.periods { font-size: 0.95rem; }
.periods a, .periods strong { margin-right: 0.6rem; white-space: nowrap; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(9.5rem, 1fr)); gap: 0.8rem; margin: 1rem 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 0.7rem 0.9rem; }
.card .value { font-size: 1.8rem; font-weight: 700; display: block; }
.card .label { color: var(--muted); font-size: 0.95rem; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 1.5rem; }
.note { color: var(--muted); font-size: 0.95rem; }
table.measures { width: 100%; border-collapse: collapse; font-size: 0.95rem; }
table.measures caption { text-align: left; color: var(--muted); font-size: 0.9rem; padding-bottom: 0.3rem; }
table.measures th, table.measures td { text-align: left; vertical-align: top; padding: 0.4rem 0.5rem;
  border-bottom: 1px solid var(--line); }
table.measures thead th { border-bottom: 2px solid var(--line); }
table.measures .num { text-align: right; white-space: nowrap; }
.light { white-space: nowrap; }
.cell-label { display: none; }
.light i { display: inline-block; width: 0.8rem; height: 0.8rem; border-radius: 2px; margin-right: 0.3rem;
  vertical-align: -1px; border: 1px solid #0003; }
.goals { margin: 0.3rem 0 0.8rem 1.2rem; padding: 0; }
.downloads li { margin: 0.2rem 0; }
footer.site { border-top: 1px solid var(--line); margin-top: 2.5rem; padding: 1rem; color: var(--muted);
  font-size: 0.9rem; }
footer.site p { max-width: 68rem; margin: 0.2rem auto; }
@media (max-width: 700px) {
  h1 { font-size: 1.5rem; }
  .two { grid-template-columns: 1fr; }
  table.measures thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.measures, table.measures tbody, table.measures tr, table.measures td, table.measures th { display: block; }
  table.measures tr { border: 1px solid var(--line); border-radius: 6px; margin-bottom: 0.6rem; padding: 0.3rem 0; }
  table.measures td, table.measures th { border: 0; padding: 0.15rem 0.7rem; text-align: left; }
  table.measures .cell-label { display: inline; color: var(--muted); }
  table.measures .num { text-align: left; }
  table.measures caption { display: block; }
}
</style>
"""


def public_page(view: PublicView | None) -> str:
    """The whole document; without a view (no period closed yet) a short notice instead of figures."""
    if view is None:
        body = (
            f"<h1>{escape(TITLE)}</h1>"
            '<p class="lead">Die ersten Zahlen erscheinen hier, sobald die erste Berichtsperiode abgeschlossen ist.</p>'
        )
        return _document(body, None)
    sections = [
        _intro(view),
        _glance(view),
        _core_goals(view),
        _fields(view),
        _trend(view),
        _measures(view),
        _method(view),
        _downloads(view),
    ]
    return _document("".join(sections), view)


def not_found_page(message: str, title: str = "Nicht gefunden") -> str:
    body = (
        f"<h1>{escape(title)}</h1><p class='lead'>{escape(message)}</p>"
        f'<p><a href="{PUBLIC_PATH}">Zur Übersicht: Stand der Umsetzung</a></p>'
    )
    return _document(body, None)


def _document(body: str, view: PublicView | None) -> str:
    publisher = view.publisher.name if view and view.publisher.name else ""
    strategy = view.strategy_name if view else ""
    head = " · ".join(x for x in (publisher, "Strategie «Digitaler Wandel»") if x)
    footer = ""
    if view is not None:
        contact = view.publisher.contact or publisher
        email = (
            f' · <a href="mailto:{escape(view.publisher.email)}">{escape(view.publisher.email)}</a>'
            if view.publisher.email
            else ""
        )
        footer = (
            f"<p>{escape(strategy)}{' · ' + escape(view.source) if view.source else ''}</p>"
            f"<p>Herausgeber: {escape(publisher or '–')} · Kontakt: {escape(contact or '–')}{email}</p>"
            f"<p>Lizenz der Daten: {escape(LICENCE_TEXT)}</p>"
        )
    return (
        '<!DOCTYPE html><html lang="de-CH"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(TITLE)}</title>{STYLE}</head><body>"
        '<a class="skip" href="#inhalt">Zum Inhalt</a>'
        f'<header class="site"><p>{escape(head)}</p></header>'
        f'<main id="inhalt">{body}</main>'
        f'<footer class="site">{footer}</footer></body></html>'
    )


def _intro(view: PublicView) -> str:
    publisher = view.publisher.name or "Die Verwaltung"
    updated = f", letzte Meldung am {fmt.date(view.updated)}" if view.updated else ""
    periods = " ".join(
        f"<strong aria-current='page'>{escape(p)}</strong>"
        if p == view.period
        else f'<a href="{PUBLIC_PATH}?periode={quote(p)}">{escape(p)}</a>'
        for p in reversed(view.periods)
    )
    examples = (
        '<p class="note">Die Ziele je Aktionsfeld sind vorläufige Beispieltexte, bis ihr Wortlaut geladen ist.</p>'
        if view.goals_are_examples
        else ""
    )
    principles = " · ".join(escape(p.name) for p in view.principles.itertuples())
    guided = f"<p>Grundsätze der Umsetzung: {principles}.</p>" if principles else ""
    return (
        f"<h1>{escape(TITLE)}</h1>"
        f'<p class="lead">{escape(publisher)} setzt die {escape(view.strategy_name)} mit Massnahmen in '
        f"{len(view.fields)} Aktionsfeldern um. Diese Seite zeigt, wie weit die Umsetzung ist: "
        f"Stand Berichtsperiode {escape(view.period)} ({fmt.date(view.period_start)} bis "
        f"{fmt.date(view.period_end)}){updated}.</p>{guided}{examples}"
        f'<p class="periods">Perioden: {periods}</p>'
    )


def _light_word(key: str) -> str:
    if key in LIGHTS:
        return f"{LIGHT_ICONS[key]} {LIGHTS[key]} ({LIGHT_MEANING[key]})"
    return f"{LIGHT_ICONS['keine']} {NO_REPORT}"


def _glance(view: PublicView) -> str:
    h = view.headline
    cards = [
        (fmt.percent(h["overall_progress"]), "Gesamtfortschritt (Mittel der Aktionsfelder)"),
        (fmt.number(h["measures"]), f"Massnahmen, davon {fmt.number(h['public_measures'])} hier einzeln beschrieben"),
        *((fmt.number(h[key]), _light_word(key)) for key in LIGHTS),
        (fmt.number(h["keine"]), _light_word("keine")),
    ]
    items = "".join(
        f'<div class="card"><span class="value">{escape(v)}</span><span class="label">{escape(label)}</span></div>'
        for v, label in cards
    )
    return f'<h2 id="ueberblick">Auf einen Blick</h2><div class="cards">{items}</div>'


def _core_goals(view: PublicView) -> str:
    frame = view.core_goals.rename(columns={"code": "field_code", "name": "field_name"})
    return (
        '<h2 id="kernziele">Kernziele</h2>'
        '<p class="note">Jedes Ziel trägt unterschiedlich stark zu den Kernzielen bei; danach ist es gewichtet.</p>'
        + progress_bars_html(frame, heading="Kernziel")
    )


def _fields(view: PublicView) -> str:
    fields = view.fields
    names = dict(zip(fields["code"], fields["code"] + " " + fields["name"]))
    lights = fields.rename(columns={"code": "field_code"})
    progress = fields.rename(columns={"code": "field_code", "name": "field_name"})
    return (
        '<h2 id="aktionsfelder">Aktionsfelder</h2><div class="two">'
        f"<div><h3>Fortschritt</h3>{progress_bars_html(progress)}</div>"
        f"<div><h3>Ampeln der Massnahmen</h3>{light_bars_html(lights, 'field_code', names)}</div></div>"
    )


def _trend(view: PublicView) -> str:
    trend = view.progress[view.progress["level"] != "Kernziel"].rename(columns={"code": "field_code"})
    if trend["period"].nunique() < 2:
        return ""
    return f'<h2 id="verlauf">Verlauf</h2>{trend_svg(trend[["period", "field_code", "progress"]])}'


def _measures(view: PublicView) -> str:
    parts = [
        '<h2 id="massnahmen">Massnahmen</h2>'
        '<p class="note">Einzeln beschrieben sind die Massnahmen, die der Kanton als öffentlich bezeichnet hat; '
        "alle anderen zählen in den Summen oben mit.</p>"
    ]
    goals = view.goals
    for f in view.fields.itertuples():
        rows = view.measures[view.measures["aktionsfeld"] == f.code]
        intro = f"<p>{escape(f.introduction)}</p>" if isinstance(f.introduction, str) else ""
        goal_items = "".join(
            f"<li>{escape(g.code)} {escape(g.name)} "
            f"<span class='note'>· Fortschritt {escape(fmt.percent(g.progress))}</span></li>"
            for g in goals[goals["field"] == f.code].itertuples()
        )
        internal = int(f.measures) - len(rows)
        said = "ist intern und zählt" if internal == 1 else "sind intern und zählen"
        rest = (
            f'<p class="note">{escape(fmt.count(internal, "weitere Massnahme", "weitere Massnahmen"))} {said} '
            "nur in den Summen.</p>"
            if internal > 0
            else ""
        )
        parts.append(
            f'<h3 id="feld-{escape(f.code)}">{escape(f.code)} {escape(f.name)}</h3>{intro}'
            f'<p class="note">Ziele:</p><ul class="goals">{goal_items}</ul>'
            + (_measure_table(rows, f"Öffentliche Massnahmen in {f.code}") if len(rows) else "")
            + rest
        )
    return "".join(parts)


def _light_cell(word: str) -> str:
    key = LIGHT_KEYS.get(word)
    if key is None:
        return f'<span class="light">{LIGHT_ICONS["keine"]} {NO_REPORT}</span>'
    return (
        f'<span class="light"><i style="background:{LIGHT_COLOURS[key]}"></i>{LIGHT_ICONS[key]} {escape(word)}</span>'
    )


def _measure_table(rows: pd.DataFrame, caption: str) -> str:
    body = []
    for m in rows.itertuples():
        progress = "–" if pd.isna(m.fortschritt_prozent) else f"{int(m.fortschritt_prozent)} %"
        dates = f"{fmt.date(_day(m.beginn))} bis {fmt.date(_day(m.geplantes_ende))}"
        body.append(
            f'<tr id="massnahme-{escape(m.code)}"><th scope="row">{escape(m.code)} {escape(m.titel)}</th>'
            f'<td><span class="cell-label">Ziel: </span>{escape(m.ziel)}</td>'
            f'<td><span class="cell-label">Federführung: </span><abbr title="{escape(str(m.federfuehrung_name))}">'
            f"{escape(m.federfuehrung)}</abbr></td>"
            f'<td><span class="cell-label">Status: </span>{escape(m.status)}</td>'
            f'<td><span class="cell-label">Ampel: </span>{_light_cell(m.ampel)}</td>'
            f'<td class="num"><span class="cell-label">Fortschritt: </span>{progress}</td>'
            f'<td><span class="cell-label">Geplant: </span>{dates}</td>'
            f'<td><span class="cell-label">Letzte Meldung: </span>{fmt.date(_day(m.letzte_meldung))}</td></tr>'
        )
    heads = "".join(
        f'<th scope="col"{cls}>{h}</th>'
        for h, cls in (
            ("Massnahme", ""),
            ("Ziel", ""),
            ("Federführung", ""),
            ("Status", ""),
            ("Ampel", ""),
            ("Fortschritt", ' class="num"'),
            ("Geplant", ""),
            ("Letzte Meldung", ""),
        )
    )
    return (
        f'<table class="measures"><caption>{escape(caption)}</caption>'
        f"<thead><tr>{heads}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _day(value):
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _method(view: PublicView) -> str:
    review = " Die Departementsleitung prüft die Meldungen, bevor sie zählen." if view.sign_off else ""
    return (
        '<h2 id="methode">So entstehen die Zahlen</h2>'
        "<p>Die Dienststellen melden jedes Halbjahr für jede Massnahme Status, Fortschritt in Prozent und eine "
        f"Ampel: ● grün heisst auf Kurs, ▲ gelb Risiken oder leichte Verzögerung, ■ rot gefährdet.{review}</p>"
        f"<p>{escape(METHOD)}</p>"
    )


def _downloads(view: PublicView) -> str:
    files = "".join(f'<li><a href="{DATA_PATH}/{t.name}.csv">{escape(t.title)}</a> ({t.name}.csv)</li>' for t in TABLES)
    query = f"?periode={quote(view.period)}"
    return (
        '<h2 id="daten">Offene Daten</h2>'
        "<p>Alle Zahlen dieser Seite als offene Daten (CSV, UTF-8), mit Beschreibung jeder Spalte. "
        f"Lizenz: {escape(LICENCE_TEXT)}</p>"
        '<ul class="downloads">'
        f'<li><a href="{DATA_PATH}.zip{query}">Alle Dateien als ZIP (Periode {escape(view.period)})</a></li>'
        f"{files}"
        f'<li><a href="{DATA_PATH}/README.md">Beschreibung aller Spalten</a> (README.md)</li>'
        f'<li><a href="{DATA_PATH}/datapackage.json">Datenpaket</a> (datapackage.json, Frictionless)</li>'
        f'<li><a href="{DATA_PATH}/dcat.ttl">Metadaten DCAT-AP CH</a> (dcat.ttl; '
        f'<a href="{DATA_PATH}/dcat.rdf">RDF/XML</a>) für opendata.swiss</li>'
        "</ul>"
        '<p class="note">Die Einzeldateien zeigen die neueste veröffentlichte Periode.</p>'
    )
