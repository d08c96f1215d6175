"""Sitzungsbericht: the council's summary of a period, its exports and a presentation view."""

import time

import pandas as pd
import streamlit as st

from pages import data, sidebar, widgets
from pages.text import md_text
from tracking import charts
from tracking import formatting as fmt
from tracking.council import load_council_content
from tracking.council_content import CouncilContent
from tracking.vocab import LIGHTS, NO_REPORT, light_text

SECTION_KEY = "praesentation_abschnitt"
PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LARGE_TYPE = """
<style>
[data-testid="stMainBlockContainer"] p, [data-testid="stMainBlockContainer"] li { font-size: 1.5rem; }
[data-testid="stMainBlockContainer"] h2 { font-size: 2.6rem; }
[data-testid="stMetricValue"] { font-size: 3.2rem; }
</style>
"""


# One shared copy, not cache_data's pickled copy per page run: at 100'000
# measures the content holds as many rows, and every run would unpickle them
# (seconds and hundreds of MB). The pages only read it. The newest write id is
# part of the key, so a write (here or elsewhere) is never shown stale.
@st.cache_resource(ttl=300, max_entries=2, show_spinner="Sitzungsbericht wird zusammengestellt …")
def _content(url: str, period: str, as_of, write_id: int | None) -> CouncilContent:
    trend = data.trend(period)  # the overview's, often computed already (20 periods at country scale)
    with data.read() as session:
        return load_council_content(session, period, as_of=as_of, trend=trend)


def headline_section(c: CouncilContent) -> None:
    st.subheader("Wo stehen wir?")
    h, p = c.headline, c.previous_headline or {}

    def delta(key: str, scale: float = 1.0, unit: str = "") -> str | None:
        return fmt.change(h.get(key), p.get(key), scale, unit)

    cols = st.columns(5)
    cols[0].metric("Gesamtfortschritt", fmt.percent(h["overall_progress"]), delta("overall_progress", unit=" Pp."))
    cols[1].metric("Auf Kurs (● grün)", fmt.share(h["on_track_share"]), delta("on_track_share", 100, " Pp."))
    cols[2].metric("■ Rot", fmt.number(h["red"]), delta("red"), delta_color="inverse")
    cols[3].metric("Überfällig", fmt.number(h["overdue"]), delta("overdue"), delta_color="inverse")
    cols[4].metric("Rücklauf", fmt.share(h["completeness"]))
    st.markdown("**Was sich seit " + (c.previous_period or "der letzten Periode") + " verändert hat**")
    for sentence in c.summary:
        st.markdown(f"- {md_text(sentence)}")


def attention_section(c: CouncilContent) -> None:
    st.subheader("Was braucht Aufmerksamkeit?")
    if not c.attention:
        st.success("Keine Massnahme ist rot, hinter Plan oder überfällig.", icon=":material/check_circle:")
    else:
        table = pd.DataFrame(
            {
                "Code": [a.code for a in c.attention],
                "Titel": [a.title for a in c.attention],
                "Departement": [a.department for a in c.attention],
                "Ampel": [a.light_label for a in c.attention],
                "Fortschritt": [fmt.percent(a.progress, missing="–") for a in c.attention],
                "Soll": [fmt.percent(a.expected, missing="–") for a in c.attention],
                "Geplantes Ende": [fmt.date(a.planned_end) for a in c.attention],
                "Warum": [a.why for a in c.attention],
                "Begründung": [a.reason for a in c.attention],
            }
        )
        st.dataframe(widgets.with_coloured_lights(table), hide_index=True, width="stretch")
    if c.decisions:
        st.markdown("**Vorschläge für Entscheide**")
        for d in c.decisions:
            st.markdown(f"- **{md_text(d.topic)}:** {md_text(d.question)}")


def matrix_section(c: CouncilContent) -> None:
    st.subheader("Aktionsfelder × Kernziele")
    matrix = pd.DataFrame([cell.__dict__ for cell in c.matrix])
    matrix["progress"] = matrix["progress"].astype(float)
    st.plotly_chart(charts.field_core_heatmap(matrix), width="stretch", key="council_matrix")
    cols = st.columns(len(c.core_goals))
    for col, (code, name) in zip(cols, c.core_goals):
        col.metric(code, fmt.percent(c.core_progress.get(code)), help=md_text(name))


def fields_section(c: CouncilContent) -> None:
    st.subheader("Die Aktionsfelder")
    for block in c.fields:
        with st.container(border=True):
            left, right = st.columns([2, 3])
            with left:
                st.markdown(f"**{block.code} {md_text(block.name)}**")
                change = "" if block.change is None else f" ({block.change:+.0f} Pp.)"
                st.markdown(
                    f"Fortschritt **{fmt.percent(block.progress)}**{change} · Sammelampel "
                    f"{block.summary_light_label}  \n"
                    + " · ".join(f"{light_text(k)} {block.lights.get(k, 0)}" for k in LIGHTS)
                    + f" · {light_text(None)} {block.lights.get(NO_REPORT, 0)}"
                    + (f"  \n{block.summary_note}" if block.summary_note else "")
                )
                notes = []
                if block.turned_red:
                    notes.append("neu rot: " + "; ".join(md_text(m.name) for m in block.turned_red))
                if block.completed:
                    notes.append("abgeschlossen: " + "; ".join(md_text(m.name) for m in block.completed))
                if block.advanced_most:
                    notes.append(
                        "am meisten vorangekommen: "
                        + "; ".join(f"{md_text(a.name)} ({a.delta:+.0f} Pp.)" for a in block.advanced_most)
                    )
                st.caption("; ".join(notes) if notes else "Keine auffälligen Veränderungen.")
            with right:
                trend = pd.DataFrame([{"period": p, "field_code": block.code, "progress": v} for p, v in block.trend])
                fig = charts.progress_trend_lines(trend, highlight=block.code)
                fig.update_layout(height=220, showlegend=False)
                st.plotly_chart(fig, width="stretch", key=f"council_trend_{block.code}")


SECTIONS = [
    ("Wo stehen wir?", headline_section),
    ("Was braucht Aufmerksamkeit?", attention_section),
    ("Aktionsfelder × Kernziele", matrix_section),
    ("Die Aktionsfelder", fields_section),
]


EXPORTS_KEY = "sitzungsbericht_exporte"
WATCH_S = 5.0  # after a click, watch this long for a build to start


def _export_state() -> dict:
    """A plain dict of this browser tab: which files are being built, which failed and why.

    The buttons build their file only when clicked, outside the page's run
    (Streamlit ignores st.* calls there); the build writes into this dict and
    the page reads it.
    """
    return st.session_state.setdefault(EXPORTS_KEY, {"running": set(), "failed": {}, "watch_until": 0.0})


@st.fragment(run_every=1.0)
def _watch_exports(state: dict) -> None:
    """While a file is being built: check every second; once it is done, run the page again to show the result."""
    if not state["running"] and time.monotonic() > state["watch_until"]:
        st.rerun()
    st.caption("Die Datei wird erstellt …")


def exports(c: CouncilContent) -> None:
    # Imported here: kaleido, python-pptx and reportlab load only when the page offers the files.
    from tracking.council_export import failure_message, find_browser, to_pdf, to_pptx, to_xlsx

    st.markdown("**Export für die Sitzung**")
    cols = st.columns(3)
    base = f"Sitzungsbericht_{c.period}"
    # Charts need Chromium; say so here instead of handing out a broken file.
    no_browser = find_browser() is None
    if no_browser:
        st.error("PowerPoint und PDF brauchen Chromium für die Grafiken; es ist auf dem Server nicht installiert.")
    state = _export_state()

    def safe(build, what: str):
        def run():
            state["running"].add(what)
            try:
                return build(c)
            except Exception as exc:  # every failure must reach the page, in German
                state["failed"][what] = failure_message(what, exc)
                raise  # no broken file for download
            finally:
                state["running"].discard(what)

        return run

    def clicked(what: str) -> None:
        state["failed"].pop(what, None)
        state["watch_until"] = time.monotonic() + WATCH_S

    for col, (label, what, build, suffix, icon, mime, needs_browser) in zip(
        cols,
        [
            ("PowerPoint (.pptx)", "Die PowerPoint-Datei", to_pptx, "pptx", ":material/slideshow:", PPTX_MIME, True),
            ("PDF (A4)", "Das PDF", to_pdf, "pdf", ":material/picture_as_pdf:", "application/pdf", True),
            ("Excel (Tabellen)", "Die Excel-Datei", to_xlsx, "xlsx", ":material/table:", XLSX_MIME, False),
        ],
    ):
        col.download_button(
            label,
            data=safe(build, what),
            disabled=needs_browser and no_browser,
            file_name=f"{base}.{suffix}",
            icon=icon,
            mime=mime,
            on_click=clicked,
            args=(what,),
        )
    for message in state["failed"].values():
        st.error(md_text(message), icon=":material/error:")
    if state["running"] or time.monotonic() < state["watch_until"]:
        _watch_exports(state)
    st.caption("PowerPoint und PDF enthalten Grafiken; die Erstellung dauert einige Sekunden.")


def council_page() -> None:
    st.title("Sitzungsbericht")
    period = sidebar.selected_period()
    if period is None:
        st.info("Noch keine Berichtsperioden erfasst.")
        return
    c = _content(data.database_url(), period.name, period.reference_day, data.data_version())
    st.caption(
        f"Bericht an den Regierungsrat · Berichtsperiode **{c.period}**"
        + (f" im Vergleich mit {c.previous_period}" if c.previous_period else "")
        + f" · Stand {fmt.date(c.as_of)}"
    )
    presenting = st.toggle("Präsentationsmodus (ein Abschnitt pro Bild, grosse Schrift)", key="praesentation")
    if presenting:
        st.html(LARGE_TYPE)
        index = min(st.session_state.get(SECTION_KEY, 0), len(SECTIONS) - 1)
        back, where, forward = st.columns([1, 3, 1])
        if back.button("◀ Zurück", disabled=index == 0, width="stretch"):
            st.session_state[SECTION_KEY] = index - 1
            st.rerun()
        where.markdown(f"**{index + 1} / {len(SECTIONS)} · {SECTIONS[index][0]}**")
        if forward.button("Weiter ▶", disabled=index == len(SECTIONS) - 1, width="stretch"):
            st.session_state[SECTION_KEY] = index + 1
            st.rerun()
        SECTIONS[index][1](c)
        return
    exports(c)
    for _, section in SECTIONS:
        st.divider()
        section(c)


council_page()
