"""Aktionsfelder: one field's goals, measures, trends and indicators."""

import pandas as pd
import streamlit as st

from pages import data, sidebar, widgets
from pages.text import md_text
from tracking import charts
from tracking import formatting as fmt
from tracking import rollup as ru
from tracking.bar_tables import table_html
from tracking.scope import Scope
from tracking.vocab import TOTAL, light_text

PAUSED_HELP = "sistiert oder abgebrochen: gezählt, ziehen den Fortschritt nicht herunter"


def key_figures(progress: float, measures: pd.DataFrame, summary: str | None, note: str) -> None:
    # Fortschritt and Sammelampel get the widest tiles: «keine Daten» and «○ keine Meldung» must fit.
    cols = st.columns([1.3, 0.9, 1.6, 1, 1])
    cols[0].metric("Fortschritt", fmt.percent(progress))
    cols[1].metric("Massnahmen", fmt.number(len(measures)))
    cols[2].metric(
        "Sammelampel",
        light_text(summary),
        help="Gewichtete Mehrheit, bei Gleichstand die schlechtere Farbe.",
    )
    cols[3].metric("Hinter Plan", fmt.number(int(measures["behind_plan"].sum())))
    cols[4].metric("Überfällig", fmt.number(int(measures["overdue"].sum())))
    if note:
        st.caption(f"Sammelampel: {note}")


def goals_section(goals: pd.DataFrame) -> None:
    st.subheader("Ziele")
    if goals["is_example"].any():
        st.caption("Die Ziele sind Beispiele, bis der Wortlaut aus B 108 geladen ist.")
    goal_table = pd.DataFrame(
        {
            "Ziel": goals["goal_code"],
            "Wortlaut": goals["goal_name"],
            "Fortschritt": goals["progress"],
            "Massnahmen": goals["n_measures"],
            "hinter Plan": goals["n_behind_plan"],
            "überfällig": goals["n_overdue"],
            "pausiert": goals["n_paused"],
            "keine Meldung": goals["n_no_report"],
        }
    )
    # A few rows: an HTML table, whose wording wraps (the grid would cut it).
    st.html(table_html(goal_table, helps={"pausiert": PAUSED_HELP}))


def measures_section(measures: pd.DataFrame, field_code: str, period: str) -> None:
    st.subheader(f"Massnahmen in {period}")
    if measures.empty:
        st.info("In diesem Aktionsfeld gibt es noch keine Massnahmen. Die Fachstelle erfasst sie unter «Verwaltung».")
    else:
        widgets.show_measures(measures, key="field_measures", file_name=f"Massnahmen_{field_code}_{period}.xlsx")
        st.page_link(
            "pages/measures.py",
            label="Details und Verlauf einer Massnahme: Seite «Massnahmen»",
            icon=":material/checklist:",
        )


def trend_section(field_code: str, field_id: int, period: str) -> None:
    st.subheader("Verlauf")
    left, right = st.columns(2)
    with left:
        st.markdown("**Aktionsfeld und Gesamt**")
        trend = data.trend(period)
        st.plotly_chart(
            charts.progress_trend_lines(trend[trend["field_code"].isin([TOTAL, field_code])], highlight=field_code),
            width="stretch",
            key="field_trend",
        )
    with right:
        st.markdown("**Ziele**")
        goal_trend = data.goal_trend(field_id, period)
        st.plotly_chart(
            charts.progress_trend_lines(goal_trend, highlight="", key="goal_code"), width="stretch", key="goal_trend"
        )


def indicators_section(goals: pd.DataFrame) -> None:
    st.subheader("Kennzahlen")
    values = data.indicators([int(g) for g in goals["goal_id"]])
    if values.empty:
        st.info("Für die Ziele dieses Aktionsfelds sind keine Kennzahlen erfasst.")
    for indicator_id, group in values.groupby("indicator_id", sort=False):
        first = group.iloc[0]
        st.markdown(
            f"**Ziel {first['goal_code']}: {md_text(first['name'])}** ({md_text(first['unit'])}, "
            f"{'höher' if first['direction'] == 'hoeher' else 'tiefer'} ist besser)"
        )
        if group["value"].notna().any():
            st.plotly_chart(charts.indicator_chart(group), width="stretch", key=f"indicator_{indicator_id}")
        else:
            st.caption("Noch keine Werte gemeldet.")


def action_fields() -> None:
    field_code = sidebar.chosen(sidebar.FIELD_KEY)
    period = sidebar.selected_period()
    snap = data.structure()
    field = snap.fields[snap.fields["field_code"] == field_code].iloc[0]
    st.title("Aktionsfelder")
    st.header(f"{field_code} {md_text(field['field_name'])}", divider="gray")
    if period is None:
        st.info("Noch keine Berichtsperioden erfasst.")
        return
    # Only this field's measures: its figures are those of the whole, and at country scale a ninth of the data.
    r = data.period_rollup(period, Scope("field", field_code))
    fields_row = r.fields[r.fields["field_code"] == field_code].iloc[0]
    measures = r.measures[r.measures["field_code"] == field_code]
    goals = r.goals[r.goals["field_id"] == field["field_id"]]
    dist = ru.light_distribution(measures.assign(alle=field_code), "alle")
    summary = dist["summary_light"].iloc[0] if len(dist) else None
    note = dist["summary_note"].iloc[0] if len(dist) else ""

    key_figures(fields_row["progress"], measures, summary, note)
    goals_section(goals)
    measures_section(measures, field_code, period.name)
    trend_section(field_code, int(field["field_id"]), period.name)
    indicators_section(goals)


action_fields()
