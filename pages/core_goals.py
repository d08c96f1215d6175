"""Kernziele: which fields and goals serve a core goal, how strongly, and how far they are."""

import pandas as pd
import streamlit as st

from pages import data, sidebar
from pages.text import md_text
from tracking import charts
from tracking import formatting as fmt
from tracking import rollup as ru
from tracking.bar_tables import table_html
from tracking.matrix_table import matrix_html
from tracking.vocab import strength_label


def core_goals() -> None:
    st.title("Kernziele")
    period = sidebar.selected_period()
    snap = data.structure()
    if period is None or snap.core_goals.empty:
        st.info("Noch keine Kernziele oder Berichtsperioden erfasst.")
        return
    names = dict(zip(snap.core_goals["core_code"], snap.core_goals["core_name"]))
    core = sidebar.chosen(sidebar.CORE_GOAL_KEY)
    st.header(f"{core} – {md_text(names[core])}", divider="gray")
    r = data.figures(period)  # in SQL: per goal, never per measure
    row = r.core_goals[r.core_goals["core_code"] == core].iloc[0]

    cols = st.columns(3)
    cols[0].metric(
        f"Fortschritt {core}",
        fmt.percent(row["progress"]),
        help="Mittel der Ziele, gewichtet mit ihrem Beitrag an das Kernziel.",
    )
    serving = ru.core_goal_contributors(snap, r.goals, core)
    cols[1].metric("Ziele mit Beitrag", fmt.number(len(serving)))
    cols[2].metric("Aktionsfelder mit Beitrag", fmt.number(serving["field_code"].nunique()))

    st.subheader(f"Was zu {core} beiträgt")
    if serving.empty:
        st.info("Kein Ziel trägt zu diesem Kernziel bei. Die Beiträge werden in der Strategie-Definition gepflegt.")
    else:
        table = pd.DataFrame(
            {
                "Aktionsfeld": serving["field_code"] + " " + serving["field_name"],
                "Ziel": serving["goal_code"],
                "Wortlaut": serving["goal_name"],
                "Beitrag": [strength_label(w) for w in serving["weight"]],
                "Gewicht": serving["weight"],
                "Fortschritt": serving["progress"],
            }
        ).sort_values(["Gewicht", "Aktionsfeld"], ascending=[False, True])
        # A few rows: an HTML table, whose wording wraps (the grid would cut it).
        st.html(table_html(table, helps={"Gewicht": "keine 0, schwach 1, mittel 2, stark 3"}))

    st.subheader("Aktionsfelder × Kernziele")
    st.html(matrix_html(r.matrix, "aktionsfelder", {sidebar.PERIOD_KEY: period.name}))
    st.markdown("**Fortschritt pro Feld und Kernziel**")
    st.plotly_chart(charts.field_core_bars(r.matrix), width="stretch", key="core_bars")


core_goals()
