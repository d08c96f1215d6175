"""Sitzungsbericht: the council's summary of a period, its exports and a presentation view."""

import time
from collections.abc import Callable
from functools import partial

import pandas as pd
import streamlit as st

from pages import data, sidebar, widgets
from pages.text import light_md, md_text
from tracking import charts
from tracking import formatting as fmt
from tracking.briefing import FIELDS_TITLE, MORE_POINTS_WHERE, briefing, fields_table
from tracking.council import ATTENTION_TITLE, NO_DECISION, load_council_content
from tracking.council_content import CouncilContent, FieldBlock
from tracking.matrix_table import matrix_html
from tracking.vocab import LIGHTS, NO_REPORT, light_text

SECTION_KEY = "praesentation_abschnitt"
PRESENTING_KEY = "praesentation_an"
PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Presentation: the app's header, sidebar and banners out of the way, type for a projector.
PRESENTATION_CSS = """
<style>
header[data-testid="stHeader"], section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
.st-key-banners { display: none !important; }
[data-testid="stMainBlockContainer"] { padding-top: 1.5rem; max-width: 100%; }
[data-testid="stMainBlockContainer"] p, [data-testid="stMainBlockContainer"] li { font-size: 1.45rem; }
[data-testid="stMainBlockContainer"] h3 { font-size: 2.4rem; }
[data-testid="stMetricLabel"] p { font-size: 1.2rem !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 3.6rem !important; line-height: 1.15; }
[data-testid="stMetricDelta"], [data-testid="stMetricDelta"] * { font-size: 1.3rem !important; }
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


def briefing_section(c: CouncilContent) -> None:
    """Page one of the report: the same briefing as the first slide and the PDF's first page."""
    b = briefing(c)
    st.subheader(f"Auf einen Blick: {b.period}")
    cols = st.columns(len(b.figures))
    for col, f in zip(cols, b.figures):
        moved = f.change if f.change and f.change[0] in "+-" else None
        col.metric(
            f.label,
            f.value,
            moved,
            delta_color="normal" if f.rising_is_good else "inverse",
            help=md_text(f.note) if f.note else None,
        )
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**Das Wichtigste**")
        st.markdown("\n".join(f"- {md_text(sentence)}" for sentence in b.sentences))
    with right:
        st.markdown("**Zu entscheiden**")
        if not b.points:
            st.markdown(NO_DECISION)
        for point in b.points:
            st.markdown(
                f"- {light_md(point.light)} **{md_text(point.name)}**  \n"
                f"{md_text(point.why)}: {md_text(point.reason)}  \n*{md_text(point.question)}*"
            )
        if b.more_points:
            st.caption(f"Weitere {fmt.number(b.more_points)}: {MORE_POINTS_WHERE} weiter unten.")
    with st.expander(f"Alle Veränderungen seit {c.previous_period or 'der letzten Periode'}"):
        st.markdown("\n".join(f"- {md_text(sentence)}" for sentence in c.summary))


ATTENTION_ROWS_SHOWN = 25  # rows the attention table shows without scrolling
ATTENTION_ROW_PX = 66  # three lines of text


def attention_section(c: CouncilContent) -> None:
    st.subheader(ATTENTION_TITLE)
    if not c.attention:
        st.success("Keine Massnahme ist rot, hinter Plan oder überfällig.", icon=":material/check_circle:")
    else:
        table = pd.DataFrame(
            {
                "Code": [a.code for a in c.attention],
                "Titel": [a.title for a in c.attention],
                "Dep.": [a.department for a in c.attention],
                "Ampel": [a.light_label for a in c.attention],
                "Ist": [fmt.percent(a.progress, missing="–") for a in c.attention],
                "Soll": [fmt.percent(a.expected, missing="–") for a in c.attention],
                "Geplantes Ende": [fmt.date(a.planned_end) for a in c.attention],
                "Warum": [a.why for a in c.attention],
                "Begründung": [a.reason for a in c.attention],
            }
        )
        shown = min(len(table), ATTENTION_ROWS_SHOWN)
        st.dataframe(
            widgets.with_coloured_lights(table),
            hide_index=True,
            width="stretch",
            # Rows three lines high: the grid wraps a long reason instead of cutting it; up to
            # ATTENTION_ROWS_SHOWN rows without scrolling inside the box.
            row_height=ATTENTION_ROW_PX,
            height=ATTENTION_ROW_PX * shown + 38,  # the header is one line high
            # Pixel widths that fit the page at 1440 px: the reasons get the most room.
            column_config={
                "Code": st.column_config.TextColumn(width=80),
                "Titel": st.column_config.TextColumn(width=170),
                "Dep.": st.column_config.TextColumn(width=60, help="Departement"),
                "Ist": st.column_config.TextColumn(width=50, help="gemeldeter Fortschritt"),
                "Soll": st.column_config.TextColumn(width=55, help="erwarteter Fortschritt am Stichtag"),
                "Geplantes Ende": st.column_config.TextColumn("Ende", width=90),
                "Warum": st.column_config.TextColumn(width=120),
                "Begründung": st.column_config.TextColumn(width=260),
            },
        )
    if c.decisions:
        st.markdown("**Vorschläge für Entscheide**")
        for d in c.decisions:
            st.markdown(f"- **{md_text(d.topic)}:** {md_text(d.question)}")


def matrix_section(c: CouncilContent) -> None:
    st.subheader("Aktionsfelder × Kernziele")
    matrix = pd.DataFrame([cell.__dict__ for cell in c.matrix])
    matrix["progress"] = matrix["progress"].astype(float)
    st.html(matrix_html(matrix, "aktionsfelder", {sidebar.PERIOD_KEY: c.period}))
    cols = st.columns(len(c.core_goals))
    for col, (code, name) in zip(cols, c.core_goals):
        col.metric(code, fmt.percent(c.core_progress.get(code)), help=md_text(name))


def fields_overview_section(c: CouncilContent) -> None:
    st.subheader(FIELDS_TITLE)
    note, header, rows, _ = fields_table(c)
    table = pd.DataFrame(rows, columns=header)
    st.dataframe(
        widgets.with_coloured_lights(table, column="Sammelampel"),
        hide_index=True,
        width="stretch",
        height=widgets.table_height(len(table)),
    )
    st.caption(note)


def field_detail(c: CouncilContent, block: FieldBlock) -> None:
    """One field: its figures, why its Sammelampel, what changed, its trend."""
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
        fig.update_layout(height=260, showlegend=False)
        st.plotly_chart(fig, width="stretch", key=f"council_trend_{block.code}")


def fields_section(c: CouncilContent) -> None:
    """Every field in detail, one tab each: the page stays short, the overview table is above."""
    st.subheader("Die Aktionsfelder im Einzelnen")
    if not c.fields:
        st.info("Keine Aktionsfelder erfasst.")
        return
    for tab, block in zip(st.tabs([b.code for b in c.fields]), c.fields):
        with tab:
            field_detail(c, block)


SECTIONS = [
    ("Auf einen Blick", briefing_section),
    (ATTENTION_TITLE, attention_section),
    (FIELDS_TITLE, fields_overview_section),
    ("Aktionsfelder × Kernziele", matrix_section),
    ("Die Aktionsfelder im Einzelnen", fields_section),
]


def screens(c: CouncilContent) -> list[tuple[str, Callable[[], None]]]:
    """The presentation: the sections, and each field on a screen of its own instead of tabs."""
    out = [(title, partial(section, c)) for title, section in SECTIONS[:-1]]
    return out + [(f"{b.code} {b.name}", partial(field_detail, c, b)) for b in c.fields]


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


def _present(on: bool) -> None:
    st.session_state[PRESENTING_KEY] = on
    st.session_state[SECTION_KEY] = 0


def _step(by: int) -> None:
    st.session_state[SECTION_KEY] = st.session_state.get(SECTION_KEY, 0) + by


def presentation(c: CouncilContent) -> None:
    """One screen at a time, large type, the app's chrome hidden; arrow keys or buttons move on."""
    st.html(PRESENTATION_CSS)
    shown = screens(c)
    index = max(0, min(st.session_state.get(SECTION_KEY, 0), len(shown) - 1))
    back, where, forward, leave = st.columns([1, 4, 1, 1], vertical_alignment="center")
    back.button(
        "Zurück",
        icon=":material/arrow_back:",
        disabled=index == 0,
        width="stretch",
        shortcut="Left",
        on_click=_step,
        args=(-1,),
    )
    where.markdown(f"**{index + 1} / {len(shown)}** · {md_text(c.period)} · {md_text(shown[index][0])}")
    forward.button(
        "Weiter",
        icon=":material/arrow_forward:",
        disabled=index == len(shown) - 1,
        width="stretch",
        shortcut="Right",
        on_click=_step,
        args=(1,),
    )
    leave.button("Beenden", icon=":material/close:", width="stretch", shortcut="Esc", on_click=_present, args=(False,))
    shown[index][1]()


def council_page() -> None:
    period = sidebar.selected_period()
    if period is None:
        st.title("Sitzungsbericht")
        st.info("Noch keine Berichtsperioden erfasst.")
        return
    c = _content(data.database_url(), period.name, period.reference_day, data.data_version())
    if st.session_state.get(PRESENTING_KEY):
        presentation(c)
        return
    st.title("Sitzungsbericht")
    st.button(
        "Präsentation starten",
        icon=":material/slideshow:",
        help="Ein Abschnitt pro Bild, grosse Schrift; weiter mit den Pfeiltasten → und ←, Ende mit Esc.",
        on_click=_present,
        args=(True,),
    )
    st.caption(
        f"Bericht an den Regierungsrat · Berichtsperiode **{c.period}**"
        + (f" im Vergleich mit {c.previous_period}" if c.previous_period else "")
        + f" · Stand {fmt.date(c.as_of)}"
    )
    # Page one first, as in the files; then the files, then the chapters.
    briefing_section(c)
    st.divider()
    exports(c)
    for _, section in SECTIONS[1:]:
        st.divider()
        section(c)


council_page()
