"""Übersicht: where the strategy stands in the chosen period."""

import streamlit as st

from pages import data, sidebar
from pages.text import md_text
from tracking import formatting as fmt
from tracking.bar_tables import light_bars_html, progress_bars_html
from tracking.matrix_table import matrix_html
from tracking.trend_svg import trend_svg


def headline_section(h: dict, prev: dict | None) -> None:
    """The six key figures, each with its change since the previous period."""

    def delta(key: str, scale: float = 1.0, unit: str = "") -> str | None:
        return None if prev is None else fmt.change(h[key], prev[key], scale, unit)

    cols = st.columns(6)
    cols[0].metric(
        "Massnahmen", fmt.number(h["measures"]), help="Aktive Massnahmen, die bis Periodenende begonnen haben."
    )
    cols[1].metric(
        "Gesamtfortschritt",
        fmt.percent(h["overall_progress"]),
        delta("overall_progress", unit=" Pp."),
        help="Mittel der Aktionsfelder; Felder ohne Daten zählen nicht.",
    )
    cols[2].metric(
        "Auf Kurs (● grün)",
        fmt.share(h["on_track_share"]),
        delta("on_track_share", 100, " Pp."),
        help="Anteil grüner Ampeln unter den eingegangenen Meldungen.",
    )
    cols[3].metric(
        "■ Rot",
        fmt.number(h["red"]),
        delta("red"),
        delta_color="inverse",
        help="Massnahmen mit roter Ampel (gefährdet).",
    )
    cols[4].metric(
        "Überfällig",
        fmt.number(h["overdue"]),
        delta("overdue"),
        delta_color="inverse",
        help="Geplantes Ende vorbei und nicht abgeschlossen.",
    )
    cols[5].metric(
        "Rücklauf", fmt.share(h["completeness"]), help=f"{h['reported']} von {h['active']} Meldungen eingegangen."
    )


def no_reports_notice(period: str) -> None:
    st.info(
        f"Für {period} sind noch keine Statusberichte eingegangen. Die Koordinatorinnen und Koordinatoren "
        "laden sie auf der Seite «Statusbericht» hoch; bis dahin zeigen die Grafiken die abgeschlossenen "
        "Massnahmen und «keine Meldung».",
        icon=":material/info:",
    )
    st.page_link(
        "pages/status_report.py",
        label="Zum Statusbericht: Vorlage holen und hochladen",
        icon=":material/upload_file:",
    )


def charts_section(current, core_goals, trend, period: str) -> None:
    """The matrix, the fields' progress and lights, the trend, the core goals."""
    st.subheader("Aktionsfelder × Kernziele")
    st.html(matrix_html(current.matrix, "aktionsfelder", {sidebar.PERIOD_KEY: period}))
    with st.expander("Kernziele im Wortlaut"):
        for code, name in zip(core_goals["core_code"], core_goals["core_name"]):
            st.markdown(f"**{code}** – {md_text(name)}")

    left, right = st.columns(2)
    with left:
        st.subheader("Fortschritt pro Aktionsfeld")
        st.html(progress_bars_html(current.fields))
    with right:
        st.subheader("Ampeln pro Aktionsfeld")
        fields = current.fields
        names = dict(zip(fields["field_code"], fields["field_code"] + " " + fields["field_name"]))
        st.html(light_bars_html(current.lights_by_field, "field_code", names))

    st.subheader("Verlauf über die Perioden")
    st.html(trend_svg(trend))

    with st.expander("Kernziele: Fortschritt"):
        table = current.core_goals.assign(Fortschritt=current.core_goals["progress"].map(fmt.percent))
        # Four rows: a plain table (an interactive grid costs the page 0.2 s in the browser).
        st.table(
            table[["core_code", "core_name", "Fortschritt", "n_goals"]]
            .rename(columns={"core_code": "Kernziel", "core_name": "Wortlaut", "n_goals": "Ziele mit Beitrag"})
            .set_index("Kernziel")
        )


def overview() -> None:
    st.title("Übersicht")
    period = sidebar.selected_period()
    if period is None:
        st.info(
            "Noch keine Berichtsperioden erfasst. Eine Strategie-Definition mit Perioden laden: "
            "`python -m tracking load-strategy DATEI.yaml`."
        )
        return
    structure = data.structure()
    current = data.figures(period)
    previous_name = structure.previous_period(period.name)
    prev = data.figures(sidebar.period_named(previous_name)).headline if previous_name else None
    st.caption(f"Berichtsperiode **{period.name}**" + (f" · Vergleich mit {previous_name}" if previous_name else ""))
    headline_section(current.headline, prev)
    if current.headline["reported"] == 0:
        no_reports_notice(period.name)
    charts_section(current, structure.core_goals, data.trend(period.name), period.name)


overview()
