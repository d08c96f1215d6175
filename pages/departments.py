"""Departemente: one department's measures for its head: progress, lights, what is late, reports."""

import streamlit as st

from pages import data, sidebar, widgets
from pages.text import md_text
from tracking import charts
from tracking import formatting as fmt
from tracking import rollup as ru
from tracking.scope import Scope
from tracking.vocab import LIGHTS, NO_REPORT, RED, light_text


def departments() -> None:
    code = sidebar.chosen(sidebar.DEPARTMENT_KEY)
    period = sidebar.selected_period()
    snap = data.structure()
    name = snap.departments.set_index("department_code").loc[code, "department_name"]
    st.title("Departemente")
    st.header(f"{code} – {md_text(name)}", divider="gray")
    if period is None:
        st.info("Noch keine Berichtsperioden erfasst.")
        return
    # Only this department's measures (its figures are those of the whole); the comparison in SQL.
    r = data.period_rollup(period, Scope("department", code))
    own = ru.department_summary(r.measures, snap.departments[snap.departments["department_code"] == code]).iloc[0]
    measures = r.measures
    if measures.empty:
        st.info(f"Das {md_text(name)} führt in {period.name} keine Massnahmen.")
        return

    # The Sammelampel gets the widest tile: «○ keine Meldung» must fit beside the numbers.
    cols = st.columns([1, 1.2, 1.6, 1.2, 1])
    cols[0].metric("Massnahmen", fmt.number(int(own["measures"])))
    cols[1].metric(
        "Fortschritt", fmt.percent(own["progress"]), help="Gewichtetes Mittel; sistierte und abgebrochene zählen nicht."
    )
    cols[2].metric(
        "Sammelampel",
        light_text(own["summary_light"]),
        help=own["summary_note"] or "Gewichtete Mehrheit, bei Gleichstand die schlechtere Farbe.",
    )
    cols[3].metric(
        "Hinter Plan / überfällig", f"{fmt.number(int(own['behind_plan']))} / {fmt.number(int(own['overdue']))}"
    )
    cols[4].metric("Rücklauf", fmt.share(own["completeness"]))
    if own["summary_note"]:
        st.caption(f"Sammelampel: {own['summary_note']}")

    left, right = st.columns(2)
    with left:
        st.markdown("**Ampeln nach Aktionsfeld**")
        dist = ru.light_distribution(measures, "field_code")
        st.plotly_chart(charts.light_distribution_bars(dist, "field_code"), width="stretch", key="dep_lights")
    with right:
        st.markdown("**Alle Departemente im Vergleich**")
        every = (
            data.department_lights_of(period)
            .set_index("department_code")
            .reindex(snap.departments["department_code"])
            .reset_index()
        )
        # Departments without a measure owing a report: empty bars, no Sammelampel.
        counts = [*LIGHTS, NO_REPORT, "total"]
        every[counts] = every[counts].fillna(0).astype(int)
        st.plotly_chart(charts.light_distribution_bars(every, "department_code"), width="stretch", key="dep_all")

    attention = measures[measures["behind_plan"] | measures["overdue"] | (measures["light"] == RED)]
    st.subheader(f"Was Aufmerksamkeit braucht ({fmt.number(len(attention))})")
    if attention.empty:
        st.success("Keine Massnahme ist rot, hinter Plan oder überfällig.", icon=":material/check_circle:")
    else:
        widgets.show_measures(attention, key="dep_attention", file_name=f"Aufmerksamkeit_{code}_{period.name}.xlsx")

    missing = measures[measures["owes_report"] & ~measures["has_report"]]
    st.subheader(f"Fehlende Meldungen ({fmt.number(len(missing))})")
    if missing.empty:
        st.caption("Alle Meldungen dieser Periode sind eingegangen.")
    else:
        st.dataframe(
            missing[["code", "title", "responsible_unit"]].rename(
                columns={"code": "Code", "title": "Titel", "responsible_unit": "Verantwortliche Stelle"}
            ),
            hide_index=True,
            width="stretch",
        )
        st.page_link(
            "pages/status_report.py", label="Meldungen hochladen: Seite «Statusbericht»", icon=":material/upload_file:"
        )

    st.subheader("Alle Massnahmen des Departements")
    widgets.show_measures(measures, key="dep_all_measures", file_name=f"Massnahmen_{code}_{period.name}.xlsx")


departments()
